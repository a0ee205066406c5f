/*
 * The libcurl integration against the simulated dstack TEE server (`ratls
 * sim`), with real libcurl, real TLS and real sockets on loopback. Every
 * refused transfer must also have left the server's application-request
 * counter at zero: no request byte reached an unverified server.
 */
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>

#include "ratls/ratls.h"
#include "ratls/ratls_curl.h"
#include "spawn.h"

#ifndef RATLS_CLI
#define RATLS_CLI "ratls"
#endif
#ifndef RATLS_TRICKLE
#define RATLS_TRICKLE "trickle_server.py"
#endif
#ifndef RATLS_TLS_PROXY
#define RATLS_TLS_PROXY "tls_proxy.py"
#endif

/* ---- child processes (the simulator, the MITM proxy): bench/spawn.c ---- */

typedef struct sim {
    bench_child ch;
    char dir[64];
    char base[64]; /* https://127.0.0.1:PORT */
} sim;

static void sim_start(sim *s, const char *misbehave, const char *delay_ms)
{
    memset(s, 0, sizeof *s);
    snprintf(s->dir, sizeof s->dir, "/tmp/ratls-test-curl-XXXXXX");
    assert_non_null(mkdtemp(s->dir));
    char *argv[12];
    int a = 0;
    argv[a++] = (char *)RATLS_CLI;
    argv[a++] = (char *)"sim";
    argv[a++] = (char *)"--port";
    argv[a++] = (char *)"0";
    argv[a++] = (char *)"--state-dir";
    argv[a++] = s->dir;
    argv[a++] = (char *)"--exit-on-stdin-eof";
    if (misbehave) {
        argv[a++] = (char *)"--misbehave";
        argv[a++] = (char *)misbehave;
    }
    if (delay_ms) {
        argv[a++] = (char *)"--delay-ms";
        argv[a++] = (char *)delay_ms;
    }
    argv[a] = NULL;
    if (bench_spawn(argv, "listening on https://127.0.0.1:", &s->ch) != 0)
        fail_msg("cannot start %s sim", RATLS_CLI);
    snprintf(s->base, sizeof s->base, "https://127.0.0.1:%d", s->ch.port);
}

static void sim_stop(sim *s)
{
    bench_reap(&s->ch);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", s->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", s->dir);
}

/* ---- plain libcurl helpers (not attested: control routes) ---- */

typedef struct buf {
    char *p;
    size_t n;
} buf;

static size_t on_data(char *d, size_t sz, size_t nm, void *arg)
{
    buf *b = arg;
    size_t k = sz * nm;
    char *np = realloc(b->p, b->n + k + 1);
    if (!np)
        return 0;
    b->p = np;
    memcpy(b->p + b->n, d, k);
    b->n += k;
    b->p[b->n] = 0;
    return k;
}

static json_t *control(const sim *s, const char *path, int post)
{
    char url[128];
    snprintf(url, sizeof url, "%s%s", s->base, path);
    CURL *h = curl_easy_init();
    buf b = {NULL, 0};
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    if (post)
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
    CURLcode rc = curl_easy_perform(h);
    curl_easy_cleanup(h);
    if (rc != CURLE_OK)
        fail_msg("control %s: %s", path, curl_easy_strerror(rc));
    json_t *o = b.p ? json_loads(b.p, 0, NULL) : NULL;
    free(b.p);
    return o;
}

static long sim_stat(const sim *s, const char *key)
{
    json_t *o = control(s, "/__sim/stats", 0);
    assert_non_null(o);
    json_t *v = json_object_get(o, key);
    assert_true(json_is_integer(v));
    long n = (long)json_integer_value(v);
    json_decref(o);
    return n;
}

/* ---- the attested client ---- */

typedef struct client {
    ratls_verifier *v;
    ratls_collateral_source *src;
    ratls_policy *pol;
    ratls_hostmap *map;
    ratls_curl *rc;
} client;

static uint8_t *slurp(const char *dir, const char *name, size_t *len)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    uint8_t *b = malloc(1 << 20);
    assert_non_null(b);
    *len = fread(b, 1, 1 << 20, f);
    fclose(f);
    return b;
}

static void client_new(client *c, const sim *s, const char *host)
{
    memset(c, 0, sizeof *c);
    size_t n;
    char err[256] = "";
    c->v = ratls_verifier_new();
    uint8_t *root = slurp(s->dir, "root.pem", &n);
    assert_int_equal(ratls_verifier_set_tdx_root_insecure(c->v, root, n), RATLS_OK);
    free(root);
    uint8_t *pj = slurp(s->dir, "policy.json", &n);
    assert_int_equal(ratls_policy_from_json(pj, n, &c->pol, err, sizeof err), RATLS_OK);
    free(pj);
    c->src = ratls_collateral_source_new();
    assert_int_equal(ratls_collateral_source_set_pccs_url(c->src, s->base), RATLS_OK);
    ratls_collateral_source_set_tls_verify(c->src, 0);
    ratls_verifier_set_collateral_source(c->v, c->src);
    c->map = ratls_hostmap_new();
    assert_int_equal(ratls_hostmap_add(c->map, host, c->v, c->pol), RATLS_OK);
    c->rc = ratls_curl_new(c->map);
    assert_non_null(c->rc);
}

static void client_free(client *c)
{
    ratls_curl_free(c->rc);
    ratls_hostmap_free(c->map);
    ratls_policy_free(c->pol);
    ratls_collateral_source_free(c->src);
    ratls_verifier_free(c->v);
}

/* One GET through an attached handle (NULL: a new one, cleaned up after). */
static CURLcode get(client *c, CURL *h, const char *url, buf *out)
{
    int own = h == NULL;
    if (own)
        h = curl_easy_init();
    assert_int_equal(ratls_curl_attach(c->rc, h), RATLS_OK);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 60L);
    CURLcode rc = curl_easy_perform(h);
    if (own) {
        ratls_curl_detach(c->rc, h);
        curl_easy_cleanup(h);
    }
    return rc;
}

static ratls_curl_stats stats(client *c)
{
    ratls_curl_stats st;
    ratls_curl_stats_get(c->rc, &st);
    return st;
}

/* ---- tests ---- */

static void test_good_server(void **state)
{
    (void)state;
    sim s;
    client c;
    sim_start(&s, NULL, NULL);
    client_new(&c, &s, "127.0.0.1");
    char url[128];
    snprintf(url, sizeof url, "%s/v1/models", s.base);
    CURL *h = curl_easy_init();
    buf b = {NULL, 0};
    CURLcode rc = get(&c, h, url, &b);
    if (rc != CURLE_OK)
        fail_msg("transfer failed: %s: %s", curl_easy_strerror(rc), ratls_curl_last_error(c.rc, h));
    assert_non_null(strstr(b.p, "ratls-sim-echo"));
    int rem = -1;
    assert_int_equal(ratls_curl_last_status(c.rc, h, &rem), RATLS_OK);
    assert_int_equal(rem, 0);
    char *j = NULL;
    assert_int_equal(ratls_curl_last_result_json(c.rc, h, &j), RATLS_OK);
    json_t *o = json_loads(j, 0, NULL);
    assert_true(json_is_true(json_object_get(o, "verified")));
    json_decref(o);
    ratls_free_string(j);
    assert_int_equal(sim_stat(&s, "app_requests"), 1);

    /* the same handle again: the pooled connection is reused, nothing re-attested */
    free(b.p);
    b.p = NULL;
    b.n = 0;
    assert_int_equal(get(&c, h, url, &b), CURLE_OK);
    assert_int_equal(stats(&c).attestations, 1);
    assert_int_equal(stats(&c).remembered_hits, 0);
    assert_int_equal(sim_stat(&s, "app_requests"), 2);
    long conns = sim_stat(&s, "connections");

    /* a new handle, a new connection: the remembered certificate spares the exchange */
    free(b.p);
    b.p = NULL;
    b.n = 0;
    CURL *h2 = curl_easy_init();
    curl_easy_setopt(h2, CURLOPT_FRESH_CONNECT, 1L);
    assert_int_equal(get(&c, h2, url, &b), CURLE_OK);
    assert_int_equal(ratls_curl_last_status(c.rc, h2, &rem), RATLS_OK);
    assert_int_equal(rem, 1);
    assert_int_equal(stats(&c).attestations, 1);
    assert_int_equal(stats(&c).remembered_hits, 1);
    assert_true(sim_stat(&s, "connections") > conns);

    /* the server rotates its certificate: the next connection attests afresh */
    json_decref(control(&s, "/__sim/rotate", 1));
    free(b.p);
    b.p = NULL;
    b.n = 0;
    curl_easy_setopt(h2, CURLOPT_FRESH_CONNECT, 1L);
    assert_int_equal(get(&c, h2, url, &b), CURLE_OK);
    assert_int_equal(ratls_curl_last_status(c.rc, h2, &rem), RATLS_OK);
    assert_int_equal(rem, 0);
    assert_int_equal(stats(&c).attestations, 2);
    assert_int_equal(sim_stat(&s, "app_requests"), 4);
    free(b.p);
    ratls_curl_detach(c.rc, h);
    ratls_curl_detach(c.rc, h2);
    curl_easy_cleanup(h);
    curl_easy_cleanup(h2);
    client_free(&c);
    sim_stop(&s);
}

/* No TLS session resumption: with nothing remembered, every new connection
 * runs the callback (a resumed session would skip it and still succeed). */
static void test_no_resumption_bypass(void **state)
{
    (void)state;
    sim s;
    client c;
    sim_start(&s, NULL, NULL);
    client_new(&c, &s, "127.0.0.1");
    ratls_curl_set_ttl(c.rc, 0);
    char url[128];
    snprintf(url, sizeof url, "%s/v1/models", s.base);
    CURL *h = curl_easy_init();
    curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);
    for (int i = 0; i < 3; i++) {
        buf b = {NULL, 0};
        assert_int_equal(get(&c, h, url, &b), CURLE_OK);
        free(b.p);
    }
    assert_int_equal(stats(&c).attestations, 3);
    assert_int_equal(stats(&c).remembered_hits, 0);
    ratls_curl_detach(c.rc, h);
    curl_easy_cleanup(h);
    client_free(&c);
    sim_stop(&s);
}

typedef struct misbehaviour {
    const char *mode;
    const char *delay;
    long timeout_ms;
    ratls_status want;
} misbehaviour;

static void test_misbehaviours(void **state)
{
    (void)state;
    static const misbehaviour cases[] = {
        {"wrong-compose", NULL, 0, RATLS_ERR_COMPOSE_HASH},
        {"stale-quote", NULL, 0, RATLS_ERR_NONCE_MISMATCH},
        {"cert-not-in-log", NULL, 0, RATLS_ERR_CERT_BINDING},
        {"debug-td", NULL, 0, RATLS_ERR_TD_DEBUG},
        {"out-of-date", NULL, 0, RATLS_ERR_TCB_STATUS_REJECTED},
        {"slow", "5000", 1000, RATLS_ERR_TIMEOUT},
        {"oversized", NULL, 0, RATLS_ERR_TOO_LARGE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const misbehaviour *m = &cases[i];
        sim s;
        client c;
        sim_start(&s, m->mode, m->delay);
        client_new(&c, &s, "127.0.0.1");
        if (m->timeout_ms)
            ratls_curl_set_timeout(c.rc, m->timeout_ms);
        char url[128];
        snprintf(url, sizeof url, "%s/v1/chat/completions", s.base);
        CURL *h = curl_easy_init();
        curl_easy_setopt(h, CURLOPT_POSTFIELDS,
                         "{\"model\":\"ratls-sim-echo\",\"messages\":[{\"role\":\"user\","
                         "\"content\":\"my API key is sk-secret\"}]}");
        buf b = {NULL, 0};
        CURLcode rc = get(&c, h, url, &b);
        ratls_status st = ratls_curl_last_status(c.rc, h, NULL);
        const char *why = ratls_curl_last_error(c.rc, h);
        printf("  %-16s -> curl: %s; ratls: %s: %s\n", m->mode, curl_easy_strerror(rc), ratls_status_name(st),
               why ? why : "(none)");
        assert_int_not_equal(rc, CURLE_OK);
        assert_int_equal(st, m->want);
        assert_non_null(why);
        assert_int_equal(stats(&c).failures, 1);
        /* the server never saw the request */
        assert_int_equal(sim_stat(&s, "app_requests"), 0);
        free(b.p);
        ratls_curl_detach(c.rc, h);
        curl_easy_cleanup(h);
        client_free(&c);
        sim_stop(&s);
    }
}

/* A man in the middle: a TLS proxy with its own certificate in front of the
 * genuine simulator. The quote is genuine, but the TD never logged the
 * proxy's certificate. */
static void test_mitm_rejected(void **state)
{
    (void)state;
    sim s;
    sim_start(&s, NULL, NULL);
    char cert[128], key[128], cmd[512], up[64];
    snprintf(cert, sizeof cert, "%s/mitm.pem", s.dir);
    snprintf(key, sizeof key, "%s/mitm.key", s.dir);
    snprintf(cmd, sizeof cmd,
             "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout '%s' -out '%s' "
             "-subj /CN=127.0.0.1 -days 1 >/dev/null 2>&1",
             key, cert);
    assert_int_equal(system(cmd), 0);
    snprintf(up, sizeof up, "127.0.0.1:%d", s.ch.port);
    char *argv[] = {(char *)"/usr/bin/python3",
                    (char *)RATLS_TLS_PROXY,
                    (char *)"--cert",
                    cert,
                    (char *)"--key",
                    key,
                    (char *)"--upstream",
                    up,
                    NULL};
    bench_child proxy;
    assert_int_equal(bench_spawn(argv, "PORT ", &proxy), 0);
    client c;
    client_new(&c, &s, "127.0.0.1");
    char url[128];
    snprintf(url, sizeof url, "https://127.0.0.1:%d/v1/models", proxy.port);
    CURL *h = curl_easy_init();
    buf b = {NULL, 0};
    CURLcode rc = get(&c, h, url, &b);
    ratls_status st = ratls_curl_last_status(c.rc, h, NULL);
    printf("  through the proxy -> curl: %s; ratls: %s: %s\n", curl_easy_strerror(rc), ratls_status_name(st),
           ratls_curl_last_error(c.rc, h));
    assert_int_not_equal(rc, CURLE_OK);
    assert_int_equal(st, RATLS_ERR_CERT_BINDING);
    assert_int_equal(sim_stat(&s, "app_requests"), 0);
    free(b.p);
    ratls_curl_detach(c.rc, h);
    curl_easy_cleanup(h);
    client_free(&c);
    bench_reap(&proxy);
    sim_stop(&s);
}

/* A host outside the map: ordinary CA verification, whatever the handle says. */
static void test_host_outside_map(void **state)
{
    (void)state;
    sim s;
    client c;
    sim_start(&s, NULL, NULL);
    client_new(&c, &s, "127.0.0.1"); /* "localhost" is not in the map */
    char url[128], ca[128];
    snprintf(url, sizeof url, "https://localhost:%d/v1/models", s.ch.port);
    CURL *h = curl_easy_init();
    buf b = {NULL, 0};
    assert_int_equal(ratls_curl_attach(c.rc, h), RATLS_OK);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L); /* turned off after attach: the hook still verifies */
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    CURLcode rc = curl_easy_perform(h);
    assert_int_not_equal(rc, CURLE_OK);
    assert_int_equal(stats(&c).web_pki, 1);
    assert_int_equal(stats(&c).attestations, 0);
    assert_int_equal(sim_stat(&s, "app_requests"), 0);
    /* with the server's certificate as the CA, web PKI accepts it */
    snprintf(ca, sizeof ca, "%s/cert.pem", s.dir);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_CAINFO, ca);
    rc = get(&c, h, url, &b);
    if (rc != CURLE_OK)
        fail_msg("web PKI with the right CA failed: %s", curl_easy_strerror(rc));
    assert_int_equal(stats(&c).web_pki, 2);
    assert_int_equal(stats(&c).attestations, 0);
    assert_int_equal(sim_stat(&s, "app_requests"), 1);
    free(b.p);
    ratls_curl_detach(c.rc, h);
    curl_easy_cleanup(h);
    client_free(&c);
    sim_stop(&s);
}

typedef struct par_arg {
    client *c;
    const char *url;
    CURLcode rc;
    ratls_status st;
} par_arg;

static void *par_main(void *p)
{
    par_arg *a = p;
    CURL *h = curl_easy_init();
    buf b = {NULL, 0};
    a->rc = ratls_curl_attach(a->c->rc, h) == RATLS_OK ? CURLE_OK : CURLE_FAILED_INIT;
    if (a->rc == CURLE_OK) {
        curl_easy_setopt(h, CURLOPT_URL, a->url);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
        curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L);
        curl_easy_setopt(h, CURLOPT_TIMEOUT, 60L);
        a->rc = curl_easy_perform(h);
        a->st = ratls_curl_last_status(a->c->rc, h, NULL);
        if (a->rc == CURLE_OK && (!b.p || !strstr(b.p, "ratls-sim-echo")))
            a->rc = CURLE_WEIRD_SERVER_REPLY;
    }
    ratls_curl_detach(a->c->rc, h);
    curl_easy_cleanup(h);
    free(b.p);
    return NULL;
}

static void test_parallel_transfers(void **state)
{
    (void)state;
    enum { N = 8 };
    sim s;
    client c;
    sim_start(&s, NULL, NULL);
    client_new(&c, &s, "127.0.0.1");
    char url[128];
    snprintf(url, sizeof url, "%s/v1/models", s.base);
    pthread_t t[N];
    par_arg a[N];
    for (int i = 0; i < N; i++) {
        a[i] = (par_arg){&c, url, CURLE_OK, RATLS_ERR_INTERNAL};
        assert_int_equal(pthread_create(&t[i], NULL, par_main, &a[i]), 0);
    }
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(a[i].rc, CURLE_OK);
        assert_int_equal(a[i].st, RATLS_OK);
    }
    ratls_curl_stats st = stats(&c);
    printf("  %d parallel transfers: %llu attestations, %llu remembered\n", N, (unsigned long long)st.attestations,
           (unsigned long long)st.remembered_hits);
    assert_int_equal(st.attestations + st.remembered_hits, N);
    assert_int_equal(st.failures, 0);
    assert_int_equal(sim_stat(&s, "app_requests"), N);
    client_free(&c);
    sim_stop(&s);
}

/* Attached handles driven by a caller's multi handle: still attested, still
 * pooled only among themselves. */
static void test_multi_handle(void **state)
{
    (void)state;
    enum { N = 4 };
    sim s;
    client c;
    sim_start(&s, NULL, NULL);
    client_new(&c, &s, "127.0.0.1");
    char url[128];
    snprintf(url, sizeof url, "%s/v1/models", s.base);
    CURLM *m = curl_multi_init();
    CURL *h[N];
    buf b[N];
    for (int i = 0; i < N; i++) {
        b[i] = (buf){NULL, 0};
        h[i] = curl_easy_init();
        assert_int_equal(ratls_curl_attach(c.rc, h[i]), RATLS_OK);
        curl_easy_setopt(h[i], CURLOPT_URL, url);
        curl_easy_setopt(h[i], CURLOPT_WRITEFUNCTION, on_data);
        curl_easy_setopt(h[i], CURLOPT_WRITEDATA, &b[i]);
        curl_multi_add_handle(m, h[i]);
    }
    int running = 1;
    while (running) {
        assert_int_equal(curl_multi_perform(m, &running), CURLM_OK);
        if (running)
            curl_multi_poll(m, NULL, 0, 1000, NULL);
    }
    int done = 0, msgs;
    CURLMsg *msg;
    while ((msg = curl_multi_info_read(m, &msgs)) != NULL)
        if (msg->msg == CURLMSG_DONE) {
            assert_int_equal(msg->data.result, CURLE_OK);
            done++;
        }
    assert_int_equal(done, N);
    for (int i = 0; i < N; i++) {
        assert_non_null(b[i].p);
        assert_non_null(strstr(b[i].p, "ratls-sim-echo"));
        curl_multi_remove_handle(m, h[i]);
        ratls_curl_detach(c.rc, h[i]);
        curl_easy_cleanup(h[i]);
        free(b[i].p);
    }
    curl_multi_cleanup(m);
    assert_int_equal(stats(&c).failures, 0);
    assert_true(stats(&c).attestations >= 1);
    assert_int_equal(sim_stat(&s, "app_requests"), N);
    client_free(&c);
    sim_stop(&s);
}

/* The spellings of a mapped host are one host; other schemes are refused
 * before any connection. */
static void test_host_spellings_and_schemes(void **state)
{
    (void)state;
    sim s;
    client c;
    sim_start(&s, NULL, NULL);
    client_new(&c, &s, "LOCALHOST");
    char url[128];
    buf b = {NULL, 0};
    snprintf(url, sizeof url, "https://localhost.:%d/v1/models", s.ch.port);
    char resolve[64];
    snprintf(resolve, sizeof resolve, "localhost.:%d:127.0.0.1", s.ch.port);
    struct curl_slist *rl = curl_slist_append(NULL, resolve);
    CURL *h = curl_easy_init();
    curl_easy_setopt(h, CURLOPT_RESOLVE, rl);
    CURLcode rc = get(&c, h, url, &b);
    ratls_curl_detach(c.rc, h);
    curl_easy_cleanup(h);
    curl_slist_free_all(rl);
    if (rc != CURLE_OK)
        fail_msg("https://localhost.: %s", curl_easy_strerror(rc));
    assert_int_equal(stats(&c).attestations, 1);
    assert_int_equal(stats(&c).web_pki, 0);
    free(b.p);
    b = (buf){NULL, 0};
    snprintf(url, sizeof url, "http://localhost:%d/v1/models", s.ch.port);
    assert_int_equal(get(&c, NULL, url, &b), CURLE_UNSUPPORTED_PROTOCOL);
    assert_int_equal(sim_stat(&s, "app_requests"), 1);
    free(b.p);
    client_free(&c);
    sim_stop(&s);
}

/* A server trickling its answer a byte at a time is cut off at the
 * attestation's deadline, not after each byte's read timeout. */
static void test_trickle_deadline(void **state)
{
    (void)state;
    sim s;
    sim_start(&s, NULL, NULL); /* only for its state files (root, policy) and a certificate */
    char cert[128], key[128], cmd[512];
    snprintf(cert, sizeof cert, "%s/trickle.pem", s.dir);
    snprintf(key, sizeof key, "%s/trickle.key", s.dir);
    snprintf(cmd, sizeof cmd,
             "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout '%s' -out '%s' "
             "-subj /CN=127.0.0.1 -days 1 >/dev/null 2>&1",
             key, cert);
    assert_int_equal(system(cmd), 0);
    char *argv[] = {(char *)"/usr/bin/python3",
                    (char *)RATLS_TRICKLE,
                    (char *)"--cert",
                    cert,
                    (char *)"--key",
                    key,
                    (char *)"--interval",
                    (char *)"0.3",
                    NULL};
    bench_child tr;
    assert_int_equal(bench_spawn(argv, "PORT ", &tr), 0);
    client c;
    client_new(&c, &s, "127.0.0.1");
    ratls_curl_set_timeout(c.rc, 2000);
    char url[128];
    snprintf(url, sizeof url, "https://127.0.0.1:%d/v1/models", tr.port);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    buf b = {NULL, 0};
    CURL *h = curl_easy_init();
    CURLcode rc = get(&c, h, url, &b);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("  trickling server refused after %.1f s: %s\n", secs, ratls_curl_last_error(c.rc, h));
    assert_int_not_equal(rc, CURLE_OK);
    assert_int_equal(ratls_curl_last_status(c.rc, h, NULL), RATLS_ERR_TIMEOUT);
    assert_true(secs < 10); /* the deadline, not 100000 bytes x the read timeout */
    free(b.p);
    ratls_curl_detach(c.rc, h);
    curl_easy_cleanup(h);
    client_free(&c);
    bench_reap(&tr);
    sim_stop(&s);
}

/* A duplicated handle outlives its original: the hook keeps nothing of the
 * original's (ASan would catch a stale pointer), and the copy still attests. */
static void test_duphandle(void **state)
{
    (void)state;
    sim s;
    client c;
    sim_start(&s, NULL, NULL);
    client_new(&c, &s, "127.0.0.1");
    char url[128];
    snprintf(url, sizeof url, "%s/v1/models", s.base);
    CURL *h = curl_easy_init();
    assert_int_equal(ratls_curl_attach(c.rc, h), RATLS_OK);
    curl_easy_setopt(h, CURLOPT_URL, url);
    CURL *copy = curl_easy_duphandle(h);
    ratls_curl_detach(c.rc, h);
    curl_easy_cleanup(h);
    buf b = {NULL, 0};
    curl_easy_setopt(copy, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(copy, CURLOPT_WRITEDATA, &b);
    assert_int_equal(curl_easy_perform(copy), CURLE_OK);
    assert_int_equal(stats(&c).attestations, 1);
    assert_int_equal(sim_stat(&s, "app_requests"), 1);
    free(b.p);
    curl_easy_cleanup(copy);
    client_free(&c);
    sim_stop(&s);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_server),      cmocka_unit_test(test_no_resumption_bypass),
        cmocka_unit_test(test_misbehaviours),    cmocka_unit_test(test_mitm_rejected),
        cmocka_unit_test(test_host_outside_map), cmocka_unit_test(test_parallel_transfers),
        cmocka_unit_test(test_multi_handle),     cmocka_unit_test(test_host_spellings_and_schemes),
        cmocka_unit_test(test_trickle_deadline), cmocka_unit_test(test_duphandle),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
