#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/x509v3.h>

#include "base/util.h"
#include "crypto/crypto.h"

int asn1_time_to_unix(const ASN1_TIME *t, int64_t *out)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
        return -1;
    *out = utc_from_fields(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return 0;
}

int cert_validity(const X509 *x, int64_t *nb, int64_t *na)
{
    if (asn1_time_to_unix(X509_get0_notBefore(x), nb) || asn1_time_to_unix(X509_get0_notAfter(x), na))
        return -1;
    return 0;
}

void cert_cn(const X509 *x, char *buf, size_t n)
{
    buf[0] = '\0';
    X509_NAME *nm = X509_get_subject_name(x);
    if (!nm || X509_NAME_get_text_by_NID(nm, NID_commonName, buf, (int)n) < 0)
        snprintf(buf, n, "(no CN)");
}

int cert_cn_contains(const X509 *x, const char *needle)
{
    char cn[256];
    X509_NAME *nm = X509_get_subject_name(x);
    if (!nm)
        return 0;
    /* exactly one CN */
    int idx = X509_NAME_get_index_by_NID(nm, NID_commonName, -1);
    if (idx < 0 || X509_NAME_get_index_by_NID(nm, NID_commonName, idx) >= 0)
        return 0;
    if (X509_NAME_get_text_by_NID(nm, NID_commonName, cn, (int)sizeof cn) < 0)
        return 0;
    return strstr(cn, needle) != NULL;
}

ratls_status cert_verify_issued(X509 *child, X509 *issuer, char *err, size_t errlen)
{
    char a[128], b[128];
    cert_cn(child, a, sizeof a);
    cert_cn(issuer, b, sizeof b);
    int rc = X509_check_issued(issuer, child);
    if (rc != X509_V_OK)
        return set_err(err, errlen, RATLS_ERR_CERT_CHAIN, "\"%s\" was not issued by \"%s\" (%s)", a, b,
                       X509_verify_cert_error_string(rc));
    if (X509_check_ca(issuer) != 1)
        return set_err(err, errlen, RATLS_ERR_CERT_CHAIN, "issuer \"%s\" is not a CA certificate", b);
    EVP_PKEY *k = X509_get0_pubkey(issuer);
    if (!k || X509_verify(child, k) != 1)
        return set_err(err, errlen, RATLS_ERR_CERT_CHAIN, "signature on \"%s\" does not verify with \"%s\"'s key", a, b);
    return RATLS_OK;
}

ratls_status cert_check_time(const X509 *x, int64_t now, const char *what, char *err, size_t errlen)
{
    int64_t nb, na;
    char t[32];
    if (cert_validity(x, &nb, &na))
        return set_err(err, errlen, RATLS_ERR_CERT_CHAIN, "%s has an unreadable validity period", what);
    if (now < nb) {
        format_iso8601_utc(nb, t);
        return set_err(err, errlen, RATLS_ERR_CERT_NOT_YET_VALID, "%s is not valid before %s", what, t);
    }
    if (now > na) {
        format_iso8601_utc(na, t);
        return set_err(err, errlen, RATLS_ERR_CERT_EXPIRED, "%s expired at %s", what, t);
    }
    return RATLS_OK;
}

ratls_status crl_check(X509_CRL *crl, X509 *issuer, int64_t now, const char *what, int64_t *this_upd,
                       int64_t *next_upd, char *err, size_t errlen)
{
    char t[32];
    if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(issuer)) != 0)
        return set_err(err, errlen, RATLS_ERR_CRL_ISSUER, "%s is not issued by the certificate's issuer", what);
    EVP_PKEY *k = X509_get0_pubkey(issuer);
    if (!k || X509_CRL_verify(crl, k) != 1)
        return set_err(err, errlen, RATLS_ERR_CRL_SIGNATURE, "%s signature does not verify", what);
    const ASN1_TIME *nu = X509_CRL_get0_nextUpdate(crl);
    if (!nu) /* a CRL without nextUpdate never expires: refuse it */
        return set_err(err, errlen, RATLS_ERR_CRL_FORMAT, "%s has no nextUpdate", what);
    if (asn1_time_to_unix(X509_CRL_get0_lastUpdate(crl), this_upd) || asn1_time_to_unix(nu, next_upd))
        return set_err(err, errlen, RATLS_ERR_CRL_FORMAT, "%s has unreadable dates", what);
    if (now < *this_upd) {
        format_iso8601_utc(*this_upd, t);
        return set_err(err, errlen, RATLS_ERR_CRL_NOT_YET_VALID, "%s is not valid before %s", what, t);
    }
    if (now > *next_upd) {
        format_iso8601_utc(*next_upd, t);
        return set_err(err, errlen, RATLS_ERR_CRL_EXPIRED, "%s expired at %s (nextUpdate)", what, t);
    }
    return RATLS_OK;
}

int crl_lists(X509_CRL *crl, X509 *x)
{
    X509_REVOKED *rev = NULL;
    return X509_CRL_get0_by_serial(crl, &rev, X509_get0_serialNumber(x)) == 1;
}
