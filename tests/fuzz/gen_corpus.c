/*
 * Writes the fuzz targets' seed corpus from the project's own test PKI
 * (never from third-party vectors):
 *
 *   gen_corpus DIR   ->  DIR/quote/  DIR/collateral/  DIR/sgx_ext/  DIR/pem_chain/  DIR/snp_report/ ...
 *
 * Scenario outputs come from fuzz_generate(), the same deterministic test PKI
 * the targets build their fixtures from, so the seed quotes chain to the
 * fuzz_quote fixture's root and the seed collaterals verify the fuzz_collateral
 * fixture's quote. Hand-made edge cases (empty, truncated, huge declared
 * lengths, wrong types) are derived from those outputs. Identical seeds are
 * written once. Existing files are overwritten, never deleted.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "base/der.h"
#include "base/reader.h"
#include "fuzz_common.h"
#include "tdx/quote.h"

#define MAX_SEEDS 64

typedef struct seed_dir {
    const char *name;
    size_t max_len;
    uint8_t *data[MAX_SEEDS]; /* what was written, to skip duplicates */
    size_t len[MAX_SEEDS];
    size_t n;
} seed_dir;

static seed_dir g_quote = {.name = "quote", .max_len = FUZZ_MAX_LEN_QUOTE};
static seed_dir g_coll = {.name = "collateral", .max_len = FUZZ_MAX_LEN_COLLATERAL};
static seed_dir g_ext = {.name = "sgx_ext", .max_len = FUZZ_MAX_LEN_SGX_EXT};
static seed_dir g_pem = {.name = "pem_chain", .max_len = FUZZ_MAX_LEN_PEM_CHAIN};
static seed_dir g_item = {.name = "collateral_item", .max_len = FUZZ_MAX_LEN_COLLATERAL_ITEM};
static seed_dir g_snp = {.name = "snp_report", .max_len = FUZZ_MAX_LEN_SNP_REPORT};
static const char *g_out;
static int g_errors;

static void die(const char *what)
{
    fprintf(stderr, "gen_corpus: %s\n", what);
    exit(1);
}

static void make_dir(const char *path)
{
    if (mkdir(path, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "gen_corpus: mkdir %s: %s\n", path, strerror(errno));
        exit(1);
    }
}

static void seed(seed_dir *d, const char *name, const void *data, size_t len)
{
    if (len > d->max_len) {
        fprintf(stderr, "gen_corpus: %s/%s is %zu bytes, over the target's %zu-byte cap\n", d->name, name, len,
                d->max_len);
        g_errors++;
        return;
    }
    for (size_t i = 0; i < d->n; i++)
        if (d->len[i] == len && memcmp(d->data[i], data, len) == 0)
            return; /* e.g. the collateral of a scenario that only changes the quote */
    if (d->n == MAX_SEEDS)
        die("too many seeds");
    d->data[d->n] = malloc(len ? len : 1);
    if (!d->data[d->n])
        die("out of memory");
    if (len)
        memcpy(d->data[d->n], data, len);
    d->len[d->n++] = len;

    char path[1024];
    snprintf(path, sizeof path, "%s/%s/%s", g_out, d->name, name);
    FILE *f = fopen(path, "wb");
    if (!f || (len && fwrite(data, 1, len, f) != len) || fclose(f) != 0) {
        fprintf(stderr, "gen_corpus: cannot write %s\n", path);
        exit(1);
    }
}

static void seed_str(seed_dir *d, const char *name, const char *s) { seed(d, name, s, strlen(s)); }

static void free_dir(seed_dir *d)
{
    for (size_t i = 0; i < d->n; i++)
        free(d->data[i]);
    d->n = 0;
}

/* ------------------------------------------------------------------ */
/* Quotes                                                               */
/* ------------------------------------------------------------------ */

/* Offsets in a v4 quote (TD 1.0 body), checked against the parser below. */
#define Q_SIG_DATA_LEN (TDX_HEADER_LEN + TDX_BODY10_LEN)       /* 632 */
#define Q_CERT_TYPE (Q_SIG_DATA_LEN + 4 + 64 + 64)             /* 764 */
#define Q_CERT_SIZE (Q_CERT_TYPE + 2)                          /* 766 */
#define Q_QE_REPORT (Q_CERT_SIZE + 4)                          /* 770 */
#define Q_QE_AUTH_LEN (Q_QE_REPORT + SGX_REPORT_BODY_LEN + 64) /* 1218 */

typedef struct quote_layout {
    size_t inner_type; /* offset of the inner certification data type (5) */
    size_t pem;        /* offset of the PEM chain */
    size_t pem_len;
} quote_layout;

static quote_layout v4_layout(const uint8_t *q, size_t len)
{
    ratls_tdx_quote *pq = NULL;
    if (ratls_tdx_quote_parse(q, len, &pq, NULL, 0) != RATLS_OK || pq->version != 4)
        die("the v4 scenario quote does not parse");
    quote_layout l;
    l.inner_type = Q_QE_AUTH_LEN + 2 + pq->qe_auth_len;
    l.pem = l.inner_type + 6;
    l.pem_len = pq->pem_len;
    if (le32(q + Q_SIG_DATA_LEN) != pq->sig_data_len || le16(q + Q_CERT_TYPE) != 6 ||
        le32(q + Q_CERT_SIZE) != pq->cert_data_size || le16(q + Q_QE_AUTH_LEN) != pq->qe_auth_len ||
        le16(q + l.inner_type) != 5 || le32(q + l.inner_type + 2) != pq->pem_len || pq->pem != pq->raw + l.pem)
        die("the v4 quote layout is not what gen_corpus expects");
    ratls_tdx_quote_free(pq);
    return l;
}

/* A copy of the v4 quote with one little-endian field overwritten. */
static void seed_patched(const char *name, const uint8_t *q, size_t len, size_t off, uint32_t v, int width)
{
    uint8_t *c = malloc(len);
    if (!c)
        die("out of memory");
    memcpy(c, q, len);
    if (width == 2)
        put_le16(c + off, (uint16_t)v);
    else
        put_le32(c + off, v);
    seed(&g_quote, name, c, len);
    free(c);
}

/* The v4 quote with its PEM chain replaced (the three lengths fixed up). */
static void seed_with_pem(const char *name, const uint8_t *q, size_t len, const quote_layout *l, const void *pem,
                          size_t pem_len)
{
    size_t head = l->pem, tail = len - (l->pem + l->pem_len);
    size_t n = head + pem_len + tail;
    uint8_t *c = malloc(n);
    if (!c)
        die("out of memory");
    memcpy(c, q, head);
    memcpy(c + head, pem, pem_len);
    memcpy(c + head + pem_len, q + l->pem + l->pem_len, tail);
    long d = (long)pem_len - (long)l->pem_len;
    put_le32(c + Q_SIG_DATA_LEN, (uint32_t)((long)le32(q + Q_SIG_DATA_LEN) + d));
    put_le32(c + Q_CERT_SIZE, (uint32_t)((long)le32(q + Q_CERT_SIZE) + d));
    put_le32(c + l->inner_type + 2, (uint32_t)pem_len);
    seed(&g_quote, name, c, n);
    free(c);
}

static void quote_edge_cases(const tp_output *v4, const tp_output *v5)
{
    const uint8_t *q = v4->quote;
    size_t len = v4->quote_len;
    quote_layout l = v4_layout(q, len);

    seed(&g_quote, "edge_empty", q, 0);
    seed(&g_quote, "edge_header_only", q, TDX_HEADER_LEN);
    seed_patched("edge_huge_sig_data_len", q, len, Q_SIG_DATA_LEN, 0xFFFFFFFFu, 4);
    seed_patched("edge_huge_cert_data_size", q, len, Q_CERT_SIZE, 0xFFFFFFF0u, 4);
    seed_patched("edge_huge_qe_auth_len", q, len, Q_QE_AUTH_LEN, 0xFFFFu, 2);
    seed_patched("edge_huge_pem_len", q, len, l.inner_type + 2, 0x00100000u, 4);
    seed_patched("edge_inner_type_4", q, len, l.inner_type, 4, 2);

    /* v5 descriptor: an SGX body type, and a TD 1.5 type with the 1.0 size */
    uint8_t *c = malloc(v5->quote_len);
    if (!c)
        die("out of memory");
    memcpy(c, v5->quote, v5->quote_len);
    put_le16(c + TDX_HEADER_LEN, 1);
    seed(&g_quote, "edge_v5_body_type_1", c, v5->quote_len);
    put_le16(c + TDX_HEADER_LEN, 3);
    seed(&g_quote, "edge_v5_body_size_mismatch", c, v5->quote_len);
    free(c);

    /* PCK chain of two certificates (the root left out) */
    const char *pem = (const char *)q + l.pem;
    const char *third = pem;
    for (int k = 0; k < 3 && third; k++)
        third = strstr(k ? third + 1 : third, "-----BEGIN");
    if (!third)
        die("the quote's PCK chain has fewer than 3 certificates");
    seed_with_pem("edge_chain_two_certs", q, len, &l, pem, (size_t)(third - pem));
    seed_with_pem("edge_chain_garbage", q, len, &l, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
                  58);

    /* The start of the quote as a hex text file (0x prefix, spaces, line breaks). */
    char hex[2 + 2 * 512 + 512 / 4 + 1];
    size_t h = 0;
    hex[h++] = '0';
    hex[h++] = 'x';
    for (size_t i = 0; i < 512; i++) {
        h += (size_t)snprintf(hex + h, sizeof hex - h, "%02x", q[i]);
        hex[h++] = i % 32 == 31 ? '\n' : i % 4 == 3 ? ' ' : '\t';
        if (hex[h - 1] == '\t')
            h--;
    }
    hex[h] = '\0';
    seed_str(&g_quote, "edge_hex_text", hex);
}

/* ------------------------------------------------------------------ */
/* SGX extension and PEM chains (from the quote's PCK leaf)             */
/* ------------------------------------------------------------------ */

static void pck_chain(const tp_output *o, const uint8_t **pem, size_t *pem_len, ratls_tdx_quote **pq)
{
    if (ratls_tdx_quote_parse(o->quote, o->quote_len, pq, NULL, 0) != RATLS_OK)
        die("a scenario quote does not parse");
    *pem = (*pq)->pem;
    *pem_len = (*pq)->pem_len;
}

static void seed_sgx_ext(const char *name, const tp_output *o)
{
    const uint8_t *pem;
    size_t pem_len;
    ratls_tdx_quote *pq = NULL;
    pck_chain(o, &pem, &pem_len, &pq);
    BIO *b = BIO_new_mem_buf(pem, (int)pem_len);
    X509 *leaf = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
    ASN1_OBJECT *oid = OBJ_txt2obj("1.2.840.113741.1.13.1", 1);
    int idx = leaf && oid ? X509_get_ext_by_OBJ(leaf, oid, -1) : -1;
    if (idx < 0)
        die("the PCK leaf has no SGX extension");
    const ASN1_OCTET_STRING *os = X509_EXTENSION_get_data(X509_get_ext(leaf, idx));
    seed(&g_ext, name, ASN1_STRING_get0_data(os), (size_t)ASN1_STRING_length(os));
    ASN1_OBJECT_free(oid);
    X509_free(leaf);
    BIO_free(b);
    ratls_tdx_quote_free(pq);
}

static void sgx_ext_edge_cases(void)
{
    static const uint8_t empty[1] = {0};
    static const uint8_t long_form_short[] = {0x30, 0x81, 0x05, 0x04, 0x03, 0x01, 0x02, 0x03};
    static const uint8_t huge_len[] = {0x30, 0x83, 0xFF, 0xFF, 0xFF, 0x30, 0x00};
    /* one entry: SEQUENCE { OID 1.2.840.113741.1.13.1.1, OCTET STRING (16) } */
    static const uint8_t ppid_only[] = {0x30, 0x1F, 0x30, 0x1D, 0x06, 0x0A, 0x2A, 0x86, 0x48, 0x86, 0xF8,
                                        0x4D, 0x01, 0x0D, 0x01, 0x01, 0x04, 0x0F, 0,    1,    2,    3,
                                        4,    5,    6,    7,    8,    9,    10,   11,   12,   13,   14};
    seed(&g_ext, "edge_empty", empty, 0);
    seed(&g_ext, "edge_non_minimal_length", long_form_short, sizeof long_form_short);
    seed(&g_ext, "edge_huge_length", huge_len, sizeof huge_len);
    seed(&g_ext, "edge_ppid_short", ppid_only, sizeof ppid_only);
    /* the Platform-CA extension cut one byte short, and with a trailing byte */
    if (g_ext.n == 0)
        die("no SGX extension seed");
    uint8_t buf[FUZZ_MAX_LEN_SGX_EXT];
    size_t n = g_ext.len[0];
    if (n + 1 > sizeof buf)
        die("SGX extension too large");
    memcpy(buf, g_ext.data[0], n);
    seed(&g_ext, "edge_platform_truncated", buf, n - 1);
    buf[n] = 0x00;
    seed(&g_ext, "edge_platform_trailing_byte", buf, n + 1);
}

static void pem_edge_cases(const tp_output *o)
{
    seed_str(&g_pem, "edge_empty", "");
    seed_str(&g_pem, "edge_no_end", "-----BEGIN CERTIFICATE-----\nMIIB\n");
    seed_str(&g_pem, "edge_bad_base64", "-----BEGIN CERTIFICATE-----\nMII*AAAA\n-----END CERTIFICATE-----\n");
    seed_str(&g_pem, "edge_not_a_cert", "-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n");
    seed_str(&g_pem, "root", o->root_pem);

    /* nine certificates: one more than the targets allow */
    size_t one = strlen(o->root_pem), n = 0;
    char *nine = malloc(9 * one + 1);
    if (!nine)
        die("out of memory");
    for (int i = 0; i < 9; i++, n += one)
        memcpy(nine + n, o->root_pem, one);
    nine[n] = '\0';
    seed_str(&g_pem, "edge_nine_certs", nine);
    free(nine);

    /* CRLF line ends and a trailing NUL */
    char *crlf = malloc(2 * one + 2);
    if (!crlf)
        die("out of memory");
    n = 0;
    for (const char *p = o->root_pem; *p; p++) {
        if (*p == '\n')
            crlf[n++] = '\r';
        crlf[n++] = *p;
    }
    crlf[n++] = '\0';
    seed(&g_pem, "root_crlf_nul", crlf, n);
    free(crlf);
}

/* DER certificates and CRLs: the certificate target also reads raw DER. */
static void seed_first_cert_der(const char *name, const char *pem, size_t pem_len, int index)
{
    BIO *b = BIO_new_mem_buf(pem, (int)pem_len);
    X509 *x = NULL;
    for (int i = 0; b && i <= index; i++) {
        X509_free(x);
        x = PEM_read_bio_X509(b, NULL, NULL, NULL);
    }
    unsigned char *der = NULL;
    int n = x ? i2d_X509(x, &der) : -1;
    if (n <= 0)
        die("cannot re-encode a test certificate");
    seed(&g_pem, name, der, (size_t)n);
    OPENSSL_free(der);
    X509_free(x);
    BIO_free(b);
}

static void seed_crl_der(const char *name, const char *collateral_json, const char *field)
{
    json_t *c = json_loads(collateral_json, 0, NULL);
    const char *hex = json_string_value(json_object_get(c, field));
    long n = 0;
    unsigned char *der = hex ? OPENSSL_hexstr2buf(hex, &n) : NULL;
    if (!der || n <= 0)
        die("cannot decode a collateral CRL");
    seed(&g_pem, name, der, (size_t)n);
    OPENSSL_free(der);
    json_decref(c);
}

static void der_seeds(const tp_output *v4, const tp_output *revoked)
{
    const uint8_t *pem;
    size_t pem_len;
    ratls_tdx_quote *pq = NULL;
    pck_chain(v4, &pem, &pem_len, &pq);
    seed_first_cert_der("der_pck_leaf", (const char *)pem, pem_len, 0);
    seed_first_cert_der("der_pck_platform_ca", (const char *)pem, pem_len, 1);
    ratls_tdx_quote_free(pq);
    seed(&g_pem, "der_root", v4->root_der, v4->root_der_len);
    json_t *c = json_loads(v4->collateral_json, 0, NULL);
    const char *tcb_chain = json_string_value(json_object_get(c, "tcb_info_issuer_chain"));
    if (!tcb_chain)
        die("the collateral has no tcb_info_issuer_chain");
    seed_first_cert_der("der_tcb_signing", tcb_chain, strlen(tcb_chain), 0);
    json_decref(c);
    seed_crl_der("der_root_crl", v4->collateral_json, "root_ca_crl");
    seed_crl_der("der_pck_crl_two_entries", revoked->collateral_json, "pck_crl");
}

/* ------------------------------------------------------------------ */
/* Regression seeds: inputs that once broke the library (crashes/README.md) */
/* ------------------------------------------------------------------ */

/* Offset of the n-th element (0-based) of the TBS of a signed DER structure. */
static size_t tbs_element(const uint8_t *der, size_t len, int n)
{
    der_t in = {der, len}, outer, tbs, val, tlv;
    uint8_t tag;
    if (der_read(&in, DER_SEQUENCE, &outer) || der_read(&outer, DER_SEQUENCE, &tbs))
        die("not a signed DER structure");
    for (int i = 0; i <= n; i++)
        if (der_read_tlv(&tbs, &tag, &val, &tlv))
            die("TBS too short");
    return (size_t)(tlv.p - der);
}

static size_t find_bytes(const uint8_t *hay, size_t n, size_t from, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = from; i + k <= n; i++)
        if (memcmp(hay + i, needle, k) == 0)
            return i;
    die("pattern not found");
    return 0;
}

static void regression_seeds(const tp_output *v4, const tp_output *revoked)
{
    /* A CRL whose revokedCertificates length is malformed (0xEA: 106 length
     * octets): rcrl_parse once walked an uninitialized list after it. */
    json_t *c = json_loads(revoked->collateral_json, 0, NULL);
    long n = 0;
    const char *hex = json_string_value(json_object_get(c, "pck_crl"));
    unsigned char *crl = hex ? OPENSSL_hexstr2buf(hex, &n) : NULL;
    if (!crl || n <= 0)
        die("cannot decode the PCK CRL");
    size_t at = tbs_element(crl, (size_t)n, 5); /* version, alg, issuer, thisUpdate, nextUpdate, revoked */
    if (crl[at] != DER_SEQUENCE)
        die("the PCK CRL has no revokedCertificates");
    crl[at + 1] = 0xEA;
    seed(&g_pem, "regress_crl_bad_revoked_length", crl, (size_t)n);
    OPENSSL_free(crl);
    json_decref(c);

    /* The PCK leaf with a subject O and then a CN that are not UTF-8: once
     * accepted, and the CN then vanished from the JSON of quotes and results. */
    const uint8_t *pem;
    size_t pem_len;
    ratls_tdx_quote *pq = NULL;
    pck_chain(v4, &pem, &pem_len, &pq);
    BIO *in = BIO_new_mem_buf(pem, (int)pem_len);
    char *name = NULL, *header = NULL;
    unsigned char *der = NULL;
    long dl = 0;
    if (!in || PEM_read_bio(in, &name, &header, &der, &dl) != 1 || dl <= 0)
        die("cannot read the PCK leaf");
    size_t subject = tbs_element(der, (size_t)dl, 5); /* version, serial, alg, issuer, validity, subject */
    size_t org = find_bytes(der, (size_t)dl, subject, "ratls test PKI");
    uint8_t *bad = malloc((size_t)dl);
    if (!bad)
        die("out of memory");
    memcpy(bad, der, (size_t)dl);
    bad[org + 5] = 0xE0;
    bad[org + 6] = 0x8B;
    seed(&g_pem, "regress_cert_org_not_utf8", bad, (size_t)dl);
    free(bad);

    der[find_bytes(der, (size_t)dl, subject, "Intel SGX PCK Certificate")] = 0xC0;
    BIO *out = BIO_new(BIO_s_mem());
    char *leaf_pem = NULL;
    long leaf_len = out && PEM_write_bio(out, "CERTIFICATE", "", der, dl) > 0 ? BIO_get_mem_data(out, &leaf_pem) : 0;
    const char *rest = strstr((const char *)pem + 1, "-----BEGIN");
    if (leaf_len <= 0 || !rest)
        die("cannot rebuild the PCK chain");
    size_t rest_len = pem_len - (size_t)((const uint8_t *)rest - pem);
    char *chain = malloc((size_t)leaf_len + rest_len);
    if (!chain)
        die("out of memory");
    memcpy(chain, leaf_pem, (size_t)leaf_len);
    memcpy(chain + leaf_len, rest, rest_len);
    quote_layout l = v4_layout(v4->quote, v4->quote_len);
    seed_with_pem("regress_leaf_cn_not_utf8", v4->quote, v4->quote_len, &l, chain, (size_t)leaf_len + rest_len);
    free(chain);
    BIO_free(out);
    BIO_free(in);
    OPENSSL_free(name);
    OPENSSL_free(header);
    OPENSSL_free(der);
    ratls_tdx_quote_free(pq);
}

/* ------------------------------------------------------------------ */
/* Collateral                                                           */
/* ------------------------------------------------------------------ */

static char *replace_all(const char *s, const char *from, const char *to)
{
    size_t fl = strlen(from), tl = strlen(to), count = 0;
    for (const char *p = s; (p = strstr(p, from)) != NULL; p += fl)
        count++;
    char *out = malloc(strlen(s) + count * (tl > fl ? tl - fl : 0) + 1);
    if (!out)
        die("out of memory");
    char *w = out;
    for (const char *p = s;;) {
        const char *m = strstr(p, from);
        if (!m) {
            strcpy(w, p);
            break;
        }
        memcpy(w, p, (size_t)(m - p));
        w += m - p;
        memcpy(w, to, tl);
        w += tl;
        p = m + fl;
    }
    return out;
}

static void collateral_edge_cases(const tp_output *o)
{
    seed_str(&g_coll, "edge_empty", "");
    seed_str(&g_coll, "edge_empty_object", "{}");

    json_error_t je;
    json_t *c = json_loads(o->collateral_json, 0, &je);
    if (!c)
        die("the scenario collateral is not JSON");
    /* with the optional pck_certificate_chain, from the quote */
    const uint8_t *pem;
    size_t pem_len;
    ratls_tdx_quote *pq = NULL;
    pck_chain(o, &pem, &pem_len, &pq);
    while (pem_len && pem[pem_len - 1] == 0)
        pem_len--;
    json_t *with = json_deep_copy(c);
    json_object_set_new(with, "pck_certificate_chain", json_stringn((const char *)pem, pem_len));
    char *s = json_dumps(with, JSON_PRESERVE_ORDER | JSON_COMPACT);
    if (!s)
        die("json_dumps failed");
    seed_str(&g_coll, "with_pck_certificate_chain", s);
    free(s);
    json_decref(with);
    ratls_tdx_quote_free(pq);

    /* a field of the wrong type */
    json_t *wrong = json_deep_copy(c);
    json_object_set_new(wrong, "tcb_info", json_integer(3));
    s = json_dumps(wrong, JSON_PRESERVE_ORDER | JSON_COMPACT);
    if (!s)
        die("json_dumps failed");
    seed_str(&g_coll, "edge_tcb_info_not_string", s);
    free(s);
    json_decref(wrong);
    json_decref(c);

    /* an unknown tcbStatus (inside the signed texts: parses, then fails) */
    s = replace_all(o->collateral_json, "OutOfDate", "OutOfBounds");
    seed_str(&g_coll, "edge_unknown_status", s);
    free(s);
    /* a QE Identity of an unsupported version (its text is escaped in the JSON) */
    s = replace_all(o->collateral_json, "\\\"version\\\":2", "\\\"version\\\":1");
    seed_str(&g_coll, "edge_qe_identity_version_1", s);
    free(s);
}

/* ------------------------------------------------------------------ */
/* collateral_item: bodies as services return them, headers, cache files */

static void seed_item(const char *name, uint8_t mode, const void *data, size_t len)
{
    uint8_t *b = malloc(len + 1);
    if (!b)
        die("out of memory");
    b[0] = mode;
    memcpy(b + 1, data, len);
    seed(&g_item, name, b, len + 1);
    free(b);
}

static char *signed_body(json_t *c, const char *key, const char *text_field, const char *sig_field)
{
    const char *text = json_string_value(json_object_get(c, text_field));
    const char *sig = json_string_value(json_object_get(c, sig_field));
    if (!text || !sig)
        die("the collateral lacks a signed item");
    size_t n = strlen(key) + strlen(text) + strlen(sig) + 32;
    char *b = malloc(n);
    if (!b)
        die("out of memory");
    snprintf(b, n, "{\"%s\":%s,\"signature\":\"%s\"}", key, text, sig);
    return b;
}

static void seed_cache_file(const char *name, uint8_t mode, const char *kind, const char *param, const char *chain,
                            const uint8_t *body, size_t len)
{
    char *hex = malloc(2 * len + 1);
    if (!hex)
        die("out of memory");
    for (size_t i = 0; i < len; i++)
        snprintf(hex + 2 * i, 3, "%02x", body[i]);
    json_t *o = json_pack("{s:i, s:s, s:s, s:s, s:s}", "ratls_collateral_item", 1, "kind", kind, "param", param,
                          "issuer_chain", chain, "body_hex", hex);
    char *t = o ? json_dumps(o, JSON_COMPACT) : NULL;
    if (!t)
        die("cannot build a cache file");
    seed_item(name, mode, t, strlen(t));
    free(t);
    json_decref(o);
    free(hex);
}

static void collateral_item_seeds(const tp_output *o)
{
    json_t *c = json_loads(o->collateral_json, 0, NULL);
    if (!c)
        die("cannot parse the collateral");
    char *tcb = signed_body(c, "tcbInfo", "tcb_info", "tcb_info_signature");
    char *qe = signed_body(c, "enclaveIdentity", "qe_identity", "qe_identity_signature");
    const char *pck_hex = json_string_value(json_object_get(c, "pck_crl"));
    const char *root_hex = json_string_value(json_object_get(c, "root_ca_crl"));
    const char *tcb_chain = json_string_value(json_object_get(c, "tcb_info_issuer_chain"));
    const char *qe_chain = json_string_value(json_object_get(c, "qe_identity_issuer_chain"));
    const char *pck_chain = json_string_value(json_object_get(c, "pck_crl_issuer_chain"));
    long pn = 0, rn = 0;
    unsigned char *pck = pck_hex ? OPENSSL_hexstr2buf(pck_hex, &pn) : NULL;
    unsigned char *root = root_hex ? OPENSSL_hexstr2buf(root_hex, &rn) : NULL;
    if (!pck || !root || !tcb_chain || !qe_chain || !pck_chain)
        die("the collateral lacks a CRL or a chain");
    seed_item("tcb_body", 0, tcb, strlen(tcb));
    seed_item("qe_body", 1, qe, strlen(qe));
    seed_item("pck_crl_der", 2, pck, (size_t)pn);
    seed_item("pck_crl_hex", 2, pck_hex, strlen(pck_hex));
    seed_item("root_crl_der", 3, root, (size_t)rn);
    seed_item("root_crl_hex", 3, root_hex, strlen(root_hex));
    /* PEM form of the PCK CRL, 64-column base64 */
    BIO *b64 = BIO_new(BIO_f_base64()), *mem = BIO_new(BIO_s_mem());
    if (!b64 || !mem)
        die("out of memory");
    BIO_push(b64, mem);
    if (BIO_write(b64, pck, (int)pn) != (int)pn || BIO_flush(b64) != 1)
        die("base64 failed");
    char *b64txt = NULL;
    long bl = BIO_get_mem_data(mem, &b64txt);
    size_t pl = (size_t)bl + 64;
    char *pem = malloc(pl);
    if (!pem)
        die("out of memory");
    snprintf(pem, pl, "-----BEGIN X509 CRL-----\n%.*s-----END X509 CRL-----\n", (int)bl, b64txt);
    seed_item("pck_crl_pem", 2, pem, strlen(pem));
    free(pem);
    BIO_free_all(b64);
    /* an issuer-chain header: the PEM with every reserved byte %-escaped */
    size_t cl = strlen(tcb_chain);
    char *enc = malloc(3 * cl + 1);
    if (!enc)
        die("out of memory");
    size_t k = 0;
    for (size_t i = 0; i < cl; i++) {
        unsigned char ch = (unsigned char)tcb_chain[i];
        if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-')
            enc[k++] = (char)ch;
        else
            k += (size_t)snprintf(enc + k, 4, "%%%02X", ch);
    }
    seed_item("header_chain", 4, enc, k);
    free(enc);
    seed_cache_file("cache_tcb", 5, "tcb_info", "00906EA10000", tcb_chain, (const uint8_t *)tcb, strlen(tcb));
    seed_cache_file("cache_qe", 6, "qe_identity", "", qe_chain, (const uint8_t *)qe, strlen(qe));
    seed_cache_file("cache_pck_crl", 7, "pck_crl", "platform", pck_chain, pck, (size_t)pn);
    seed_cache_file("cache_root_crl", 8, "root_ca_crl", "", qe_chain, root, (size_t)rn);
    OPENSSL_free(pck);
    OPENSSL_free(root);
    free(tcb);
    free(qe);
    json_decref(c);
}

/* ------------------------------------------------------------------ */
/* SEV-SNP reports (synthetic: the layout only, no real signature)      */
/* ------------------------------------------------------------------ */

static void snp_synthetic(uint8_t r[RATLS_SNP_REPORT_LEN], uint32_t version, uint8_t family, uint8_t model)
{
    memset(r, 0, RATLS_SNP_REPORT_LEN);
    put_le32(r + 0x00, version);
    put_le32(r + 0x08, 0x30000); /* policy: SMT + reserved bit 17 */
    put_le32(r + 0x34, 1);       /* ECDSA P-384 */
    static const uint8_t tcb[8] = {3, 0, 0, 0, 0, 0, 8, 0xd1};
    memcpy(r + 0x38, tcb, 8);
    memset(r + 0x50, 0x5A, 64);
    memset(r + 0x90, 0x11, 48);
    memcpy(r + 0x180, tcb, 8);
    if (version >= 3) {
        r[0x188] = family;
        r[0x189] = model;
        r[0x18A] = 1;
    }
    for (unsigned i = 0; i < 64; i++)
        r[0x1A0 + i] = (uint8_t)(0xA0 + i);
    memcpy(r + 0x1E0, tcb, 8);
    r[0x1E8] = 21;
    r[0x1EA] = 1;
    memcpy(r + 0x1F0, tcb, 8);
    if (version >= 5) {
        r[0x1F8] = 0x3f;
        r[0x200] = 0x3f;
    }
    memset(r + 0x2A0, 0x33, 48);
    memset(r + 0x2E8, 0x44, 48);
}

static void snp_report_seeds(void)
{
    uint8_t r[RATLS_SNP_REPORT_LEN];
    snp_synthetic(r, 2, 0, 0);
    seed(&g_snp, "v2", r, sizeof r);
    seed(&g_snp, "edge_truncated_signed", r, 0x2A0);
    snp_synthetic(r, 3, 0x19, 0x01);
    seed(&g_snp, "v3_milan", r, sizeof r);
    snp_synthetic(r, 3, 0x19, 0x11);
    seed(&g_snp, "v3_genoa", r, sizeof r);
    snp_synthetic(r, 5, 0x1A, 0x02);
    seed(&g_snp, "v5_turin", r, sizeof r);
    r[0x48] = 1u << 2; /* VLEK */
    seed(&g_snp, "v5_vlek", r, sizeof r);
    r[0x48] = 0;
    r[0x208] = 1;
    seed(&g_snp, "edge_v5_reserved", r, sizeof r);
    snp_synthetic(r, 4, 0x19, 0x01);
    seed(&g_snp, "edge_version_4", r, sizeof r);
    seed(&g_snp, "edge_empty", r, 0);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
        return 2;
    }
    g_out = argv[1];
    seed_dir *dirs[] = {&g_quote, &g_coll, &g_ext, &g_pem, &g_item, &g_snp};
    make_dir(g_out);
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", g_out, dirs[i]->name);
        make_dir(path);
    }

    tp_output out[FZ_SCENARIO_COUNT_];
    for (int sc = 0; sc < FZ_SCENARIO_COUNT_; sc++)
        if (fuzz_generate((fuzz_scenario)sc, &out[sc]) != 0)
            die("fuzz_generate failed");

    for (int sc = 0; sc < FZ_SCENARIO_COUNT_; sc++) {
        const char *name = fuzz_scenario_name((fuzz_scenario)sc);
        seed(&g_quote, name, out[sc].quote, out[sc].quote_len);
        seed_str(&g_coll, name, out[sc].collateral_json);
    }
    quote_edge_cases(&out[FZ_V4], &out[FZ_V5_TD10]);

    seed_sgx_ext("platform", &out[FZ_V4]);
    seed_sgx_ext("processor", &out[FZ_PROCESSOR_CA]);
    sgx_ext_edge_cases();

    const uint8_t *pem;
    size_t pem_len;
    ratls_tdx_quote *pq = NULL;
    pck_chain(&out[FZ_V4], &pem, &pem_len, &pq);
    seed(&g_pem, "quote_pck_chain", pem, pem_len);
    ratls_tdx_quote_free(pq);
    pck_chain(&out[FZ_PROCESSOR_CA], &pem, &pem_len, &pq);
    seed(&g_pem, "quote_pck_chain_processor", pem, pem_len);
    ratls_tdx_quote_free(pq);
    json_t *c = json_loads(out[FZ_V4].collateral_json, 0, NULL);
    const char *crl_chain = json_string_value(json_object_get(c, "pck_crl_issuer_chain"));
    if (!crl_chain)
        die("the collateral has no pck_crl_issuer_chain");
    seed_str(&g_pem, "pck_crl_issuer_chain", crl_chain);
    json_decref(c);
    pem_edge_cases(&out[FZ_V4]);
    der_seeds(&out[FZ_V4], &out[FZ_REVOKED_PCK]);
    regression_seeds(&out[FZ_V4], &out[FZ_REVOKED_PCK]);

    collateral_edge_cases(&out[FZ_V4]);
    collateral_item_seeds(&out[FZ_V4]);
    snp_report_seeds();

    size_t total = 0;
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        size_t bytes = 0;
        for (size_t k = 0; k < dirs[i]->n; k++)
            bytes += dirs[i]->len[k];
        printf("%-11s %2zu seeds, %6zu bytes\n", dirs[i]->name, dirs[i]->n, bytes);
        total += dirs[i]->n;
        free_dir(dirs[i]);
    }
    printf("total       %2zu seeds\n", total);
    for (int sc = 0; sc < FZ_SCENARIO_COUNT_; sc++)
        tp_output_free(&out[sc]);
    return g_errors ? 1 : 0;
}
