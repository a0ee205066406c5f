/*
 * libFuzzer target: the certificate layer. The same bytes go to
 *   - the strict PEM chain parser (at most 8 certificates, as for the quote's
 *     PCK chain); what parses must survive a PEM round trip;
 *   - the strict DER certificate parser and the DER CRL parser, whose results
 *     must lie inside their input and agree with OpenSSL's reading of the
 *     same bytes (validity, key, names, serials); then the chain, CRL and SGX
 *     extension checks run against the fixture's test root and root CRL.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "base/util.h"
#include "crypto/crypto.h"
#include "fuzz_common.h"
#include "tdx/collateral.h"
#include "tdx/pem_chain.h"
#include "tdx/sgx_ext.h"

#define MAX_CERTS 8

static const fuzz_fixture *g_fx;
static rcert *g_root;

static int inside(const uint8_t *base, size_t len, const uint8_t *p, size_t n)
{
    return p == NULL ? n == 0 : p >= base && n <= len && (size_t)(p - base) <= len - n;
}

static int64_t asn1_unix(const ASN1_TIME *t)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    FUZZ_CHECK(t != NULL && ASN1_TIME_to_tm(t, &tm) == 1);
    return utc_from_fields(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* An INTEGER's contents as OpenSSL re-encodes them (minimal two's complement). */
static int same_integer(const ASN1_INTEGER *ai, const uint8_t *p, size_t n)
{
    unsigned char *der = NULL;
    int len = i2d_ASN1_INTEGER(ai, &der);
    int same = len >= 2 && (size_t)len == n + 2 && memcmp(der + 2, p, n) == 0;
    OPENSSL_free(der);
    return same;
}

static int same_name(const X509_NAME *nm, const uint8_t *p, size_t n)
{
    const unsigned char *der = NULL;
    size_t len = 0;
    return X509_NAME_get0_der(nm, &der, &len) == 1 && len == n && memcmp(der, p, n) == 0;
}

static void pem_chain(const uint8_t *data, size_t size)
{
    rchain ch = {{0}, 0};
    char err[256] = "";
    ratls_status s = pem_chain_parse(data, size, MAX_CERTS, &ch, err, sizeof err);
    FUZZ_CHECK(memchr(err, 0, sizeof err) != NULL);
    if (s != RATLS_OK) {
        FUZZ_CHECK(ch.n == 0);
        FUZZ_CHECK((s == RATLS_ERR_PEM_CHAIN || s == RATLS_ERR_TOO_LARGE) && err[0] != '\0');
        return;
    }
    FUZZ_CHECK(ch.n >= 1 && ch.n <= MAX_CERTS);

    /* Round trip through OpenSSL's PEM writer: the same certificates, byte for byte. */
    BIO *b = BIO_new(BIO_s_mem());
    FUZZ_CHECK(b != NULL);
    for (size_t i = 0; i < ch.n; i++)
        FUZZ_CHECK(PEM_write_bio(b, "CERTIFICATE", "", ch.c[i]->der, (long)ch.c[i]->der_len) > 0);
    char *pem = NULL;
    long len = BIO_get_mem_data(b, &pem);
    rchain ch2 = {{0}, 0};
    FUZZ_CHECK(len > 0 &&
               pem_chain_parse((const uint8_t *)pem, (size_t)len, MAX_CERTS, &ch2, err, sizeof err) == RATLS_OK);
    FUZZ_CHECK(ch2.n == ch.n);
    for (size_t i = 0; i < ch.n; i++)
        FUZZ_CHECK(rcert_same(ch.c[i], ch2.c[i]));
    rchain_free(&ch2);
    BIO_free(b);

    /* Adjacent pairs as a chain, as the verifier walks them. */
    for (size_t i = 0; i + 1 < ch.n; i++)
        (void)rcert_verify_issued(ch.c[i], ch.c[i + 1], err, sizeof err);
    rchain_free(&ch);
    FUZZ_CHECK(ch.n == 0);
}

static void der_cert(const uint8_t *data, size_t size)
{
    rcert *c = NULL;
    char err[256] = "";
    ratls_status s = rcert_parse(data, size, &c, err, sizeof err);
    FUZZ_CHECK((s == RATLS_OK) == (c != NULL));
    FUZZ_CHECK(memchr(err, 0, sizeof err) != NULL);
    if (!c) {
        FUZZ_CHECK(s == RATLS_ERR_CERT_CHAIN && err[0] != '\0');
        return;
    }
    FUZZ_CHECK(c->der_len == size && memcmp(c->der, data, size) == 0);
    FUZZ_CHECK(inside(c->der, c->der_len, c->tbs, c->tbs_len) && c->tbs_len > 0);
    FUZZ_CHECK(inside(c->der, c->der_len, c->serial, c->serial_len) && c->serial_len > 0);
    FUZZ_CHECK(inside(c->der, c->der_len, c->issuer, c->issuer_len));
    FUZZ_CHECK(inside(c->der, c->der_len, c->subject, c->subject_len));
    FUZZ_CHECK(inside(c->der, c->der_len, c->skid, c->skid_len));
    FUZZ_CHECK(inside(c->der, c->der_len, c->akid, c->akid_len));
    FUZZ_CHECK(inside(c->der, c->der_len, c->sgx_ext, c->sgx_ext_len));
    FUZZ_CHECK(memchr(c->cn, 0, sizeof c->cn) && memchr(c->org, 0, sizeof c->org));
    FUZZ_CHECK(c->key != NULL && c->point[0] == 0x04);

    /* What we accept, OpenSSL accepts, and reads the same way. */
    const unsigned char *p = data;
    X509 *x = d2i_X509(NULL, &p, (long)size);
    FUZZ_CHECK(x != NULL && p == data + size);
    FUZZ_CHECK(asn1_unix(X509_get0_notBefore(x)) == c->not_before);
    FUZZ_CHECK(asn1_unix(X509_get0_notAfter(x)) == c->not_after);
    FUZZ_CHECK(same_integer(X509_get0_serialNumber(x), c->serial, c->serial_len));
    FUZZ_CHECK(same_name(X509_get_issuer_name(x), c->issuer, c->issuer_len));
    FUZZ_CHECK(same_name(X509_get_subject_name(x), c->subject, c->subject_len));
    const ASN1_BIT_STRING *key = X509_get0_pubkey_bitstr(x);
    FUZZ_CHECK(key != NULL && ASN1_STRING_length(key) == 65 && memcmp(ASN1_STRING_get0_data(key), c->point, 65) == 0);
    X509_free(x);

    char buf[300];
    rcert_describe(c, buf, sizeof buf);
    (void)rcert_cn_contains(c, "CA");
    (void)rcert_check_time(c, FUZZ_NOW, "certificate", err, sizeof err);
    (void)rcert_verify_issued(c, g_root, err, sizeof err);
    (void)rcert_verify_issued(c, c, err, sizeof err);
    (void)rcrl_lists(g_fx->collateral->root_crl, c);
    (void)rcrl_lists(g_fx->collateral->pck_crl, c);
    (void)intel_root_matches(c);
    if (c->sgx_ext) {
        sgx_ext e;
        (void)sgx_ext_parse(c->sgx_ext, c->sgx_ext_len, &e, err, sizeof err);
    }
    rcert_free(c);
}

static void der_crl(const uint8_t *data, size_t size)
{
    rcrl *crl = NULL;
    char err[256] = "";
    ratls_status s = rcrl_parse(data, size, &crl, err, sizeof err);
    FUZZ_CHECK((s == RATLS_OK) == (crl != NULL));
    FUZZ_CHECK(memchr(err, 0, sizeof err) != NULL);
    if (!crl) {
        FUZZ_CHECK(s == RATLS_ERR_CRL_FORMAT && err[0] != '\0');
        return;
    }
    FUZZ_CHECK(crl->der_len == size && memcmp(crl->der, data, size) == 0);
    FUZZ_CHECK(inside(crl->der, crl->der_len, crl->tbs, crl->tbs_len) && crl->tbs_len > 0);
    FUZZ_CHECK(inside(crl->der, crl->der_len, crl->issuer, crl->issuer_len));
    for (size_t i = 0; i < crl->nrevoked; i++)
        FUZZ_CHECK(inside(crl->der, crl->der_len, crl->revoked[i], crl->revoked_len[i]) && crl->revoked_len[i] > 0);

    const unsigned char *p = data;
    X509_CRL *x = d2i_X509_CRL(NULL, &p, (long)size);
    FUZZ_CHECK(x != NULL && p == data + size);
    FUZZ_CHECK(asn1_unix(X509_CRL_get0_lastUpdate(x)) == crl->this_update);
    FUZZ_CHECK(asn1_unix(X509_CRL_get0_nextUpdate(x)) == crl->next_update);
    FUZZ_CHECK(same_name(X509_CRL_get_issuer(x), crl->issuer, crl->issuer_len));
    STACK_OF(X509_REVOKED) *rev = X509_CRL_get_REVOKED(x);
    FUZZ_CHECK((size_t)(rev ? sk_X509_REVOKED_num(rev) : 0) == crl->nrevoked); /* NULL: no entries */
    X509_CRL_free(x);

    (void)rcrl_check(crl, g_root, FUZZ_NOW, "CRL", err, sizeof err);
    (void)rcrl_lists(crl, g_root);
    rcrl_free(crl);
}

static void free_root(void) { rcert_free(g_root); }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!g_fx) {
        g_fx = fuzz_fixture_get();
        char err[256];
        FUZZ_CHECK(rcert_parse(g_fx->root_der, g_fx->root_der_len, &g_root, err, sizeof err) == RATLS_OK);
        atexit(free_root);
    }
    fuzz_poison_stack();
    pem_chain(data, size);
    fuzz_poison_stack();
    der_cert(data, size);
    fuzz_poison_stack();
    der_crl(data, size);
    ERR_clear_error();
    return 0;
}
