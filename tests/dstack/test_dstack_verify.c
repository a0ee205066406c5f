/* dstack evidence end to end: the real quote-report triple under a policy
 * written from its own values, each policy field changed in turn, and
 * certificate binding and nonce on evidence from the project's simulated
 * signer (test PKI) with a synthetic event log bound to the quote's RTMRs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "../tdx/vectors_util.h"
#include "testpki/testpki.h"

static const char *const k_dstack_ids[] = {"nonce",    "eventlog.replay", "cert.binding", "bootchain",
                                           "os_image", "app_compose",     "key_provider"};

/* Every dstack check has the outcome given in `want` (p/f/s per id). */
static void expect_outcomes(const ratls_result *r, const char *want)
{
    for (size_t i = 0; i < 7; i++) {
        ratls_check_outcome o;
        const char *detail = NULL;
        assert_true(ratls_result_find_check(r, k_dstack_ids[i], &o, &detail) >= 0);
        char got = o == RATLS_CHECK_PASS ? 'p' : o == RATLS_CHECK_FAIL ? 'f' : 's';
        if (got != want[i])
            fail_msg("%s: got %c, want %c (%s)", k_dstack_ids[i], got, want[i], detail);
    }
}

typedef struct real {
    uint8_t *resp;
    size_t resp_len;
    ratls_collateral *coll;
    json_t *pol; /* policy written from the evidence's own values */
} real;

static int load_real(real *x)
{
    if (!vec_dir())
        return -1;
    uint8_t *cj;
    size_t cl;
    assert_int_equal(vec_read("tdx/dstack/quote-report.json", &x->resp, &x->resp_len), 0);
    assert_int_equal(vec_read("seeds/secureai/main-d73b2d0/collateral.json", &cj, &cl), 0);
    assert_int_equal(ratls_collateral_from_json(cj, cl, &x->coll, NULL, 0), RATLS_OK);
    free(cj);
    ratls_dstack_response *r = NULL;
    assert_int_equal(ratls_dstack_response_parse(x->resp, x->resp_len, &r, NULL, 0), RATLS_OK);
    size_t ql;
    const uint8_t *qb = ratls_dstack_response_quote(r, &ql);
    ratls_tdx_quote *q = NULL;
    assert_int_equal(ratls_tdx_quote_parse(qb, ql, &q, NULL, 0), RATLS_OK);
    const ratls_tdx_report *t = ratls_tdx_quote_report(q);
    char h[5][97];
    const uint8_t *mr[4] = {t->mr_td, t->rtmr[0], t->rtmr[1], t->rtmr[2]};
    for (int i = 0; i < 4; i++)
        for (int k = 0; k < 48; k++)
            snprintf(h[i] + 2 * k, 3, "%02x", mr[i][k]);
    const ratls_event *ch = ratls_eventlog_find(ratls_dstack_response_eventlog(r), "compose-hash", 0);
    for (int k = 0; k < 32; k++)
        snprintf(h[4] + 2 * k, 3, "%02x", ch->payload[k]);
    const ratls_event *kp = ratls_eventlog_find(ratls_dstack_response_eventlog(r), "key-provider", 0);
    json_t *kpj = json_loadb((const char *)kp->payload, kp->payload_len, 0, NULL);
    x->pol = json_pack("{s:i, s:{s:s, s:s, s:s, s:s}, s:s, s:O}", "version", 1, "bootchain", "mrtd", h[0], "rtmr0",
                       h[1], "rtmr1", h[2], "rtmr2", h[3], "app_compose_hash", h[4], "key_provider", kpj);
    json_decref(kpj);
    ratls_tdx_quote_free(q);
    ratls_dstack_response_free(r);
    return 0;
}

static void free_real(real *x)
{
    free(x->resp);
    ratls_collateral_free(x->coll);
    json_decref(x->pol);
}

static ratls_status verify_real(real *x, json_t *pol_json, const char *nonce_hex, ratls_result **res)
{
    char *pt = json_dumps(pol_json, 0);
    ratls_policy *p = NULL;
    char err[256] = "";
    ratls_status s = ratls_policy_from_json((const uint8_t *)pt, strlen(pt), &p, err, sizeof err);
    free(pt);
    if (s)
        fail_msg("policy: %s", err);
    ratls_evidence *ev = ratls_evidence_new();
    assert_int_equal(ratls_evidence_set_dstack_response(ev, x->resp, x->resp_len, NULL, 0), RATLS_OK);
    uint8_t *n;
    size_t nl;
    assert_int_equal(ratls_hex_decode_relaxed(nonce_hex, strlen(nonce_hex), &n, &nl), RATLS_OK);
    assert_int_equal(ratls_evidence_set_nonce(ev, n, nl), RATLS_OK);
    free(n);
    /* any certificate: the vector's log has no certificate event */
    static const uint8_t der[] = {0x30, 0x03, 0x02, 0x01, 0x05};
    assert_int_equal(ratls_evidence_set_tls_cert(ev, der, sizeof der), RATLS_OK);
    ratls_verifier *v = ratls_verifier_new();
    s = ratls_verify(v, ev, x->coll, p, 1764028800, res);
    ratls_verifier_free(v);
    ratls_evidence_free(ev);
    ratls_policy_free(p);
    return s;
}

static void test_real_triple(void **state)
{
    (void)state;
    real x;
    if (load_real(&x))
        skip();
    ratls_result *r = NULL;
    assert_int_equal(verify_real(&x, x.pol, "1234", &r), RATLS_ERR_CERT_BINDING);
    ratls_check_outcome o;
    ratls_result_find_check(r, "tdx.quote", &o, NULL);
    assert_int_equal(o, RATLS_CHECK_PASS);
    expect_outcomes(r, "ppfpspp");
    ratls_result_free(r);

    /* each policy field changed in turn fails exactly its own check */
    struct {
        const char *path, *key;
        const char *want;
        ratls_status st;
    } cases[] = {
        {"bootchain", "mrtd", "ppffspp", RATLS_ERR_CERT_BINDING},
        {"bootchain", "rtmr1", "ppffspp", RATLS_ERR_CERT_BINDING},
        {NULL, "app_compose_hash", "ppfpsfp", RATLS_ERR_CERT_BINDING},
        {"key_provider", "id", "ppfpspf", RATLS_ERR_CERT_BINDING},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *pol = json_deep_copy(x.pol);
        json_t *obj = cases[i].path ? json_object_get(pol, cases[i].path) : pol;
        char *val = strdup(json_string_value(json_object_get(obj, cases[i].key)));
        val[0] = val[0] == '0' ? '1' : '0';
        json_object_set_new(obj, cases[i].key, json_string(val));
        free(val);
        assert_int_equal(verify_real(&x, pol, "1234", &r), cases[i].st);
        expect_outcomes(r, cases[i].want);
        ratls_result_free(r);
        json_decref(pol);
    }
    /* an expected OS image: the log has no os-image-hash event */
    json_t *pol = json_deep_copy(x.pol);
    json_object_set_new(pol, "os_image_hash",
                        json_string("e6f5cfec20c02e7b97baa213d0f718020b55e040172d90ccbcb946d56c8b09db"));
    assert_int_equal(verify_real(&x, pol, "1234", &r), RATLS_ERR_CERT_BINDING);
    expect_outcomes(r, "ppfpfpp");
    ratls_result_free(r);
    json_decref(pol);
    /* another challenge: nonce fails, nothing else changes */
    assert_int_equal(verify_real(&x, x.pol, "1235", &r), RATLS_ERR_NONCE_MISMATCH);
    expect_outcomes(r, "fpfpspp");
    ratls_result_free(r);
    /* {} is a valid policy: every dstack expectation skipped */
    pol = json_object();
    assert_int_equal(verify_real(&x, pol, "1234", &r), RATLS_ERR_CERT_BINDING);
    expect_outcomes(r, "ppfssss");
    ratls_result_free(r);
    /* require_all_checks: a skip becomes a failure */
    json_object_set_new(pol, "require_all_checks", json_true());
    assert_int_equal(verify_real(&x, pol, "1234", &r), RATLS_ERR_CERT_BINDING);
    expect_outcomes(r, "ppfffff");
    ratls_result_free(r);
    /* ... also the skips an insecure switch asks for */
    json_object_set_new(pol, "insecure", json_pack("{s:b}", "skip_runtime_verification", 1));
    assert_int_equal(verify_real(&x, pol, "1234", &r), RATLS_ERR_CERT_BINDING);
    expect_outcomes(r, "ppfffff");
    ratls_result_free(r);
    json_object_del(pol, "require_all_checks");
    assert_int_equal(verify_real(&x, pol, "1234", &r), RATLS_ERR_CERT_BINDING);
    expect_outcomes(r, "ppfssss");
    ratls_result_free(r);
    json_decref(pol);
    free_real(&x);
}

/* --- simulated evidence with a certificate event --- */

static json_t *runtime_event(const char *name, const uint8_t *payload, size_t n)
{
    uint8_t t[4] = {0x01, 0x00, 0x00, 0x08}, d[48];
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned dl = 0;
    EVP_DigestInit_ex(md, EVP_sha384(), NULL);
    EVP_DigestUpdate(md, t, 4);
    EVP_DigestUpdate(md, ":", 1);
    EVP_DigestUpdate(md, name, strlen(name));
    EVP_DigestUpdate(md, ":", 1);
    EVP_DigestUpdate(md, payload, n);
    EVP_DigestFinal_ex(md, d, &dl);
    EVP_MD_CTX_free(md);
    char dh[97], *ph = malloc(2 * n + 1);
    for (int i = 0; i < 48; i++)
        snprintf(dh + 2 * i, 3, "%02x", d[i]);
    for (size_t i = 0; i < n; i++)
        snprintf(ph + 2 * i, 3, "%02x", payload[i]);
    ph[2 * n] = 0;
    json_t *e = json_pack("{s:i, s:i, s:s, s:s, s:s}", "imr", 3, "event_type", 0x08000001, "digest", dh, "event", name,
                          "event_payload", ph);
    free(ph);
    return e;
}

static const uint8_t k_cert_a[] = {0x30, 0x03, 0x02, 0x01, 0x0a};
static const uint8_t k_cert_b[] = {0x30, 0x03, 0x02, 0x01, 0x0b};

/* A bare dstack response whose quote (test PKI) binds a log with a
 * certificate event for k_cert_a and REPORTDATA = nonce; with `mrcfg`, also
 * app-id (20 x 0x11) and key-provider (kms, id abcd) events and that MRCONFIGID. */
static char *sim_response_cfg(const uint8_t nonce[64], const uint8_t *mrcfg, tp_output *out)
{
    json_t *log = json_array();
    uint8_t boot[48] = {1};
    char bh[97];
    for (int i = 0; i < 48; i++)
        snprintf(bh + 2 * i, 3, "%02x", boot[i]);
    json_array_append_new(log, json_pack("{s:i, s:I, s:s, s:s, s:s}", "imr", 0, "event_type", (json_int_t)0x80000001u,
                                         "digest", bh, "event", "", "event_payload", ""));
    uint8_t ch[32] = {7};
    json_array_append_new(log, runtime_event("compose-hash", ch, 32));
    if (mrcfg) {
        uint8_t app[20];
        memset(app, 0x11, 20);
        static const char kp[] = "{\"name\":\"kms\",\"id\":\"abcd\"}";
        json_array_append_new(log, runtime_event("app-id", app, 20));
        json_array_append_new(log, runtime_event("key-provider", (const uint8_t *)kp, strlen(kp)));
    }
    uint8_t h[32];
    char hh[65];
    SHA256(k_cert_a, sizeof k_cert_a, h);
    for (int i = 0; i < 32; i++)
        snprintf(hh + 2 * i, 3, "%02x", h[i]);
    json_array_append_new(log, runtime_event("New TLS Certificate", (const uint8_t *)hh, 64));
    char *log_text = json_dumps(log, JSON_COMPACT);
    json_decref(log);
    ratls_eventlog *l = NULL;
    char err[256] = "";
    ratls_status ps = ratls_eventlog_parse((const uint8_t *)log_text, strlen(log_text), &l, err, sizeof err);
    if (ps)
        fail_msg("synthetic log: %s", err);
    tp_scenario s;
    tp_scenario_default(&s, 1760000000);
    ratls_eventlog_replay(l, s.report.rtmr);
    memcpy(s.report.report_data, nonce, 64);
    if (mrcfg)
        memcpy(s.report.mr_config_id, mrcfg, 48);
    ratls_eventlog_free(l);
    assert_int_equal(tp_generate(&s, out), 0);
    char *qh = malloc(2 * out->quote_len + 1);
    for (size_t i = 0; i < out->quote_len; i++)
        snprintf(qh + 2 * i, 3, "%02x", out->quote[i]);
    json_t *resp = json_pack("{s:s, s:s}", "quote", qh, "event_log", log_text);
    char *text = json_dumps(resp, 0);
    json_decref(resp);
    free(qh);
    free(log_text);
    return text;
}

static char *sim_response(const uint8_t nonce[64], tp_output *out) { return sim_response_cfg(nonce, NULL, out); }

static ratls_status verify_sim(const char *resp, const tp_output *out, const uint8_t *cert, size_t cl,
                               const uint8_t nonce[64], ratls_result **r)
{
    ratls_evidence *ev = ratls_evidence_new();
    assert_int_equal(ratls_evidence_set_dstack_response(ev, (const uint8_t *)resp, strlen(resp), NULL, 0), RATLS_OK);
    assert_int_equal(ratls_evidence_set_tls_cert(ev, cert, cl), RATLS_OK);
    assert_int_equal(ratls_evidence_set_nonce(ev, nonce, 64), RATLS_OK);
    ratls_collateral *c = NULL;
    assert_int_equal(
        ratls_collateral_from_json((const uint8_t *)out->collateral_json, out->collateral_len, &c, NULL, 0), RATLS_OK);
    ratls_verifier *v = ratls_verifier_new();
    assert_int_equal(ratls_verifier_set_tdx_root_insecure(v, out->root_der, out->root_der_len), RATLS_OK);
    ratls_policy *p = ratls_policy_new();
    assert_int_equal(
        ratls_policy_expect_compose_hash(p, "0700000000000000000000000000000000000000000000000000000000000000"),
        RATLS_OK);
    ratls_status s = ratls_verify(v, ev, c, p, 1760000000, r);
    ratls_policy_free(p);
    ratls_verifier_free(v);
    ratls_collateral_free(c);
    ratls_evidence_free(ev);
    return s;
}

static void test_cert_binding_and_nonce(void **state)
{
    (void)state;
    uint8_t nonce[64], other[64];
    for (int i = 0; i < 64; i++) {
        nonce[i] = (uint8_t)i;
        other[i] = (uint8_t)(i + 1);
    }
    tp_output out;
    char *resp = sim_response(nonce, &out);
    ratls_result *r = NULL;
    /* the right certificate and challenge: every dstack check with an expectation passes */
    assert_int_equal(verify_sim(resp, &out, k_cert_a, sizeof k_cert_a, nonce, &r), RATLS_OK);
    expect_outcomes(r, "pppssps");
    ratls_result_free(r);
    /* another certificate (a man in the middle, or a rotated certificate) */
    assert_int_equal(verify_sim(resp, &out, k_cert_b, sizeof k_cert_b, nonce, &r), RATLS_ERR_CERT_BINDING);
    expect_outcomes(r, "ppfssps");
    ratls_result_free(r);
    /* a replayed response: made for another challenge */
    assert_int_equal(verify_sim(resp, &out, k_cert_a, sizeof k_cert_a, other, &r), RATLS_ERR_NONCE_MISMATCH);
    expect_outcomes(r, "fppssps");
    ratls_result_free(r);
    /* the certificate event removed from the log: the log no longer replays to RTMR3 */
    json_t *o = json_loads(resp, 0, NULL);
    json_t *log = json_loads(json_string_value(json_object_get(o, "event_log")), 0, NULL);
    json_array_remove(log, 2);
    char *lt = json_dumps(log, JSON_COMPACT);
    json_object_set_new(o, "event_log", json_string(lt));
    char *resp2 = json_dumps(o, 0);
    assert_int_equal(verify_sim(resp2, &out, k_cert_a, sizeof k_cert_a, nonce, &r), RATLS_ERR_EVENTLOG_REPLAY);
    expect_outcomes(r, "pffssfs");
    ratls_result_free(r);
    free(resp2);
    free(lt);
    json_decref(log);
    json_decref(o);
    free(resp);
    tp_output_free(&out);
}

/* MRCONFIGID, when the deployer set it, must carry the expected compose:
 * format 1 (the hash), format 2 (keccak256 over compose hash, app id,
 * key-provider kind and id; the value below is from the js-sha3 npm
 * package); anything else, or another value, fails app_compose. */
static void test_mr_config_id(void **state)
{
    (void)state;
    uint8_t nonce[64] = {0}, cfg[48];
    static const char v2[] = "77320967a9166b1dd0c63dab93200d48200157e9be1fa9663bfe0c366300ee2f";
    struct {
        uint8_t format;
        int tweak;
        ratls_status want;
    } cases[] = {
        {1, 0, RATLS_OK},
        {1, 1, RATLS_ERR_COMPOSE_HASH},
        {2, 0, RATLS_OK},
        {2, 1, RATLS_ERR_COMPOSE_HASH},
        {3, 0, RATLS_ERR_COMPOSE_HASH},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memset(cfg, 0, sizeof cfg);
        cfg[0] = cases[i].format;
        if (cases[i].format == 1)
            cfg[1] = 7; /* the compose hash 07 00 .. 00 */
        else if (cases[i].format == 2)
            for (int k = 0; k < 32; k++)
                sscanf(v2 + 2 * k, "%2hhx", &cfg[1 + k]);
        if (cases[i].tweak)
            cfg[20] ^= 1;
        tp_output out;
        char *resp = sim_response_cfg(nonce, cfg, &out);
        ratls_result *r = NULL;
        assert_int_equal(verify_sim(resp, &out, k_cert_a, sizeof k_cert_a, nonce, &r), cases[i].want);
        const char *d = NULL;
        ratls_check_outcome o;
        assert_true(ratls_result_find_check(r, "app_compose", &o, &d) >= 0);
        assert_int_equal(o, cases[i].want == RATLS_OK ? RATLS_CHECK_PASS : RATLS_CHECK_FAIL);
        if (cases[i].want == RATLS_OK)
            assert_non_null(strstr(d, "MRCONFIGID format"));
        ratls_result_free(r);
        free(resp);
        tp_output_free(&out);
    }
}

/* A bare quote (no dstack response) with a challenge, a certificate or dstack
 * expectations: the checks still run, none is silently dropped. */
static void test_bare_quote_not_fail_open(void **state)
{
    (void)state;
    tp_scenario s;
    tp_output out;
    tp_scenario_default(&s, 1760000000);
    memset(s.report.report_data, 0, 64);
    s.report.report_data[0] = 0x42;
    assert_int_equal(tp_generate(&s, &out), 0);
    ratls_collateral *c = NULL;
    assert_int_equal(ratls_collateral_from_json((const uint8_t *)out.collateral_json, out.collateral_len, &c, NULL, 0),
                     RATLS_OK);
    ratls_verifier *v = ratls_verifier_new();
    assert_int_equal(ratls_verifier_set_tdx_root_insecure(v, out.root_der, out.root_der_len), RATLS_OK);
    uint8_t right[1] = {0x42}, wrong[1] = {0x43};
    for (int k = 0; k < 4; k++) {
        ratls_evidence *ev = ratls_evidence_new();
        assert_int_equal(ratls_evidence_set_tdx_quote(ev, out.quote, out.quote_len), RATLS_OK);
        ratls_policy *p = ratls_policy_new();
        ratls_status want = RATLS_OK;
        const char *outcomes = NULL;
        if (k == 0) { /* the right challenge: passes, the rest is skipped */
            assert_int_equal(ratls_evidence_set_nonce(ev, right, 1), RATLS_OK);
            outcomes = "pssssss";
        } else if (k == 1) { /* a wrong challenge */
            assert_int_equal(ratls_evidence_set_nonce(ev, wrong, 1), RATLS_OK);
            want = RATLS_ERR_NONCE_MISMATCH;
            outcomes = "fssssss";
        } else if (k == 2) { /* a certificate but no log to bind it */
            assert_int_equal(ratls_evidence_set_tls_cert(ev, k_cert_a, sizeof k_cert_a), RATLS_OK);
            want = RATLS_ERR_CERT_BINDING;
            outcomes = "ssfssss";
        } else { /* an expected compose hash but no log */
            assert_int_equal(
                ratls_policy_expect_compose_hash(p, "0700000000000000000000000000000000000000000000000000000000000000"),
                RATLS_OK);
            want = RATLS_ERR_COMPOSE_HASH;
            outcomes = "ssssfs";
        }
        ratls_result *r = NULL;
        assert_int_equal(ratls_verify(v, ev, c, p, 1760000000, &r), want);
        if (k == 3) {
            ratls_check_outcome o;
            assert_true(ratls_result_find_check(r, "app_compose", &o, NULL) >= 0);
            assert_int_equal(o, RATLS_CHECK_FAIL);
        } else {
            expect_outcomes(r, outcomes);
        }
        ratls_result_free(r);
        ratls_policy_free(p);
        ratls_evidence_free(ev);
    }
    ratls_verifier_free(v);
    ratls_collateral_free(c);
    tp_output_free(&out);
}

static void test_policy_file(void **state)
{
    (void)state;
    const char *bad[] = {
        "[]",
        "{\"version\":2}",
        "{\"unknown\":1}",
        "{\"tcb\":{\"allowed_statuses\":[\"Fine\"]}}",
        "{\"tcb\":{\"allowed_statuses\":[]}}",
        "{\"tcb\":{\"colour\":1}}",
        "{\"bootchain\":{\"mrtd\":\"00\"}}",
        "{\"os_image_hash\":\"zz\"}",
        "{\"app_compose_hash\":5}",
        "{\"app_compose\":{\"name\":\"no runner\"}}",
        ("{\"app_compose\":{\"runner\":\"x\"},\"app_compose_hash\":"
         "\"0000000000000000000000000000000000000000000000000000000000000000\"}"),
        "{\"key_provider\":{\"name\":\"kms\"}}",
        "{\"insecure\":{\"allow_everything\":true}}",
        "{\"insecure\":{\"allow_debug_td\":1}}",
        "{\"require_all_checks\":\"yes\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ratls_policy *p = NULL;
        char err[256] = "";
        if (ratls_policy_from_json((const uint8_t *)bad[i], strlen(bad[i]), &p, err, sizeof err) == RATLS_OK)
            fail_msg("accepted: %s", bad[i]);
        assert_null(p);
        assert_true(err[0] != 0);
    }
    const char *good = "{\"version\":1,\"tcb\":{\"allowed_statuses\":[\"UpToDate\",\"SWHardeningNeeded\"],"
                       "\"deny_advisories\":[\"INTEL-SA-00615\"],\"min_evaluation_number\":17},"
                       "\"app_compose\":{\"runner\":\"docker-compose\",\"name\":\"x\"},"
                       "\"insecure\":{\"allow_debug_td\":true}}";
    ratls_policy *p = NULL;
    assert_int_equal(ratls_policy_from_json((const uint8_t *)good, strlen(good), &p, NULL, 0), RATLS_OK);
    assert_true(ratls_policy_flags(p) & RATLS_POLICY_ALLOW_DEBUG_TD_INSECURE);
    ratls_policy_free(p);
    assert_int_equal(ratls_policy_from_json((const uint8_t *)"{}", 2, &p, NULL, 0), RATLS_OK);
    ratls_policy_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_triple),  cmocka_unit_test(test_cert_binding_and_nonce),
        cmocka_unit_test(test_mr_config_id), cmocka_unit_test(test_bare_quote_not_fail_open),
        cmocka_unit_test(test_policy_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
