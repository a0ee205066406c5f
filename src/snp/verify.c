/* SEV-SNP verification: ARK (pinned by SPKI hash) -> ASK/ASVK -> VCEK/VLEK with
 * OpenSSL X509 at a caller-given time, the report's ECDSA P-384 signature, the
 * VCEK's TCB/HWID extensions against the report, then the guest policy. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
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
#include "collateral/source.h"
#include "core/core.h"
#include "crypto/crypto.h"
#include "snp/snp.h"

typedef struct snp_ctx {
    ratls_result *res;
    const struct ratls_snp_report *rep;
    ratls_snp_product product;
    const uint8_t *pin; /* the ARK SPKI pin in force */
    X509 *vek;          /* VCEK or VLEK */
    snp_vek_info vi;    /* its AMD extensions */
    X509 *ask, *ark;    /* after a verified chain; owned by pool */
    STACK_OF(X509) * pool;
    int64_t from, to; /* where the chain (and the CRL) hold */
} snp_ctx;

/* A check computed before its turn in the result. */
typedef struct pending {
    int set;
    ratls_status st;
    ratls_check_outcome o;
    char detail[320];
} pending;

static void pend(pending *p, ratls_status st, ratls_check_outcome o, const char *fmt, ...) RATLS_PRINTF(4, 5);
static void pend(pending *p, ratls_status st, ratls_check_outcome o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->detail, sizeof p->detail, fmt, ap);
    va_end(ap);
    p->st = st;
    p->o = o;
    p->set = 1;
}

static void emit(ratls_result *r, const char *id, const pending *p)
{
    if (p->o == RATLS_CHECK_FAIL)
        result_fail(r, p->st, id, "%s", p->detail);
    else
        result_check_add(r, id, p->o, "%s", p->detail);
}

/* The window shrinks to [nb, na): OpenSSL holds a certificate expired at
 * notAfter itself and check_crl a CRL stale at nextUpdate, so the last
 * second the verifier may remember them for is na - 1. */
static void narrow(snp_ctx *c, const ASN1_TIME *nb, const ASN1_TIME *na)
{
    int64_t f = INT64_MAX, t = INT64_MIN; /* unreadable: the window closes */
    if (asn1_time_unix(nb, &f) != 0 || asn1_time_unix(na, &t) != 0 || t == INT64_MIN)
        f = INT64_MAX, t = INT64_MIN;
    else
        t--;
    if (f > c->from)
        c->from = f;
    if (t < c->to)
        c->to = t;
}

/* ARK pinned, ARK self-signed, ASK/ASVK under ARK, VEK under ASK, all valid at now. */
static int check_chain(snp_ctx *c, int64_t now)
{
    ratls_result *r = c->res;
    X509 *ark = snp_find_ark(c->pool, c->pin);
    if (!ark) {
        result_fail(r, RATLS_ERR_UNTRUSTED_ROOT, "snp.chain",
                    "no certificate supplied carries the pinned ARK-%s public key (pass the %s ASK and ARK)",
                    ratls_snp_product_name(c->product), ratls_snp_product_name(c->product));
        return -1;
    }
    char legend[64], err[400] = "";
    snprintf(legend, sizeof legend, "0 = VCEK, 1 = ASK, 2 = ARK-%s", ratls_snp_product_name(c->product));
    X509 *ask = NULL;
    ratls_status st = snp_verify_path(ark, c->pool, c->vek, 2, now, legend, &ask, err, sizeof err);
    if (st != RATLS_OK) {
        result_fail(r, st, "snp.chain", "%s", err);
        return -1;
    }
    result_check_add(r, "snp.chain", RATLS_CHECK_PASS, "VEK <- ASK <- ARK-%s (pinned key), valid at the given time",
                     ratls_snp_product_name(c->product));
    c->ask = ask; /* both are certificates of the pool */
    c->ark = ark;
    X509 *const path[] = {c->vek, ask, ark};
    for (int i = 0; i < 3; i++)
        narrow(c, X509_get0_notBefore(path[i]), X509_get0_notAfter(path[i]));
    return 0;
}

/* ECDSA P-384 / SHA-384 over bytes 0x000..0x29F; R and S little-endian. */
static int check_signature(snp_ctx *c, const uint8_t point[97])
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
    /* R and S occupy 48 of their 72 bytes; the rest must be zero (the parser
     * checks the padding) */
    ec_pub *k = point ? ec_pub_p384_from_point(point) : NULL;
    int ok = k && ecdsa_p384_verify_le(k, rep->raw, SNP_SIGNED_LEN, rep->sig_r, rep->sig_s) == 1;
    ec_pub_free(k);
    ERR_clear_error();
    if (!ok) {
        result_fail(r, RATLS_ERR_SNP_REPORT_SIGNATURE, "snp.signature",
                    "the report signature does not verify under the %s key", rep->signing_key ? "VLEK" : "VCEK");
        return -1;
    }
    result_check_add(r, "snp.signature", RATLS_CHECK_PASS, "ECDSA P-384 signature over the report verifies");
    return 0;
}

/* The VEK's public key as an uncompressed P-384 point. */
static int vek_point(X509 *vek, uint8_t out[97])
{
    EVP_PKEY *pk = X509_get0_pubkey(vek);
    char group[64] = "";
    size_t glen = 0, n = 0;
    int ok = pk && EVP_PKEY_get_base_id(pk) == EVP_PKEY_EC &&
             EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &glen) &&
             strcmp(group, "secp384r1") == 0 &&
             EVP_PKEY_get_octet_string_param(pk, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, out, 97, &n) && n == 97 &&
             out[0] == 0x04;
    ERR_clear_error();
    return ok ? 0 : -1;
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
 * listing neither the ASK/ASVK (the ARK's CRL lists the certificates it
 * issued) nor, by serial, the VCEK. Narrows the context's window. */
static void check_crl(snp_ctx *c, const uint8_t *der, size_t len, int64_t now, pending *out)
{
    X509_CRL *crl = snp_load_crl(der, len);
    if (!crl) {
        pend(out, RATLS_ERR_CRL_FORMAT, RATLS_CHECK_FAIL, "the CRL is not one DER or PEM CRL");
        return;
    }
    const char *vek = c->rep->signing_key == SNP_SIGNING_KEY_VLEK ? "VLEK" : "VCEK";
    int64_t last, next;
    char err[300] = "";
    X509_REVOKED *rev = NULL;
    ratls_status st = snp_crl_check(crl, c->ark, now, &last, &next, err, sizeof err);
    if (st != RATLS_OK)
        pend(out, st, RATLS_CHECK_FAIL, "%s (ARK-%s)", err, ratls_snp_product_name(c->product));
    else if (X509_CRL_get0_by_cert(crl, &rev, c->ask) == 1)
        pend(out, RATLS_ERR_CERT_REVOKED, RATLS_CHECK_FAIL, "the ASK is revoked by AMD's CRL");
    else if (X509_CRL_get0_by_serial(crl, &rev, X509_get0_serialNumber(c->vek)) == 1)
        pend(out, RATLS_ERR_CERT_REVOKED, RATLS_CHECK_FAIL, "the %s's serial number is on AMD's CRL", vek);
    else {
        pend(out, RATLS_OK, RATLS_CHECK_PASS,
             "AMD's CRL is current, signed by the ARK, and lists neither the ASK nor the %s", vek);
        narrow(c, X509_CRL_get0_lastUpdate(crl), X509_CRL_get0_nextUpdate(crl));
    }
    X509_CRL_free(crl);
    ERR_clear_error();
}

/* The collateral a verification works with: the caller's parts, else what
 * the verifier's source fetched (owned in `fetched`). */
typedef struct parts {
    const uint8_t *vcek, *chain, *crl;
    size_t vcek_len, chain_len, crl_len;
    snp_kds_parts fetched_certs, fetched_crl;
} parts;

static int sha_part(EVP_MD_CTX *h, const uint8_t *p, size_t n)
{
    uint8_t l[8];
    for (unsigned i = 0; i < 8; i++)
        l[i] = (uint8_t)((uint64_t)n >> (8 * i));
    return EVP_DigestUpdate(h, l, 8) == 1 && (n == 0 || EVP_DigestUpdate(h, p, n) == 1) ? 0 : -1;
}

/* The key under which the verifier remembers a chain (and CRL) that
 * verified: the pin, the product and the exact bytes. -1 on failure. */
static int cache_key(const snp_ctx *c, const parts *pt, uint8_t key[32])
{
    EVP_MD_CTX *h = EVP_MD_CTX_new();
    uint8_t prod = (uint8_t)c->product;
    unsigned n = 0;
    int ok = h && EVP_DigestInit_ex(h, EVP_sha256(), NULL) == 1 && EVP_DigestUpdate(h, "ratls-snp-chain-v1", 18) == 1 &&
             EVP_DigestUpdate(h, c->pin, 32) == 1 && EVP_DigestUpdate(h, &prod, 1) == 1 &&
             sha_part(h, pt->vcek, pt->vcek_len) == 0 && sha_part(h, pt->chain, pt->chain_len) == 0 &&
             sha_part(h, pt->crl, pt->crl_len) == 0 && EVP_DigestFinal_ex(h, key, &n) == 1 && n == 32;
    EVP_MD_CTX_free(h);
    return ok ? 0 : -1;
}

/* Fetch what the caller did not supply through the verifier's source. The
 * certificates first (a failure is snp.chain's), then the CRL (snp.crl's). */
static int fetch_parts(ratls_verifier *v, snp_ctx *c, parts *pt, int need_crl, int64_t now, pending *crl_err)
{
    ratls_collateral_source *src = v ? verifier_source(v) : NULL;
    const struct ratls_snp_report *rep = c->rep;
    int vlek = rep->signing_key == SNP_SIGNING_KEY_VLEK;
    unsigned want = (pt->chain ? 0u : SNP_KDS_CHAIN) | (pt->vcek || vlek ? 0u : SNP_KDS_VCEK);
    char err[512] = "";
    int rc = 0;
    if (!pt->vcek && vlek) {
        result_fail(c->res, RATLS_ERR_COLLATERAL_UNAVAILABLE, "snp.chain",
                    "the report is signed with a VLEK, which AMD KDS does not publish: pass the VLEK certificate");
        rc = -1;
    } else if (want && !src) {
        result_fail(c->res, RATLS_ERR_COLLATERAL_UNAVAILABLE, "snp.chain",
                    "no %s given and no collateral source to fetch it from AMD KDS",
                    pt->vcek ? "ASK/ARK chain" : "VCEK");
        rc = -1;
    } else if (want) {
        ratls_status st = source_get_snp(src, c->pin, c->product, rep->chip_id, rep->reported_tcb,
                                         want | (vlek ? SNP_KDS_VLEK : 0u), now, &pt->fetched_certs, err, sizeof err);
        if (st != RATLS_OK) {
            result_fail(c->res, st, "snp.chain", "fetching from AMD KDS: %s", err);
            rc = -1;
        } else {
            if (want & SNP_KDS_CHAIN) {
                pt->chain = pt->fetched_certs.chain;
                pt->chain_len = pt->fetched_certs.chain_len;
            }
            if (want & SNP_KDS_VCEK) {
                pt->vcek = pt->fetched_certs.vcek;
                pt->vcek_len = pt->fetched_certs.vcek_len;
            }
        }
    }
    if (rc == 0 && need_crl && !pt->crl && src) {
        ratls_status st =
            source_get_snp(src, c->pin, c->product, rep->chip_id, rep->reported_tcb,
                           SNP_KDS_CRL | (vlek ? SNP_KDS_VLEK : 0u), now, &pt->fetched_crl, err, sizeof err);
        if (st != RATLS_OK)
            pend(crl_err, st, RATLS_CHECK_FAIL, "fetching AMD's CRL from KDS: %s", err);
        else {
            pt->crl = pt->fetched_crl.crl;
            pt->crl_len = pt->fetched_crl.crl_len;
        }
    }
    if (src)
        ratls_collateral_source_free(src);
    return rc;
}

/* Read the VEK and its AMD extensions; its product name must agree with the
 * product known so far (or becomes it). */
static int load_vek(snp_ctx *c, const uint8_t *der, size_t len, STACK_OF(X509) * vk)
{
    char err[256] = "";
    ratls_status s;
    if (snp_load_certs(der, len, vk) != 0 || sk_X509_num(vk) != 1) {
        result_fail(c->res, RATLS_ERR_CERT_CHAIN, "snp.chain", "the VCEK is not one DER or PEM certificate");
        return -1;
    }
    c->vek = sk_X509_value(vk, 0);
    if ((s = snp_vek_info_parse(c->vek, &c->vi, err, sizeof err)) != RATLS_OK) {
        result_fail(c->res, s, "snp.chain", "the VCEK's AMD extensions: %s", err);
        return -1;
    }
    if (c->vi.product_name[0]) {
        if (c->product == RATLS_SNP_PRODUCT_UNKNOWN)
            c->product = c->vi.product;
        else if (c->vi.product != c->product) {
            result_fail(c->res, RATLS_ERR_CERT_CHAIN, "snp.chain", "the VCEK is for product \"%s\", the report is %s",
                        c->vi.product_name, ratls_snp_product_name(c->product));
            return -1;
        }
    }
    return 0;
}

static ratls_status snp_verify_core(ratls_verifier *v, const uint8_t *report, size_t report_len,
                                    const ratls_snp_collateral_parts *coll, ratls_snp_product product_hint,
                                    const ratls_snp_policy *pol, int64_t now, const uint8_t *pin_override,
                                    ratls_result **result_out)
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
    const int skip_crl = (snp_policy_flags(pol) & RATLS_SNP_SKIP_REVOCATION_INSECURE) != 0;
    parts pt;
    memset(&pt, 0, sizeof pt);
    if (coll) {
        pt.vcek = coll->vcek_len ? coll->vcek : NULL;
        pt.vcek_len = pt.vcek ? coll->vcek_len : 0;
        pt.chain = coll->chain_len ? coll->chain : NULL;
        pt.chain_len = pt.chain ? coll->chain_len : 0;
        pt.crl = coll->crl_len ? coll->crl : NULL;
        pt.crl_len = pt.crl ? coll->crl_len : 0;
    }

    struct ratls_snp_report *rep = malloc(sizeof *rep);
    STACK_OF(X509) *pool = sk_X509_new_null();
    STACK_OF(X509) *vk = sk_X509_new_null();
    uint8_t point[97];
    snp_ctx c;
    memset(&c, 0, sizeof c);
    c.res = r;
    c.rep = rep;
    c.pool = pool;
    c.from = INT64_MIN;
    c.to = INT64_MAX;
    pending crl;
    memset(&crl, 0, sizeof crl);
    uint8_t test_pin[32];
    uint64_t gen = 0;
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
        result_fail(r, RATLS_ERR_CERT_CHAIN, "snp.chain", "the report's CPUID says %s, the caller said %s",
                    ratls_snp_product_name(c.product), ratls_snp_product_name(product_hint));
        goto out;
    }
    /* Without CPUID or a hint, the supplied VEK's product name is all there is. */
    if (c.product == RATLS_SNP_PRODUCT_UNKNOWN && pt.vcek && load_vek(&c, pt.vcek, pt.vcek_len, vk) != 0)
        goto out;
    if (c.product == RATLS_SNP_PRODUCT_UNKNOWN) {
        if (rep->has_cpuid)
            result_fail(r, RATLS_ERR_CERT_CHAIN, "snp.chain",
                        "unknown product: CPUID family 0x%02x model 0x%02x is not Milan, Genoa or Turin",
                        rep->cpuid_fam_id, rep->cpuid_mod_id);
        else
            result_fail(r, RATLS_ERR_CERT_CHAIN, "snp.chain",
                        "unknown product: the report has no CPUID (v2), no product was given and no VCEK names one; "
                        "pass Milan, Genoa or Turin");
        goto out;
    }
    /* A report nobody could have signed is refused before anything is
     * fetched for it: an unauthenticated report makes no request to KDS. */
    if (rep->signature_algo != 1 || rep->signing_key == SNP_SIGNING_KEY_NONE) {
        result_check_add(r, "snp.chain", RATLS_CHECK_SKIP, "not evaluated: the report cannot be verified");
        (void)check_signature(&c, NULL);
        static const char *const rest[] = {"snp.tcb", "snp.crl", "snp.policy", "snp.measurement"};
        for (size_t i = 0; i < sizeof rest / sizeof rest[0]; i++)
            result_check_add(r, rest[i], RATLS_CHECK_SKIP, "not evaluated: the report is not authentic");
        goto out;
    }
    /* The trust anchor: the library's pin for the product, unless a test
     * ARK (INSECURE) was configured. */
    int has_test_pin = 0;
    if (v && verifier_snp_anchor(v, test_pin, &has_test_pin, &gen) == 0 && has_test_pin)
        c.pin = test_pin;
    if (pin_override)
        c.pin = pin_override;
    if (c.pin)
        r->insecure_root = 1;
    else
        c.pin = snp_ark_pin(c.product);

    if (fetch_parts(v, &c, &pt, !skip_crl, now, &crl) != 0)
        goto out;
    /* The chain (and CRL): from the verifier's memory, or verified now. */
    uint8_t ckey[32];
    snp_cache_entry hit;
    int keyed = cache_key(&c, &pt, ckey) == 0;
    int cached = v && keyed && verifier_snp_lookup(v, gen, ckey, now, &hit);
    int chain_ok = 0, key_bad = 0;
    if (cached) {
        c.vi = hit.vi;
        memcpy(point, hit.point, sizeof point);
        chain_ok = 1;
        result_check_add(r, "snp.chain", RATLS_CHECK_PASS,
                         "VEK <- ASK <- ARK-%s (pinned key), valid at the given time (verified earlier)",
                         ratls_snp_product_name(c.product));
        c.from = hit.from;
        c.to = hit.to;
        if (pt.crl)
            pend(&crl, RATLS_OK, RATLS_CHECK_PASS,
                 "AMD's CRL is current, signed by the ARK, and lists neither the ASK nor the %s (verified earlier)",
                 rep->signing_key == SNP_SIGNING_KEY_VLEK ? "VLEK" : "VCEK");
    } else {
        if (!c.vek && load_vek(&c, pt.vcek, pt.vcek_len, vk) != 0)
            goto out;
        if (!pt.chain || snp_load_chain(pt.chain, pt.chain_len, pool) != 0) {
            result_fail(r, RATLS_ERR_CERT_CHAIN, "snp.chain", "no readable ASK/ARK certificates were supplied");
            goto out;
        }
        chain_ok = check_chain(&c, now) == 0;
        if (chain_ok && vek_point(c.vek, point) != 0) {
            result_fail(r, RATLS_ERR_SNP_REPORT_SIGNATURE, "snp.signature", "the %s key is not ECDSA P-384",
                        rep->signing_key == SNP_SIGNING_KEY_VLEK ? "VLEK" : "VCEK");
            key_bad = 1;
            chain_ok = 0;
        }
        if (chain_ok && pt.crl)
            check_crl(&c, pt.crl, pt.crl_len, now, &crl);
        if (chain_ok && v && keyed && (!pt.crl || (crl.set && crl.o == RATLS_CHECK_PASS))) {
            snp_cache_entry e;
            memset(&e, 0, sizeof e);
            memcpy(e.key, ckey, 32);
            e.vi = c.vi;
            e.from = c.from;
            e.to = c.to;
            memcpy(e.point, point, sizeof e.point);
            verifier_snp_store(v, gen, &e);
        }
    }
    /* Nothing the report says is reported as passing unless it is authentic:
     * the signature is checked only with a VCEK that chains to the pinned ARK,
     * and the report's contents are judged only once it verified. */
    int sig_ok = chain_ok && check_signature(&c, point) == 0;
    if (!chain_ok && !key_bad)
        result_check_add(r, "snp.signature", RATLS_CHECK_SKIP, "not evaluated: the VCEK is not verified");
    if (!(chain_ok && sig_ok)) {
        static const char *const rest[] = {"snp.tcb", "snp.crl", "snp.policy", "snp.measurement"};
        for (size_t i = 0; i < sizeof rest / sizeof rest[0]; i++)
            result_check_add(r, rest[i], RATLS_CHECK_SKIP, "not evaluated: the report is not authentic");
        goto out;
    }
    r->coll_valid_from = c.from;
    r->coll_expiry = c.to;
    (void)check_tcb(&c);
    if (crl.set)
        emit(r, "snp.crl", &crl);
    else if (skip_crl)
        result_check_add(r, "snp.crl", RATLS_CHECK_SKIP, "revocation not checked (insecure switch)");
    else
        result_fail(r, RATLS_ERR_COLLATERAL_UNAVAILABLE, "snp.crl",
                    "no AMD CRL given and no collateral source to fetch it; skipping revocation needs the explicit "
                    "insecure switch");
    snp_policy_check(r, rep, c.product, pol);
out:
    ratls_snp_policy_free(defpol);
    snp_kds_parts_clear(&pt.fetched_certs);
    snp_kds_parts_clear(&pt.fetched_crl);
    sk_X509_pop_free(vk, X509_free);
    sk_X509_pop_free(pool, X509_free);
    free(rep);
    ERR_clear_error();
    return ratls_result_status(r);
}

ratls_status ratls_snp_verify(const uint8_t *report, size_t report_len, const ratls_snp_collateral_parts *coll,
                              ratls_snp_product product_hint, const ratls_snp_policy *pol, int64_t now,
                              ratls_result **result_out)
{
    return snp_verify_core(NULL, report, report_len, coll, product_hint, pol, now, NULL, result_out);
}

ratls_status snp_verify_pinned(const uint8_t *report, size_t report_len, const ratls_snp_collateral_parts *coll,
                               ratls_snp_product product_hint, const ratls_snp_policy *pol, int64_t now,
                               const uint8_t *ark_pin_override, ratls_result **result_out)
{
    return snp_verify_core(NULL, report, report_len, coll, product_hint, pol, now, ark_pin_override, result_out);
}

ratls_status ratls_verifier_verify_snp(ratls_verifier *v, const uint8_t *report, size_t report_len,
                                       const ratls_snp_collateral_parts *coll, ratls_snp_product product_hint,
                                       const ratls_snp_policy *pol, int64_t now, ratls_result **result_out)
{
    if (result_out)
        *result_out = NULL;
    if (!v)
        return RATLS_ERR_INVALID_ARGUMENT;
    return snp_verify_core(v, report, report_len, coll, product_hint, pol, now, NULL, result_out);
}
