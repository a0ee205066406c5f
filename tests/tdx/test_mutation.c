/*
 * Mutation tests on real vectors: flip every byte of the quote up to the end
 * of its signature data (header, TD report, signature, attestation key, QE
 * report, its signature, QE auth data, PCK chain, every length and type
 * field), and every byte of every collateral item (signed JSON texts,
 * signatures, CRLs, issuer chains): every single flip must be rejected.
 * Every truncation short of the signature data's end must be rejected, and
 * every one past it (trailing padding only) accepted.
 *
 * RATLS_MUTATION_STRIDE=N tries every Nth position (for slow sanitizer runs);
 * the default is 1, every byte.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "tdx/quote.h"
#include "vectors_util.h"

typedef struct mcase {
    const char *quote;
    const char *collateral;
    int64_t at;
} mcase;

static const mcase k_cases[] = {
    {"tdx/dcap-qvl/tdx_quote", "tdx/dcap-qvl/tdx_quote_collateral.json", 1752919234},
    {"tdx/dstack/quote-report.json#quote", "seeds/secureai/main-d73b2d0/collateral.json", 1764028800},
    {"tdx/dstack/quote-report.json#quote", "seeds/secureai/e3f30a5/collateral.json", 1767225600},
};

static size_t stride(void)
{
    const char *s = getenv("RATLS_MUTATION_STRIDE");
    long v = s ? strtol(s, NULL, 10) : 1;
    return v > 0 ? (size_t)v : 1;
}

static ratls_collateral *load(const uint8_t *b, size_t n)
{
    ratls_collateral *c = NULL;
    if (ratls_collateral_from_json(b, n, &c, NULL, 0) != RATLS_OK)
        return NULL;
    return c;
}

static void test_quote_flips(void **state)
{
    (void)state;
    if (!vec_dir())
        skip();
    size_t st = stride();
    for (size_t k = 0; k < sizeof k_cases / sizeof k_cases[0]; k++) {
        const mcase *m = &k_cases[k];
        uint8_t *q, *cj;
        size_t ql, cl;
        assert_int_equal(vec_read_quote(m->quote, &q, &ql), 0);
        assert_int_equal(vec_read(m->collateral, &cj, &cl), 0);
        ratls_collateral *c = load(cj, cl);
        assert_non_null(c);
        ratls_tdx_quote *tq = NULL;
        assert_int_equal(ratls_tdx_quote_parse(q, ql, &tq, NULL, 0), RATLS_OK);
        size_t used = tq->used_len;
        ratls_tdx_quote_free(tq);
        /* one verifier for all flips: the caches must not let a flip through */
        ratls_verifier *v = ratls_verifier_new();
        ratls_result *r = NULL;
        assert_int_equal(vec_verify(v, q, ql, c, NULL, m->at, &r), RATLS_OK);
        ratls_result_free(r);
        size_t tried = 0, rejected = 0;
        static const uint8_t masks[] = {0x01, 0x80};
        for (size_t i = 0; i < used; i += st) {
            for (size_t mi = 0; mi < 2; mi++) {
                q[i] ^= masks[mi];
                ratls_status s = vec_verify(v, q, ql, c, NULL, m->at, &r);
                tried++;
                if (s != RATLS_OK && !ratls_result_verified(r))
                    rejected++;
                else
                    print_error("flip of byte %zu (mask %02x) of %s was ACCEPTED\n", i, masks[mi], m->quote);
                ratls_result_free(r);
                q[i] ^= masks[mi];
            }
        }
        printf("  %s: %zu quote byte flips tried, %zu rejected\n", m->quote, tried, rejected);
        assert_int_equal(tried, rejected);
        /* and the original still verifies with the same verifier */
        assert_int_equal(vec_verify(v, q, ql, c, NULL, m->at, &r), RATLS_OK);
        ratls_result_free(r);
        ratls_verifier_free(v);
        ratls_collateral_free(c);
        free(q);
        free(cj);
    }
}

static const char *const k_fields[] = {"pck_crl_issuer_chain",     "root_ca_crl", "pck_crl",
                                       "tcb_info_issuer_chain",    "tcb_info",    "tcb_info_signature",
                                       "qe_identity_issuer_chain", "qe_identity", "qe_identity_signature"};

static void test_collateral_flips(void **state)
{
    (void)state;
    if (!vec_dir())
        skip();
    size_t st = stride();
    for (size_t k = 0; k < sizeof k_cases / sizeof k_cases[0]; k++) {
        const mcase *m = &k_cases[k];
        uint8_t *q, *cj;
        size_t ql, cl;
        assert_int_equal(vec_read_quote(m->quote, &q, &ql), 0);
        assert_int_equal(vec_read(m->collateral, &cj, &cl), 0);
        json_t *root = json_loadb((const char *)cj, cl, 0, NULL);
        assert_non_null(root);
        ratls_verifier *v = ratls_verifier_new();
        size_t tried = 0, rejected = 0;
        for (size_t f = 0; f < sizeof k_fields / sizeof k_fields[0]; f++) {
            json_t *js = json_object_get(root, k_fields[f]);
            assert_non_null(js);
            size_t n = json_string_length(js);
            char *orig = strdup(json_string_value(js));
            char *mut = strdup(orig);
            assert_non_null(orig);
            assert_non_null(mut);
            for (size_t i = 0; i < n; i += st) {
                mut[i] ^= 0x01; /* stays ASCII: the JSON stays loadable */
                json_t *copy = json_deep_copy(root);
                json_object_set_new(copy, k_fields[f], json_stringn(mut, n));
                char *text = json_dumps(copy, JSON_COMPACT);
                json_decref(copy);
                ratls_collateral *c = load((const uint8_t *)text, strlen(text));
                tried++;
                if (!c) {
                    rejected++; /* no longer parses: rejected at load */
                } else {
                    ratls_result *r = NULL;
                    ratls_status s = vec_verify(v, q, ql, c, NULL, m->at, &r);
                    if (s != RATLS_OK && !ratls_result_verified(r))
                        rejected++;
                    else
                        print_error("flip of byte %zu of %s in %s was ACCEPTED\n", i, k_fields[f], m->collateral);
                    ratls_result_free(r);
                    ratls_collateral_free(c);
                }
                free(text);
                mut[i] ^= 0x01;
            }
            free(orig);
            free(mut);
        }
        printf("  %s: %zu collateral byte flips tried, %zu rejected\n", m->collateral, tried, rejected);
        assert_int_equal(tried, rejected);
        ratls_verifier_free(v);
        json_decref(root);
        free(q);
        free(cj);
    }
}

static void test_truncations(void **state)
{
    (void)state;
    if (!vec_dir())
        skip();
    for (size_t k = 0; k < 2; k++) {
        const mcase *m = &k_cases[k];
        uint8_t *q, *cj;
        size_t ql, cl;
        assert_int_equal(vec_read_quote(m->quote, &q, &ql), 0);
        assert_int_equal(vec_read(m->collateral, &cj, &cl), 0);
        ratls_collateral *c = load(cj, cl);
        ratls_tdx_quote *tq = NULL;
        assert_int_equal(ratls_tdx_quote_parse(q, ql, &tq, NULL, 0), RATLS_OK);
        size_t used = tq->used_len;
        ratls_tdx_quote_free(tq);
        ratls_verifier *v = ratls_verifier_new();
        size_t rejected = 0, accepted = 0;
        for (size_t len = 1; len < ql; len++) {
            /* a fresh heap copy of exactly len bytes, so ASan sees any over-read */
            uint8_t *t = malloc(len);
            memcpy(t, q, len);
            ratls_result *r = NULL;
            ratls_status s = vec_verify(v, t, len, c, NULL, m->at, &r);
            if (len < used) {
                assert_int_not_equal(s, RATLS_OK);
                rejected++;
            } else {
                assert_int_equal(s, RATLS_OK);
                accepted++;
            }
            ratls_result_free(r);
            free(t);
        }
        printf("  %s: %zu truncations rejected, %zu (padding only) accepted\n", m->quote, rejected, accepted);
        ratls_verifier_free(v);
        ratls_collateral_free(c);
        free(q);
        free(cj);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quote_flips),
        cmocka_unit_test(test_collateral_flips),
        cmocka_unit_test(test_truncations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
