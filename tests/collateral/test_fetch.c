/*
 * Collateral sources against the loopback Intel PCS / PCCS stand-in
 * (tests/collateral/pcs_standin.py): end to end with the simulated PKI and
 * with the real vectors, every fault the stand-in injects (with no cache, and
 * with a valid cached copy in memory or on disk), one request per item across
 * threads, the disk cache's robustness, offline operation and offline
 * bundles, and the URL / CRL decoding underneath.
 *
 * Verification times are fixed (T, generated at T); the wall clock is only
 * read to check that a Retry-After was honoured and that a timeout fired.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "../tdx/vectors_util.h"
#include "net/http.h"
#include "ratls/ratls.h"
#include "tdx/collateral.h"
#include "standin_util.h"
#include "testpki/testpki.h"

#define T INT64_C(1800000000) /* 2027-01-15T08:00:00Z: every scenario is generated at T */
#define HOUR INT64_C(3600)
#define DAY INT64_C(86400)
#define T_DUE (T + 30 * DAY - 1800)     /* inside the 1 h refresh margin: due, still valid */
#define T_EXPIRED (T + 30 * DAY + HOUR) /* past every item's nextUpdate */
#define FMSPC "00906EA10000"            /* tp_scenario_default's */
#define SOURCE_CHECK "tdx.collateral.source"

/* ------------------------------------------------------------------ */
/* small utilities                                                      */
/* ------------------------------------------------------------------ */

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *read_text(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (!b || fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        fclose(f);
        return NULL;
    }
    b[n] = 0;
    fclose(f);
    if (len)
        *len = (size_t)n;
    return b;
}

/* ------------------------------------------------------------------ */
/* process-wide fixtures: scenarios, a temporary folder, the stand-in   */
/* ------------------------------------------------------------------ */

typedef struct sim {
    tp_output out;
    char bundle[512]; /* collateral_json written to a file */
} sim;

static char g_tmp[64];
static unsigned g_seq;
static sim g_good; /* tp_scenario_default at T */
static standin g_sd;

static void sim_make(const tp_scenario *sc, sim *s, const char *name)
{
    memset(s, 0, sizeof *s);
    assert_int_equal(tp_generate(sc, &s->out), 0);
    snprintf(s->bundle, sizeof s->bundle, "%s/%s.json", g_tmp, name);
    write_bytes(s->bundle, s->out.collateral_json, s->out.collateral_len);
}

/* A fresh folder under the program's temporary folder. */
static void new_dir(char *out, size_t n, const char *what)
{
    snprintf(out, n, "%s/%s-%u", g_tmp, what, ++g_seq);
    assert_int_equal(mkdir(out, 0700), 0);
}

/* The PCS stand-in serving one bundle. */
static void standin_start_pcs(standin *sd, const char *bundle)
{
    const char *args[] = {"--bundle", bundle, NULL};
    standin_start(sd, RATLS_STANDIN, args);
}

/* The stand-in's request counts per route since the last /__reset. */
static void expect_requests_(const standin *sd, long tcb, long qe, long pckcrl, long rootcacrl, long rootcrl_der,
                             int line)
{
    char *body = standin_ctl_body(sd, "/__stats");
    json_t *o = json_loads(body, 0, NULL);
    assert_non_null(o);
    const char *names[] = {"tcb", "qe", "pckcrl", "rootcacrl", "rootcrl_der", "other"};
    long want[] = {tcb, qe, pckcrl, rootcacrl, rootcrl_der, 0};
    for (int i = 0; i < 6; i++) {
        json_t *v = json_object_get(o, names[i]);
        long got = json_is_integer(v) ? (long)json_integer_value(v) : 0;
        if (got != want[i]) {
            json_decref(o);
            fail_msg("line %d: stand-in counted %s, expected tcb=%ld qe=%ld pckcrl=%ld rootcacrl=%ld rootcrl_der=%ld",
                     line, body, tcb, qe, pckcrl, rootcacrl, rootcrl_der);
        }
    }
    json_decref(o);
    free(body);
}
#define expect_requests(sd, a, b, c, d, e) expect_requests_(sd, a, b, c, d, e, __LINE__)

/* ------------------------------------------------------------------ */
/* the source's log                                                     */
/* ------------------------------------------------------------------ */

static pthread_mutex_t g_log_mu = PTHREAD_MUTEX_INITIALIZER;
static char g_log[1 << 16];
static size_t g_log_len;

static void log_capture(void *arg, ratls_log_level lvl, const char *msg)
{
    (void)arg;
    static const char *const lv[] = {"debug", "info", "warn"};
    pthread_mutex_lock(&g_log_mu);
    int k = snprintf(g_log + g_log_len, sizeof g_log - g_log_len, "[%s] %s\n", lv[lvl], msg);
    if (k > 0)
        g_log_len = g_log_len + (size_t)k < sizeof g_log ? g_log_len + (size_t)k : sizeof g_log - 1;
    pthread_mutex_unlock(&g_log_mu);
}

static void log_reset(void)
{
    pthread_mutex_lock(&g_log_mu);
    g_log_len = 0;
    g_log[0] = 0;
    pthread_mutex_unlock(&g_log_mu);
}

static void expect_log_(const char *sub, int line)
{
    pthread_mutex_lock(&g_log_mu);
    int ok = strstr(g_log, sub) != NULL;
    pthread_mutex_unlock(&g_log_mu);
    if (!ok)
        fail_msg("line %d: the source's log lacks \"%s\":\n%s", line, sub, g_log);
}
#define expect_log(sub) expect_log_(sub, __LINE__)

/* ------------------------------------------------------------------ */
/* sources and verification                                             */
/* ------------------------------------------------------------------ */

static ratls_collateral_source *source_for(const char *base, unsigned retries, const char *cache_dir)
{
    ratls_collateral_source *s = ratls_collateral_source_new();
    assert_non_null(s);
    assert_int_equal(ratls_collateral_source_set_pccs_url(s, base), RATLS_OK);
    ratls_collateral_source_set_retries(s, retries, 50, 5000);
    ratls_collateral_source_set_timeouts(s, 2000, 1500);
    if (cache_dir)
        assert_int_equal(ratls_collateral_source_set_cache_dir(s, cache_dir), RATLS_OK);
    ratls_collateral_source_set_log(s, log_capture, NULL);
    return s;
}

static ratls_collateral_stats stats_of(ratls_collateral_source *s)
{
    ratls_collateral_stats st;
    memset(&st, 0xff, sizeof st);
    ratls_collateral_source_stats(s, &st);
    return st;
}

static void print_stats(const char *what, ratls_collateral_source *s)
{
    ratls_collateral_stats st = stats_of(s);
    printf("  %s: memory_hits=%llu disk_hits=%llu bundle_hits=%llu upstream_requests=%llu upstream_failures=%llu "
           "stale_used=%llu\n",
           what, (unsigned long long)st.memory_hits, (unsigned long long)st.disk_hits,
           (unsigned long long)st.bundle_hits, (unsigned long long)st.upstream_requests,
           (unsigned long long)st.upstream_failures, (unsigned long long)st.stale_used);
}

/* Verify `quote` at `now` with a new verifier (anchored at `root` when
 * given, else the pinned Intel root) fetching through `src`. */
static ratls_status verify_q(ratls_collateral_source *src, const uint8_t *root, size_t root_len, const uint8_t *quote,
                             size_t quote_len, const ratls_policy *pol, int64_t now, ratls_result **res)
{
    ratls_verifier *v = ratls_verifier_new();
    assert_non_null(v);
    if (root)
        assert_int_equal(ratls_verifier_set_tdx_root_insecure(v, root, root_len), RATLS_OK);
    ratls_verifier_set_collateral_source(v, src);
    ratls_evidence *ev = ratls_evidence_new();
    assert_non_null(ev);
    assert_int_equal(ratls_evidence_set_tdx_quote(ev, quote, quote_len), RATLS_OK);
    ratls_policy *own = NULL;
    if (!pol)
        pol = own = ratls_policy_new();
    assert_non_null(pol);
    *res = NULL;
    ratls_status st = ratls_verify(v, ev, NULL, pol, now, res);
    ratls_policy_free(own);
    ratls_evidence_free(ev);
    ratls_verifier_free(v);
    return st;
}

/* The simulated default quote, under the test root. */
static ratls_status verify_sim(ratls_collateral_source *src, const sim *s, const ratls_policy *pol, int64_t now,
                               ratls_result **res)
{
    return verify_q(src, s->out.root_der, s->out.root_der_len, s->out.quote, s->out.quote_len, pol, now, res);
}

static void expect_verified_(ratls_status st, ratls_result *r, const char *what, int line)
{
    if (st != RATLS_OK || !r || !ratls_result_verified(r))
        fail_msg("line %d: %s: expected verified, got %s: %s", line, what, ratls_status_name(st),
                 r && ratls_result_error(r) ? ratls_result_error(r) : "(no error)");
    ratls_check_outcome oc;
    const char *detail = NULL;
    assert_true(ratls_result_find_check(r, SOURCE_CHECK, &oc, &detail) >= 0);
    assert_int_equal(oc, RATLS_CHECK_PASS);
}
#define expect_verified(st, r, what) expect_verified_(st, r, what, __LINE__)

/* Not verified, with status `want`; the error and the detail of the check
 * `id` both contain every non-NULL substring. */
static void expect_failure_(ratls_status st, ratls_result *r, ratls_status want, const char *id, const char *sub1,
                            const char *sub2, const char *what, int line)
{
    const char *e = r ? ratls_result_error(r) : NULL;
    if (st != want)
        fail_msg("line %d: %s: expected %s, got %s: %s", line, what, ratls_status_name(want), ratls_status_name(st),
                 e ? e : "(no error)");
    assert_non_null(r);
    assert_false(ratls_result_verified(r));
    assert_int_equal(ratls_result_status(r), want);
    assert_non_null(e);
    ratls_check_outcome oc;
    const char *detail = NULL;
    if (ratls_result_find_check(r, id, &oc, &detail) < 0 || oc != RATLS_CHECK_FAIL || !detail)
        fail_msg("line %d: %s: no failed check %s (error: %s)", line, what, id, e);
    const char *subs[2] = {sub1, sub2};
    for (int i = 0; i < 2; i++) {
        if (!subs[i])
            continue;
        if (!strstr(e, subs[i]))
            fail_msg("line %d: %s: the error \"%s\" lacks \"%s\"", line, what, e, subs[i]);
        if (!strstr(detail, subs[i]))
            fail_msg("line %d: %s: the %s detail \"%s\" lacks \"%s\"", line, what, id, detail, subs[i]);
    }
    printf("  %s: %s: %s\n", what, ratls_status_name(st), e);
}
#define expect_failure(st, r, want, sub1, sub2, what)                                                                  \
    expect_failure_(st, r, want, SOURCE_CHECK, sub1, sub2, what, __LINE__)

/* The URLs a PCCS-mode source asks for the default scenario. */
static void url_of(char *out, size_t n, const char *route)
{
    if (strcmp(route, "tcb") == 0)
        snprintf(out, n, "%s/tdx/certification/v4/tcb?fmspc=%s", g_sd.base, FMSPC);
    else if (strcmp(route, "qe") == 0)
        snprintf(out, n, "%s/tdx/certification/v4/qe/identity", g_sd.base);
    else if (strcmp(route, "pckcrl") == 0)
        snprintf(out, n, "%s/sgx/certification/v4/pckcrl?ca=platform&encoding=der", g_sd.base);
    else
        snprintf(out, n, "%s/sgx/certification/v4/rootcacrl", g_sd.base);
}

/* ------------------------------------------------------------------ */
/* setup                                                                */
/* ------------------------------------------------------------------ */

static int group_setup(void **state)
{
    (void)state;
    snprintf(g_tmp, sizeof g_tmp, "/tmp/ratls-test-fetch-XXXXXX");
    if (!mkdtemp(g_tmp))
        return -1;
    tp_scenario sc;
    tp_scenario_default(&sc, T);
    sim_make(&sc, &g_good, "good");
    standin_start_pcs(&g_sd, g_good.bundle);
    printf("  stand-in on %s, scratch folder %s\n", g_sd.base, g_tmp);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    standin_stop(&g_sd);
    tp_output_free(&g_good.out);
    rm_rf(g_tmp);
    return 0;
}

/* Every stand-in test starts from the default bundle with no counts and no faults. */
static int test_setup(void **state)
{
    (void)state;
    standin_ctl(&g_sd, "/__load?path=%s", g_good.bundle);
    standin_ctl(&g_sd, "/__reset");
    log_reset();
    return 0;
}

/* ------------------------------------------------------------------ */
/* 1. end to end, simulated PKI                                         */
/* ------------------------------------------------------------------ */

static void test_e2e_simulated(void **state)
{
    (void)state;
    ratls_collateral_source *src = source_for(g_sd.base, 1, NULL);
    ratls_result *r = NULL;
    ratls_status st = verify_sim(src, &g_good, NULL, T, &r);
    expect_verified(st, r, "first verification");
    assert_string_equal(ratls_result_tcb_status(r), "UpToDate");
    assert_int_equal(ratls_result_used_insecure_root(r), 1);
    assert_string_equal(ratls_result_fmspc(r), FMSPC);
    ratls_result_free(r);
    /* exactly one request per route, for this quote's FMSPC and CA */
    expect_requests(&g_sd, 1, 1, 1, 1, 0);
    assert_int_equal(standin_stat(&g_sd, "tcb:" FMSPC), 1);
    assert_int_equal(standin_stat(&g_sd, "pckcrl:platform"), 1);
    assert_int_equal(standin_stat(&g_sd, "pckcrl:processor"), 0);
    ratls_collateral_stats a = stats_of(src);
    assert_int_equal(a.upstream_requests, 4);
    assert_int_equal(a.upstream_failures, 0);
    assert_int_equal(a.disk_hits, 0);

    /* the same source again: served from memory */
    st = verify_sim(src, &g_good, NULL, T + HOUR, &r);
    expect_verified(st, r, "second verification");
    ratls_result_free(r);
    expect_requests(&g_sd, 1, 1, 1, 1, 0);
    ratls_collateral_stats b = stats_of(src);
    assert_int_equal(b.upstream_requests, 4);
    assert_int_equal(b.memory_hits, a.memory_hits + 4);
    print_stats("after two verifications", src);
    ratls_collateral_source_free(src);
}

/* ------------------------------------------------------------------ */
/* 2. end to end, real vectors under the pinned Intel root              */
/* ------------------------------------------------------------------ */

static const char *const k_fields[9] = {"pck_crl_issuer_chain",     "root_ca_crl", "pck_crl",
                                        "tcb_info_issuer_chain",    "tcb_info",    "tcb_info_signature",
                                        "qe_identity_issuer_chain", "qe_identity", "qe_identity_signature"};

static void real_case(const char *name, const char *quote_spec, const char *coll_rel, int64_t at, int pcs)
{
    char path[1024], url[256];
    snprintf(path, sizeof path, "%s/%s", vec_dir(), coll_rel);
    uint8_t *q = NULL;
    size_t ql = 0;
    assert_int_equal(vec_read_quote(quote_spec, &q, &ql), 0);
    standin_ctl(&g_sd, "/__load?path=%s", path);
    standin_ctl(&g_sd, "/__reset");

    ratls_collateral_source *src = source_for(g_sd.base, 1, NULL);
    if (pcs) {
        assert_int_equal(ratls_collateral_source_set_pcs_url(src, g_sd.base), RATLS_OK);
        snprintf(url, sizeof url, "%s/IntelSGXRootCA.der", g_sd.base);
        assert_int_equal(ratls_collateral_source_set_root_ca_crl_url(src, url), RATLS_OK);
    }
    ratls_result *r = NULL;
    ratls_status st = verify_q(src, NULL, 0, q, ql, NULL, at, &r); /* pinned Intel root */
    expect_verified(st, r, name);
    assert_string_equal(ratls_result_tcb_status(r), "UpToDate");
    assert_int_equal(ratls_result_used_insecure_root(r), 0);
    printf("  %s (%s mode): verified, FMSPC %s, %s\n", name, pcs ? "PCS" : "PCCS", ratls_result_fmspc(r),
           ratls_result_tcb_status(r));
    ratls_result_free(r);
    if (pcs)
        expect_requests(&g_sd, 1, 1, 1, 0, 1);
    else
        expect_requests(&g_sd, 1, 1, 1, 1, 0);

    /* what the source assembled is the bundle, field by field */
    ratls_verifier *v = ratls_verifier_new();
    ratls_verifier_set_collateral_source(v, src);
    ratls_collateral *c = NULL;
    char err[512] = "";
    st = ratls_verifier_fetch_collateral(v, q, ql, NULL, at, &c, err, sizeof err);
    if (st != RATLS_OK)
        fail_msg("%s: fetch_collateral: %s (%s)", name, ratls_status_name(st), err);
    char *js = NULL;
    assert_int_equal(ratls_collateral_to_json(c, &js), RATLS_OK);
    json_t *got = json_loads(js, 0, NULL);
    json_t *want = json_load_file(path, 0, NULL);
    assert_non_null(got);
    assert_non_null(want);
    for (int i = 0; i < 9; i++) {
        const char *g = json_string_value(json_object_get(got, k_fields[i]));
        const char *w = json_string_value(json_object_get(want, k_fields[i]));
        assert_non_null(w);
        if (!g || strcmp(g, w) != 0)
            fail_msg("%s (%s mode): field %s differs from the bundle's:\n got  %.80s...\n want %.80s...", name,
                     pcs ? "PCS" : "PCCS", k_fields[i], g ? g : "(absent)", w);
    }
    json_decref(got);
    json_decref(want);
    ratls_free_string(js);
    ratls_collateral_free(c);
    ratls_verifier_free(v);
    ratls_collateral_source_free(src);
    free(q);
}

static void test_e2e_real_vectors(void **state)
{
    (void)state;
    if (!vec_dir()) {
        printf("  SKIP: no shared vectors: real-vector fetches not run\n");
        skip();
    }
    for (int pcs = 0; pcs < 2; pcs++) {
        real_case("dcap-qvl", "tdx/dcap-qvl/tdx_quote", "tdx/dcap-qvl/tdx_quote_collateral.json", 1752919234, pcs);
        real_case("dstack", "tdx/dstack/quote-report.json#quote", "seeds/secureai/main-d73b2d0/collateral.json",
                  1764028800, pcs);
    }
}

/* ------------------------------------------------------------------ */
/* 3. faults without a cache                                            */
/* ------------------------------------------------------------------ */

/* A fresh source with `retries`, one verification at T; returns the status. */
static ratls_status fault_verify(unsigned retries, ratls_result **r, ratls_collateral_stats *stats, double *secs)
{
    ratls_collateral_source *src = source_for(g_sd.base, retries, NULL);
    double t0 = mono();
    ratls_status st = verify_sim(src, &g_good, NULL, T, r);
    if (secs)
        *secs = mono() - t0;
    if (stats)
        *stats = stats_of(src);
    ratls_collateral_source_free(src);
    return st;
}

static void test_fault_404(void **state)
{
    (void)state;
    char url[256];
    url_of(url, sizeof url, "tcb");
    standin_fault(&g_sd, "tcb", "404", 0, NULL);
    ratls_result *r;
    ratls_collateral_stats s;
    ratls_status st = fault_verify(2, &r, &s, NULL);
    expect_failure(st, r, RATLS_ERR_HTTP_STATUS, "HTTP 404", url, "404 on tcb");
    ratls_result_free(r);
    expect_requests(&g_sd, 1, 0, 0, 0, 0); /* a 404 is not retried */
    assert_int_equal(s.upstream_failures, 1);
}

static void test_fault_500_persistent(void **state)
{
    (void)state;
    char url[256];
    url_of(url, sizeof url, "tcb");
    standin_fault(&g_sd, "tcb", "500", 0, NULL);
    ratls_result *r;
    ratls_collateral_stats s;
    ratls_status st = fault_verify(2, &r, &s, NULL);
    expect_failure(st, r, RATLS_ERR_HTTP_STATUS, "HTTP 500", url, "persistent 500 on tcb");
    ratls_result_free(r);
    expect_requests(&g_sd, 1 + 2, 0, 0, 0, 0);
    assert_int_equal(s.upstream_requests, 3);
    assert_int_equal(s.upstream_failures, 1);
}

static void test_fault_503_once(void **state)
{
    (void)state;
    standin_fault(&g_sd, "tcb", "503", 1, NULL);
    ratls_result *r;
    ratls_collateral_stats s;
    ratls_status st = fault_verify(2, &r, &s, NULL);
    expect_verified(st, r, "503 once, then OK");
    ratls_result_free(r);
    expect_requests(&g_sd, 2, 1, 1, 1, 0);
    assert_int_equal(s.upstream_requests, 5);
    assert_int_equal(s.upstream_failures, 0);
}

static void test_fault_429_retry_after(void **state)
{
    (void)state;
    standin_fault(&g_sd, "tcb", "429", 1, "1");
    ratls_result *r;
    double secs;
    ratls_status st = fault_verify(1, &r, NULL, &secs);
    expect_verified(st, r, "429 with Retry-After 1, once");
    ratls_result_free(r);
    expect_requests(&g_sd, 2, 1, 1, 1, 0);
    printf("  429 + Retry-After: 1 -> verified after %.2f s\n", secs);
    if (secs < 0.9) /* the backoff alone is 50 ms: the header set the wait */
        fail_msg("Retry-After: 1 not honoured: the retry came after %.3f s", secs);
    expect_log("retrying in 1000 ms");
}

static void test_fault_429_too_long(void **state)
{
    (void)state;
    standin_fault(&g_sd, "tcb", "429", 0, "600");
    ratls_result *r;
    double secs;
    ratls_status st = fault_verify(2, &r, NULL, &secs);
    expect_failure(st, r, RATLS_ERR_HTTP_STATUS, "Retry-After 600 s", "longer than the 5000 ms allowed",
                   "429 with Retry-After 600");
    ratls_result_free(r);
    expect_requests(&g_sd, 1, 0, 0, 0, 0);
    if (secs > 3.0)
        fail_msg("a Retry-After beyond the limit should fail at once, took %.2f s", secs);
}

static void test_fault_slow_timeout(void **state)
{
    (void)state;
    char url[256];
    url_of(url, sizeof url, "tcb");
    standin_fault(&g_sd, "tcb", "slow", 1, "3");
    ratls_result *r;
    double secs;
    ratls_status st = fault_verify(2, &r, NULL, &secs); /* total timeout 1500 ms */
    expect_failure(st, r, RATLS_ERR_TIMEOUT, "within 1500 ms", url, "slow (3 s) tcb, 1.5 s timeout");
    ratls_result_free(r);
    expect_requests(&g_sd, 1, 0, 0, 0, 0); /* a timeout is not retried */
    if (secs >= 2.9)
        fail_msg("the 1.5 s timeout did not fire: %.2f s", secs);
}

static void test_fault_garbage(void **state)
{
    (void)state;
    static const struct {
        const char *route;
        ratls_status want;
        const char *sub;
    } cases[] = {
        {"tcb", RATLS_ERR_COLLATERAL_FORMAT, "TCB Info response"},
        {"qe", RATLS_ERR_COLLATERAL_FORMAT, "QE Identity response"},
        {"pckcrl", RATLS_ERR_CRL_FORMAT, "PCK CRL"},
        {"rootcacrl", RATLS_ERR_CRL_FORMAT, "root CA CRL"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char url[256], what[64];
        standin_ctl(&g_sd, "/__reset");
        url_of(url, sizeof url, cases[i].route);
        standin_fault(&g_sd, cases[i].route, "garbage", 0, NULL);
        ratls_result *r;
        snprintf(what, sizeof what, "garbage on %s", cases[i].route);
        ratls_status st = fault_verify(1, &r, NULL, NULL);
        expect_failure(st, r, cases[i].want, url, cases[i].sub, what);
        ratls_result_free(r);
    }
}

static void test_fault_truncated(void **state)
{
    (void)state;
    char url[256];
    url_of(url, sizeof url, "tcb");
    standin_fault(&g_sd, "tcb", "truncated", 0, NULL);
    ratls_result *r;
    ratls_status st = fault_verify(1, &r, NULL, NULL);
    expect_failure(st, r, RATLS_ERR_NETWORK, url, NULL, "truncated tcb");
    ratls_result_free(r);
    expect_requests(&g_sd, 2, 0, 0, 0, 0); /* a dropped transfer is retried */
}

static void test_fault_short(void **state)
{
    (void)state;
    char url[256];
    url_of(url, sizeof url, "tcb");
    standin_fault(&g_sd, "tcb", "short", 0, NULL);
    ratls_result *r;
    ratls_status st = fault_verify(1, &r, NULL, NULL);
    expect_failure(st, r, RATLS_ERR_COLLATERAL_FORMAT, url, "TCB Info response", "short (half) tcb body");
    ratls_result_free(r);
    expect_requests(&g_sd, 1, 0, 0, 0, 0);

    standin_ctl(&g_sd, "/__reset");
    url_of(url, sizeof url, "pckcrl");
    standin_fault(&g_sd, "pckcrl", "short", 0, NULL);
    st = fault_verify(1, &r, NULL, NULL);
    expect_failure(st, r, RATLS_ERR_CRL_FORMAT, url, "PCK CRL", "short (half) pckcrl body");
    ratls_result_free(r);
}

static void test_fault_badsig(void **state)
{
    (void)state;
    static const struct {
        const char *route;
        ratls_status want;
        const char *sub;
    } cases[] = {
        {"tcb", RATLS_ERR_TCB_INFO_SIGNATURE, "TCB Info signature does not verify"},
        {"qe", RATLS_ERR_QE_IDENTITY_SIGNATURE, "QE Identity signature does not verify"},
        {"pckcrl", RATLS_ERR_CRL_SIGNATURE, "PCK CRL"},
        {"rootcacrl", RATLS_ERR_CRL_SIGNATURE, "root CA CRL"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char url[256], what[64];
        standin_ctl(&g_sd, "/__reset");
        url_of(url, sizeof url, cases[i].route);
        standin_fault(&g_sd, cases[i].route, "badsig", 0, NULL);
        ratls_result *r;
        ratls_collateral_stats s;
        snprintf(what, sizeof what, "badsig on %s", cases[i].route);
        ratls_status st = fault_verify(1, &r, &s, NULL);
        expect_failure(st, r, cases[i].want, url, cases[i].sub, what);
        ratls_result_free(r);
        assert_int_equal(s.upstream_failures, 1);
    }
}

static void test_fault_nochain(void **state)
{
    (void)state;
    static const struct {
        const char *route, *header;
    } cases[] = {
        {"tcb", "TCB-Info-Issuer-Chain"},
        {"qe", "SGX-Enclave-Identity-Issuer-Chain"},
        {"pckcrl", "SGX-PCK-CRL-Issuer-Chain"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char url[256], what[64];
        standin_ctl(&g_sd, "/__reset");
        url_of(url, sizeof url, cases[i].route);
        standin_fault(&g_sd, cases[i].route, "nochain", 0, NULL);
        ratls_result *r;
        snprintf(what, sizeof what, "nochain on %s", cases[i].route);
        ratls_status st = fault_verify(1, &r, NULL, NULL);
        expect_failure(st, r, RATLS_ERR_COLLATERAL_FORMAT, url, cases[i].header, what);
        ratls_result_free(r);
    }
}

static void test_fault_huge(void **state)
{
    (void)state;
    char url[256];
    url_of(url, sizeof url, "tcb");
    standin_fault(&g_sd, "tcb", "huge", 0, "8388608");
    ratls_collateral_source *src = source_for(g_sd.base, 1, NULL);
    ratls_collateral_source_set_max_response(src, 1u << 20);
    ratls_result *r;
    ratls_status st = verify_sim(src, &g_good, NULL, T, &r);
    expect_failure(st, r, RATLS_ERR_TOO_LARGE, url, "1048576-byte limit", "8 MiB tcb, 1 MiB limit");
    ratls_result_free(r);
    expect_requests(&g_sd, 1, 0, 0, 0, 0);
    ratls_collateral_source_free(src);
}

static void test_fault_redirect(void **state)
{
    (void)state;
    char url[256];
    url_of(url, sizeof url, "tcb");
    standin_fault(&g_sd, "tcb", "redirect", 0, NULL);
    ratls_result *r;
    ratls_status st = fault_verify(2, &r, NULL, NULL);
    expect_failure(st, r, RATLS_ERR_HTTP_STATUS, "HTTP 302 (redirect, not followed)", url, "redirect on tcb");
    ratls_result_free(r);
    expect_requests(&g_sd, 1, 0, 0, 0, 0); /* neither followed nor retried */
}

/* An expired TCB Info is refused and not cached: the next good one is fetched. */
static void test_expired_tcb_info_not_cached(void **state)
{
    (void)state;
    tp_scenario sc;
    tp_scenario_default(&sc, T);
    sc.tcbinfo_window.to_off = -HOUR; /* nextUpdate an hour before T */
    sim expired;
    sim_make(&sc, &expired, "expired-tcbinfo");
    standin_ctl(&g_sd, "/__load?path=%s", expired.bundle);

    ratls_collateral_source *src = source_for(g_sd.base, 1, NULL);
    ratls_result *r;
    char url[256];
    url_of(url, sizeof url, "tcb");
    ratls_status st = verify_sim(src, &g_good, NULL, T, &r);
    expect_failure(st, r, RATLS_ERR_COLLATERAL_EXPIRED, "TCB Info expired at its nextUpdate", url,
                   "expired TCB Info served");
    ratls_result_free(r);
    expect_requests(&g_sd, 1, 0, 0, 0, 0);
    ratls_collateral_stats a = stats_of(src);
    assert_int_equal(a.upstream_failures, 1);

    /* the good bundle is back: the same source fetches it (nothing was kept) */
    standin_ctl(&g_sd, "/__load?path=%s", g_good.bundle);
    st = verify_sim(src, &g_good, NULL, T, &r);
    expect_verified(st, r, "after the good bundle is loaded");
    ratls_result_free(r);
    expect_requests(&g_sd, 2, 1, 1, 1, 0);
    ratls_collateral_source_free(src);
    tp_output_free(&expired.out);
}

/* The quote's FMSPC has no TCB Info at the service (it only has one for
 * another FMSPC): the service's 404 is reported. */
static void test_fmspc_without_tcb_info(void **state)
{
    (void)state;
    tp_scenario sc;
    tp_scenario_default(&sc, T);
    sc.tcbinfo_fmspc[5] ^= 0x55; /* TCB Info for 00906EA10055, PCK says 00906EA10000 */
    sim other;
    sim_make(&sc, &other, "other-fmspc");
    standin sd;
    standin_start_pcs(&sd, other.bundle); /* serves only the other FMSPC */
    ratls_collateral_source *src = source_for(sd.base, 1, NULL);
    ratls_result *r;
    char url[256];
    snprintf(url, sizeof url, "%s/tdx/certification/v4/tcb?fmspc=%s", sd.base, FMSPC);
    ratls_status st = verify_sim(src, &other, NULL, T, &r);
    expect_failure(st, r, RATLS_ERR_HTTP_STATUS, "HTTP 404", url, "TCB Info only for another FMSPC");
    ratls_result_free(r);
    assert_int_equal(standin_stat(&sd, "tcb:" FMSPC), 1);
    assert_int_equal(standin_stat(&sd, "tcb:00906EA10055"), 0);
    ratls_collateral_source_free(src);
    standin_stop(&sd);
    tp_output_free(&other.out);
}

/* ------------------------------------------------------------------ */
/* 4. faults survived with a valid cached item                          */
/* ------------------------------------------------------------------ */

/* Every round is a verification two hours (of verification time) after the
 * last, all inside a 2-day refresh margin: each finds the items due for
 * refresh and, however often the source retries a due item, asks again. */
static void test_stale_memory_survives_faults(void **state)
{
    (void)state;
    ratls_collateral_source *src = source_for(g_sd.base, 1, NULL);
    ratls_collateral_source_set_timeouts(src, 2000, 500); /* for the slow mode: 4 x 0.5 s */
    ratls_collateral_source_set_refresh_margin(src, 2 * DAY);
    int64_t at = T + 28 * DAY; /* items expire at T + 30 days */
    ratls_result *r;
    ratls_status st = verify_sim(src, &g_good, NULL, T, &r);
    expect_verified(st, r, "populating the memory cache");
    ratls_result_free(r);

    static const struct {
        const char *mode, *arg;
    } modes[] = {{"500", NULL},    {"503", NULL},     {"slow", "1"},      {"garbage", NULL},
                 {"badsig", NULL}, {"nochain", NULL}, {"truncated", NULL}};
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        standin_ctl(&g_sd, "/__reset");
        standin_fault(&g_sd, "all", modes[i].mode, 0, modes[i].arg);
        ratls_collateral_stats a = stats_of(src);
        at += 2 * HOUR;
        st = verify_sim(src, &g_good, NULL, at, &r);
        if (st != RATLS_OK)
            fail_msg("persistent %s while every item is due for refresh: %s: %s", modes[i].mode, ratls_status_name(st),
                     ratls_result_error(r));
        expect_verified(st, r, modes[i].mode);
        ratls_result_free(r);
        ratls_collateral_stats b = stats_of(src);
        if (b.stale_used <= a.stale_used || b.upstream_failures <= a.upstream_failures ||
            b.upstream_requests <= a.upstream_requests)
            fail_msg("persistent %s: the cached copies were not used after failed refreshes "
                     "(stale_used %llu -> %llu, upstream_failures %llu -> %llu)",
                     modes[i].mode, (unsigned long long)a.stale_used, (unsigned long long)b.stale_used,
                     (unsigned long long)a.upstream_failures, (unsigned long long)b.upstream_failures);
        printf("  persistent %-9s at T+28d+%2dh: verified; stale_used +%llu, upstream_failures +%llu\n", modes[i].mode,
               (int)((at - T - 28 * DAY) / HOUR), (unsigned long long)(b.stale_used - a.stale_used),
               (unsigned long long)(b.upstream_failures - a.upstream_failures));
    }
    expect_log("using the cached TCB Info");

    /* the service is back: the due items are refreshed (the stand-in serves
     * the same issue, so they stay due: no failure is counted, that is all) */
    standin_ctl(&g_sd, "/__reset");
    ratls_collateral_stats a = stats_of(src);
    st = verify_sim(src, &g_good, NULL, at + 2 * HOUR, &r);
    expect_verified(st, r, "service back");
    ratls_result_free(r);
    ratls_collateral_stats b = stats_of(src);
    expect_requests(&g_sd, 1, 1, 1, 1, 0);
    assert_int_equal(b.upstream_failures, a.upstream_failures);
    assert_int_equal(b.upstream_requests, a.upstream_requests + 4);
    ratls_collateral_source_free(src);
}

static void test_stale_disk_survives_faults(void **state)
{
    (void)state;
    char dir[256];
    new_dir(dir, sizeof dir, "disk");
    ratls_collateral_source *a = source_for(g_sd.base, 1, dir);
    ratls_result *r;
    ratls_status st = verify_sim(a, &g_good, NULL, T, &r);
    expect_verified(st, r, "source A populating the disk cache");
    ratls_result_free(r);
    ratls_collateral_source_free(a);

    /* a new source on the same folder, the service failing: disk hits only */
    standin_ctl(&g_sd, "/__reset");
    standin_fault(&g_sd, "all", "500", 0, NULL);
    ratls_collateral_source *b = source_for(g_sd.base, 1, dir);
    st = verify_sim(b, &g_good, NULL, T, &r);
    expect_verified(st, r, "source B at T from disk");
    ratls_result_free(r);
    expect_requests(&g_sd, 0, 0, 0, 0, 0);
    ratls_collateral_stats s1 = stats_of(b);
    assert_int_equal(s1.disk_hits, 4);
    assert_int_equal(s1.upstream_requests, 0);

    /* due for refresh, the service still failing: the disk copies serve */
    st = verify_sim(b, &g_good, NULL, T_DUE, &r);
    expect_verified(st, r, "source B in the refresh margin, service failing");
    ratls_result_free(r);
    ratls_collateral_stats s2 = stats_of(b);
    assert_true(s2.upstream_requests > 0);
    assert_int_equal(s2.disk_hits, 8);
    print_stats("source B", b);
    expect_log("using the disk-cached");
    ratls_collateral_source_free(b);
}

static void test_expired_cache_network_down(void **state)
{
    (void)state;
    ratls_collateral_source *src = source_for(g_sd.base, 1, NULL);
    ratls_result *r;
    ratls_status st = verify_sim(src, &g_good, NULL, T, &r);
    expect_verified(st, r, "populating the memory cache");
    ratls_result_free(r);

    standin_ctl(&g_sd, "/__reset");
    standin_fault(&g_sd, "all", "500", 0, NULL);
    char url[256];
    url_of(url, sizeof url, "tcb");
    st = verify_sim(src, &g_good, NULL, T_EXPIRED, &r);
    expect_failure(st, r, RATLS_ERR_HTTP_STATUS, "HTTP 500", url, "expired cache, service failing");
    ratls_result_free(r);

    /* INSECURE grace: the expired copies serve, and the result says so */
    ratls_policy *pol = ratls_policy_new();
    ratls_policy_set_collateral_grace_insecure(pol, 7 * DAY);
    ratls_collateral_stats a = stats_of(src);
    st = verify_sim(src, &g_good, pol, T_EXPIRED, &r);
    expect_verified(st, r, "expired cache under a 7-day grace");
    ratls_check_outcome oc;
    const char *detail = NULL;
    assert_true(ratls_result_find_check(r, "tdx.collateral.tcb_info", &oc, &detail) >= 0);
    assert_int_equal(oc, RATLS_CHECK_PASS);
    if (!strstr(detail, "EXPIRED"))
        fail_msg("tdx.collateral.tcb_info does not say EXPIRED: %s", detail);
    printf("  grace: %s\n", detail);
    ratls_result_free(r);
    ratls_collateral_stats b = stats_of(src);
    assert_true(b.stale_used > a.stale_used);
    assert_true(b.upstream_failures > a.upstream_failures);
    ratls_policy_free(pol);
    ratls_collateral_source_free(src);
}

static void cache_file(const char *dir, const char *kind, char *out, size_t n);

/* The issueDate of the TCB Info a source hands out at `at`. */
static void tcb_issue_served(ratls_collateral_source *src, int64_t at, char *out, size_t n)
{
    ratls_verifier *v = ratls_verifier_new();
    assert_int_equal(ratls_verifier_set_tdx_root_insecure(v, g_good.out.root_der, g_good.out.root_der_len), RATLS_OK);
    ratls_verifier_set_collateral_source(v, src);
    ratls_collateral *c = NULL;
    char err[512] = "";
    ratls_status st =
        ratls_verifier_fetch_collateral(v, g_good.out.quote, g_good.out.quote_len, NULL, at, &c, err, sizeof err);
    if (st != RATLS_OK)
        fail_msg("fetch_collateral: %s (%s)", ratls_status_name(st), err);
    char *js = NULL;
    assert_int_equal(ratls_collateral_to_json(c, &js), RATLS_OK);
    json_t *o = json_loads(js, 0, NULL);
    json_t *ti = json_loads(json_string_value(json_object_get(o, "tcb_info")), 0, NULL);
    assert_non_null(ti);
    snprintf(out, n, "%s", json_string_value(json_object_get(ti, "issueDate")));
    json_decref(ti);
    json_decref(o);
    ratls_free_string(js);
    ratls_collateral_free(c);
    ratls_verifier_free(v);
}

/* The issueDate inside a TCB Info cache file. */
static void tcb_issue_on_disk(const char *dir, char *out, size_t n)
{
    char path[1024];
    cache_file(dir, "tcb_info", path, sizeof path);
    json_t *o = json_load_file(path, 0, NULL);
    assert_non_null(o);
    const char *hex = json_string_value(json_object_get(o, "body_hex"));
    assert_non_null(hex);
    uint8_t *body = NULL;
    size_t bl = 0;
    assert_int_equal(ratls_hex_decode_relaxed(hex, strlen(hex), &body, &bl), RATLS_OK);
    json_t *b = json_loadb((const char *)body, bl, 0, NULL);
    assert_non_null(b);
    snprintf(out, n, "%s", json_string_value(json_object_get(json_object_get(b, "tcbInfo"), "issueDate")));
    json_decref(b);
    free(body);
    json_decref(o);
}

/* A service answering a refresh with an older issue than the copy already
 * had (a replayed response, still valid) rolls back neither the memory nor
 * the disk cache, nor a new process starting from that disk cache. */
static void test_no_rollback_to_older_issue(void **state)
{
    (void)state;
    tp_scenario sc;
    tp_scenario_default(&sc, T);
    sc.tcbinfo_window.from_off = sc.qeid_window.from_off = -3 * DAY; /* issued 2 days before g_good's */
    sc.root_crl_window.from_off = sc.pck_crl_window.from_off = -3 * DAY;
    sim old;
    sim_make(&sc, &old, "older-issue");
    char dir[256], want[32], got[32];
    new_dir(dir, sizeof dir, "disk");

    ratls_collateral_source *a = source_for(g_sd.base, 1, dir);
    ratls_collateral_source_set_refresh_margin(a, 2 * DAY);
    tcb_issue_served(a, T, want, sizeof want); /* g_good's issue, cached in memory and on disk */
    standin_ctl(&g_sd, "/__load?path=%s", old.bundle);
    standin_ctl(&g_sd, "/__reset");
    int64_t at = T + 28 * DAY + HOUR; /* due for refresh */
    ratls_result *r;
    ratls_status st = verify_sim(a, &g_good, NULL, at, &r);
    expect_verified(st, r, "refresh answered with an older issue");
    ratls_result_free(r);
    expect_requests(&g_sd, 1, 1, 1, 1, 0);
    expect_log("older than the cached one");
    tcb_issue_served(a, at, got, sizeof got);
    assert_string_equal(got, want);
    tcb_issue_on_disk(dir, got, sizeof got);
    if (strcmp(got, want) != 0)
        fail_msg("the disk cache was rolled back to TCB Info issued %s (had %s)", got, want);
    ratls_collateral_source_free(a);

    /* a new process on that folder, the service still replaying */
    ratls_collateral_source *b = source_for(g_sd.base, 1, dir);
    ratls_collateral_source_set_refresh_margin(b, 2 * DAY);
    tcb_issue_served(b, at + 2 * HOUR, got, sizeof got);
    if (strcmp(got, want) != 0)
        fail_msg("a new source trusted the service's older TCB Info (issued %s) over its disk copy (issued %s)", got,
                 want);
    expect_log("older than the disk-cached one");
    tcb_issue_on_disk(dir, got, sizeof got);
    if (strcmp(got, want) != 0)
        fail_msg("the disk cache was rolled back to TCB Info issued %s (had %s)", got, want);
    ratls_collateral_source_free(b);
    tp_output_free(&old.out);
}

/* ------------------------------------------------------------------ */
/* 5. single flight                                                     */
/* ------------------------------------------------------------------ */

#define NTHREADS 8

typedef struct flight_job {
    ratls_verifier *v;
    ratls_evidence *ev;
    ratls_policy *pol;
    pthread_barrier_t *go;
    ratls_status st;
    int verified;
} flight_job;

static void *flight_worker(void *arg)
{
    flight_job *j = arg;
    pthread_barrier_wait(j->go);
    ratls_result *r = NULL;
    j->st = ratls_verify(j->v, j->ev, NULL, j->pol, T, &r);
    j->verified = r && ratls_result_verified(r);
    ratls_result_free(r);
    return NULL;
}

static void test_single_flight(void **state)
{
    (void)state;
    standin_fault(&g_sd, "tcb", "slow", 1, "0.5");
    ratls_collateral_source *src = source_for(g_sd.base, 1, NULL);
    ratls_evidence *ev = ratls_evidence_new();
    assert_int_equal(ratls_evidence_set_tdx_quote(ev, g_good.out.quote, g_good.out.quote_len), RATLS_OK);
    ratls_policy *pol = ratls_policy_new();
    pthread_barrier_t go;
    assert_int_equal(pthread_barrier_init(&go, NULL, NTHREADS), 0);
    pthread_t t[NTHREADS];
    flight_job j[NTHREADS];
    for (int i = 0; i < NTHREADS; i++) {
        j[i] = (flight_job){.v = ratls_verifier_new(), .ev = ev, .pol = pol, .go = &go};
        assert_non_null(j[i].v);
        assert_int_equal(ratls_verifier_set_tdx_root_insecure(j[i].v, g_good.out.root_der, g_good.out.root_der_len),
                         RATLS_OK);
        ratls_verifier_set_collateral_source(j[i].v, src);
    }
    for (int i = 0; i < NTHREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, flight_worker, &j[i]), 0);
    int ok = 0;
    for (int i = 0; i < NTHREADS; i++) {
        pthread_join(t[i], NULL);
        if (j[i].st == RATLS_OK && j[i].verified)
            ok++;
        else
            printf("  thread %d: %s\n", i, ratls_status_name(j[i].st));
        ratls_verifier_free(j[i].v);
    }
    pthread_barrier_destroy(&go);
    printf("  %d threads, one shared source: %d verified\n", NTHREADS, ok);
    assert_int_equal(ok, NTHREADS);
    expect_requests(&g_sd, 1, 1, 1, 1, 0);
    ratls_collateral_stats s = stats_of(src);
    assert_int_equal(s.upstream_requests, 4);
    ratls_policy_free(pol);
    ratls_evidence_free(ev);
    ratls_collateral_source_free(src);
}

/* ratls_collateral_source_clear_memory from another thread while verifiers
 * wait for a refresh in flight: every waiter wakes on an item that still
 * exists (ASan builds catch a freed one) and every verification succeeds. */
typedef struct clearer_job {
    ratls_collateral_source *src;
    atomic_int *stop;
    unsigned long clears;
} clearer_job;

static void *clearer(void *arg)
{
    clearer_job *c = arg;
    while (!atomic_load(c->stop)) {
        ratls_collateral_source_clear_memory(c->src);
        c->clears++;
    }
    return NULL;
}

static void test_clear_memory_while_waiting(void **state)
{
    (void)state;
    ratls_collateral_source *src = source_for(g_sd.base, 1, NULL);
    ratls_evidence *ev = ratls_evidence_new();
    assert_int_equal(ratls_evidence_set_tdx_quote(ev, g_good.out.quote, g_good.out.quote_len), RATLS_OK);
    ratls_policy *pol = ratls_policy_new();
    int bad = 0;
    for (int round = 0; round < 3; round++) {
        standin_ctl(&g_sd, "/__reset");
        standin_fault(&g_sd, "tcb", "slow", 1, "0.3"); /* the others wait on this flight */
        ratls_collateral_source_clear_memory(src);
        pthread_barrier_t go;
        assert_int_equal(pthread_barrier_init(&go, NULL, NTHREADS), 0);
        pthread_t t[NTHREADS], ct;
        flight_job j[NTHREADS];
        atomic_int stop;
        atomic_init(&stop, 0);
        clearer_job cj = {src, &stop, 0};
        for (int i = 0; i < NTHREADS; i++) {
            j[i] = (flight_job){.v = ratls_verifier_new(), .ev = ev, .pol = pol, .go = &go};
            assert_int_equal(ratls_verifier_set_tdx_root_insecure(j[i].v, g_good.out.root_der, g_good.out.root_der_len),
                             RATLS_OK);
            ratls_verifier_set_collateral_source(j[i].v, src);
        }
        for (int i = 0; i < NTHREADS; i++)
            assert_int_equal(pthread_create(&t[i], NULL, flight_worker, &j[i]), 0);
        assert_int_equal(pthread_create(&ct, NULL, clearer, &cj), 0);
        for (int i = 0; i < NTHREADS; i++) {
            pthread_join(t[i], NULL);
            if (j[i].st != RATLS_OK || !j[i].verified) {
                printf("  round %d thread %d: %s\n", round, i, ratls_status_name(j[i].st));
                bad++;
            }
            ratls_verifier_free(j[i].v);
        }
        atomic_store(&stop, 1);
        pthread_join(ct, NULL);
        pthread_barrier_destroy(&go);
        printf("  round %d: %lu clears while %d threads verified\n", round, cj.clears, NTHREADS);
    }
    assert_int_equal(bad, 0);
    ratls_policy_free(pol);
    ratls_evidence_free(ev);
    ratls_collateral_source_free(src);
}

/* ------------------------------------------------------------------ */
/* 6. disk cache robustness                                             */
/* ------------------------------------------------------------------ */

/* Populate `dir` through a fresh source at T, then reset the stand-in's counts. */
static void populate(const char *dir)
{
    ratls_collateral_source *src = source_for(g_sd.base, 1, dir);
    ratls_result *r;
    ratls_status st = verify_sim(src, &g_good, NULL, T, &r);
    expect_verified(st, r, "populating the disk cache");
    ratls_result_free(r);
    ratls_collateral_source_free(src);
    standin_ctl(&g_sd, "/__reset");
}

/* The cache file of one item kind ("tcb_info", "qe_identity", "pck_crl", "root_ca_crl"). */
static void cache_file(const char *dir, const char *kind, char *out, size_t n)
{
    char pat[64];
    snprintf(pat, sizeof pat, "-%s", kind);
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *de;
    int found = 0;
    while ((de = readdir(d)) != NULL) {
        size_t nl = strlen(de->d_name);
        if (de->d_name[0] == '.' || nl < 6 || strcmp(de->d_name + nl - 5, ".json") != 0 || !strstr(de->d_name, pat))
            continue;
        snprintf(out, n, "%s/%s", dir, de->d_name);
        found++;
    }
    closedir(d);
    if (found != 1)
        fail_msg("%d cache files for %s in %s", found, kind, dir);
}

/* Count the entries of `dir` and the bytes of its *.json files. */
static int dir_scan(const char *dir, uint64_t *json_bytes)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *de;
    int n = 0;
    *json_bytes = 0;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        n++;
        size_t nl = strlen(de->d_name);
        char p[1024];
        struct stat st;
        snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
        if (nl > 5 && strcmp(de->d_name + nl - 5, ".json") == 0 && stat(p, &st) == 0)
            *json_bytes += (uint64_t)st.st_size;
    }
    closedir(d);
    return n;
}

/* A fresh source on `dir` verifies at T, fetching only the item `route`; the
 * rewritten file then serves an offline source with no request at all. */
static void expect_one_refetch(const char *dir, const char *route, const char *log_sub)
{
    log_reset();
    ratls_collateral_source *b = source_for(g_sd.base, 1, dir);
    ratls_result *r;
    ratls_status st = verify_sim(b, &g_good, NULL, T, &r);
    expect_verified(st, r, "fresh source on the damaged folder");
    ratls_result_free(r);
    int tcb = strcmp(route, "tcb") == 0, qe = strcmp(route, "qe") == 0, pck = strcmp(route, "pckcrl") == 0,
        root = strcmp(route, "rootcacrl") == 0;
    expect_requests(&g_sd, tcb, qe, pck, root, 0);
    ratls_collateral_stats s = stats_of(b);
    assert_int_equal(s.disk_hits, 3);
    assert_int_equal(s.upstream_requests, 1);
    expect_log("collateral cache: ignoring");
    if (log_sub)
        expect_log(log_sub);
    ratls_collateral_source_free(b);

    standin_ctl(&g_sd, "/__reset");
    ratls_collateral_source *c = source_for(g_sd.base, 1, dir);
    ratls_collateral_source_set_offline(c, 1);
    st = verify_sim(c, &g_good, NULL, T, &r);
    expect_verified(st, r, "offline source on the repaired folder");
    ratls_result_free(r);
    expect_requests(&g_sd, 0, 0, 0, 0, 0);
    s = stats_of(c);
    assert_int_equal(s.disk_hits, 4);
    assert_int_equal(s.upstream_requests, 0);
    ratls_collateral_source_free(c);
}

static void test_disk_garbage_file(void **state)
{
    (void)state;
    char dir[256], path[1024];
    new_dir(dir, sizeof dir, "disk");
    populate(dir);
    cache_file(dir, "tcb_info", path, sizeof path);
    static const char junk[] = "\x00\xff not json at all \x01\x02{{{";
    write_bytes(path, junk, sizeof junk - 1);
    expect_one_refetch(dir, "tcb", "not a cache file");
    size_t n;
    char *text = read_text(path, &n);
    assert_non_null(text);
    assert_non_null(strstr(text, "\"kind\":\"tcb_info\""));
    free(text);
}

static void test_disk_truncated_file(void **state)
{
    (void)state;
    char dir[256], path[1024];
    new_dir(dir, sizeof dir, "disk");
    populate(dir);
    cache_file(dir, "pck_crl", path, sizeof path);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(truncate(path, st.st_size / 2), 0);
    expect_one_refetch(dir, "pckcrl", NULL);
    assert_int_equal(stat(path, &st) == 0 && st.st_size > 0, 1);
}

static void test_disk_swapped_file(void **state)
{
    (void)state;
    char dir[256], tcb[1024], qe[1024];
    new_dir(dir, sizeof dir, "disk");
    populate(dir);
    cache_file(dir, "tcb_info", tcb, sizeof tcb);
    cache_file(dir, "qe_identity", qe, sizeof qe);
    size_t n;
    char *text = read_text(qe, &n);
    assert_non_null(text);
    write_bytes(tcb, text, n); /* a valid, signed item, but not the one this file names */
    free(text);
    expect_one_refetch(dir, "tcb", NULL);
}

static void test_disk_modified_body(void **state)
{
    (void)state;
    char dir[256], path[1024];
    new_dir(dir, sizeof dir, "disk");
    populate(dir);
    cache_file(dir, "tcb_info", path, sizeof path);
    size_t n;
    char *text = read_text(path, &n);
    assert_non_null(text);
    /* The body is {"tcbInfo":...,"signature":"<hex>"}: change one hex digit
     * of the file's body_hex, the low nibble of the signature's last
     * character, so the body stays well-formed JSON but no longer verifies. */
    char *h = strstr(text, "\"body_hex\":\"");
    assert_non_null(h);
    h += strlen("\"body_hex\":\"");
    char *e = strchr(h, '"');
    assert_non_null(e);
    size_t hl = (size_t)(e - h);
    assert_true(hl > 8 && hl % 2 == 0);
    assert_memory_equal(e - 4, "227d", 4); /* ends with "} */
    char *lo = e - 5;                      /* low nibble of the signature's last character */
    assert_true(e[-6] == '3' || e[-6] == '6');
    *lo = *lo == '1' ? '2' : '1'; /* '0'..'9' stay digits, 'a'..'f' stay letters */
    write_bytes(path, text, n);
    free(text);
    expect_one_refetch(dir, "tcb", "TCB Info signature does not verify");
}

static void test_disk_unwritable(void **state)
{
    (void)state;
    char dir[256], file[512], sub[600];
    new_dir(dir, sizeof dir, "disk");
    snprintf(file, sizeof file, "%s/file", dir);
    write_bytes(file, "a regular file\n", 15);
    snprintf(sub, sizeof sub, "%s/sub", file);
    ratls_collateral_source *src = source_for(g_sd.base, 1, sub);
    ratls_result *r;
    ratls_status st = verify_sim(src, &g_good, NULL, T, &r);
    expect_verified(st, r, "cache folder under a regular file");
    ratls_result_free(r);
    expect_log("cannot write");
    uint64_t bytes;
    assert_int_equal(dir_scan(dir, &bytes), 1); /* only "file" */
    size_t n;
    char *text = read_text(file, &n);
    assert_non_null(text);
    assert_string_equal(text, "a regular file\n");
    free(text);
    ratls_collateral_source_free(src);
}

static void test_disk_size_bound(void **state)
{
    (void)state;
    char full[256], bounded[256];
    uint64_t full_bytes, bounded_bytes;
    new_dir(full, sizeof full, "disk");
    populate(full);
    assert_int_equal(dir_scan(full, &full_bytes), 4);

    new_dir(bounded, sizeof bounded, "disk");
    ratls_collateral_source *src = source_for(g_sd.base, 1, bounded);
    ratls_collateral_source_set_cache_max_bytes(src, 9000);
    ratls_result *r;
    ratls_status st = verify_sim(src, &g_good, NULL, T, &r);
    expect_verified(st, r, "9000-byte disk budget");
    ratls_result_free(r);
    int files = dir_scan(bounded, &bounded_bytes);
    printf("  unbounded: 4 files, %llu bytes; 9000-byte budget: %d files, %llu bytes\n", (unsigned long long)full_bytes,
           files, (unsigned long long)bounded_bytes);
    assert_true(full_bytes > 9000); /* else the budget would not bite */
    assert_true(bounded_bytes <= 9000);
    assert_true(files >= 1);
    ratls_collateral_source_free(src);
}

static void test_offline(void **state)
{
    (void)state;
    char empty[256], full[256];
    new_dir(empty, sizeof empty, "disk");
    ratls_collateral_source *src = source_for(g_sd.base, 1, empty);
    ratls_collateral_source_set_offline(src, 1);
    ratls_result *r;
    ratls_status st = verify_sim(src, &g_good, NULL, T, &r);
    expect_failure(st, r, RATLS_ERR_COLLATERAL_UNAVAILABLE, "offline", "TCB Info for FMSPC " FMSPC,
                   "offline, empty cache");
    ratls_result_free(r);
    expect_requests(&g_sd, 0, 0, 0, 0, 0);
    assert_int_equal(stats_of(src).upstream_requests, 0);
    ratls_collateral_source_free(src);

    new_dir(full, sizeof full, "disk");
    populate(full);
    src = source_for(g_sd.base, 1, full);
    ratls_collateral_source_set_offline(src, 1);
    st = verify_sim(src, &g_good, NULL, T, &r);
    expect_verified(st, r, "offline, populated cache");
    ratls_result_free(r);
    expect_requests(&g_sd, 0, 0, 0, 0, 0);
    ratls_collateral_stats s = stats_of(src);
    assert_int_equal(s.upstream_requests, 0);
    assert_int_equal(s.disk_hits, 4);
    ratls_collateral_source_free(src);
}

/* ------------------------------------------------------------------ */
/* 7. offline bundle                                                    */
/* ------------------------------------------------------------------ */

static int dead_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t al = sizeof a;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
    close(fd);
    return ntohs(a.sin_port);
}

static void test_offline_bundle(void **state)
{
    (void)state;
    char base[64];
    snprintf(base, sizeof base, "http://127.0.0.1:%d", dead_port());
    ratls_collateral_source *src = source_for(base, 1, NULL);
    ratls_collateral *c = NULL;
    char err[512] = "";
    assert_int_equal(ratls_collateral_from_json((const uint8_t *)g_good.out.collateral_json, g_good.out.collateral_len,
                                                &c, err, sizeof err),
                     RATLS_OK);
    assert_int_equal(ratls_collateral_source_add_bundle(src, c), RATLS_OK);
    ratls_collateral_free(c); /* the source holds its own reference */
    ratls_result *r;
    ratls_status st = verify_sim(src, &g_good, NULL, T, &r);
    expect_verified(st, r, "dead service, offline bundle");
    ratls_result_free(r);
    ratls_collateral_stats s = stats_of(src);
    assert_int_equal(s.bundle_hits, 1);
    assert_true(s.upstream_requests >= 1);
    expect_log("using the offline bundle for FMSPC " FMSPC);
    ratls_collateral_source_free(src);
}

/* ------------------------------------------------------------------ */
/* 8. unit bits                                                         */
/* ------------------------------------------------------------------ */

static void test_url_decode(void **state)
{
    (void)state;
    static const char good[] = "-----BEGIN%20CERTIFICATE-----%0AMIIC%2b%2F%3D%3d+x";
    char *d = url_decode(good, strlen(good));
    assert_non_null(d);
    assert_string_equal(d, "-----BEGIN CERTIFICATE-----\nMIIC+/==+x"); /* '+' is not a space here */
    free(d);
    d = url_decode("", 0);
    assert_non_null(d);
    assert_string_equal(d, "");
    free(d);
    /* only `len` bytes are read */
    d = url_decode("ab%41%zz", 5);
    assert_non_null(d);
    assert_string_equal(d, "abA");
    free(d);
    static const char *const bad[] = {"%2", "%", "abc%", "%zz", "%2g", "%g2", "%00", "a%00b"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        d = url_decode(bad[i], strlen(bad[i]));
        if (d)
            fail_msg("url_decode(\"%s\") accepted: \"%s\"", bad[i], d);
    }
    static const char nul[] = {'a', 0, 'b'}; /* a raw NUL byte */
    assert_null(url_decode(nul, sizeof nul));
}

static void test_crl_to_der(void **state)
{
    (void)state;
    json_t *o = json_loads(g_good.out.collateral_json, 0, NULL);
    assert_non_null(o);
    const char *hex = json_string_value(json_object_get(o, "pck_crl"));
    assert_non_null(hex);
    uint8_t *der = NULL;
    size_t dl = 0;
    assert_int_equal(ratls_hex_decode_relaxed(hex, strlen(hex), &der, &dl), RATLS_OK);
    assert_true(dl > 16 && der[0] == 0x30);

    /* PEM, 64 columns */
    size_t b64cap = 4 * ((dl + 2) / 3) + 1;
    char *b64 = malloc(b64cap);
    assert_non_null(b64);
    int bl = EVP_EncodeBlock((unsigned char *)b64, der, (int)dl);
    assert_true(bl > 0);
    size_t pcap = (size_t)bl + (size_t)bl / 64 + 128;
    char *pem = malloc(pcap);
    assert_non_null(pem);
    size_t pl = (size_t)snprintf(pem, pcap, "-----BEGIN X509 CRL-----\n");
    for (int i = 0; i < bl; i += 64)
        pl += (size_t)snprintf(pem + pl, pcap - pl, "%.*s\n", bl - i < 64 ? bl - i : 64, b64 + i);
    pl += (size_t)snprintf(pem + pl, pcap - pl, "-----END X509 CRL-----\n");

    /* hex with surrounding whitespace, as a PCCS may serve it */
    size_t hcap = strlen(hex) + 8;
    char *hexws = malloc(hcap);
    assert_non_null(hexws);
    snprintf(hexws, hcap, "  %s\r\n", hex);

    const struct {
        const char *name;
        const uint8_t *buf;
        size_t len;
    } forms[] = {
        {"DER", der, dl},
        {"hex", (const uint8_t *)hex, strlen(hex)},
        {"hex + whitespace", (const uint8_t *)hexws, strlen(hexws)},
        {"PEM", (const uint8_t *)pem, pl},
    };
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        uint8_t *out = NULL;
        size_t ol = 0;
        char err[256] = "";
        ratls_status st = collateral_crl_to_der(forms[i].buf, forms[i].len, &out, &ol, "PCK CRL", err, sizeof err);
        if (st != RATLS_OK)
            fail_msg("%s form rejected: %s (%s)", forms[i].name, ratls_status_name(st), err);
        assert_int_equal(ol, dl);
        assert_memory_equal(out, der, dl);
        free(out);
    }

    /* garbage, broken hex, broken PEM, nothing */
    char broken_pem[512];
    snprintf(broken_pem, sizeof broken_pem, "-----BEGIN X509 CRL-----\n%.40s*%.20s\n-----END X509 CRL-----\n", b64,
             b64 + 41);
    const char *const bad[] = {"this is not a CRL", "3082zz", "abc", broken_pem, "   ", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint8_t *out = NULL;
        size_t ol = 0;
        char err[256] = "";
        ratls_status st =
            collateral_crl_to_der((const uint8_t *)bad[i], strlen(bad[i]), &out, &ol, "PCK CRL", err, sizeof err);
        if (st != RATLS_ERR_CRL_FORMAT)
            fail_msg("\"%.30s\" gave %s, not crl_format", bad[i], ratls_status_name(st));
        assert_null(out);
        assert_non_null(strstr(err, "PCK CRL"));
    }
    free(hexws);
    free(pem);
    free(b64);
    free(der);
    json_decref(o);
}

int main(void)
{
#define T_(f) cmocka_unit_test_setup(f, test_setup)
    const struct CMUnitTest tests[] = {
        T_(test_e2e_simulated),
        T_(test_e2e_real_vectors),
        T_(test_fault_404),
        T_(test_fault_500_persistent),
        T_(test_fault_503_once),
        T_(test_fault_429_retry_after),
        T_(test_fault_429_too_long),
        T_(test_fault_slow_timeout),
        T_(test_fault_garbage),
        T_(test_fault_truncated),
        T_(test_fault_short),
        T_(test_fault_badsig),
        T_(test_fault_nochain),
        T_(test_fault_huge),
        T_(test_fault_redirect),
        T_(test_expired_tcb_info_not_cached),
        T_(test_fmspc_without_tcb_info),
        T_(test_stale_memory_survives_faults),
        T_(test_stale_disk_survives_faults),
        T_(test_expired_cache_network_down),
        T_(test_no_rollback_to_older_issue),
        T_(test_single_flight),
        T_(test_clear_memory_while_waiting),
        T_(test_disk_garbage_file),
        T_(test_disk_truncated_file),
        T_(test_disk_swapped_file),
        T_(test_disk_modified_body),
        T_(test_disk_unwritable),
        T_(test_disk_size_bound),
        T_(test_offline),
        T_(test_offline_bundle),
        cmocka_unit_test(test_url_decode),
        cmocka_unit_test(test_crl_to_der),
    };
#undef T_
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
