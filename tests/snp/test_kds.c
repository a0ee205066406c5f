/*
 * SEV-SNP collateral from AMD KDS through the collateral source, against the
 * loopback KDS stand-in (tests/collateral/kds_standin.py): the real vectors
 * at the KDS URLs the spec gives (Milan v2, Turin v5) verified end to end
 * with the real ARK pins; the self-made AMD-like PKI (snp_synth) for the
 * caches, offline mode, HTTP 429 with Retry-After, every kind of bad item
 * (rejected with its status and not cached), and one request per item
 * across threads.
 *
 * Verification times are fixed; no assertion depends on how long anything
 * took.
 */
#include <dirent.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "../tdx/vectors_util.h"
#include "../collateral/standin_util.h"
#include "collateral/source.h"
#include "ratls/ratls.h"
#include "crypto/crypto.h"
#include "snp/kds.h"
#include "snp/snp.h"
#include "snp_synth.h"

#define T_NOW INT64_C(1780000000) /* 2026-05-28: inside every real VCEK's window and the synthetic PKI's */
#define DAY INT64_C(86400)

/* ------------------------------------------------------------------ */
/* utilities                                                            */
/* ------------------------------------------------------------------ */

/* Files in dir whose name contains `part`. */
static int files_with(const char *dir, const char *part)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *de;
    while (d && (de = readdir(d)) != NULL)
        if (de->d_name[0] != '.' && strstr(de->d_name, part))
            n++;
    if (d)
        closedir(d);
    return n;
}

static uint64_t le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* ------------------------------------------------------------------ */
/* fixtures: a temporary folder, the synthetic PKI, the stand-in        */
/* ------------------------------------------------------------------ */

static char g_tmp[64];
static unsigned g_seq;
static standin g_sd;
static synth g_s; /* Milan-like, the default options */
static synth_opts g_o;
static char g_chain[512], g_crl[512], g_vcek[512]; /* the good items, as files */
static char g_vcek_path[512];                      /* its KDS path, query included */

static void new_dir(char *out, size_t n, const char *what)
{
    snprintf(out, n, "%s/%s-%u", g_tmp, what, ++g_seq);
    assert_int_equal(mkdir(out, 0700), 0);
}

static void tmp_file(char *out, size_t n, const char *name, const void *buf, size_t len)
{
    snprintf(out, n, "%s/%s", g_tmp, name);
    write_bytes(out, buf, len);
}

/* A CRL in the synthetic ARK's name, signed with key, for [last, next]: DER in a file. */
static void mk_crl_file(EVP_PKEY *key, int64_t last, int64_t next, const char *name, char *out, size_t n)
{
    size_t len = 0;
    uint8_t *crl = synth_mk_crl(g_s.ark, key, last, next, 0, &len);
    assert_non_null(crl);
    tmp_file(out, n, name, crl, len);
    OPENSSL_free(crl);
}

/* Control requests to the stand-in. */
#define ctl(...) standin_ctl(&g_sd, __VA_ARGS__)

/* %-escape a KDS path (with its query) for the control API. */
static void url_escape(const char *in, char *out, size_t n)
{
    size_t k = 0;
    for (; *in && k + 4 < n; in++) {
        unsigned char c = (unsigned char)*in;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' || c == '-' ||
            c == '_' || c == '.')
            out[k++] = (char)c;
        else
            k += (size_t)snprintf(out + k, n - k, "%%%02X", c);
    }
    out[k] = 0;
}

/* Serve `file` at the KDS `path` (der: PEM turned into DER); NULL removes. */
static void serve(const char *path, const char *file, int der)
{
    char ep[1024];
    url_escape(path, ep, sizeof ep);
    ctl("/__map?path=%s&file=%s&der=%d", ep, file ? file : "", der);
}

static void fault(const char *route, const char *mode, int count, const char *arg)
{
    standin_fault(&g_sd, route, mode, count, arg);
}

/* The stand-in's count for a route or a "PATH?QUERY" since the last reset. */
static long requests(const char *key) { return standin_stat(&g_sd, key); }

/* A source on the stand-in: short backoff, Retry-After honoured up to 5 s. */
static ratls_collateral_source *new_source(const char *cache_dir)
{
    ratls_collateral_source *s = ratls_collateral_source_new();
    assert_non_null(s);
    assert_int_equal(ratls_collateral_source_set_kds_url(s, g_sd.base), RATLS_OK);
    if (cache_dir)
        assert_int_equal(ratls_collateral_source_set_cache_dir(s, cache_dir), RATLS_OK);
    ratls_collateral_source_set_retries(s, 2, 10, 5000);
    ratls_collateral_source_set_timeouts(s, 3000, 10000);
    ratls_collateral_source_set_vcek_retry_interval(s, 0); /* test_vcek_failure_held shows the default */
    return s;
}

static ratls_status get_synth(ratls_collateral_source *s, unsigned want, snp_kds_parts *out, char *err, size_t n)
{
    return source_get_snp(s, g_s.pin, RATLS_SNP_PRODUCT_MILAN, g_o.chip_id, le64(g_o.tcb), want, T_NOW, out, err, n);
}

/* get_synth, which must succeed. */
static void get_synth_ok(ratls_collateral_source *s, unsigned want, snp_kds_parts *out)
{
    char err[1024] = "";
    ratls_status st = get_synth(s, want, out, err, sizeof err);
    if (st != RATLS_OK)
        fail_msg("%s: %s", ratls_status_name(st), err);
}

static ratls_collateral_stats stats_of(ratls_collateral_source *s)
{
    ratls_collateral_stats cs;
    ratls_collateral_source_stats(s, &cs);
    return cs;
}

/* The stand-in's counts for the good synthetic items since the last reset,
 * and nothing else asked for; s (unless NULL) counted the same requests. */
static void expect_item_requests_(ratls_collateral_source *s, long chain, long crl, long vcek, int line)
{
    long c = requests("/vcek/v1/Milan/cert_chain"), r = requests("/vcek/v1/Milan/crl"), v = requests(g_vcek_path);
    long total = requests("total");
    if (c != chain || r != crl || v != vcek || total != chain + crl + vcek)
        fail_msg("line %d: the stand-in counted chain=%ld crl=%ld vcek=%ld total=%ld, expected %ld %ld %ld", line, c, r,
                 v, total, chain, crl, vcek);
    if (s && stats_of(s).upstream_requests != (uint64_t)total)
        fail_msg("line %d: the source counted %llu requests, the stand-in %ld", line,
                 (unsigned long long)stats_of(s).upstream_requests, total);
}
#define expect_item_requests(s, chain, crl, vcek) expect_item_requests_(s, chain, crl, vcek, __LINE__)

#define ALL (SNP_KDS_CHAIN | SNP_KDS_CRL | SNP_KDS_VCEK)

/* The synthetic VCEK path, as the spec writes it. */
static void synth_vcek_path(const uint8_t chip[64], const char *query, char *out, size_t n)
{
    char hx[129];
    for (unsigned i = 0; i < 64; i++)
        snprintf(hx + 2 * i, 3, "%02x", chip[i]);
    snprintf(out, n, "/vcek/v1/Milan/%s?%s", hx, query);
}

static int group_setup(void **state)
{
    (void)state;
    snprintf(g_tmp, sizeof g_tmp, "/tmp/ratls-kds-XXXXXX");
    if (!mkdtemp(g_tmp))
        return -1;
    synth_opts_default(&g_o, RATLS_SNP_PRODUCT_MILAN);
    synth_build(&g_s, &g_o);
    tmp_file(g_chain, sizeof g_chain, "chain.pem", g_s.chain_pem, g_s.chain_len);
    tmp_file(g_vcek, sizeof g_vcek, "vcek.der", g_s.vek_der, g_s.vek_len);
    mk_crl_file(g_s.ark_key, T_NOW - DAY, T_NOW + 7 * DAY, "crl.der", g_crl, sizeof g_crl);
    /* default TCB {3,0,0,0,0,0,8,0xd1}: bl 3, tee 0, snp 8, ucode 209 */
    synth_vcek_path(g_o.chip_id, "blSPL=3&teeSPL=0&snpSPL=8&ucodeSPL=209", g_vcek_path, sizeof g_vcek_path);
    standin_start(&g_sd, RATLS_KDS_STANDIN, NULL);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    standin_stop(&g_sd);
    synth_free(&g_s);
    rm_rf(g_tmp);
    return 0;
}

/* Every test starts with the good synthetic items served and nothing counted. */
static int test_setup(void **state)
{
    (void)state;
    ctl("/__reset");
    serve("/vcek/v1/Milan/cert_chain", g_chain, 0);
    serve("/vcek/v1/Milan/crl", g_crl, 0);
    serve(g_vcek_path, g_vcek, 0);
    return 0;
}

/* ------------------------------------------------------------------ */
/* real vectors                                                         */
/* ------------------------------------------------------------------ */

typedef struct real_set {
    const char *report, *vcek, *chain;
    int vcek_pem;
    ratls_snp_product p;
    const char *vcek_path_fmt; /* %s: the hwid hex */
    size_t hwid_len;
    unsigned flags; /* policy flags besides skipping revocation */
} real_set;

static void real_case(const real_set *rs)
{
    const char *dir = vec_dir();
    if (!dir)
        skip();
    char rpath[1024], vpath[1024], cpath[1024];
    snprintf(rpath, sizeof rpath, "%s/snp/%s", dir, rs->report);
    snprintf(vpath, sizeof vpath, "%s/snp/%s", dir, rs->vcek);
    snprintf(cpath, sizeof cpath, "%s/snp/%s", dir, rs->chain);
    uint8_t *rep = NULL;
    size_t rl = 0;
    char rrel[512];
    snprintf(rrel, sizeof rrel, "snp/%s", rs->report);
    if (vec_read(rrel, &rep, &rl) != 0 || access(vpath, R_OK) != 0 || access(cpath, R_OK) != 0) {
        printf("  (SEV-SNP vectors missing under %s/snp: skipped)\n", dir);
        free(rep);
        skip();
    }
    assert_int_equal(rl, RATLS_SNP_REPORT_LEN);
    const uint8_t *chip = rep + 0x1A0;
    uint64_t tcb = le64(rep + 0x180);
    char hx[129], kpath[512];
    for (size_t i = 0; i < rs->hwid_len; i++)
        snprintf(hx + 2 * i, 3, "%02x", chip[i]);
    snprintf(kpath, sizeof kpath, rs->vcek_path_fmt, hx);
    char chain_path[128];
    snprintf(chain_path, sizeof chain_path, "/vcek/v1/%s/cert_chain", ratls_snp_product_name(rs->p));
    serve(chain_path, cpath, 0);
    serve(kpath, vpath, rs->vcek_pem);

    ratls_collateral_source *s = new_source(NULL);
    snp_kds_parts parts;
    char err[1024] = "";
    ratls_status st = source_get_snp(s, snp_ark_pin(rs->p), rs->p, chip, tcb, SNP_KDS_CHAIN | SNP_KDS_VCEK, T_NOW,
                                     &parts, err, sizeof err);
    if (st != RATLS_OK)
        fail_msg("source_get_snp: %s (%s)", ratls_status_name(st), err);
    assert_int_equal(requests(chain_path), 1);
    assert_int_equal(requests(kpath), 1);
    assert_non_null(parts.vcek);
    assert_non_null(parts.chain);
    assert_null(parts.crl);

    ratls_snp_policy *pol = ratls_snp_policy_new();
    assert_non_null(pol);
    ratls_snp_policy_set_flags(pol, RATLS_SNP_SKIP_REVOCATION_INSECURE | rs->flags);
    ratls_snp_collateral_parts cp = {parts.vcek, parts.vcek_len, parts.chain, parts.chain_len, NULL, 0};
    ratls_result *res = NULL;
    st = ratls_snp_verify(rep, rl, &cp, rs->p, pol, T_NOW, &res);
    if (st != RATLS_OK)
        fail_msg("ratls_snp_verify: %s (%s)", ratls_status_name(st), res ? ratls_result_error(res) : "no result");
    ratls_check_outcome oc;
    assert_int_not_equal(ratls_result_find_check(res, "snp.chain", &oc, NULL), -1);
    assert_int_equal(oc, RATLS_CHECK_PASS);
    assert_int_not_equal(ratls_result_find_check(res, "snp.tcb", &oc, NULL), -1);
    assert_int_equal(oc, RATLS_CHECK_PASS);
    ratls_result_free(res);
    ratls_snp_policy_free(pol);
    snp_kds_parts_clear(&parts);
    ratls_collateral_source_free(s);
    serve(chain_path, NULL, 0);
    serve(kpath, NULL, 0);
    free(rep);
}

/* S1: go-sev-guest's Milan v2 report; the KDS URL go-sev-guest's test uses
 * (blSPL=2&teeSPL=0&snpSPL=5&ucodeSPL=68). Its guest policy has DEBUG set. */
static void test_real_milan(void **state)
{
    (void)state;
    real_set rs = {"google-go-sev-guest/verify/testdata/attestation.bin",
                   "google-go-sev-guest/verify/testdata/vcek.testcer",
                   "google-go-sev-guest/verify/trust/ask_ark_milan.pem",
                   0,
                   RATLS_SNP_PRODUCT_MILAN,
                   "/vcek/v1/Milan/%s?blSPL=2&teeSPL=0&snpSPL=5&ucodeSPL=68",
                   64,
                   RATLS_SNP_ALLOW_DEBUG_INSECURE};
    real_case(&rs);
}

/* S5: Microsoft's Turin v5 report: 16-hex hwid (CHIP_ID[0:8]) and fmcSPL
 * first; the VCEK is a PEM file, served as DER like KDS does. */
static void test_real_turin(void **state)
{
    (void)state;
    real_set rs = {"microsoft-TEE-Attestation-Verification/tests/test_data/turin_attestation_report.bin",
                   "microsoft-TEE-Attestation-Verification/tests/test_data/turin_vcek.pem",
                   "google-go-sev-guest/verify/trust/ask_ark_turin_vcek.pem",
                   1,
                   RATLS_SNP_PRODUCT_TURIN,
                   "/vcek/v1/Turin/%s?fmcSPL=1&blSPL=1&teeSPL=1&snpSPL=4&ucodeSPL=81",
                   8,
                   0};
    real_case(&rs);
}

/* The real Milan chain under the Genoa pin: no certificate carries the pin. */
static void test_real_chain_wrong_pin(void **state)
{
    (void)state;
    const char *dir = vec_dir();
    if (!dir)
        skip();
    char cpath[1024];
    snprintf(cpath, sizeof cpath, "%s/snp/google-go-sev-guest/verify/trust/ask_ark_milan.pem", dir);
    if (access(cpath, R_OK) != 0)
        skip();
    serve("/vcek/v1/Milan/cert_chain", cpath, 0);
    ratls_collateral_source *s = new_source(NULL);
    snp_kds_parts parts;
    char err[1024] = "";
    assert_int_equal(source_get_snp(s, snp_ark_pin(RATLS_SNP_PRODUCT_GENOA), RATLS_SNP_PRODUCT_MILAN, NULL, 0,
                                    SNP_KDS_CHAIN, T_NOW, &parts, err, sizeof err),
                     RATLS_ERR_UNTRUSTED_ROOT);
    assert_non_null(strstr(err, "/vcek/v1/Milan/cert_chain"));
    assert_int_equal(source_get_snp(s, snp_ark_pin(RATLS_SNP_PRODUCT_MILAN), RATLS_SNP_PRODUCT_MILAN, NULL, 0,
                                    SNP_KDS_CHAIN, T_NOW, &parts, err, sizeof err),
                     RATLS_OK);
    snp_kds_parts_clear(&parts);
    ratls_collateral_source_free(s);
}

/* ------------------------------------------------------------------ */
/* synthetic PKI                                                        */
/* ------------------------------------------------------------------ */

static void verify_synth(const snp_kds_parts *p)
{
    ratls_snp_collateral_parts cp = {p->vcek, p->vcek_len, p->chain, p->chain_len, p->crl, p->crl_len};
    ratls_result *res = NULL;
    ratls_status st =
        snp_verify_pinned(g_s.report, sizeof g_s.report, &cp, RATLS_SNP_PRODUCT_UNKNOWN, NULL, T_NOW, g_s.pin, &res);
    if (st != RATLS_OK)
        fail_msg("snp_verify_pinned: %s (%s)", ratls_status_name(st), res ? ratls_result_error(res) : "no result");
    ratls_result_free(res);
}

/* All three items fetched, verified, then served from memory. */
static void test_synth_fetch_and_memory(void **state)
{
    (void)state;
    ratls_collateral_source *s = new_source(NULL);
    snp_kds_parts parts;
    get_synth_ok(s, ALL, &parts);
    assert_memory_equal(parts.chain, g_s.chain_pem, g_s.chain_len);
    assert_memory_equal(parts.vcek, g_s.vek_der, g_s.vek_len);
    verify_synth(&parts);
    snp_kds_parts_clear(&parts);
    expect_item_requests(s, 1, 1, 1);
    ratls_collateral_stats a = stats_of(s);

    get_synth_ok(s, ALL, &parts);
    verify_synth(&parts);
    snp_kds_parts_clear(&parts);
    ratls_collateral_stats b = stats_of(s);
    assert_int_equal(b.memory_hits, a.memory_hits + 3);
    expect_item_requests(s, 1, 1, 1);
    ratls_collateral_source_free(s);
}

/* Every item fetched by a source on the cache folder `dir`, which then holds them. */
static void fill_cache(const char *dir)
{
    ratls_collateral_source *s = new_source(dir);
    snp_kds_parts parts;
    get_synth_ok(s, ALL, &parts);
    snp_kds_parts_clear(&parts);
    expect_item_requests(s, 1, 1, 1);
    ratls_collateral_source_free(s);
    assert_int_equal(files_with(dir, ".json"), 3);
}

/* A new source on the filled cache folder `dir` (offline or not): every item
 * from disk, verified, and no request. */
static void expect_all_from_disk(const char *dir, int offline)
{
    ratls_collateral_source *s = new_source(dir);
    ratls_collateral_source_set_offline(s, offline);
    snp_kds_parts parts;
    get_synth_ok(s, ALL, &parts);
    verify_synth(&parts);
    snp_kds_parts_clear(&parts);
    ratls_collateral_stats st = stats_of(s);
    assert_int_equal(st.upstream_requests, 0);
    assert_int_equal(st.disk_hits, 3);
    expect_item_requests(NULL, 1, 1, 1); /* those that filled the cache */
    ratls_collateral_source_free(s);
}

/* A new source on the same cache folder: every item from disk, no request. */
static void test_synth_disk_cache(void **state)
{
    (void)state;
    char dir[128];
    new_dir(dir, sizeof dir, "cache");
    fill_cache(dir);
    expect_all_from_disk(dir, 0);
}

/* Offline: an empty cache cannot serve; the disk cache can. */
static void test_synth_offline(void **state)
{
    (void)state;
    char dir[128];
    new_dir(dir, sizeof dir, "offline");
    ratls_collateral_source *s = new_source(dir);
    ratls_collateral_source_set_offline(s, 1);
    snp_kds_parts parts;
    char err[1024] = "";
    assert_int_equal(get_synth(s, ALL, &parts, err, sizeof err), RATLS_ERR_COLLATERAL_UNAVAILABLE);
    assert_null(parts.chain);
    assert_int_equal(requests("total"), 0);
    ratls_collateral_source_free(s);

    fill_cache(dir); /* online */
    expect_all_from_disk(dir, 1);
}

/* KDS throttling: 429 with Retry-After: 1, then the VCEK. */
static void test_synth_429_retry_after(void **state)
{
    (void)state;
    fault("vcek", "429", 1, "1");
    ratls_collateral_source *s = new_source(NULL);
    snp_kds_parts parts;
    get_synth_ok(s, SNP_KDS_CHAIN | SNP_KDS_VCEK, &parts);
    snp_kds_parts_clear(&parts);
    expect_item_requests(s, 1, 0, 2);
    ratls_collateral_source_free(s);
}

/* A Retry-After beyond the cap fails at once, naming the URL. */
static void test_synth_429_beyond_cap(void **state)
{
    (void)state;
    fault("vcek", "429", 1, "120");
    ratls_collateral_source *s = new_source(NULL);
    snp_kds_parts parts;
    char err[1024] = "";
    assert_int_equal(get_synth(s, SNP_KDS_CHAIN | SNP_KDS_VCEK, &parts, err, sizeof err), RATLS_ERR_HTTP_STATUS);
    assert_null(parts.chain);
    assert_non_null(strstr(err, g_vcek_path));
    assert_non_null(strstr(err, "429"));
    assert_non_null(strstr(err, "Retry-After"));
    assert_int_equal(requests(g_vcek_path), 1);
    /* not cached: the next request is made and accepted */
    assert_int_equal(get_synth(s, SNP_KDS_CHAIN | SNP_KDS_VCEK, &parts, err, sizeof err), RATLS_OK);
    snp_kds_parts_clear(&parts);
    assert_int_equal(requests(g_vcek_path), 2);
    ratls_collateral_source_free(s);
}

/* A VCEK that failed is not asked for again within the retry interval (AMD
 * KDS's pace); other items are, and the interval can be turned off. */
static void test_vcek_failure_held(void **state)
{
    (void)state;
    fault("vcek", "404", 1, NULL);
    ratls_collateral_source *s = new_source(NULL);
    ratls_collateral_source_set_vcek_retry_interval(s, 3600);
    snp_kds_parts parts;
    char err[1024] = "";
    assert_int_equal(get_synth(s, SNP_KDS_CHAIN | SNP_KDS_VCEK, &parts, err, sizeof err), RATLS_ERR_HTTP_STATUS);
    assert_int_equal(requests(g_vcek_path), 1);
    err[0] = 0;
    assert_int_equal(get_synth(s, SNP_KDS_CHAIN | SNP_KDS_VCEK, &parts, err, sizeof err), RATLS_ERR_HTTP_STATUS);
    assert_non_null(strstr(err, "not asked again"));
    assert_int_equal(requests(g_vcek_path), 1); /* held: no second request */
    /* the chain and the CRL are not held back */
    assert_int_equal(get_synth(s, SNP_KDS_CHAIN | SNP_KDS_CRL, &parts, err, sizeof err), RATLS_OK);
    snp_kds_parts_clear(&parts);
    /* with the interval off the VCEK is asked for again, and now served */
    ratls_collateral_source_set_vcek_retry_interval(s, 0);
    assert_int_equal(get_synth(s, SNP_KDS_CHAIN | SNP_KDS_VCEK, &parts, err, sizeof err), RATLS_OK);
    snp_kds_parts_clear(&parts);
    assert_int_equal(requests(g_vcek_path), 2);
    ratls_collateral_source_free(s);
}

/* A VCEK under the synthetic ASK with the given TCB and HWID, as DER (free
 * with OPENSSL_free). */
static int mk_vcek_der(const uint8_t tcb[8], const uint8_t hwid[64], unsigned char **der)
{
    EVP_PKEY *k = synth_ec_key("P-384");
    assert_non_null(k);
    X509 *x = synth_mk_cert("SEV-VCEK", g_s.ask, g_s.ask_key, k, 0, 1600000000, 2000000000);
    static const uint8_t milan_b0[] = {0x16, 0x08, 'M', 'i', 'l', 'a', 'n', '-', 'B', '0'};
    synth_add_ext_der(x, "1.3.6.1.4.1.3704.1.2", milan_b0, (int)sizeof milan_b0);
    snp_tcb t;
    snp_tcb_split(le64(tcb), RATLS_SNP_PRODUCT_MILAN, &t);
    synth_add_ext_int(x, "1.3.6.1.4.1.3704.1.3.1", t.bl);
    synth_add_ext_int(x, "1.3.6.1.4.1.3704.1.3.2", t.tee);
    synth_add_ext_int(x, "1.3.6.1.4.1.3704.1.3.3", t.snp);
    synth_add_ext_int(x, "1.3.6.1.4.1.3704.1.3.8", t.ucode);
    synth_add_ext_der(x, "1.3.6.1.4.1.3704.1.4", hwid, 64);
    synth_sign_cert(x, g_s.ask_key);
    *der = NULL;
    int dl = i2d_X509(x, der);
    assert_true(dl > 0);
    X509_free(x);
    EVP_PKEY_free(k);
    return dl;
}

/* The same, in a file. */
static void mk_vcek_file(const uint8_t tcb[8], const uint8_t hwid[64], const char *name, char *out, size_t n)
{
    unsigned char *der;
    int dl = mk_vcek_der(tcb, hwid, &der);
    tmp_file(out, n, name, der, (size_t)dl);
    OPENSSL_free(der);
}

/* An item is handed out until the second before its certificates' notAfter,
 * the last second OpenSSL (and so the verifier) still takes them; at
 * notAfter it is refused. */
static void test_item_window_ends_before_not_after(void **state)
{
    (void)state;
    int64_t ark_na, ask_na;
    assert_int_equal(asn1_time_unix(X509_get0_notAfter(g_s.ark), &ark_na), 0);
    assert_int_equal(asn1_time_unix(X509_get0_notAfter(g_s.ask), &ask_na), 0);
    const int64_t chain_last = (ark_na < ask_na ? ark_na : ask_na) - 1;
    snp_kds_info info;
    char err[512] = "";
    assert_int_equal(snp_kds_item_verify(SNP_KDS_ITEM_CHAIN, g_s.pin, NULL, NULL, 0, g_s.chain_pem, g_s.chain_len,
                                         T_NOW, &info, err, sizeof err),
                     RATLS_OK);
    assert_int_equal(info.to, chain_last);

    unsigned char *der;
    int dl = mk_vcek_der(g_o.tcb, g_o.chip_id, &der);
    snp_kds_want want = {RATLS_SNP_PRODUCT_MILAN, {0}, le64(g_o.tcb)};
    memcpy(want.chip_id, g_o.chip_id, 64);
    const int64_t last = (chain_last < 2000000000 - 1 ? chain_last : 2000000000 - 1);
    assert_int_equal(snp_kds_item_verify(SNP_KDS_ITEM_VCEK, g_s.pin, &want, g_s.chain_pem, g_s.chain_len, der,
                                         (size_t)dl, T_NOW, &info, err, sizeof err),
                     RATLS_OK);
    assert_int_equal(info.to, last);
    assert_int_equal(snp_kds_item_verify(SNP_KDS_ITEM_VCEK, g_s.pin, &want, g_s.chain_pem, g_s.chain_len, der,
                                         (size_t)dl, last, &info, err, sizeof err),
                     RATLS_OK);
    assert_int_not_equal(snp_kds_item_verify(SNP_KDS_ITEM_VCEK, g_s.pin, &want, g_s.chain_pem, g_s.chain_len, der,
                                             (size_t)dl, last + 1, &info, err, sizeof err),
                         RATLS_OK);
    OPENSSL_free(der);
}

/* A bad item on `route` once: rejected with `want_st` (the error names the
 * URL), nothing cached, then the good one is fetched and accepted. */
static void reject_once(const char *route, const char *bad_file, const char *path, ratls_status want_st)
{
    char dir[128];
    new_dir(dir, sizeof dir, "reject");
    fault(route, "file", 1, bad_file);
    ratls_collateral_source *s = new_source(dir);
    snp_kds_parts parts;
    char err[1024] = "";
    ratls_status st = get_synth(s, ALL, &parts, err, sizeof err);
    if (st != want_st)
        fail_msg("expected %s, got %s (%s)", ratls_status_name(want_st), ratls_status_name(st), err);
    assert_null(parts.chain);
    assert_null(parts.vcek);
    assert_non_null(strstr(err, path));
    const char *kind = strcmp(route, "chain") == 0 ? "-chain-" : strcmp(route, "crl") == 0 ? "-crl-" : "-vcek-Milan-";
    assert_int_equal(files_with(dir, kind), 0);
    assert_int_equal(requests(path), 1);

    st = get_synth(s, ALL, &parts, err, sizeof err);
    if (st != RATLS_OK)
        fail_msg("the good item after a bad one: %s (%s)", ratls_status_name(st), err);
    verify_synth(&parts);
    snp_kds_parts_clear(&parts);
    assert_int_equal(requests(path), 2);
    assert_int_equal(files_with(dir, ".json"), 3);
    ratls_collateral_source_free(s);
}

static void test_reject_vcek_other_chip(void **state)
{
    (void)state;
    uint8_t hwid[64];
    memcpy(hwid, g_o.chip_id, 64);
    hwid[5] ^= 0x40;
    char f[512];
    mk_vcek_file(g_o.tcb, hwid, "vcek-other-chip.der", f, sizeof f);
    reject_once("vcek", f, g_vcek_path, RATLS_ERR_COLLATERAL_MISMATCH);
}

static void test_reject_vcek_other_tcb(void **state)
{
    (void)state;
    uint8_t tcb[8];
    memcpy(tcb, g_o.tcb, 8);
    tcb[6] = 7; /* SNP SPL 7, not 8 */
    char f[512];
    mk_vcek_file(tcb, g_o.chip_id, "vcek-other-tcb.der", f, sizeof f);
    reject_once("vcek", f, g_vcek_path, RATLS_ERR_SNP_TCB_MISMATCH);
}

/* The ARK has the right name ("ARK-Test") but another key. */
static void test_reject_chain_impostor_ark(void **state)
{
    (void)state;
    synth other;
    synth_build(&other, &g_o);
    char f[512];
    tmp_file(f, sizeof f, "chain-impostor.pem", other.chain_pem, other.chain_len);
    synth_free(&other);
    reject_once("chain", f, "/vcek/v1/Milan/cert_chain", RATLS_ERR_UNTRUSTED_ROOT);
}

static void test_reject_crl_not_by_ark(void **state)
{
    (void)state;
    char f[512];
    mk_crl_file(g_s.ask_key, T_NOW - DAY, T_NOW + 7 * DAY, "crl-by-ask.der", f, sizeof f);
    reject_once("crl", f, "/vcek/v1/Milan/crl", RATLS_ERR_CRL_SIGNATURE);
}

static void test_reject_crl_stale(void **state)
{
    (void)state;
    char f[512];
    mk_crl_file(g_s.ark_key, T_NOW - 30 * DAY, T_NOW - DAY, "crl-stale.der", f, sizeof f);
    reject_once("crl", f, "/vcek/v1/Milan/crl", RATLS_ERR_CRL_EXPIRED);
}

/* Garbage and server errors: their own statuses, nothing cached. */
static void test_reject_garbage_and_errors(void **state)
{
    (void)state;
    static const struct {
        const char *route, *mode;
        int count; /* the source makes 1 attempt and 2 retries */
        ratls_status st;
    } k[] = {
        {"vcek", "garbage", 1, RATLS_ERR_CERT_CHAIN},
        {"crl", "garbage", 1, RATLS_ERR_CRL_FORMAT},
        {"chain", "garbage", 1, RATLS_ERR_CERT_CHAIN},
        {"vcek", "404", 1, RATLS_ERR_HTTP_STATUS},
        {"crl", "truncated", 3, RATLS_ERR_NETWORK},
        {"vcek", "500", 3, RATLS_ERR_HTTP_STATUS},
        {"chain", "500", 1, RATLS_OK}, /* retried */
        {"vcek", "429", 1, RATLS_OK},  /* Retry-After: 1, then retried */
    };
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
        ctl("/__reset");
        fault(k[i].route, k[i].mode, k[i].count, NULL);
        ratls_collateral_source *s = new_source(NULL);
        snp_kds_parts parts;
        char err[1024] = "";
        ratls_status st = get_synth(s, ALL, &parts, err, sizeof err);
        if (st != k[i].st)
            fail_msg("%s on %s: expected %s, got %s (%s)", k[i].mode, k[i].route, ratls_status_name(k[i].st),
                     ratls_status_name(st), err);
        snp_kds_parts_clear(&parts);
        assert_int_equal(get_synth(s, ALL, &parts, err, sizeof err), RATLS_OK);
        snp_kds_parts_clear(&parts);
        ratls_collateral_source_free(s);
    }
}

/* Cache keys: another anchor, the VLEK side and another TCB are other items. */
static void test_keys_separate(void **state)
{
    (void)state;
    ratls_collateral_source *s = new_source(NULL);
    snp_kds_parts parts;
    char err[1024] = "";
    assert_int_equal(get_synth(s, ALL, &parts, err, sizeof err), RATLS_OK);
    snp_kds_parts_clear(&parts);
    /* the real Milan pin: the cached synthetic chain is not served for it */
    assert_int_equal(source_get_snp(s, snp_ark_pin(RATLS_SNP_PRODUCT_MILAN), RATLS_SNP_PRODUCT_MILAN, NULL, 0,
                                    SNP_KDS_CHAIN, T_NOW, &parts, err, sizeof err),
                     RATLS_ERR_UNTRUSTED_ROOT);
    assert_int_equal(requests("/vcek/v1/Milan/cert_chain"), 2);
    /* the VLEK side: its own chain and CRL */
    serve("/vlek/v1/Milan/cert_chain", g_chain, 0);
    serve("/vlek/v1/Milan/crl", g_crl, 0);
    assert_int_equal(get_synth(s, SNP_KDS_VLEK | SNP_KDS_CHAIN | SNP_KDS_CRL, &parts, err, sizeof err), RATLS_OK);
    assert_null(parts.vcek);
    assert_non_null(parts.crl);
    snp_kds_parts_clear(&parts);
    assert_int_equal(requests("/vlek/v1/Milan/cert_chain"), 1);
    assert_int_equal(requests("/vlek/v1/Milan/crl"), 1);
    assert_int_equal(get_synth(s, SNP_KDS_VLEK | SNP_KDS_VCEK, &parts, err, sizeof err), RATLS_ERR_INVALID_ARGUMENT);
    /* another TCB: another VCEK request (404 here) */
    uint8_t tcb[8];
    memcpy(tcb, g_o.tcb, 8);
    tcb[7] = 0xd2;
    assert_int_equal(source_get_snp(s, g_s.pin, RATLS_SNP_PRODUCT_MILAN, g_o.chip_id, le64(tcb), SNP_KDS_VCEK, T_NOW,
                                    &parts, err, sizeof err),
                     RATLS_ERR_HTTP_STATUS);
    assert_non_null(strstr(err, "ucodeSPL=210"));
    assert_int_equal(requests("vcek"), 2);
    /* a masked CHIP_ID cannot fetch a VCEK, and nothing is asked */
    static const uint8_t zero[64];
    long before = requests("total");
    assert_int_equal(
        source_get_snp(s, g_s.pin, RATLS_SNP_PRODUCT_MILAN, zero, le64(g_o.tcb), ALL, T_NOW, &parts, err, sizeof err),
        RATLS_ERR_COLLATERAL_UNAVAILABLE);
    assert_non_null(strstr(err, "masked"));
    assert_int_equal(requests("total"), before);
    ratls_collateral_source_free(s);
}

/* 8 threads at once: one request per item. */
typedef struct worker {
    ratls_collateral_source *s;
    pthread_barrier_t *b;
    ratls_status st;
    char err[512];
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    snp_kds_parts parts;
    pthread_barrier_wait(w->b);
    w->st = source_get_snp(w->s, g_s.pin, RATLS_SNP_PRODUCT_MILAN, g_o.chip_id, le64(g_o.tcb), ALL, T_NOW, &parts,
                           w->err, sizeof w->err);
    if (w->st == RATLS_OK && (!parts.vcek || !parts.crl || !parts.chain))
        w->st = RATLS_ERR_INTERNAL;
    snp_kds_parts_clear(&parts);
    return NULL;
}

static void test_threads_one_request_per_item(void **state)
{
    (void)state;
    fault("chain", "slow", 1, "0.3"); /* lets the other threads pile up behind the first flight */
    ratls_collateral_source *s = new_source(NULL);
    enum { N = 8 };
    pthread_t th[N];
    worker w[N];
    pthread_barrier_t b;
    assert_int_equal(pthread_barrier_init(&b, NULL, N), 0);
    for (int i = 0; i < N; i++) {
        memset(&w[i], 0, sizeof w[i]);
        w[i].s = s;
        w[i].b = &b;
        assert_int_equal(pthread_create(&th[i], NULL, work, &w[i]), 0);
    }
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        if (w[i].st != RATLS_OK)
            fail_msg("thread %d: %s (%s)", i, ratls_status_name(w[i].st), w[i].err);
    }
    pthread_barrier_destroy(&b);
    expect_item_requests(s, 1, 1, 1);
    ratls_collateral_source_free(s);
}

static void test_set_kds_url(void **state)
{
    (void)state;
    ratls_collateral_source *s = ratls_collateral_source_new();
    assert_non_null(s);
    assert_int_equal(ratls_collateral_source_set_kds_url(s, "ftp://x"), RATLS_ERR_INVALID_ARGUMENT);
    assert_int_equal(ratls_collateral_source_set_kds_url(s, "https://kds.example/?a"), RATLS_ERR_INVALID_ARGUMENT);
    assert_int_equal(ratls_collateral_source_set_kds_url(NULL, "https://kds.example"), RATLS_ERR_INVALID_ARGUMENT);
    assert_int_equal(ratls_collateral_source_set_kds_url(s, "https://kds.example/"), RATLS_OK);
    ratls_collateral_source_free(s);
}

/* A verifier on source s; with_ark: trusting the synthetic ARK. */
static ratls_verifier *new_verifier(ratls_collateral_source *s, int with_ark)
{
    ratls_verifier *v = ratls_verifier_new();
    assert_non_null(v);
    ratls_verifier_set_collateral_source(v, s);
    if (with_ark) {
        unsigned char *ark = NULL;
        int n = i2d_X509(g_s.ark, &ark);
        assert_true(n > 0);
        assert_int_equal(ratls_verifier_set_snp_ark_insecure(v, ark, (size_t)n), RATLS_OK);
        OPENSSL_free(ark);
    }
    return v;
}

/* The verifier fetches what the caller does not supply through its source,
 * and remembers the chain it verified. */
static void test_verifier_fetches(void **state)
{
    (void)state;
    ratls_collateral_source *s = new_source(NULL);
    ratls_verifier *v = new_verifier(s, 1);
    ratls_result *res = NULL;
    /* a report no key signed (signing key 7) or with another algorithm makes no request */
    uint8_t unsigned_rep[RATLS_SNP_REPORT_LEN];
    for (int k = 0; k < 2; k++) {
        memcpy(unsigned_rep, g_s.report, sizeof unsigned_rep);
        if (k == 0)
            unsigned_rep[0x48] = 7u << 2;
        else
            unsigned_rep[0x34] = 2;
        assert_int_equal(ratls_verifier_verify_snp(v, unsigned_rep, sizeof unsigned_rep, NULL,
                                                   RATLS_SNP_PRODUCT_UNKNOWN, NULL, T_NOW, &res),
                         RATLS_ERR_SNP_REPORT_SIGNATURE);
        ratls_result_free(res);
    }
    assert_int_equal(requests("total"), 0);
    ratls_status st =
        ratls_verifier_verify_snp(v, g_s.report, sizeof g_s.report, NULL, RATLS_SNP_PRODUCT_UNKNOWN, NULL, T_NOW, &res);
    if (st != RATLS_OK)
        fail_msg("%s: %s", ratls_status_name(st), ratls_result_error(res));
    ratls_check_outcome o;
    const char *d;
    assert_true(ratls_result_find_check(res, "snp.crl", &o, &d) >= 0 && o == RATLS_CHECK_PASS);
    assert_true(ratls_result_used_insecure_root(res));
    ratls_result_free(res);
    assert_int_equal(requests("total"), 3);
    /* again: the items from the source's memory, the chain from the verifier's */
    assert_int_equal(ratls_verifier_verify_snp(v, g_s.report, sizeof g_s.report, NULL, RATLS_SNP_PRODUCT_UNKNOWN, NULL,
                                               T_NOW + 10, &res),
                     RATLS_OK);
    assert_true(ratls_result_find_check(res, "snp.chain", &o, &d) >= 0 && strstr(d, "verified earlier"));
    ratls_result_free(res);
    assert_int_equal(requests("total"), 3);
    /* a caller's VCEK is used as given; the rest still comes from the source */
    ratls_snp_collateral_parts only_vcek = {g_s.vek_der, g_s.vek_len, NULL, 0, NULL, 0};
    assert_int_equal(ratls_verifier_verify_snp(v, g_s.report, sizeof g_s.report, &only_vcek, RATLS_SNP_PRODUCT_UNKNOWN,
                                               NULL, T_NOW, &res),
                     RATLS_OK);
    ratls_result_free(res);
    assert_int_equal(requests("total"), 3);
    ratls_verifier_free(v);
    ratls_collateral_source_free(s);

    /* a CRL that cannot be had fails snp.crl, and only snp.crl */
    fault("crl", "404", 100, NULL);
    s = new_source(NULL);
    ratls_collateral_source_set_retries(s, 0, 10, 5000);
    v = new_verifier(s, 1);
    st =
        ratls_verifier_verify_snp(v, g_s.report, sizeof g_s.report, NULL, RATLS_SNP_PRODUCT_UNKNOWN, NULL, T_NOW, &res);
    assert_int_not_equal(st, RATLS_OK);
    assert_true(ratls_result_find_check(res, "snp.crl", &o, &d) >= 0 && o == RATLS_CHECK_FAIL);
    assert_non_null(strstr(d, "/vcek/v1/Milan/crl"));
    assert_true(ratls_result_find_check(res, "snp.signature", &o, &d) >= 0 && o == RATLS_CHECK_PASS);
    assert_true(ratls_result_find_check(res, "snp.tcb", &o, &d) >= 0 && o == RATLS_CHECK_PASS);
    ratls_result_free(res);
    /* ... unless revocation is skipped by the insecure switch: then nothing asks for it */
    ratls_snp_policy *pol = ratls_snp_policy_new();
    assert_non_null(pol);
    ratls_snp_policy_set_flags(pol, RATLS_SNP_SKIP_REVOCATION_INSECURE);
    long before = requests("total");
    assert_int_equal(
        ratls_verifier_verify_snp(v, g_s.report, sizeof g_s.report, NULL, RATLS_SNP_PRODUCT_UNKNOWN, pol, T_NOW, &res),
        RATLS_OK);
    assert_true(ratls_result_find_check(res, "snp.crl", &o, &d) >= 0 && o == RATLS_CHECK_SKIP);
    ratls_result_free(res);
    assert_int_equal(requests("total"), before);
    ratls_snp_policy_free(pol);
    ratls_verifier_free(v);
    ratls_collateral_source_free(s);

    /* offline with nothing cached: the chain cannot be had */
    s = new_source(NULL);
    ratls_collateral_source_set_offline(s, 1);
    v = new_verifier(s, 0);
    assert_int_equal(
        ratls_verifier_verify_snp(v, g_s.report, sizeof g_s.report, NULL, RATLS_SNP_PRODUCT_MILAN, NULL, T_NOW, &res),
        RATLS_ERR_COLLATERAL_UNAVAILABLE);
    assert_true(ratls_result_find_check(res, "snp.chain", &o, &d) >= 0 && o == RATLS_CHECK_FAIL);
    ratls_result_free(res);
    ratls_verifier_free(v);
    ratls_collateral_source_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_real_milan, test_setup),
        cmocka_unit_test_setup(test_verifier_fetches, test_setup),
        cmocka_unit_test_setup(test_vcek_failure_held, test_setup),
        cmocka_unit_test_setup(test_real_turin, test_setup),
        cmocka_unit_test_setup(test_real_chain_wrong_pin, test_setup),
        cmocka_unit_test_setup(test_synth_fetch_and_memory, test_setup),
        cmocka_unit_test_setup(test_synth_disk_cache, test_setup),
        cmocka_unit_test_setup(test_synth_offline, test_setup),
        cmocka_unit_test_setup(test_synth_429_retry_after, test_setup),
        cmocka_unit_test_setup(test_synth_429_beyond_cap, test_setup),
        cmocka_unit_test_setup(test_reject_vcek_other_chip, test_setup),
        cmocka_unit_test_setup(test_reject_vcek_other_tcb, test_setup),
        cmocka_unit_test_setup(test_reject_chain_impostor_ark, test_setup),
        cmocka_unit_test_setup(test_reject_crl_not_by_ark, test_setup),
        cmocka_unit_test_setup(test_reject_crl_stale, test_setup),
        cmocka_unit_test_setup(test_item_window_ends_before_not_after, test_setup),
        cmocka_unit_test_setup(test_reject_garbage_and_errors, test_setup),
        cmocka_unit_test_setup(test_keys_separate, test_setup),
        cmocka_unit_test_setup(test_threads_one_request_per_item, test_setup),
        cmocka_unit_test(test_set_kds_url),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
