/* AMD KDS items: the certificate chain, the ARK's CRL and a VCEK, each
 * checked on its own against the pinned ARK (see kds.h). */
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "base/util.h"
#include "snp/kds.h"
#include "crypto/crypto.h"
#include "snp/snp.h"

/* [nb, last]: OpenSSL holds a certificate expired at notAfter itself, so the
 * last second it is good for (and that an item may be handed out for, as the
 * verifier's cache does) is notAfter - 1. */
static int cert_window(X509 *x, int64_t *nb, int64_t *last)
{
    int64_t na;
    if (asn1_time_unix(X509_get0_notBefore(x), nb) != 0 || asn1_time_unix(X509_get0_notAfter(x), &na) != 0 ||
        na == INT64_MIN)
        return -1;
    *last = na - 1;
    return 0;
}

/* The chain body: exactly the pinned ARK and one CA it issued, valid at now. */
static ratls_status load_chain(const uint8_t pin[32], const uint8_t *buf, size_t len, int64_t now, STACK_OF(X509) * sk,
                               X509 **ark, X509 **ask, char *err, size_t errlen)
{
    *ark = *ask = NULL;
    if (!buf || snp_load_chain(buf, len, sk) != 0)
        return set_err(err, errlen, RATLS_ERR_CERT_CHAIN, "the certificate chain is not PEM certificates");
    if (sk_X509_num(sk) != 2)
        return set_err(err, errlen, RATLS_ERR_CERT_CHAIN,
                       "the certificate chain has %d certificates, not 2 (ASK and ARK)", sk_X509_num(sk));
    if (!(*ark = snp_find_ark(sk, pin)))
        return set_err(err, errlen, RATLS_ERR_UNTRUSTED_ROOT,
                       "no certificate of the chain carries the pinned ARK public key");
    *ask = sk_X509_value(sk, sk_X509_value(sk, 0) == *ark ? 1 : 0);
    char sub[300] = "";
    ratls_status st = snp_verify_path(*ark, NULL, *ask, 1, now, "0 = ASK, 1 = ARK", NULL, sub, sizeof sub);
    if (st)
        return set_err(err, errlen, st, "the ASK: %s", sub);
    return RATLS_OK;
}

static ratls_status check_crl(X509 *ark, const uint8_t *body, size_t len, int64_t now, snp_kds_info *info, char *err,
                              size_t errlen)
{
    X509_CRL *crl = snp_load_crl(body, len);
    if (!crl)
        return set_err(err, errlen, RATLS_ERR_CRL_FORMAT, "the CRL is not one DER or PEM CRL");
    int64_t last = 0, next = 0;
    ratls_status st = snp_crl_check(crl, ark, now, &last, &next, err, errlen);
    X509_CRL_free(crl);
    if (st == RATLS_OK) {
        info->issued = last;
        info->from = last;
        info->to = next - 1;
    }
    return st;
}

static ratls_status check_vcek(X509 *ark, X509 *ask, const snp_kds_want *w, const uint8_t *body, size_t len,
                               int64_t now, snp_kds_info *info, char *err, size_t errlen)
{
    STACK_OF(X509) *sk = sk_X509_new_null();
    if (!sk)
        return set_err(err, errlen, RATLS_ERR_NO_MEMORY, "out of memory");
    ratls_status st = RATLS_OK;
    snp_vek_info vi;
    char sub[256] = "";
    if (snp_load_certs(body, len, sk) != 0 || sk_X509_num(sk) != 1) {
        st = set_err(err, errlen, RATLS_ERR_CERT_CHAIN, "the VCEK is not one DER certificate");
        goto out;
    }
    X509 *vek = sk_X509_value(sk, 0), *mid = NULL;
    STACK_OF(X509) *via = sk_X509_new_null();
    if (!via || !sk_X509_push(via, ask))
        st = set_err(err, errlen, RATLS_ERR_NO_MEMORY, "out of memory");
    else if ((st = snp_verify_path(ark, via, vek, 2, now, "0 = VCEK, 1 = ASK, 2 = ARK", &mid, sub, sizeof sub)))
        st = set_err(err, errlen, st, "the VCEK: %s", sub);
    else if (mid != ask)
        st = set_err(err, errlen, RATLS_ERR_CERT_CHAIN, "the VCEK: the path does not run through the chain's ASK");
    sk_X509_free(via);
    if (st)
        goto out;
    if ((st = snp_vek_info_parse(vek, &vi, sub, sizeof sub))) {
        st = set_err(err, errlen, st, "the VCEK's AMD extensions: %s", sub);
        goto out;
    }
    if (vi.has_csp_id) {
        st = set_err(err, errlen, RATLS_ERR_COLLATERAL_MISMATCH, "the certificate is a VLEK (CSP %s), not a VCEK",
                     vi.csp_id);
        goto out;
    }
    if (vi.product_name[0] && vi.product != w->product) {
        st = set_err(err, errlen, RATLS_ERR_COLLATERAL_MISMATCH, "the VCEK is for product \"%s\", not %s",
                     vi.product_name, ratls_snp_product_name(w->product));
        goto out;
    }
    int turin = w->product == RATLS_SNP_PRODUCT_TURIN;
    size_t hlen = turin ? 8 : 64;
    if (vi.hwid_len != hlen || CRYPTO_memcmp(vi.hwid, w->chip_id, hlen) != 0) {
        char got[129] = "";
        hex_encode(vi.hwid, vi.hwid_len, got);
        st = set_err(err, errlen, RATLS_ERR_COLLATERAL_MISMATCH, "the VCEK is for another chip (HWID %.32s%s)",
                     vi.hwid_len ? got : "absent", vi.hwid_len > 16 ? "..." : "");
        goto out;
    }
    snp_tcb t;
    snp_tcb_split(w->reported_tcb, w->product, &t);
    static const char *const names[SNP_SPL_COUNT] = {"bootloader", "tee", "snp", "microcode", "fmc"};
    const uint8_t want[SNP_SPL_COUNT] = {t.bl, t.tee, t.snp, t.ucode, t.fmc};
    for (unsigned i = 0; i < (turin ? SNP_SPL_COUNT : SNP_SPL_FMC); i++) {
        if (!vi.has_spl[i] || vi.spl[i] != want[i]) {
            st = set_err(err, errlen, RATLS_ERR_SNP_TCB_MISMATCH, "the VCEK's %s SPL is %s%u, the TCB asked for has %u",
                         names[i], vi.has_spl[i] ? "" : "absent/", vi.spl[i], want[i]);
            goto out;
        }
    }
    int64_t nb, na;
    if (cert_window(vek, &nb, &na) != 0) {
        st = set_err(err, errlen, RATLS_ERR_CERT_CHAIN, "the VCEK's validity dates are unreadable");
        goto out;
    }
    info->issued = nb;
    if (nb > info->from)
        info->from = nb;
    if (na < info->to)
        info->to = na;
out:
    sk_X509_pop_free(sk, X509_free);
    return st;
}

ratls_status snp_kds_item_verify(snp_kds_kind kind, const uint8_t ark_pin[32], const snp_kds_want *want,
                                 const uint8_t *chain, size_t chain_len, const uint8_t *body, size_t len, int64_t now,
                                 snp_kds_info *info, char *err, size_t errlen)
{
    memset(info, 0, sizeof *info);
    if (!ark_pin || (kind == SNP_KDS_ITEM_VCEK && !want))
        return set_err(err, errlen, RATLS_ERR_INVALID_ARGUMENT, "no ARK pin or no VCEK parameters");
    if (kind == SNP_KDS_ITEM_CHAIN) {
        chain = body;
        chain_len = len;
    }
    STACK_OF(X509) *sk = sk_X509_new_null();
    if (!sk)
        return set_err(err, errlen, RATLS_ERR_NO_MEMORY, "out of memory");
    X509 *ark, *ask;
    int64_t nb[2] = {0, 0}, na[2] = {0, 0};
    ratls_status st = load_chain(ark_pin, chain, chain_len, now, sk, &ark, &ask, err, errlen);
    if (st == RATLS_OK && (cert_window(ark, &nb[0], &na[0]) != 0 || cert_window(ask, &nb[1], &na[1]) != 0))
        st = set_err(err, errlen, RATLS_ERR_CERT_CHAIN, "the chain's validity dates are unreadable");
    if (st == RATLS_OK) {
        info->from = nb[0] > nb[1] ? nb[0] : nb[1];
        info->to = na[0] < na[1] ? na[0] : na[1];
        info->issued = info->from;
        if (kind == SNP_KDS_ITEM_CRL)
            st = check_crl(ark, body, len, now, info, err, errlen);
        else if (kind == SNP_KDS_ITEM_VCEK)
            st = check_vcek(ark, ask, want, body, len, now, info, err, errlen);
    } else if (kind != SNP_KDS_ITEM_CHAIN && err && errlen) {
        char sub[400];
        snprintf(sub, sizeof sub, "%s", err);
        st = set_err(err, errlen, st, "the cached certificate chain: %s", sub);
    }
    sk_X509_pop_free(sk, X509_free);
    ERR_clear_error();
    if (st)
        memset(info, 0, sizeof *info);
    return st;
}
