#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "tdx/pem_chain.h"

#define PEM_BEGIN "-----BEGIN CERTIFICATE-----"
#define PEM_END "-----END CERTIFICATE-----"

static int is_ws(uint8_t c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

static int match(const uint8_t *p, size_t left, const char *lit)
{
    size_t n = strlen(lit);
    return left >= n && memcmp(p, lit, n) == 0;
}

void rchain_free(rchain *ch)
{
    for (size_t i = 0; i < ch->n; i++)
        rcert_free(ch->c[i]);
    ch->n = 0;
}

ratls_status pem_chain_parse(const uint8_t *buf, size_t len, size_t max_certs, rchain *out, char *err, size_t errlen)
{
    ratls_status s = RATLS_OK;
    out->n = 0;
    if (max_certs > RCHAIN_MAX)
        max_certs = RCHAIN_MAX;
    if (!buf || len > TDX_PEM_MAX)
        return set_err(err, errlen, RATLS_ERR_TOO_LARGE, "PEM chain of %zu bytes exceeds the limit", len);
    /* real quotes end the chain with one NUL inside its size; no more */
    if (len && buf[len - 1] == 0)
        len--;
    rchain tmp = {{0}, 0};
    rchain *sk = &tmp;
    char *b64 = malloc(len + 1);
    uint8_t *der = malloc(len + 1);
    if (!b64 || !der) {
        s = RATLS_ERR_NO_MEMORY;
        goto fail;
    }
    size_t i = 0;
    for (;;) {
        while (i < len && is_ws(buf[i]))
            i++;
        if (i == len)
            break;
        if (!match(buf + i, len - i, PEM_BEGIN)) {
            s = set_err(err, errlen, RATLS_ERR_PEM_CHAIN, "unexpected data at byte %zu of the PEM chain", i);
            goto fail;
        }
        if (sk->n >= max_certs) {
            s = set_err(err, errlen, RATLS_ERR_PEM_CHAIN, "more than %zu certificates in the chain", max_certs);
            goto fail;
        }
        i += strlen(PEM_BEGIN);
        size_t nb = 0;
        int ended = 0;
        while (i < len) {
            if (is_ws(buf[i])) {
                i++;
                continue;
            }
            if (buf[i] == '-') {
                if (!match(buf + i, len - i, PEM_END))
                    break;
                i += strlen(PEM_END);
                ended = 1;
                break;
            }
            b64[nb++] = (char)buf[i++];
        }
        if (!ended) {
            s = set_err(err, errlen, RATLS_ERR_PEM_CHAIN, "certificate %d has no END line", (int)sk->n + 1);
            goto fail;
        }
        size_t dl = 0;
        if (nb == 0 || b64_decode(b64, nb, der, &dl) != 0) {
            s = set_err(err, errlen, RATLS_ERR_PEM_CHAIN, "certificate %d is not valid base64", (int)sk->n + 1);
            goto fail;
        }
        rcert *x = NULL;
        char sub[256];
        s = rcert_parse(der, dl, &x, sub, sizeof sub);
        if (s) {
            if (s != RATLS_ERR_NO_MEMORY)
                s = set_err(err, errlen, RATLS_ERR_PEM_CHAIN, "certificate %d: %s", (int)sk->n + 1, sub);
            goto fail;
        }
        sk->c[sk->n++] = x;
    }
    if ((int)sk->n == 0) {
        s = set_err(err, errlen, RATLS_ERR_PEM_CHAIN, "no certificate in the PEM chain");
        goto fail;
    }
    free(b64);
    free(der);
    *out = tmp;
    return RATLS_OK;
fail:
    free(b64);
    free(der);
    rchain_free(sk);
    return s;
}
