/* A self-made AMD-like PKI for tests (see snp_synth.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "base/reader.h"
#include "snp_synth.h"

EVP_PKEY *synth_ec_key(const char *curve) { return EVP_PKEY_Q_keygen(NULL, NULL, "EC", curve); }

void synth_add_ext_der(X509 *x, const char *oid, const uint8_t *der, int n)
{
    ASN1_OBJECT *o = OBJ_txt2obj(oid, 1);
    ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
    assert_true(o && os && ASN1_OCTET_STRING_set(os, der, n));
    X509_EXTENSION *e = X509_EXTENSION_create_by_OBJ(NULL, o, 0, os);
    assert_non_null(e);
    assert_true(X509_add_ext(x, e, -1));
    X509_EXTENSION_free(e);
    ASN1_OCTET_STRING_free(os);
    ASN1_OBJECT_free(o);
}

void synth_add_ext_int(X509 *x, const char *oid, long v)
{
    ASN1_INTEGER *ai = ASN1_INTEGER_new();
    assert_true(ai && ASN1_INTEGER_set(ai, v));
    unsigned char *der = NULL;
    int n = i2d_ASN1_INTEGER(ai, &der);
    assert_true(n > 0);
    synth_add_ext_der(x, oid, der, n);
    OPENSSL_free(der);
    ASN1_INTEGER_free(ai);
}

X509 *synth_mk_cert(const char *cn, X509 *issuer, EVP_PKEY *issuer_key, EVP_PKEY *key, int ca, int64_t nb, int64_t na)
{
    X509 *x = X509_new();
    assert_non_null(x);
    assert_true(X509_set_version(x, 2));
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_NAME *n = X509_NAME_new();
    assert_true(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0));
    assert_true(X509_set_subject_name(x, n));
    assert_true(X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : n));
    X509_NAME_free(n);
    ASN1_TIME_set(X509_getm_notBefore(x), (time_t)nb);
    ASN1_TIME_set(X509_getm_notAfter(x), (time_t)na);
    assert_true(X509_set_pubkey(x, key));
    X509V3_CTX v3;
    X509V3_set_ctx(&v3, issuer ? issuer : x, x, NULL, NULL, 0);
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &v3, NID_basic_constraints, ca ? "critical,CA:TRUE" : "CA:FALSE");
    assert_non_null(e);
    X509_add_ext(x, e, -1);
    X509_EXTENSION_free(e);
    if (ca) {
        e = X509V3_EXT_conf_nid(NULL, &v3, NID_key_usage, "critical,keyCertSign,cRLSign");
        X509_add_ext(x, e, -1);
        X509_EXTENSION_free(e);
    }
    (void)issuer_key;
    return x;
}

void synth_sign_cert(X509 *x, EVP_PKEY *k) { assert_true(X509_sign(x, k, EVP_sha384()) > 0); }

void synth_opts_default(synth_opts *o, ratls_snp_product p)
{
    memset(o, 0, sizeof *o);
    o->product = p;
    o->version = 3;
    o->policy = 0x30000;
    static const uint8_t milan_tcb[8] = {3, 0, 0, 0, 0, 0, 8, 0xd1};
    static const uint8_t turin_tcb[8] = {1, 1, 1, 4, 0, 0, 0, 0x51};
    memcpy(o->tcb, p == RATLS_SNP_PRODUCT_TURIN ? turin_tcb : milan_tcb, 8);
    memcpy(o->spl_tcb, o->tcb, 8);
    for (unsigned i = 0; i < 64; i++)
        o->chip_id[i] = (uint8_t)(0xA0 + i);
    if (p == RATLS_SNP_PRODUCT_TURIN)
        memset(o->chip_id + 8, 0, 56);
    memcpy(o->hwid, o->chip_id, 64);
    o->ark_cn = "ARK-Test";
}

void synth_build(synth *s, const synth_opts *o)
{
    memset(s, 0, sizeof *s);
    int turin = o->product == RATLS_SNP_PRODUCT_TURIN;
    s->ark_key = synth_ec_key("P-384");
    s->ask_key = synth_ec_key("P-384");
    s->vek_key = synth_ec_key("P-384");
    assert_true(s->ark_key && s->ask_key && s->vek_key);
    int64_t nb = 1600000000, na = 2000000000;
    s->ark = synth_mk_cert(o->ark_cn, NULL, s->ark_key, s->ark_key, 1, nb, na);
    synth_sign_cert(s->ark, s->ark_key);
    s->ask = synth_mk_cert("SEV-Test", s->ark, s->ark_key, s->ask_key, 1, nb, na);
    synth_sign_cert(s->ask, s->ark_key);
    s->vek = synth_mk_cert("SEV-VCEK", s->ask, s->ask_key, s->vek_key, 0, nb, na);
    ASN1_INTEGER_set(X509_get_serialNumber(s->vek), 2); /* the ASK and ARK have 1 */
    const char *pn = o->product == RATLS_SNP_PRODUCT_MILAN ? "Milan-B0" : turin ? "Turin" : "Genoa";
    ASN1_IA5STRING *ia = ASN1_IA5STRING_new();
    assert_true(ia && ASN1_STRING_set(ia, pn, -1));
    unsigned char *der = NULL;
    int dn = i2d_ASN1_IA5STRING(ia, &der);
    synth_add_ext_der(s->vek, "1.3.6.1.4.1.3704.1.2", der, dn);
    OPENSSL_free(der);
    ASN1_IA5STRING_free(ia);
    snp_tcb t;
    uint64_t st = 0;
    for (unsigned i = 0; i < 8; i++)
        st |= (uint64_t)o->spl_tcb[i] << (8 * i);
    snp_tcb_split(st, o->product, &t);
    synth_add_ext_int(s->vek, "1.3.6.1.4.1.3704.1.3.1", t.bl);
    synth_add_ext_int(s->vek, "1.3.6.1.4.1.3704.1.3.2", t.tee);
    synth_add_ext_int(s->vek, "1.3.6.1.4.1.3704.1.3.3", t.snp);
    synth_add_ext_int(s->vek, "1.3.6.1.4.1.3704.1.3.8", t.ucode);
    if (turin)
        synth_add_ext_int(s->vek, "1.3.6.1.4.1.3704.1.3.9", t.fmc);
    synth_add_ext_der(s->vek, "1.3.6.1.4.1.3704.1.4", o->hwid, turin ? 8 : 64);
    synth_sign_cert(s->vek, s->ask_key);

    unsigned char *spki = NULL;
    int sn = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(s->ark), &spki);
    assert_true(sn > 0);
    SHA256(spki, (size_t)sn, s->pin);
    OPENSSL_free(spki);

    s->vek_der = NULL;
    int vn = i2d_X509(s->vek, &s->vek_der);
    assert_true(vn > 0);
    s->vek_len = (size_t)vn;
    BIO *b = BIO_new(BIO_s_mem());
    assert_true(b && PEM_write_bio_X509(b, s->ask) && PEM_write_bio_X509(b, s->ark));
    char *p;
    long pl = BIO_get_mem_data(b, &p);
    s->chain_pem = malloc((size_t)pl);
    assert_non_null(s->chain_pem);
    memcpy(s->chain_pem, p, (size_t)pl);
    s->chain_len = (size_t)pl;
    BIO_free(b);

    /* the report */
    uint8_t *r = s->report;
    memset(r, 0, sizeof s->report);
    put_le32(r + 0x00, o->version);
    put_le32(r + 0x08, (uint32_t)o->policy);
    put_le32(r + 0x0C, (uint32_t)(o->policy >> 32));
    put_le32(r + 0x30, o->vmpl);
    put_le32(r + 0x34, 1);
    memcpy(r + 0x38, o->tcb, 8);
    memset(r + 0x50, 0x5A, 64); /* report data */
    memset(r + 0x90, 0x11, 48); /* measurement */
    memcpy(r + 0x180, o->tcb, 8);
    if (o->version >= 3) {
        r[0x188] = turin ? 0x1A : 0x19;
        r[0x189] = turin ? 0x02 : o->product == RATLS_SNP_PRODUCT_MILAN ? 0x01 : 0x11;
        r[0x18A] = 1;
    }
    memcpy(r + 0x1A0, o->chip_id, 64);
    memcpy(r + 0x1E0, o->tcb, 8);
    memcpy(r + 0x1F0, o->tcb, 8);
    synth_resign(s);
}

void synth_resign(synth *s)
{
    uint8_t *r = s->report;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    size_t siglen = 0;
    assert_true(md && EVP_DigestSignInit(md, NULL, EVP_sha384(), NULL, s->vek_key) == 1);
    assert_true(EVP_DigestSign(md, NULL, &siglen, r, SNP_SIGNED_LEN) == 1);
    unsigned char *sig = malloc(siglen);
    assert_non_null(sig);
    assert_true(EVP_DigestSign(md, sig, &siglen, r, SNP_SIGNED_LEN) == 1);
    const unsigned char *sp = sig;
    ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &sp, (long)siglen);
    assert_non_null(es);
    assert_true(BN_bn2lebinpad(ECDSA_SIG_get0_r(es), r + 0x2A0, 72) == 72);
    assert_true(BN_bn2lebinpad(ECDSA_SIG_get0_s(es), r + 0x2E8, 72) == 72);
    ECDSA_SIG_free(es);
    free(sig);
    EVP_MD_CTX_free(md);
}

void synth_free(synth *s)
{
    X509_free(s->ark);
    X509_free(s->ask);
    X509_free(s->vek);
    EVP_PKEY_free(s->ark_key);
    EVP_PKEY_free(s->ask_key);
    EVP_PKEY_free(s->vek_key);
    OPENSSL_free(s->vek_der);
    free(s->chain_pem);
}

/* A CRL (DER) issued under `issuer`'s name, signed with `key`, revoking `serial` (0: none). */
uint8_t *synth_mk_crl(X509 *issuer, EVP_PKEY *key, int64_t last, int64_t next, long serial, size_t *len)
{
    X509_CRL *crl = X509_CRL_new();
    assert_non_null(crl);
    assert_true(X509_CRL_set_version(crl, 1));
    assert_true(X509_CRL_set_issuer_name(crl, X509_get_subject_name(issuer)));
    ASN1_TIME *t = ASN1_TIME_set(NULL, (time_t)last);
    assert_true(t && X509_CRL_set1_lastUpdate(crl, t));
    assert_non_null(ASN1_TIME_set(t, (time_t)next));
    assert_true(X509_CRL_set1_nextUpdate(crl, t));
    if (serial) {
        X509_REVOKED *rv = X509_REVOKED_new();
        ASN1_INTEGER *sn = ASN1_INTEGER_new();
        assert_true(rv && sn && ASN1_INTEGER_set(sn, serial) && X509_REVOKED_set_serialNumber(rv, sn));
        assert_non_null(ASN1_TIME_set(t, (time_t)last));
        assert_true(X509_REVOKED_set_revocationDate(rv, t));
        assert_true(X509_CRL_add0_revoked(crl, rv));
        ASN1_INTEGER_free(sn);
    }
    ASN1_TIME_free(t);
    assert_true(X509_CRL_sign(crl, key, EVP_sha384()) > 0);
    unsigned char *der = NULL;
    int n = i2d_X509_CRL(crl, &der);
    assert_true(n > 0);
    X509_CRL_free(crl);
    *len = (size_t)n;
    return der;
}
