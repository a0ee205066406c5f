/*
 * Attested connections: TCP + TLS (OpenSSL), then for attested hosts the
 * dstack exchange on the same connection (POST /tdx_quote with a fresh
 * nonce), verified before the connection is handed back. No byte of the
 * caller's reaches a server that has not proven itself.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "base/result_int.h"
#include "base/util.h"
#include "core/core.h"
#include "net/conn.h"

#define HOST_MAX 255
#define HEADER_MAX (16u * 1024u)
#define RESPONSE_MAX (16u * 1024u * 1024u)
#define DEFAULT_TIMEOUT_MS 10000

/* ------------------------------------------------------------------ */
/* host names                                                           */
/* ------------------------------------------------------------------ */

int host_canon(const char *in, char *out, size_t n)
{
    size_t l = in ? strlen(in) : 0;
    if (l >= 2 && in[0] == '[' && in[l - 1] == ']') {
        in++;
        l -= 2;
    }
    char t[HOST_MAX + 1];
    if (l == 0 || l > HOST_MAX || n < 2)
        return -1;
    memcpy(t, in, l);
    t[l] = 0;
    unsigned char ip[16];
    if (inet_pton(AF_INET6, t, ip) == 1)
        return inet_ntop(AF_INET6, ip, out, (socklen_t)n) ? 0 : -1;
    if (inet_pton(AF_INET, t, ip) == 1)
        return inet_ntop(AF_INET, ip, out, (socklen_t)n) ? 0 : -1;
    if (t[l - 1] == '.') /* "example.com." is "example.com" */
        t[--l] = 0;
    if (l == 0 || l >= n)
        return -1;
    for (size_t i = 0; i < l; i++) {
        char c = t[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        /* DNS names only (internationalised names in their xn-- form) */
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_'))
            return -1;
        out[i] = c;
    }
    out[l] = 0;
    return 0;
}

/* ------------------------------------------------------------------ */
/* host map                                                             */
/* ------------------------------------------------------------------ */

typedef struct host_entry {
    char host[HOST_MAX + 1];
    ratls_verifier *v;
    const ratls_policy *p;
} host_entry;

struct ratls_hostmap {
    host_entry *e;
    size_t n;
};

ratls_hostmap *ratls_hostmap_new(void) { return calloc(1, sizeof(ratls_hostmap)); }

void ratls_hostmap_free(ratls_hostmap *m)
{
    if (!m)
        return;
    free(m->e);
    free(m);
}

ratls_status ratls_hostmap_add(ratls_hostmap *m, const char *host_in, ratls_verifier *v, const ratls_policy *p)
{
    char host[HOST_MAX + 1];
    if (!m || !v || !p || host_canon(host_in, host, sizeof host) != 0)
        return RATLS_ERR_INVALID_ARGUMENT;
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->e[i].host, host) == 0) {
            m->e[i].v = v;
            m->e[i].p = p;
            return RATLS_OK;
        }
    host_entry *ne = realloc(m->e, (m->n + 1) * sizeof *ne);
    if (!ne)
        return RATLS_ERR_NO_MEMORY;
    m->e = ne;
    snprintf(m->e[m->n].host, sizeof m->e[m->n].host, "%s", host);
    m->e[m->n].v = v;
    m->e[m->n].p = p;
    m->n++;
    return RATLS_OK;
}

int ratls_hostmap_lookup(const ratls_hostmap *m, const char *host_in, ratls_verifier **v, const ratls_policy **p)
{
    char host[HOST_MAX + 1];
    if (!m || host_canon(host_in, host, sizeof host) != 0)
        return 0;
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->e[i].host, host) == 0) {
            if (v)
                *v = m->e[i].v;
            if (p)
                *p = m->e[i].p;
            return 1;
        }
    return 0;
}

/* ------------------------------------------------------------------ */
/* transport                                                            */
/* ------------------------------------------------------------------ */

struct ratls_conn {
    int fd;
    int64_t deadline_ms; /* monotonic: the whole connect + attestation */
    SSL_CTX *ctx;
    SSL *ssl;
    int attested;
    char host[HOST_MAX + 1], port[16];
    /* the evidence, for ratls_conn_evidence_json */
    char *response;
    uint8_t *cert;
    size_t cert_len;
    uint8_t nonce[64];
    int64_t verified_at;
    char *collateral_json;
    /* a test seam: the bytes "received", in steps of mem_step (fuzzing) */
    const uint8_t *mem;
    size_t mem_len, mem_off, mem_step;
};

/* Bound the next socket read or write by what is left of the deadline, so a
 * server trickling a byte at a time cannot hold us past it. 0 when expired. */
static int arm_deadline(ratls_conn *c)
{
    int64_t left = c->deadline_ms - mono_ms();
    if (left <= 0)
        return 0;
    struct timeval tv = {(time_t)(left / 1000), (suseconds_t)((left % 1000) * 1000)};
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    return 1;
}

static ratls_status tcp_connect(const char *host, const char *port, long timeout_ms, int *fd_out, char *err,
                                size_t errlen)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int gai = getaddrinfo(host, port, &hints, &res);
    if (gai != 0)
        return set_err(err, errlen, RATLS_ERR_NETWORK, "cannot resolve %s: %s", host, gai_strerror(gai));
    ratls_status s = RATLS_ERR_NETWORK;
    int fd = -1, why = 0;
    for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0)
            continue;
        int fl = fcntl(fd, F_GETFL, 0);
        fcntl(fd, F_SETFL, fl | O_NONBLOCK);
        int rc = connect(fd, a->ai_addr, a->ai_addrlen);
        if (rc != 0 && errno == EINPROGRESS) {
            struct pollfd pfd = {.fd = fd, .events = POLLOUT};
            do
                rc = poll(&pfd, 1, timeout_ms > INT32_MAX ? INT32_MAX : (int)timeout_ms);
            while (rc < 0 && errno == EINTR);
            if (rc == 0) {
                why = ETIMEDOUT;
                rc = -1;
            } else if (rc > 0) {
                int soerr = 0;
                socklen_t sl = sizeof soerr;
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
                why = soerr;
                rc = soerr ? -1 : 0;
            } else {
                why = errno;
            }
        } else if (rc != 0) {
            why = errno;
        }
        if (rc != 0) {
            close(fd);
            fd = -1;
            continue;
        }
        fcntl(fd, F_SETFL, fl);
        struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    }
    freeaddrinfo(res);
    if (fd < 0) {
        s = why == ETIMEDOUT ? RATLS_ERR_TIMEOUT : RATLS_ERR_NETWORK;
        return set_err(err, errlen, s, "cannot connect to %s port %s: %s", host, port,
                       why ? strerror(why) : "no address");
    }
    *fd_out = fd;
    return RATLS_OK;
}

static void ssl_err_text(char *buf, size_t n)
{
    unsigned long e = ERR_get_error();
    if (e)
        ERR_error_string_n(e, buf, n);
    else
        snprintf(buf, n, "%s", errno ? strerror(errno) : "connection closed");
    ERR_clear_error();
}

static int is_ip_literal(const char *host)
{
    unsigned char buf[16];
    return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

/* TLS handshake. Attested hosts: the certificate is authenticated by the
 * attestation that follows, so web PKI is not asked. Others: system CAs and
 * the host name, as any HTTPS client. */
static ratls_status tls_handshake(ratls_conn *c, int attested, char *err, size_t errlen)
{
    char e[256];
    c->ctx = SSL_CTX_new(TLS_client_method());
    if (!c->ctx)
        return RATLS_ERR_NO_MEMORY;
    SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION);
    if (!attested) {
        SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
        if (SSL_CTX_set_default_verify_paths(c->ctx) != 1)
            return set_err(err, errlen, RATLS_ERR_TLS, "cannot load the system CA certificates");
    } else {
        SSL_CTX_set_verify(c->ctx, SSL_VERIFY_NONE, NULL);
    }
    /* a resumed session skips the certificate: every connection is a full handshake */
    SSL_CTX_set_session_cache_mode(c->ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(c->ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION);
    c->ssl = SSL_new(c->ctx);
    if (!c->ssl || SSL_set_fd(c->ssl, c->fd) != 1)
        return RATLS_ERR_NO_MEMORY;
    if (!is_ip_literal(c->host))
        SSL_set_tlsext_host_name(c->ssl, c->host);
    if (!attested) {
        X509_VERIFY_PARAM *vp = SSL_get0_param(c->ssl);
        if (is_ip_literal(c->host))
            X509_VERIFY_PARAM_set1_ip_asc(vp, c->host);
        else
            X509_VERIFY_PARAM_set1_host(vp, c->host, 0);
    }
    ERR_clear_error();
    errno = 0;
    if (!arm_deadline(c))
        return set_err(err, errlen, RATLS_ERR_TIMEOUT, "TLS to %s:%s: out of time", c->host, c->port);
    if (SSL_connect(c->ssl) != 1) {
        long vr = SSL_get_verify_result(c->ssl);
        if (!attested && vr != X509_V_OK)
            return set_err(err, errlen, RATLS_ERR_TLS, "TLS to %s:%s: the certificate is not trusted (%s)", c->host,
                           c->port, X509_verify_cert_error_string(vr));
        ssl_err_text(e, sizeof e);
        return set_err(err, errlen, errno == EAGAIN || errno == EWOULDBLOCK ? RATLS_ERR_TIMEOUT : RATLS_ERR_TLS,
                       "TLS handshake with %s:%s failed: %s", c->host, c->port, e);
    }
    return RATLS_OK;
}

static ratls_status write_all(ratls_conn *c, const void *buf, size_t len, char *err, size_t errlen)
{
    const uint8_t *p = buf;
    while (len > 0) {
        int n = arm_deadline(c) ? SSL_write(c->ssl, p, len > INT32_MAX ? INT32_MAX : (int)len) : -1;
        if (n <= 0) {
            char e[256];
            int timeout = errno == EAGAIN || errno == EWOULDBLOCK || mono_ms() >= c->deadline_ms;
            ssl_err_text(e, sizeof e);
            return set_err(err, errlen, timeout ? RATLS_ERR_TIMEOUT : RATLS_ERR_NETWORK, "writing to %s:%s: %s",
                           c->host, c->port, timeout ? "timed out" : e);
        }
        p += n;
        len -= (size_t)n;
    }
    return RATLS_OK;
}

/* A growable receive buffer for one HTTP response. */
typedef struct rbuf {
    uint8_t *b;
    size_t len, cap, max;
} rbuf;

static ratls_status fill(ratls_conn *c, rbuf *r, char *err, size_t errlen)
{
    if (r->len == r->max)
        return set_err(err, errlen, RATLS_ERR_TOO_LARGE, "the attestation response from %s:%s exceeds %zu bytes",
                       c->host, c->port, r->max);
    if (r->len + 16384 > r->cap) {
        size_t nc = r->cap ? r->cap * 2 : 65536;
        if (nc > r->max + 1)
            nc = r->max + 1;
        uint8_t *nb = realloc(r->b, nc);
        if (!nb)
            return RATLS_ERR_NO_MEMORY;
        r->b = nb;
        r->cap = nc;
    }
    size_t room = r->cap - 1 - r->len;
    if (room > r->max - r->len)
        room = r->max - r->len;
    errno = 0;
    int n;
    if (c->mem) { /* the test seam: no socket, no deadline */
        size_t k = c->mem_len - c->mem_off;
        k = k < room ? k : room;
        k = k < c->mem_step ? k : c->mem_step;
        memcpy(r->b + r->len, c->mem + c->mem_off, k);
        c->mem_off += k;
        n = (int)k;
    } else {
        n = arm_deadline(c) ? SSL_read(c->ssl, r->b + r->len, room > INT32_MAX ? INT32_MAX : (int)room) : -1;
    }
    if (n <= 0) {
        int timeout = !c->mem && (errno == EAGAIN || errno == EWOULDBLOCK || mono_ms() >= c->deadline_ms);
        char e[256];
        ssl_err_text(e, sizeof e);
        return set_err(err, errlen, timeout ? RATLS_ERR_TIMEOUT : RATLS_ERR_NETWORK,
                       "reading the attestation response from %s:%s: %s", c->host, c->port, timeout ? "timed out" : e);
    }
    r->len += (size_t)n;
    r->b[r->len] = 0;
    return RATLS_OK;
}

static const char *find_header(const char *head, const char *name)
{
    size_t nl = strlen(name);
    for (const char *p = strstr(head, "\r\n"); p && p[2]; p = strstr(p + 2, "\r\n")) {
        const char *line = p + 2;
        if (strncasecmp(line, name, nl) == 0 && line[nl] == ':') {
            line += nl + 1;
            while (*line == ' ' || *line == '\t')
                line++;
            return line;
        }
    }
    return NULL;
}

/* The value up to the end of its line (optional trailing blanks) equals `v`. */
static int header_is(const char *val, const char *v)
{
    size_t n = strlen(v);
    if (!val || strncasecmp(val, v, n) != 0)
        return 0;
    val += n;
    while (*val == ' ' || *val == '\t')
        val++;
    return *val == '\r';
}

/* Decimal digits only, then optional blanks and the line's end. */
static int header_size(const char *val, size_t *out)
{
    size_t v = 0, k = 0;
    for (; val[k] >= '0' && val[k] <= '9'; k++) {
        if (v > (SIZE_MAX - 9) / 10)
            return -1;
        v = v * 10 + (size_t)(val[k] - '0');
    }
    while (val[k] == ' ' || val[k] == '\t')
        k++;
    if (k == 0 || val[k] != '\r')
        return -1;
    *out = v;
    return 0;
}

static ratls_status bad_response(ratls_conn *c, char *err, size_t errlen, const char *what)
{
    return set_err(err, errlen, RATLS_ERR_ATTESTATION_RESPONSE, "the attestation response from %s:%s %s", c->host,
                   c->port, what);
}

/* Read one HTTP/1.1 response: status, body (Content-Length or chunked). The
 * server may send nothing after it: the application's bytes come next. */
static ratls_status read_response(ratls_conn *c, long *status, uint8_t **body, size_t *blen, char *err, size_t errlen)
{
    rbuf r = {NULL, 0, 0, RESPONSE_MAX};
    ratls_status s;
    uint8_t *out = NULL;
    const uint8_t *end = NULL;
    while (!end) {
        if ((s = fill(c, &r, err, errlen)))
            goto fail;
        if (memchr(r.b, 0, r.len < HEADER_MAX ? r.len : HEADER_MAX)) {
            s = bad_response(c, err, errlen, "has a NUL byte in its headers");
            goto fail;
        }
        end = (const uint8_t *)strstr((const char *)r.b, "\r\n\r\n");
        if ((end ? (size_t)(end - r.b) + 4 : r.len) > HEADER_MAX) {
            s = set_err(err, errlen, RATLS_ERR_ATTESTATION_RESPONSE, "%s:%s sent response headers over %u bytes",
                        c->host, c->port, HEADER_MAX);
            goto fail;
        }
    }
    size_t hlen = (size_t)(end - r.b) + 4;
    r.b[hlen - 2] = 0; /* the headers end with the last header's CRLF */
    /* status line: "HTTP/1.x NNN" */
    const char *sl = (const char *)r.b;
    int code = 0;
    if (strncmp(sl, "HTTP/1.", 7) == 0 && sl[7] >= '0' && sl[7] <= '9' && sl[8] == ' ' && sl[9] >= '1' &&
        sl[9] <= '9' && sl[10] >= '0' && sl[10] <= '9' && sl[11] >= '0' && sl[11] <= '9')
        code = (sl[9] - '0') * 100 + (sl[10] - '0') * 10 + (sl[11] - '0');
    if (code == 0) {
        s = bad_response(c, err, errlen, "is not HTTP/1.x");
        goto fail;
    }
    *status = code;
    const char *te = find_header(sl, "Transfer-Encoding");
    const char *cl = find_header(sl, "Content-Length");
    size_t pos = hlen, outlen = 0;
    if (te) {
        if (!header_is(te, "chunked") || cl) {
            s = bad_response(c, err, errlen, "has a transfer encoding other than chunked alone");
            goto fail;
        }
        for (;;) { /* chunk-size [;ext] CRLF data CRLF ... 0 CRLF CRLF */
            const char *crlf;
            while (!(crlf = strstr((const char *)r.b + pos, "\r\n")))
                if ((s = fill(c, &r, err, errlen)))
                    goto fail;
            size_t n = 0, k = pos;
            for (; k < r.len && isxdigit(r.b[k]); k++) {
                if (n > (RESPONSE_MAX >> 4)) {
                    s = set_err(err, errlen, RATLS_ERR_TOO_LARGE, "a chunk from %s:%s exceeds %u bytes", c->host,
                                c->port, RESPONSE_MAX);
                    goto fail;
                }
                n = n * 16 + (size_t)(isdigit(r.b[k]) ? r.b[k] - '0' : (r.b[k] | 0x20) - 'a' + 10);
            }
            if (k == pos || (r.b[k] != '\r' && r.b[k] != ';')) {
                s = bad_response(c, err, errlen, "has a malformed chunk size");
                goto fail;
            }
            if (n > RESPONSE_MAX - outlen) {
                s = set_err(err, errlen, RATLS_ERR_TOO_LARGE, "the attestation response from %s:%s exceeds %u bytes",
                            c->host, c->port, RESPONSE_MAX);
                goto fail;
            }
            pos = (size_t)(crlf - (const char *)r.b) + 2;
            while (r.len < pos + n + 2)
                if ((s = fill(c, &r, err, errlen)))
                    goto fail;
            if (r.b[pos + n] != '\r' || r.b[pos + n + 1] != '\n') {
                s = bad_response(c, err, errlen, n ? "has a chunk without its CRLF" : "has trailers");
                goto fail;
            }
            if (n == 0) {
                pos += 2;
                break;
            }
            uint8_t *no = realloc(out, outlen + n + 1);
            if (!no) {
                s = RATLS_ERR_NO_MEMORY;
                goto fail;
            }
            out = no;
            memcpy(out + outlen, r.b + pos, n);
            outlen += n;
            out[outlen] = 0;
            pos += n + 2;
        }
        if (!out && !(out = calloc(1, 1))) {
            s = RATLS_ERR_NO_MEMORY;
            goto fail;
        }
    } else {
        size_t want = 0;
        if (!cl || header_size(cl, &want) != 0) {
            s = bad_response(c, err, errlen, "has no valid Content-Length (the connection must stay usable)");
            goto fail;
        }
        if (want > RESPONSE_MAX) {
            s = set_err(err, errlen, RATLS_ERR_TOO_LARGE, "the attestation response from %s:%s announces %zu bytes",
                        c->host, c->port, want);
            goto fail;
        }
        while (r.len - hlen < want)
            if ((s = fill(c, &r, err, errlen)))
                goto fail;
        if (!(out = malloc(want + 1))) {
            s = RATLS_ERR_NO_MEMORY;
            goto fail;
        }
        memcpy(out, r.b + hlen, want);
        out[want] = 0;
        outlen = want;
        pos = hlen + want;
    }
    if (r.len > pos) { /* bytes nobody asked for: they would pass as the application's */
        s = bad_response(c, err, errlen, "is followed by unrequested bytes");
        goto fail;
    }
    free(r.b);
    *body = out;
    *blen = outlen;
    return RATLS_OK;
fail:
    free(out);
    free(r.b);
    return s;
}

ratls_status conn_read_response_mem(const uint8_t *data, size_t len, size_t step, long *status, uint8_t **body,
                                    size_t *blen, char *err, size_t errlen)
{
    ratls_conn c;
    memset(&c, 0, sizeof c);
    c.fd = -1;
    snprintf(c.host, sizeof c.host, "fuzz");
    snprintf(c.port, sizeof c.port, "0");
    c.mem = data;
    c.mem_len = len;
    c.mem_step = step ? step : 1;
    return read_response(&c, status, body, blen, err, errlen);
}

static ratls_status peer_cert(ratls_conn *c, char *err, size_t errlen)
{
    X509 *x = SSL_get1_peer_certificate(c->ssl);
    if (!x)
        return set_err(err, errlen, RATLS_ERR_TLS, "%s:%s presented no certificate", c->host, c->port);
    int n = i2d_X509(x, NULL);
    ratls_status s = RATLS_ERR_NO_MEMORY;
    if (n > 0 && (c->cert = malloc((size_t)n)) != NULL) {
        uint8_t *p = c->cert;
        c->cert_len = (size_t)i2d_X509(x, &p);
        s = RATLS_OK;
    }
    X509_free(x);
    return s;
}

/* The dstack exchange and the verification. */
static ratls_status attest(ratls_conn *c, ratls_verifier *v, const ratls_policy *p, int64_t now, ratls_result **res,
                           char *err, size_t errlen)
{
    ratls_status s;
    char hex[129], req[512];
    if (RAND_bytes(c->nonce, 64) != 1)
        return set_err(err, errlen, RATLS_ERR_INTERNAL, "no randomness for the nonce");
    hex_encode(c->nonce, 64, hex);
    char body[200];
    int bl = snprintf(body, sizeof body, "{\"report_data_hex\": \"%s\"}", hex);
    char hosthdr[HOST_MAX + 24];
    int v6 = strchr(c->host, ':') != NULL;
    snprintf(hosthdr, sizeof hosthdr, "%s%s%s%s%s", v6 ? "[" : "", c->host, v6 ? "]" : "",
             strcmp(c->port, "443") ? ":" : "", strcmp(c->port, "443") ? c->port : "");
    int rl = snprintf(req, sizeof req,
                      "POST /tdx_quote HTTP/1.1\r\nHost: %s\r\nUser-Agent: ratls/" RATLS_VERSION_STRING
                      "\r\nContent-Type: application/json\r\nAccept: application/json\r\nContent-Length: %d\r\n\r\n",
                      hosthdr, bl);
    if ((s = write_all(c, req, (size_t)rl, err, errlen)) || (s = write_all(c, body, (size_t)bl, err, errlen)))
        return s;
    long status = 0;
    uint8_t *rb = NULL;
    size_t rlen = 0;
    if ((s = read_response(c, &status, &rb, &rlen, err, errlen)))
        return s;
    if (status != 200) {
        s = set_err(err, errlen, RATLS_ERR_ATTESTATION_RESPONSE, "POST /tdx_quote on %s:%s: HTTP %ld", c->host, c->port,
                    status);
        free(rb);
        return s;
    }
    c->response = (char *)rb;
    ratls_evidence *ev = ratls_evidence_new();
    if (!ev)
        return RATLS_ERR_NO_MEMORY;
    char sub[512] = "";
    if ((s = ratls_evidence_set_dstack_response(ev, rb, rlen, sub, sizeof sub))) {
        s = set_err(err, errlen, RATLS_ERR_ATTESTATION_RESPONSE, "the /tdx_quote response from %s:%s: %s", c->host,
                    c->port, sub[0] ? sub : ratls_status_str(s));
    } else if ((s = ratls_evidence_set_tls_cert(ev, c->cert, c->cert_len)) ||
               (s = ratls_evidence_set_nonce(ev, c->nonce, 64))) {
        set_err(err, errlen, s, "cannot bind the evidence to the connection");
    } else {
        c->verified_at = now;
        s = ratls_verify(v, ev, NULL, p, now, res);
        if (s == RATLS_ERR_INVALID_ARGUMENT && !*res)
            set_err(err, errlen, s, "the verifier could not run");
        /* keep the collateral the verification used, for saving the evidence
         * (a memory-cache hit right after it verified; never a second fetch
         * after a failure) */
        ratls_collateral *coll = NULL;
        if (s == RATLS_OK &&
            ratls_verifier_fetch_collateral(v, ev->quote, ev->quote_len, p, now, &coll, NULL, 0) == RATLS_OK &&
            ratls_collateral_to_json(coll, &c->collateral_json) != RATLS_OK)
            c->collateral_json = NULL;
        ratls_collateral_free(coll);
    }
    ratls_evidence_free(ev);
    return s;
}

ratls_status ratls_connect(const ratls_hostmap *map, const char *host, const char *port, int64_t now, long timeout_ms,
                           ratls_conn **out, ratls_result **result)
{
    if (out)
        *out = NULL;
    if (result)
        *result = NULL;
    char canon[HOST_MAX + 1];
    if (!host || !port || !out || host_canon(host, canon, sizeof canon) != 0 || strlen(port) >= 16)
        return RATLS_ERR_INVALID_ARGUMENT;
    host = canon;
    ratls_verifier *v = NULL;
    const ratls_policy *p = NULL;
    int attested = ratls_hostmap_lookup(map, host, &v, &p);
    ratls_conn *c = calloc(1, sizeof *c);
    if (!c)
        return RATLS_ERR_NO_MEMORY;
    c->fd = -1;
    c->attested = attested;
    snprintf(c->host, sizeof c->host, "%s", host);
    snprintf(c->port, sizeof c->port, "%s", port);
    char err[768] = "";
    ratls_result *res = NULL;
    if (timeout_ms <= 0)
        timeout_ms = DEFAULT_TIMEOUT_MS;
    c->deadline_ms = mono_ms() + timeout_ms; /* for everything up to the verdict */
    ratls_status s = tcp_connect(host, port, timeout_ms, &c->fd, err, sizeof err);
    if (!s)
        s = tls_handshake(c, attested, err, sizeof err);
    if (!s && attested)
        s = peer_cert(c, err, sizeof err);
    int transport_ok = s == RATLS_OK;
    if (!s && attested)
        s = attest(c, v, p, now, &res, err, sizeof err);
    if (attested && result) {
        if (!res)
            res = result_new(RATLS_TEE_TDX);
        if (res) {
            if (!transport_ok) {
                result_fail(res, s, "transport", "%s", err[0] ? err : ratls_status_str(s));
            } else {
                uint8_t h[32];
                char hx[65];
                SHA256(c->cert, c->cert_len, h);
                hex_encode(h, 32, hx);
                result_check_prepend(res, "transport", RATLS_CHECK_PASS,
                                     "%s to %s:%s; server certificate sha256 %s; quote requested with a fresh "
                                     "64-byte nonce",
                                     SSL_get_version(c->ssl), host, port, hx);
                if (s && res->status == RATLS_OK) /* the exchange failed before any verification */
                    result_fail(res, s, "attestation.request", "%s", err[0] ? err : ratls_status_str(s));
            }
            *result = res;
            res = NULL;
        }
    }
    ratls_result_free(res);
    if (s) {
        ratls_conn_free(c);
        return s;
    }
    /* the application's reads and writes: each bounded by the timeout */
    struct timeval tv = {(time_t)(timeout_ms / 1000), (suseconds_t)((timeout_ms % 1000) * 1000)};
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    *out = c;
    return RATLS_OK;
}

long ratls_conn_write(ratls_conn *c, const void *buf, size_t len)
{
    if (!c || !c->ssl || (!buf && len))
        return -1;
    if (len == 0)
        return 0;
    int n = SSL_write(c->ssl, buf, len > INT32_MAX ? INT32_MAX : (int)len);
    return n > 0 ? n : -1;
}

long ratls_conn_read(ratls_conn *c, void *buf, size_t len)
{
    if (!c || !c->ssl || !buf)
        return -1;
    int n = SSL_read(c->ssl, buf, len > INT32_MAX ? INT32_MAX : (int)len);
    if (n > 0)
        return n;
    int e = SSL_get_error(c->ssl, n);
    return e == SSL_ERROR_ZERO_RETURN ? 0 : -1;
}

int ratls_conn_attested(const ratls_conn *c) { return c ? c->attested : 0; }

void ratls_conn_free(ratls_conn *c)
{
    if (!c)
        return;
    if (c->ssl) {
        SSL_shutdown(c->ssl);
        SSL_free(c->ssl);
    }
    SSL_CTX_free(c->ctx);
    if (c->fd >= 0)
        close(c->fd);
    free(c->response);
    free(c->cert);
    free(c->collateral_json);
    free(c);
}

ratls_status ratls_conn_evidence_json(const ratls_conn *c, char **json_out)
{
    if (!c || !json_out || !c->attested || !c->response)
        return RATLS_ERR_INVALID_ARGUMENT;
    *json_out = NULL;
    json_error_t je;
    json_t *resp = json_loads(c->response, 0, &je);
    json_t *coll = c->collateral_json ? json_loads(c->collateral_json, 0, &je) : json_null();
    char *cert = malloc(2 * c->cert_len + 1), nonce[129];
    if (!resp || !coll || !cert) {
        json_decref(resp);
        json_decref(coll);
        free(cert);
        return RATLS_ERR_NO_MEMORY;
    }
    hex_encode(c->cert, c->cert_len, cert);
    hex_encode(c->nonce, 64, nonce);
    json_t *o = json_pack("{s:i, s:s, s:s, s:o, s:s, s:s, s:I, s:o}", "ratls_evidence", 1, "host", c->host, "port",
                          c->port, "response", resp, "tls_cert", cert, "nonce", nonce, "verified_at",
                          (json_int_t)c->verified_at, "collateral", coll);
    free(cert);
    if (!o)
        return RATLS_ERR_NO_MEMORY;
    *json_out = json_dumps(o, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
    json_decref(o);
    return *json_out ? RATLS_OK : RATLS_ERR_NO_MEMORY;
}

const uint8_t *conn_cert_der(const ratls_conn *c, size_t *len)
{
    *len = c->cert_len;
    return c->cert;
}
