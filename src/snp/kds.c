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
#include "snp/snp.h"

static int cert_window(X509 *x, int64_t *nb, int64_t *na)
{
    return snp_asn1_unix(X509_get0_notBefore(x), nb) == 0 && snp_asn1_unix(X509_get0_notAfter(x), na) == 0 ? 0 : -1;
}

/* Verify `leaf` up to the trusted `ark` (ARK self-signature included) at
 * now, through `mid` when not NULL; the path must be exactly leaf (<- mid)
 * <- ark. */
static ratls_status verify_path(X509 *ark, X509 *mid, X509 *leaf, int64_t now, const char *what, char *err,
                                size_t errlen)
{
    ratls_status st = RATLS_ERR_NO_MEMORY;
    X509_STORE *store = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    STACK_OF(X509) *untrusted = sk_X509_new_null();
    if (!store || !ctx || !untrusted || !X509_STORE_add_cert(store, ark) || (mid && !sk_X509_push(untrusted, mid)) ||
        !X509_STORE_CTX_init(ctx, store, leaf, untrusted)) {
        set_err(err, errlen, st, "out of memory");
        goto out;
    }
    X509_VERIFY_PARAM *vp = X509_STORE_CTX_get0_param(ctx);
    X509_VERIFY_PARAM_set_time(vp, (time_t)now);
    X509_VERIFY_PARAM_set_flags(vp, X509_V_FLAG_CHECK_SS_SIGNATURE);
    X509_VERIFY_PARAM_set_depth(vp, mid ? 2 : 1);
    if (X509_verify_cert(ctx) != 1) {
        int e = X509_STORE_CTX_get_error(ctx);
        st =
            set_err(err, errlen, snp_map_x509_err(e), "%s: %s at depth %d (%s)", what, X509_verify_cert_error_string(e),
                    X509_STORE_CTX_get_error_depth(ctx), mid ? "0 = VCEK, 1 = ASK, 2 = ARK" : "0 = ASK, 1 = ARK");
        goto out;
    }
    STACK_OF(X509) *path = X509_STORE_CTX_get0_chain(ctx);
    int n = mid ? 3 : 2;
    if (sk_X509_num(path) != n || sk_X509_value(path, n - 1) != ark || (mid && sk_X509_value(path, 1) != mid)) {
        st = set_err(err, errlen, RATLS_ERR_CERT_CHAIN, "%s: the path is not %s", what,
                     mid ? "VCEK <- ASK <- ARK" : "ASK <- ARK");
        goto out;
    }
    st = RATLS_OK;
out:
    sk_X509_free(untrusted);
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    return st;
}

/* The chain body: exactly the pinned ARK and one CA it issued, valid at now. */
static ratls_status load_chain(const uint8_t pin[32], const uint8_t *buf, size_t len, int64_t now, STACK_OF(X509) * sk,
                               X509 **ark, X509 **ask, char *err, size_t errlen)
{
    *ark = *ask = NULL;
    if (!buf || snp_load_certs(buf, len, sk) != 0)
        return set_err(err, errlen, RATLS_ERR_CERT_CHAIN, "the certificate chain is not PEM certificates");
    if (sk_X509_num(sk) != 2)
        return set_err(err, errlen, RATLS_ERR_CERT_CHAIN,
                       "the certificate chain has %d certificates, not 2 (ASK and ARK)", sk_X509_num(sk));
    for (int i = 0; i < 2; i++) {
        uint8_t h[32];
        X509 *x = sk_X509_value(sk, i);
        if (snp_spki_sha256(x, h) != 0)
            return set_err(err, errlen, RATLS_ERR_CERT_CHAIN, "certificate %d of the chain has no readable key", i);
        if (!*ark && CRYPTO_memcmp(h, pin, 32) == 0)
            *ark = x;
        else
            *ask = x;
    }
    if (!*ark)
        return set_err(err, errlen, RATLS_ERR_UNTRUSTED_ROOT,
                       "no certificate of the chain carries the pinned ARK public key");
    ratls_status st = verify_path(*ark, NULL, *ask, now, "the ASK", err, errlen);
    if (st)
        return st;
    if (X509_check_ca(*ark) != 1 || X509_check_ca(*ask) != 1)
        return set_err(err, errlen, RATLS_ERR_CERT_CHAIN, "the ARK and the ASK must both be CA certificates");
    return RATLS_OK;
}

static ratls_status check_crl(X509 *ark, const uint8_t *body, size_t len, int64_t now, snp_kds_info *info, char *err,
                              size_t errlen)
{
    X509_CRL *crl = snp_load_crl(body, len);
    if (!crl)
        return set_err(err, errlen, RATLS_ERR_CRL_FORMAT, "the CRL is not one DER or PEM CRL");
    int64_t last = 0, next = 0;
    ratls_status st = RATLS_OK;
    if (X509_CRL_get_ext_by_critical(crl, 1, -1) >= 0) /* a delta CRL, a scoped CRL, or one not understood */
        st = set_err(err, errlen, RATLS_ERR_CRL_FORMAT, "the CRL has a critical extension ratls does not process");
    else if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(ark)) != 0)
        st = set_err(err, errlen, RATLS_ERR_CRL_ISSUER, "the CRL was not issued by the ARK");
    else if (X509_CRL_verify(crl, X509_get0_pubkey(ark)) != 1)
        st = set_err(err, errlen, RATLS_ERR_CRL_SIGNATURE, "the CRL's signature does not verify under the ARK");
    else if (snp_asn1_unix(X509_CRL_get0_lastUpdate(crl), &last) != 0 || !X509_CRL_get0_nextUpdate(crl) ||
             snp_asn1_unix(X509_CRL_get0_nextUpdate(crl), &next) != 0)
        st = set_err(err, errlen, RATLS_ERR_CRL_FORMAT, "the CRL has no readable lastUpdate and nextUpdate");
    else if (now < last)
        st = set_err(err, errlen, RATLS_ERR_CRL_NOT_YET_VALID, "the CRL is not valid before %lld (lastUpdate)",
                     (long long)last);
    else if (now >= next)
        st = set_err(err, errlen, RATLS_ERR_CRL_EXPIRED, "the CRL is past its nextUpdate (%lld)", (long long)next);
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
    X509 *vek = sk_X509_value(sk, 0);
    if ((st = verify_path(ark, ask, vek, now, "the VCEK", err, errlen)))
        goto out;
    if (X509_check_ca(vek) != 0) {
        st = set_err(err, errlen, RATLS_ERR_CERT_CHAIN, "the VCEK is a CA certificate");
        goto out;
    }
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
