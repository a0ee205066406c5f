/*
 * ratls_bench_connect — the cost of attested connections through libcurl,
 * against the simulated TEE server (`ratls sim`, started here), in one run:
 *
 *   plain       a new TLS connection and GET /v1/models, no attestation
 *   remembered  the same through an attached handle whose server certificate
 *               is remembered (the reconnect case)
 *   attested    the same with nothing remembered: a full attestation (quote
 *               request, DCAP verification with cached collateral, event log,
 *               policy) inside the handshake
 *
 *   ratls_bench_connect [--iterations N] [--attest-iterations N] [--json]
 *
 * The three are interleaved so drift hits them alike. Prints figures; asserts
 * nothing about them. Every transfer must succeed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "ratls/ratls.h"
#include "ratls/ratls_curl.h"
#include "spawn.h"

#ifndef RATLS_CLI
#define RATLS_CLI "ratls"
#endif

static void die(const char *msg)
{
    fprintf(stderr, "ratls_bench_connect: %s\n", msg);
    exit(1);
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static size_t sink(char *d, size_t sz, size_t nm, void *arg)
{
    (void)d;
    (void)arg;
    return sz * nm;
}

static uint8_t *slurp(const char *dir, const char *name, size_t *len)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    uint8_t *b = f ? malloc(1 << 20) : NULL;
    if (!b)
        die("cannot read the simulator's state files");
    *len = fread(b, 1, 1 << 20, f);
    fclose(f);
    return b;
}

/* One fresh connection and GET; microseconds. */
static double one(CURL *h)
{
    curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L);
    curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);
    int64_t t0 = now_ns();
    CURLcode rc = curl_easy_perform(h);
    int64_t t1 = now_ns();
    if (rc != CURLE_OK) {
        fprintf(stderr, "ratls_bench_connect: transfer failed: %s\n", curl_easy_strerror(rc));
        exit(1);
    }
    return (double)(t1 - t0) / 1e3;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, long n)
{
    qsort(v, (size_t)n, sizeof(double), cmp);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
    long n = 300, na = 30;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--iterations") == 0 && i + 1 < argc)
            n = atol(argv[++i]);
        else if (strcmp(argv[i], "--attest-iterations") == 0 && i + 1 < argc)
            na = atol(argv[++i]);
        else if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else {
            fprintf(stderr, "usage: %s [--iterations N] [--attest-iterations N] [--json]\n", argv[0]);
            return 2;
        }
    }
    if (n < 1 || na < 1)
        die("iterations must be positive");
    char dir[] = "/tmp/ratls-bench-sim-XXXXXX";
    if (!mkdtemp(dir))
        die("mkdtemp failed");
    char *sargv[] = {(char *)RATLS_CLI,
                     (char *)"sim",
                     (char *)"--port",
                     (char *)"0",
                     (char *)"--state-dir",
                     dir,
                     (char *)"--exit-on-stdin-eof",
                     NULL};
    bench_child sim;
    if (bench_spawn(sargv, "listening on https://127.0.0.1:", &sim) != 0)
        die("cannot start ratls sim");
    char base[64], url[96];
    snprintf(base, sizeof(base), "https://127.0.0.1:%d", sim.port);
    snprintf(url, sizeof(url), "%s/v1/models", base);
    curl_global_init(CURL_GLOBAL_DEFAULT);

    /* the attested client */
    ratls_verifier *v = ratls_verifier_new();
    ratls_collateral_source *src = ratls_collateral_source_new();
    ratls_policy *pol = NULL;
    size_t len;
    char err[256];
    uint8_t *b = slurp(dir, "root.pem", &len);
    if (ratls_verifier_set_tdx_root_insecure(v, b, len) != RATLS_OK)
        die("bad root.pem");
    free(b);
    b = slurp(dir, "policy.json", &len);
    if (ratls_policy_from_json(b, len, &pol, err, sizeof(err)) != RATLS_OK)
        die("bad policy.json");
    free(b);
    if (ratls_collateral_source_set_pccs_url(src, base) != RATLS_OK)
        die("bad URL");
    ratls_collateral_source_set_tls_verify(src, 0);
    ratls_verifier_set_collateral_source(v, src);
    ratls_hostmap *map = ratls_hostmap_new();
    if (!map || ratls_hostmap_add(map, "127.0.0.1", v, pol) != RATLS_OK)
        die("host map");
    ratls_curl *rc = ratls_curl_new(map);
    CURL *plain = curl_easy_init(), *att = curl_easy_init();
    if (!rc || !plain || !att || ratls_curl_attach(rc, att) != RATLS_OK)
        die("curl set-up");
    char ca[128];
    snprintf(ca, sizeof(ca), "%s/cert.pem", dir);
    CURL *hs[2] = {plain, att};
    for (int i = 0; i < 2; i++) {
        curl_easy_setopt(hs[i], CURLOPT_URL, url);
        curl_easy_setopt(hs[i], CURLOPT_WRITEFUNCTION, sink);
    }
    /* plain: ordinary web PKI with the server's certificate as the CA */
    curl_easy_setopt(plain, CURLOPT_CAINFO, ca);
    curl_easy_setopt(plain, CURLOPT_SSL_SESSIONID_CACHE, 0L); /* a full handshake, as the attested one */

    /* warm-up: one attestation fills the collateral cache and remembers the certificate */
    one(att);
    one(plain);
    double *tp = malloc((size_t)n * sizeof(double)), *tr = malloc((size_t)n * sizeof(double));
    double *ta = malloc((size_t)na * sizeof(double));
    if (!tp || !tr || !ta)
        die("out of memory");
    long ia = 0;
    for (long i = 0; i < n; i++) {
        tp[i] = one(plain);
        tr[i] = one(att);
        if (ia < na && i % (n / na > 0 ? n / na : 1) == 0) {
            ratls_curl_forget(rc);
            ta[ia++] = one(att);
        }
    }
    while (ia < na) {
        ratls_curl_forget(rc);
        ta[ia++] = one(att);
    }
    ratls_curl_stats st;
    ratls_curl_stats_get(rc, &st);
    double mp = median(tp, n), mr = median(tr, n), ma = median(ta, na);
    if (json) {
        printf("{\"impl\":\"ratls\",\"mode\":\"connect\",\"plain_us\":%.1f,\"remembered_us\":%.1f,\"attested_us\":%.1f,"
               "\"remembered_vs_plain\":%.3f,\"iterations\":%ld,\"attest_iterations\":%ld,\"attestations\":%llu,"
               "\"remembered_hits\":%llu}\n",
               mp, mr, ma, mr / mp, n, na, (unsigned long long)st.attestations, (unsigned long long)st.remembered_hits);
    } else {
        printf("ratls %s connection benchmark against ratls sim (loopback, libcurl, GET /v1/models, medians)\n",
               ratls_version());
        printf("  plain TLS connection            %9.1f us   (n=%ld)\n", mp, n);
        printf("  reconnect, remembered cert      %9.1f us   (n=%ld)   %.3fx plain\n", mr, n, mr / mp);
        printf("  new attested connection         %9.1f us   (n=%ld)   %.1fx plain\n", ma, na, ma / mp);
        printf("  attestations run %llu, remembered hits %llu\n", (unsigned long long)st.attestations,
               (unsigned long long)st.remembered_hits);
    }
    ratls_curl_detach(rc, att);
    curl_easy_cleanup(att);
    curl_easy_cleanup(plain);
    ratls_curl_free(rc);
    ratls_hostmap_free(map);
    ratls_policy_free(pol);
    ratls_collateral_source_free(src);
    ratls_verifier_free(v);
    free(tp);
    free(tr);
    free(ta);
    bench_reap(&sim);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "ratls_bench_connect: could not remove %s\n", dir);
    curl_global_cleanup();
    return 0;
}
