/*
 * The libcurl hook (see include/ratls/ratls_curl.h and
 * ../shared/spec/integration.md). curl sets SSL_VERIFY_NONE and then calls
 * CURLOPT_SSL_CTX_FUNCTION; there we require peer verification and install
 * a certificate-verify callback, which runs once per full handshake, when
 * the server's certificate arrives and before any request byte is sent.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "base/util.h"
#include "crypto/crypto.h"
#include "net/conn.h"

#include <arpa/inet.h>
#include "ratls/ratls_curl.h"

#define MAX_REMEMBERED 256

typedef struct mem_entry {
    char host[256], port[8];
    uint8_t cert_sha256[32];
    int64_t until;
    char *json; /* the result that verified it */
    uint64_t tick;
} mem_entry;

/* An attached handle's last attestation result. */
typedef struct slot {
    CURL *easy;
    int has_last;
    ratls_status status;
    int was_remembered;
    char *json, *error;
} slot;

struct ratls_curl {
    const ratls_hostmap *map;
    pthread_mutex_t mu;
    int64_t ttl;
    long timeout_ms;
    slot **slots;
    size_t nslots;
    mem_entry mem[MAX_REMEMBERED];
    uint64_t tick;
    ratls_curl_stats stats;
    CURLSH *share;
    pthread_mutex_t share_mu[CURL_LOCK_DATA_LAST];
};

static void share_lock(CURL *h, curl_lock_data d, curl_lock_access a, void *arg)
{
    (void)h;
    (void)a;
    ratls_curl *rc = arg;
    pthread_mutex_lock(&rc->share_mu[(unsigned)d < CURL_LOCK_DATA_LAST ? d : 0]);
}

static void share_unlock(CURL *h, curl_lock_data d, void *arg)
{
    (void)h;
    ratls_curl *rc = arg;
    pthread_mutex_unlock(&rc->share_mu[(unsigned)d < CURL_LOCK_DATA_LAST ? d : 0]);
}

ratls_curl *ratls_curl_new(const ratls_hostmap *map)
{
    if (!map)
        return NULL;
    ratls_curl *rc = calloc(1, sizeof *rc);
    if (!rc)
        return NULL;
    rc->map = map;
    rc->ttl = 3600;
    rc->timeout_ms = 10000;
    pthread_mutex_init(&rc->mu, NULL);
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_init(&rc->share_mu[i], NULL);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    rc->share = curl_share_init();
    if (!rc->share || curl_share_setopt(rc->share, CURLSHOPT_LOCKFUNC, share_lock) != CURLSHE_OK ||
        curl_share_setopt(rc->share, CURLSHOPT_UNLOCKFUNC, share_unlock) != CURLSHE_OK ||
        curl_share_setopt(rc->share, CURLSHOPT_USERDATA, rc) != CURLSHE_OK ||
        curl_share_setopt(rc->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT) != CURLSHE_OK ||
        curl_share_setopt(rc->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) != CURLSHE_OK) {
        ratls_curl_free(rc);
        return NULL;
    }
    return rc;
}

static void slot_clear_last(slot *s)
{
    free(s->json);
    free(s->error);
    s->json = s->error = NULL;
    s->has_last = 0;
}

void ratls_curl_forget(ratls_curl *rc)
{
    if (!rc)
        return;
    pthread_mutex_lock(&rc->mu);
    for (size_t i = 0; i < MAX_REMEMBERED; i++) {
        free(rc->mem[i].json);
        memset(&rc->mem[i], 0, sizeof rc->mem[i]);
    }
    pthread_mutex_unlock(&rc->mu);
}

void ratls_curl_free(ratls_curl *rc)
{
    if (!rc)
        return;
    ratls_curl_forget(rc);
    for (size_t i = 0; i < rc->nslots; i++) {
        slot_clear_last(rc->slots[i]);
        free(rc->slots[i]);
    }
    free(rc->slots);
    if (rc->share)
        curl_share_cleanup(rc->share);
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_destroy(&rc->share_mu[i]);
    pthread_mutex_destroy(&rc->mu);
    free(rc);
}

void ratls_curl_set_ttl(ratls_curl *rc, int64_t seconds)
{
    if (rc && seconds >= 0)
        rc->ttl = seconds;
}

void ratls_curl_set_timeout(ratls_curl *rc, long ms)
{
    if (rc && ms > 0)
        rc->timeout_ms = ms;
}

void ratls_curl_stats_get(ratls_curl *rc, ratls_curl_stats *out)
{
    if (!rc || !out)
        return;
    pthread_mutex_lock(&rc->mu);
    *out = rc->stats;
    pthread_mutex_unlock(&rc->mu);
}

static slot *find_slot_locked(ratls_curl *rc, CURL *easy)
{
    for (size_t i = 0; i < rc->nslots; i++)
        if (rc->slots[i]->easy == easy)
            return rc->slots[i];
    return NULL;
}

/* ---- the hooks ---- */

/* One TLS connection being set up: which handle, which host and port (the
 * URL's, canonical). curl 7.88 makes an SSL_CTX per connection; this rides
 * on it as ex_data and is freed with it, so nothing outlives the connection
 * and a duplicated handle (curl_easy_duphandle) shares nothing stale. */
typedef struct conn_state {
    ratls_curl *rc;
    CURL *easy;
    char host[256], port[8];
} conn_state;

static int g_ex_idx = -1;
static pthread_once_t g_ex_once = PTHREAD_ONCE_INIT;

static void conn_state_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
    (void)parent;
    (void)ad;
    (void)idx;
    (void)argl;
    (void)argp;
    free(ptr);
}

static void ex_index_once(void)
{
    g_ex_idx = CRYPTO_get_ex_new_index(CRYPTO_EX_INDEX_SSL_CTX, 0, NULL, NULL, NULL, conn_state_free);
}

/* host and port of the transfer's URL: the host canonical (punycode, lower
 * case, no trailing dot, IP literals normalised), the port explicit */
static int url_host_port(CURL *easy, char *host, size_t hn, char *port, size_t pn)
{
    char *u = NULL;
    if (curl_easy_getinfo(easy, CURLINFO_EFFECTIVE_URL, &u) != CURLE_OK || !u)
        return -1;
    CURLU *h = curl_url();
    char *hs = NULL, *ps = NULL;
    int ok = h && curl_url_set(h, CURLUPART_URL, u, 0) == CURLUE_OK &&
             curl_url_get(h, CURLUPART_HOST, &hs, CURLU_PUNYCODE) == CURLUE_OK &&
             curl_url_get(h, CURLUPART_PORT, &ps, CURLU_DEFAULT_PORT) == CURLUE_OK && strlen(ps) < pn &&
             host_canon(hs, host, hn) == 0;
    if (ok)
        memcpy(port, ps, strlen(ps) + 1);
    curl_free(hs);
    curl_free(ps);
    curl_url_cleanup(h);
    return ok ? 0 : -1;
}

/* 0 when unreadable, as attest_now expects for "no notAfter". */
static int64_t asn1_to_unix(const ASN1_TIME *t)
{
    int64_t v = 0;
    return asn1_time_unix(t, &v) == 0 ? v : 0;
}

static void set_last(slot *s, ratls_status st, int from_memory, const char *json, const char *error)
{
    slot_clear_last(s);
    s->has_last = 1;
    s->status = st;
    s->was_remembered = from_memory;
    s->json = json ? strdup(json) : NULL;
    s->error = error ? strdup(error) : NULL;
}

static int lookup_remembered_locked(ratls_curl *rc, const char *host, const char *port, const uint8_t h[32],
                                    int64_t now, char **json)
{
    for (size_t i = 0; i < MAX_REMEMBERED; i++) {
        mem_entry *m = &rc->mem[i];
        if (m->until > now && memcmp(m->cert_sha256, h, 32) == 0 && strcmp(m->port, port) == 0 &&
            strcasecmp(m->host, host) == 0) {
            m->tick = ++rc->tick;
            *json = m->json;
            return 1;
        }
    }
    return 0;
}

static void remember_locked(ratls_curl *rc, const char *host, const char *port, const uint8_t h[32], int64_t until,
                            const char *json)
{
    mem_entry *e0 = &rc->mem[0];
    for (size_t i = 0; i < MAX_REMEMBERED; i++) {
        mem_entry *m = &rc->mem[i];
        if (memcmp(m->cert_sha256, h, 32) == 0 && strcmp(m->port, port) == 0 && strcasecmp(m->host, host) == 0) {
            e0 = m;
            break;
        }
        if (m->tick < e0->tick)
            e0 = m;
    }
    free(e0->json);
    snprintf(e0->host, sizeof e0->host, "%s", host);
    snprintf(e0->port, sizeof e0->port, "%s", port);
    memcpy(e0->cert_sha256, h, 32);
    e0->until = until;
    e0->json = json ? strdup(json) : NULL;
    e0->tick = ++rc->tick;
}

/* Attest host:port over a connection of its own and check that the TD
 * logged the very certificate this handshake presents. Behind a gateway
 * spreading connections over replicas the attestation may reach another
 * replica: what it verified is remembered (it is that host's), and the
 * exchange is tried again, a few times, until it reaches this certificate. */
static ratls_status attest_now(ratls_curl *rc, const conn_state *s, const uint8_t leaf_sha[32], int64_t now,
                               int64_t not_after, char **json, char *err, size_t errlen)
{
    ratls_status st = RATLS_ERR_CERT_BINDING;
    for (int attempt = 0; attempt < 3; attempt++) {
        ratls_conn *conn = NULL;
        ratls_result *res = NULL;
        free(*json);
        *json = NULL;
        st = ratls_connect(rc->map, s->host, s->port, now, rc->timeout_ms, &conn, &res);
        if (res && ratls_result_to_json(res, json) != RATLS_OK)
            *json = NULL;
        if (st) {
            const char *e = res ? ratls_result_error(res) : NULL;
            set_err(err, errlen, st, "%s", e ? e : ratls_status_str(st));
            ratls_result_free(res);
            ratls_conn_free(conn);
            return st; /* a server that does not verify is not retried */
        }
        size_t cl = 0;
        const uint8_t *cd = conn_cert_der(conn, &cl);
        uint8_t h[32];
        int same = cd && SHA256(cd, cl, h) && memcmp(h, leaf_sha, 32) == 0;
        int64_t until = rc->ttl ? now + rc->ttl : now;
        const ratls_policy *pol = NULL;
        if (ratls_hostmap_lookup(rc->map, s->host, NULL, &pol) && ratls_policy_attestation_ttl(pol) > 0 &&
            now + ratls_policy_attestation_ttl(pol) < until)
            until = now + ratls_policy_attestation_ttl(pol);
        int64_t ce = ratls_result_collateral_expiry(res);
        if (ce > 0 && ce < until)
            until = ce;
        if (same && not_after > 0 && not_after < until)
            until = not_after;
        pthread_mutex_lock(&rc->mu);
        if (cd && until > now)
            remember_locked(rc, s->host, s->port, h, until, *json);
        pthread_mutex_unlock(&rc->mu);
        ratls_result_free(res);
        ratls_conn_free(conn);
        if (same)
            return RATLS_OK;
        st = set_err(err, errlen, RATLS_ERR_CERT_BINDING,
                     "cert.binding: the handshake's certificate is not the one the attested server presented "
                     "(rotated, another replica, or intercepted)");
    }
    return st;
}

/* Ordinary web PKI for a host outside the map, its name checked even if the
 * handle turned host verification off. */
static int web_pki(X509_STORE_CTX *xs, const char *host)
{
    X509_VERIFY_PARAM *vp = X509_STORE_CTX_get0_param(xs);
    unsigned char ip[16];
    if (inet_pton(AF_INET, host, ip) == 1 || inet_pton(AF_INET6, host, ip) == 1)
        X509_VERIFY_PARAM_set1_ip_asc(vp, host);
    else
        X509_VERIFY_PARAM_set1_host(vp, host, 0);
    return X509_verify_cert(xs);
}

static void record(ratls_curl *rc, CURL *easy, ratls_status st, int from_memory, const char *json, const char *error)
{
    pthread_mutex_lock(&rc->mu);
    if (st)
        rc->stats.failures++;
    slot *s = find_slot_locked(rc, easy);
    if (s) /* a duplicated handle that was never attached keeps no result */
        set_last(s, st, from_memory, json, error);
    pthread_mutex_unlock(&rc->mu);
}

static int verify_cb(X509_STORE_CTX *xs, void *arg)
{
    (void)arg;
    SSL *ssl = X509_STORE_CTX_get_ex_data(xs, SSL_get_ex_data_X509_STORE_CTX_idx());
    SSL_CTX *ctx = ssl ? SSL_get_SSL_CTX(ssl) : NULL;
    conn_state *s = ctx && g_ex_idx >= 0 ? SSL_CTX_get_ex_data(ctx, g_ex_idx) : NULL;
    if (!s) { /* fail closed: no state, no verdict */
        X509_STORE_CTX_set_error(xs, X509_V_ERR_APPLICATION_VERIFICATION);
        return 0;
    }
    ratls_curl *rc = s->rc;
    /* a handshake whose SNI is not the URL's host is a proxy's: web PKI for it */
    const char *sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    char sni_c[256];
    if (sni && (host_canon(sni, sni_c, sizeof sni_c) != 0 || strcmp(sni_c, s->host) != 0)) {
        pthread_mutex_lock(&rc->mu);
        rc->stats.web_pki++;
        pthread_mutex_unlock(&rc->mu);
        return web_pki(xs, sni);
    }
    if (!ratls_hostmap_lookup(rc->map, s->host, NULL, NULL)) {
        pthread_mutex_lock(&rc->mu);
        rc->stats.web_pki++;
        pthread_mutex_unlock(&rc->mu);
        return web_pki(xs, s->host);
    }
    X509 *leaf = X509_STORE_CTX_get0_cert(xs);
    uint8_t h[32];
    unsigned char *der = NULL;
    int n = leaf ? i2d_X509(leaf, &der) : -1;
    int ok = n > 0 && SHA256(der, (size_t)n, h) != NULL;
    OPENSSL_free(der);
    int64_t now = (int64_t)time(NULL);
    char *json = NULL, err[768] = "";
    ratls_status st = RATLS_ERR_TLS;
    int was_remembered = 0;
    if (ok) {
        pthread_mutex_lock(&rc->mu);
        char *mj = NULL;
        if (lookup_remembered_locked(rc, s->host, s->port, h, now, &mj)) {
            was_remembered = 1;
            rc->stats.remembered_hits++;
            json = mj ? strdup(mj) : NULL;
            st = RATLS_OK;
        } else {
            rc->stats.attestations++;
        }
        pthread_mutex_unlock(&rc->mu);
        if (!was_remembered)
            st = attest_now(rc, s, h, now, asn1_to_unix(X509_get0_notAfter(leaf)), &json, err, sizeof err);
    } else {
        set_err(err, sizeof err, RATLS_ERR_TLS, "the server sent no usable certificate");
    }
    record(rc, s->easy, st, was_remembered, json, st ? err : NULL);
    free(json);
    X509_STORE_CTX_set_error(xs, st == RATLS_OK ? X509_V_OK : X509_V_ERR_APPLICATION_VERIFICATION);
    return st == RATLS_OK;
}

static CURLcode sslctx_cb(CURL *easy, void *sslctx, void *arg)
{
    ratls_curl *rc = arg;
    SSL_CTX *ctx = sslctx;
    pthread_once(&g_ex_once, ex_index_once);
    conn_state *s = g_ex_idx >= 0 ? calloc(1, sizeof *s) : NULL;
    if (!s)
        return CURLE_OUT_OF_MEMORY;
    s->rc = rc;
    s->easy = easy;
    if (url_host_port(easy, s->host, sizeof s->host, s->port, sizeof s->port) != 0 ||
        SSL_CTX_set_ex_data(ctx, g_ex_idx, s) != 1) {
        free(s);
        return CURLE_SSL_CONNECT_ERROR; /* fail closed: no host, no verdict */
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    SSL_CTX_set_cert_verify_callback(ctx, verify_cb, NULL);
    /* a resumed session skips the certificate, and with it the callback */
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
    return CURLE_OK;
}

ratls_status ratls_curl_attach(ratls_curl *rc, CURL *easy)
{
    if (!rc || !easy)
        return RATLS_ERR_INVALID_ARGUMENT;
    pthread_mutex_lock(&rc->mu);
    slot *s = find_slot_locked(rc, easy);
    if (!s) {
        slot **ns = realloc(rc->slots, (rc->nslots + 1) * sizeof(slot *));
        if (ns)
            rc->slots = ns;
        s = ns ? calloc(1, sizeof *s) : NULL;
        if (s) {
            s->easy = easy;
            rc->slots[rc->nslots++] = s;
        }
    }
    pthread_mutex_unlock(&rc->mu);
    if (!s)
        return RATLS_ERR_NO_MEMORY;
    /* https only, redirects included: a plain-text scheme would carry the
     * request to a mapped host without any handshake to hook */
    if (curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "https") != CURLE_OK ||
        curl_easy_setopt(easy, CURLOPT_REDIR_PROTOCOLS_STR, "https") != CURLE_OK ||
        curl_easy_setopt(easy, CURLOPT_SSL_CTX_FUNCTION, sslctx_cb) != CURLE_OK ||
        curl_easy_setopt(easy, CURLOPT_SSL_CTX_DATA, rc) != CURLE_OK ||
        curl_easy_setopt(easy, CURLOPT_SSL_SESSIONID_CACHE, 0L) != CURLE_OK ||
        curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK ||
        curl_easy_setopt(easy, CURLOPT_SHARE, rc->share) != CURLE_OK)
        return RATLS_ERR_INTERNAL;
    /* curl caches the CA store between connections only without a CA
     * directory: a reconnect then costs a plain handshake, not ~20 ms of
     * re-reading the system bundle (which still applies, via CURLOPT_CAINFO,
     * to hosts outside the map) */
    curl_easy_setopt(easy, CURLOPT_CAPATH, NULL); /* a curl without the OpenSSL backend's SSL_CTX hook */
    return RATLS_OK;
}

void ratls_curl_detach(ratls_curl *rc, CURL *easy)
{
    if (!rc || !easy)
        return;
    curl_easy_setopt(easy, CURLOPT_SSL_CTX_FUNCTION, NULL);
    curl_easy_setopt(easy, CURLOPT_SSL_CTX_DATA, NULL);
    curl_easy_setopt(easy, CURLOPT_SHARE, NULL);
    pthread_mutex_lock(&rc->mu);
    for (size_t i = 0; i < rc->nslots; i++)
        if (rc->slots[i]->easy == easy) {
            slot_clear_last(rc->slots[i]);
            free(rc->slots[i]);
            rc->slots[i] = rc->slots[--rc->nslots];
            break;
        }
    pthread_mutex_unlock(&rc->mu);
}

ratls_status ratls_curl_last_status(ratls_curl *rc, CURL *easy, int *remembered)
{
    if (!rc || !easy)
        return RATLS_ERR_INVALID_ARGUMENT;
    pthread_mutex_lock(&rc->mu);
    slot *s = find_slot_locked(rc, easy);
    ratls_status st = s && s->has_last ? s->status : RATLS_ERR_INVALID_ARGUMENT;
    if (remembered)
        *remembered = s && s->has_last ? s->was_remembered : 0;
    pthread_mutex_unlock(&rc->mu);
    return st;
}

ratls_status ratls_curl_last_result_json(ratls_curl *rc, CURL *easy, char **json_out)
{
    if (!rc || !easy || !json_out)
        return RATLS_ERR_INVALID_ARGUMENT;
    *json_out = NULL;
    pthread_mutex_lock(&rc->mu);
    slot *s = find_slot_locked(rc, easy);
    ratls_status st = RATLS_ERR_INVALID_ARGUMENT;
    if (s && s->has_last && s->json) {
        *json_out = strdup(s->json);
        st = *json_out ? RATLS_OK : RATLS_ERR_NO_MEMORY;
    }
    pthread_mutex_unlock(&rc->mu);
    return st;
}

const char *ratls_curl_last_error(ratls_curl *rc, CURL *easy)
{
    if (!rc || !easy)
        return NULL;
    pthread_mutex_lock(&rc->mu);
    slot *s = find_slot_locked(rc, easy);
    const char *e = s && s->has_last ? s->error : NULL;
    pthread_mutex_unlock(&rc->mu);
    return e;
}
