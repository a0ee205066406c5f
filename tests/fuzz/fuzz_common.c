/* Deterministic test-PKI scenarios for the fuzz targets and the corpus generator. */
#define OPENSSL_SUPPRESS_DEPRECATED /* RAND_set_rand_method: the one hook that also covers key generation */

#include "fuzz_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/err.h>
#include <openssl/rand.h>

/* splitmix64: not a cryptographic generator, and it need not be one. It only
 * has to give both programs the same stream. */
static uint64_t g_rand_state;

static void det_seed(uint64_t seed) { g_rand_state = seed; }

static uint64_t det_next(void)
{
    uint64_t z = (g_rand_state += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

static int det_bytes(unsigned char *buf, int num)
{
    for (int i = 0; i < num; i += 8) {
        uint64_t z = det_next();
        for (int k = 0; k < 8 && i + k < num; k++)
            buf[i + k] = (uint8_t)(z >> (8 * k));
    }
    return 1;
}

static int det_status(void) { return 1; }

static const RAND_METHOD k_det_rand = {
    .bytes = det_bytes,
    .pseudorand = det_bytes,
    .status = det_status,
};

#define SEED_PKI UINT64_C(0x7261746c732d706b)      /* "ratls-pk" */
#define SEED_SCENARIO UINT64_C(0x7261746c732d7363) /* "ratls-sc" */

static const char *const k_names[FZ_SCENARIO_COUNT_] = {
    [FZ_V4] = "v4",
    [FZ_V5_TD10] = "v5_td10",
    [FZ_V5_TD15] = "v5_td15",
    [FZ_PROCESSOR_CA] = "processor_ca",
    [FZ_TRAILING] = "trailing",
    [FZ_DEBUG_TD] = "debug_td",
    [FZ_MODULE_OLD] = "module_old",
    [FZ_QE_OLD] = "qe_old",
    [FZ_NO_MODULE_ID] = "no_module_id",
    [FZ_REVOKED_PCK] = "revoked_pck",
    [FZ_EXPIRED_TCB] = "expired_tcb",
};

const char *fuzz_scenario_name(fuzz_scenario sc) { return (unsigned)sc < FZ_SCENARIO_COUNT_ ? k_names[sc] : "?"; }

static void scenario_fill(fuzz_scenario sc, tp_scenario *s)
{
    tp_scenario_default(s, FUZZ_NOW);
    switch (sc) {
    case FZ_V4:
    case FZ_SCENARIO_COUNT_:
        break;
    case FZ_V5_TD10:
        s->quote_version = 5;
        s->body_type = 2;
        break;
    case FZ_V5_TD15:
        s->quote_version = 5;
        s->body_type = 3;
        s->report.tee_tcb_svn2[0] = 3;
        s->report.tee_tcb_svn2[1] = 1;
        s->report.tee_tcb_svn2[2] = 2;
        break;
    case FZ_PROCESSOR_CA:
        s->processor_ca = 1;
        break;
    case FZ_TRAILING:
        s->trailing_bytes = 16;
        break;
    case FZ_DEBUG_TD:
        s->report.td_attributes[0] |= 0x01;
        break;
    case FZ_MODULE_OLD:
        s->report.tee_tcb_svn[0] = 1;
        break;
    case FZ_QE_OLD:
        s->qe_isvsvn = 6;
        break;
    case FZ_NO_MODULE_ID:
        s->report.tee_tcb_svn[1] = 0;
        break;
    case FZ_REVOKED_PCK:
        s->revoke_pck = 1;
        break;
    case FZ_EXPIRED_TCB:
        s->tcbinfo_window.from_off = -40 * INT64_C(86400);
        s->tcbinfo_window.to_off = -10 * INT64_C(86400);
        break;
    }
}

int fuzz_generate(fuzz_scenario sc, tp_output *out)
{
    static int pki_ready;
    tp_scenario s;
    int rc = -1;
    memset(out, 0, sizeof *out);
    if ((unsigned)sc >= FZ_SCENARIO_COUNT_ || RAND_set_rand_method(&k_det_rand) != 1)
        return -1;
    if (!pki_ready) {
        /* The first call makes the PKI's keys and root: from a fixed seed,
         * before anything else in the process asks the test PKI for output. */
        det_seed(SEED_PKI);
        tp_scenario_default(&s, FUZZ_NOW);
        rc = tp_generate(&s, out);
        tp_output_free(out);
        if (rc != 0)
            goto done;
        pki_ready = 1;
    }
    /* Same seed for every scenario: the PCK CA certificate, its serial and the
     * leaf's serial come out identical, so a quote of one scenario chains to
     * the collateral of another. */
    det_seed(SEED_SCENARIO);
    scenario_fill(sc, &s);
    rc = tp_generate(&s, out);
done:
    RAND_set_rand_method(NULL);
    return rc;
}

void fuzz_fail(const char *file, int line, const char *what)
{
    fprintf(stderr, "%s:%d: fuzz invariant failed: %s\n", file, line, what);
    abort();
}

static fuzz_fixture g_fixture;

static void fixture_free(void)
{
    ratls_verifier_free(g_fixture.verifier);
    ratls_policy_free(g_fixture.policy);
    ratls_collateral_free(g_fixture.collateral);
    ratls_evidence_free(g_fixture.evidence);
    free(g_fixture.root_der);
    memset(&g_fixture, 0, sizeof g_fixture);
}

const fuzz_fixture *fuzz_fixture_get(void)
{
    static int ready;
    if (ready)
        return &g_fixture;
    tp_output o;
    char err[512] = "";
    FUZZ_CHECK(fuzz_generate(FZ_V4, &o) == 0);
    fuzz_fixture *fx = &g_fixture;
    FUZZ_CHECK(ratls_collateral_from_json((const uint8_t *)o.collateral_json, o.collateral_len, &fx->collateral, err,
                                          sizeof err) == RATLS_OK);
    FUZZ_CHECK((fx->verifier = ratls_verifier_new()) != NULL);
    FUZZ_CHECK(ratls_verifier_set_tdx_root_insecure(fx->verifier, o.root_der, o.root_der_len) == RATLS_OK);
    /* More than the default {UpToDate}, and an advisory list, so the
     * appraisal's branches run too. */
    FUZZ_CHECK((fx->policy = ratls_policy_new()) != NULL);
    FUZZ_CHECK(ratls_policy_set_tcb_statuses(fx->policy, "UpToDate,SWHardeningNeeded,OutOfDate,TDRelaunchAdvised") ==
               RATLS_OK);
    FUZZ_CHECK(ratls_policy_deny_advisory(fx->policy, "INTEL-SA-00837") == RATLS_OK);
    FUZZ_CHECK((fx->evidence = ratls_evidence_new()) != NULL);
    FUZZ_CHECK(ratls_evidence_set_tdx_quote(fx->evidence, o.quote, o.quote_len) == RATLS_OK);
    fx->root_der = o.root_der;
    fx->root_der_len = o.root_der_len;
    o.root_der = NULL;
    tp_output_free(&o);
    atexit(fixture_free);
    ready = 1;
    /* The fixture must verify, or the targets fuzz nothing past the first check. */
    FUZZ_CHECK(fuzz_verify_twice(fx, fx->evidence, fx->collateral) == RATLS_OK);
    return fx;
}

__attribute__((noinline)) void fuzz_poison_stack(void)
{
    uint8_t junk[8192];
    memset(junk, 0xA5, sizeof junk);
    __asm__ volatile("" : : "r"(junk) : "memory"); /* keep the stores */
}

/* ratls_result_to_json keeps every check and the error. */
static void check_result_json(const ratls_result *r, const char *js)
{
    json_error_t je;
    json_t *o = json_loads(js, 0, &je);
    FUZZ_CHECK(o != NULL && json_is_object(o));
    FUZZ_CHECK(json_array_size(json_object_get(o, "checks")) == ratls_result_check_count(r));
    FUZZ_CHECK(ratls_result_verified(r) || json_is_string(json_object_get(o, "error")));
    FUZZ_CHECK(json_is_boolean(json_object_get(o, "verified")) &&
               json_is_true(json_object_get(o, "verified")) == (ratls_result_verified(r) != 0));
    json_decref(o);
}

static int same_str(const char *a, const char *b) { return a == b || (a && b && strcmp(a, b) == 0); }

ratls_status fuzz_verify_twice(const fuzz_fixture *fx, const ratls_evidence *ev, const ratls_collateral *coll)
{
    ratls_result *r[2] = {NULL, NULL};
    ratls_status s[2];
    for (int i = 0; i < 2; i++) {
        fuzz_poison_stack();
        s[i] = ratls_verify(fx->verifier, ev, coll, fx->policy, FUZZ_NOW, &r[i]);
        FUZZ_CHECK(r[i] != NULL);
        FUZZ_CHECK(ratls_result_status(r[i]) == s[i]);
        FUZZ_CHECK(ratls_result_verified(r[i]) == (s[i] == RATLS_OK));
        FUZZ_CHECK((ratls_result_error(r[i]) == NULL) == (s[i] == RATLS_OK));
        FUZZ_CHECK(ratls_result_tee(r[i]) == RATLS_TEE_TDX);
        size_t n = ratls_result_check_count(r[i]);
        for (size_t k = 0; k < n; k++) {
            const char *id = NULL, *detail = NULL;
            ratls_check_outcome oc;
            FUZZ_CHECK(ratls_result_check(r[i], k, &id, &oc, &detail) == RATLS_OK);
            FUZZ_CHECK(id && detail && oc <= RATLS_CHECK_SKIP);
            FUZZ_CHECK(ratls_result_find_check(r[i], id, NULL, NULL) >= 0);
        }
        for (size_t k = 0; k < ratls_result_advisory_count(r[i]); k++)
            FUZZ_CHECK(ratls_result_advisory(r[i], k) != NULL);
        char *js = NULL;
        FUZZ_CHECK(ratls_result_to_json(r[i], &js) == RATLS_OK && js != NULL);
        check_result_json(r[i], js);
        ratls_free_string(js);
    }
    if (getenv("RATLS_FUZZ_VERBOSE"))
        fprintf(stderr, "verify: %s (%s) window cold [%lld, %lld] warm [%lld, %lld]\n", ratls_status_name(s[0]),
                s[0] ? ratls_result_error(r[0]) : "verified", (long long)ratls_result_collateral_valid_from(r[0]),
                (long long)ratls_result_collateral_expiry(r[0]), (long long)ratls_result_collateral_valid_from(r[1]),
                (long long)ratls_result_collateral_expiry(r[1]));
    if (getenv("RATLS_FUZZ_REQUIRE_VERIFIED") && s[0] != RATLS_OK) {
        fprintf(stderr,
                "seed does not verify against the fixture (%s): the corpus is stale; regenerate it "
                "with gen_corpus (tests/fuzz/README.md)\n",
                ratls_result_error(r[0]));
        abort();
    }
    /* A cache may save work; it must never change what the caller sees. */
    FUZZ_CHECK(s[0] == s[1]);
    FUZZ_CHECK(same_str(ratls_result_tcb_status(r[0]), ratls_result_tcb_status(r[1])));
    FUZZ_CHECK(same_str(ratls_result_fmspc(r[0]), ratls_result_fmspc(r[1])));
    FUZZ_CHECK(ratls_result_advisory_count(r[0]) == ratls_result_advisory_count(r[1]));
    FUZZ_CHECK(ratls_result_collateral_expiry(r[0]) == ratls_result_collateral_expiry(r[1]));
    FUZZ_CHECK(ratls_result_collateral_valid_from(r[0]) == ratls_result_collateral_valid_from(r[1]));
    /* Once the quote parsed, the verifier ran under the test root and says so. */
    FUZZ_CHECK(ratls_result_used_insecure_root(r[0]) == (ratls_result_tdx_report(r[0]) != NULL));
    FUZZ_CHECK(ratls_result_used_insecure_root(r[1]) == ratls_result_used_insecure_root(r[0]));
    ratls_result_free(r[0]);
    ratls_result_free(r[1]);
    ratls_verifier_clear_cache(fx->verifier);
    ERR_clear_error();
    return s[0];
}
