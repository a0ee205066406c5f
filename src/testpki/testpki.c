/*
 * The project's simulated Intel DCAP PKI (see testpki.h). TEST ONLY.
 *
 * Keys and the self-signed root are made once per process; every call to
 * tp_generate() builds the intermediate and leaf certificates, the CRLs, the
 * signed JSON texts and the quote from the scenario. Signed JSON is written
 * byte by byte (not through a JSON library) so the signed text is exactly
 * what ends up in the collateral. The SGX extension is DER built by hand to
 * match Intel's shape entry for entry.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* pthread_once when built standalone */
#endif

#include "testpki/testpki.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "base/reader.h"

#define TP_DAY INT64_C(86400)
#define TP_YEAR (365 * TP_DAY)
#define TP_TCB_EVAL_NUMBER 17
#define TP_DEFAULT_TCB_DATE "2024-03-13T00:00:00Z"
#define TP_OLDER_TCB_DATE "2023-08-09T00:00:00Z"
#define TP_MAX_TRAILING (1u << 20)
#define TP_GBUF_MAX ((size_t)16 * 1024 * 1024) /* hard cap; real outputs are a few KiB */

/* Test names carry Intel's CNs (verifiers match on them) but say in O= that
 * they are not Intel's. */
#define TP_ORG "ratls test PKI (not Intel)"
#define TP_CN_ROOT "Intel SGX Root CA"
#define TP_CN_PLATFORM_CA "Intel SGX PCK Platform CA"
#define TP_CN_PROCESSOR_CA "Intel SGX PCK Processor CA"
#define TP_CN_PCK "Intel SGX PCK Certificate"
#define TP_CN_TCB "Intel SGX TCB Signing"
#define TP_URL_ROOT_CRL "URI:https://testpki.ratls.invalid/IntelSGXRootCA.der"
#define TP_URL_PLATFORM_CRL "URI:https://testpki.ratls.invalid/sgx/certification/v4/pckcrl?ca=platform&encoding=der"
#define TP_URL_PROCESSOR_CRL "URI:https://testpki.ratls.invalid/sgx/certification/v4/pckcrl?ca=processor&encoding=der"

/* Root validity is independent of any scenario (the root is made once):
 * 2000-01-01T00:00:00Z .. 2049-12-31T23:59:59Z (the last UTCTime year). */
#define TP_ROOT_NOT_BEFORE INT64_C(946684800)
#define TP_ROOT_NOT_AFTER INT64_C(2524607999)

static const uint8_t QE_VENDOR_ID[16] = {0x93, 0x9A, 0x72, 0x33, 0xF7, 0x9C, 0x4C, 0xA9,
                                         0x94, 0x0A, 0x0D, 0xB3, 0x95, 0x7F, 0x06, 0x07};
/* 1.2.840.113741.1.13.1, content octets */
static const uint8_t SGX_EXT_OID[9] = {0x2A, 0x86, 0x48, 0x86, 0xF8, 0x4D, 0x01, 0x0D, 0x01};
/* The real TD QE's MRSIGNER (public), so defaults look like Intel's identity. */
static const uint8_t QE_MRSIGNER[32] = {0xDC, 0x9E, 0x2A, 0x7C, 0x6F, 0x94, 0x8F, 0x17, 0x47, 0x4E, 0x34,
                                        0xA7, 0xFC, 0x43, 0xED, 0x03, 0x0F, 0x7C, 0x15, 0x63, 0xF1, 0xBA,
                                        0xBD, 0xDF, 0x63, 0x40, 0xC8, 0x2E, 0x0E, 0x54, 0xA8, 0xC5};

/* ------------------------------------------------------------------ */
/* Growable byte buffer. Errors are sticky: check b->err once at the end. */
/* ------------------------------------------------------------------ */
typedef struct gbuf {
    uint8_t *p;
    size_t len;
    size_t cap;
    int err;
} gbuf;

static int gb_reserve(gbuf *b, size_t n)
{
    if (b->err)
        return -1;
    if (n > TP_GBUF_MAX - b->len) {
        b->err = 1;
        return -1;
    }
    if (b->len + n <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n)
        cap *= 2;
    uint8_t *np = realloc(b->p, cap);
    if (np == NULL) {
        b->err = 1;
        return -1;
    }
    b->p = np;
    b->cap = cap;
    return 0;
}

static void gb_free(gbuf *b)
{
    free(b->p);
    memset(b, 0, sizeof(*b));
}

static void gb_put(gbuf *b, const void *data, size_t n)
{
    if (n == 0 || gb_reserve(b, n) != 0)
        return;
    memcpy(b->p + b->len, data, n);
    b->len += n;
}

static void gb_zero(gbuf *b, size_t n)
{
    if (n == 0 || gb_reserve(b, n) != 0)
        return;
    memset(b->p + b->len, 0, n);
    b->len += n;
}

static void gb_u8(gbuf *b, uint8_t v) { gb_put(b, &v, 1); }

static void gb_le16(gbuf *b, uint16_t v)
{
    uint8_t t[2];
    put_le16(t, v);
    gb_put(b, t, 2);
}

static void gb_le32(gbuf *b, uint32_t v)
{
    uint8_t t[4];
    put_le32(t, v);
    gb_put(b, t, 4);
}

static void gb_str(gbuf *b, const char *s) { gb_put(b, s, strlen(s)); }

__attribute__((format(printf, 2, 3))) static void gb_printf(gbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->err = 1;
        return;
    }
    /* +1 for vsnprintf's NUL, which is then overwritten by later output */
    if (gb_reserve(b, (size_t)n + 1) != 0)
        return;
    va_start(ap, fmt);
    vsnprintf((char *)b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

static void gb_hex(gbuf *b, const uint8_t *data, size_t n, int upper)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    if (gb_reserve(b, 2 * n) != 0)
        return;
    for (size_t i = 0; i < n; i++) {
        b->p[b->len++] = (uint8_t)digits[data[i] >> 4];
        b->p[b->len++] = (uint8_t)digits[data[i] & 15];
    }
}

/* A JSON string literal. Escaping keeps the output valid JSON whatever a
 * test puts in a status or id string. */
static void gb_json_str(gbuf *b, const char *s, size_t n)
{
    gb_u8(b, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            gb_u8(b, '\\');
            gb_u8(b, c);
        } else if (c == '\n') {
            gb_str(b, "\\n");
        } else if (c < 0x20) {
            gb_printf(b, "\\u%04x", (unsigned)c);
        } else {
            gb_u8(b, c);
        }
    }
    gb_u8(b, '"');
}

static void gb_json_cstr(gbuf *b, const char *s) { gb_json_str(b, s, strlen(s)); }

/* Hand the contents over as a NUL-terminated string; *len excludes the NUL. */
static char *gb_take_text(gbuf *b, size_t *len)
{
    gb_u8(b, 0);
    if (b->err)
        return NULL;
    char *s = (char *)b->p;
    *len = b->len - 1;
    memset(b, 0, sizeof(*b));
    return s;
}

/* ------------------------------------------------------------------ */
/* Minimal DER writer: open a constructed TLV, write its content, close it
 * (the length is patched in, moving the content when it needs long form). */
/* ------------------------------------------------------------------ */
static size_t der_open(gbuf *b, uint8_t tag)
{
    size_t at = b->len;
    gb_u8(b, tag);
    gb_u8(b, 0);
    return at;
}

static void der_close(gbuf *b, size_t at)
{
    if (b->err)
        return;
    size_t clen = b->len - at - 2;
    if (clen < 0x80) {
        b->p[at + 1] = (uint8_t)clen;
        return;
    }
    uint8_t lb[sizeof(size_t)];
    size_t n = 0;
    for (size_t v = clen; v != 0; v >>= 8)
        lb[n++] = (uint8_t)v;
    if (gb_reserve(b, n) != 0)
        return;
    memmove(b->p + at + 2 + n, b->p + at + 2, clen);
    b->p[at + 1] = (uint8_t)(0x80u | n);
    for (size_t i = 0; i < n; i++)
        b->p[at + 2 + i] = lb[n - 1 - i];
    b->len += n;
}

static void der_prim(gbuf *b, uint8_t tag, const uint8_t *data, size_t n)
{
    size_t at = der_open(b, tag);
    gb_put(b, data, n);
    der_close(b, at);
}

/* INTEGER, minimal two's complement of a non-negative value. */
static void der_uint(gbuf *b, unsigned v)
{
    uint8_t t[sizeof(unsigned) + 1];
    size_t n = 0;
    do {
        t[sizeof(t) - 1 - n++] = (uint8_t)v;
        v >>= 8;
    } while (v != 0);
    if (t[sizeof(t) - n] & 0x80)
        t[sizeof(t) - 1 - n++] = 0;
    der_prim(b, 0x02, t + sizeof(t) - n, n);
}

/* OID 1.2.840.113741.1.13.1.<a>[.<b>] (all arcs used here are < 128). */
static void der_sgx_oid(gbuf *b, uint8_t a, uint8_t sub)
{
    size_t at = der_open(b, 0x06);
    gb_put(b, SGX_EXT_OID, sizeof(SGX_EXT_OID));
    gb_u8(b, a);
    if (sub != 0)
        gb_u8(b, sub);
    der_close(b, at);
}

/* SEQUENCE { OID, primitive value } */
static void der_sgx_entry(gbuf *b, uint8_t a, uint8_t sub, uint8_t tag, const uint8_t *v, size_t n)
{
    size_t at = der_open(b, 0x30);
    der_sgx_oid(b, a, sub);
    der_prim(b, tag, v, n);
    der_close(b, at);
}

/* The SGX extension value in Intel's order: PPID, TCB, PCE-ID, FMSPC, SGX
 * type, and for Platform-CA leaves PlatformInstanceID and Configuration. */
static void build_sgx_ext(gbuf *b, const tp_scenario *s)
{
    static const uint8_t ppid[16] = {0x7A, 0x0B, 0x11, 0x42, 0x5E, 0x63, 0x01, 0x9C,
                                     0xA4, 0x27, 0x38, 0xD0, 0x6B, 0x15, 0xE9, 0x2F};
    static const uint8_t instance_id[16] = {0x3C, 0x91, 0x5D, 0x0E, 0x72, 0xB8, 0x44, 0x06,
                                            0x19, 0xAF, 0xC3, 0x58, 0x2D, 0x67, 0x80, 0xF1};
    static const uint8_t bool_true = 0xFF;
    static const uint8_t sgx_type_standard = 0;

    size_t top = der_open(b, 0x30);
    der_sgx_entry(b, 1, 0, 0x04, ppid, sizeof(ppid));

    size_t tcb = der_open(b, 0x30);
    der_sgx_oid(b, 2, 0);
    size_t comps = der_open(b, 0x30);
    for (uint8_t i = 0; i < 16; i++) {
        size_t c = der_open(b, 0x30);
        der_sgx_oid(b, 2, (uint8_t)(i + 1));
        der_uint(b, s->pck_tcb_comp[i]);
        der_close(b, c);
    }
    size_t pce = der_open(b, 0x30);
    der_sgx_oid(b, 2, 17);
    der_uint(b, s->pck_pcesvn);
    der_close(b, pce);
    der_sgx_entry(b, 2, 18, 0x04, s->pck_cpusvn, 16);
    der_close(b, comps);
    der_close(b, tcb);

    der_sgx_entry(b, 3, 0, 0x04, s->pck_pceid, 2);
    der_sgx_entry(b, 4, 0, 0x04, s->pck_fmspc, 6);
    der_sgx_entry(b, 5, 0, 0x0A, &sgx_type_standard, 1);
    if (!s->processor_ca) {
        der_sgx_entry(b, 6, 0, 0x04, instance_id, sizeof(instance_id));
        size_t cfg = der_open(b, 0x30);
        der_sgx_oid(b, 7, 0);
        size_t flags = der_open(b, 0x30);
        for (uint8_t i = 1; i <= 3; i++) /* dynamicPlatform, cachedKeys, smtEnabled */
            der_sgx_entry(b, 7, i, 0x01, &bool_true, 1);
        der_close(b, flags);
        der_close(b, cfg);
    }
    der_close(b, top);
}

/* ------------------------------------------------------------------ */
/* Time                                                                 */
/* ------------------------------------------------------------------ */

/* "YYYY-MM-DDTHH:MM:SSZ" without the C library's time_t range limits
 * (days-to-civil conversion after H. Hinnant). */
static void fmt_time(int64_t t, char out[64])
{
    int64_t days = t / TP_DAY, secs = t % TP_DAY;
    if (secs < 0) {
        secs += TP_DAY;
        days--;
    }
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    int64_t y = yoe + era * 400 + (m <= 2);
    snprintf(out, 64, "%04lld-%02d-%02dT%02d:%02d:%02dZ", (long long)y, (int)m, (int)d, (int)(secs / 3600),
             (int)(secs / 60 % 60), (int)(secs % 60));
}

static ASN1_TIME *asn1_time(int64_t t)
{
    /* UTCTime through 2049, GeneralizedTime after, as RFC 5280 asks */
    return ASN1_TIME_set(NULL, (time_t)t);
}

/* ------------------------------------------------------------------ */
/* Keys, signatures                                                     */
/* ------------------------------------------------------------------ */
typedef struct tp_key {
    EVP_PKEY *pkey;
    uint8_t pub[65]; /* 04 || x || y */
    uint8_t skid[20];
} tp_key;

static int key_init(tp_key *k)
{
    size_t n = 0;
    k->pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    if (k->pkey == NULL)
        return -1;
    if (EVP_PKEY_get_octet_string_param(k->pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, k->pub, sizeof(k->pub), &n) != 1 ||
        n != sizeof(k->pub) || k->pub[0] != 0x04)
        return -1;
    /* RFC 5280 4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits */
    if (EVP_Digest(k->pub, sizeof(k->pub), k->skid, NULL, EVP_sha1(), NULL) != 1)
        return -1;
    return 0;
}

/* ECDSA P-256 / SHA-256, returned as Intel encodes it: raw r || s. */
static int sign_raw(const tp_key *k, const uint8_t *msg, size_t len, uint8_t out[64])
{
    uint8_t der[128];
    size_t dlen = sizeof(der);
    ECDSA_SIG *sig = NULL;
    int rc = -1;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (md == NULL || EVP_DigestSignInit_ex(md, NULL, "SHA256", NULL, NULL, k->pkey, NULL) != 1 ||
        EVP_DigestSign(md, der, &dlen, msg, len) != 1)
        goto out;
    const uint8_t *p = der;
    sig = d2i_ECDSA_SIG(NULL, &p, (long)dlen);
    if (sig == NULL)
        goto out;
    const BIGNUM *r = NULL, *sv = NULL;
    ECDSA_SIG_get0(sig, &r, &sv);
    if (BN_bn2binpad(r, out, 32) != 32 || BN_bn2binpad(sv, out + 32, 32) != 32)
        goto out;
    rc = 0;
out:
    ECDSA_SIG_free(sig);
    EVP_MD_CTX_free(md);
    return rc;
}

/* Random positive 20-byte serial (like Intel's); the set top-but-one bit
 * keeps it non-zero and of fixed length. */
static ASN1_INTEGER *random_serial(void)
{
    uint8_t b[20];
    if (RAND_bytes(b, sizeof(b)) != 1)
        return NULL;
    b[0] = (uint8_t)((b[0] & 0x7F) | 0x40);
    BIGNUM *bn = BN_bin2bn(b, sizeof(b), NULL);
    if (bn == NULL)
        return NULL;
    ASN1_INTEGER *ai = BN_to_ASN1_INTEGER(bn, NULL);
    BN_free(bn);
    return ai;
}

/* ------------------------------------------------------------------ */
/* Certificates and CRLs                                                */
/* ------------------------------------------------------------------ */
static X509_NAME *make_name(const char *cn)
{
    X509_NAME *n = X509_NAME_new();
    if (n == NULL || X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0) != 1 ||
        X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8, (const unsigned char *)TP_ORG, -1, -1, 0) != 1 ||
        X509_NAME_add_entry_by_txt(n, "C", MBSTRING_ASC, (const unsigned char *)"US", -1, -1, 0) != 1) {
        X509_NAME_free(n);
        return NULL;
    }
    return n;
}

static int add_akid(X509 *x, X509_CRL *crl, const uint8_t skid[20])
{
    int rc = -1;
    AUTHORITY_KEYID *ak = AUTHORITY_KEYID_new();
    if (ak == NULL)
        return -1;
    ak->keyid = ASN1_OCTET_STRING_new();
    if (ak->keyid == NULL || ASN1_OCTET_STRING_set(ak->keyid, skid, 20) != 1)
        goto out;
    if (x != NULL ? X509_add1_ext_i2d(x, NID_authority_key_identifier, ak, 0, X509V3_ADD_DEFAULT) != 1
                  : X509_CRL_add1_ext_i2d(crl, NID_authority_key_identifier, ak, 0, X509V3_ADD_DEFAULT) != 1)
        goto out;
    rc = 0;
out:
    AUTHORITY_KEYID_free(ak);
    return rc;
}

static int add_crldp(X509 *x, const char *uri)
{
    X509_EXTENSION *ext = X509V3_EXT_nconf_nid(NULL, NULL, NID_crl_distribution_points, uri);
    int ok = ext != NULL && X509_add_ext(x, ext, -1) == 1;
    X509_EXTENSION_free(ext);
    return ok ? 0 : -1;
}

static int add_skid(X509 *x, const uint8_t skid[20])
{
    ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
    int ok = os != NULL && ASN1_OCTET_STRING_set(os, skid, 20) == 1 &&
             X509_add1_ext_i2d(x, NID_subject_key_identifier, os, 0, X509V3_ADD_DEFAULT) == 1;
    ASN1_OCTET_STRING_free(os);
    return ok ? 0 : -1;
}

static int add_key_usage(X509 *x, int is_ca)
{
    ASN1_BIT_STRING *ku = ASN1_BIT_STRING_new();
    int ok = ku != NULL;
    if (ok && is_ca) /* keyCertSign, cRLSign */
        ok = ASN1_BIT_STRING_set_bit(ku, 5, 1) == 1 && ASN1_BIT_STRING_set_bit(ku, 6, 1) == 1;
    else if (ok) /* digitalSignature, nonRepudiation, as on Intel's leaves */
        ok = ASN1_BIT_STRING_set_bit(ku, 0, 1) == 1 && ASN1_BIT_STRING_set_bit(ku, 1, 1) == 1;
    ok = ok && X509_add1_ext_i2d(x, NID_key_usage, ku, 1, X509V3_ADD_DEFAULT) == 1;
    ASN1_BIT_STRING_free(ku);
    return ok ? 0 : -1;
}

static int add_basic_constraints(X509 *x, int is_ca, int pathlen)
{
    BASIC_CONSTRAINTS *bc = BASIC_CONSTRAINTS_new();
    int ok = bc != NULL;
    if (ok && is_ca) {
        bc->ca = 0xFF;
        bc->pathlen = ASN1_INTEGER_new();
        ok = bc->pathlen != NULL && ASN1_INTEGER_set(bc->pathlen, pathlen) == 1;
    }
    ok = ok && X509_add1_ext_i2d(x, NID_basic_constraints, bc, 1, X509V3_ADD_DEFAULT) == 1;
    BASIC_CONSTRAINTS_free(bc);
    return ok ? 0 : -1;
}

static int add_sgx_ext(X509 *x, const uint8_t *der, size_t len)
{
    int ok = 0;
    ASN1_OBJECT *obj = OBJ_txt2obj("1.2.840.113741.1.13.1", 1);
    ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
    X509_EXTENSION *ext = NULL;
    if (obj != NULL && os != NULL && len <= INT32_MAX && ASN1_OCTET_STRING_set(os, der, (int)len) == 1)
        ext = X509_EXTENSION_create_by_OBJ(NULL, obj, 0, os);
    ok = ext != NULL && X509_add_ext(x, ext, -1) == 1;
    X509_EXTENSION_free(ext);
    ASN1_OCTET_STRING_free(os);
    ASN1_OBJECT_free(obj);
    return ok ? 0 : -1;
}

typedef struct cert_spec {
    const char *cn;
    int is_ca;
    int pathlen;
    const tp_key *key; /* subject key */
    const tp_key *issuer_key;
    const X509_NAME *issuer; /* NULL: self-signed */
    int64_t not_before;
    int64_t not_after;
    const char *crl_uri;    /* CRL distribution point ("URI:...") */
    const uint8_t *sgx_ext; /* SGX extension value, or NULL */
    size_t sgx_ext_len;
} cert_spec;

static X509 *make_cert(const cert_spec *cs)
{
    X509 *x = X509_new();
    X509_NAME *name = make_name(cs->cn);
    ASN1_INTEGER *serial = random_serial();
    ASN1_TIME *nb = asn1_time(cs->not_before), *na = asn1_time(cs->not_after);
    int ok = x != NULL && name != NULL && serial != NULL && nb != NULL && na != NULL &&
             X509_set_version(x, X509_VERSION_3) == 1 && X509_set_serialNumber(x, serial) == 1 &&
             X509_set_subject_name(x, name) == 1 &&
             X509_set_issuer_name(x, cs->issuer != NULL ? cs->issuer : name) == 1 && X509_set1_notBefore(x, nb) == 1 &&
             X509_set1_notAfter(x, na) == 1 && X509_set_pubkey(x, cs->key->pkey) == 1;
    /* Extension order as in Intel's certificates. */
    ok = ok && add_akid(x, NULL, cs->issuer_key->skid) == 0;
    ok = ok && (cs->crl_uri == NULL || add_crldp(x, cs->crl_uri) == 0);
    ok = ok && add_skid(x, cs->key->skid) == 0;
    ok = ok && add_key_usage(x, cs->is_ca) == 0;
    ok = ok && add_basic_constraints(x, cs->is_ca, cs->pathlen) == 0;
    ok = ok && (cs->sgx_ext == NULL || add_sgx_ext(x, cs->sgx_ext, cs->sgx_ext_len) == 0);
    ok = ok && X509_sign(x, cs->issuer_key->pkey, EVP_sha256()) > 0;
    ASN1_TIME_free(nb);
    ASN1_TIME_free(na);
    ASN1_INTEGER_free(serial);
    X509_NAME_free(name);
    if (!ok) {
        X509_free(x);
        return NULL;
    }
    return x;
}

static int add_revoked(X509_CRL *crl, ASN1_INTEGER *serial, ASN1_TIME *when)
{
    X509_REVOKED *r = X509_REVOKED_new();
    ASN1_ENUMERATED *reason = ASN1_ENUMERATED_new();
    int ok = r != NULL && reason != NULL && X509_REVOKED_set_serialNumber(r, serial) == 1 &&
             X509_REVOKED_set_revocationDate(r, when) == 1 &&
             ASN1_ENUMERATED_set(reason, 1 /* keyCompromise, as in Intel's CRLs */) == 1 &&
             X509_REVOKED_add1_ext_i2d(r, NID_crl_reason, reason, 0, X509V3_ADD_DEFAULT) == 1 &&
             X509_CRL_add0_revoked(crl, r) == 1;
    ASN1_ENUMERATED_free(reason);
    if (!ok) {
        X509_REVOKED_free(r);
        return -1;
    }
    return 0;
}

/* A v2 CRL by `key` for `issuer`, revoking `serials` (nrev of them), as DER. */
static int make_crl_der(const X509_NAME *issuer, const tp_key *key, tp_window w, int64_t now,
                        ASN1_INTEGER *const *serials, size_t nrev, uint8_t **der, size_t *der_len)
{
    X509_CRL *crl = X509_CRL_new();
    ASN1_TIME *tu = asn1_time(now + w.from_off), *nu = asn1_time(now + w.to_off);
    ASN1_INTEGER *num = ASN1_INTEGER_new();
    int ok = crl != NULL && tu != NULL && nu != NULL && num != NULL && ASN1_INTEGER_set(num, 1) == 1 &&
             X509_CRL_set_version(crl, X509_CRL_VERSION_2) == 1 && X509_CRL_set_issuer_name(crl, issuer) == 1 &&
             X509_CRL_set1_lastUpdate(crl, tu) == 1 && X509_CRL_set1_nextUpdate(crl, nu) == 1;
    for (size_t i = 0; ok && i < nrev; i++)
        ok = add_revoked(crl, serials[i], tu) == 0;
    ok = ok && X509_CRL_sort(crl) == 1;
    ok = ok && X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, X509V3_ADD_DEFAULT) == 1;
    ok = ok && add_akid(NULL, crl, key->skid) == 0;
    ok = ok && X509_CRL_sign(crl, key->pkey, EVP_sha256()) > 0;
    if (ok) {
        unsigned char *p = NULL;
        int n = i2d_X509_CRL(crl, &p);
        ok = n > 0 && p != NULL;
        if (ok) {
            *der = p;
            *der_len = (size_t)n;
        }
    }
    ASN1_INTEGER_free(num);
    ASN1_TIME_free(tu);
    ASN1_TIME_free(nu);
    X509_CRL_free(crl);
    return ok ? 0 : -1;
}

static int append_pem(gbuf *b, X509 *x)
{
    BIO *m = BIO_new(BIO_s_mem());
    char *p = NULL;
    long n = 0;
    int ok = m != NULL && PEM_write_bio_X509(m, x) == 1;
    if (ok) {
        n = BIO_get_mem_data(m, &p);
        ok = n > 0 && p != NULL;
    }
    if (ok)
        gb_put(b, p, (size_t)n);
    BIO_free(m);
    return ok && !b->err ? 0 : -1;
}

/* ------------------------------------------------------------------ */
/* The per-process PKI: keys and the self-signed root.                  */
/* ------------------------------------------------------------------ */
static struct {
    int ok;
    tp_key root, platform_ca, processor_ca, pck, tcb, att;
    X509 *root_cert;
    uint8_t *root_der;
    size_t root_der_len;
    char *root_pem;
    size_t root_pem_len;
} g_pki;
static pthread_once_t g_pki_once = PTHREAD_ONCE_INIT;

static int pki_build(void)
{
    tp_key *keys[] = {&g_pki.root, &g_pki.platform_ca, &g_pki.processor_ca, &g_pki.pck, &g_pki.tcb, &g_pki.att};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        if (key_init(keys[i]) != 0)
            return -1;
    cert_spec cs = {
        .cn = TP_CN_ROOT,
        .is_ca = 1,
        .pathlen = 1,
        .key = &g_pki.root,
        .issuer_key = &g_pki.root,
        .not_before = TP_ROOT_NOT_BEFORE,
        .not_after = TP_ROOT_NOT_AFTER,
        .crl_uri = TP_URL_ROOT_CRL,
    };
    g_pki.root_cert = make_cert(&cs);
    if (g_pki.root_cert == NULL)
        return -1;
    unsigned char *der = NULL;
    int n = i2d_X509(g_pki.root_cert, &der);
    if (n <= 0)
        return -1;
    g_pki.root_der = der;
    g_pki.root_der_len = (size_t)n;
    gbuf pem = {0};
    if (append_pem(&pem, g_pki.root_cert) != 0) {
        gb_free(&pem);
        return -1;
    }
    g_pki.root_pem = gb_take_text(&pem, &g_pki.root_pem_len);
    if (g_pki.root_pem == NULL) {
        gb_free(&pem);
        return -1;
    }
    return 0;
}

static void pki_init(void) { g_pki.ok = pki_build() == 0; }

/* PCK CA certificates kept for tp_scenario.reuse_pck_ca, one per CA kind
 * (held for the life of the process, like the keys). */
static struct {
    X509 *cert;
    int64_t not_before, not_after;
} g_ca_cache[2];
static pthread_mutex_t g_ca_mu = PTHREAD_MUTEX_INITIALIZER;

/* The PCK CA certificate for `cs`: a new one, or with `reuse` the cached one
 * for the same kind and validity (made and cached on a miss). */
static X509 *pck_ca_cert(const cert_spec *cs, int processor, int reuse)
{
    if (!reuse)
        return make_cert(cs);
    X509 *x = NULL;
    pthread_mutex_lock(&g_ca_mu);
    if (g_ca_cache[processor].cert != NULL && g_ca_cache[processor].not_before == cs->not_before &&
        g_ca_cache[processor].not_after == cs->not_after) {
        x = g_ca_cache[processor].cert;
    } else if ((x = make_cert(cs)) != NULL) {
        X509_free(g_ca_cache[processor].cert);
        g_ca_cache[processor].cert = x;
        g_ca_cache[processor].not_before = cs->not_before;
        g_ca_cache[processor].not_after = cs->not_after;
    }
    if (x != NULL && X509_up_ref(x) != 1)
        x = NULL;
    pthread_mutex_unlock(&g_ca_mu);
    return x;
}

/* ------------------------------------------------------------------ */
/* Signed JSON texts                                                    */
/* ------------------------------------------------------------------ */
static void json_advisories(gbuf *b, const char *const adv[TP_MAX_ADVISORIES])
{
    if (adv[0] == NULL)
        return;
    gb_str(b, ",\"advisoryIDs\":[");
    for (size_t k = 0; k < TP_MAX_ADVISORIES && adv[k] != NULL; k++) {
        if (k)
            gb_u8(b, ',');
        gb_json_cstr(b, adv[k]);
    }
    gb_u8(b, ']');
}

static void json_isv_levels(gbuf *b, const tp_isv_level *lv, size_t n)
{
    gb_str(b, "\"tcbLevels\":[");
    for (size_t i = 0; i < n; i++) {
        gb_printf(b, "%s{\"tcb\":{\"isvsvn\":%u},\"tcbDate\":\"%s\",\"tcbStatus\":", i ? "," : "",
                  (unsigned)lv[i].isvsvn, i == 0 ? TP_DEFAULT_TCB_DATE : TP_OLDER_TCB_DATE);
        gb_json_cstr(b, lv[i].status);
        json_advisories(b, lv[i].advisories);
        gb_u8(b, '}');
    }
    gb_u8(b, ']');
}

static void json_svns(gbuf *b, const char *key, const uint8_t svn[16])
{
    gb_printf(b, "\"%s\":[", key);
    for (size_t j = 0; j < 16; j++)
        gb_printf(b, "%s{\"svn\":%u}", j ? "," : "", (unsigned)svn[j]);
    gb_u8(b, ']');
}

/* Intel's TDX TCB Info v3 shape and key order, compact. */
static void build_tcb_info(gbuf *b, const tp_scenario *s)
{
    char iss[64], nxt[64];
    fmt_time(s->now + s->tcbinfo_window.from_off, iss);
    fmt_time(s->now + s->tcbinfo_window.to_off, nxt);

    gb_str(b, "{\"id\":");
    gb_json_cstr(b, s->tcbinfo_id != NULL ? s->tcbinfo_id : "TDX");
    gb_printf(b, ",\"version\":%d,\"issueDate\":\"%s\",\"nextUpdate\":\"%s\",\"fmspc\":\"", s->tcbinfo_version, iss,
              nxt);
    gb_hex(b, s->tcbinfo_fmspc, 6, 1);
    gb_str(b, "\",\"pceId\":\"");
    gb_hex(b, s->tcbinfo_pceid, 2, 1);
    gb_printf(b, "\",\"tcbType\":0,\"tcbEvaluationDataNumber\":%d,\"tdxModule\":{\"mrsigner\":\"", TP_TCB_EVAL_NUMBER);
    gb_hex(b, s->tdx_module_mrsigner, 48, 1);
    gb_str(b, "\",\"attributes\":\"");
    gb_hex(b, s->tdx_module_attributes, 8, 1);
    gb_str(b, "\",\"attributesMask\":\"");
    gb_hex(b, s->tdx_module_attributes_mask, 8, 1);
    gb_str(b, "\"}");

    if (!s->omit_module_identities) {
        gb_str(b, ",\"tdxModuleIdentities\":[");
        for (size_t i = 0; i < s->nmodules; i++) {
            const tp_module_identity *m = &s->modules[i];
            gb_str(b, i ? ",{\"id\":" : "{\"id\":");
            gb_json_cstr(b, m->id);
            gb_str(b, ",\"mrsigner\":\"");
            gb_hex(b, m->mrsigner, 48, 1);
            gb_str(b, "\",\"attributes\":\"");
            gb_hex(b, m->attributes, 8, 1);
            gb_str(b, "\",\"attributesMask\":\"");
            gb_hex(b, m->attributes_mask, 8, 1);
            gb_str(b, "\",");
            json_isv_levels(b, m->levels, m->nlevels);
            gb_u8(b, '}');
        }
        gb_u8(b, ']');
    }

    gb_str(b, ",\"tcbLevels\":[");
    for (size_t i = 0; i < s->nlevels; i++) {
        const tp_tcb_level *lv = &s->levels[i];
        gb_str(b, i ? ",{\"tcb\":{" : "{\"tcb\":{");
        json_svns(b, "sgxtcbcomponents", lv->sgx);
        gb_printf(b, ",\"pcesvn\":%u,", (unsigned)lv->pcesvn);
        json_svns(b, "tdxtcbcomponents", lv->tdx);
        gb_str(b, "},\"tcbDate\":");
        gb_json_cstr(b, lv->tcb_date != NULL ? lv->tcb_date : TP_DEFAULT_TCB_DATE);
        gb_str(b, ",\"tcbStatus\":");
        gb_json_cstr(b, lv->status);
        json_advisories(b, lv->advisories);
        gb_u8(b, '}');
    }
    gb_str(b, "]}");
}

/* Intel's TD QE Identity v2 shape and key order, compact. */
static void build_qe_identity(gbuf *b, const tp_scenario *s)
{
    char iss[64], nxt[64];
    fmt_time(s->now + s->qeid_window.from_off, iss);
    fmt_time(s->now + s->qeid_window.to_off, nxt);
    gb_printf(b,
              "{\"id\":\"TD_QE\",\"version\":2,\"issueDate\":\"%s\",\"nextUpdate\":\"%s\","
              "\"tcbEvaluationDataNumber\":%d,\"miscselect\":\"00000000\",\"miscselectMask\":\"FFFFFFFF\","
              "\"attributes\":\"11000000000000000000000000000000\","
              "\"attributesMask\":\"FBFFFFFFFFFFFFFF0000000000000000\",\"mrsigner\":\"",
              iss, nxt, TP_TCB_EVAL_NUMBER);
    gb_hex(b, s->qeid_mrsigner, 32, 1);
    gb_printf(b, "\",\"isvprodid\":%u,", (unsigned)s->qeid_isvprodid);
    json_isv_levels(b, s->qe_levels, s->nqe_levels);
    gb_u8(b, '}');
}

/* ------------------------------------------------------------------ */
/* The quote                                                            */
/* ------------------------------------------------------------------ */
static void put_body(gbuf *q, const ratls_tdx_report *r, int td15)
{
    gb_put(q, r->tee_tcb_svn, 16);
    gb_put(q, r->mr_seam, 48);
    gb_put(q, r->mr_signer_seam, 48);
    gb_put(q, r->seam_attributes, 8);
    gb_put(q, r->td_attributes, 8);
    gb_put(q, r->xfam, 8);
    gb_put(q, r->mr_td, 48);
    gb_put(q, r->mr_config_id, 48);
    gb_put(q, r->mr_owner, 48);
    gb_put(q, r->mr_owner_config, 48);
    for (size_t i = 0; i < 4; i++)
        gb_put(q, r->rtmr[i], 48);
    gb_put(q, r->report_data, 64);
    if (td15) {
        gb_put(q, r->tee_tcb_svn2, 16);
        gb_put(q, r->mr_service_td, 48);
    }
}

/* The 384-byte SGX REPORTBODY of the QE. */
static int build_qe_report(const tp_scenario *s, const uint8_t att_key[64], const uint8_t auth[32], uint8_t rep[384])
{
    memset(rep, 0, 384);
    memcpy(rep + 0, s->pck_cpusvn, 16);
    put_le32(rep + 16, s->qe_miscselect);
    memcpy(rep + 48, s->qe_attributes, 16);
    for (size_t i = 0; i < 32; i++) /* MRENCLAVE: no verifier checks it */
        rep[64 + i] = (uint8_t)(0xE0 ^ (i * 29));
    memcpy(rep + 128, s->qe_mrsigner, 32);
    put_le16(rep + 256, s->qe_isvprodid);
    put_le16(rep + 258, s->qe_isvsvn);
    /* reportdata = SHA256(attestation key || QE auth data) || 32 zero bytes */
    uint8_t msg[96];
    memcpy(msg, att_key, 64);
    memcpy(msg + 64, auth, 32);
    if (EVP_Digest(msg, sizeof(msg), rep + 320, NULL, EVP_sha256(), NULL) != 1)
        return -1;
    if (s->qe_report_data_upper_nonzero)
        rep[320 + 63] = 0x01;
    return 0;
}

static int build_quote(const tp_scenario *s, const uint8_t *pem, size_t pem_len, gbuf *q)
{
    static const uint8_t user_data[20] = {0x72, 0x61, 0x74, 0x6C, 0x73, 0x2D, 0x74, 0x65, 0x73, 0x74,
                                          0x70, 0x6B, 0x69, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
    const uint8_t *att_key = g_pki.att.pub + 1;
    uint8_t auth[32], qe_rep[384], qe_sig[64], quote_sig[64];
    int td15 = s->quote_version == 5 && s->body_type == 3;

    for (size_t i = 0; i < sizeof(auth); i++) /* as in real quotes: 00 01 .. 1f */
        auth[i] = (uint8_t)i;

    gb_le16(q, s->quote_version);
    gb_le16(q, 2);    /* ECDSA-P256 */
    gb_le32(q, 0x81); /* TDX */
    gb_zero(q, 4);
    gb_put(q, QE_VENDOR_ID, 16);
    gb_put(q, user_data, 20);
    if (s->quote_version == 5) {
        gb_le16(q, s->body_type);
        gb_le32(q, td15 ? 648u : 584u);
    }
    put_body(q, &s->report, td15);
    if (q->err || sign_raw(&g_pki.att, q->p, q->len, quote_sig) != 0)
        return -1;

    if (build_qe_report(s, att_key, auth, qe_rep) != 0 || sign_raw(&g_pki.pck, qe_rep, sizeof(qe_rep), qe_sig) != 0)
        return -1;

    /* type-6 payload: QE report, its signature, auth data, inner type-5 PEM chain */
    size_t cert_data_len = 384 + 64 + 2 + sizeof(auth) + 2 + 4 + pem_len;
    size_t sig_data_len = 64 + 64 + 2 + 4 + cert_data_len;
    if (pem_len > UINT32_MAX || sig_data_len > UINT32_MAX)
        return -1;
    gb_le32(q, (uint32_t)sig_data_len);
    gb_put(q, quote_sig, 64);
    gb_put(q, att_key, 64);
    gb_le16(q, 6);
    gb_le32(q, (uint32_t)cert_data_len);
    gb_put(q, qe_rep, sizeof(qe_rep));
    gb_put(q, qe_sig, 64);
    gb_le16(q, (uint16_t)sizeof(auth));
    gb_put(q, auth, sizeof(auth));
    gb_le16(q, 5);
    gb_le32(q, (uint32_t)pem_len);
    gb_put(q, pem, pem_len);
    gb_zero(q, s->trailing_bytes);
    return q->err ? -1 : 0;
}

/* ------------------------------------------------------------------ */
/* Scenario                                                             */
/* ------------------------------------------------------------------ */
static void fill(uint8_t *p, size_t n, uint8_t seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(seed + i * 37);
}

void tp_scenario_default(tp_scenario *s, int64_t now)
{
    static const uint8_t pck_comp[16] = {3, 3, 2, 2, 4, 1, 0, 5};
    static const uint8_t old_comp[16] = {2, 2, 2, 2, 3, 1, 0, 5};
    static const uint8_t fmspc[6] = {0x00, 0x90, 0x6E, 0xA1, 0x00, 0x00};
    const tp_window collateral = {-TP_DAY, 30 * TP_DAY};
    const tp_window cert = {-TP_YEAR, 7 * TP_YEAR};

    memset(s, 0, sizeof(*s));
    s->now = now;

    s->quote_version = 4;
    s->body_type = 2;
    ratls_tdx_report *r = &s->report;
    r->quote_version = 4;
    r->body_type = 2;
    r->tee_tcb_svn[0] = 3; /* module minor SVN: TDX_01 level isvsvn 3 */
    r->tee_tcb_svn[1] = 1; /* module major SVN: identity "TDX_01" */
    r->tee_tcb_svn[2] = 2;
    fill(r->mr_seam, 48, 0x5E);
    /* MRSIGNERSEAM and SEAMATTRIBUTES stay zero: Intel-signed module */
    r->td_attributes[3] = 0x10; /* SEPT_VE_DISABLE (bit 28); DEBUG clear */
    r->xfam[0] = 0xE7;
    r->xfam[1] = 0x02;
    r->xfam[2] = 0x06;
    fill(r->mr_td, 48, 0x7D);
    for (size_t i = 0; i < 4; i++)
        fill(r->rtmr[i], 48, (uint8_t)(0x10 + 0x20 * i));
    fill(r->report_data, 64, 0xDA);

    s->qe_isvsvn = 8;
    s->qe_isvprodid = 2;
    memcpy(s->qe_mrsigner, QE_MRSIGNER, 32);
    s->qe_attributes[0] = 0x15; /* INIT | MODE64BIT | PROVISIONKEY; & mask -> 0x11 */
    s->qe_attributes[8] = 0xE7; /* XFRM, outside the mask */
    s->qe_miscselect = 0;

    s->processor_ca = 0;
    memcpy(s->pck_tcb_comp, pck_comp, 16);
    s->pck_pcesvn = 11;
    memcpy(s->pck_cpusvn, pck_comp, 16);
    memcpy(s->pck_fmspc, fmspc, 6);
    s->pck_window = cert;

    memcpy(s->tcbinfo_fmspc, s->pck_fmspc, 6);
    memcpy(s->tcbinfo_pceid, s->pck_pceid, 2);
    s->tcbinfo_version = 3;
    s->tcbinfo_id = "TDX";
    s->nlevels = 2;
    memcpy(s->levels[0].sgx, pck_comp, 16);
    s->levels[0].pcesvn = 11;
    memcpy(s->levels[0].tdx, r->tee_tcb_svn, 16);
    s->levels[0].status = "UpToDate";
    s->levels[0].tcb_date = TP_DEFAULT_TCB_DATE;
    memcpy(s->levels[1].sgx, old_comp, 16);
    s->levels[1].pcesvn = 5;
    s->levels[1].tdx[0] = 2;
    s->levels[1].tdx[1] = 1;
    s->levels[1].tdx[2] = 1;
    s->levels[1].status = "OutOfDate";
    s->levels[1].tcb_date = "2018-01-04T00:00:00Z";
    s->levels[1].advisories[0] = "INTEL-SA-00837";
    memset(s->tdx_module_attributes_mask, 0xFF, 8);
    s->nmodules = 1;
    tp_module_identity *m = &s->modules[0];
    m->id = "TDX_01";
    memset(m->attributes_mask, 0xFF, 8);
    m->levels[0] = (tp_isv_level){.isvsvn = 3, .status = "UpToDate"};
    m->levels[1] = (tp_isv_level){.isvsvn = 1, .status = "OutOfDate"};
    m->nlevels = 2;
    s->tcbinfo_window = collateral;

    s->qe_levels[0] = (tp_isv_level){.isvsvn = 8, .status = "UpToDate"};
    s->qe_levels[1] = (tp_isv_level){.isvsvn = 6, .status = "OutOfDate"};
    s->nqe_levels = 2;
    memcpy(s->qeid_mrsigner, s->qe_mrsigner, 32);
    s->qeid_isvprodid = s->qe_isvprodid;
    s->qeid_window = collateral;

    s->root_crl_window = collateral;
    s->pck_crl_window = collateral;
    s->tcb_signing_window = cert;
    s->pck_ca_window = cert;
}

static int scenario_ok(const tp_scenario *s)
{
    if (s->nlevels > TP_MAX_LEVELS || s->nmodules > TP_MAX_MODULES || s->nqe_levels > TP_MAX_LEVELS ||
        s->trailing_bytes > TP_MAX_TRAILING)
        return 0;
    for (size_t i = 0; i < s->nlevels; i++)
        if (s->levels[i].status == NULL)
            return 0;
    for (size_t i = 0; i < s->nqe_levels; i++)
        if (s->qe_levels[i].status == NULL)
            return 0;
    for (size_t i = 0; i < s->nmodules; i++) {
        if (s->modules[i].id == NULL || s->modules[i].nlevels > TP_MAX_LEVELS)
            return 0;
        for (size_t j = 0; j < s->modules[i].nlevels; j++)
            if (s->modules[i].levels[j].status == NULL)
                return 0;
    }
    return 1;
}

/* ------------------------------------------------------------------ */
/* Collateral JSON (QuoteCollateralV3)                                  */
/* ------------------------------------------------------------------ */
typedef struct collateral_parts {
    const gbuf *pck_crl_chain, *tcb_chain;
    const uint8_t *root_crl, *pck_crl;
    size_t root_crl_len, pck_crl_len;
    const gbuf *tcb_info, *qe_id;
    const uint8_t *tcb_sig, *qe_sig;
} collateral_parts;

static void build_collateral(gbuf *b, const collateral_parts *c)
{
    gb_str(b, "{\"pck_crl_issuer_chain\":");
    gb_json_str(b, (const char *)c->pck_crl_chain->p, c->pck_crl_chain->len);
    gb_str(b, ",\"root_ca_crl\":\"");
    gb_hex(b, c->root_crl, c->root_crl_len, 0);
    gb_str(b, "\",\"pck_crl\":\"");
    gb_hex(b, c->pck_crl, c->pck_crl_len, 0);
    gb_str(b, "\",\"tcb_info_issuer_chain\":");
    gb_json_str(b, (const char *)c->tcb_chain->p, c->tcb_chain->len);
    gb_str(b, ",\"tcb_info\":");
    gb_json_str(b, (const char *)c->tcb_info->p, c->tcb_info->len);
    gb_str(b, ",\"tcb_info_signature\":\"");
    gb_hex(b, c->tcb_sig, 64, 0);
    gb_str(b, "\",\"qe_identity_issuer_chain\":");
    gb_json_str(b, (const char *)c->tcb_chain->p, c->tcb_chain->len);
    gb_str(b, ",\"qe_identity\":");
    gb_json_str(b, (const char *)c->qe_id->p, c->qe_id->len);
    gb_str(b, ",\"qe_identity_signature\":\"");
    gb_hex(b, c->qe_sig, 64, 0);
    gb_str(b, "\"}");
}

/* ------------------------------------------------------------------ */
/* Entry points                                                         */
/* ------------------------------------------------------------------ */
int tp_generate(const tp_scenario *s, tp_output *out)
{
    if (out == NULL)
        return -1;
    memset(out, 0, sizeof(*out));
    if (s == NULL || !scenario_ok(s))
        return -1;
    if (pthread_once(&g_pki_once, pki_init) != 0 || !g_pki.ok)
        return -1;

    int rc = -1;
    gbuf ext = {0}, chain = {0}, ca_chain = {0}, tcb_chain = {0}, tcb_info = {0}, qe_id = {0}, coll = {0}, quote = {0};
    X509 *ca = NULL, *leaf = NULL, *tcb = NULL;
    ASN1_INTEGER *decoy = NULL;
    uint8_t *root_crl = NULL, *pck_crl = NULL;
    size_t root_crl_len = 0, pck_crl_len = 0;
    uint8_t tcb_sig[64], qe_sig[64];
    const X509_NAME *root_name = X509_get_subject_name(g_pki.root_cert);
    const tp_key *ca_key = s->processor_ca ? &g_pki.processor_ca : &g_pki.platform_ca;

    build_sgx_ext(&ext, s);
    if (ext.err)
        goto out;

    cert_spec ca_spec = {
        .cn = s->processor_ca ? TP_CN_PROCESSOR_CA : TP_CN_PLATFORM_CA,
        .is_ca = 1,
        .pathlen = 0,
        .key = ca_key,
        .issuer_key = &g_pki.root,
        .issuer = root_name,
        .not_before = s->now + s->pck_ca_window.from_off,
        .not_after = s->now + s->pck_ca_window.to_off,
        .crl_uri = TP_URL_ROOT_CRL,
    };
    ca = pck_ca_cert(&ca_spec, s->processor_ca ? 1 : 0, s->reuse_pck_ca);
    if (ca == NULL)
        goto out;
    cert_spec leaf_spec = {
        .cn = TP_CN_PCK,
        .key = &g_pki.pck,
        .issuer_key = ca_key,
        .issuer = X509_get_subject_name(ca),
        .not_before = s->now + s->pck_window.from_off,
        .not_after = s->now + s->pck_window.to_off,
        .crl_uri = s->processor_ca ? TP_URL_PROCESSOR_CRL : TP_URL_PLATFORM_CRL,
        .sgx_ext = ext.p,
        .sgx_ext_len = ext.len,
    };
    leaf = make_cert(&leaf_spec);
    cert_spec tcb_spec = {
        .cn = TP_CN_TCB,
        .key = &g_pki.tcb,
        .issuer_key = &g_pki.root,
        .issuer = root_name,
        .not_before = s->now + s->tcb_signing_window.from_off,
        .not_after = s->now + s->tcb_signing_window.to_off,
        .crl_uri = TP_URL_ROOT_CRL,
    };
    tcb = make_cert(&tcb_spec);
    if (leaf == NULL || tcb == NULL)
        goto out;

    /* The PCK CRL always revokes an unrelated serial, so verifiers walk a
     * non-empty list even when the leaf is good. */
    decoy = random_serial();
    if (decoy == NULL)
        goto out;
    ASN1_INTEGER *revoked[2] = {decoy, X509_get_serialNumber(leaf)};
    if (make_crl_der(root_name, &g_pki.root, s->root_crl_window, s->now, NULL, 0, &root_crl, &root_crl_len) != 0 ||
        make_crl_der(X509_get_subject_name(ca), ca_key, s->pck_crl_window, s->now, revoked, s->revoke_pck ? 2 : 1,
                     &pck_crl, &pck_crl_len) != 0)
        goto out;

    /* Chains: quote (leaf, CA, root), PCK CRL issuer (CA, root), TCB signer (signer, root). */
    if (append_pem(&chain, leaf) != 0 || append_pem(&ca_chain, ca) != 0 || append_pem(&tcb_chain, tcb) != 0)
        goto out;
    gb_put(&chain, ca_chain.p, ca_chain.len);
    gb_put(&chain, g_pki.root_pem, g_pki.root_pem_len);
    gb_u8(&chain, 0); /* one NUL inside the size, as real quotes carry */
    gb_put(&ca_chain, g_pki.root_pem, g_pki.root_pem_len);
    gb_put(&tcb_chain, g_pki.root_pem, g_pki.root_pem_len);

    build_tcb_info(&tcb_info, s);
    build_qe_identity(&qe_id, s);
    if (chain.err || ca_chain.err || tcb_chain.err || tcb_info.err || qe_id.err)
        goto out;
    if (sign_raw(&g_pki.tcb, tcb_info.p, tcb_info.len, tcb_sig) != 0 ||
        sign_raw(&g_pki.tcb, qe_id.p, qe_id.len, qe_sig) != 0)
        goto out;

    collateral_parts parts = {
        .pck_crl_chain = &ca_chain,
        .tcb_chain = &tcb_chain,
        .root_crl = root_crl,
        .root_crl_len = root_crl_len,
        .pck_crl = pck_crl,
        .pck_crl_len = pck_crl_len,
        .tcb_info = &tcb_info,
        .qe_id = &qe_id,
        .tcb_sig = tcb_sig,
        .qe_sig = qe_sig,
    };
    build_collateral(&coll, &parts);
    if (build_quote(s, chain.p, chain.len, &quote) != 0)
        goto out;

    out->collateral_json = gb_take_text(&coll, &out->collateral_len);
    out->root_der = malloc(g_pki.root_der_len);
    out->root_pem = malloc(g_pki.root_pem_len + 1);
    if (out->collateral_json == NULL || out->root_der == NULL || out->root_pem == NULL)
        goto out;
    memcpy(out->root_der, g_pki.root_der, g_pki.root_der_len);
    out->root_der_len = g_pki.root_der_len;
    memcpy(out->root_pem, g_pki.root_pem, g_pki.root_pem_len + 1);
    out->quote = quote.p;
    out->quote_len = quote.len;
    memset(&quote, 0, sizeof(quote));
    rc = 0;
out:
    if (rc != 0)
        tp_output_free(out);
    gb_free(&ext);
    gb_free(&chain);
    gb_free(&ca_chain);
    gb_free(&tcb_chain);
    gb_free(&tcb_info);
    gb_free(&qe_id);
    gb_free(&coll);
    gb_free(&quote);
    OPENSSL_free(root_crl);
    OPENSSL_free(pck_crl);
    ASN1_INTEGER_free(decoy);
    X509_free(ca);
    X509_free(leaf);
    X509_free(tcb);
    return rc;
}

void tp_output_free(tp_output *out)
{
    if (out == NULL)
        return;
    free(out->quote);
    free(out->collateral_json);
    free(out->root_der);
    free(out->root_pem);
    memset(out, 0, sizeof(*out));
}
