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

typedef struct snp_ctx {
    ratls_result *res;
    const struct ratls_snp_report *rep;
    ratls_snp_product product;
    const uint8_t *pin; /* ARK SPKI pin override (tests), else the product's */
    X509 *vek;          /* VCEK or VLEK */
    snp_vek_info vi;    /* its AMD extensions */
    X509 *ask, *ark;    /* after a verified chain; owned by pool */
    STACK_OF(X509) * pool;
} snp_ctx;

/* ARK pinned, ARK self-signed, ASK/ASVK under ARK, VEK under ASK, all valid at now. */
static int check_chain(snp_ctx *c, int64_t now)
{
    ratls_result *r = c->res;
    const uint8_t *pin = c->product == RATLS_SNP_PRODUCT_UNKNOWN ? NULL : c->pin ? c->pin : snp_ark_pin(c->product);
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
        if (snp_spki_sha256(x, h) != 0)
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
        result_fail(r, snp_map_x509_err(e), "snp.chain", "%s at depth %d (0 = VCEK, 1 = ASK, 2 = ARK-%s)",
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
    const snp_vek_info *vi = &c->vi;
    int turin = c->product == RATLS_SNP_PRODUCT_TURIN;
    snp_tcb t;
    snp_tcb_split(rep->reported_tcb, c->product, &t);
    static const char *const names[SNP_SPL_COUNT] = {"bootloader", "tee", "snp", "microcode", "fmc"};
    uint8_t want[SNP_SPL_COUNT];
    want[SNP_SPL_BL] = t.bl;
    want[SNP_SPL_TEE] = t.tee;
    want[SNP_SPL_SNP] = t.snp;
    want[SNP_SPL_UCODE] = t.ucode;
    want[SNP_SPL_FMC] = t.fmc;
    unsigned n = turin ? SNP_SPL_COUNT : SNP_SPL_FMC;
    for (unsigned i = 0; i < n; i++) {
        if (!vi->has_spl[i]) {
            result_fail(r, RATLS_ERR_SNP_TCB_MISMATCH, "snp.tcb", "the certificate has no %s SPL extension", names[i]);
            return -1;
        }
        if (vi->spl[i] != want[i]) {
            result_fail(r, RATLS_ERR_SNP_TCB_MISMATCH, "snp.tcb",
                        "REPORTED_TCB %s SPL is %u but the certificate is for %u", names[i], want[i], vi->spl[i]);
            return -1;
        }
    }
    if (rep->signing_key == SNP_SIGNING_KEY_VLEK) {
        if (!vi->has_csp_id) {
            result_fail(r, RATLS_ERR_SNP_TCB_MISMATCH, "snp.tcb",
                        "the report is VLEK-signed but the certificate is not a VLEK (no CSP id)");
            return -1;
        }
        result_check_add(r, "snp.tcb", RATLS_CHECK_PASS, "VLEK TCB equals REPORTED_TCB (CSP %s)", vi->csp_id);
        return 0;
    }
    if (!vi->hwid_len) {
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
    if (vi->hwid_len != hlen || CRYPTO_memcmp(vi->hwid, rep->chip_id, hlen) != 0 ||
        (hlen < 64 && CRYPTO_memcmp(rep->chip_id + hlen, zero, 64 - hlen) != 0)) {
        result_fail(r, RATLS_ERR_SNP_TCB_MISMATCH, "snp.tcb", "the VCEK's HWID is not the report's CHIP_ID");
        return -1;
    }
    result_check_add(r, "snp.tcb", RATLS_CHECK_PASS, "VCEK TCB equals REPORTED_TCB and HWID equals CHIP_ID");
    return 0;
}

/* AMD's CRL for the product: issued and signed by the ARK, current at now, and
 * not listing the ASK/ASVK (the ARK's CRL lists the certificates it issued). */
static void check_crl(snp_ctx *c, const ratls_snp_collateral_parts *coll, const ratls_snp_policy *pol, int64_t now)
{
    ratls_result *r = c->res;
    if (!coll->crl) {
        if (snp_policy_flags(pol) & RATLS_SNP_SKIP_REVOCATION_INSECURE)
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
    X509_CRL *crl = snp_load_crl(coll->crl, coll->crl_len);
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
    ratls_snp_policy *defpol = NULL;
    if (!pol && !(pol = defpol = ratls_snp_policy_new())) {
        result_fail(r, RATLS_ERR_NO_MEMORY, "snp.report", "out of memory");
        return ratls_result_status(r);
    }
    ratls_snp_collateral_parts nocoll;
    memset(&nocoll, 0, sizeof nocoll);
    if (!coll)
        coll = &nocoll;

    struct ratls_snp_report *rep = malloc(sizeof *rep);
    STACK_OF(X509) *pool = sk_X509_new_null();
    STACK_OF(X509) *vk = sk_X509_new_null();
    snp_ctx c;
    memset(&c, 0, sizeof c);
    c.res = r;
    c.rep = rep;
    c.pin = ark_pin_override;
    c.pool = pool;
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
    if (snp_load_certs(coll->vcek, coll->vcek_len, vk) != 0 || sk_X509_num(vk) != 1) {
        result_fail(r, RATLS_ERR_CERT_CHAIN, "snp.chain", "the VCEK is not one DER or PEM certificate");
        goto out;
    }
    c.vek = sk_X509_value(vk, 0);
    if ((s = snp_vek_info_parse(c.vek, &c.vi, err, sizeof err)) != RATLS_OK) {
        result_fail(r, s, "snp.chain", "the VCEK's AMD extensions: %s", err);
        goto out;
    }
    if (c.vi.product_name[0]) {
        ratls_snp_product cp = c.vi.product;
        if (c.product == RATLS_SNP_PRODUCT_UNKNOWN)
            c.product = cp;
        else if (cp != c.product) {
            result_fail(r, RATLS_ERR_CERT_CHAIN, "snp.chain", "the VCEK is for product \"%s\", the report is %s",
                        c.vi.product_name, ratls_snp_product_name(c.product));
            goto out;
        }
    }
    if (!coll->chain || snp_load_certs(coll->chain, coll->chain_len, pool) != 0) {
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
    snp_policy_check(r, rep, c.product, pol);
out:
    ratls_snp_policy_free(defpol);
    sk_X509_pop_free(vk, X509_free);
    sk_X509_pop_free(pool, X509_free);
    free(rep);
    ERR_clear_error();
    return ratls_result_status(r);
}
