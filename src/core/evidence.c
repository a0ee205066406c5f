#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "base/der.h"
#include "core/core.h"
#include "dstack/dstack.h"

ratls_evidence *ratls_evidence_new(void) { return calloc(1, sizeof(ratls_evidence)); }

void ratls_evidence_free(ratls_evidence *ev)
{
    if (!ev)
        return;
    free(ev->quote);
    ratls_eventlog_free(ev->log);
    free(ev);
}

ratls_status ratls_evidence_set_tdx_quote(ratls_evidence *ev, const uint8_t *quote, size_t len)
{
    if (!ev || !quote || len == 0)
        return RATLS_ERR_INVALID_ARGUMENT;
    if (len > RATLS_TDX_MAX_QUOTE_LEN)
        return RATLS_ERR_TOO_LARGE;
    uint8_t *b = malloc(len);
    if (!b)
        return RATLS_ERR_NO_MEMORY;
    memcpy(b, quote, len);
    free(ev->quote);
    ev->quote = b;
    ev->quote_len = len;
    ev->tee = RATLS_TEE_TDX;
    return RATLS_OK;
}

ratls_tee ratls_evidence_tee(const ratls_evidence *ev) { return ev ? ev->tee : RATLS_TEE_NONE; }

ratls_status ratls_evidence_set_dstack_response(ratls_evidence *ev, const uint8_t *json, size_t len, char *err,
                                                size_t errlen)
{
    if (!ev || !json)
        return RATLS_ERR_INVALID_ARGUMENT;
    ratls_dstack_response *r = NULL;
    ratls_status s = ratls_dstack_response_parse(json, len, &r, err, errlen);
    if (s)
        return s;
    if ((s = ratls_evidence_set_tdx_quote(ev, r->quote, r->quote_len)) != RATLS_OK) {
        ratls_dstack_response_free(r);
        return s;
    }
    ratls_eventlog_free(ev->log);
    ev->log = r->log; /* taken over */
    r->log = NULL;
    ev->has_app_compose_hash = r->has_app_compose_hash;
    memcpy(ev->app_compose_hash, r->app_compose_hash, 32);
    ratls_dstack_response_free(r);
    return RATLS_OK;
}

/* The DER of the first certificate: the input itself when it is one DER
 * SEQUENCE, else the first PEM CERTIFICATE block. Only hashed, never parsed:
 * the server's key may be of any type. */
static int leaf_der(const uint8_t *in, size_t len, uint8_t **der, size_t *dl)
{
    der_t d = {in, len}, v;
    if (len && in[0] == DER_SEQUENCE && der_read(&d, DER_SEQUENCE, &v) == 0 && d.len == 0) {
        *der = malloc(len);
        if (!*der)
            return -1;
        memcpy(*der, in, len);
        *dl = len;
        return 0;
    }
    static const char begin[] = "-----BEGIN CERTIFICATE-----", end[] = "-----END CERTIFICATE-----";
    const char *t = (const char *)in;
    const char *b = NULL;
    for (size_t i = 0; i + sizeof begin - 1 <= len; i++)
        if (memcmp(t + i, begin, sizeof begin - 1) == 0) {
            b = t + i + sizeof begin - 1;
            break;
        }
    if (!b)
        return -1;
    size_t left = len - (size_t)(b - t);
    char *b64 = malloc(left + 1);
    if (!b64)
        return -1;
    size_t n = 0;
    int ended = 0;
    for (size_t i = 0; i < left; i++) {
        char c = b[i];
        if (c == '-') {
            ended = left - i >= sizeof end - 1 && memcmp(b + i, end, sizeof end - 1) == 0;
            break;
        }
        if (c != ' ' && c != '\n' && c != '\r' && c != '\t')
            b64[n++] = c;
    }
    *der = ended ? malloc(n / 4 * 3 + 3) : NULL;
    if (!*der || b64_decode(b64, n, *der, dl) != 0) {
        free(*der);
        *der = NULL;
        free(b64);
        return -1;
    }
    free(b64);
    return 0;
}

ratls_status ratls_evidence_set_tls_cert(ratls_evidence *ev, const uint8_t *cert, size_t len)
{
    if (!ev || !cert || !len || len > 256u * 1024u)
        return RATLS_ERR_INVALID_ARGUMENT;
    uint8_t *der = NULL;
    size_t dl = 0;
    if (leaf_der(cert, len, &der, &dl) != 0)
        return RATLS_ERR_PEM_CHAIN;
    SHA256(der, dl, ev->cert_sha256);
    free(der);
    ev->has_cert = 1;
    return RATLS_OK;
}

ratls_status ratls_evidence_set_nonce(ratls_evidence *ev, const uint8_t *nonce, size_t len)
{
    if (!ev || !nonce || len == 0 || len > 64)
        return RATLS_ERR_INVALID_ARGUMENT;
    memset(ev->nonce, 0, 64);
    memcpy(ev->nonce, nonce, len);
    ev->has_nonce = 1;
    return RATLS_OK;
}
