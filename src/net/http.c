/* HTTP GET on libcurl with caps, timeouts and retries (see http.h). */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "net/http.h"

static pthread_once_t g_curl_once = PTHREAD_ONCE_INIT;
static CURLcode g_curl_init = CURLE_FAILED_INIT;

/* curl_global_init is not safe to race: run it once per process. */
static void curl_init_once(void) { g_curl_init = curl_global_init(CURL_GLOBAL_DEFAULT); }

typedef struct xfer {
    const http_opts *o;
    const char *const *want;
    uint8_t *body;
    size_t len, cap;
    int too_large;
    char *header;
    long retry_after_s; /* -1 when absent */
} xfer;

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *arg)
{
    xfer *x = arg;
    size_t n = size * nmemb;
    if (n > x->o->max_body - x->len) {
        x->too_large = 1;
        return 0; /* aborts the transfer */
    }
    if (x->len + n + 1 > x->cap) {
        size_t nc = x->cap ? x->cap : 16384;
        while (nc < x->len + n + 1)
            nc *= 2;
        uint8_t *nb = realloc(x->body, nc);
        if (!nb)
            return 0;
        x->body = nb;
        x->cap = nc;
    }
    memcpy(x->body + x->len, ptr, n);
    x->len += n;
    x->body[x->len] = 0;
    return n;
}

static int name_is(const char *line, size_t len, const char *name, size_t *vstart)
{
    size_t nl = strlen(name);
    if (len <= nl || line[nl] != ':' || strncasecmp(line, name, nl) != 0)
        return 0;
    size_t i = nl + 1;
    while (i < len && (line[i] == ' ' || line[i] == '\t'))
        i++;
    *vstart = i;
    return 1;
}

/* RFC 9110 Retry-After: delay-seconds, or an HTTP-date (IMF-fixdate). */
static long parse_retry_after(const char *v, size_t n)
{
    char buf[64];
    if (n == 0 || n >= sizeof buf)
        return -1;
    memcpy(buf, v, n);
    buf[n] = 0;
    if (isdigit((unsigned char)buf[0])) {
        char *end;
        unsigned long s = strtoul(buf, &end, 10);
        return *end == 0 && s < 86400UL * 365 ? (long)s : -1;
    }
    time_t when = curl_getdate(buf, NULL);
    if (when < 0)
        return -1;
    time_t now = time(NULL);
    return when > now ? (long)(when - now) : 0;
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *arg)
{
    xfer *x = arg;
    size_t n = size * nmemb, len = n;
    while (len > 0 && (ptr[len - 1] == '\r' || ptr[len - 1] == '\n'))
        len--;
    if (len >= 5 && strncmp(ptr, "HTTP/", 5) == 0) { /* a new response: forget the last one's headers */
        free(x->header);
        x->header = NULL;
        x->retry_after_s = -1;
        return n;
    }
    size_t v;
    if (name_is(ptr, len, "Retry-After", &v)) {
        x->retry_after_s = parse_retry_after(ptr + v, len - v);
        return n;
    }
    for (size_t i = 0; x->want && x->want[i]; i++) {
        if (!name_is(ptr, len, x->want[i], &v))
            continue;
        if (x->header) /* an earlier wanted name was present */
            break;
        if (len - v > HTTP_MAX_HEADER_VALUE)
            return 0;
        x->header = malloc(len - v + 1);
        if (!x->header)
            return 0;
        memcpy(x->header, ptr + v, len - v);
        x->header[len - v] = 0;
        break;
    }
    return n;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

static const char *reason(long status)
{
    switch (status) {
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 429:
        return "Too Many Requests";
    case 500:
        return "Internal Server Error";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    default:
        return status >= 300 && status < 400 ? "redirect, not followed" : "unexpected status";
    }
}

void http_resp_clear(http_resp *r)
{
    free(r->body);
    free(r->header);
    memset(r, 0, sizeof *r);
}

ratls_status http_get(const http_opts *o, const char *url, const char *const *want, http_resp *out, char *err,
                      size_t errlen)
{
    memset(out, 0, sizeof *out);
    pthread_once(&g_curl_once, curl_init_once);
    if (g_curl_init != CURLE_OK)
        return set_err(err, errlen, RATLS_ERR_INTERNAL, "libcurl failed to initialise");
    CURL *h = curl_easy_init();
    if (!h)
        return RATLS_ERR_NO_MEMORY;
    ratls_status s = RATLS_ERR_INTERNAL;
    long wait = o->backoff_ms > 0 ? o->backoff_ms : 100;
    for (unsigned attempt = 0;; attempt++) {
        xfer x = {.o = o, .want = want, .retry_after_s = -1};
        char cerr[CURL_ERROR_SIZE] = "";
        curl_easy_reset(h);
        curl_easy_setopt(h, CURLOPT_URL, url);
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, o->connect_timeout_ms);
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, o->total_timeout_ms);
        curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)o->max_body);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &x);
        curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(h, CURLOPT_HEADERDATA, &x);
        curl_easy_setopt(h, CURLOPT_ERRORBUFFER, cerr);
        curl_easy_setopt(h, CURLOPT_USERAGENT, "ratls/" RATLS_VERSION_STRING);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, o->tls_verify ? 1L : 0L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, o->tls_verify ? 2L : 0L);
        log_emit(o->log, o->log_arg, attempt ? RATLS_LOG_INFO : RATLS_LOG_DEBUG, "GET %s%s", url,
                 attempt ? " (retry)" : "");
        CURLcode rc = curl_easy_perform(h);
        long status = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        out->attempts = attempt + 1;
        int retry = 0;
        long delay = wait;
        if (rc == CURLE_OK && status == 200) {
            if (!x.body) { /* an empty body is still a body */
                x.body = calloc(1, 1);
                if (!x.body) {
                    s = RATLS_ERR_NO_MEMORY;
                    free(x.header);
                    break;
                }
            }
            out->status = status;
            out->body = x.body;
            out->len = x.len;
            out->header = x.header;
            s = RATLS_OK;
            break;
        }
        free(x.body);
        free(x.header);
        if (x.too_large || rc == CURLE_FILESIZE_EXCEEDED) {
            s = set_err(err, errlen, RATLS_ERR_TOO_LARGE, "GET %s: the response exceeds the %zu-byte limit", url,
                        o->max_body);
            break;
        }
        if (rc == CURLE_OPERATION_TIMEDOUT) {
            s = set_err(err, errlen, RATLS_ERR_TIMEOUT, "GET %s: no complete response within %ld ms (%s)", url,
                        o->total_timeout_ms, cerr[0] ? cerr : curl_easy_strerror(rc));
            break; /* a slow service stays slow: do not multiply the wait */
        }
        if (rc != CURLE_OK) {
            s = set_err(err, errlen, RATLS_ERR_NETWORK, "GET %s: %s", url, cerr[0] ? cerr : curl_easy_strerror(rc));
            retry = rc == CURLE_COULDNT_CONNECT || rc == CURLE_GOT_NOTHING || rc == CURLE_RECV_ERROR ||
                    rc == CURLE_SEND_ERROR || rc == CURLE_PARTIAL_FILE;
        } else {
            s = set_err(err, errlen, RATLS_ERR_HTTP_STATUS, "GET %s: HTTP %ld (%s)", url, status, reason(status));
            retry = status == 429 || status >= 500;
            if (retry && x.retry_after_s >= 0) {
                if ((int64_t)x.retry_after_s * 1000 > (int64_t)o->max_retry_wait_ms) {
                    s = set_err(err, errlen, RATLS_ERR_HTTP_STATUS,
                                "GET %s: HTTP %ld (%s) and Retry-After %ld s, longer than the %ld ms allowed", url,
                                status, reason(status), x.retry_after_s, o->max_retry_wait_ms);
                    break;
                }
                delay = (long)((int64_t)x.retry_after_s * 1000);
            }
        }
        if (!retry || attempt >= o->retries)
            break;
        if (delay > o->max_retry_wait_ms)
            delay = o->max_retry_wait_ms;
        log_emit(o->log, o->log_arg, RATLS_LOG_WARN, "%s; retrying in %ld ms", err, delay);
        sleep_ms(delay);
        wait *= 2;
    }
    curl_easy_cleanup(h);
    return s;
}

char *url_decode(const char *s, size_t len)
{
    char *d = malloc(len + 1);
    size_t n = 0;
    if (!d)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '%') {
            uint8_t byte;
            if (i + 2 >= len || hex_decode_exact(s + i + 1, 2, &byte, 1) != 0) {
                free(d);
                return NULL;
            }
            c = (char)byte;
            i += 2;
        }
        if (c == 0) {
            free(d);
            return NULL;
        }
        d[n++] = c;
    }
    d[n] = 0;
    return d;
}
