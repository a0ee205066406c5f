/* A small HTTP GET client on libcurl for collateral services: hard caps on
 * the body and the headers kept, connect and total timeouts, no redirects,
 * http/https only, and retries with backoff on 5xx, 429 (honouring
 * Retry-After) and dropped connections. Errors name the URL, the status and
 * what was wrong. */
#ifndef RATLS_NET_HTTP_H
#define RATLS_NET_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "base/util.h"
#include "ratls/ratls.h"

#define HTTP_MAX_HEADER_VALUE (64u * 1024u)

typedef struct http_opts {
    long connect_timeout_ms;
    long total_timeout_ms; /* per attempt */
    size_t max_body;
    unsigned retries;       /* attempts after the first */
    long backoff_ms;        /* first wait; doubles each retry */
    long max_retry_wait_ms; /* a longer Retry-After gives up instead */
    int tls_verify;         /* verify an https server's certificate */
    /* progress lines ("GET url", "HTTP 503, retrying in 400 ms") */
    ratls_log_fn log;
    void *log_arg;
} http_opts;

typedef struct http_resp {
    long status;
    uint8_t *body; /* NUL-terminated for convenience; len excludes it */
    size_t len;
    char *header; /* value of the first wanted header found, or NULL */
    unsigned attempts;
} http_resp;

/* GET `url`. Success means a 200 response within the caps; any other
 * status, transport error or cap gives an error status and message.
 * `want` lists header names (case-insensitive) whose value is kept: the
 * first one present wins. */
ratls_status http_get(const http_opts *o, const char *url, const char *const *want, http_resp *out, char *err,
                      size_t errlen);
void http_resp_clear(http_resp *r);

/* Decode %XX escapes (and nothing else) into a malloc'd NUL-terminated
 * string; NULL on a bad escape, an embedded NUL or no memory. */
char *url_decode(const char *s, size_t len);

#endif
