/* Real third-party TDX vectors at fixed times (../shared/vectors/tdx). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <jansson.h>

#include "vectors_util.h"

static int is_expired(ratls_status s)
{
    return s == RATLS_ERR_COLLATERAL_EXPIRED || s == RATLS_ERR_CRL_EXPIRED || s == RATLS_ERR_CERT_EXPIRED;
}
static int is_early(ratls_status s)
{
    return s == RATLS_ERR_COLLATERAL_NOT_YET_VALID || s == RATLS_ERR_CRL_NOT_YET_VALID ||
           s == RATLS_ERR_CERT_NOT_YET_VALID;
}

static ratls_collateral *load_coll(const char *rel)
{
    uint8_t *b;
    size_t n;
    char err[256] = "";
    ratls_collateral *c = NULL;
    assert_int_equal(vec_read(rel, &b, &n), 0);
    ratls_status s = ratls_collateral_from_json(b, n, &c, err, sizeof err);
    if (s)
        print_error("collateral %s: %s\n", rel, err);
    assert_int_equal(s, RATLS_OK);
    free(b);
    return c;
}

/* Every case of cases.tsv gives the verdict and TCB status written there. */
static void test_cases_tsv(void **state)
{
    (void)state;
    vec_case *cs = NULL;
    int n = vec_cases(&cs);
    if (n < 0)
        skip();
    assert_true(n >= 12);
    for (int i = 0; i < n; i++) {
        vec_case *c = &cs[i];
        uint8_t *q;
        size_t ql;
        assert_int_equal(vec_read_quote(c->quote, &q, &ql), 0);
        ratls_collateral *coll = load_coll(c->collateral);
        ratls_verifier *v = ratls_verifier_new();
        ratls_result *r = NULL;
        ratls_status s = vec_verify(v, q, ql, coll, NULL, c->time, &r);
        assert_non_null(r);
        const char *ts = ratls_result_tcb_status(r);
        printf("  %-28s -> %-26s tcb=%-18s %s\n", c->name, ratls_status_name(s), ts ? ts : "-",
               ratls_result_error(r) ? ratls_result_error(r) : "");
        assert_int_equal(ratls_result_verified(r), c->exit_code == 0);
        if (strcmp(c->expected, "UpToDate") == 0) {
            assert_int_equal(s, RATLS_OK);
            assert_string_equal(ts, "UpToDate");
            assert_int_equal(ratls_result_advisory_count(r), 0);
        } else if (strcmp(c->expected, "TCB_NOT_SUPPORTED") == 0) {
            assert_int_equal(s, RATLS_ERR_TCB_NOT_SUPPORTED);
            assert_string_equal(ts, "TCB_NOT_SUPPORTED");
        } else if (strcmp(c->expected, "collateral expired") == 0) {
            assert_true(is_expired(s));
        } else if (strcmp(c->expected, "collateral not yet valid") == 0) {
            assert_true(is_early(s));
        } else {
            fail_msg("unknown expectation \"%s\" in cases.tsv", c->expected);
        }
        ratls_result_free(r);
        ratls_verifier_free(v);
        ratls_collateral_free(coll);
        free(q);
    }
    free(cs);
}

/* For every accepted case: accepted exactly on [valid_from, expiry] and
 * rejected one second outside, by a fresh verifier and by one whose caches
 * were warmed inside the window (the caches must honour time). */
static void test_window_edges(void **state)
{
    (void)state;
    vec_case *cs = NULL;
    int n = vec_cases(&cs);
    if (n < 0)
        skip();
    int tried = 0;
    for (int i = 0; i < n; i++) {
        vec_case *c = &cs[i];
        if (c->exit_code != 0)
            continue;
        uint8_t *q;
        size_t ql;
        assert_int_equal(vec_read_quote(c->quote, &q, &ql), 0);
        ratls_collateral *coll = load_coll(c->collateral);
        ratls_verifier *warm = ratls_verifier_new();
        ratls_result *r = NULL;
        assert_int_equal(vec_verify(warm, q, ql, coll, NULL, c->time, &r), RATLS_OK);
        int64_t from = ratls_result_collateral_valid_from(r), to = ratls_result_collateral_expiry(r);
        assert_true(from > 0 && from <= c->time && c->time <= to);
        ratls_result_free(r);
        const int64_t at[4] = {from, to, from - 1, to + 1};
        for (int k = 0; k < 4; k++) {
            for (int fresh = 0; fresh < 2; fresh++) {
                ratls_verifier *v = fresh ? ratls_verifier_new() : warm;
                ratls_status s = vec_verify(v, q, ql, coll, NULL, at[k], &r);
                if (k < 2)
                    assert_int_equal(s, RATLS_OK);
                else if (k == 2)
                    assert_true(is_early(s));
                else
                    assert_true(is_expired(s));
                ratls_result_free(r);
                if (fresh)
                    ratls_verifier_free(v);
                tried++;
            }
        }
        ratls_verifier_free(warm);
        ratls_collateral_free(coll);
        free(q);
    }
    printf("  %d edge verifications\n", tried);
    assert_true(tried >= 16);
    free(cs);
}

/* Read "name: [ n, n, ... ]" from dcap-qvl's insta snapshot. */
static int snap_bytes(const char *snap, const char *name, uint8_t *out, size_t max)
{
    char key[64];
    snprintf(key, sizeof key, "%s: [", name);
    const char *p = strstr(snap, key);
    if (!p)
        return -1;
    p += strlen(key);
    size_t n = 0;
    while (*p && *p != ']') {
        if (*p >= '0' && *p <= '9') {
            long v = strtol(p, (char **)&p, 10);
            if (n >= max || v > 255)
                return -1;
            out[n++] = (uint8_t)v;
        } else {
            p++;
        }
    }
    return (int)n;
}

/* The parser agrees with dcap-qvl's parse of the same quote, field by field. */
static void test_parse_oracle(void **state)
{
    (void)state;
    uint8_t *q, *snap;
    size_t ql, sl;
    if (!vec_dir())
        skip();
    assert_int_equal(vec_read("tdx/dcap-qvl/tdx_quote", &q, &ql), 0);
    assert_int_equal(vec_read("tdx/dcap-qvl/verify_quote__could_parse_tdx_quote.snap", &snap, &sl), 0);
    ratls_tdx_quote *tq = NULL;
    assert_int_equal(ratls_tdx_quote_parse(q, ql, &tq, NULL, 0), RATLS_OK);
    const ratls_tdx_report *t = ratls_tdx_quote_report(tq);
    struct {
        const char *name;
        const uint8_t *field;
        size_t len;
    } f[] = {
        {"tee_tcb_svn", t->tee_tcb_svn, 16},
        {"mr_seam", t->mr_seam, 48},
        {"mr_signer_seam", t->mr_signer_seam, 48},
        {"seam_attributes", t->seam_attributes, 8},
        {"td_attributes", t->td_attributes, 8},
        {"xfam", t->xfam, 8},
        {"mr_td", t->mr_td, 48},
        {"mr_config_id", t->mr_config_id, 48},
        {"mr_owner", t->mr_owner, 48},
        {"mr_owner_config", t->mr_owner_config, 48},
        {"rt_mr0", t->rtmr[0], 48},
        {"rt_mr1", t->rtmr[1], 48},
        {"rt_mr2", t->rtmr[2], 48},
        {"rt_mr3", t->rtmr[3], 48},
        {"report_data", t->report_data, 64},
    };
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        uint8_t want[64];
        int n = snap_bytes((const char *)snap, f[i].name, want, sizeof want);
        assert_int_equal(n, (int)f[i].len);
        assert_memory_equal(want, f[i].field, f[i].len);
    }
    assert_int_equal(t->quote_version, 4);
    assert_int_equal(t->body_type, 2);
    char *json = NULL;
    assert_int_equal(ratls_tdx_quote_to_json(tq, &json), RATLS_OK);
    assert_non_null(strstr(json, "\"trailing_bytes\": 70"));
    ratls_free_string(json);
    ratls_tdx_quote_free(tq);
    free(q);
    free(snap);
}

static void expect_parse(const char *spec, uint16_t version, uint16_t body, size_t min_len)
{
    uint8_t *q;
    size_t ql;
    assert_int_equal(vec_read_quote(spec, &q, &ql), 0);
    assert_true(ql >= min_len);
    ratls_tdx_quote *tq = NULL;
    char err[256] = "";
    ratls_status s = ratls_tdx_quote_parse(q, ql, &tq, err, sizeof err);
    if (s)
        print_error("%s: %s\n", spec, err);
    assert_int_equal(s, RATLS_OK);
    assert_int_equal(ratls_tdx_quote_report(tq)->quote_version, version);
    assert_int_equal(ratls_tdx_quote_report(tq)->body_type, body);
    ratls_tdx_quote_free(tq);
    free(q);
}

/* Every real quote layout here parses: v4, v5 TD 1.0/1.5, hex with 0x,
 * trailing padding, Intel's synthetic sample. */
static void test_parse_all(void **state)
{
    (void)state;
    if (!vec_dir())
        skip();
    expect_parse("tdx/dcap-qvl/tdx_quote", 4, 2, 5006);
    expect_parse("tdx/dcap-qvl/tdx_quote_outdated", 5, 3, 5006);
    expect_parse("tdx/dcap-qvl/tdx-quote.hex", 4, 2, 4000);
    expect_parse("tdx/dcap-qvl/quote-from-tappd.hex", 4, 2, 4000);
    expect_parse("tdx/go-tdx-guest/quote_v5_sample.dat", 5, 3, 4000);
    expect_parse("tdx/go-tdx-guest/tdx_prod_quote_SPR_E4.dat", 4, 2, 4974);
    expect_parse("tdx/go-tdx-guest/ccel/cos-113-tdx-quote.dat", 4, 2, 8000);
    expect_parse("tdx/intel-qvl-sample-tdx/quote.dat", 4, 2, 3696);
    expect_parse("tdx/dstack/quote-report.json#quote", 4, 2, 4000);
    expect_parse("tdx/dstack/tdx-lite-getquote.json#quote", 4, 2, 4000);
    expect_parse("seeds/dstack/5a8064d4/quote.hex", 4, 2, 4000);
}

/* dstack "lite" quote: no collateral here matches it; it must be rejected. */
static void test_lite_rejected(void **state)
{
    (void)state;
    if (!vec_dir())
        skip();
    uint8_t *q;
    size_t ql;
    assert_int_equal(vec_read_quote("tdx/dstack/tdx-lite-getquote.json#quote", &q, &ql), 0);
    const char *colls[] = {"tdx/dcap-qvl/tdx_quote_collateral.json", "seeds/secureai/main-d73b2d0/collateral.json"};
    const int64_t at[] = {1751328000, 1764028800};
    for (int i = 0; i < 2; i++) {
        ratls_collateral *c = load_coll(colls[i]);
        ratls_verifier *v = ratls_verifier_new();
        ratls_result *r = NULL;
        ratls_status s = vec_verify(v, q, ql, c, NULL, at[i], &r);
        printf("  lite quote with %s: %s (%s)\n", colls[i], ratls_status_name(s), ratls_result_error(r));
        assert_int_not_equal(s, RATLS_OK);
        assert_false(ratls_result_verified(r));
        ratls_result_free(r);
        ratls_verifier_free(v);
        ratls_collateral_free(c);
    }
    free(q);
}

/* Only the pinned key is trusted: a different insecure root rejects real
 * evidence; Intel's own root passed as the "test root" still verifies. */
static void test_root_pinning(void **state)
{
    (void)state;
    if (!vec_dir())
        skip();
    uint8_t *q, *root, *other;
    size_t ql, rl, ol;
    assert_int_equal(vec_read("tdx/dcap-qvl/tdx_quote", &q, &ql), 0);
    assert_int_equal(vec_read("tdx/dcap-qvl/TrustedRootCA.der", &root, &rl), 0);
    assert_int_equal(vec_read("tdx/intel-qvl-sample-tdx/trustedRootCaCert.pem", &other, &ol), 0);
    ratls_collateral *c = load_coll("tdx/dcap-qvl/tdx_quote_collateral.json");
    ratls_verifier *v = ratls_verifier_new();
    ratls_result *r = NULL;
    assert_int_equal(ratls_verifier_set_tdx_root_insecure(v, other, ol), RATLS_OK);
    assert_int_equal(vec_verify(v, q, ql, c, NULL, 1752919234, &r), RATLS_ERR_UNTRUSTED_ROOT);
    assert_true(ratls_result_used_insecure_root(r));
    ratls_result_free(r);
    assert_int_equal(ratls_verifier_set_tdx_root_insecure(v, root, rl), RATLS_OK);
    assert_int_equal(vec_verify(v, q, ql, c, NULL, 1752919234, &r), RATLS_OK);
    ratls_result_free(r);
    ratls_verifier_free(v);
    ratls_collateral_free(c);
    free(q);
    free(root);
    free(other);
}

/* Policy on real evidence: denying nothing passes; a status set without
 * UpToDate rejects an UpToDate quote. */
static void test_policy_on_real(void **state)
{
    (void)state;
    if (!vec_dir())
        skip();
    uint8_t *q;
    size_t ql;
    assert_int_equal(vec_read_quote("tdx/dstack/quote-report.json#quote", &q, &ql), 0);
    ratls_collateral *c = load_coll("seeds/secureai/main-d73b2d0/collateral.json");
    ratls_verifier *v = ratls_verifier_new();
    ratls_policy *p = ratls_policy_new();
    ratls_result *r = NULL;
    assert_int_equal(ratls_policy_set_tcb_statuses(p, "OutOfDate"), RATLS_OK);
    assert_int_equal(vec_verify(v, q, ql, c, p, 1764028800, &r), RATLS_ERR_TCB_STATUS_REJECTED);
    assert_string_equal(ratls_result_tcb_status(r), "UpToDate");
    ratls_check_outcome o;
    assert_true(ratls_result_find_check(r, "tdx.tcb", &o, NULL) >= 0);
    assert_int_equal(o, RATLS_CHECK_FAIL);
    assert_true(ratls_result_find_check(r, "tdx.quote", &o, NULL) >= 0);
    assert_int_equal(o, RATLS_CHECK_PASS);
    ratls_result_free(r);
    /* minimum TCB evaluation data number: this collateral says 18 (TCB Info) */
    ratls_policy_free(p);
    p = ratls_policy_new();
    assert_int_equal(vec_verify(v, q, ql, c, p, 1764028800, &r), RATLS_OK);
    int64_t ev = ratls_result_tcb_evaluation_number(r);
    printf("  secureai collateral: tcbEvaluationDataNumber %lld\n", (long long)ev);
    assert_true(ev >= 17);
    ratls_result_free(r);
    ratls_policy_set_min_tcb_evaluation_number(p, (uint32_t)ev);
    assert_int_equal(vec_verify(v, q, ql, c, p, 1764028800, &r), RATLS_OK);
    ratls_result_free(r);
    ratls_policy_set_min_tcb_evaluation_number(p, (uint32_t)ev + 1);
    assert_int_equal(vec_verify(v, q, ql, c, p, 1764028800, &r), RATLS_ERR_TCB_EVALUATION_NUMBER);
    assert_true(ratls_result_find_check(r, "tdx.tcb", &o, NULL) >= 0);
    assert_int_equal(o, RATLS_CHECK_FAIL);
    assert_string_equal(ratls_result_tcb_status(r), "UpToDate");
    ratls_result_free(r);
    /* and unknown when the collateral did not verify (expired) */
    assert_int_not_equal(vec_verify(v, q, ql, c, p, 1767225600, &r), RATLS_OK);
    assert_int_equal(ratls_result_tcb_evaluation_number(r), -1);
    ratls_result_free(r);
    ratls_policy_free(p);
    ratls_verifier_free(v);
    ratls_collateral_free(c);
    free(q);
}

static ratls_status from_pcs_status(ratls_collateral **out, const char *dir, const char *pck_chain,
                                    const char *root_crl, const char *pck_crl, const char *tcb_chain,
                                    const char *tcb_body, const char *qe_chain, const char *qe_body)
{
    char p[7][256];
    const char *names[7] = {pck_chain, root_crl, pck_crl, tcb_chain, tcb_body, qe_chain, qe_body};
    uint8_t *b[7];
    size_t n[7];
    for (int i = 0; i < 7; i++) {
        snprintf(p[i], sizeof p[i], "%s/%s", dir, names[i]);
        assert_int_equal(vec_read(p[i], &b[i], &n[i]), 0);
    }
    ratls_collateral_parts parts = {
        .pck_crl_issuer_chain = (const char *)b[0],
        .root_ca_crl = b[1],
        .root_ca_crl_len = n[1],
        .pck_crl = b[2],
        .pck_crl_len = n[2],
        .tcb_info_issuer_chain = (const char *)b[3],
        .tcb_info_body = (const char *)b[4],
        .tcb_info_body_len = n[4],
        .qe_identity_issuer_chain = (const char *)b[5],
        .qe_identity_body = (const char *)b[6],
        .qe_identity_body_len = n[6],
    };
    char err[256] = "";
    ratls_status s = ratls_collateral_from_pcs(&parts, out, err, sizeof err);
    if (s)
        printf("  from_pcs %s: %s\n", dir, err);
    for (int i = 0; i < 7; i++)
        free(b[i]);
    return s;
}

/* Raw Intel PCS responses (go-tdx-guest's captures): the signed texts cut out
 * of the bodies are byte-identical to the ones in the repacked QuoteCollateralV3
 * file, and the verdict is the same. */
static void test_pcs_form(void **state)
{
    (void)state;
    if (!vec_dir())
        skip();
    ratls_collateral *pcs = NULL;
    ratls_status st = from_pcs_status(&pcs, "tdx/go-tdx-guest", "derived/SGX-PCK-CRL-Issuer-Chain.pem", "rootcrl.der",
                                      "pckcrl", "derived/TCB-Info-Issuer-Chain.pem", "sample_tcbInfo_response",
                                      "derived/SGX-Enclave-Identity-Issuer-Chain.pem", "sample_qeIdentity_response");
    assert_int_equal(st, RATLS_OK);
    ratls_collateral *v3 = load_coll("tdx/go-tdx-guest/derived/tdx_prod_quote_SPR_E4.collateral.dcap-qvl-format.json");
    char *a = NULL, *b = NULL;
    assert_int_equal(ratls_collateral_to_json(pcs, &a), RATLS_OK);
    assert_int_equal(ratls_collateral_to_json(v3, &b), RATLS_OK);
    json_t *ja = json_loads(a, 0, NULL), *jb = json_loads(b, 0, NULL);
    const char *keys[] = {"tcb_info", "tcb_info_signature", "qe_identity", "qe_identity_signature"};
    for (int i = 0; i < 4; i++)
        assert_string_equal(json_string_value(json_object_get(ja, keys[i])),
                            json_string_value(json_object_get(jb, keys[i])));
    json_decref(ja);
    json_decref(jb);
    ratls_free_string(a);
    ratls_free_string(b);
    uint8_t *q;
    size_t ql;
    assert_int_equal(vec_read("tdx/go-tdx-guest/tdx_prod_quote_SPR_E4.dat", &q, &ql), 0);
    ratls_collateral *cs[2] = {pcs, v3};
    for (int i = 0; i < 2; i++) {
        ratls_verifier *v = ratls_verifier_new();
        ratls_result *r = NULL;
        assert_int_equal(vec_verify(v, q, ql, cs[i], NULL, 1688173200, &r), RATLS_ERR_TCB_NOT_SUPPORTED);
        ratls_check_outcome o;
        assert_true(ratls_result_find_check(r, "tdx.quote.signature", &o, NULL) >= 0);
        assert_int_equal(o, RATLS_CHECK_PASS);
        ratls_result_free(r);
        ratls_verifier_free(v);
    }
    free(q);
    ratls_collateral_free(pcs);
    ratls_collateral_free(v3);
}

/* Intel's own synthetic TDX sample (QVL AttestationApp data, chained to
 * Intel's test root) has random TCB component SVNs such as 65473: real SVNs
 * are single bytes (the quote's TEE_TCB_SVN, the PCK extension's INTEGERs
 * 0..255), so the TCB Info is rejected as malformed instead of being
 * compared modulo 256. The quote itself parses. */
static void test_intel_sample(void **state)
{
    (void)state;
    if (!vec_dir())
        skip();
    ratls_collateral *c = NULL;
    assert_int_equal(from_pcs_status(&c, "tdx/intel-qvl-sample-tdx", "pckSignChain.pem", "rootCaCrl.der",
                                     "intermediateCaCrl.der", "tcbSignChain.pem", "tcbInfo.json", "tcbSignChain.pem",
                                     "qeIdentity.json"),
                     RATLS_ERR_TCB_INFO_FORMAT);
    assert_null(c);
    expect_parse("tdx/intel-qvl-sample-tdx/quote.dat", 4, 2, 3696);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases_tsv),      cmocka_unit_test(test_window_edges),
        cmocka_unit_test(test_parse_oracle),   cmocka_unit_test(test_parse_all),
        cmocka_unit_test(test_lite_rejected),  cmocka_unit_test(test_root_pinning),
        cmocka_unit_test(test_policy_on_real), cmocka_unit_test(test_pcs_form),
        cmocka_unit_test(test_intel_sample),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
