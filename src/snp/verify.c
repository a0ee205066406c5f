/* SEV-SNP verification: ARK (pinned by SPKI hash) -> ASK/ASVK -> VCEK/VLEK with
 * OpenSSL X509 at a caller-given time, the report's ECDSA P-384 signature, the
 * VCEK's TCB/HWID extensions against the report, then the guest policy. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "base/result_int.h"
#include "base/util.h"
#include "snp/snp.h"

#define SNP_CERT_MAX_LEN (64u * 1024u) /* per input buffer */
#define SNP_CHAIN_MAX_CERTS 8

/* SHA-256 of each product's ARK SubjectPublicKeyInfo (DER). Values checked
 * against the ARKs AMD KDS serves (vcek/v1/<P>/cert_chain), as copied in
 * ../shared/vectors/snp (microsoft pinned_arks/<p>_ark.pem, google
 * trust/ask_ark_<p>.pem) and listed in shared/spec/sev-snp.md. */
static const uint8_t k_ark_pin_milan[32] = {/* ARK-Milan */
                                            0x9f, 0x05, 0x6b, 0xee, 0x44, 0x37, 0x7e, 0x29, 0x30, 0x8c, 0xb5,
                                            0xff, 0xa8, 0x95, 0xbd, 0xfb, 0x62, 0xd1, 0x88, 0x81, 0xfa, 0x6b,
                                            0xed, 0x8d, 0x6f, 0x07, 0x5b, 0x02, 0x04, 0x08, 0x9c, 0xb9};
static const uint8_t k_ark_pin_genoa[32] = {/* ARK-Genoa */
                                            0x42, 0x9a, 0x69, 0xc9, 0x42, 0x2a, 0xa2, 0x58, 0xee, 0x4d, 0x8d,
                                            0xb5, 0xfc, 0xda, 0x9c, 0x64, 0x70, 0xef, 0x15, 0xf8, 0xcd, 0x5a,
                                            0x9c, 0xeb, 0xd6, 0xcb, 0xc7, 0xd9, 0x0b, 0x86, 0x38, 0x31};
static const uint8_t k_ark_pin_turin[32] = {/* ARK-Turin */
                                            0x4f, 0x12, 0x54, 0x10, 0x56, 0x3a, 0x2a, 0xb9, 0xa5, 0x03, 0x56,
                                            0xf9, 0x24, 0x3f, 0x6f, 0xe0, 0xb6, 0xf7, 0x3d, 0xe9, 0x86, 0x03,
                                            0xf5, 0x3f, 0x90, 0x33, 0x9c, 0x70, 0xe9, 0xd7, 0xad, 0x08};

static const uint8_t *ark_pin(ratls_snp_product p)
{
    switch (p) {
    case RATLS_SNP_PRODUCT_MILAN:
        return k_ark_pin_milan;
    case RATLS_SNP_PRODUCT_GENOA:
        return k_ark_pin_genoa;
    case RATLS_SNP_PRODUCT_TURIN:
        return k_ark_pin_turin;
    case RATLS_SNP_PRODUCT_UNKNOWN:
    default:
        return NULL;
    }
}

/* ---- policy ---- */

struct ratls_snp_policy {
    unsigned flags;
    unsigned vmpl;
    unsigned min_abi_major, min_abi_minor;
    int has_measurement, has_report_data;
    uint8_t measurement[RATLS_SNP_MEASUREMENT_LEN];
    uint8_t report_data[RATLS_SNP_REPORT_DATA_LEN];
};

ratls_snp_policy *ratls_snp_policy_new(void) { return calloc(1, sizeof(ratls_snp_policy)); }
void ratls_snp_policy_free(ratls_snp_policy *p) { free(p); }
void ratls_snp_policy_set_flags(ratls_snp_policy *p, unsigned flags)
{
    if (p)
        p->flags = flags;
}
ratls_status ratls_snp_policy_set_vmpl(ratls_snp_policy *p, unsigned vmpl)
{
    if (!p || vmpl > 3)
        return RATLS_ERR_INVALID_ARGUMENT;
    p->vmpl = vmpl;
    return RATLS_OK;
}
void ratls_snp_policy_set_min_abi(ratls_snp_policy *p, unsigned major, unsigned minor)
{
    if (p) {
        p->min_abi_major = major;
        p->min_abi_minor = minor;
    }
}
ratls_status ratls_snp_policy_expect_measurement(ratls_snp_policy *p, const uint8_t *m, size_t len)
{
    if (!p || !m || len != RATLS_SNP_MEASUREMENT_LEN)
        return RATLS_ERR_INVALID_ARGUMENT;
    memcpy(p->measurement, m, len);
    p->has_measurement = 1;
    return RATLS_OK;
}
ratls_status ratls_snp_policy_expect_report_data(ratls_snp_policy *p, const uint8_t *d, size_t len)
{
    if (!p || !d || len != RATLS_SNP_REPORT_DATA_LEN)
        return RATLS_ERR_INVALID_ARGUMENT;
    memcpy(p->report_data, d, len);
    p->has_report_data = 1;
    return RATLS_OK;
}

/* ---- certificates ---- */

/* One DER certificate, or one or more PEM certificates, appended to sk. */
static int load_certs(const uint8_t *buf, size_t len, STACK_OF(X509) * sk)
{
    if (!buf || len == 0 || len > SNP_CERT_MAX_LEN)
        return -1;
    static const char pem_tag[] = "-----BEGIN";
    int is_pem = 0;
    for (size_t i = 0; i + sizeof pem_tag - 1 <= len; i++)
        if (memcmp(buf + i, pem_tag, sizeof pem_tag - 1) == 0) {
            is_pem = 1;
            break;
        }
    if (!is_pem) {
        const unsigned char *p = buf;
        X509 *x = d2i_X509(NULL, &p, (long)len);
        if (!x || p != buf + len || !sk_X509_push(sk, x)) {
            X509_free(x);
            return -1;
        }
        return 0;
    }
    BIO *b = BIO_new_mem_buf(buf, (int)len);
    if (!b)
        return -1;
    int n = 0;
    X509 *x;
    while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
        if (sk_X509_num(sk) >= SNP_CHAIN_MAX_CERTS || !sk_X509_push(sk, x)) {
            X509_free(x);
            BIO_free(b);
            return -1;
        }
        n++;
    }
    BIO_free(b);
    ERR_clear_error();
    return n > 0 ? 0 : -1;
}

static int spki_sha256(X509 *x, uint8_t out[32])
{
    unsigned char *der = NULL;
    int n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der);
    if (n <= 0)
        return -1;
    SHA256(der, (size_t)n, out);
    OPENSSL_free(der);
    return 0;
}

/* The extension value (the DER inside its OCTET STRING), or NULL. */
static const ASN1_OCTET_STRING *ext_value(X509 *x, const char *oid)
{
    ASN1_OBJECT *o = OBJ_txt2obj(oid, 1);
    if (!o)
        return NULL;
    int i = X509_get_ext_by_OBJ(x, o, -1);
    ASN1_OBJECT_free(o);
    if (i < 0)
        return NULL;
    return X509_EXTENSION_get_data(X509_get_ext(x, i));
}

/* An SPL extension: a DER INTEGER in 0..255 (0x80+ carries a leading 00).
 * 1 found, 0 absent, -1 malformed. */
static int ext_spl(X509 *x, const char *oid, uint8_t *out)
{
    const ASN1_OCTET_STRING *v = ext_value(x, oid);
    if (!v)
        return 0;
    const unsigned char *p = ASN1_STRING_get0_data(v);
    int n = ASN1_STRING_length(v);
    ASN1_INTEGER *ai = d2i_ASN1_INTEGER(NULL, &p, n);
    int64_t val;
    int ok = ai && p == ASN1_STRING_get0_data(v) + n && ASN1_INTEGER_get_int64(&val, ai) == 1 && val >= 0 && val <= 255;
    ASN1_INTEGER_free(ai);
    if (!ok)
        return -1;
    *out = (uint8_t)val;
    return 1;
}

/* The VCEK product-name extension (IA5String), copied into out; 0 if absent. */
static int ext_product_name(X509 *x, char *out, size_t cap)
{
    const ASN1_OCTET_STRING *v = ext_value(x, "1.3.6.1.4.1.3704.1.2");
    if (!v)
        return 0;
    const unsigned char *p = ASN1_STRING_get0_data(v);
    int n = ASN1_STRING_length(v);
    ASN1_IA5STRING *s = d2i_ASN1_IA5STRING(NULL, &p, n);
    int ok = s && ASN1_STRING_length(s) > 0 && (size_t)ASN1_STRING_length(s) < cap;
    if (ok) {
        memcpy(out, ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s));
        out[ASN1_STRING_length(s)] = 0;
        for (size_t i = 0; out[i]; i++)
            if (out[i] < 0x20 || out[i] > 0x7e)
                out[i] = '?';
    }
    ASN1_IA5STRING_free(s);
    return ok ? 1 : -1;
}

static ratls_snp_product product_from_cert_name(const char *name)
{
    static const struct {
        const char *prefix;
        ratls_snp_product p;
    } k[] = {
        {"Milan", RATLS_SNP_PRODUCT_MILAN}, {"Genoa", RATLS_SNP_PRODUCT_GENOA}, {"Turin", RATLS_SNP_PRODUCT_TURIN}};
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
        size_t n = strlen(k[i].prefix);
        if (strncmp(name, k[i].prefix, n) == 0 && (name[n] == 0 || name[n] == '-'))
            return k[i].p;
    }
    return RATLS_SNP_PRODUCT_UNKNOWN;
}

static ratls_status map_x509_err(int e)
{
    switch (e) {
    case X509_V_ERR_CERT_NOT_YET_VALID:
        return RATLS_ERR_CERT_NOT_YET_VALID;
    case X509_V_ERR_CERT_HAS_EXPIRED:
        return RATLS_ERR_CERT_EXPIRED;
    default:
        return RATLS_ERR_CERT_CHAIN;
    }
}

typedef struct snp_ctx {
    ratls_result *res;
    const struct ratls_snp_report *rep;
    ratls_snp_product product;
    const uint8_t *pin; /* ARK SPKI pin override (tests), else the product's */
    X509 *vek;          /* VCEK or VLEK */
    X509 *ask, *ark;    /* after a verified chain; owned by pool */
    STACK_OF(X509) * pool;
} snp_ctx;

/* ARK pinned, ARK self-signed, ASK/ASVK under ARK, VEK under ASK, all valid at now. */
static int check_chain(snp_ctx *c, int64_t now)
{
    ratls_result *r = c->res;
    const uint8_t *pin = c->product == RATLS_SNP_PRODUCT_UNKNOWN ? NULL : c->pin ? c->pin : ark_pin(c->product);
    if (!pin) {
        result_fail(r, RATLS_ERR_UNTRUSTED_ROOT, "snp.chain",
                    "unknown product: the report has no CPUID (v2) and no product was given; pass Milan, Genoa or "
                    "Turin");
        return -1;
    }
    X509 *ark = NULL;
    STACK_OF(X509) *untrusted = sk_X509_new_null();
    if (!untrusted) {
        result_fail(r, RATLS_ERR_NO_MEMORY, "snp.chain", "out of memory");
        return -1;
    }
    for (int i = 0; i < sk_X509_num(c->pool); i++) {
        X509 *x = sk_X509_value(c->pool, i);
        uint8_t h[32];
        if (spki_sha256(x, h) != 0)
            continue;
        if (!ark && CRYPTO_memcmp(h, pin, 32) == 0)
            ark = x;
        else if (!sk_X509_push(untrusted, x)) {
            sk_X509_free(untrusted);
            result_fail(r, RATLS_ERR_NO_MEMORY, "snp.chain", "out of memory");
            return -1;
        }
    }
    if (!ark) {
        sk_X509_free(untrusted);
        result_fail(r, RATLS_ERR_UNTRUSTED_ROOT, "snp.chain",
                    "no certificate supplied carries the pinned ARK-%s public key (pass the %s ASK and ARK)",
                    ratls_snp_product_name(c->product), ratls_snp_product_name(c->product));
        return -1;
    }
    int rc = -1;
    X509_STORE *store = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    if (!store || !ctx || !X509_STORE_add_cert(store, ark) || !X509_STORE_CTX_init(ctx, store, c->vek, untrusted)) {
        result_fail(r, RATLS_ERR_NO_MEMORY, "snp.chain", "out of memory");
        goto out;
    }
    X509_VERIFY_PARAM *vp = X509_STORE_CTX_get0_param(ctx);
    X509_VERIFY_PARAM_set_time(vp, (time_t)now);
    X509_VERIFY_PARAM_set_flags(vp, X509_V_FLAG_CHECK_SS_SIGNATURE);
    X509_VERIFY_PARAM_set_depth(vp, 2);
    if (X509_verify_cert(ctx) != 1) {
        int e = X509_STORE_CTX_get_error(ctx);
        int d = X509_STORE_CTX_get_error_depth(ctx);
        result_fail(r, map_x509_err(e), "snp.chain", "%s at depth %d (0 = VCEK, 1 = ASK, 2 = ARK-%s)",
                    X509_verify_cert_error_string(e), d, ratls_snp_product_name(c->product));
        goto out;
    }
    STACK_OF(X509) *chain = X509_STORE_CTX_get0_chain(ctx);
    if (sk_X509_num(chain) != 3 || sk_X509_value(chain, 2) != ark || X509_check_ca(sk_X509_value(chain, 1)) != 1 ||
        X509_check_ca(ark) != 1 || X509_check_ca(c->vek) != 0) {
        result_fail(r, RATLS_ERR_CERT_CHAIN, "snp.chain",
                    "the chain is not VCEK <- ASK <- ARK with CA flags on ASK and ARK only");
        goto out;
    }
    result_check_add(r, "snp.chain", RATLS_CHECK_PASS, "VEK <- ASK <- ARK-%s (pinned key), valid at the given time",
                     ratls_snp_product_name(c->product));
    c->ask = sk_X509_value(chain, 1); /* both are certificates of the pool */
    c->ark = ark;
    rc = 0;
out:
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    sk_X509_free(untrusted);
    return rc;
}

/* ECDSA P-384 / SHA-384 over bytes 0x000..0x29F; R and S little-endian. */
static int check_signature(snp_ctx *c)
{
    ratls_result *r = c->res;
    const struct ratls_snp_report *rep = c->rep;
    if (rep->signature_algo != 1) {
        result_fail(r, RATLS_ERR_SNP_REPORT_SIGNATURE, "snp.signature", "unsupported signature algorithm %u",
                    rep->signature_algo);
        return -1;
    }
    if (rep->signing_key == SNP_SIGNING_KEY_NONE) {
        result_fail(r, RATLS_ERR_SNP_REPORT_SIGNATURE, "snp.signature", "the report is not signed (signing key 7)");
        return -1;
    }
    EVP_PKEY *pk = X509_get0_pubkey(c->vek);
    char group[64] = "";
    size_t glen = 0;
    if (!pk || EVP_PKEY_get_base_id(pk) != EVP_PKEY_EC ||
        !EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &glen) ||
        strcmp(group, "secp384r1") != 0) {
        result_fail(r, RATLS_ERR_SNP_REPORT_SIGNATURE, "snp.signature", "the VCEK key is not ECDSA P-384");
        return -1;
    }
    int ok = 0;
    unsigned char *der = NULL;
    int derlen = 0;
    ECDSA_SIG *sig = ECDSA_SIG_new();
    BIGNUM *br = BN_lebin2bn(rep->sig_r, SNP_P384_LEN, NULL);
    BIGNUM *bs = BN_lebin2bn(rep->sig_s, SNP_P384_LEN, NULL);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!sig || !br || !bs || !md || !ECDSA_SIG_set0(sig, br, bs)) {
        BN_free(br);
        BN_free(bs);
        goto out;
    }
    derlen = i2d_ECDSA_SIG(sig, &der);
    if (derlen <= 0)
        goto out;
    ok = EVP_DigestVerifyInit(md, NULL, EVP_sha384(), NULL, pk) == 1 &&
         EVP_DigestVerify(md, der, (size_t)derlen, rep->raw, SNP_SIGNED_LEN) == 1;
out:
    EVP_MD_CTX_free(md);
    OPENSSL_free(der);
    ECDSA_SIG_free(sig);
    ERR_clear_error();
    if (!ok) {
        result_fail(r, RATLS_ERR_SNP_REPORT_SIGNATURE, "snp.signature",
                    "the report signature does not verify under the %s key", rep->signing_key ? "VLEK" : "VCEK");
        return -1;
    }
    result_check_add(r, "snp.signature", RATLS_CHECK_PASS, "ECDSA P-384 signature over the report verifies");
    return 0;
}

/* The VEK's SPL extensions equal REPORTED_TCB; its HWID equals CHIP_ID. */
static int check_tcb(snp_ctx *c)
{
    ratls_result *r = c->res;
    const struct ratls_snp_report *rep = c->rep;
    int turin = c->product == RATLS_SNP_PRODUCT_TURIN;
    snp_tcb t;
    snp_tcb_split(rep->reported_tcb, c->product, &t);
    static const char *const names[] = {"bootloader", "tee", "snp", "microcode", "fmc"};
    static const char *const oids[] = {"1.3.6.1.4.1.3704.1.3.1", "1.3.6.1.4.1.3704.1.3.2", "1.3.6.1.4.1.3704.1.3.3",
                                       "1.3.6.1.4.1.3704.1.3.8", "1.3.6.1.4.1.3704.1.3.9"};
    const uint8_t want[] = {t.bl, t.tee, t.snp, t.ucode, t.fmc};
    size_t n = turin ? 5 : 4;
    for (size_t i = 0; i < n; i++) {
        uint8_t got = 0;
        int k = ext_spl(c->vek, oids[i], &got);
        if (k <= 0) {
            result_fail(r, RATLS_ERR_SNP_TCB_MISMATCH, "snp.tcb", "the certificate's %s SPL extension %s is %s",
                        names[i], oids[i], k == 0 ? "missing" : "not an INTEGER in 0..255");
            return -1;
        }
        if (got != want[i]) {
            result_fail(r, RATLS_ERR_SNP_TCB_MISMATCH, "snp.tcb",
                        "REPORTED_TCB %s SPL is %u but the certificate is for %u", names[i], want[i], got);
            return -1;
        }
    }
    const ASN1_OCTET_STRING *hw = ext_value(c->vek, "1.3.6.1.4.1.3704.1.4");
    const ASN1_OCTET_STRING *csp = ext_value(c->vek, "1.3.6.1.4.1.3704.1.5");
    if (hw && csp) {
        result_fail(r, RATLS_ERR_SNP_TCB_MISMATCH, "snp.tcb", "the certificate has both a HWID and a CSP id");
        return -1;
    }
    if (rep->signing_key == SNP_SIGNING_KEY_VLEK) {
        if (!csp) {
            result_fail(r, RATLS_ERR_SNP_TCB_MISMATCH, "snp.tcb",
                        "the report is VLEK-signed but the certificate "
                        "is not a VLEK (no CSP id)");
            return -1;
        }
        result_check_add(r, "snp.tcb", RATLS_CHECK_PASS, "VLEK TCB equals REPORTED_TCB");
        return 0;
    }
    if (!hw) {
        result_fail(r, RATLS_ERR_SNP_TCB_MISMATCH, "snp.tcb", "the VCEK has no HWID extension");
        return -1;
    }
    static const uint8_t zero[64];
    if (CRYPTO_memcmp(rep->chip_id, zero, sizeof zero) == 0) {
        result_check_add(r, "snp.tcb", RATLS_CHECK_PASS,
                         "VCEK TCB equals REPORTED_TCB; CHIP_ID masked, HWID not compared");
        return 0;
    }
    size_t hlen = turin ? 8 : 64;
    const unsigned char *hp = ASN1_STRING_get0_data(hw);
    size_t hn = (size_t)ASN1_STRING_length(hw);
    ASN1_OCTET_STRING *inner = NULL;
    if (hn != hlen) { /* go-sev-guest also accepts a tagged OCTET STRING */
        const unsigned char *p = hp;
        inner = d2i_ASN1_OCTET_STRING(NULL, &p, (long)hn);
        if (inner && p == hp + hn) {
            hp = ASN1_STRING_get0_data(inner);
            hn = (size_t)ASN1_STRING_length(inner);
        }
    }
    int ok = hn == hlen && CRYPTO_memcmp(hp, rep->chip_id, hlen) == 0 &&
             (hlen == 64 || CRYPTO_memcmp(rep->chip_id + hlen, zero, 64 - hlen) == 0);
    ASN1_OCTET_STRING_free(inner);
    ERR_clear_error();
    if (!ok) {
        result_fail(r, RATLS_ERR_SNP_TCB_MISMATCH, "snp.tcb", "the VCEK's HWID is not the report's CHIP_ID");
        return -1;
    }
    result_check_add(r, "snp.tcb", RATLS_CHECK_PASS, "VCEK TCB equals REPORTED_TCB and HWID equals CHIP_ID");
    return 0;
}

/* One DER or PEM CRL, or NULL. */
static X509_CRL *load_crl(const uint8_t *buf, size_t len)
{
    if (!buf || len == 0 || len > SNP_CERT_MAX_LEN)
        return NULL;
    const unsigned char *p = buf;
    X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)len);
    if (crl && p == buf + len)
        return crl;
    X509_CRL_free(crl);
    crl = NULL;
    BIO *b = BIO_new_mem_buf(buf, (int)len);
    if (b)
        crl = PEM_read_bio_X509_CRL(b, NULL, NULL, NULL);
    BIO_free(b);
    return crl;
}

/* AMD's CRL for the product: issued and signed by the ARK, current at now, and
 * not listing the ASK/ASVK (the ARK's CRL lists the certificates it issued). */
static void check_crl(snp_ctx *c, const ratls_snp_collateral_parts *coll, const ratls_snp_policy *pol, int64_t now)
{
    ratls_result *r = c->res;
    if (!coll->crl) {
        if (pol->flags & RATLS_SNP_SKIP_REVOCATION_INSECURE)
            result_check_add(r, "snp.crl", RATLS_CHECK_SKIP, "revocation not checked (insecure switch)");
        else
            result_fail(r, RATLS_ERR_COLLATERAL_UNAVAILABLE, "snp.crl",
                        "no AMD CRL given; skipping revocation needs the explicit insecure switch");
        return;
    }
    if (!c->ark || !c->ask) {
        result_check_add(r, "snp.crl", RATLS_CHECK_SKIP, "needs a verified chain");
        return;
    }
    X509_CRL *crl = load_crl(coll->crl, coll->crl_len);
    if (!crl) {
        result_fail(r, RATLS_ERR_CRL_FORMAT, "snp.crl", "the CRL is not one DER or PEM CRL");
        ERR_clear_error();
        return;
    }
    time_t t = (time_t)now;
    const ASN1_TIME *next = X509_CRL_get0_nextUpdate(crl);
    X509_REVOKED *rev = NULL;
    if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(c->ark)) != 0)
        result_fail(r, RATLS_ERR_CRL_ISSUER, "snp.crl", "the CRL was not issued by ARK-%s",
                    ratls_snp_product_name(c->product));
    else if (X509_CRL_verify(crl, X509_get0_pubkey(c->ark)) != 1)
        result_fail(r, RATLS_ERR_CRL_SIGNATURE, "snp.crl", "the CRL's signature does not verify under the ARK");
    else if (X509_cmp_time(X509_CRL_get0_lastUpdate(crl), &t) != -1)
        result_fail(r, RATLS_ERR_CRL_NOT_YET_VALID, "snp.crl", "the CRL is not yet valid at the given time");
    else if (!next || X509_cmp_time(next, &t) != 1)
        result_fail(r, RATLS_ERR_CRL_EXPIRED, "snp.crl", "the CRL has no nextUpdate or is past it");
    else if (X509_CRL_get0_by_cert(crl, &rev, c->ask) == 1)
        result_fail(r, RATLS_ERR_CERT_REVOKED, "snp.crl", "the ASK is revoked by AMD's CRL");
    else
        result_check_add(r, "snp.crl", RATLS_CHECK_PASS,
                         "AMD's CRL is current, signed by the ARK, and does not list "
                         "the ASK");
    X509_CRL_free(crl);
    ERR_clear_error();
}

static void check_policy(snp_ctx *c, const ratls_snp_policy *pol)
{
    ratls_result *r = c->res;
    const struct ratls_snp_report *rep = c->rep;
    unsigned maj = (unsigned)((rep->policy >> 8) & 0xff), min = (unsigned)(rep->policy & 0xff);
    if ((rep->policy & SNP_POLICY_DEBUG) && !(pol->flags & RATLS_SNP_ALLOW_DEBUG_INSECURE))
        result_fail(r, RATLS_ERR_SNP_POLICY, "snp.policy",
                    "the guest policy allows debugging (DEBUG bit 19): the host can read guest memory");
    else if ((rep->policy & SNP_POLICY_MIGRATE_MA) && !(pol->flags & RATLS_SNP_ALLOW_MIGRATE_MA))
        result_fail(r, RATLS_ERR_SNP_POLICY, "snp.policy", "the guest policy allows a migration agent (MIGRATE_MA)");
    else if (rep->vmpl != pol->vmpl)
        result_fail(r, RATLS_ERR_SNP_POLICY, "snp.policy", "the report comes from VMPL %u, the policy requires %u",
                    rep->vmpl, pol->vmpl);
    else if (maj < pol->min_abi_major || (maj == pol->min_abi_major && min < pol->min_abi_minor))
        result_fail(r, RATLS_ERR_SNP_POLICY, "snp.policy", "guest policy ABI %u.%u is below the minimum %u.%u", maj,
                    min, pol->min_abi_major, pol->min_abi_minor);
    else if (pol->has_report_data && CRYPTO_memcmp(rep->report_data, pol->report_data, RATLS_SNP_REPORT_DATA_LEN) != 0)
        result_fail(r, RATLS_ERR_SNP_POLICY, "snp.policy", "REPORT_DATA differs from the expected value");
    else
        result_check_add(r, "snp.policy", RATLS_CHECK_PASS, "policy 0x%llx, VMPL %u%s", (unsigned long long)rep->policy,
                         rep->vmpl, (rep->policy & SNP_POLICY_DEBUG) ? " (DEBUG allowed by an insecure switch)" : "");
}

ratls_status ratls_snp_verify(const uint8_t *report, size_t report_len, const ratls_snp_collateral_parts *coll,
                              ratls_snp_product product_hint, const ratls_snp_policy *pol, int64_t now,
                              ratls_result **result_out)
{
    return snp_verify_pinned(report, report_len, coll, product_hint, pol, now, NULL, result_out);
}

ratls_status snp_verify_pinned(const uint8_t *report, size_t report_len, const ratls_snp_collateral_parts *coll,
                               ratls_snp_product product_hint, const ratls_snp_policy *pol, int64_t now,
                               const uint8_t *ark_pin_override, ratls_result **result_out)
{
    if (!result_out)
        return RATLS_ERR_INVALID_ARGUMENT;
    *result_out = NULL;
    ratls_result *r = result_new(RATLS_TEE_SEV_SNP);
    if (!r)
        return RATLS_ERR_NO_MEMORY;
    *result_out = r;
    ratls_snp_policy defpol;
    memset(&defpol, 0, sizeof defpol);
    if (!pol)
        pol = &defpol;
    ratls_snp_collateral_parts nocoll;
    memset(&nocoll, 0, sizeof nocoll);
    if (!coll)
        coll = &nocoll;

    struct ratls_snp_report *rep = malloc(sizeof *rep);
    STACK_OF(X509) *pool = sk_X509_new_null();
    STACK_OF(X509) *vk = sk_X509_new_null();
    snp_ctx c = {r, rep, RATLS_SNP_PRODUCT_UNKNOWN, ark_pin_override, NULL, NULL, NULL, pool};
    if (!rep || !pool || !vk) {
        result_fail(r, RATLS_ERR_NO_MEMORY, "snp.report", "out of memory");
        goto out;
    }
    char err[256] = "";
    ratls_status s = snp_report_parse_into(report, report_len, rep, err, sizeof err);
    if (s != RATLS_OK) {
        result_fail(r, s, "snp.report", "%s", err);
        goto out;
    }
    result_check_add(r, "snp.report", RATLS_CHECK_PASS, "version %u report, %u bytes", rep->version,
                     RATLS_SNP_REPORT_LEN);

    /* Product: the report's CPUID (v3+) wins; a contradicting hint is an error. */
    c.product = rep->has_cpuid ? snp_product_from_cpuid(rep->cpuid_fam_id, rep->cpuid_mod_id) : product_hint;
    if (rep->has_cpuid && product_hint != RATLS_SNP_PRODUCT_UNKNOWN && product_hint != c.product) {
        result_fail(r, RATLS_ERR_UNTRUSTED_ROOT, "snp.chain", "the report's CPUID says %s, the caller said %s",
                    ratls_snp_product_name(c.product), ratls_snp_product_name(product_hint));
        goto out;
    }
    if (load_certs(coll->vcek, coll->vcek_len, vk) != 0 || sk_X509_num(vk) != 1) {
        result_fail(r, RATLS_ERR_CERT_CHAIN, "snp.chain", "the VCEK is not one DER or PEM certificate");
        goto out;
    }
    c.vek = sk_X509_value(vk, 0);
    char pname[32];
    int k = ext_product_name(c.vek, pname, sizeof pname);
    if (k < 0) {
        result_fail(r, RATLS_ERR_CERT_CHAIN, "snp.chain", "the VCEK's product-name extension is malformed");
        goto out;
    }
    if (k > 0) {
        ratls_snp_product cp = product_from_cert_name(pname);
        if (c.product == RATLS_SNP_PRODUCT_UNKNOWN)
            c.product = cp;
        else if (cp != c.product) {
            result_fail(r, RATLS_ERR_CERT_CHAIN, "snp.chain", "the VCEK is for product \"%s\", the report is %s", pname,
                        ratls_snp_product_name(c.product));
            goto out;
        }
    }
    if (!coll->chain || load_certs(coll->chain, coll->chain_len, pool) != 0) {
        result_fail(r, RATLS_ERR_CERT_CHAIN, "snp.chain", "no readable ASK/ARK certificates were supplied");
        goto out;
    }
    /* Nothing the report says is reported as passing unless it is authentic:
     * the signature is checked only with a VCEK that chains to the pinned ARK,
     * and the report's contents are judged only once it verified. */
    int chain_ok = check_chain(&c, now) == 0;
    int sig_ok = chain_ok && check_signature(&c) == 0;
    if (!chain_ok)
        result_check_add(r, "snp.signature", RATLS_CHECK_SKIP, "not evaluated: the VCEK is not verified");
    if (!(chain_ok && sig_ok)) {
        static const char *const rest[] = {"snp.tcb", "snp.crl", "snp.policy", "snp.measurement"};
        for (size_t i = 0; i < sizeof rest / sizeof rest[0]; i++)
            result_check_add(r, rest[i], RATLS_CHECK_SKIP, "not evaluated: the report is not authentic");
        goto out;
    }
    (void)check_tcb(&c);
    check_crl(&c, coll, pol, now);
    check_policy(&c, pol);
    if (pol->has_measurement) {
        if (CRYPTO_memcmp(rep->measurement, pol->measurement, RATLS_SNP_MEASUREMENT_LEN) != 0)
            result_fail(r, RATLS_ERR_SNP_POLICY, "snp.measurement", "MEASUREMENT differs from the expected value");
        else
            result_check_add(r, "snp.measurement", RATLS_CHECK_PASS, "MEASUREMENT equals the expected value");
    } else {
        result_check_add(r, "snp.measurement", RATLS_CHECK_SKIP, "no expected measurement given");
    }
out:
    sk_X509_pop_free(vk, X509_free);
    sk_X509_pop_free(pool, X509_free);
    free(rep);
    ERR_clear_error();
    return ratls_result_status(r);
}
