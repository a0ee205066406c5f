/* SEV-SNP certificates: the pinned ARKs, certificate and CRL loading, and the
 * VCEK/VLEK extensions (1.3.6.1.4.1.3704.1.*) parsed as DER. */
#include <pthread.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "base/util.h"
#include "crypto/crypto.h"
#include "snp/snp.h"

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

const uint8_t *snp_ark_pin(ratls_snp_product p)
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

int snp_load_certs(const uint8_t *buf, size_t len, STACK_OF(X509) * sk)
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
        if (!x || p != buf + len || sk_X509_num(sk) >= SNP_CHAIN_MAX_CERTS || !sk_X509_push(sk, x)) {
            X509_free(x);
            ERR_clear_error();
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
            ERR_clear_error();
            return -1;
        }
        n++;
    }
    BIO_free(b);
    ERR_clear_error();
    return n > 0 ? 0 : -1;
}

/* ---- parsed ASK/ARK chains, process-wide ----
 * OpenSSL 3.0 takes ~0.2 ms to decode one AMD certificate (its RSA key goes
 * through the provider decoders). The ASK and ARK are the same for every chip
 * of a product, so the parsed chain is kept by the SHA-256 of its exact
 * bytes. This is parsing only: every use still verifies the chain. */
#define CHAIN_SLOTS 8

static struct {
    int used;
    uint8_t key[32];
    STACK_OF(X509) * sk;
    uint64_t tick;
} g_chains[CHAIN_SLOTS];
static uint64_t g_chain_tick;
static pthread_mutex_t g_chain_mu = PTHREAD_MUTEX_INITIALIZER;

/* push up-referenced copies of src's certificates onto dst */
static int push_refs(STACK_OF(X509) * dst, STACK_OF(X509) * src)
{
    for (int i = 0; i < sk_X509_num(src); i++) {
        X509 *x = sk_X509_value(src, i);
        if (sk_X509_num(dst) >= SNP_CHAIN_MAX_CERTS || X509_up_ref(x) != 1)
            return -1;
        if (!sk_X509_push(dst, x)) {
            X509_free(x);
            return -1;
        }
    }
    return 0;
}

int snp_load_chain(const uint8_t *buf, size_t len, STACK_OF(X509) * sk)
{
    uint8_t key[32];
    if (!buf || len == 0 || len > SNP_CERT_MAX_LEN || !SHA256(buf, len, key))
        return -1;
    pthread_mutex_lock(&g_chain_mu);
    for (size_t i = 0; i < CHAIN_SLOTS; i++)
        if (g_chains[i].used && memcmp(g_chains[i].key, key, 32) == 0) {
            g_chains[i].tick = ++g_chain_tick;
            int rc = push_refs(sk, g_chains[i].sk);
            pthread_mutex_unlock(&g_chain_mu);
            return rc;
        }
    pthread_mutex_unlock(&g_chain_mu);

    STACK_OF(X509) *fresh = sk_X509_new_null();
    if (!fresh || snp_load_certs(buf, len, fresh) != 0 || push_refs(sk, fresh) != 0) {
        sk_X509_pop_free(fresh, X509_free);
        return -1;
    }
    pthread_mutex_lock(&g_chain_mu);
    size_t v = 0;
    for (size_t i = 0; i < CHAIN_SLOTS; i++) {
        if (g_chains[i].used && memcmp(g_chains[i].key, key, 32) == 0) { /* another thread was first */
            v = CHAIN_SLOTS;
            break;
        }
        if (!g_chains[i].used || (g_chains[v].used && g_chains[i].tick < g_chains[v].tick))
            v = i;
    }
    if (v < CHAIN_SLOTS) {
        sk_X509_pop_free(g_chains[v].sk, X509_free);
        g_chains[v].used = 1;
        memcpy(g_chains[v].key, key, 32);
        g_chains[v].sk = fresh;
        g_chains[v].tick = ++g_chain_tick;
        fresh = NULL;
    }
    pthread_mutex_unlock(&g_chain_mu);
    sk_X509_pop_free(fresh, X509_free);
    return 0;
}

int snp_spki_sha256(X509 *x, uint8_t out[32])
{
    unsigned char *der = NULL;
    int n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der);
    if (n <= 0)
        return -1;
    SHA256(der, (size_t)n, out);
    OPENSSL_free(der);
    return 0;
}

X509_CRL *snp_load_crl(const uint8_t *buf, size_t len)
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
    ERR_clear_error();
    return crl;
}

ratls_status snp_map_x509_err(int e)
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

ratls_snp_product snp_product_from_cert_name(const char *name)
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

/* ---- VCEK/VLEK extensions ---- */

#define AMD_OID "1.3.6.1.4.1.3704.1."

/* The extension value (the DER inside its OCTET STRING), or NULL; -1 in *dup
 * when the extension occurs more than once. */
static const ASN1_OCTET_STRING *ext_value(X509 *x, const char *oid, int *dup)
{
    ASN1_OBJECT *o = OBJ_txt2obj(oid, 1);
    if (!o)
        return NULL;
    int i = X509_get_ext_by_OBJ(x, o, -1);
    if (i >= 0 && X509_get_ext_by_OBJ(x, o, i) >= 0)
        *dup = 1;
    ASN1_OBJECT_free(o);
    if (i < 0)
        return NULL;
    return X509_EXTENSION_get_data(X509_get_ext(x, i));
}

/* A DER INTEGER in 0..max filling the whole value: 0, or -1 if malformed. */
static int der_small_int(const ASN1_OCTET_STRING *v, int64_t max, int64_t *out)
{
    const unsigned char *p0 = ASN1_STRING_get0_data(v), *p = p0;
    int n = ASN1_STRING_length(v);
    ASN1_INTEGER *ai = d2i_ASN1_INTEGER(NULL, &p, n);
    int64_t val = -1;
    int ok = ai && p == p0 + n && ASN1_INTEGER_get_int64(&val, ai) == 1 && val >= 0 && val <= max;
    ASN1_INTEGER_free(ai);
    if (!ok)
        return -1;
    *out = val;
    return 0;
}

/* A DER IA5String of printable characters filling the whole value. */
static int der_ia5(const ASN1_OCTET_STRING *v, char *out, size_t cap)
{
    const unsigned char *p0 = ASN1_STRING_get0_data(v), *p = p0;
    int n = ASN1_STRING_length(v);
    ASN1_IA5STRING *s = d2i_ASN1_IA5STRING(NULL, &p, n);
    int ok = s && p == p0 + n && ASN1_STRING_length(s) > 0 && (size_t)ASN1_STRING_length(s) < cap;
    if (ok) {
        const unsigned char *d = ASN1_STRING_get0_data(s);
        size_t l = (size_t)ASN1_STRING_length(s);
        for (size_t i = 0; i < l; i++)
            ok &= d[i] >= 0x20 && d[i] <= 0x7e;
        if (ok) {
            memcpy(out, d, l);
            out[l] = 0;
        }
    }
    ASN1_IA5STRING_free(s);
    return ok ? 0 : -1;
}

ratls_status snp_vek_info_parse(X509 *x, snp_vek_info *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    static const char *const spl_oid[SNP_SPL_COUNT] = {AMD_OID "3.1", AMD_OID "3.2", AMD_OID "3.3", AMD_OID "3.8",
                                                       AMD_OID "3.9"};
    static const char *const spl_name[SNP_SPL_COUNT] = {"bootloader", "tee", "snp", "microcode", "fmc"};
    int dup = 0;
    const ASN1_OCTET_STRING *v;
    int64_t n;
    ratls_status st = RATLS_OK;
    if ((v = ext_value(x, AMD_OID "1", &dup))) {
        if (der_small_int(v, 255, &n) != 0) {
            st = set_err(err, errlen, RATLS_ERR_CERT_CHAIN, "the struct-version extension is not a small INTEGER");
            goto out;
        }
        out->has_struct_version = 1;
        out->struct_version = (unsigned)n;
    }
    if ((v = ext_value(x, AMD_OID "2", &dup))) {
        if (der_ia5(v, out->product_name, sizeof out->product_name) != 0) {
            st = set_err(err, errlen, RATLS_ERR_CERT_CHAIN, "the product-name extension is not a printable IA5String");
            goto out;
        }
        out->product = snp_product_from_cert_name(out->product_name);
    }
    for (unsigned i = 0; i < SNP_SPL_COUNT; i++) {
        if (!(v = ext_value(x, spl_oid[i], &dup)))
            continue;
        if (der_small_int(v, 255, &n) != 0) {
            st = set_err(err, errlen, RATLS_ERR_CERT_CHAIN, "the %s SPL extension %s is not an INTEGER in 0..255",
                         spl_name[i], spl_oid[i]);
            goto out;
        }
        out->has_spl[i] = 1;
        out->spl[i] = (uint8_t)n;
    }
    if ((v = ext_value(x, AMD_OID "4", &dup))) {
        const unsigned char *hp = ASN1_STRING_get0_data(v);
        size_t hn = (size_t)ASN1_STRING_length(v);
        ASN1_OCTET_STRING *inner = NULL;
        if (hn != 64 && hn != 8) { /* go-sev-guest also accepts a tagged OCTET STRING */
            const unsigned char *p = hp;
            inner = d2i_ASN1_OCTET_STRING(NULL, &p, (long)hn);
            if (inner && p == hp + hn) {
                hp = ASN1_STRING_get0_data(inner);
                hn = (size_t)ASN1_STRING_length(inner);
            }
        }
        if (hn == 64 || hn == 8) {
            memcpy(out->hwid, hp, hn);
            out->hwid_len = hn;
        }
        ASN1_OCTET_STRING_free(inner);
        if (!out->hwid_len) {
            st = set_err(err, errlen, RATLS_ERR_CERT_CHAIN, "the HWID extension is neither 64 nor 8 bytes");
            goto out;
        }
    }
    if ((v = ext_value(x, AMD_OID "5", &dup))) {
        if (der_ia5(v, out->csp_id, sizeof out->csp_id) != 0) {
            st = set_err(err, errlen, RATLS_ERR_CERT_CHAIN, "the CSP-id extension is not a printable IA5String");
            goto out;
        }
        out->has_csp_id = 1;
    }
    if (dup)
        st = set_err(err, errlen, RATLS_ERR_CERT_CHAIN, "an AMD extension occurs more than once");
    else if (out->hwid_len && out->has_csp_id)
        st = set_err(err, errlen, RATLS_ERR_CERT_CHAIN, "the certificate has both a HWID and a CSP id");
out:
    ERR_clear_error();
    return st;
}

int snp_vek_der_parse(const uint8_t *der, size_t len, snp_vek_info *out, char *err, size_t errlen)
{
    if (!der || len == 0 || len > SNP_CERT_MAX_LEN)
        return -1;
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    int rc = x && p == der + len && snp_vek_info_parse(x, out, err, errlen) == RATLS_OK ? 0 : -1;
    X509_free(x);
    ERR_clear_error();
    return rc;
}

/* ---- chains and CRLs under the pinned ARK ---- */

X509 *snp_find_ark(STACK_OF(X509) * sk, const uint8_t pin[32])
{
    for (int i = 0; i < sk_X509_num(sk); i++) {
        X509 *x = sk_X509_value(sk, i);
        uint8_t h[32];
        if (snp_spki_sha256(x, h) == 0 && CRYPTO_memcmp(h, pin, 32) == 0)
            return x;
    }
    return NULL;
}

ratls_status snp_verify_path(X509 *ark, STACK_OF(X509) * untrusted, X509 *leaf, int depth, int64_t now,
                             const char *legend, X509 **mid, char *err, size_t errlen)
{
    if (mid)
        *mid = NULL;
    ratls_status st = RATLS_ERR_NO_MEMORY;
    X509_STORE *store = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    if (!store || !ctx || !X509_STORE_add_cert(store, ark) || !X509_STORE_CTX_init(ctx, store, leaf, untrusted)) {
        set_err(err, errlen, st, "out of memory");
        goto out;
    }
    X509_VERIFY_PARAM *vp = X509_STORE_CTX_get0_param(ctx);
    X509_VERIFY_PARAM_set_time(vp, (time_t)now);
    X509_VERIFY_PARAM_set_flags(vp, X509_V_FLAG_CHECK_SS_SIGNATURE);
    X509_VERIFY_PARAM_set_depth(vp, depth);
    if (X509_verify_cert(ctx) != 1) {
        int e = X509_STORE_CTX_get_error(ctx);
        st = set_err(err, errlen, snp_map_x509_err(e), "%s at depth %d (%s)", X509_verify_cert_error_string(e),
                     X509_STORE_CTX_get_error_depth(ctx), legend);
        goto out;
    }
    STACK_OF(X509) *path = X509_STORE_CTX_get0_chain(ctx);
    X509 *m = depth == 2 && sk_X509_num(path) == 3 ? sk_X509_value(path, 1) : NULL;
    if (sk_X509_num(path) != depth + 1 || sk_X509_value(path, depth) != ark || X509_check_ca(ark) != 1 ||
        (depth == 2 && (X509_check_ca(m) != 1 || X509_check_ca(leaf) != 0)) ||
        (depth == 1 && X509_check_ca(leaf) != 1)) {
        st = set_err(err, errlen, RATLS_ERR_CERT_CHAIN, "the path is not %s with CA flags on the CAs only (%s)",
                     depth == 2 ? "leaf <- CA <- ARK" : "CA <- ARK", legend);
        goto out;
    }
    if (mid)
        *mid = m;
    st = RATLS_OK;
out:
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    ERR_clear_error();
    return st;
}

ratls_status snp_crl_check(X509_CRL *crl, X509 *ark, int64_t now, int64_t *last, int64_t *next, char *err,
                           size_t errlen)
{
    ratls_status st = RATLS_OK;
    *last = *next = 0;
    if (X509_CRL_get_ext_by_critical(crl, 1, -1) >= 0) /* a delta CRL, a scoped CRL, or one not understood */
        st = set_err(err, errlen, RATLS_ERR_CRL_FORMAT, "the CRL has a critical extension ratls does not process");
    else if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(ark)) != 0)
        st = set_err(err, errlen, RATLS_ERR_CRL_ISSUER, "the CRL was not issued by the ARK");
    else if (X509_CRL_verify(crl, X509_get0_pubkey(ark)) != 1)
        st = set_err(err, errlen, RATLS_ERR_CRL_SIGNATURE, "the CRL's signature does not verify under the ARK");
    else if (asn1_time_unix(X509_CRL_get0_lastUpdate(crl), last) != 0 || !X509_CRL_get0_nextUpdate(crl) ||
             asn1_time_unix(X509_CRL_get0_nextUpdate(crl), next) != 0)
        st = set_err(err, errlen, RATLS_ERR_CRL_FORMAT, "the CRL has no readable lastUpdate and nextUpdate");
    else if (now < *last)
        st = set_err(err, errlen, RATLS_ERR_CRL_NOT_YET_VALID, "the CRL is not valid before %lld (lastUpdate)",
                     (long long)*last);
    else if (now >= *next)
        st = set_err(err, errlen, RATLS_ERR_CRL_EXPIRED, "the CRL is stale: past its nextUpdate (%lld)",
                     (long long)*next);
    ERR_clear_error();
    return st;
}
