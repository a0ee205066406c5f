#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "base/util.h"

ratls_status set_err(char *err, size_t errlen, ratls_status s, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return s;
}

void log_emit(ratls_log_fn fn, void *arg, ratls_log_level lvl, const char *fmt, ...)
{
    if (!fn)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fn(arg, lvl, msg);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int hex_decode_exact(const char *hex, size_t hexlen, uint8_t *out, size_t n)
{
    if (hexlen != 2 * n)
        return -1;
    for (size_t i = 0; i < n; i++) {
        int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (uint8_t)((hi << 4) | lo);
    }
    return 0;
}

int hex_decode_alloc(const char *hex, size_t hexlen, size_t maxlen, uint8_t **out, size_t *outlen)
{
    *out = NULL;
    *outlen = 0;
    if (hexlen % 2 || hexlen / 2 > maxlen)
        return -1;
    uint8_t *b = malloc(hexlen / 2 ? hexlen / 2 : 1);
    if (!b)
        return -1;
    if (hex_decode_exact(hex, hexlen, b, hexlen / 2) != 0) {
        free(b);
        return -1;
    }
    *out = b;
    *outlen = hexlen / 2;
    return 0;
}

static void hex_enc(const uint8_t *in, size_t n, char *out, const char *digits)
{
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

void hex_encode(const uint8_t *in, size_t n, char *out) { hex_enc(in, n, out, "0123456789abcdef"); }
void hex_encode_upper(const uint8_t *in, size_t n, char *out) { hex_enc(in, n, out, "0123456789ABCDEF"); }

ratls_status ratls_hex_decode_relaxed(const char *text, size_t len, uint8_t **out, size_t *out_len)
{
    if (!text || !out || !out_len)
        return RATLS_ERR_INVALID_ARGUMENT;
    *out = NULL;
    *out_len = 0;
    size_t i = 0;
    while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r'))
        i++;
    if (i + 1 < len && text[i] == '0' && (text[i + 1] == 'x' || text[i + 1] == 'X'))
        i += 2;
    uint8_t *b = malloc(len / 2 + 1);
    if (!b)
        return RATLS_ERR_NO_MEMORY;
    size_t n = 0;
    int hi = -1;
    for (; i < len; i++) {
        char c = text[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
            continue;
        int v = hexval(c);
        if (v < 0) {
            free(b);
            return RATLS_ERR_INVALID_ARGUMENT;
        }
        if (hi < 0) {
            hi = v;
        } else {
            b[n++] = (uint8_t)((hi << 4) | v);
            hi = -1;
        }
    }
    if (hi >= 0 || n == 0) {
        free(b);
        return RATLS_ERR_INVALID_ARGUMENT;
    }
    *out = b;
    *out_len = n;
    return RATLS_OK;
}

void ratls_free_string(char *s) { free(s); }

int ct_memcmp(const void *a, const void *b, size_t n) { return CRYPTO_memcmp(a, b, n) != 0; }
