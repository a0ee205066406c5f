/* The SEV-SNP appraisal policy: every item passing and failing on a report
 * signed by a self-made AMD-like PKI (snp_synth.c), the default policy's
 * behaviour on each, and the JSON loader's contract. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/reader.h"
#include "snp/snp.h"
#include "snp_synth.h"

#define T_AT 1700000000 /* inside the synthetic certificates' window */

/* A non-NULL *out before a failing load: the loader must reset it. */
static char sentinel_obj;
#define SENTINEL ((ratls_snp_policy *)(void *)&sentinel_obj)

/* Report offsets (shared/spec/sev-snp.md). */
enum {
    OFF_GUEST_SVN = 0x04,
    OFF_POLICY = 0x08,
    OFF_FAMILY_ID = 0x10,
    OFF_IMAGE_ID = 0x20,
    OFF_CURRENT_TCB = 0x38,
    OFF_PLATFORM_INFO = 0x40,
    OFF_SIGNER = 0x48,
    OFF_REPORT_DATA = 0x50,
    OFF_HOST_DATA = 0xC0,
    OFF_ID_KEY = 0xE0,
    OFF_AUTHOR_KEY = 0x110,
    OFF_CHIP_ID = 0x1A0,
    OFF_COMMITTED_TCB = 0x1E0,
    OFF_CURRENT_VER = 0x1E8, /* build, minor, major */
    OFF_COMMITTED_VER = 0x1EC,
    OFF_LAUNCH_TCB = 0x1F0,
    OFF_LAUNCH_MIT = 0x1F8,
    OFF_CURRENT_MIT = 0x200,
};

static void put64(uint8_t *p, uint64_t v)
{
    put_le32(p, (uint32_t)v);
    put_le32(p + 4, (uint32_t)(v >> 32));
}

static uint64_t get64(const uint8_t *p)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static void build(synth *s, ratls_snp_product p, uint32_t version)
{
    synth_opts o;
    synth_opts_default(&o, p);
    o.version = version;
    synth_build(s, &o);
}

/* A policy that skips revocation (the synthetic PKI has no CRL here). */
static ratls_snp_policy *pol_new(unsigned flags)
{
    ratls_snp_policy *p = ratls_snp_policy_new();
    assert_non_null(p);
    ratls_snp_policy_set_flags(p, RATLS_SNP_SKIP_REVOCATION_INSECURE | flags);
    return p;
}

static ratls_result *run(synth *s, const ratls_snp_policy *pol)
{
    ratls_snp_collateral_parts parts = {s->vek_der, s->vek_len, s->chain_pem, s->chain_len, NULL, 0};
    ratls_result *res = NULL;
    (void)snp_verify_pinned(s->report, sizeof s->report, &parts, RATLS_SNP_PRODUCT_UNKNOWN, pol, T_AT, s->pin, &res);
    assert_non_null(res);
    return res;
}

/* The check `id` has outcome `want` and its detail holds every `|`-separated
 * part of `needles` (NULL: no requirement). */
static void want_check(const ratls_result *r, const char *id, ratls_check_outcome want, const char *needles)
{
    ratls_check_outcome o;
    const char *d = NULL;
    assert_true(ratls_result_find_check(r, id, &o, &d) >= 0);
    if (o != want)
        print_error("%s: outcome %d, expected %d (%s)\n", id, (int)o, (int)want, d ? d : "");
    assert_int_equal(o, want);
    if (!needles)
        return;
    if (!d)
        d = ""; /* then every needle is missing */
    char buf[512];
    snprintf(buf, sizeof buf, "%s", needles);
    char *save = NULL;
    for (char *n = strtok_r(buf, "|", &save); n; n = strtok_r(NULL, "|", &save)) {
        if (!strstr(d, n))
            print_error("%s: detail \"%s\" lacks \"%s\"\n", id, d, n);
        assert_non_null(strstr(d, n));
    }
}

/* Verify and expect snp.policy to pass (or fail) with a detail naming `needles`. */
static void expect_policy(synth *s, const ratls_snp_policy *pol, int ok, const char *needles)
{
    ratls_result *res = run(s, pol);
    want_check(res, "snp.chain", RATLS_CHECK_PASS, NULL);
    want_check(res, "snp.signature", RATLS_CHECK_PASS, NULL);
    want_check(res, "snp.policy", ok ? RATLS_CHECK_PASS : RATLS_CHECK_FAIL, needles);
    if (ok)
        assert_true(ratls_result_verified(res));
    else
        assert_int_equal(ratls_result_status(res), RATLS_ERR_SNP_POLICY);
    ratls_result_free(res);
}

/* ---------------- the default policy ---------------- */

static void test_default_policy(void **state)
{
    (void)state;
    synth s;
    build(&s, RATLS_SNP_PRODUCT_GENOA, 3);
    ratls_snp_policy *pol = pol_new(0);
    expect_policy(&s, pol, 1, "guest policy 0x30000|DEBUG off|MIGRATE_MA off|CXL_ALLOW off|VMPL 0|firmware committed");
    assert_int_equal(ratls_snp_policy_flags(pol), RATLS_SNP_SKIP_REVOCATION_INSECURE);
    assert_int_equal(ratls_snp_policy_flags(NULL), 0);

    /* pol NULL is the default policy: it also demands a CRL */
    ratls_snp_collateral_parts parts = {s.vek_der, s.vek_len, s.chain_pem, s.chain_len, NULL, 0};
    ratls_result *res = NULL;
    assert_int_equal(
        snp_verify_pinned(s.report, sizeof s.report, &parts, RATLS_SNP_PRODUCT_UNKNOWN, NULL, T_AT, s.pin, &res),
        RATLS_ERR_COLLATERAL_UNAVAILABLE);
    want_check(res, "snp.policy", RATLS_CHECK_PASS, NULL);
    want_check(res, "snp.crl", RATLS_CHECK_FAIL, NULL);
    want_check(res, "snp.measurement", RATLS_CHECK_SKIP, NULL);
    ratls_result_free(res);

    /* default on each item: SMT, a required-bit-free policy, any guest SVN,
     * any signing key, any TCB/firmware, no mitigation vectors are accepted */
    put64(s.report + OFF_PLATFORM_INFO, 1); /* SMT on */
    put_le32(s.report + OFF_GUEST_SVN, 0);
    synth_resign(&s);
    expect_policy(&s, pol, 1, NULL);
    /* ... while CXL_ALLOW and provisional firmware are refused */
    put64(s.report + OFF_POLICY, 0x30000 | (1ull << 21));
    synth_resign(&s);
    expect_policy(&s, pol, 0, "CXL_ALLOW");
    put64(s.report + OFF_POLICY, 0x30000);
    s.report[OFF_CURRENT_VER] = 1;
    synth_resign(&s);
    expect_policy(&s, pol, 0, "provisional firmware");

    /* setters refuse NULL and bad sizes */
    uint8_t b[64] = {0};
    assert_int_equal(ratls_snp_policy_expect_host_data(NULL, b, 32), RATLS_ERR_INVALID_ARGUMENT);
    assert_int_equal(ratls_snp_policy_expect_host_data(pol, NULL, 32), RATLS_ERR_INVALID_ARGUMENT);
    assert_int_equal(ratls_snp_policy_expect_host_data(pol, b, 31), RATLS_ERR_INVALID_ARGUMENT);
    assert_int_equal(ratls_snp_policy_expect_image_id(pol, b, 17), RATLS_ERR_INVALID_ARGUMENT);
    assert_int_equal(ratls_snp_policy_expect_family_id(pol, b, 15), RATLS_ERR_INVALID_ARGUMENT);
    assert_int_equal(ratls_snp_policy_expect_chip_id(pol, b, 48), RATLS_ERR_INVALID_ARGUMENT);
    assert_int_equal(ratls_snp_policy_expect_report_data(pol, b, 32), RATLS_ERR_INVALID_ARGUMENT);
    assert_int_equal(ratls_snp_policy_expect_measurement(pol, b, 64), RATLS_ERR_INVALID_ARGUMENT);
    assert_int_equal(ratls_snp_policy_accept_id_key_digest(pol, b, 32), RATLS_ERR_INVALID_ARGUMENT);
    assert_int_equal(ratls_snp_policy_accept_author_key_digest(NULL, b, 48), RATLS_ERR_INVALID_ARGUMENT);
    assert_int_equal(ratls_snp_policy_set_signing_key(pol, (ratls_snp_signing_key)3), RATLS_ERR_INVALID_ARGUMENT);
    assert_int_equal(ratls_snp_policy_require_guest_policy(pol, 1ull << 19), RATLS_ERR_INVALID_ARGUMENT);
    assert_int_equal(ratls_snp_policy_require_guest_policy(NULL, 0), RATLS_ERR_INVALID_ARGUMENT);
    ratls_snp_policy_set_min_guest_svn(NULL, 1); /* no-ops */
    ratls_snp_policy_set_min_firmware(NULL, 1, 2, 3);
    ratls_snp_policy_set_min_reported_tcb(NULL, NULL);
    ratls_snp_policy_require_mit_vectors(NULL, 1, 1);
    ratls_snp_policy_free(NULL);
    ratls_snp_policy_free(pol);
    synth_free(&s);
}

/* ---------------- each item ---------------- */

static void test_debug_migrate(void **state)
{
    (void)state;
    synth s;
    build(&s, RATLS_SNP_PRODUCT_GENOA, 3);
    ratls_snp_policy *pol = pol_new(0);
    put64(s.report + OFF_POLICY, 0x30000 | (1ull << 19));
    synth_resign(&s);
    expect_policy(&s, pol, 0, "DEBUG (guest-policy bit 19)");
    ratls_snp_policy_set_flags(pol, RATLS_SNP_SKIP_REVOCATION_INSECURE | RATLS_SNP_ALLOW_DEBUG_INSECURE);
    expect_policy(&s, pol, 1, "DEBUG allowed by an insecure switch");
    put64(s.report + OFF_POLICY, 0x30000 | (1ull << 18));
    synth_resign(&s);
    expect_policy(&s, pol, 0, "MIGRATE_MA");
    ratls_snp_policy_set_flags(pol, RATLS_SNP_SKIP_REVOCATION_INSECURE | RATLS_SNP_ALLOW_MIGRATE_MA);
    expect_policy(&s, pol, 1, "MIGRATE_MA allowed");
    ratls_snp_policy_free(pol);
    synth_free(&s);
}

/* FORBID_SMT judges PLATFORM_INFO bit 0; the guest-policy SMT bit (set in
 * the synthetic report's 0x30000) is a launch permission and is not judged. */
static void test_smt(void **state)
{
    (void)state;
    synth s;
    build(&s, RATLS_SNP_PRODUCT_MILAN, 3);
    ratls_snp_policy *pol = pol_new(RATLS_SNP_FORBID_SMT);
    expect_policy(&s, pol, 1, "SMT off");
    put64(s.report + OFF_PLATFORM_INFO, 0x25); /* SMT, ECC, alias check */
    synth_resign(&s);
    expect_policy(&s, pol, 0, "SMT enabled (PLATFORM_INFO bit 0)");
    ratls_snp_policy_set_flags(pol, RATLS_SNP_SKIP_REVOCATION_INSECURE);
    expect_policy(&s, pol, 1, NULL);
    put64(s.report + OFF_PLATFORM_INFO, 0x24);
    put64(s.report + OFF_POLICY, 0x20000); /* guest policy without SMT */
    synth_resign(&s);
    ratls_snp_policy_set_flags(pol, RATLS_SNP_SKIP_REVOCATION_INSECURE | RATLS_SNP_FORBID_SMT);
    expect_policy(&s, pol, 1, "SMT off");
    ratls_snp_policy_free(pol);
    synth_free(&s);
}

static void test_cxl(void **state)
{
    (void)state;
    synth s;
    build(&s, RATLS_SNP_PRODUCT_GENOA, 3);
    ratls_snp_policy *pol = pol_new(0);
    put64(s.report + OFF_POLICY, 0x30000 | (1ull << 21));
    synth_resign(&s);
    expect_policy(&s, pol, 0, "CXL_ALLOW (bit 21) is set");
    ratls_snp_policy_set_flags(pol, RATLS_SNP_SKIP_REVOCATION_INSECURE | RATLS_SNP_ALLOW_CXL);
    expect_policy(&s, pol, 1, "CXL_ALLOW allowed");
    ratls_snp_policy_free(pol);
    synth_free(&s);
}

static void test_required_guest_policy(void **state)
{
    (void)state;
    static const struct {
        uint64_t bit;
        const char *name;
    } bits[] = {
        {RATLS_SNP_GUEST_POLICY_SINGLE_SOCKET, "single_socket (bit 20)"},
        {RATLS_SNP_GUEST_POLICY_MEM_AES_256_XTS, "mem_aes_256_xts (bit 22)"},
        {RATLS_SNP_GUEST_POLICY_RAPL_DIS, "rapl_dis (bit 23)"},
        {RATLS_SNP_GUEST_POLICY_CIPHERTEXT_HIDING, "ciphertext_hiding (bit 24)"},
        {RATLS_SNP_GUEST_POLICY_PAGE_SWAP_DISABLE, "page_swap_disable (bit 25)"},
    };
    synth s;
    build(&s, RATLS_SNP_PRODUCT_GENOA, 3);
    ratls_snp_policy *pol = pol_new(0);
    uint64_t all = 0;
    for (size_t i = 0; i < sizeof bits / sizeof bits[0]; i++) {
        all |= bits[i].bit;
        assert_int_equal(ratls_snp_policy_require_guest_policy(pol, bits[i].bit), RATLS_OK);
        put64(s.report + OFF_POLICY, 0x30000);
        synth_resign(&s);
        char want[64];
        snprintf(want, sizeof want, "required %s is not set", bits[i].name);
        expect_policy(&s, pol, 0, want);
        put64(s.report + OFF_POLICY, 0x30000 | bits[i].bit);
        synth_resign(&s);
        expect_policy(&s, pol, 1, NULL);
    }
    /* all five required, none set: every one is named */
    assert_int_equal(ratls_snp_policy_require_guest_policy(pol, all), RATLS_OK);
    put64(s.report + OFF_POLICY, 0x30000);
    synth_resign(&s);
    expect_policy(&s, pol, 0, "single_socket|mem_aes_256_xts|rapl_dis|ciphertext_hiding|page_swap_disable");
    put64(s.report + OFF_POLICY, 0x30000 | all);
    synth_resign(&s);
    expect_policy(&s, pol, 1, "single_socket set|page_swap_disable set");
    ratls_snp_policy_free(pol);
    synth_free(&s);
}

static void test_vmpl_abi_svn(void **state)
{
    (void)state;
    synth s;
    build(&s, RATLS_SNP_PRODUCT_GENOA, 3);
    ratls_snp_policy *pol = pol_new(0);
    put_le32(s.report + OFF_GUEST_SVN, 5);
    put64(s.report + OFF_POLICY, 0x30000 | 0x0105); /* ABI 1.5 */
    synth_resign(&s);
    ratls_snp_policy_set_min_guest_svn(pol, 6);
    expect_policy(&s, pol, 0, "GUEST_SVN 5 is below the minimum 6");
    ratls_snp_policy_set_min_guest_svn(pol, 5);
    expect_policy(&s, pol, 1, "GUEST_SVN 5 >= 5");
    ratls_snp_policy_set_min_abi(pol, 1, 6);
    expect_policy(&s, pol, 0, "ABI 1.5 is below the minimum 1.6");
    ratls_snp_policy_set_min_abi(pol, 1, 5);
    expect_policy(&s, pol, 1, "ABI 1.5 >= 1.5");
    assert_int_equal(ratls_snp_policy_set_vmpl(pol, 2), RATLS_OK);
    expect_policy(&s, pol, 0, "VMPL is 0, the policy requires 2");
    ratls_snp_policy_free(pol);
    synth_free(&s);
}

static void test_expected_bytes(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        size_t off, len;
        ratls_status (*fn)(ratls_snp_policy *, const uint8_t *, size_t);
    } f[] = {
        {"REPORT_DATA", OFF_REPORT_DATA, 64, ratls_snp_policy_expect_report_data},
        {"HOST_DATA", OFF_HOST_DATA, 32, ratls_snp_policy_expect_host_data},
        {"IMAGE_ID", OFF_IMAGE_ID, 16, ratls_snp_policy_expect_image_id},
        {"FAMILY_ID", OFF_FAMILY_ID, 16, ratls_snp_policy_expect_family_id},
        {"CHIP_ID", OFF_CHIP_ID, 64, ratls_snp_policy_expect_chip_id},
    };
    synth s;
    build(&s, RATLS_SNP_PRODUCT_MILAN, 3);
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        if (f[i].off != OFF_CHIP_ID && f[i].off != OFF_REPORT_DATA)
            for (size_t j = 0; j < f[i].len; j++)
                s.report[f[i].off + j] = (uint8_t)(0x30 + i + j);
    }
    synth_resign(&s);
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        ratls_snp_policy *pol = pol_new(0);
        uint8_t want[64];
        memcpy(want, s.report + f[i].off, f[i].len);
        assert_int_equal(f[i].fn(pol, want, f[i].len), RATLS_OK);
        char n[64];
        snprintf(n, sizeof n, "%s as expected", f[i].name);
        expect_policy(&s, pol, 1, n);
        want[f[i].len - 1] ^= 0x80;
        assert_int_equal(f[i].fn(pol, want, f[i].len), RATLS_OK);
        snprintf(n, sizeof n, "%s differs from the expected value", f[i].name);
        expect_policy(&s, pol, 0, n);
        assert_int_equal(f[i].fn(pol, want, f[i].len + 1), RATLS_ERR_INVALID_ARGUMENT);
        ratls_snp_policy_free(pol);
    }
    /* MEASUREMENT keeps its own check */
    ratls_snp_policy *pol = pol_new(0);
    uint8_t m[48];
    memset(m, 0x11, sizeof m);
    assert_int_equal(ratls_snp_policy_expect_measurement(pol, m, sizeof m), RATLS_OK);
    ratls_result *res = run(&s, pol);
    want_check(res, "snp.measurement", RATLS_CHECK_PASS, "MEASUREMENT equals");
    ratls_result_free(res);
    m[0] ^= 1;
    assert_int_equal(ratls_snp_policy_expect_measurement(pol, m, sizeof m), RATLS_OK);
    res = run(&s, pol);
    want_check(res, "snp.measurement", RATLS_CHECK_FAIL, "MEASUREMENT differs");
    want_check(res, "snp.policy", RATLS_CHECK_PASS, NULL);
    ratls_result_free(res);
    ratls_snp_policy_free(pol);
    synth_free(&s);
}

static void test_key_digests(void **state)
{
    (void)state;
    synth s;
    build(&s, RATLS_SNP_PRODUCT_GENOA, 3);
    uint8_t idk[48], ak[48], other[48];
    memset(idk, 0x71, sizeof idk);
    memset(ak, 0x72, sizeof ak);
    memset(other, 0x73, sizeof other);
    memcpy(s.report + OFF_ID_KEY, idk, 48);
    synth_resign(&s);
    ratls_snp_policy *pol = pol_new(0);
    assert_int_equal(ratls_snp_policy_accept_id_key_digest(pol, other, 48), RATLS_OK);
    expect_policy(&s, pol, 0, "ID_KEY_DIGEST is not one of the 1 accepted");
    assert_int_equal(ratls_snp_policy_accept_id_key_digest(pol, idk, 48), RATLS_OK);
    expect_policy(&s, pol, 1, "ID_KEY_DIGEST accepted");

    /* author key: needs AUTHOR_KEY_EN and a digest in the set */
    memcpy(s.report + OFF_AUTHOR_KEY, ak, 48);
    synth_resign(&s);
    assert_int_equal(ratls_snp_policy_accept_author_key_digest(pol, ak, 48), RATLS_OK);
    expect_policy(&s, pol, 0, "AUTHOR_KEY_EN 0");
    put_le32(s.report + OFF_SIGNER, 1); /* AUTHOR_KEY_EN, VCEK */
    synth_resign(&s);
    expect_policy(&s, pol, 1, "ID_KEY_DIGEST accepted|AUTHOR_KEY_DIGEST accepted");
    s.report[OFF_AUTHOR_KEY + 47] ^= 1;
    synth_resign(&s);
    expect_policy(&s, pol, 0, "AUTHOR_KEY_DIGEST is not one of the 1 accepted");
    ratls_snp_policy_free(pol);

    /* the set is capped */
    pol = pol_new(0);
    for (int i = 0; i < RATLS_SNP_MAX_KEY_DIGESTS; i++) {
        other[0] = (uint8_t)i;
        assert_int_equal(ratls_snp_policy_accept_id_key_digest(pol, other, 48), RATLS_OK);
    }
    assert_int_equal(ratls_snp_policy_accept_id_key_digest(pol, idk, 48), RATLS_ERR_TOO_LARGE);
    ratls_snp_policy_free(pol);
    synth_free(&s);
}

static void test_min_tcb(void **state)
{
    (void)state;
    for (int p = RATLS_SNP_PRODUCT_MILAN; p <= RATLS_SNP_PRODUCT_TURIN; p++) {
        synth s;
        build(&s, (ratls_snp_product)p, 3);
        snp_tcb t;
        snp_tcb_split(get64(s.report + 0x180), (ratls_snp_product)p, &t);
        ratls_snp_tcb min = {t.bl, t.tee, t.snp, t.ucode, t.fmc};
        ratls_snp_policy *pol = pol_new(0);
        ratls_snp_policy_set_min_reported_tcb(pol, &min);
        ratls_snp_policy_set_min_launch_tcb(pol, &min);
        expect_policy(&s, pol, 1, "REPORTED_TCB >= minimum|LAUNCH_TCB >= minimum");
        static const char *const names[] = {"bootloader", "tee", "snp", "microcode", "fmc"};
        for (int c = 0; c < 5; c++) {
            ratls_snp_tcb hi = min;
            uint8_t *f[] = {&hi.bootloader, &hi.tee, &hi.snp, &hi.microcode, &hi.fmc};
            (*f[c])++;
            ratls_snp_policy_set_min_reported_tcb(pol, &hi);
            char want[64];
            snprintf(want, sizeof want, "REPORTED_TCB below the minimum (%s %u < %u)", names[c], *f[c] - 1u, *f[c]);
            /* FMC exists only on Turin: a Milan/Genoa report ignores it */
            expect_policy(&s, pol, c == 4 && p != RATLS_SNP_PRODUCT_TURIN,
                          c == 4 && p != RATLS_SNP_PRODUCT_TURIN ? "REPORTED_TCB >= minimum" : want);
        }
        /* LAUNCH_TCB on its own: a guest launched on older firmware */
        ratls_snp_policy_set_min_reported_tcb(pol, &min);
        uint64_t older = get64(s.report + OFF_LAUNCH_TCB) - (1ull << 56); /* microcode - 1 */
        put64(s.report + OFF_LAUNCH_TCB, older);
        synth_resign(&s);
        char want[96];
        snprintf(want, sizeof want, "LAUNCH_TCB below the minimum (microcode %u < %u)", t.ucode - 1u, t.ucode);
        expect_policy(&s, pol, 0, want);
        ratls_snp_policy_set_min_launch_tcb(pol, NULL);
        expect_policy(&s, pol, 1, "REPORTED_TCB >= minimum");
        /* several components below are all named */
        ratls_snp_tcb hi = {255, 255, 255, 255, 255};
        ratls_snp_policy_set_min_reported_tcb(pol, &hi);
        expect_policy(&s, pol, 0, "bootloader|tee|snp|microcode");
        ratls_snp_policy_free(pol);
        synth_free(&s);
    }
}

static void set_versions(synth *s, unsigned maj, unsigned min, unsigned build, unsigned cmaj, unsigned cmin,
                         unsigned cbuild)
{
    s->report[OFF_CURRENT_VER] = (uint8_t)build;
    s->report[OFF_CURRENT_VER + 1] = (uint8_t)min;
    s->report[OFF_CURRENT_VER + 2] = (uint8_t)maj;
    s->report[OFF_COMMITTED_VER] = (uint8_t)cbuild;
    s->report[OFF_COMMITTED_VER + 1] = (uint8_t)cmin;
    s->report[OFF_COMMITTED_VER + 2] = (uint8_t)cmaj;
    synth_resign(s);
}

static void test_min_firmware(void **state)
{
    (void)state;
    synth s;
    build(&s, RATLS_SNP_PRODUCT_MILAN, 3);
    set_versions(&s, 1, 55, 29, 1, 55, 29);
    ratls_snp_policy *pol = pol_new(0);
    ratls_snp_policy_set_min_firmware(pol, 1, 55, 29);
    expect_policy(&s, pol, 1, "firmware 1.55.29 >= 1.55.29");
    ratls_snp_policy_set_min_firmware(pol, 1, 55, 30);
    expect_policy(&s, pol, 0, "firmware 1.55.29 is below the minimum 1.55.30");
    ratls_snp_policy_set_min_firmware(pol, 1, 56, 0);
    expect_policy(&s, pol, 0, "below the minimum 1.56.0");
    ratls_snp_policy_set_min_firmware(pol, 2, 0, 0);
    expect_policy(&s, pol, 0, "below the minimum 2.0.0");
    ratls_snp_policy_set_min_firmware(pol, 1, 54, 255); /* lexicographic, not per component */
    expect_policy(&s, pol, 1, NULL);
    ratls_snp_policy_set_min_firmware(pol, 0, 0, 0);
    expect_policy(&s, pol, 1, NULL);
    ratls_snp_policy_free(pol);
    synth_free(&s);
}

static void test_provisional(void **state)
{
    (void)state;
    synth s;
    build(&s, RATLS_SNP_PRODUCT_GENOA, 3);
    ratls_snp_policy *pol = pol_new(0);
    set_versions(&s, 1, 55, 30, 1, 55, 29); /* CURRENT newer than COMMITTED */
    expect_policy(&s, pol, 0, "provisional firmware (CURRENT 1.55.30, COMMITTED 1.55.29)");
    ratls_snp_policy_set_flags(pol, RATLS_SNP_SKIP_REVOCATION_INSECURE | RATLS_SNP_ALLOW_PROVISIONAL_FIRMWARE);
    expect_policy(&s, pol, 1, "provisional firmware allowed");
    ratls_snp_policy_set_flags(pol, RATLS_SNP_SKIP_REVOCATION_INSECURE);
    set_versions(&s, 1, 55, 29, 1, 55, 29);
    expect_policy(&s, pol, 1, "firmware committed");
    /* CURRENT_TCB newer than COMMITTED_TCB, versions equal */
    put64(s.report + OFF_CURRENT_TCB, get64(s.report + OFF_COMMITTED_TCB) + 1);
    synth_resign(&s);
    expect_policy(&s, pol, 0, "provisional firmware");
    ratls_snp_policy_set_flags(pol, RATLS_SNP_SKIP_REVOCATION_INSECURE | RATLS_SNP_ALLOW_PROVISIONAL_FIRMWARE);
    expect_policy(&s, pol, 1, NULL);
    ratls_snp_policy_free(pol);
    synth_free(&s);
}

static void test_signing_key(void **state)
{
    (void)state;
    synth s;
    build(&s, RATLS_SNP_PRODUCT_GENOA, 3);
    ratls_snp_policy *pol = pol_new(0);
    assert_int_equal(ratls_snp_policy_set_signing_key(pol, RATLS_SNP_SIGNING_KEY_VLEK), RATLS_OK);
    expect_policy(&s, pol, 0, "signed by the VCEK, the policy requires the VLEK");
    assert_int_equal(ratls_snp_policy_set_signing_key(pol, RATLS_SNP_SIGNING_KEY_VCEK), RATLS_OK);
    expect_policy(&s, pol, 1, "VCEK-signed");
    assert_int_equal(ratls_snp_policy_set_signing_key(pol, RATLS_SNP_SIGNING_KEY_ANY), RATLS_OK);
    expect_policy(&s, pol, 1, NULL);
    ratls_snp_policy_free(pol);
    synth_free(&s);
}

static void test_mit_vectors(void **state)
{
    (void)state;
    synth s;
    build(&s, RATLS_SNP_PRODUCT_TURIN, 3);
    ratls_snp_policy *pol = pol_new(0);
    ratls_snp_policy_require_mit_vectors(pol, 0x1, 0);
    expect_policy(&s, pol, 0, "mitigation vectors required but a version 3 report carries none");
    synth_free(&s);
    build(&s, RATLS_SNP_PRODUCT_TURIN, 5);
    put64(s.report + OFF_LAUNCH_MIT, 0x3f);
    put64(s.report + OFF_CURRENT_MIT, 0x0f);
    synth_resign(&s);
    ratls_snp_policy_require_mit_vectors(pol, 0x3f, 0x0f);
    expect_policy(&s, pol, 1, "mitigation vectors hold the required bits");
    ratls_snp_policy_require_mit_vectors(pol, 0x7f, 0x3f);
    expect_policy(&s, pol, 0, "LAUNCH_MIT_VECTOR lacks required bits 0x40|CURRENT_MIT_VECTOR lacks required bits 0x30");
    ratls_snp_policy_require_mit_vectors(pol, 0, 0);
    expect_policy(&s, pol, 1, NULL);
    ratls_snp_policy_free(pol);
    synth_free(&s);
}

/* One report failing many items: every one is named, not just the first. */
static void test_every_failure_named(void **state)
{
    (void)state;
    synth s;
    build(&s, RATLS_SNP_PRODUCT_GENOA, 3);
    put64(s.report + OFF_POLICY, 0x30000 | (1ull << 19) | (1ull << 18) | (1ull << 21));
    put64(s.report + OFF_PLATFORM_INFO, 1);
    set_versions(&s, 1, 55, 30, 1, 55, 29);
    ratls_snp_policy *pol = pol_new(RATLS_SNP_FORBID_SMT);
    uint8_t b[64];
    memset(b, 0xEE, sizeof b);
    assert_int_equal(ratls_snp_policy_expect_report_data(pol, b, 64), RATLS_OK);
    assert_int_equal(ratls_snp_policy_expect_host_data(pol, b, 32), RATLS_OK);
    assert_int_equal(ratls_snp_policy_expect_image_id(pol, b, 16), RATLS_OK);
    assert_int_equal(ratls_snp_policy_expect_family_id(pol, b, 16), RATLS_OK);
    assert_int_equal(ratls_snp_policy_accept_id_key_digest(pol, b, 48), RATLS_OK);
    assert_int_equal(ratls_snp_policy_set_vmpl(pol, 1), RATLS_OK);
    assert_int_equal(ratls_snp_policy_set_signing_key(pol, RATLS_SNP_SIGNING_KEY_VLEK), RATLS_OK);
    assert_int_equal(ratls_snp_policy_require_guest_policy(pol, RATLS_SNP_GUEST_POLICY_SINGLE_SOCKET), RATLS_OK);
    ratls_snp_policy_set_min_guest_svn(pol, 9);
    ratls_snp_policy_set_min_abi(pol, 1, 0);
    ratls_snp_policy_set_min_firmware(pol, 2, 0, 0);
    ratls_snp_tcb hi = {9, 9, 9, 255, 9};
    ratls_snp_policy_set_min_reported_tcb(pol, &hi);
    ratls_snp_policy_require_mit_vectors(pol, 1, 0);
    expect_policy(&s, pol, 0,
                  "DEBUG|MIGRATE_MA|CXL_ALLOW|single_socket|ABI|SMT|VMPL|GUEST_SVN|VLEK|REPORT_DATA|HOST_DATA|"
                  "IMAGE_ID|FAMILY_ID|ID_KEY_DIGEST|REPORTED_TCB|firmware 1.55.30 is below|provisional|mitigation");
    ratls_snp_policy_free(pol);
    synth_free(&s);
}

/* ---------------- the JSON form ---------------- */

static ratls_status load(const char *json, ratls_snp_policy **out, char *err, size_t errlen)
{
    return ratls_snp_policy_from_json((const uint8_t *)json, strlen(json), out, err, errlen);
}

static void expect_json_error(const char *json, const char *needle)
{
    ratls_snp_policy *p = SENTINEL;
    char err[512] = "";
    ratls_status st = load(json, &p, err, sizeof err);
    if (st == RATLS_OK || !strstr(err, needle))
        print_error("json %s: status %s, err \"%s\", expected \"%s\"\n", json, ratls_status_name(st), err, needle);
    assert_int_not_equal(st, RATLS_OK);
    assert_null(p);
    assert_non_null(strstr(err, needle));
}

#define H16 "00112233445566778899aabbccddeeff"
#define H32 H16 H16
#define H48 H32 H16
#define H64 H32 H32

/* Every key, loaded, then judged on a report built to match it. */
static void test_json_every_key(void **state)
{
    (void)state;
    synth s;
    build(&s, RATLS_SNP_PRODUCT_TURIN, 5);
    uint8_t h[64];
    for (int i = 0; i < 64; i++)
        h[i] = (uint8_t)(0x00 + 0x11 * (i % 16));
    put_le32(s.report + OFF_GUEST_SVN, 3);
    put64(s.report + OFF_POLICY,
          0x30000 | 0x0102 | RATLS_SNP_GUEST_POLICY_SINGLE_SOCKET | RATLS_SNP_GUEST_POLICY_RAPL_DIS | (1ull << 21));
    memcpy(s.report + OFF_FAMILY_ID, h, 16);
    memcpy(s.report + OFF_IMAGE_ID, h, 16);
    put_le32(s.report + 0x30, 1); /* VMPL */
    put_le32(s.report + OFF_SIGNER, 1);
    memcpy(s.report + OFF_REPORT_DATA, h, 64);
    memcpy(s.report + 0x90, h, 48);
    memcpy(s.report + OFF_HOST_DATA, h, 32);
    memcpy(s.report + OFF_ID_KEY, h, 48);
    memcpy(s.report + OFF_AUTHOR_KEY, h, 48);
    put64(s.report + OFF_LAUNCH_MIT, 0x3f);
    put64(s.report + OFF_CURRENT_MIT, 0x3f);
    set_versions(&s, 1, 55, 66, 1, 55, 65); /* provisional */
    memcpy(s.report + OFF_CHIP_ID, h, 64);
    memset(s.report + OFF_CHIP_ID + 8, 0, 56); /* Turin: 8 bytes */
    synth_resign(&s);
    /* the VCEK's HWID is the synth chip id: compare CHIP_ID only through the policy */
    synth s2;
    synth_opts o;
    synth_opts_default(&o, RATLS_SNP_PRODUCT_TURIN);
    memcpy(o.chip_id, s.report + OFF_CHIP_ID, 64);
    memcpy(o.hwid, o.chip_id, 64);
    o.version = 5;
    synth_build(&s2, &o);
    memcpy(s2.report, s.report, 0x2A0);
    synth_resign(&s2);

    const char *json = "{\"allow_debug_insecure\": false, \"allow_migrate_ma\": false, "
                       "\"skip_revocation_insecure\": true, \"forbid_smt\": true, \"allow_cxl\": true, "
                       "\"allow_provisional_firmware\": true, \"vmpl\": 1, \"min_abi\": \"1.2\", "
                       "\"min_guest_svn\": 3, \"require_guest_policy\": [\"single_socket\", \"rapl_dis\"], "
                       "\"measurement\": \"" H48 "\", \"report_data\": \"" H64 "\", \"host_data\": \"" H32 "\", "
                       "\"image_id\": \"" H16 "\", \"family_id\": \"" H16 "\", "
                       "\"chip_id\": \"0011223344556677" /* Turin: 8 bytes, then zeros */
                       "0000000000000000000000000000000000000000000000000000000000000000"
                       "000000000000000000000000000000000000000000000000\", "
                       "\"id_key_digest\": [\"" H48 "\"], \"author_key_digest\": \"" H48 "\", "
                       "\"min_reported_tcb\": {\"fmc\": 1, \"bootloader\": 1, \"tee\": 1, \"snp\": 4, "
                       "\"microcode\": 81}, "
                       "\"min_launch_tcb\": {\"microcode\": 81}, \"min_firmware\": \"1.55.66\", "
                       "\"signing_key\": \"vcek\", \"require_launch_mit_vector\": 63, "
                       "\"require_current_mit_vector\": \"0x3f\"}";
    ratls_snp_policy *pol = NULL;
    char err[256] = "";
    assert_int_equal(load(json, &pol, err, sizeof err), RATLS_OK);
    assert_int_equal(ratls_snp_policy_flags(pol), RATLS_SNP_SKIP_REVOCATION_INSECURE | RATLS_SNP_FORBID_SMT |
                                                      RATLS_SNP_ALLOW_CXL | RATLS_SNP_ALLOW_PROVISIONAL_FIRMWARE);
    expect_policy(&s2, pol, 1,
                  "CXL_ALLOW allowed|single_socket set|rapl_dis set|ABI 1.2 >= 1.2|SMT off|VMPL 1|GUEST_SVN 3 >= 3|"
                  "VCEK-signed|REPORT_DATA as expected|HOST_DATA as expected|IMAGE_ID as expected|FAMILY_ID as "
                  "expected|CHIP_ID as expected|ID_KEY_DIGEST accepted|AUTHOR_KEY_DIGEST accepted|REPORTED_TCB >= "
                  "minimum|LAUNCH_TCB >= minimum|firmware 1.55.66 >= 1.55.66|provisional firmware allowed|"
                  "mitigation vectors hold");
    ratls_result *res = run(&s2, pol);
    want_check(res, "snp.measurement", RATLS_CHECK_PASS, NULL);
    ratls_result_free(res);
    ratls_snp_policy_free(pol);

    /* each key on its own, set to a value this report fails, names its item */
    static const struct {
        const char *json, *needle;
    } fails[] = {
        {"{\"vmpl\": 2}", "VMPL is 1"},
        {"{\"min_abi\": {\"major\": 1, \"minor\": 3}}", "ABI 1.2 is below"},
        {"{\"min_guest_svn\": 4}", "GUEST_SVN 3"},
        {"{\"allow_cxl\": false}", "CXL_ALLOW"},
        {"{\"allow_provisional_firmware\": false}", "provisional"},
        {"{\"require_guest_policy\": [\"ciphertext_hiding\"]}", "ciphertext_hiding"},
        {"{\"require_guest_policy\": [\"mem_aes_256_xts\", \"page_swap_disable\"]}", "mem_aes_256_xts"},
        {"{\"report_data\": \"" H32 H16 "ffffffffffffffffffffffffffffffff\"}", "REPORT_DATA differs"},
        {"{\"host_data\": \"" H16 "ffffffffffffffffffffffffffffffff\"}", "HOST_DATA differs"},
        {"{\"image_id\": \"ffffffffffffffffffffffffffffffff\"}", "IMAGE_ID differs"},
        {"{\"family_id\": \"ffffffffffffffffffffffffffffffff\"}", "FAMILY_ID differs"},
        {"{\"chip_id\": \"" H64 "\"}", "CHIP_ID differs"},
        {"{\"id_key_digest\": \"" H32 "ffffffffffffffffffffffffffffffff\"}", "ID_KEY_DIGEST is not"},
        {"{\"author_key_digest\": [\"" H32 "ffffffffffffffffffffffffffffffff\"]}", "AUTHOR_KEY_DIGEST is not"},
        {"{\"min_reported_tcb\": {\"fmc\": 2}}", "REPORTED_TCB below the minimum (fmc 1 < 2)"},
        {"{\"min_launch_tcb\": {\"snp\": 5}}", "LAUNCH_TCB below the minimum (snp 4 < 5)"},
        {"{\"min_firmware\": {\"major\": 1, \"minor\": 56}}", "below the minimum 1.56.0"},
        {"{\"min_firmware\": \"1.55.67\"}", "below the minimum 1.55.67"},
        {"{\"signing_key\": \"vlek\"}", "requires the VLEK"},
        {"{\"require_launch_mit_vector\": \"0x40\"}", "LAUNCH_MIT_VECTOR lacks required bits 0x40"},
        {"{\"require_current_mit_vector\": 128}", "CURRENT_MIT_VECTOR lacks required bits 0x80"},
        {"{\"snp\": {\"min_guest_svn\": 4}}", "GUEST_SVN 3"},
    };
    for (size_t i = 0; i < sizeof fails / sizeof fails[0]; i++) {
        /* a base that accepts this report, without the keys under test;
         * the one key under test then fails it */
        static const char *const base[] = {"\"vmpl\": 1", "\"allow_cxl\": true", "\"allow_provisional_firmware\": true",
                                           "\"skip_revocation_insecure\": true"};
        const char *body = fails[i].json;
        int wrapped = strncmp(body, "{\"snp\"", 6) == 0;
        char buf[1024];
        size_t n = (size_t)snprintf(buf, sizeof buf, "%s{", wrapped ? "{\"snp\": " : "");
        for (size_t b = 0; b < sizeof base / sizeof base[0]; b++) {
            char key[48];
            snprintf(key, sizeof key, "%.*s", (int)(strchr(base[b], ':') - base[b]), base[b]);
            if (!strstr(body, key))
                n += (size_t)snprintf(buf + n, sizeof buf - n, "%s, ", base[b]);
        }
        snprintf(buf + n, sizeof buf - n, "%s", wrapped ? body + 9 : body + 1);
        pol = NULL;
        err[0] = '\0';
        ratls_status st = load(buf, &pol, err, sizeof err);
        if (st != RATLS_OK)
            print_error("%s: %s\n", buf, err);
        assert_int_equal(st, RATLS_OK);
        expect_policy(&s2, pol, 0, fails[i].needle);
        ratls_snp_policy_free(pol);
    }
    /* forbid_smt: this report has SMT off; turn it on */
    put64(s2.report + OFF_PLATFORM_INFO, 1);
    synth_resign(&s2);
    assert_int_equal(load("{\"vmpl\": 1, \"allow_cxl\": true, \"allow_provisional_firmware\": true, "
                          "\"skip_revocation_insecure\": true, \"forbid_smt\": true}",
                          &pol, err, sizeof err),
                     RATLS_OK);
    expect_policy(&s2, pol, 0, "SMT enabled");
    ratls_snp_policy_free(pol);
    synth_free(&s2);
    synth_free(&s);
}

static void test_json_forms(void **state)
{
    (void)state;
    ratls_snp_policy *p = NULL;
    char err[256];
    /* empty object and empty wrapper: the default policy */
    assert_int_equal(load("{}", &p, err, sizeof err), RATLS_OK);
    assert_int_equal(ratls_snp_policy_flags(p), 0);
    ratls_snp_policy_free(p);
    assert_int_equal(load(" {\"snp\": {}} ", &p, err, sizeof err), RATLS_OK);
    ratls_snp_policy_free(p);
    /* a flag set false stays off; later keys do not disturb earlier ones */
    assert_int_equal(load("{\"snp\": {\"allow_debug_insecure\": false, \"forbid_smt\": true}}", &p, err, sizeof err),
                     RATLS_OK);
    assert_int_equal(ratls_snp_policy_flags(p), RATLS_SNP_FORBID_SMT);
    ratls_snp_policy_free(p);
    /* versions: two or three parts, objects */
    const char *ok[] = {
        "{\"min_firmware\": \"1.55\"}",
        "{\"min_firmware\": \"0.0.0\"}",
        "{\"min_firmware\": \"255.255.255\"}",
        "{\"min_firmware\": {\"build\": 3}}",
        "{\"min_abi\": \"0.31\"}",
        "{\"min_abi\": {\"major\": 1}}",
        "{\"id_key_digest\": [\"" H48 "\", \"" H48 "\"]}",
        "{\"signing_key\": \"any\"}",
        "{\"require_guest_policy\": []}",
        "{\"require_launch_mit_vector\": \"0xFFFFFFFFFFFFFFFF\"}",
        "{\"min_guest_svn\": 4294967295}",
        "{\"report_data\": \"" H64 "\"}",
        "{\"chip_id\": \"" H64 "\"}",
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        p = NULL;
        err[0] = '\0';
        ratls_status st = load(ok[i], &p, err, sizeof err);
        if (st != RATLS_OK)
            print_error("%s: %s\n", ok[i], err);
        assert_int_equal(st, RATLS_OK);
        ratls_snp_policy_free(p);
    }
    assert_int_equal(ratls_snp_policy_from_json(NULL, 0, &p, err, sizeof err), RATLS_ERR_INVALID_ARGUMENT);
    assert_int_equal(ratls_snp_policy_from_json((const uint8_t *)"{}", 2, NULL, err, sizeof err),
                     RATLS_ERR_INVALID_ARGUMENT);
    assert_int_equal(ratls_snp_policy_from_json((const uint8_t *)"{}", 2, &p, NULL, 0), RATLS_OK);
    ratls_snp_policy_free(p);
}

static void test_json_errors(void **state)
{
    (void)state;
    static const struct {
        const char *json, *needle;
    } bad[] = {
        /* unknown keys */
        {"{\"vmpl\": 0, \"min_tcb\": {}}", "unknown key \"min_tcb\""},
        {"{\"snp\": {\"allow_debug\": true}}", "unknown key \"allow_debug\""},
        {"{\"snp\": {\"snp\": {}}}", "unknown key \"snp\""},
        {"{\"snp\": {}, \"vmpl\": 0}", "\"snp\" must be the only key"},
        {"{\"snp\": []}", "\"snp\" must be an object"},
        /* wrong types */
        {"{\"allow_debug_insecure\": 1}", "\"allow_debug_insecure\" must be true or false"},
        {"{\"allow_migrate_ma\": \"yes\"}", "\"allow_migrate_ma\""},
        {"{\"skip_revocation_insecure\": null}", "\"skip_revocation_insecure\""},
        {"{\"forbid_smt\": 0}", "\"forbid_smt\""},
        {"{\"allow_cxl\": []}", "\"allow_cxl\""},
        {"{\"allow_provisional_firmware\": {}}", "\"allow_provisional_firmware\""},
        {"{\"vmpl\": \"0\"}", "\"vmpl\" must be an integer 0..3"},
        {"{\"vmpl\": 4}", "\"vmpl\""},
        {"{\"vmpl\": -1}", "\"vmpl\""},
        {"{\"vmpl\": 1.0}", "\"vmpl\""},
        {"{\"min_guest_svn\": 4294967296}", "\"min_guest_svn\""},
        {"{\"min_guest_svn\": true}", "\"min_guest_svn\""},
        {"{\"measurement\": 5}", "\"measurement\" must be a string of 96 hex digits"},
        {"{\"require_guest_policy\": \"single_socket\"}", "\"require_guest_policy\" must be an array"},
        {"{\"require_guest_policy\": [\"debug\"]}", "\"require_guest_policy\"[0]"},
        {"{\"require_guest_policy\": [\"rapl_dis\", 23]}", "\"require_guest_policy\"[1]"},
        {"{\"signing_key\": \"VCEK\"}", "\"signing_key\" must be"},
        {"{\"signing_key\": 0}", "\"signing_key\""},
        {"{\"id_key_digest\": []}", "\"id_key_digest\""},
        {"{\"id_key_digest\": [1]}", "\"id_key_digest\""},
        {"{\"author_key_digest\": {}}", "\"author_key_digest\""},
        {"{\"min_reported_tcb\": {\"ucode\": 1}}", "\"min_reported_tcb\" must be an object"},
        {"{\"min_reported_tcb\": {\"snp\": 256}}", "\"min_reported_tcb\""},
        {"{\"min_reported_tcb\": {}}", "\"min_reported_tcb\""},
        {"{\"min_launch_tcb\": [1, 2]}", "\"min_launch_tcb\""},
        {"{\"require_launch_mit_vector\": -1}", "\"require_launch_mit_vector\""},
        {"{\"require_current_mit_vector\": \"3f\"}", "\"require_current_mit_vector\""},
        {"{\"require_current_mit_vector\": \"0x\"}", "\"require_current_mit_vector\""},
        {"{\"require_current_mit_vector\": \"0x1ffffffffffffffff\"}", "\"require_current_mit_vector\""},
        {"{\"require_current_mit_vector\": \"0xg\"}", "\"require_current_mit_vector\""},
        /* bad hex lengths and digits */
        {"{\"measurement\": \"" H32 "\"}", "\"measurement\" must be a string of 96 hex digits (48 bytes)"},
        {"{\"report_data\": \"" H48 "\"}", "\"report_data\" must be a string of 128 hex digits"},
        {"{\"host_data\": \"" H32 "00\"}", "\"host_data\" must be a string of 64 hex digits"},
        {"{\"image_id\": \"" H32 "\"}", "\"image_id\" must be a string of 32 hex digits"},
        {"{\"family_id\": \"0011\"}", "\"family_id\""},
        {"{\"chip_id\": \"" H48 "\"}", "\"chip_id\" must be a string of 128 hex digits"},
        {"{\"host_data\": \"" H16 "zz112233445566778899aabbccddeeff\"}", "\"host_data\""},
        {"{\"id_key_digest\": \"" H32 "\"}", "\"id_key_digest\" must be 96 hex digits"},
        {"{\"author_key_digest\": [\"" H48 "\", \"" H16 "\"]}", "\"author_key_digest\""},
        {"{\"image_id\": \"0011223344556677\\u00008899aabbccddeef\"}",
         "not a JSON object"}, /* NUL refused by jansson */
        /* bad versions */
        {"{\"min_firmware\": \"1\"}", "\"min_firmware\" must be \"major.minor[.build]\""},
        {"{\"min_firmware\": \"1.2.3.4\"}", "\"min_firmware\""},
        {"{\"min_firmware\": \"1..2\"}", "\"min_firmware\""},
        {"{\"min_firmware\": \"1.2.\"}", "\"min_firmware\""},
        {"{\"min_firmware\": \".1\"}", "\"min_firmware\""},
        {"{\"min_firmware\": \"a.b\"}", "\"min_firmware\""},
        {"{\"min_firmware\": \"256.0\"}", "\"min_firmware\""},
        {"{\"min_firmware\": \"-1.0\"}", "\"min_firmware\""},
        {"{\"min_firmware\": \"1.2 \"}", "\"min_firmware\""},
        {"{\"min_firmware\": \"00001.2\"}", "\"min_firmware\""},
        {"{\"min_firmware\": \"\"}", "\"min_firmware\""},
        {"{\"min_firmware\": 1}", "\"min_firmware\""},
        {"{\"min_firmware\": {\"patch\": 1}}", "\"min_firmware\""},
        {"{\"min_firmware\": {\"major\": \"1\"}}", "\"min_firmware\""},
        {"{\"min_abi\": \"1.2.3\"}", "\"min_abi\" must be \"major.minor\""},
        {"{\"min_abi\": {\"build\": 1}}", "\"min_abi\""},
        /* not an object, not JSON */
        {"", "not a JSON object"},
        {"   ", "not a JSON object"},
        {"[]", "not a JSON object (wrong type)"},
        {"null", "not a JSON object"},
        {"\"snp\"", "not a JSON object"},
        {"{\"vmpl\": 0", "not a JSON object"},
        {"{\"vmpl\": 0, \"vmpl\": 1}", "not a JSON object"}, /* duplicate keys */
        {"\x01\xff garbage", "not a JSON object"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_json_error(bad[i].json, bad[i].needle);

    /* over the cap: refused before parsing */
    size_t big = 64u * 1024u + 1;
    char *b = malloc(big);
    assert_non_null(b);
    memset(b, ' ', big);
    b[0] = '{';
    b[big - 1] = '}';
    ratls_snp_policy *p = SENTINEL;
    char err[256] = "";
    assert_int_equal(ratls_snp_policy_from_json((const uint8_t *)b, big, &p, err, sizeof err), RATLS_ERR_TOO_LARGE);
    assert_null(p);
    assert_non_null(strstr(err, "over"));
    assert_int_equal(ratls_snp_policy_from_json((const uint8_t *)b, big - 1, &p, err, sizeof err),
                     RATLS_ERR_INVALID_ARGUMENT); /* "{   " : cut, not JSON */
    free(b);
    /* too many digests */
    size_t cap = 70 * 100 + 64;
    char *j = malloc(cap);
    assert_non_null(j);
    size_t n = (size_t)snprintf(j, cap, "{\"id_key_digest\": [");
    for (int i = 0; i < RATLS_SNP_MAX_KEY_DIGESTS + 1; i++)
        n += (size_t)snprintf(j + n, cap - n, "%s\"%s\"", i ? "," : "", H48);
    snprintf(j + n, cap - n, "]}");
    p = NULL;
    assert_int_equal(load(j, &p, err, sizeof err), RATLS_ERR_TOO_LARGE);
    assert_null(p);
    assert_non_null(strstr(err, "\"id_key_digest\" lists more than 64"));
    free(j);
}

/* Byte flips, truncations and insertions of a full policy never crash the
 * loader (run under ASan in the sanitizer build) and never half-succeed. */
static void test_json_mutations(void **state)
{
    (void)state;
    const char *base = "{\"snp\": {\"vmpl\": 1, \"min_abi\": \"1.2\", \"min_firmware\": {\"major\": 1, \"minor\": 55}, "
                       "\"min_reported_tcb\": {\"bootloader\": 1, \"microcode\": 81}, \"id_key_digest\": [\"" H48
                       "\"], \"host_data\": \"" H32 "\", \"require_guest_policy\": [\"rapl_dis\"], "
                       "\"signing_key\": \"vcek\", \"require_current_mit_vector\": \"0x3f\", \"forbid_smt\": true}}";
    size_t n = strlen(base);
    uint8_t *buf = malloc(n + 1);
    assert_non_null(buf);
    uint32_t seed = 12345;
    static const uint8_t pool[] = {'{', '}', '[', ']', '"', ':', ',', '.', '0', '9', 'x', '-', ' ', 0, 0xff, '\\'};
    for (int it = 0; it < 20000; it++) {
        memcpy(buf, base, n);
        size_t len = n;
        int muts = 1 + it % 3;
        for (int m = 0; m < muts; m++) {
            seed = seed * 1103515245u + 12345u;
            size_t at = (seed >> 8) % len;
            seed = seed * 1103515245u + 12345u;
            uint8_t c = (seed >> 16) & 1 ? pool[(seed >> 8) % sizeof pool] : (uint8_t)(seed >> 8);
            if (it % 7 == 0)
                len = at + 1; /* truncate */
            else
                buf[at] = c;
        }
        ratls_snp_policy *p = SENTINEL;
        char err[128];
        ratls_status st = ratls_snp_policy_from_json(buf, len, &p, err, sizeof err);
        if (st == RATLS_OK)
            assert_non_null(p);
        else
            assert_null(p);
        ratls_snp_policy_free(p);
    }
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_policy),
        cmocka_unit_test(test_debug_migrate),
        cmocka_unit_test(test_smt),
        cmocka_unit_test(test_cxl),
        cmocka_unit_test(test_required_guest_policy),
        cmocka_unit_test(test_vmpl_abi_svn),
        cmocka_unit_test(test_expected_bytes),
        cmocka_unit_test(test_key_digests),
        cmocka_unit_test(test_min_tcb),
        cmocka_unit_test(test_min_firmware),
        cmocka_unit_test(test_provisional),
        cmocka_unit_test(test_signing_key),
        cmocka_unit_test(test_mit_vectors),
        cmocka_unit_test(test_every_failure_named),
        cmocka_unit_test(test_json_every_key),
        cmocka_unit_test(test_json_forms),
        cmocka_unit_test(test_json_errors),
        cmocka_unit_test(test_json_mutations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
