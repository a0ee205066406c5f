/* HTTP/1.1 for `ratls sim`: one request at a time from a TLS connection,
 * with the head and the body capped, Content-Length bodies only, and
 * keep-alive. Untrusted input: every length is checked before use. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>

#include "sim.h"

static const char *reason(int status)
{
    switch (status) {
    case 100:
        return "Continue";
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 411:
        return "Length Required";
    case 413:
        return "Content Too Large";
    case 422:
        return "Unprocessable Entity";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 503:
        return "Service Unavailable";
    default:
        return "Unknown";
    }
}

int sim_write(sim_conn *c, const void *data, size_t len)
{
    const uint8_t *p = data;
    while (len > 0) {
        int n = len > INT32_MAX ? INT32_MAX : (int)len;
        int k = SSL_write(c->ssl, p, n);
        if (k <= 0) {
            ERR_clear_error(); /* a peer gone away is routine here */
            return -1;
        }
        p += k;
        len -= (size_t)k;
        c->sent += (uint64_t)k;
    }
    return 0;
}

/* Read more bytes into the buffer (grown up to `need`). 1 on progress. */
static int fill(sim_conn *c, size_t need)
{
    if (need > c->cap) {
        uint8_t *nb = realloc(c->buf, need);
        if (!nb)
            return 0;
        c->buf = nb;
        c->cap = need;
    }
    if (c->len >= c->cap)
        return 0;
    size_t room = c->cap - c->len;
    int k = SSL_read(c->ssl, c->buf + c->len, room > INT32_MAX ? INT32_MAX : (int)room);
    if (k <= 0) {
        ERR_clear_error(); /* closed, reset or idle timeout */
        return 0;
    }
    c->len += (size_t)k;
    return 1;
}

static size_t find_head_end(const uint8_t *b, size_t n)
{
    for (size_t i = 0; i + 3 < n; i++)
        if (b[i] == '\r' && b[i + 1] == '\n' && b[i + 2] == '\r' && b[i + 3] == '\n')
            return i + 4;
    return 0;
}

static int copy_token(char *dst, size_t cap, const char *src, size_t n)
{
    if (n == 0 || n >= cap)
        return -1;
    memcpy(dst, src, n);
    dst[n] = 0;
    return 0;
}

/* "METHOD /path?query HTTP/1.x" */
static int parse_request_line(const char *line, size_t n, sim_req *r, int *http10)
{
    const char *sp1 = memchr(line, ' ', n);
    const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', n - (size_t)(sp1 + 1 - line)) : NULL;
    if (!sp1 || !sp2 || copy_token(r->method, sizeof r->method, line, (size_t)(sp1 - line)))
        return -1;
    const char *target = sp1 + 1, *version = sp2 + 1;
    size_t tlen = (size_t)(sp2 - target), vlen = n - (size_t)(version - line);
    if (tlen == 0 || target[0] != '/')
        return -1;
    if (vlen == 8 && memcmp(version, "HTTP/1.1", 8) == 0)
        *http10 = 0;
    else if (vlen == 8 && memcmp(version, "HTTP/1.0", 8) == 0)
        *http10 = 1;
    else
        return -1;
    const char *q = memchr(target, '?', tlen);
    size_t plen = q ? (size_t)(q - target) : tlen;
    if (copy_token(r->path, sizeof r->path, target, plen))
        return -1;
    if (q && tlen - plen > 1 && copy_token(r->query, sizeof r->query, q + 1, tlen - plen - 1))
        return -1;
    for (size_t i = 0; i < tlen; i++)
        if ((unsigned char)target[i] <= 0x20 || target[i] == 0x7f)
            return -1;
    return 0;
}

typedef struct head_info {
    int has_length, chunked, keep_alive, close, expect_continue;
    size_t length;
} head_info;

static int header_is(const char *name, size_t nlen, const char *want)
{
    return nlen == strlen(want) && strncasecmp(name, want, nlen) == 0;
}

static int value_has(const char *v, size_t n, const char *token)
{
    size_t tl = strlen(token);
    for (size_t i = 0; i + tl <= n; i++)
        if (strncasecmp(v + i, token, tl) == 0)
            return 1;
    return 0;
}

/* One "Name: value" line. 0, or an HTTP status. */
static int parse_header(const char *line, size_t n, sim_req *r, head_info *h)
{
    const char *colon = memchr(line, ':', n);
    if (!colon || colon == line)
        return 400;
    size_t nlen = (size_t)(colon - line);
    for (size_t i = 0; i < nlen; i++)
        if (line[i] == ' ' || line[i] == '\t') /* no space before the colon (RFC 9112 5.1) */
            return 400;
    const char *v = colon + 1, *end = line + n;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    size_t vlen = (size_t)(end - v);
    if (header_is(line, nlen, "Content-Length")) {
        size_t len = 0;
        if (h->has_length || vlen == 0 || vlen > 12)
            return 400; /* duplicates could disagree: refuse */
        for (size_t i = 0; i < vlen; i++) {
            if (v[i] < '0' || v[i] > '9')
                return 400;
            len = len * 10 + (size_t)(v[i] - '0');
        }
        h->has_length = 1;
        h->length = len;
    } else if (header_is(line, nlen, "Transfer-Encoding")) {
        h->chunked = 1; /* any transfer coding: only Content-Length bodies are taken */
    } else if (header_is(line, nlen, "Connection")) {
        h->close |= value_has(v, vlen, "close");
        h->keep_alive |= value_has(v, vlen, "keep-alive");
    } else if (header_is(line, nlen, "Expect")) {
        h->expect_continue = value_has(v, vlen, "100-continue");
    } else if (header_is(line, nlen, "Content-Type")) {
        copy_token(r->content_type, sizeof r->content_type, v, vlen);
    }
    return 0;
}

static int parse_head(const char *head, size_t n, sim_req *r, head_info *h)
{
    const char *eol = NULL, *p = head, *end = head + n - 2; /* up to the final empty line */
    int http10 = 0;
    if (!(eol = memchr(p, '\r', (size_t)(end - p))) || eol[1] != '\n' ||
        parse_request_line(p, (size_t)(eol - p), r, &http10))
        return 400;
    for (p = eol + 2; p < end; p = eol + 2) {
        eol = memchr(p, '\r', (size_t)(end - p));
        if (!eol || eol[1] != '\n' || memchr(p, 0, (size_t)(eol - p)))
            return 400;
        int st = parse_header(p, (size_t)(eol - p), r, h);
        if (st)
            return st;
    }
    if (h->chunked)
        return 411;
    if (h->has_length && h->length > SIM_MAX_BODY)
        return 413;
    r->close = h->close || (http10 && !h->keep_alive);
    return 0;
}

void sim_req_clear(sim_req *r)
{
    free(r->body);
    memset(r, 0, sizeof *r);
}

int sim_read_request(sim_conn *c, sim_req *r)
{
    memset(r, 0, sizeof *r);
    size_t head_len;
    while ((head_len = find_head_end(c->buf, c->len)) == 0) {
        if (c->len >= SIM_MAX_HEAD)
            return 431;
        if (!fill(c, SIM_MAX_HEAD))
            return c->len ? 400 : 0; /* a request cut short, or a clean close */
    }
    if (head_len > SIM_MAX_HEAD)
        return 431;
    head_info h;
    memset(&h, 0, sizeof h);
    int st = parse_head((const char *)c->buf, head_len, r, &h);
    if (st)
        return st;
    if (h.expect_continue && h.length > c->len - head_len) {
        static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
        if (sim_write(c, cont, sizeof cont - 1))
            return 0;
    }
    size_t total = head_len + h.length;
    while (c->len < total)
        if (!fill(c, total))
            return 0;
    if (!(r->body = malloc(h.length + 1)))
        return 413;
    memcpy(r->body, c->buf + head_len, h.length);
    r->body[h.length] = 0;
    r->body_len = h.length;
    /* keep pipelined bytes for the next request */
    memmove(c->buf, c->buf + total, c->len - total);
    c->len -= total;
    return 1;
}

int sim_reply_head(sim_conn *c, int status, const char *ctype, const char *headers, int keep)
{
    c->status = status;
    c->keep = keep;
    headers = headers ? headers : "";
    size_t cap = strlen(headers) + strlen(ctype) + 160;
    char *head = malloc(cap);
    if (!head)
        return -1;
    int n = snprintf(head, cap, "HTTP/1.1 %d %s\r\nServer: ratls-sim\r\nContent-Type: %s\r\n%sConnection: %s\r\n\r\n",
                     status, reason(status), ctype, headers, keep ? "keep-alive" : "close");
    int rc = n > 0 && (size_t)n < cap ? sim_write(c, head, (size_t)n) : -1;
    free(head);
    return rc;
}

int sim_reply(sim_conn *c, int status, const char *ctype, const char *headers, const void *body, size_t len, int keep)
{
    headers = headers ? headers : "";
    size_t cap = strlen(headers) + 48;
    char *extra = malloc(cap);
    int rc = -1;
    if (extra) {
        snprintf(extra, cap, "%sContent-Length: %zu\r\n", headers, len);
        rc = sim_reply_head(c, status, ctype, extra, keep) || sim_write(c, body, len) ? -1 : 0;
    }
    free(extra);
    if (rc)
        c->keep = 0;
    return rc;
}

int sim_reply_json(sim_conn *c, int status, const char *body, int keep)
{
    return sim_reply(c, status, "application/json", NULL, body, strlen(body), keep);
}

int sim_write_chunk(sim_conn *c, const void *data, size_t len)
{
    char size[32];
    int n = snprintf(size, sizeof size, "%zx\r\n", len);
    if (sim_write(c, size, (size_t)n) || sim_write(c, data, len))
        return -1;
    return sim_write(c, "\r\n", 2);
}
