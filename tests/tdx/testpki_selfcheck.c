/*
 * Self-check of the simulated DCAP PKI, independent of the library's own
 * parsers and verifier: OpenSSL checks the chains, CRLs and signatures and
 * jansson the JSON, with quote offsets taken straight from the spec.
 *
 *   testpki_selfcheck [DIR]   exit 0 when every check passes; with DIR, also
 *                             writes the default scenario's files there
 *                             (quote.bin, collateral.json, root.pem, leaf.pem,
 *                             ca.pem, tcb.pem, root_crl.der, pck_crl.der,
 *                             tcb_info.json, tcb_info.sig, qe_identity.json,
 *                             qe_identity.sig, qe_report.bin, qe_report.sig,
 *                             quote_signed.bin, quote.sig, att_key.der)
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "testpki/testpki.h"

#define NOW INT64_C(1760000000) /* 2025-10-09 */

static int failures;

#define CHECK(cond)                                                                                                    \
    do {                                                                                                               \
        if (!(cond)) {                                                                                                 \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);                                   \
            failures++;                                                                                                \
        }                                                                                                              \
    } while (0)

static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static int unhex(const char *h, uint8_t **out, size_t *len)
{
    size_t n = strlen(h);
    if (n % 2)
        return -1;
    *out = malloc(n / 2 + 1);
    if (*out == NULL)
        return -1;
    for (size_t i = 0; i < n / 2; i++) {
        unsigned v;
        if (sscanf(h + 2 * i, "%2x", &v) != 1) {
            free(*out);
            return -1;
        }
        (*out)[i] = (uint8_t)v;
    }
    *len = n / 2;
    return 0;
}

/* SubjectPublicKeyInfo for a raw P-256 x||y. */
static EVP_PKEY *p256_from_raw(const uint8_t xy[64])
{
    static const uint8_t prefix[27] = {0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48,
                                       0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48,
                                       0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04};
    uint8_t der[91];
    memcpy(der, prefix, sizeof(prefix));
    memcpy(der + sizeof(prefix), xy, 64);
    const uint8_t *p = der;
    return d2i_PUBKEY(NULL, &p, (long)sizeof(der));
}

/* Verify a raw r||s ECDSA-P256/SHA-256 signature. */
static int verify_raw(EVP_PKEY *key, const uint8_t *msg, size_t len, const uint8_t sig[64])
{
    ECDSA_SIG *es = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(sig, 32, NULL), *s = BN_bin2bn(sig + 32, 32, NULL);
    unsigned char *der = NULL;
    int ok = 0, dlen;
    if (es == NULL || r == NULL || s == NULL || ECDSA_SIG_set0(es, r, s) != 1) {
        BN_free(r);
        BN_free(s);
        ECDSA_SIG_free(es);
        return 0;
    }
    dlen = i2d_ECDSA_SIG(es, &der);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (dlen > 0 && md != NULL && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) == 1)
        ok = EVP_DigestVerify(md, der, (size_t)dlen, msg, len) == 1;
    EVP_MD_CTX_free(md);
    OPENSSL_free(der);
    ECDSA_SIG_free(es);
    return ok;
}

static STACK_OF(X509) * pem_certs(const char *pem, size_t len)
{
    BIO *b = BIO_new_mem_buf(pem, (int)len);
    STACK_OF(X509) *sk = sk_X509_new_null();
    X509 *x;
    while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL)
        sk_X509_push(sk, x);
    BIO_free(b);
    return sk;
}

static X509_CRL *crl_from_hex(const char *hex)
{
    uint8_t *der;
    size_t len;
    if (unhex(hex, &der, &len) != 0)
        return NULL;
    const uint8_t *p = der;
    X509_CRL *c = d2i_X509_CRL(NULL, &p, (long)len);
    free(der);
    return c;
}

/* X509_verify_cert of `leaf` with `untrusted` and both CRLs at `now`. */
static int chain_verdict(X509 *root, X509 *leaf, STACK_OF(X509) * untrusted, X509_CRL *c1, X509_CRL *c2, int64_t now)
{
    X509_STORE *st = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    X509_STORE_add_cert(st, root);
    if (c1)
        X509_STORE_add_crl(st, c1);
    if (c2)
        X509_STORE_add_crl(st, c2);
    X509_STORE_CTX_init(ctx, st, leaf, untrusted);
    X509_VERIFY_PARAM *vp = X509_STORE_CTX_get0_param(ctx);
    X509_VERIFY_PARAM_set_time(vp, (time_t)now);
    X509_VERIFY_PARAM_set_flags(vp, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL | X509_V_FLAG_X509_STRICT);
    int rc = X509_verify_cert(ctx) == 1 ? X509_V_OK : X509_STORE_CTX_get_error(ctx);
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(st);
    return rc;
}

static void write_file(const char *dir, const char *name, const void *data, size_t len)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL) {
        perror(path);
        failures++;
        return;
    }
    fwrite(data, 1, len, f);
    fclose(f);
}

static void write_pem(const char *dir, const char *name, X509 *x)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        failures++;
        return;
    }
    PEM_write_X509(f, x);
    fclose(f);
}

/* Count SEQUENCE entries at the top of the SGX extension (lengths < 64 KiB). */
static int sgx_ext_entries(X509 *leaf)
{
    ASN1_OBJECT *obj = OBJ_txt2obj("1.2.840.113741.1.13.1", 1);
    int idx = X509_get_ext_by_OBJ(leaf, obj, -1);
    ASN1_OBJECT_free(obj);
    if (idx < 0)
        return -1;
    X509_EXTENSION *ext = X509_get_ext(leaf, idx);
    if (X509_EXTENSION_get_critical(ext))
        return -1;
    const ASN1_OCTET_STRING *os = X509_EXTENSION_get_data(ext);
    const uint8_t *p = ASN1_STRING_get0_data(os);
    size_t n = (size_t)ASN1_STRING_length(os), off = 0, count = 0;
    long len;
    int tag, cls;
    const uint8_t *q = p;
    if (ASN1_get_object(&q, &len, &tag, &cls, (long)n) & 0x80 || tag != V_ASN1_SEQUENCE)
        return -1;
    off = (size_t)(q - p);
    if (off + (size_t)len != n)
        return -1;
    while (off < n) {
        const uint8_t *e = p + off;
        if (ASN1_get_object(&e, &len, &tag, &cls, (long)(n - off)) & 0x80 || tag != V_ASN1_SEQUENCE)
            return -1;
        off = (size_t)(e - p) + (size_t)len;
        count++;
    }
    return (int)count;
}

typedef struct parsed {
    const uint8_t *signed_part;
    size_t signed_len;
    const uint8_t *quote_sig, *att_key, *qe_report, *qe_sig, *auth;
    uint16_t auth_len;
    const char *pem;
    size_t pem_len;
} parsed;

static int parse_quote(const tp_output *o, const tp_scenario *s, parsed *pq)
{
    const uint8_t *q = o->quote;
    size_t body_off = s->quote_version == 5 ? 54 : 48;
    size_t body_len = (s->quote_version == 5 && s->body_type == 3) ? 648 : 584;
    size_t off = body_off + body_len;
    CHECK(le16(q) == s->quote_version);
    CHECK(le16(q + 2) == 2);
    CHECK(le32(q + 4) == 0x81);
    if (s->quote_version == 5) {
        CHECK(le16(q + 48) == s->body_type);
        CHECK(le32(q + 50) == body_len);
    }
    CHECK(memcmp(q + body_off, s->report.tee_tcb_svn, 16) == 0);
    CHECK(memcmp(q + body_off + 120, s->report.td_attributes, 8) == 0);
    CHECK(memcmp(q + body_off + 520, s->report.report_data, 64) == 0);
    if (body_len == 648)
        CHECK(memcmp(q + body_off + 600, s->report.mr_service_td, 48) == 0);
    pq->signed_part = q;
    pq->signed_len = off;
    uint32_t sig_len = le32(q + off);
    CHECK(off + 4 + sig_len + s->trailing_bytes == o->quote_len);
    off += 4;
    pq->quote_sig = q + off;
    pq->att_key = q + off + 64;
    off += 128;
    CHECK(le16(q + off) == 6);
    uint32_t cd_len = le32(q + off + 2);
    CHECK(cd_len == sig_len - 134);
    off += 6;
    pq->qe_report = q + off;
    pq->qe_sig = q + off + 384;
    off += 448;
    pq->auth_len = le16(q + off);
    pq->auth = q + off + 2;
    off += 2u + pq->auth_len;
    CHECK(le16(q + off) == 5);
    pq->pem_len = le32(q + off + 2);
    pq->pem = (const char *)(q + off + 6);
    CHECK(off + 6 + pq->pem_len == o->quote_len - s->trailing_bytes);
    CHECK(pq->pem[pq->pem_len - 1] == '\0');
    return 0;
}

static void check_scenario(const tp_scenario *s, const char *dir, int expect_revoked)
{
    tp_output o;
    CHECK(tp_generate(s, &o) == 0);
    if (o.quote == NULL)
        return;
    parsed pq;
    parse_quote(&o, s, &pq);

    json_error_t jerr;
    json_t *coll = json_loads(o.collateral_json, 0, &jerr);
    CHECK(coll != NULL);
    CHECK(strlen(o.collateral_json) == o.collateral_len);
    const char *keys[] = {"pck_crl_issuer_chain",     "root_ca_crl", "pck_crl",
                          "tcb_info_issuer_chain",    "tcb_info",    "tcb_info_signature",
                          "qe_identity_issuer_chain", "qe_identity", "qe_identity_signature"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        CHECK(json_is_string(json_object_get(coll, keys[i])));

    const uint8_t *rp = o.root_der;
    X509 *root = d2i_X509(NULL, &rp, (long)o.root_der_len);
    CHECK(root != NULL);
    STACK_OF(X509) *qchain = pem_certs(pq.pem, pq.pem_len - 1);
    CHECK(sk_X509_num(qchain) == 3);
    X509 *leaf = sk_X509_value(qchain, 0), *ca = sk_X509_value(qchain, 1);
    CHECK(X509_cmp(sk_X509_value(qchain, 2), root) == 0);
    const char *tcb_chain_pem = json_string_value(json_object_get(coll, "tcb_info_issuer_chain"));
    STACK_OF(X509) *tchain = pem_certs(tcb_chain_pem, strlen(tcb_chain_pem));
    CHECK(sk_X509_num(tchain) == 2);
    X509 *tcb = sk_X509_value(tchain, 0);
    const char *pck_crl_chain_pem = json_string_value(json_object_get(coll, "pck_crl_issuer_chain"));
    STACK_OF(X509) *cchain = pem_certs(pck_crl_chain_pem, strlen(pck_crl_chain_pem));
    CHECK(sk_X509_num(cchain) == 2 && X509_cmp(sk_X509_value(cchain, 0), ca) == 0);

    X509_CRL *root_crl = crl_from_hex(json_string_value(json_object_get(coll, "root_ca_crl")));
    X509_CRL *pck_crl = crl_from_hex(json_string_value(json_object_get(coll, "pck_crl")));
    CHECK(root_crl != NULL && pck_crl != NULL);
    EVP_PKEY *root_pub = X509_get0_pubkey(root), *ca_pub = X509_get0_pubkey(ca);
    CHECK(X509_CRL_verify(root_crl, root_pub) == 1);
    CHECK(X509_CRL_verify(pck_crl, ca_pub) == 1);
    CHECK(X509_NAME_cmp(X509_CRL_get_issuer(pck_crl), X509_get_issuer_name(leaf)) == 0);

    STACK_OF(X509) *untrusted = sk_X509_new_null();
    sk_X509_push(untrusted, ca);
    int v = chain_verdict(root, leaf, untrusted, root_crl, pck_crl, s->now);
    if (expect_revoked)
        CHECK(v == X509_V_ERR_CERT_REVOKED);
    else
        CHECK(v == X509_V_OK);
    if (v != X509_V_OK && !expect_revoked)
        fprintf(stderr, "  pck chain: %s\n", X509_verify_cert_error_string(v));
    v = chain_verdict(root, tcb, NULL, root_crl, NULL, s->now);
    CHECK(v == X509_V_OK);
    sk_X509_free(untrusted);

    /* names the verifier matches on */
    char cn[256];
    X509_NAME_get_text_by_NID(X509_get_subject_name(leaf), NID_commonName, cn, sizeof(cn));
    CHECK(strstr(cn, "SGX PCK Certificate") != NULL);
    X509_NAME_get_text_by_NID(X509_get_subject_name(ca), NID_commonName, cn, sizeof(cn));
    CHECK(strstr(cn, s->processor_ca ? "Processor CA" : "Platform CA") != NULL);
    X509_NAME_get_text_by_NID(X509_get_subject_name(tcb), NID_commonName, cn, sizeof(cn));
    CHECK(strstr(cn, "SGX TCB Signing") != NULL);
    CHECK(sgx_ext_entries(leaf) == (s->processor_ca ? 5 : 7));

    /* signed JSON: exact text, compact, Intel's key order (jansson re-dumps it byte-identically) */
    const char *names[2][2] = {{"tcb_info", "tcb_info_signature"}, {"qe_identity", "qe_identity_signature"}};
    for (size_t i = 0; i < 2; i++) {
        const char *text = json_string_value(json_object_get(coll, names[i][0]));
        uint8_t *sig;
        size_t sig_len;
        CHECK(unhex(json_string_value(json_object_get(coll, names[i][1])), &sig, &sig_len) == 0 && sig_len == 64);
        CHECK(verify_raw(X509_get0_pubkey(tcb), (const uint8_t *)text, strlen(text), sig));
        json_t *j = json_loads(text, JSON_DECODE_ANY, &jerr);
        CHECK(j != NULL);
        char *re = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
        CHECK(re != NULL && strcmp(re, text) == 0);
        if (dir != NULL) {
            write_file(dir, i ? "qe_identity.json" : "tcb_info.json", text, strlen(text));
            write_file(dir, i ? "qe_identity.sig.raw" : "tcb_info.sig.raw", sig, 64);
        }
        free(re);
        json_decref(j);
        free(sig);
    }

    /* QE report: signed by the PCK key, bound to the attestation key */
    CHECK(verify_raw(X509_get0_pubkey(leaf), pq.qe_report, 384, pq.qe_sig));
    uint8_t msg[64 + 65535], h[32];
    memcpy(msg, pq.att_key, 64);
    memcpy(msg + 64, pq.auth, pq.auth_len);
    EVP_Digest(msg, 64u + pq.auth_len, h, NULL, EVP_sha256(), NULL);
    CHECK(memcmp(pq.qe_report + 320, h, 32) == 0);
    static const uint8_t zero[32];
    CHECK((memcmp(pq.qe_report + 352, zero, 32) == 0) == !s->qe_report_data_upper_nonzero);
    CHECK(le16(pq.qe_report + 258) == s->qe_isvsvn);
    CHECK(memcmp(pq.qe_report + 128, s->qe_mrsigner, 32) == 0);
    EVP_PKEY *att = p256_from_raw(pq.att_key);
    CHECK(att != NULL);
    CHECK(verify_raw(att, pq.signed_part, pq.signed_len, pq.quote_sig));

    if (dir != NULL) {
        write_file(dir, "quote.bin", o.quote, o.quote_len);
        write_file(dir, "collateral.json", o.collateral_json, o.collateral_len);
        write_file(dir, "root.pem", o.root_pem, strlen(o.root_pem));
        write_file(dir, "root.der", o.root_der, o.root_der_len);
        write_pem(dir, "leaf.pem", leaf);
        write_pem(dir, "ca.pem", ca);
        write_pem(dir, "tcb.pem", tcb);
        unsigned char *d = NULL;
        int n = i2d_X509_CRL(root_crl, &d);
        write_file(dir, "root_crl.der", d, (size_t)n);
        OPENSSL_free(d);
        d = NULL;
        n = i2d_X509_CRL(pck_crl, &d);
        write_file(dir, "pck_crl.der", d, (size_t)n);
        OPENSSL_free(d);
        write_file(dir, "qe_report.bin", pq.qe_report, 384);
        write_file(dir, "qe_report.sig.raw", pq.qe_sig, 64);
        write_file(dir, "quote_signed.bin", pq.signed_part, pq.signed_len);
        write_file(dir, "quote.sig.raw", pq.quote_sig, 64);
        d = NULL;
        n = i2d_PUBKEY(att, &d);
        write_file(dir, "att_key.der", d, (size_t)n);
        OPENSSL_free(d);
    }

    EVP_PKEY_free(att);
    X509_CRL_free(root_crl);
    X509_CRL_free(pck_crl);
    sk_X509_pop_free(qchain, X509_free);
    sk_X509_pop_free(tchain, X509_free);
    sk_X509_pop_free(cchain, X509_free);
    X509_free(root);
    json_decref(coll);
    tp_output_free(&o);
}

int main(int argc, char **argv)
{
    tp_scenario s;
    tp_scenario_default(&s, NOW);
    check_scenario(&s, argc > 1 ? argv[1] : NULL, 0);

    /* Processor CA, v5 TD 1.5, trailing bytes, upper report data */
    tp_scenario_default(&s, NOW);
    s.processor_ca = 1;
    s.quote_version = 5;
    s.body_type = 3;
    s.report.mr_service_td[0] = 1;
    s.trailing_bytes = 70;
    s.qe_report_data_upper_nonzero = 1;
    check_scenario(&s, NULL, 0);

    /* v5 TD 1.0 */
    tp_scenario_default(&s, NOW);
    s.quote_version = 5;
    check_scenario(&s, NULL, 0);

    /* revoked PCK */
    tp_scenario_default(&s, NOW);
    s.revoke_pck = 1;
    check_scenario(&s, NULL, 1);

    /* the root is the same across calls; output free is idempotent */
    tp_output a, b;
    tp_scenario_default(&s, NOW);
    CHECK(tp_generate(&s, &a) == 0 && tp_generate(&s, &b) == 0);
    CHECK(a.root_der_len == b.root_der_len && memcmp(a.root_der, b.root_der, a.root_der_len) == 0);
    tp_output_free(&a);
    tp_output_free(&a);
    tp_output_free(&b);
    tp_output_free(NULL);
    tp_output z;
    memset(&z, 0, sizeof(z));
    tp_output_free(&z);

    /* rejected scenarios leave a zeroed output */
    s.nlevels = TP_MAX_LEVELS + 1;
    CHECK(tp_generate(&s, &a) != 0 && a.quote == NULL && a.collateral_json == NULL);
    tp_scenario_default(&s, NOW);
    s.levels[0].status = NULL;
    CHECK(tp_generate(&s, &a) != 0);

    /* speed */
    tp_scenario_default(&s, NOW);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < 200; i++) {
        CHECK(tp_generate(&s, &a) == 0);
        tp_output_free(&a);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ms = ((double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6) / 200;
    printf("tp_generate: %.3f ms per scenario\n", ms);

    if (failures)
        fprintf(stderr, "%d check(s) failed\n", failures);
    else
        printf("testpki self-check: all checks passed\n");
    return failures ? 1 : 0;
}
