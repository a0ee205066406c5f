/* One verifier shared by many threads: every verification gives the same
 * verdict as a fresh verifier, and the caches never let a bad quote through.
 * Runs on simulated evidence (always) and a real vector (when present). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testpki/testpki.h"
#include "vectors_util.h"

#define NOW INT64_C(1760000000)
#define THREADS 4
#define ROUNDS 150

typedef struct job {
    ratls_verifier *v;
    const ratls_collateral *c;
    const uint8_t *good;
    size_t good_len;
    int64_t at;
    int failures;
} job;

static void *worker(void *arg)
{
    job *j = arg;
    uint8_t *bad = malloc(j->good_len);
    memcpy(bad, j->good, j->good_len);
    bad[100] ^= 1; /* inside the signed TD report */
    for (int i = 0; i < ROUNDS; i++) {
        ratls_result *r = NULL;
        if (vec_verify(j->v, j->good, j->good_len, j->c, NULL, j->at, &r) != RATLS_OK || !ratls_result_verified(r))
            j->failures++;
        ratls_result_free(r);
        if (vec_verify(j->v, bad, j->good_len, j->c, NULL, j->at, &r) != RATLS_ERR_QUOTE_SIGNATURE)
            j->failures++;
        ratls_result_free(r);
        /* outside the window the cached collateral must not be used */
        if (vec_verify(j->v, j->good, j->good_len, j->c, NULL, j->at + 400 * 86400, &r) == RATLS_OK)
            j->failures++;
        ratls_result_free(r);
        if (i % 50 == 25)
            ratls_verifier_clear_cache(j->v);
    }
    free(bad);
    return NULL;
}

static void run_threads(ratls_verifier *v, const ratls_collateral *c, const uint8_t *q, size_t ql, int64_t at)
{
    pthread_t t[THREADS];
    job j[THREADS];
    for (int i = 0; i < THREADS; i++) {
        j[i] = (job){v, c, q, ql, at, 0};
        assert_int_equal(pthread_create(&t[i], NULL, worker, &j[i]), 0);
    }
    int failures = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        failures += j[i].failures;
    }
    printf("  %d threads x %d rounds x 3 verifications: %d wrong verdicts\n", THREADS, ROUNDS, failures);
    assert_int_equal(failures, 0);
}

static void test_threads_simulated(void **state)
{
    (void)state;
    tp_scenario s;
    tp_output out;
    tp_scenario_default(&s, NOW);
    assert_int_equal(tp_generate(&s, &out), 0);
    ratls_collateral *c = NULL;
    assert_int_equal(ratls_collateral_from_json((const uint8_t *)out.collateral_json, out.collateral_len, &c, NULL, 0),
                     RATLS_OK);
    ratls_verifier *v = ratls_verifier_new();
    assert_int_equal(ratls_verifier_set_tdx_root_insecure(v, out.root_der, out.root_der_len), RATLS_OK);
    run_threads(v, c, out.quote, out.quote_len, NOW);
    ratls_verifier_free(v);
    ratls_collateral_free(c);
    tp_output_free(&out);
}

/* The dcap-qvl quote (its bytes in *q) and its collateral; skips the test
 * when the vectors are absent. */
static ratls_collateral *load_dcapqvl(uint8_t **q, size_t *ql)
{
    uint8_t *cj;
    size_t cl;
    if (!vec_dir())
        skip();
    assert_int_equal(vec_read("tdx/dcap-qvl/tdx_quote", q, ql), 0);
    assert_int_equal(vec_read("tdx/dcap-qvl/tdx_quote_collateral.json", &cj, &cl), 0);
    ratls_collateral *c = NULL;
    assert_int_equal(ratls_collateral_from_json(cj, cl, &c, NULL, 0), RATLS_OK);
    free(cj);
    return c;
}

static void test_threads_real(void **state)
{
    (void)state;
    uint8_t *q;
    size_t ql;
    ratls_collateral *c = load_dcapqvl(&q, &ql);
    ratls_verifier *v = ratls_verifier_new();
    run_threads(v, c, q, ql, 1752919234);
    ratls_verifier_free(v);
    ratls_collateral_free(c);
    free(q);
}

/* A warm verifier checks the quote signature with the attestation key's
 * precomputed table (from the key's second quote on): every one-bit flip of
 * the signed header and TD report, and of the signature, is still rejected,
 * and the good quote still verifies afterwards. */
static void test_warm_mutation(void **state)
{
    (void)state;
    uint8_t *q;
    size_t ql;
    ratls_collateral *c = load_dcapqvl(&q, &ql);
    const int64_t at = 1752919234;
    ratls_verifier *v = ratls_verifier_new();
    ratls_result *r = NULL;
    for (int i = 0; i < 3; i++) { /* the second builds the table, the third uses it */
        assert_int_equal(vec_verify(v, q, ql, c, NULL, at, &r), RATLS_OK);
        ratls_result_free(r);
    }
    /* header (48) + TD 1.0 report (584) are signed; the signature follows the 4-byte length */
    const size_t signed_len = 48 + 584, sig_at = signed_len + 4;
    int tried = 0;
    uint8_t *m = malloc(ql);
    for (size_t off = 0; off < sig_at + 64; off++) {
        if (off >= signed_len && off < sig_at)
            continue;
        for (int bit = 0; bit < 8; bit += 3) {
            memcpy(m, q, ql);
            m[off] ^= (uint8_t)(1u << bit);
            ratls_status st = vec_verify(v, m, ql, c, NULL, at, &r);
            ratls_result_free(r);
            if (st == RATLS_OK)
                fail_msg("flip of bit %d at byte %zu verified", bit, off);
            tried++;
        }
    }
    assert_int_equal(vec_verify(v, q, ql, c, NULL, at, &r), RATLS_OK);
    ratls_result_free(r);
    printf("  warm verifier: %d one-bit flips of the signed bytes and the signature rejected\n", tried);
    free(m);
    ratls_verifier_free(v);
    ratls_collateral_free(c);
    free(q);
}

/* The trust anchor replaced while other threads verify: no verification may
 * read a freed root (ASan/TSan builds), and every verdict stays right. */
typedef struct swapper {
    ratls_verifier *v;
    const uint8_t *root;
    size_t len;
} swapper;

static void *swap_roots(void *arg)
{
    swapper *sw = arg;
    for (int i = 0; i < 300; i++)
        if (ratls_verifier_set_tdx_root_insecure(sw->v, sw->root, sw->len) != RATLS_OK)
            return (void *)1;
    return NULL;
}

static void test_anchor_swap(void **state)
{
    (void)state;
    tp_scenario s;
    tp_output out;
    tp_scenario_default(&s, NOW);
    assert_int_equal(tp_generate(&s, &out), 0);
    ratls_collateral *c = NULL;
    assert_int_equal(ratls_collateral_from_json((const uint8_t *)out.collateral_json, out.collateral_len, &c, NULL, 0),
                     RATLS_OK);
    ratls_verifier *v = ratls_verifier_new();
    assert_int_equal(ratls_verifier_set_tdx_root_insecure(v, out.root_der, out.root_der_len), RATLS_OK);
    swapper sw = {v, out.root_der, out.root_der_len};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, swap_roots, &sw), 0);
    int wrong = 0;
    for (int i = 0; i < 300; i++) {
        ratls_result *r = NULL;
        wrong += vec_verify(v, out.quote, out.quote_len, c, NULL, NOW, &r) != RATLS_OK;
        ratls_result_free(r);
    }
    void *rv = NULL;
    pthread_join(t, &rv);
    assert_null(rv);
    assert_int_equal(wrong, 0);
    ratls_verifier_free(v);
    ratls_collateral_free(c);
    tp_output_free(&out);
}

/* The PCK chain in a quote ends with one NUL; more padding is not accepted. */
static void test_pem_trailing_nul(void **state)
{
    (void)state;
    tp_scenario s;
    tp_output out;
    tp_scenario_default(&s, NOW);
    assert_int_equal(tp_generate(&s, &out), 0);
    size_t n = strlen(out.root_pem);
    char *buf = malloc(n + 2);
    memcpy(buf, out.root_pem, n);
    buf[n] = buf[n + 1] = 0;
    ratls_verifier *v = ratls_verifier_new();
    assert_int_equal(ratls_verifier_set_tdx_root_insecure(v, (const uint8_t *)buf, n + 1), RATLS_OK);
    assert_int_equal(ratls_verifier_set_tdx_root_insecure(v, (const uint8_t *)buf, n + 2), RATLS_ERR_PEM_CHAIN);
    ratls_verifier_free(v);
    free(buf);
    tp_output_free(&out);
}

/* Many platforms through one verifier: more than the PCK cache holds. */
static void test_cache_eviction(void **state)
{
    (void)state;
    ratls_verifier *v = ratls_verifier_new();
    tp_scenario s;
    int ok = 0;
    for (int i = 0; i < 80; i++) {
        tp_output out;
        tp_scenario_default(&s, NOW);
        s.report.report_data[0] = (uint8_t)i;  /* new quote, same platform */
        s.qe_isvsvn = (uint16_t)(8 + (i % 3)); /* a few distinct QE reports */
        assert_int_equal(tp_generate(&s, &out), 0);
        ratls_collateral *c = NULL;
        assert_int_equal(
            ratls_collateral_from_json((const uint8_t *)out.collateral_json, out.collateral_len, &c, NULL, 0),
            RATLS_OK);
        if (i == 0)
            assert_int_equal(ratls_verifier_set_tdx_root_insecure(v, out.root_der, out.root_der_len), RATLS_OK);
        ratls_result *r = NULL;
        ok += vec_verify(v, out.quote, out.quote_len, c, NULL, NOW, &r) == RATLS_OK;
        ratls_result_free(r);
        ratls_collateral_free(c);
        tp_output_free(&out);
    }
    assert_int_equal(ok, 80);
    ratls_verifier_free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_threads_simulated), cmocka_unit_test(test_threads_real),
        cmocka_unit_test(test_cache_eviction),    cmocka_unit_test(test_anchor_swap),
        cmocka_unit_test(test_pem_trailing_nul),  cmocka_unit_test(test_warm_mutation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
