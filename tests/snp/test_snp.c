/* AMD SEV-SNP: real vectors (../shared/vectors/snp) at fixed times, mutations
 * of a real report, and a self-made AMD-like PKI for the negative paths that
 * real data cannot reach (other TCB, other chip, forged chains, policy). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "../tdx/vectors_util.h"
#include "base/reader.h"
#include "snp/snp.h"
#include "snp_synth.h"

#define T_NOW 1780000000 /* 2026-05-28: inside every real VCEK's window */

/* ---------------- real vectors ---------------- */

/* The verifier with the certificates as separate buffers and no CRL. */
static ratls_status snpv(const uint8_t *r, size_t rl, const uint8_t *v, size_t vl, const uint8_t *c, size_t cl,
                         ratls_snp_product hint, const ratls_snp_policy *pol, int64_t at, ratls_result **res)
{
    ratls_snp_collateral_parts parts = {v, vl, c, cl, NULL, 0};
    return ratls_snp_verify(r, rl, &parts, hint, pol, at, res);
}

static ratls_status snpv_pinned(const uint8_t *r, size_t rl, const uint8_t *v, size_t vl, const uint8_t *c, size_t cl,
                                ratls_snp_product hint, const ratls_snp_policy *pol, int64_t at, const uint8_t *pin,
                                ratls_result **res)
{
    ratls_snp_collateral_parts parts = {v, vl, c, cl, NULL, 0};
    return snp_verify_pinned(r, rl, &parts, hint, pol, at, pin, res);
}

#define MS "microsoft-TEE-Attestation-Verification/"
#define GT "google-go-sev-guest/verify/trust/"

static const char *chain_for(ratls_snp_product p)
{
    switch (p) {
    case RATLS_SNP_PRODUCT_MILAN:
        return GT "ask_ark_milan.pem";
    case RATLS_SNP_PRODUCT_GENOA:
        return GT "ask_ark_genoa.pem";
    case RATLS_SNP_PRODUCT_TURIN:
        return GT "ask_ark_turin_vcek.pem";
    case RATLS_SNP_PRODUCT_UNKNOWN:
    default:
        return NULL;
    }
}

static ratls_status verify_files(const char *rep, const char *vcek, const char *chain, ratls_snp_product hint,
                                 const ratls_snp_policy *pol, int64_t at, ratls_result **res)
{
    uint8_t *r, *v, *c;
    size_t rl, vl, cl;
    assert_int_equal(vec_read(rep, &r, &rl), 0);
    assert_int_equal(vec_read(vcek, &v, &vl), 0);
    assert_int_equal(vec_read(chain, &c, &cl), 0);
    ratls_status s = snpv(r, rl, v, vl, c, cl, hint, pol, at, res);
    free(r);
    free(v);
    free(c);
    return s;
}

static ratls_snp_policy *policy_insecure_crl(unsigned extra_flags, unsigned vmpl)
{
    ratls_snp_policy *p = ratls_snp_policy_new();
    assert_non_null(p);
    ratls_snp_policy_set_flags(p, RATLS_SNP_SKIP_REVOCATION_INSECURE | extra_flags);
    assert_int_equal(ratls_snp_policy_set_vmpl(p, vmpl), RATLS_OK);
    return p;
}

static int check_is(const ratls_result *r, const char *id, ratls_check_outcome want)
{
    ratls_check_outcome o;
    const char *d;
    return ratls_result_find_check(r, id, &o, &d) >= 0 && o == want;
}

/* Every case of snp/cases.tsv gives the exit code written there (revocation
 * skipped: no CRL in the vectors). The blyss reports come from VMPL 1. */
static void test_cases_tsv(void **state)
{
    (void)state;
    uint8_t *tsv = NULL;
    size_t n = 0;
    if (!vec_dir() || vec_read("snp/cases.tsv", &tsv, &n) != 0)
        skip();
    int cases = 0;
    char *save = NULL;
    for (char *line = strtok_r((char *)tsv, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#' || !line[0])
            continue;
        char name[64], rep[256], vcek[256], hint[16];
        long long at;
        int exit_code;
        assert_int_equal(
            sscanf(line, "%63[^\t]\t%255[^\t]\t%255[^\t]\t%15[^\t]\t%lld\t%d", name, rep, vcek, hint, &at, &exit_code),
            6);
        char rrel[300], vrel[300];
        snprintf(rrel, sizeof rrel, "snp/%s", rep);
        snprintf(vrel, sizeof vrel, "snp/%s", vcek);
        ratls_snp_product p = ratls_snp_product_from_name(hint);
        if (p == RATLS_SNP_PRODUCT_UNKNOWN) { /* v3+: from the report's CPUID */
            uint8_t *b;
            size_t bl;
            ratls_snp_report *sr = NULL;
            assert_int_equal(vec_read(rrel, &b, &bl), 0);
            assert_int_equal(ratls_snp_report_parse(b, bl, &sr, NULL, 0), RATLS_OK);
            p = ratls_snp_report_product(sr);
            ratls_snp_report_free(sr);
            free(b);
        }
        char crel[300];
        snprintf(crel, sizeof crel, "snp/%s", chain_for(p));
        ratls_snp_policy *pol = policy_insecure_crl(0, strncmp(name, "blyss-genoa-v2", 14) == 0 ? 1 : 0);
        ratls_result *res = NULL;
        ratls_status s = verify_files(rrel, vrel, crel, ratls_snp_product_from_name(hint), pol, (int64_t)at, &res);
        assert_non_null(res);
        int got = ratls_result_verified(res) ? 0 : 1;
        if (got != exit_code)
            print_error("%s: expected exit %d, got %d (%s)\n", name, exit_code, got, ratls_result_error(res));
        assert_int_equal(got, exit_code);
        assert_int_equal(s == RATLS_OK, exit_code == 0);
        if (strcmp(name, "gosev-milan-v2-debug") == 0) { /* only the policy fails */
            assert_int_equal(s, RATLS_ERR_SNP_POLICY);
            assert_true(check_is(res, "snp.chain", RATLS_CHECK_PASS));
            assert_true(check_is(res, "snp.signature", RATLS_CHECK_PASS));
            assert_true(check_is(res, "snp.tcb", RATLS_CHECK_PASS));
            ratls_result_free(res);
            ratls_snp_policy_set_flags(pol, RATLS_SNP_SKIP_REVOCATION_INSECURE | RATLS_SNP_ALLOW_DEBUG_INSECURE);
            res = NULL;
            assert_int_equal(verify_files(rrel, vrel, crel, RATLS_SNP_PRODUCT_MILAN, pol, (int64_t)at, &res), RATLS_OK);
        }
        if (strstr(name, "not-yet-valid"))
            assert_int_equal(s, RATLS_ERR_CERT_NOT_YET_VALID);
        ratls_result_free(res);
        ratls_snp_policy_free(pol);
        cases++;
    }
    free(tsv);
    assert_true(cases >= 8);
}

/* No CRL given: without the explicit insecure switch the verdict fails
 * closed on snp.crl. */
static void test_crl_fails_closed(void **state)
{
    (void)state;
    if (!vec_dir())
        skip();
    ratls_result *res = NULL;
    ratls_status s = verify_files("snp/" MS "tests/test_data/milan_attestation_report.bin",
                                  "snp/" MS "tests/test_data/milan_vcek.pem", "snp/" GT "ask_ark_milan.pem",
                                  RATLS_SNP_PRODUCT_UNKNOWN, NULL, T_NOW, &res);
    assert_int_equal(s, RATLS_ERR_COLLATERAL_UNAVAILABLE);
    assert_true(check_is(res, "snp.crl", RATLS_CHECK_FAIL));
    assert_true(check_is(res, "snp.signature", RATLS_CHECK_PASS));
    assert_false(ratls_result_verified(res));
    ratls_result_free(res);
}

/* The MS ASK + pinned ARK as separate PEMs; the KDS bundle for another product. */
static void test_real_chain_variants(void **state)
{
    (void)state;
    if (!vec_dir())
        skip();
    uint8_t *ask, *ark;
    size_t askl, arkl;
    assert_int_equal(vec_read("snp/" MS "tests/test_data/turin_ask.pem", &ask, &askl), 0);
    assert_int_equal(vec_read("snp/" MS "src/pinned_arks/turin_ark.pem", &ark, &arkl), 0);
    uint8_t *both = malloc(askl + arkl);
    assert_non_null(both);
    memcpy(both, ask, askl);
    memcpy(both + askl, ark, arkl);
    uint8_t *r, *v;
    size_t rl, vl;
    assert_int_equal(vec_read("snp/" MS "tests/test_data/turin_attestation_report.bin", &r, &rl), 0);
    assert_int_equal(vec_read("snp/" MS "tests/test_data/turin_vcek.pem", &v, &vl), 0);
    ratls_snp_policy *pol = policy_insecure_crl(0, 0);
    ratls_result *res = NULL;
    assert_int_equal(snpv(r, rl, v, vl, both, askl + arkl, RATLS_SNP_PRODUCT_UNKNOWN, pol, T_NOW, &res), RATLS_OK);
    ratls_result_free(res);
    /* ASK alone: no pinned ARK among the certificates */
    res = NULL;
    assert_int_equal(snpv(r, rl, v, vl, ask, askl, RATLS_SNP_PRODUCT_UNKNOWN, pol, T_NOW, &res),
                     RATLS_ERR_UNTRUSTED_ROOT);
    ratls_result_free(res);
    /* the Turin report with a Turin hint that contradicts nothing, then a wrong hint */
    res = NULL;
    assert_int_equal(snpv(r, rl, v, vl, both, askl + arkl, RATLS_SNP_PRODUCT_GENOA, pol, T_NOW, &res),
                     RATLS_ERR_CERT_CHAIN);
    ratls_result_free(res);
    /* the Genoa KDS bundle for a Turin report */
    uint8_t *g;
    size_t gl;
    assert_int_equal(vec_read("snp/" GT "ask_ark_genoa.pem", &g, &gl), 0);
    res = NULL;
    assert_int_equal(snpv(r, rl, v, vl, g, gl, RATLS_SNP_PRODUCT_UNKNOWN, pol, T_NOW, &res), RATLS_ERR_UNTRUSTED_ROOT);
    ratls_result_free(res);
    /* the virtee Turin VCEK (another chip): chain ok, signature fails */
    uint8_t *ov = NULL;
    size_t ovl = 0;
    if (vec_read("snp/virtee-sev/tests/certs_data/vcek_turin.der", &ov, &ovl) == 0) {
        res = NULL;
        assert_int_equal(snpv(r, rl, ov, ovl, both, askl + arkl, RATLS_SNP_PRODUCT_UNKNOWN, pol, T_NOW, &res),
                         RATLS_ERR_SNP_REPORT_SIGNATURE);
        assert_true(check_is(res, "snp.chain", RATLS_CHECK_PASS));
        ratls_result_free(res);
        free(ov);
    }
    ratls_snp_policy_free(pol);
    free(g);
    free(r);
    free(v);
    free(ask);
    free(ark);
    free(both);
}

/* Every proper prefix, and one byte more, is rejected without a crash. */
static void test_truncations(void **state)
{
    (void)state;
    uint8_t *r = NULL;
    size_t rl = 0;
    if (!vec_dir() || vec_read("snp/" MS "tests/test_data/turin_attestation_report.bin", &r, &rl) != 0)
        skip();
    assert_int_equal(rl, RATLS_SNP_REPORT_LEN);
    for (size_t n = 0; n < rl; n++) {
        uint8_t *cp = malloc(n ? n : 1); /* exact size: ASan sees any overread */
        assert_non_null(cp);
        memcpy(cp, r, n);
        ratls_snp_report *sr = NULL;
        assert_int_equal(ratls_snp_report_parse(cp, n, &sr, NULL, 0), RATLS_ERR_SNP_REPORT_FORMAT);
        assert_null(sr);
        free(cp);
    }
    uint8_t *big = calloc(1, rl + 1);
    assert_non_null(big);
    memcpy(big, r, rl);
    ratls_snp_report *sr = NULL;
    assert_int_equal(ratls_snp_report_parse(big, rl + 1, &sr, NULL, 0), RATLS_ERR_SNP_REPORT_FORMAT);
    free(big);
    free(r);
}

/* Flipping any bit of the signed region or of the signature breaks the
 * report: a format error (reserved byte, version, policy) or the signature. */
static void test_flips(void **state)
{
    (void)state;
    uint8_t *r = NULL, *v = NULL, *c = NULL;
    size_t rl = 0, vl = 0, cl = 0;
    if (!vec_dir() || vec_read("snp/" MS "tests/test_data/milan_attestation_report.bin", &r, &rl) != 0)
        skip();
    assert_int_equal(vec_read("snp/" MS "tests/test_data/milan_vcek.pem", &v, &vl), 0);
    assert_int_equal(vec_read("snp/" GT "ask_ark_milan.pem", &c, &cl), 0);
    ratls_snp_policy *pol = policy_insecure_crl(RATLS_SNP_ALLOW_DEBUG_INSECURE | RATLS_SNP_ALLOW_MIGRATE_MA, 0);
    int nsig = 0, nfmt = 0;
    for (size_t off = 0; off < 0x330; off++) {
        for (unsigned bit = 0; bit < 8; bit += 7) {
            r[off] ^= (uint8_t)(1u << bit);
            ratls_result *res = NULL;
            ratls_status s = snpv(r, rl, v, vl, c, cl, RATLS_SNP_PRODUCT_UNKNOWN, pol, T_NOW, &res);
            r[off] ^= (uint8_t)(1u << bit);
            assert_non_null(res);
            assert_false(ratls_result_verified(res));
            if (s == RATLS_ERR_SNP_REPORT_SIGNATURE)
                nsig++;
            else if (s == RATLS_ERR_SNP_REPORT_FORMAT)
                nfmt++;
            else if (!(off == 0x188 || off == 0x189)) /* CPUID: another product's pin */
                fail_msg("flip at 0x%zx bit %u: %s", off, bit, ratls_status_name(s));
            ratls_result_free(res);
        }
    }
    assert_true(nsig > 1000);
    assert_true(nfmt > 100);
    ratls_result *res = NULL;
    assert_int_equal(snpv(r, rl, v, vl, c, cl, RATLS_SNP_PRODUCT_UNKNOWN, pol, T_NOW, &res), RATLS_OK);
    ratls_result_free(res);
    /* a flipped byte in the VCEK's signed part (the virtee test flips byte 40) */
    uint8_t *der = NULL;
    X509 *x = NULL;
    {
        BIO *b = BIO_new_mem_buf(v, (int)vl);
        x = PEM_read_bio_X509(b, NULL, NULL, NULL);
        BIO_free(b);
    }
    assert_non_null(x);
    int dl = i2d_X509(x, &der);
    assert_true(dl > 100);
    der[40] ^= 1;
    res = NULL;
    assert_int_not_equal(snpv(r, rl, der, (size_t)dl, c, cl, RATLS_SNP_PRODUCT_UNKNOWN, pol, T_NOW, &res), RATLS_OK);
    assert_true(check_is(res, "snp.chain", RATLS_CHECK_FAIL));
    ratls_result_free(res);
    OPENSSL_free(der);
    X509_free(x);
    ratls_snp_policy_free(pol);
    free(r);
    free(v);
    free(c);
}

/* Parsing every real report: versions, products and a few fields. */
static void test_parse_real(void **state)
{
    (void)state;
    static const struct {
        const char *rel;
        uint32_t version;
        ratls_snp_product product;
        uint64_t tcb;
    } k[] = {
        {"snp/google-go-sev-guest/verify/testdata/attestation.bin", 2, RATLS_SNP_PRODUCT_UNKNOWN,
         0x4405000000000002ull},
        {"snp/" MS "tests/test_data/milan_attestation_report.bin", 3, RATLS_SNP_PRODUCT_MILAN, 0xdb18000000000004ull},
        {"snp/" MS "tests/test_data/turin_attestation_report.bin", 5, RATLS_SNP_PRODUCT_TURIN, 0x5100000004010101ull},
        {"snp/blyssprivacy-verifier/derived/test_full_attestation.report.bin", 2, RATLS_SNP_PRODUCT_UNKNOWN,
         0x3e0b000000000007ull},
    };
    if (!vec_dir())
        skip();
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
        uint8_t *b;
        size_t n;
        assert_int_equal(vec_read(k[i].rel, &b, &n), 0);
        ratls_snp_report *r = NULL;
        char err[256] = "";
        assert_int_equal(ratls_snp_report_parse(b, n, &r, err, sizeof err), RATLS_OK);
        assert_int_equal(r->version, k[i].version);
        assert_int_equal(ratls_snp_report_product(r), k[i].product);
        assert_int_equal(r->reported_tcb, k[i].tcb);
        char *j = NULL;
        assert_int_equal(ratls_snp_report_to_json(r, &j), RATLS_OK);
        assert_non_null(strstr(j, "\"measurement\""));
        if (k[i].version == 5) {
            assert_int_equal(r->launch_mit_vector, 0x3f);
            assert_int_equal(r->current_mit_vector, 0x3f);
            assert_int_equal(r->platform_info, 0x65);
        }
        free(j);
        ratls_snp_report_free(r);
        free(b);
    }
}

/* ---------------- a self-made AMD-like PKI (snp_synth.c) ---------------- */

static ratls_status synth_verify(synth *s, const ratls_snp_policy *pol, ratls_result **res)
{
    return snpv_pinned(s->report, sizeof s->report, s->vek_der, s->vek_len, s->chain_pem, s->chain_len,
                       RATLS_SNP_PRODUCT_UNKNOWN, pol, 1700000000, s->pin, res);
}

static void expect_synth(const synth_opts *o, const ratls_snp_policy *pol, ratls_status want, const char *check)
{
    synth s;
    synth_build(&s, o);
    ratls_result *res = NULL;
    ratls_status got = synth_verify(&s, pol, &res);
    if (got != want)
        print_error("expected %s, got %s (%s)\n", ratls_status_name(want), ratls_status_name(got),
                    ratls_result_error(res));
    assert_int_equal(got, want);
    if (check)
        assert_true(check_is(res, check, want == RATLS_OK ? RATLS_CHECK_PASS : RATLS_CHECK_FAIL));
    ratls_result_free(res);
    synth_free(&s);
}

static void test_synth_tcb(void **state)
{
    (void)state;
    ratls_snp_policy *pol = policy_insecure_crl(0, 0);
    synth_opts o;
    for (int p = RATLS_SNP_PRODUCT_MILAN; p <= RATLS_SNP_PRODUCT_TURIN; p++) {
        synth_opts_default(&o, (ratls_snp_product)p);
        expect_synth(&o, pol, RATLS_OK, "snp.tcb");
        for (unsigned b = 0; b < 8; b++) { /* each byte of the TCB in the VCEK */
            synth_opts_default(&o, (ratls_snp_product)p);
            o.spl_tcb[b] ^= 0x04;
            snp_tcb a, c;
            uint64_t x = 0, y = 0;
            for (unsigned i = 0; i < 8; i++) {
                x |= (uint64_t)o.tcb[i] << (8 * i);
                y |= (uint64_t)o.spl_tcb[i] << (8 * i);
            }
            snp_tcb_split(x, (ratls_snp_product)p, &a);
            snp_tcb_split(y, (ratls_snp_product)p, &c);
            int differs = memcmp(&a, &c, sizeof a) != 0; /* reserved bytes have no extension */
            expect_synth(&o, pol, differs ? RATLS_ERR_SNP_TCB_MISMATCH : RATLS_OK, "snp.tcb");
        }
        synth_opts_default(&o, (ratls_snp_product)p);
        o.hwid[3] ^= 1; /* another chip */
        expect_synth(&o, pol, RATLS_ERR_SNP_TCB_MISMATCH, "snp.tcb");
        synth_opts_default(&o, (ratls_snp_product)p);
        memset(o.chip_id, 0, 64); /* masked CHIP_ID: HWID not compared */
        expect_synth(&o, pol, RATLS_OK, "snp.tcb");
    }
    synth_opts_default(&o, RATLS_SNP_PRODUCT_TURIN);
    o.chip_id[20] = 1; /* Turin: bytes 8..63 of CHIP_ID must be zero */
    expect_synth(&o, pol, RATLS_ERR_SNP_TCB_MISMATCH, "snp.tcb");
    ratls_snp_policy_free(pol);
}

static void test_synth_policy(void **state)
{
    (void)state;
    ratls_snp_policy *pol = policy_insecure_crl(0, 0);
    synth_opts o;
    synth_opts_default(&o, RATLS_SNP_PRODUCT_GENOA);
    o.policy |= 1ull << 19;
    expect_synth(&o, pol, RATLS_ERR_SNP_POLICY, "snp.policy");
    ratls_snp_policy_set_flags(pol, RATLS_SNP_SKIP_REVOCATION_INSECURE | RATLS_SNP_ALLOW_DEBUG_INSECURE);
    expect_synth(&o, pol, RATLS_OK, "snp.policy");
    ratls_snp_policy_set_flags(pol, RATLS_SNP_SKIP_REVOCATION_INSECURE);
    synth_opts_default(&o, RATLS_SNP_PRODUCT_GENOA);
    o.policy |= 1ull << 18;
    expect_synth(&o, pol, RATLS_ERR_SNP_POLICY, "snp.policy");
    ratls_snp_policy_set_flags(pol, RATLS_SNP_SKIP_REVOCATION_INSECURE | RATLS_SNP_ALLOW_MIGRATE_MA);
    expect_synth(&o, pol, RATLS_OK, "snp.policy");
    ratls_snp_policy_set_flags(pol, RATLS_SNP_SKIP_REVOCATION_INSECURE);
    synth_opts_default(&o, RATLS_SNP_PRODUCT_GENOA);
    o.vmpl = 2;
    expect_synth(&o, pol, RATLS_ERR_SNP_POLICY, "snp.policy");
    assert_int_equal(ratls_snp_policy_set_vmpl(pol, 2), RATLS_OK);
    expect_synth(&o, pol, RATLS_OK, "snp.policy");
    assert_int_equal(ratls_snp_policy_set_vmpl(pol, 4), RATLS_ERR_INVALID_ARGUMENT);
    assert_int_equal(ratls_snp_policy_set_vmpl(pol, 0), RATLS_OK);
    synth_opts_default(&o, RATLS_SNP_PRODUCT_GENOA);
    o.policy |= 0x0105; /* ABI 1.5 */
    ratls_snp_policy_set_min_abi(pol, 1, 6);
    expect_synth(&o, pol, RATLS_ERR_SNP_POLICY, "snp.policy");
    ratls_snp_policy_set_min_abi(pol, 1, 5);
    expect_synth(&o, pol, RATLS_OK, "snp.policy");
    uint8_t m[48];
    memset(m, 0x11, sizeof m);
    assert_int_equal(ratls_snp_policy_expect_measurement(pol, m, sizeof m), RATLS_OK);
    expect_synth(&o, pol, RATLS_OK, "snp.measurement");
    m[47] ^= 1;
    assert_int_equal(ratls_snp_policy_expect_measurement(pol, m, sizeof m), RATLS_OK);
    expect_synth(&o, pol, RATLS_ERR_SNP_POLICY, "snp.measurement");
    uint8_t rd[64];
    memset(rd, 0x5A, sizeof rd);
    m[47] ^= 1;
    assert_int_equal(ratls_snp_policy_expect_measurement(pol, m, sizeof m), RATLS_OK);
    assert_int_equal(ratls_snp_policy_expect_report_data(pol, rd, sizeof rd), RATLS_OK);
    expect_synth(&o, pol, RATLS_OK, "snp.policy");
    rd[0] = 0;
    assert_int_equal(ratls_snp_policy_expect_report_data(pol, rd, sizeof rd), RATLS_OK);
    expect_synth(&o, pol, RATLS_ERR_SNP_POLICY, "snp.policy");
    ratls_snp_policy_free(pol);
}

/* A self-made chain whose ARK has the real ARK's name but another key is
 * refused under the library's own pins (go-sev-guest issue 185 class); the
 * same chain with its own key pinned is accepted, so the pin is what refuses it. */
/* A copy of x with the last byte of its signature flipped */
static X509 *broken_signature(X509 *x)
{
    unsigned char *d = NULL;
    int n = i2d_X509(x, &d);
    assert_true(n > 10);
    d[n - 1] ^= 1; /* inside the signature */
    const unsigned char *p = d;
    X509 *bad = d2i_X509(NULL, &p, n);
    assert_non_null(bad);
    OPENSSL_free(d);
    return bad;
}

/* a and b as one PEM chain, in a memory BIO that owns *pem */
static BIO *pem_chain2(X509 *a, X509 *b, char **pem, size_t *len)
{
    BIO *bio = BIO_new(BIO_s_mem());
    assert_true(bio && PEM_write_bio_X509(bio, a) && PEM_write_bio_X509(bio, b));
    long l = BIO_get_mem_data(bio, pem);
    assert_true(l > 0);
    *len = (size_t)l;
    return bio;
}

static void test_forged_ark(void **state)
{
    (void)state;
    synth_opts o;
    synth_opts_default(&o, RATLS_SNP_PRODUCT_MILAN);
    o.ark_cn = "ARK-Milan";
    synth s;
    synth_build(&s, &o);
    ratls_snp_policy *pol = policy_insecure_crl(0, 0);
    ratls_result *res = NULL;
    assert_int_equal(snpv(s.report, sizeof s.report, s.vek_der, s.vek_len, s.chain_pem, s.chain_len,
                          RATLS_SNP_PRODUCT_UNKNOWN, pol, 1700000000, &res),
                     RATLS_ERR_UNTRUSTED_ROOT);
    assert_true(check_is(res, "snp.chain", RATLS_CHECK_FAIL));
    ratls_result_free(res);
    res = NULL;
    assert_int_equal(synth_verify(&s, pol, &res), RATLS_OK);
    ratls_result_free(res);
    /* outside the validity window */
    res = NULL;
    assert_int_equal(snpv_pinned(s.report, sizeof s.report, s.vek_der, s.vek_len, s.chain_pem, s.chain_len,
                                 RATLS_SNP_PRODUCT_UNKNOWN, pol, 2000000001, s.pin, &res),
                     RATLS_ERR_CERT_EXPIRED);
    ratls_result_free(res);
    /* the VCEK signed by the ARK directly: not VCEK <- ASK <- ARK */
    X509 *direct = synth_mk_cert("SEV-VCEK", s.ark, s.ark_key, s.vek_key, 0, 1600000000, 2000000000);
    synth_sign_cert(direct, s.ark_key);
    unsigned char *dd = NULL;
    int dn = i2d_X509(direct, &dd);
    res = NULL;
    assert_int_not_equal(snpv_pinned(s.report, sizeof s.report, dd, (size_t)dn, s.chain_pem, s.chain_len,
                                     RATLS_SNP_PRODUCT_UNKNOWN, pol, 1700000000, s.pin, &res),
                         RATLS_OK);
    assert_true(check_is(res, "snp.chain", RATLS_CHECK_FAIL));
    ratls_result_free(res);
    OPENSSL_free(dd);
    X509_free(direct);

    /* the pinned ARK with a broken self-signature */
    X509 *bad_ark = broken_signature(s.ark);
    char *bp;
    size_t bl;
    BIO *bb = pem_chain2(s.ask, bad_ark, &bp, &bl);
    res = NULL;
    assert_int_equal(snpv_pinned(s.report, sizeof s.report, s.vek_der, s.vek_len, (const uint8_t *)bp, bl,
                                 RATLS_SNP_PRODUCT_UNKNOWN, pol, 1700000000, s.pin, &res),
                     RATLS_ERR_CERT_CHAIN);
    ratls_result_free(res);
    BIO_free(bb);
    X509_free(bad_ark);
    /* a VCEK that claims to be a CA */
    X509 *ca_vek = synth_mk_cert("SEV-VCEK", s.ask, s.ask_key, s.vek_key, 1, 1600000000, 2000000000);
    synth_sign_cert(ca_vek, s.ask_key);
    unsigned char *cd = NULL;
    int cn = i2d_X509(ca_vek, &cd);
    res = NULL;
    assert_int_equal(snpv_pinned(s.report, sizeof s.report, cd, (size_t)cn, s.chain_pem, s.chain_len,
                                 RATLS_SNP_PRODUCT_UNKNOWN, pol, 1700000000, s.pin, &res),
                     RATLS_ERR_CERT_CHAIN);
    ratls_result_free(res);
    OPENSSL_free(cd);
    X509_free(ca_vek);

    /* with the real Milan chain: the real ASK under a forged ARK named ARK-Milan */
    uint8_t *ask = NULL;
    size_t askl = 0;
    if (vec_dir() && vec_read("snp/" MS "tests/test_data/milan_ask.pem", &ask, &askl) == 0) {
        BIO *b = BIO_new(BIO_s_mem());
        assert_true(b && BIO_write(b, ask, (int)askl) == (int)askl && PEM_write_bio_X509(b, s.ark));
        char *p;
        long pl = BIO_get_mem_data(b, &p);
        res = NULL;
        assert_int_equal(snpv(s.report, sizeof s.report, s.vek_der, s.vek_len, (const uint8_t *)p, (size_t)pl,
                              RATLS_SNP_PRODUCT_UNKNOWN, pol, 1700000000, &res),
                         RATLS_ERR_UNTRUSTED_ROOT);
        ratls_result_free(res);
        BIO_free(b);
        free(ask);
    }
    ratls_snp_policy_free(pol);
    synth_free(&s);
}

/* Parsed ASK/ARK chains are kept process-wide by their bytes
 * (snp_load_chain); a kept chain is still verified on every use: a chain
 * whose ASK signature is broken fails every time, also after the good chain
 * and itself were kept, and the good one keeps passing. */
static void test_chain_parse_cache(void **state)
{
    (void)state;
    synth_opts o;
    synth_opts_default(&o, RATLS_SNP_PRODUCT_MILAN);
    synth s;
    synth_build(&s, &o);
    ratls_snp_policy *pol = policy_insecure_crl(0, 0);
    X509 *bad_ask = broken_signature(s.ask);
    char *bad;
    size_t bl;
    BIO *b = pem_chain2(bad_ask, s.ark, &bad, &bl);
    for (int round = 0; round < 3; round++) {
        ratls_result *res = NULL;
        assert_int_equal(synth_verify(&s, pol, &res), RATLS_OK);
        ratls_result_free(res);
        res = NULL;
        assert_int_equal(snpv_pinned(s.report, sizeof s.report, s.vek_der, s.vek_len, (const uint8_t *)bad, (size_t)bl,
                                     RATLS_SNP_PRODUCT_UNKNOWN, pol, 1700000000, s.pin, &res),
                         RATLS_ERR_CERT_CHAIN);
        assert_true(check_is(res, "snp.chain", RATLS_CHECK_FAIL));
        ratls_result_free(res);
        /* the kept good chain at a time outside its window */
        res = NULL;
        assert_int_equal(snpv_pinned(s.report, sizeof s.report, s.vek_der, s.vek_len, s.chain_pem, s.chain_len,
                                     RATLS_SNP_PRODUCT_UNKNOWN, pol, 2000000001, s.pin, &res),
                         RATLS_ERR_CERT_EXPIRED);
        ratls_result_free(res);
    }
    /* more chains than slots: each still parses and verifies */
    for (int i = 0; i < 10; i++) {
        synth t;
        synth_build(&t, &o);
        ratls_result *res = NULL;
        assert_int_equal(synth_verify(&t, pol, &res), RATLS_OK);
        ratls_result_free(res);
        synth_free(&t);
    }
    BIO_free(b);
    X509_free(bad_ask);
    ratls_snp_policy_free(pol);
    synth_free(&s);
}

static ratls_status crl_verify(synth *s, const uint8_t *crl, size_t crl_len, ratls_result **res)
{
    ratls_snp_collateral_parts parts = {s->vek_der, s->vek_len, s->chain_pem, s->chain_len, crl, crl_len};
    return snp_verify_pinned(s->report, sizeof s->report, &parts, RATLS_SNP_PRODUCT_UNKNOWN, NULL, 1700000000, s->pin,
                             res);
}

static void expect_crl(synth *s, uint8_t *crl, size_t len, ratls_status want)
{
    ratls_result *res = NULL;
    ratls_status got = crl_verify(s, crl, len, &res);
    if (got != want)
        print_error("expected %s, got %s (%s)\n", ratls_status_name(want), ratls_status_name(got),
                    ratls_result_error(res));
    assert_int_equal(got, want);
    assert_true(check_is(res, "snp.crl", want == RATLS_OK ? RATLS_CHECK_PASS : RATLS_CHECK_FAIL));
    ratls_result_free(res);
    OPENSSL_free(crl);
}

/* AMD's CRL under the default policy (no insecure switch): current, signed by
 * the ARK, not listing the ASK; every way of getting it wrong fails. */
static void test_synth_crl(void **state)
{
    (void)state;
    synth_opts o;
    synth_opts_default(&o, RATLS_SNP_PRODUCT_GENOA);
    synth s;
    synth_build(&s, &o);
    const int64_t now = 1700000000, day = 86400;
    size_t n;
    uint8_t *c = synth_mk_crl(s.ark, s.ark_key, now - day, now + day, 77, &n);
    expect_crl(&s, c, n, RATLS_OK);
    c = synth_mk_crl(s.ark, s.ark_key, now - day, now + day, 1, &n); /* the ASK's serial */
    expect_crl(&s, c, n, RATLS_ERR_CERT_REVOKED);
    /* a CRL with a critical extension (here a delta-CRL indicator) is not processed */
    c = synth_mk_crl(s.ark, s.ark_key, now - day, now + day, 0, &n);
    {
        const unsigned char *cp = c;
        X509_CRL *dx = d2i_X509_CRL(NULL, &cp, (long)n);
        ASN1_INTEGER *base = ASN1_INTEGER_new();
        assert_true(dx && base && ASN1_INTEGER_set(base, 1));
        assert_true(X509_CRL_add1_ext_i2d(dx, NID_delta_crl, base, 1, 0) == 1);
        assert_true(X509_CRL_sign(dx, s.ark_key, EVP_sha384()) > 0);
        OPENSSL_free(c);
        c = NULL;
        int dn = i2d_X509_CRL(dx, &c);
        assert_true(dn > 0);
        n = (size_t)dn;
        ASN1_INTEGER_free(base);
        X509_CRL_free(dx);
    }
    expect_crl(&s, c, n, RATLS_ERR_CRL_FORMAT);
    c = synth_mk_crl(s.ark, s.ark_key, now - day, now + day, 2, &n); /* the VCEK's serial */
    ratls_result *rv = NULL;
    assert_int_equal(crl_verify(&s, c, n, &rv), RATLS_ERR_CERT_REVOKED);
    assert_non_null(strstr(ratls_result_error(rv), "VCEK"));
    ratls_result_free(rv);
    OPENSSL_free(c);
    c = synth_mk_crl(s.ark, s.ark_key, now - 2 * day, now - day, 0, &n);
    expect_crl(&s, c, n, RATLS_ERR_CRL_EXPIRED);
    c = synth_mk_crl(s.ark, s.ark_key, now + day, now + 2 * day, 0, &n);
    expect_crl(&s, c, n, RATLS_ERR_CRL_NOT_YET_VALID);
    c = synth_mk_crl(s.ark, s.ask_key, now - day, now + day, 0, &n); /* the ARK's name, another key */
    expect_crl(&s, c, n, RATLS_ERR_CRL_SIGNATURE);
    c = synth_mk_crl(s.ask, s.ask_key, now - day, now + day, 0, &n); /* the ASK's CRL */
    expect_crl(&s, c, n, RATLS_ERR_CRL_ISSUER);
    c = synth_mk_crl(s.ark, s.ark_key, now - day, now + day, 0, &n);
    c[n / 2] ^= 0x40;
    ratls_result *res = NULL;
    assert_int_not_equal(crl_verify(&s, c, n, &res), RATLS_OK);
    ratls_result_free(res);
    res = NULL;
    assert_int_equal(crl_verify(&s, c, 3, &res), RATLS_ERR_CRL_FORMAT);
    ratls_result_free(res);
    OPENSSL_free(c);
    /* PEM is accepted too */
    c = synth_mk_crl(s.ark, s.ark_key, now - day, now + day, 0, &n);
    const unsigned char *p = c;
    X509_CRL *x = d2i_X509_CRL(NULL, &p, (long)n);
    BIO *b = BIO_new(BIO_s_mem());
    assert_true(x && b && PEM_write_bio_X509_CRL(b, x));
    char *pem;
    long pl = BIO_get_mem_data(b, &pem);
    res = NULL;
    assert_int_equal(crl_verify(&s, (const uint8_t *)pem, (size_t)pl, &res), RATLS_OK);
    ratls_result_free(res);
    BIO_free(b);
    X509_CRL_free(x);
    OPENSSL_free(c);
    synth_free(&s);
}

/* Format rules on a synthetic report: versions, reserved bytes, policy bits. */
static void test_format(void **state)
{
    (void)state;
    synth_opts o;
    synth_opts_default(&o, RATLS_SNP_PRODUCT_TURIN);
    o.version = 5;
    synth s;
    synth_build(&s, &o);
    ratls_snp_report *r = NULL;
    char err[256];
    assert_int_equal(ratls_snp_report_parse(s.report, sizeof s.report, &r, err, sizeof err), RATLS_OK);
    assert_int_equal(ratls_snp_report_product(r), RATLS_SNP_PRODUCT_TURIN);
    ratls_snp_report_free(r);
    uint8_t b[RATLS_SNP_REPORT_LEN];
    static const uint32_t bad_versions[] = {0, 1, 4, 6, 0x100};
    for (size_t i = 0; i < sizeof bad_versions / sizeof bad_versions[0]; i++) {
        memcpy(b, s.report, sizeof b);
        put_le32(b, bad_versions[i]);
        r = NULL;
        assert_int_equal(ratls_snp_report_parse(b, sizeof b, &r, err, sizeof err), RATLS_ERR_SNP_REPORT_FORMAT);
        assert_null(r);
    }
    /* v5 reserved ranges; v5 mitigation vectors are fields, not reserved */
    static const size_t mbz[] = {0x4C,  0x4F,  0x18B,      0x19F,      0x1EB, 0x1EF,
                                 0x208, 0x29F, 0x2A0 + 48, 0x2E8 + 71, 0x330, 0x49F};
    for (size_t i = 0; i < sizeof mbz / sizeof mbz[0]; i++) {
        memcpy(b, s.report, sizeof b);
        b[mbz[i]] = 1;
        assert_int_equal(ratls_snp_report_parse(b, sizeof b, &r, err, sizeof err), RATLS_ERR_SNP_REPORT_FORMAT);
    }
    memcpy(b, s.report, sizeof b);
    b[0x1F8] = 3;
    b[0x200] = 3;
    assert_int_equal(ratls_snp_report_parse(b, sizeof b, &r, err, sizeof err), RATLS_OK);
    ratls_snp_report_free(r);
    /* v3: 0x1F8.. reserved; v2: CPUID bytes reserved */
    memcpy(b, s.report, sizeof b);
    put_le32(b, 3);
    assert_int_equal(ratls_snp_report_parse(b, sizeof b, &r, err, sizeof err), RATLS_OK);
    ratls_snp_report_free(r);
    b[0x1F8] = 1;
    assert_int_equal(ratls_snp_report_parse(b, sizeof b, &r, err, sizeof err), RATLS_ERR_SNP_REPORT_FORMAT);
    memcpy(b, s.report, sizeof b);
    put_le32(b, 2);
    assert_int_equal(ratls_snp_report_parse(b, sizeof b, &r, err, sizeof err), RATLS_ERR_SNP_REPORT_FORMAT);
    memset(b + 0x188, 0, 3);
    memset(b + 0x1F8, 0, 16);
    assert_int_equal(ratls_snp_report_parse(b, sizeof b, &r, err, sizeof err), RATLS_OK);
    assert_int_equal(ratls_snp_report_product(r), RATLS_SNP_PRODUCT_UNKNOWN);
    ratls_snp_report_free(r);
    /* policy bit 17 must be 1, bits 63:26 zero; signer info bits 31:5 zero; key selectors 2..6 reserved */
    memcpy(b, s.report, sizeof b);
    b[0x0A] &= (uint8_t)~0x02;
    assert_int_equal(ratls_snp_report_parse(b, sizeof b, &r, err, sizeof err), RATLS_ERR_SNP_REPORT_FORMAT);
    memcpy(b, s.report, sizeof b);
    b[0x0F] = 0x80;
    assert_int_equal(ratls_snp_report_parse(b, sizeof b, &r, err, sizeof err), RATLS_ERR_SNP_REPORT_FORMAT);
    memcpy(b, s.report, sizeof b);
    b[0x48] = 0x20;
    assert_int_equal(ratls_snp_report_parse(b, sizeof b, &r, err, sizeof err), RATLS_ERR_SNP_REPORT_FORMAT);
    memcpy(b, s.report, sizeof b);
    b[0x48] = 2 << 2;
    assert_int_equal(ratls_snp_report_parse(b, sizeof b, &r, err, sizeof err), RATLS_ERR_SNP_REPORT_FORMAT);
    assert_int_equal(ratls_snp_report_parse(NULL, 0, &r, err, sizeof err), RATLS_ERR_INVALID_ARGUMENT);
    /* the default policy fails closed on revocation (not implemented yet) */
    ratls_result *res = NULL;
    memcpy(b, s.report, sizeof b);
    assert_int_equal(snpv_pinned(b, sizeof b, s.vek_der, s.vek_len, s.chain_pem, s.chain_len, RATLS_SNP_PRODUCT_UNKNOWN,
                                 NULL, 1700000000, s.pin, &res),
                     RATLS_ERR_COLLATERAL_UNAVAILABLE); /* default policy: revocation fails closed */
    ratls_result_free(res);
    synth_free(&s);
    assert_string_equal(ratls_snp_product_name(RATLS_SNP_PRODUCT_GENOA), "Genoa");
    assert_int_equal(ratls_snp_product_from_name("tURIN"), RATLS_SNP_PRODUCT_TURIN);
    assert_int_equal(ratls_snp_product_from_name("Venice"), RATLS_SNP_PRODUCT_UNKNOWN);
}

static int detail_has(const ratls_result *r, const char *id, const char *needle)
{
    ratls_check_outcome o;
    const char *d = NULL;
    return ratls_result_find_check(r, id, &o, &d) >= 0 && d && strstr(d, needle) != NULL;
}

/* A verifier remembers a chain (and CRL) that verified, by its exact bytes
 * under the anchor in force: the second report costs the signature only, and
 * everything that depends on the report is still judged per report. */
static void test_verifier_cache(void **state)
{
    (void)state;
    synth_opts o;
    synth_opts_default(&o, RATLS_SNP_PRODUCT_GENOA);
    synth s;
    synth_build(&s, &o);
    const int64_t now = 1700000000, day = 86400;
    size_t crl_len;
    uint8_t *crl = synth_mk_crl(s.ark, s.ark_key, now - day, now + day, 0, &crl_len);
    ratls_snp_collateral_parts parts = {s.vek_der, s.vek_len, s.chain_pem, s.chain_len, crl, crl_len};
    ratls_verifier *v = ratls_verifier_new();
    assert_non_null(v);
    ratls_result *res = NULL;

    /* AMD's pins: the test chain is not trusted */
    assert_int_equal(
        ratls_verifier_verify_snp(v, s.report, sizeof s.report, &parts, RATLS_SNP_PRODUCT_UNKNOWN, NULL, now, &res),
        RATLS_ERR_UNTRUSTED_ROOT);
    ratls_result_free(res);
    /* the test ARK is accepted only through the insecure switch, and only a self-signed CA */
    unsigned char *ark_der = NULL, *ask_der = NULL;
    int ark_n = i2d_X509(s.ark, &ark_der), ask_n = i2d_X509(s.ask, &ask_der);
    assert_true(ark_n > 0 && ask_n > 0);
    assert_int_equal(ratls_verifier_set_snp_ark_insecure(v, ask_der, (size_t)ask_n), RATLS_ERR_CERT_CHAIN);
    assert_int_equal(ratls_verifier_set_snp_ark_insecure(v, ark_der, (size_t)ark_n), RATLS_OK);

    assert_int_equal(
        ratls_verifier_verify_snp(v, s.report, sizeof s.report, &parts, RATLS_SNP_PRODUCT_UNKNOWN, NULL, now, &res),
        RATLS_OK);
    assert_true(ratls_result_used_insecure_root(res));
    assert_false(detail_has(res, "snp.chain", "verified earlier"));
    assert_true(check_is(res, "snp.crl", RATLS_CHECK_PASS));
    /* the CRL's nextUpdate is the first to end; its last valid second is the one before */
    assert_int_equal(ratls_result_collateral_expiry(res), now + day - 1);
    ratls_result_free(res);
    /* warm: the chain and CRL come from memory */
    assert_int_equal(ratls_verifier_verify_snp(v, s.report, sizeof s.report, &parts, RATLS_SNP_PRODUCT_UNKNOWN, NULL,
                                               now + 60, &res),
                     RATLS_OK);
    assert_true(detail_has(res, "snp.chain", "verified earlier"));
    assert_true(detail_has(res, "snp.crl", "verified earlier"));
    ratls_result_free(res);
    /* ... but the signature is still checked on every report */
    uint8_t bad[RATLS_SNP_REPORT_LEN];
    memcpy(bad, s.report, sizeof bad);
    bad[0x90] ^= 1;
    assert_int_equal(
        ratls_verifier_verify_snp(v, bad, sizeof bad, &parts, RATLS_SNP_PRODUCT_UNKNOWN, NULL, now + 60, &res),
        RATLS_ERR_SNP_REPORT_SIGNATURE);
    ratls_result_free(res);
    /* ... and so are the TCB and the policy */
    memcpy(bad, s.report, sizeof bad);
    bad[0x186] ^= 1; /* REPORTED_TCB SNP SPL */
    memcpy(s.report, bad, sizeof bad);
    synth_resign(&s);
    assert_int_equal(ratls_verifier_verify_snp(v, s.report, sizeof s.report, &parts, RATLS_SNP_PRODUCT_UNKNOWN, NULL,
                                               now + 60, &res),
                     RATLS_ERR_SNP_TCB_MISMATCH);
    assert_true(detail_has(res, "snp.chain", "verified earlier"));
    ratls_result_free(res);
    s.report[0x186] ^= 1;
    s.report[0x0A] |= 0x08; /* DEBUG */
    synth_resign(&s);
    assert_int_equal(ratls_verifier_verify_snp(v, s.report, sizeof s.report, &parts, RATLS_SNP_PRODUCT_UNKNOWN, NULL,
                                               now + 60, &res),
                     RATLS_ERR_SNP_POLICY);
    ratls_result_free(res);
    s.report[0x0A] &= (uint8_t)~0x08;
    synth_resign(&s);
    /* outside the CRL's window the memory does not help: the CRL is stale,
     * from its nextUpdate on, exactly as without the memory */
    assert_int_equal(ratls_verifier_verify_snp(v, s.report, sizeof s.report, &parts, RATLS_SNP_PRODUCT_UNKNOWN, NULL,
                                               now + day - 1, &res),
                     RATLS_OK);
    ratls_result_free(res);
    assert_int_equal(ratls_verifier_verify_snp(v, s.report, sizeof s.report, &parts, RATLS_SNP_PRODUCT_UNKNOWN, NULL,
                                               now + day, &res),
                     RATLS_ERR_CRL_EXPIRED);
    ratls_result_free(res);
    assert_int_equal(ratls_verifier_verify_snp(v, s.report, sizeof s.report, &parts, RATLS_SNP_PRODUCT_UNKNOWN, NULL,
                                               now + 2 * day, &res),
                     RATLS_ERR_CRL_EXPIRED);
    ratls_result_free(res);
    /* without the CRL it is a different key: revocation fails closed again */
    ratls_snp_collateral_parts nocrl = {s.vek_der, s.vek_len, s.chain_pem, s.chain_len, NULL, 0};
    assert_int_equal(
        ratls_verifier_verify_snp(v, s.report, sizeof s.report, &nocrl, RATLS_SNP_PRODUCT_UNKNOWN, NULL, now, &res),
        RATLS_ERR_COLLATERAL_UNAVAILABLE);
    assert_true(check_is(res, "snp.crl", RATLS_CHECK_FAIL));
    ratls_result_free(res);
    /* a new anchor forgets everything verified under the old one */
    assert_int_equal(ratls_verifier_set_snp_ark_insecure(v, ark_der, (size_t)ark_n), RATLS_OK);
    assert_int_equal(
        ratls_verifier_verify_snp(v, s.report, sizeof s.report, &parts, RATLS_SNP_PRODUCT_UNKNOWN, NULL, now, &res),
        RATLS_OK);
    assert_false(detail_has(res, "snp.chain", "verified earlier"));
    ratls_result_free(res);
    /* no VCEK and no source: a clear failure, not a crash */
    ratls_snp_collateral_parts novcek = {NULL, 0, s.chain_pem, s.chain_len, crl, crl_len};
    assert_int_equal(
        ratls_verifier_verify_snp(v, s.report, sizeof s.report, &novcek, RATLS_SNP_PRODUCT_GENOA, NULL, now, &res),
        RATLS_ERR_COLLATERAL_UNAVAILABLE);
    assert_true(check_is(res, "snp.chain", RATLS_CHECK_FAIL));
    ratls_result_free(res);
    assert_int_equal(
        ratls_verifier_verify_snp(NULL, s.report, sizeof s.report, &parts, RATLS_SNP_PRODUCT_UNKNOWN, NULL, now, &res),
        RATLS_ERR_INVALID_ARGUMENT);
    assert_null(res);
    OPENSSL_free(ark_der);
    OPENSSL_free(ask_der);
    OPENSSL_free(crl);
    ratls_verifier_free(v);
    synth_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases_tsv),
        cmocka_unit_test(test_crl_fails_closed),
        cmocka_unit_test(test_real_chain_variants),
        cmocka_unit_test(test_truncations),
        cmocka_unit_test(test_flips),
        cmocka_unit_test(test_parse_real),
        cmocka_unit_test(test_synth_tcb),
        cmocka_unit_test(test_synth_policy),
        cmocka_unit_test(test_forged_ark),
        cmocka_unit_test(test_chain_parse_cache),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_synth_crl),
        cmocka_unit_test(test_verifier_cache),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
