/*
 * ratls_bench — timing of full TDX quote verifications on real vectors.
 *
 *   ratls_bench [--vectors DIR] [--iterations N] [--cold-iterations N] [--json]
 *               [--no-fetch] [--fetch-iterations N]
 *
 * Besides verification with the collateral passed in, it measures the
 * collateral source against a loopback stand-in for Intel PCS
 * (tests/collateral/pcs_standin.py, started here per case): verification
 * with the collateral from the warm in-memory cache next to verification
 * with it passed in directly (interleaved, so drift hits both alike), and
 * cold fetches (a fresh source each time: count of upstream requests and
 * time), and cold loads from a populated disk cache.
 *
 * Prints figures; asserts nothing about them. Every timed verification must
 * return RATLS_OK (default policy: UpToDate only), otherwise the benchmark
 * stops with a message and exit status 1. See bench/README.md.
 */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE 1 /* sched_setaffinity, CPU_SET */
#endif

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#if defined(__linux__)
#include <sched.h>
#endif

#include "ratls/ratls.h"
#include "spawn.h"

#ifndef RATLS_SOURCE_DIR
#define RATLS_SOURCE_DIR "."
#endif
#define DEFAULT_VECTORS RATLS_SOURCE_DIR "/../shared/vectors"

#define DEFAULT_COLD_ITERATIONS 2000L
#define DEFAULT_WARM_ITERATIONS 20000L

typedef struct bench_case {
    const char *name;
    const char *quote;      /* path relative to DIR; "file#field" = hex in a JSON string field */
    const char *collateral; /* QuoteCollateralV3 JSON, relative to DIR */
    int64_t now;            /* Unix seconds */
} bench_case;

/* The real, complete, UpToDate cases of shared/vectors/tdx/cases.tsv. */
static const bench_case CASES[] = {
    {"dcapqvl-uptodate", "tdx/dcap-qvl/tdx_quote", "tdx/dcap-qvl/tdx_quote_collateral.json", 1752919234},
    {"dstack-uptodate", "tdx/dstack/quote-report.json#quote", "seeds/secureai/main-d73b2d0/collateral.json",
     1764028800},
};
#define NCASES (sizeof(CASES) / sizeof(CASES[0]))

typedef struct stats {
    long n;
    double median_us;
    double p90_us;
    double min_us;
    double mean_us;
    double per_sec; /* n / wall time of the whole timed loop (bookkeeping included) */
} stats;

#if defined(__GNUC__)
__attribute__((format(printf, 1, 2), noreturn))
#endif
static void
die(const char *fmt, ...);

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "ratls_bench: ");
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

static int64_t now_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
        perror("clock_gettime");
        exit(1);
    }
    return (int64_t)ts.tv_sec * 1000000000 + (int64_t)ts.tv_nsec;
}

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Reads a whole file. Returns NULL on failure. The buffer is NUL-terminated. */
static uint8_t *read_file(const char *path, size_t *len_out)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, len = 0;
    uint8_t *buf = malloc(cap + 1);
    if (!buf) {
        fclose(f);
        return NULL;
    }
    for (;;) {
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (len < cap) {
            if (ferror(f)) {
                free(buf);
                fclose(f);
                return NULL;
            }
            break;
        }
        if (cap > (size_t)64 << 20) { /* 64 MiB: not a vector */
            free(buf);
            fclose(f);
            return NULL;
        }
        cap *= 2;
        uint8_t *nb = realloc(buf, cap + 1);
        if (!nb) {
            free(buf);
            fclose(f);
            return NULL;
        }
        buf = nb;
    }
    fclose(f);
    buf[len] = 0;
    *len_out = len;
    return buf;
}

static void join_path(char *out, size_t outlen, const char *dir, const char *rel)
{
    int n = snprintf(out, outlen, "%s/%s", dir, rel);
    if (n < 0 || (size_t)n >= outlen)
        die("path too long: %s/%s", dir, rel);
}

/* Finds the string value of top-level-ish key `field` in a JSON text (enough
 * for the vector files: a hex string without escapes). */
static int json_string_field(const char *text, const char *field, const char **val, size_t *vlen)
{
    size_t flen = strlen(field);
    const char *p = text;
    while ((p = strstr(p, "\"")) != NULL) {
        if (strncmp(p + 1, field, flen) == 0 && p[1 + flen] == '"') {
            const char *q = p + 2 + flen;
            while (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n')
                q++;
            if (*q == ':') {
                q++;
                while (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n')
                    q++;
                if (*q != '"')
                    return -1;
                q++;
                const char *end = strchr(q, '"');
                if (!end)
                    return -1;
                *val = q;
                *vlen = (size_t)(end - q);
                return 0;
            }
        }
        p++;
    }
    return -1;
}

static uint8_t *load_quote(const char *dir, const char *spec, size_t *len_out)
{
    char rel[512], path[4096];
    const char *hash = strchr(spec, '#');
    size_t rlen = hash ? (size_t)(hash - spec) : strlen(spec);
    if (rlen >= sizeof(rel))
        die("quote path too long: %s", spec);
    memcpy(rel, spec, rlen);
    rel[rlen] = 0;
    join_path(path, sizeof(path), dir, rel);
    size_t flen = 0;
    uint8_t *file = read_file(path, &flen);
    if (!file)
        die("cannot read %s: %s", path, strerror(errno));
    if (!hash) {
        *len_out = flen;
        return file;
    }
    const char *val = NULL;
    size_t vlen = 0;
    if (json_string_field((const char *)file, hash + 1, &val, &vlen) != 0)
        die("no string field \"%s\" in %s", hash + 1, path);
    uint8_t *quote = NULL;
    size_t qlen = 0;
    ratls_status st = ratls_hex_decode_relaxed(val, vlen, &quote, &qlen);
    if (st != RATLS_OK)
        die("hex field in %s does not decode: %s", path, ratls_status_str(st));
    free(file);
    *len_out = qlen;
    return quote;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Nearest rank: the smallest sample with at least p of the samples <= it. */
static double percentile(const double *sorted, long n, double p)
{
    long rank = (long)(p * (double)n);
    if ((double)rank < p * (double)n)
        rank++;
    if (rank < 1)
        rank = 1;
    if (rank > n)
        rank = n;
    return sorted[rank - 1];
}

static void summarize(double *us, long n, int64_t wall_ns, stats *s)
{
    double sum = 0;
    for (long i = 0; i < n; i++)
        sum += us[i];
    qsort(us, (size_t)n, sizeof(double), cmp_double);
    s->n = n;
    s->median_us = percentile(us, n, 0.5);
    s->p90_us = percentile(us, n, 0.9);
    s->min_us = us[0];
    s->mean_us = sum / (double)n;
    s->per_sec = wall_ns > 0 ? (double)n * 1e9 / (double)wall_ns : 0;
}

/* One verification; anything but RATLS_OK stops the benchmark. */
static void check_ok(const bench_case *c, const char *mode, long iter, ratls_status st, ratls_result *res)
{
    if (st == RATLS_OK && res && ratls_result_verified(res))
        return;
    const char *why = res ? ratls_result_error(res) : NULL;
    fprintf(stderr, "ratls_bench: %s (%s, iteration %ld): verification failed: %s (%s)%s%s\n", c->name, mode, iter,
            ratls_status_name(st), ratls_status_str(st), why ? ": " : "", why ? why : "");
    fprintf(stderr, "ratls_bench: figures are only reported for successful verifications; aborting\n");
    exit(1);
}

typedef struct loaded_case {
    const bench_case *c;
    uint8_t *quote;
    size_t quote_len;
    uint8_t *coll_json;
    size_t coll_len;
    ratls_evidence *ev;
    ratls_collateral *coll;
} loaded_case;

static void load_case(const char *dir, const bench_case *c, loaded_case *lc)
{
    char path[4096], err[256] = "";
    memset(lc, 0, sizeof(*lc));
    lc->c = c;
    lc->quote = load_quote(dir, c->quote, &lc->quote_len);
    join_path(path, sizeof(path), dir, c->collateral);
    lc->coll_json = read_file(path, &lc->coll_len);
    if (!lc->coll_json)
        die("cannot read %s: %s", path, strerror(errno));
    lc->ev = ratls_evidence_new();
    if (!lc->ev)
        die("ratls_evidence_new failed");
    ratls_status st = ratls_evidence_set_tdx_quote(lc->ev, lc->quote, lc->quote_len);
    if (st != RATLS_OK)
        die("ratls_evidence_set_tdx_quote: %s", ratls_status_str(st));
    st = ratls_collateral_from_json(lc->coll_json, lc->coll_len, &lc->coll, err, sizeof(err));
    if (st != RATLS_OK)
        die("ratls_collateral_from_json failed: %s: %s", ratls_status_name(st), err);
}

static void free_case(loaded_case *lc)
{
    ratls_collateral_free(lc->coll);
    ratls_evidence_free(lc->ev);
    free(lc->coll_json);
    free(lc->quote);
}

/* (a) cold: fresh verifier per iteration, collateral object already loaded.
 * Timed: ratls_verifier_new + ratls_verify. Not timed: the frees. */
static void bench_cold(const loaded_case *lc, const ratls_policy *pol, long n, stats *s)
{
    double *us = malloc((size_t)n * sizeof(double));
    if (!us)
        die("out of memory");
    int64_t w0 = now_ns();
    for (long i = 0; i < n; i++) {
        ratls_result *res = NULL;
        int64_t t0 = now_ns();
        ratls_verifier *v = ratls_verifier_new();
        if (!v)
            die("ratls_verifier_new failed");
        ratls_status st = ratls_verify(v, lc->ev, lc->coll, pol, lc->c->now, &res);
        int64_t t1 = now_ns();
        check_ok(lc->c, "cold", i, st, res);
        ratls_result_free(res);
        ratls_verifier_free(v);
        us[i] = (double)(t1 - t0) / 1e3;
    }
    int64_t w1 = now_ns();
    summarize(us, n, w1 - w0, s);
    free(us);
}

/* (a') cold incl. collateral JSON load: ratls_collateral_from_json +
 * ratls_verifier_new + ratls_verify, all timed, every iteration. */
static void bench_cold_json(const loaded_case *lc, const ratls_policy *pol, long n, stats *s)
{
    double *us = malloc((size_t)n * sizeof(double));
    if (!us)
        die("out of memory");
    int64_t w0 = now_ns();
    for (long i = 0; i < n; i++) {
        ratls_result *res = NULL;
        ratls_collateral *coll = NULL;
        char err[256] = "";
        int64_t t0 = now_ns();
        ratls_status st = ratls_collateral_from_json(lc->coll_json, lc->coll_len, &coll, err, sizeof(err));
        if (st != RATLS_OK)
            die("ratls_collateral_from_json failed: %s: %s", ratls_status_name(st), err);
        ratls_verifier *v = ratls_verifier_new();
        if (!v)
            die("ratls_verifier_new failed");
        st = ratls_verify(v, lc->ev, coll, pol, lc->c->now, &res);
        int64_t t1 = now_ns();
        check_ok(lc->c, "cold+json", i, st, res);
        ratls_result_free(res);
        ratls_verifier_free(v);
        ratls_collateral_free(coll);
        us[i] = (double)(t1 - t0) / 1e3;
    }
    int64_t w1 = now_ns();
    summarize(us, n, w1 - w0, s);
    free(us);
}

/* (b) warm: one verifier, the same quote and collateral verified again and
 * again (its caches of verified collateral / PCK chains are hot). */
static void bench_warm(const loaded_case *lc, const ratls_policy *pol, long n, stats *s)
{
    double *us = malloc((size_t)n * sizeof(double));
    if (!us)
        die("out of memory");
    ratls_verifier *v = ratls_verifier_new();
    if (!v)
        die("ratls_verifier_new failed");
    long warmup = n / 20 < 100 ? 100 : n / 20;
    for (long i = 0; i < warmup; i++) {
        ratls_result *res = NULL;
        ratls_status st = ratls_verify(v, lc->ev, lc->coll, pol, lc->c->now, &res);
        check_ok(lc->c, "warm-up", i, st, res);
        ratls_result_free(res);
    }
    int64_t w0 = now_ns();
    for (long i = 0; i < n; i++) {
        ratls_result *res = NULL;
        int64_t t0 = now_ns();
        ratls_status st = ratls_verify(v, lc->ev, lc->coll, pol, lc->c->now, &res);
        int64_t t1 = now_ns();
        check_ok(lc->c, "warm", i, st, res);
        ratls_result_free(res);
        us[i] = (double)(t1 - t0) / 1e3;
    }
    int64_t w1 = now_ns();
    summarize(us, n, w1 - w0, s);
    ratls_verifier_free(v);
    free(us);
}

/* ---- collateral source against a loopback PCS stand-in ---- */

static ratls_collateral_source *pccs_source(const char *url, const char *cache_dir)
{
    ratls_collateral_source *src = ratls_collateral_source_new();
    if (!src || ratls_collateral_source_set_pccs_url(src, url) != RATLS_OK ||
        (cache_dir && ratls_collateral_source_set_cache_dir(src, cache_dir) != RATLS_OK))
        die("cannot configure a collateral source for %s", url);
    return src;
}

/* Warm: collateral passed in directly vs. from the source's warm memory
 * cache, one verifier each, interleaved iteration by iteration. */
static void bench_warm_pair(const loaded_case *lc, const ratls_policy *pol, const char *url, long n, stats *direct,
                            stats *cached)
{
    double *ud = malloc((size_t)n * sizeof(double)), *uc = malloc((size_t)n * sizeof(double));
    if (!ud || !uc)
        die("out of memory");
    ratls_verifier *vd = ratls_verifier_new(), *vc = ratls_verifier_new();
    ratls_collateral_source *src = pccs_source(url, NULL);
    if (!vd || !vc)
        die("ratls_verifier_new failed");
    ratls_verifier_set_collateral_source(vc, src);
    long warmup = n / 20 < 100 ? 100 : n / 20;
    for (long i = 0; i < warmup; i++) {
        ratls_result *res = NULL;
        ratls_status st = ratls_verify(vd, lc->ev, lc->coll, pol, lc->c->now, &res);
        check_ok(lc->c, "warm-up direct", i, st, res);
        ratls_result_free(res);
        res = NULL;
        st = ratls_verify(vc, lc->ev, NULL, pol, lc->c->now, &res);
        check_ok(lc->c, "warm-up cached", i, st, res);
        ratls_result_free(res);
    }
    int64_t wd = 0, wc = 0;
    for (long i = 0; i < n; i++) {
        ratls_result *res = NULL;
        int64_t t0 = now_ns();
        ratls_status st = ratls_verify(vd, lc->ev, lc->coll, pol, lc->c->now, &res);
        int64_t t1 = now_ns();
        check_ok(lc->c, "warm direct", i, st, res);
        ratls_result_free(res);
        res = NULL;
        int64_t t2 = now_ns();
        st = ratls_verify(vc, lc->ev, NULL, pol, lc->c->now, &res);
        int64_t t3 = now_ns();
        check_ok(lc->c, "warm cached", i, st, res);
        ratls_result_free(res);
        ud[i] = (double)(t1 - t0) / 1e3;
        uc[i] = (double)(t3 - t2) / 1e3;
        wd += t1 - t0;
        wc += t3 - t2;
    }
    ratls_collateral_stats cs;
    ratls_collateral_source_stats(src, &cs);
    if (cs.upstream_requests != 4)
        die("%s: the warm source made %llu upstream requests (expected the 4 of its first fetch)", lc->c->name,
            (unsigned long long)cs.upstream_requests);
    summarize(ud, n, wd, direct);
    summarize(uc, n, wc, cached);
    ratls_verifier_free(vd);
    ratls_verifier_free(vc);
    ratls_collateral_source_free(src);
    free(ud);
    free(uc);
}

/* Cold: a fresh source and verifier per iteration, fetching all four items
 * from the stand-in (no disk cache), or loading them from a disk cache. */
static void bench_cold_fetch(const loaded_case *lc, const ratls_policy *pol, const char *url, const char *disk, long n,
                             stats *s, double *requests_per_run)
{
    double *us = malloc((size_t)n * sizeof(double));
    if (!us)
        die("out of memory");
    uint64_t requests = 0;
    int64_t wall = 0;
    for (long i = 0; i < n; i++) {
        ratls_collateral_source *src = pccs_source(url, disk);
        ratls_verifier *v = ratls_verifier_new();
        if (!v)
            die("ratls_verifier_new failed");
        ratls_verifier_set_collateral_source(v, src);
        ratls_result *res = NULL;
        int64_t t0 = now_ns();
        ratls_status st = ratls_verify(v, lc->ev, NULL, pol, lc->c->now, &res);
        int64_t t1 = now_ns();
        check_ok(lc->c, disk ? "cold disk" : "cold fetch", i, st, res);
        ratls_collateral_stats cs;
        ratls_collateral_source_stats(src, &cs);
        requests += cs.upstream_requests;
        ratls_result_free(res);
        ratls_verifier_free(v);
        ratls_collateral_source_free(src);
        us[i] = (double)(t1 - t0) / 1e3;
        wall += t1 - t0;
    }
    *requests_per_run = (double)requests / (double)n;
    summarize(us, n, wall, s);
    free(us);
}

/* Pin to one CPU (the first one this process may run on). Returns it, or -1. */
static int pin_one_cpu(void)
{
#if defined(__linux__) && defined(CPU_SET)
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) != 0)
        return -1;
    int cpu = -1;
    for (int i = 0; i < CPU_SETSIZE; i++) {
        if (CPU_ISSET(i, &set)) {
            cpu = i;
            break;
        }
    }
    if (cpu < 0)
        return -1;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof(set), &set) != 0)
        return -1;
    return cpu;
#else
    return -1;
#endif
}

static long parse_count(const char *s, const char *opt)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != 0 || v < 1 || v > 100000000L)
        die("%s wants a positive count, not '%s'", opt, s);
    return v;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: ratls_bench [--vectors DIR] [--iterations N] [--cold-iterations N] [--json]\n"
            "                   [--no-fetch] [--fetch-iterations N]\n"
            "  --vectors DIR          shared vectors folder (default %s)\n"
            "  --iterations N         runs per figure: cold, cold+json and warm all use N\n"
            "                         (default: %ld cold, %ld warm)\n"
            "  --cold-iterations N    override the cold runs only\n"
            "  --json                 one JSON object per line instead of text\n"
            "  --no-fetch             skip the collateral-source figures (they need /usr/bin/python3)\n"
            "  --fetch-iterations N   cold fetches per case (default 50)\n",
            DEFAULT_VECTORS, DEFAULT_COLD_ITERATIONS, DEFAULT_WARM_ITERATIONS);
}

static void print_stats_text(const char *label, const stats *s, int show_rate)
{
    printf("  %-28s n=%-6ld median %9.1f us   p90 %9.1f us   min %9.1f us   mean %9.1f us", label, s->n, s->median_us,
           s->p90_us, s->min_us, s->mean_us);
    if (show_rate)
        printf("   %.0f verifications/s", s->per_sec);
    printf("\n");
}

static void print_stats_json(const loaded_case *lc, const char *mode, const stats *s, int cpu)
{
    printf("{\"impl\":\"ratls\",\"version\":\"%s\",\"case\":\"%s\",\"now\":%lld,\"mode\":\"%s\",\"cpu\":%d,"
           "\"iterations\":%ld,\"median_us\":%.1f,\"p90_us\":%.1f,\"min_us\":%.1f,\"mean_us\":%.1f,"
           "\"per_sec\":%.0f}\n",
           ratls_version(), lc->c->name, (long long)lc->c->now, mode, cpu, s->n, s->median_us, s->p90_us, s->min_us,
           s->mean_us, s->per_sec);
}

int main(int argc, char **argv)
{
    const char *dir = DEFAULT_VECTORS;
    long cold_n = DEFAULT_COLD_ITERATIONS, warm_n = DEFAULT_WARM_ITERATIONS, cold_override = 0;
    int json = 0, fetch = 1;
    long fetch_n = 50;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--no-fetch") == 0) {
            fetch = 0;
        } else if (strcmp(a, "--fetch-iterations") == 0 && i + 1 < argc) {
            fetch_n = parse_count(argv[++i], a);
        } else if (strcmp(a, "--vectors") == 0 && i + 1 < argc) {
            dir = argv[++i];
        } else if (strcmp(a, "--iterations") == 0 && i + 1 < argc) {
            cold_n = warm_n = parse_count(argv[++i], a);
        } else if (strcmp(a, "--cold-iterations") == 0 && i + 1 < argc) {
            cold_override = parse_count(argv[++i], a);
        } else if (strcmp(a, "--json") == 0) {
            json = 1;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (cold_override)
        cold_n = cold_override;

    /* Missing vectors are not an error: there is nothing to measure. */
    for (size_t k = 0; k < NCASES; k++) {
        char path[4096];
        const char *files[2] = {CASES[k].quote, CASES[k].collateral};
        for (int j = 0; j < 2; j++) {
            char rel[512];
            size_t rlen = strcspn(files[j], "#");
            if (rlen >= sizeof(rel))
                rlen = sizeof(rel) - 1;
            memcpy(rel, files[j], rlen);
            rel[rlen] = 0;
            join_path(path, sizeof(path), dir, rel);
            if (!file_exists(path)) {
                printf("ratls_bench: vector %s not found (looked under %s); nothing to measure\n", rel, dir);
                return 0;
            }
        }
    }

    int cpu = pin_one_cpu();
    ratls_policy *pol = ratls_policy_new();
    if (!pol)
        die("ratls_policy_new failed");

    if (!json) {
        printf("ratls %s TDX verification benchmark (default policy: UpToDate only)\n", ratls_version());
        if (cpu >= 0)
            printf("pinned to CPU %d; ", cpu);
        else
            printf("not pinned to a CPU; ");
        printf("cold runs %ld, warm runs %ld; times per verification, microseconds\n", cold_n, warm_n);
    }

    for (size_t k = 0; k < NCASES; k++) {
        loaded_case lc;
        load_case(dir, &CASES[k], &lc);

        /* Correctness first: one verification with its result shown. */
        {
            ratls_verifier *v = ratls_verifier_new();
            ratls_result *res = NULL;
            if (!v)
                die("ratls_verifier_new failed");
            ratls_status st = ratls_verify(v, lc.ev, lc.coll, pol, lc.c->now, &res);
            check_ok(lc.c, "check", 0, st, res);
            const char *tcb = ratls_result_tcb_status(res);
            if (!json)
                printf("%s: %zu-byte quote, now=%lld: verified, TCB status %s, %zu advisories\n", lc.c->name,
                       lc.quote_len, (long long)lc.c->now, tcb ? tcb : "(none)", ratls_result_advisory_count(res));
            ratls_result_free(res);
            ratls_verifier_free(v);
        }

        stats cold, cold_json, warm;
        bench_cold(&lc, pol, cold_n, &cold);
        bench_cold_json(&lc, pol, cold_n, &cold_json);
        bench_warm(&lc, pol, warm_n, &warm);

        if (json) {
            print_stats_json(&lc, "cold", &cold, cpu);
            print_stats_json(&lc, "cold_incl_json", &cold_json, cpu);
            print_stats_json(&lc, "warm", &warm, cpu);
        } else {
            print_stats_text("cold (new verifier)", &cold, 0);
            print_stats_text("cold incl. collateral JSON", &cold_json, 0);
            print_stats_text("warm (one verifier)", &warm, 1);
        }
        fflush(stdout);

        if (fetch) {
            char bundle[4096];
            join_path(bundle, sizeof(bundle), dir, lc.c->collateral);
            bench_child si;
            char *sargv[] = {(char *)"/usr/bin/python3", (char *)RATLS_SOURCE_DIR "/tests/collateral/pcs_standin.py",
                             (char *)"--bundle", bundle, NULL};
            if (bench_spawn(sargv, "PORT ", &si) != 0)
                die("cannot start the PCS stand-in (/usr/bin/python3 %s)", sargv[1]);
            char url[64];
            snprintf(url, sizeof(url), "http://127.0.0.1:%d", si.port);
            stats direct, cached, coldf, coldd;
            double req_fetch = 0, req_disk = 0;
            bench_warm_pair(&lc, pol, url, warm_n, &direct, &cached);
            bench_cold_fetch(&lc, pol, url, NULL, fetch_n, &coldf, &req_fetch);
            char disk[] = "/tmp/ratls-bench-cache-XXXXXX";
            if (!mkdtemp(disk))
                die("mkdtemp failed");
            { /* populate the disk cache once */
                stats tmp;
                double r;
                bench_cold_fetch(&lc, pol, url, disk, 1, &tmp, &r);
            }
            bench_cold_fetch(&lc, pol, url, disk, fetch_n, &coldd, &req_disk);
            bench_reap(&si);
            char cmd[4200];
            snprintf(cmd, sizeof(cmd), "rm -rf '%s'", disk);
            if (system(cmd) != 0)
                fprintf(stderr, "ratls_bench: could not remove %s\n", disk);
            double ratio = direct.median_us > 0 ? cached.median_us / direct.median_us : 0;
            if (json) {
                print_stats_json(&lc, "warm_direct", &direct, cpu);
                print_stats_json(&lc, "warm_memory_cache", &cached, cpu);
                print_stats_json(&lc, "cold_fetch_loopback", &coldf, cpu);
                print_stats_json(&lc, "cold_disk_cache", &coldd, cpu);
                printf("{\"impl\":\"ratls\",\"case\":\"%s\",\"mode\":\"fetch_summary\",\"memory_cache_vs_direct\":"
                       "%.3f,\"requests_per_cold_fetch\":%.1f,\"requests_per_disk_load\":%.1f}\n",
                       lc.c->name, ratio, req_fetch, req_disk);
            } else {
                print_stats_text("warm, collateral passed in", &direct, 1);
                print_stats_text("warm, from memory cache", &cached, 1);
                printf("  memory cache / direct (medians): %.3f (%+.1f %%)\n", ratio, (ratio - 1) * 100);
                print_stats_text("cold fetch, loopback PCCS", &coldf, 0);
                printf("  upstream requests per cold fetch: %.1f\n", req_fetch);
                print_stats_text("cold, from disk cache", &coldd, 0);
                printf("  upstream requests per disk load: %.1f\n", req_disk);
            }
            fflush(stdout);
        }
        free_case(&lc);
    }
    ratls_policy_free(pol);
    return 0;
}
