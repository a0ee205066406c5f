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

ratls_status pem_chain_parse(const uint8_t *buf, size_t len, size_t max_certs, STACK_OF(X509) **out, char *err,
                             size_t errlen)
{
    ratls_status s = RATLS_OK;
    *out = NULL;
    if (!buf || len > TDX_PEM_MAX)
        return set_err(err, errlen, RATLS_ERR_TOO_LARGE, "PEM chain of %zu bytes exceeds the limit", len);
    /* tolerate NUL padding at the very end (real quotes carry one) */
    while (len && buf[len - 1] == 0)
        len--;
    STACK_OF(X509) *sk = sk_X509_new_null();
    char *b64 = malloc(len + 1);
    uint8_t *der = malloc(len + 1);
    if (!sk || !b64 || !der) {
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
        if ((size_t)sk_X509_num(sk) >= max_certs) {
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
            s = set_err(err, errlen, RATLS_ERR_PEM_CHAIN, "certificate %d has no END line",
                        sk_X509_num(sk) + 1);
            goto fail;
        }
        size_t dl = 0;
        if (nb == 0 || b64_decode(b64, nb, der, &dl) != 0) {
            s = set_err(err, errlen, RATLS_ERR_PEM_CHAIN, "certificate %d is not valid base64", sk_X509_num(sk) + 1);
            goto fail;
        }
        const unsigned char *p = der;
        X509 *x = d2i_X509(NULL, &p, (long)dl);
        if (!x || p != der + dl) {
            X509_free(x);
            s = set_err(err, errlen, RATLS_ERR_PEM_CHAIN, "certificate %d is not a DER certificate%s",
                        sk_X509_num(sk) + 1, x ? " (trailing bytes)" : "");
            goto fail;
        }
        if (!sk_X509_push(sk, x)) {
            X509_free(x);
            s = RATLS_ERR_NO_MEMORY;
            goto fail;
        }
    }
    if (sk_X509_num(sk) == 0) {
        s = set_err(err, errlen, RATLS_ERR_PEM_CHAIN, "no certificate in the PEM chain");
        goto fail;
    }
    free(b64);
    free(der);
    *out = sk;
    return RATLS_OK;
fail:
    free(b64);
    free(der);
    sk_X509_pop_free(sk, X509_free);
    return s;
}
