/*
 * DCAP verification of a TDX quote, in the order of ../shared/spec/tdx-dcap.md,
 * then appraisal under the caller's policy. Every step records one check.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "core/core.h"
#include "crypto/crypto.h"
#include "tdx/pem_chain.h"
#include "tdx/tcb.h"

/* Check ids, in the order they are reported. */
static const char *const k_checks[] = {
    "tdx.quote.format",
    "tdx.collateral.root_ca_crl",
    "tdx.collateral.tcb_info",
    "tdx.collateral.qe_identity",
    "tdx.collateral.pck_crl",
    "tdx.pck.chain",
    "tdx.pck.extension",
    "tdx.qe.report_signature",
    "tdx.qe.report_data",
    "tdx.qe.identity",
    "tdx.quote.signature",
    "tdx.platform",
    "tdx.module",
    "tdx.tcb.level",
    "tdx.quote",
    "tdx.tcb",
    "td.attributes",
};

typedef struct vctx {
    ratls_verifier *v;
    const ratls_tdx_quote *q;
    const ratls_collateral *c;
    const ratls_policy *p;
    int64_t now;
    ratls_result *r;
    const rcert *test_root; /* this run's private copy of the INSECURE test root, or NULL */
    const rcert *root;      /* the verified root (borrowed from a chain) */
    const rcert *ok[8];     /* certificates already verified in this run (borrowed) */
    size_t nok;
    int64_t from, to; /* collateral window so far */
    char err[512];
} vctx;

static void win(vctx *x, int64_t from, int64_t to)
{
    if (from > x->from)
        x->from = from;
    if (to < x->to)
        x->to = to;
}

static void win_cert(vctx *x, const rcert *c) { win(x, c->not_before, c->not_after); }

/* Is `cand` the trust anchor (the pinned Intel root, or the configured
 * INSECURE test root), a valid self-signed CA at `now`? */
ratls_status tdx_anchor_check(const rcert *test_root, const rcert *cand, int64_t now, const char *what, char *err,
                              size_t errlen)
{
    int trusted;
    const rcert *tr = test_root;
    if (tr)
        trusted = memcmp(cand->point, tr->point, 65) == 0 && cand->subject_len == tr->subject_len &&
                  memcmp(cand->subject, tr->subject, tr->subject_len) == 0;
    else
        trusted = intel_root_matches(cand);
    if (!trusted)
        return set_err(err, errlen, RATLS_ERR_UNTRUSTED_ROOT, "%s ends at \"%s\", which is not the %s", what, cand->cn,
                       tr ? "configured test root" : "pinned Intel SGX Root CA (its key or name differs)");
    char sub[400];
    /* The pinned certificate itself (or the configured test root, checked
     * when it was set) needs no second look at its self-signature. */
    int known = tr ? rcert_same(cand, tr) : intel_root_is_pinned_der(cand);
    ratls_status s = known ? RATLS_OK : rcert_verify_issued(cand, cand, sub, sizeof sub);
    if (s)
        return set_err(err, errlen, RATLS_ERR_CERT_CHAIN, "%s: root certificate is not a valid self-signed CA (%s)",
                       what, sub);
    return rcert_check_time(cand, now, "the root CA certificate", err, errlen);
}

/* The anchor, checked once per run, then matched by DER. */
static ratls_status check_root(vctx *x, const rcert *cand, const char *what)
{
    if (x->root && rcert_same(cand, x->root))
        return RATLS_OK;
    ratls_status s = tdx_anchor_check(x->test_root, cand, x->now, what, x->err, sizeof x->err);
    if (s)
        return s;
    if (!x->root)
        x->root = cand;
    win_cert(x, cand);
    return RATLS_OK;
}

/* Verify `child` issued by `issuer`, valid now, not revoked by `crl` (may be
 * NULL). Memoized per run by DER, so a certificate that appears in several
 * chains costs one signature check. */
static ratls_status check_issued(vctx *x, const rcert *child, const rcert *issuer, const rcrl *crl, const char *what)
{
    for (size_t i = 0; i < x->nok; i++)
        if (rcert_same(child, x->ok[i]))
            return RATLS_OK;
    char sub[400];
    ratls_status s = rcert_verify_issued(child, issuer, sub, sizeof sub);
    if (s)
        return set_err(x->err, sizeof x->err, s, "%s: %s", what, sub);
    if ((s = rcert_check_time(child, x->now, what, x->err, sizeof x->err)))
        return s;
    if (crl && rcrl_lists(crl, child))
        return set_err(x->err, sizeof x->err, RATLS_ERR_CERT_REVOKED, "%s is revoked (serial listed in the CRL)", what);
    win_cert(x, child);
    if (x->nok < sizeof x->ok / sizeof x->ok[0])
        x->ok[x->nok++] = child;
    return RATLS_OK;
}

static ratls_status fail(vctx *x, ratls_status s, const char *id)
{
    return result_fail(x->r, s, id, "%s", x->err[0] ? x->err : ratls_status_str(s));
}

/* Signed JSON: [signer, root] chain, CN check, revocation by the root CRL,
 * signature over the exact text, issueDate <= now <= nextUpdate. */
static ratls_status check_signed_json(vctx *x, const char *id, const char *name, const rchain *chain, const char *text,
                                      const uint8_t sig[64], int64_t issue, int64_t next, ratls_status sig_err)
{
    ratls_status s;
    char what[96], t[32];
    x->err[0] = 0;
    if (chain->n != 2) {
        set_err(x->err, sizeof x->err, RATLS_ERR_CERT_CHAIN,
                "%s issuer chain has %zu certificates (expected 2: signer, root)", name, chain->n);
        return fail(x, RATLS_ERR_CERT_CHAIN, id);
    }
    const rcert *signer = chain->c[0], *root = chain->c[1];
    snprintf(what, sizeof what, "%s signing certificate", name);
    if ((s = check_root(x, root, name)))
        return fail(x, s, id);
    if (!rcert_cn_contains(signer, "SGX TCB Signing")) {
        set_err(x->err, sizeof x->err, RATLS_ERR_CERT_CHAIN, "%s is not an Intel SGX TCB Signing certificate", what);
        return fail(x, RATLS_ERR_CERT_CHAIN, id);
    }
    if ((s = check_issued(x, signer, root, x->c->root_crl, what)))
        return fail(x, s, id);
    if (!ecdsa_verify_ca(signer->key, (const uint8_t *)text, strlen(text), sig)) {
        set_err(x->err, sizeof x->err, sig_err, "%s signature does not verify over its exact text", name);
        return fail(x, sig_err, id);
    }
    if (x->now < issue) {
        format_iso8601_utc(issue, t);
        set_err(x->err, sizeof x->err, RATLS_ERR_COLLATERAL_NOT_YET_VALID, "%s is not valid before its issueDate %s",
                name, t);
        return fail(x, RATLS_ERR_COLLATERAL_NOT_YET_VALID, id);
    }
    format_iso8601_utc(next, t);
    if (x->now > next && x->now - next > x->p->coll_grace) {
        set_err(x->err, sizeof x->err, RATLS_ERR_COLLATERAL_EXPIRED, "%s expired at its nextUpdate %s", name, t);
        return fail(x, RATLS_ERR_COLLATERAL_EXPIRED, id);
    }
    win(x, issue, next);
    if (x->now > next)
        result_check_add(x->r, id, RATLS_CHECK_PASS,
                         "%s signed by Intel SGX TCB Signing; EXPIRED at %s, accepted only under the policy's "
                         "INSECURE grace period",
                         name, t);
    else
        result_check_add(x->r, id, RATLS_CHECK_PASS, "%s signed by Intel SGX TCB Signing, valid until %s", name, t);
    return RATLS_OK;
}

/* The time at which a CRL's window is checked: `now`, or its nextUpdate
 * when the policy's INSECURE grace period covers the overrun. */
static int64_t crl_time(const vctx *x, const rcrl *crl)
{
    return x->now > crl->next_update && x->now - crl->next_update <= x->p->coll_grace ? crl->next_update : x->now;
}

static const char *crl_note(const vctx *x, const rcrl *crl)
{
    return x->now > crl->next_update ? " (EXPIRED; accepted only under the policy's INSECURE grace period)" : "";
}

static ratls_status verify_collateral(vctx *x)
{
    const ratls_collateral *c = x->c;
    ratls_status s;
    int64_t tu, nu;
    char t[32];
    const char *id = "tdx.collateral.root_ca_crl";
    /* root CA CRL: issued by the root of the TCB Info chain (checked as the anchor) */
    x->err[0] = 0;
    if (c->tcb_chain.n < 1)
        return result_fail(x->r, RATLS_ERR_CERT_CHAIN, id, "TCB Info issuer chain is empty");
    const rcert *root = c->tcb_chain.c[c->tcb_chain.n - 1];
    if ((s = check_root(x, root, "TCB Info issuer chain")))
        return fail(x, s, id);
    if ((s = rcrl_check(c->root_crl, x->root, crl_time(x, c->root_crl), "root CA CRL", x->err, sizeof x->err)))
        return fail(x, s, id);
    tu = c->root_crl->this_update;
    nu = c->root_crl->next_update;
    win(x, tu, nu);
    format_iso8601_utc(nu, t);
    result_check_add(x->r, id, RATLS_CHECK_PASS, "root CA CRL signed by the root, valid until %s%s", t,
                     crl_note(x, c->root_crl));

    if ((s = check_signed_json(x, "tdx.collateral.tcb_info", "TCB Info", &c->tcb_chain, c->s_tcb_info, c->tcb_sig,
                               c->ti.issue_date, c->ti.next_update, RATLS_ERR_TCB_INFO_SIGNATURE)))
        return s;
    if ((s = check_signed_json(x, "tdx.collateral.qe_identity", "QE Identity", &c->qe_chain, c->s_qe_identity,
                               c->qe_sig, c->qi.issue_date, c->qi.next_update, RATLS_ERR_QE_IDENTITY_SIGNATURE)))
        return s;

    id = "tdx.collateral.pck_crl";
    x->err[0] = 0;
    if (c->pck_crl_chain.n != 2)
        return result_fail(x->r, RATLS_ERR_CERT_CHAIN, id,
                           "PCK CRL issuer chain has %zu certificates (expected 2: PCK CA, root)", c->pck_crl_chain.n);
    const rcert *ca = c->pck_crl_chain.c[0];
    if ((s = check_root(x, c->pck_crl_chain.c[1], "PCK CRL issuer chain")))
        return fail(x, s, id);
    if (!rcert_cn_contains(ca, "CA")) {
        set_err(x->err, sizeof x->err, RATLS_ERR_CERT_CHAIN, "PCK CRL issuer is not a PCK CA");
        return fail(x, RATLS_ERR_CERT_CHAIN, id);
    }
    if ((s = check_issued(x, ca, c->pck_crl_chain.c[1], c->root_crl, "PCK CRL issuer certificate")))
        return fail(x, s, id);
    if ((s = rcrl_check(c->pck_crl, ca, crl_time(x, c->pck_crl), "PCK CRL", x->err, sizeof x->err)))
        return fail(x, s, id);
    win(x, c->pck_crl->this_update, c->pck_crl->next_update);
    format_iso8601_utc(c->pck_crl->next_update, t);
    result_check_add(x->r, id, RATLS_CHECK_PASS, "PCK CRL signed by \"%s\", valid until %s%s", ca->cn, t,
                     crl_note(x, c->pck_crl));
    return RATLS_OK;
}

static ratls_status verify_pck(vctx *x, sgx_ext *ext)
{
    const char *id = "tdx.pck.chain";
    rchain chain = {{0}, 0};
    ratls_status s;
    char sub[400];
    x->err[0] = 0;
    s = pem_chain_parse(x->q->pem, x->q->pem_len, TDX_MAX_CERTS, &chain, sub, sizeof sub);
    if (s) {
        result_fail(x->r, s, id, "PCK certificate chain in the quote: %s", sub);
        return s;
    }
    if (chain.n != 3) {
        s = result_fail(x->r, RATLS_ERR_CERT_CHAIN, id,
                        "PCK chain has %zu certificates (expected 3: PCK leaf, PCK CA, root)", chain.n);
        goto out;
    }
    const rcert *leaf = chain.c[0], *ca = chain.c[1], *root = chain.c[2];
    if ((s = check_root(x, root, "PCK certificate chain"))) {
        fail(x, s, id);
        goto out;
    }
    int platform = rcert_cn_contains(ca, "Platform CA"), processor = rcert_cn_contains(ca, "Processor CA");
    if (platform == processor) {
        s = result_fail(x->r, RATLS_ERR_CERT_CHAIN, id, "PCK issuer \"%s\" is neither a Platform CA nor a Processor CA",
                        ca->cn);
        goto out;
    }
    if (!rcert_cn_contains(leaf, "SGX PCK Certificate")) {
        s = result_fail(x->r, RATLS_ERR_CERT_CHAIN, id, "the chain's leaf \"%s\" is not an SGX PCK Certificate",
                        leaf->cn);
        goto out;
    }
    if ((s = check_issued(x, ca, root, x->c->root_crl, "PCK CA certificate"))) {
        fail(x, s, id);
        goto out;
    }
    /* The PCK CRL must be the one of this PCK's issuer (Platform vs Processor):
     * Intel requires the CRL issuer to equal the PCK certificate's issuer. */
    const rcrl *pcrl = x->c->pck_crl;
    if (pcrl->issuer_len != leaf->issuer_len || memcmp(pcrl->issuer, leaf->issuer, leaf->issuer_len) != 0) {
        s = result_fail(x->r, RATLS_ERR_CRL_ISSUER, id,
                        "the collateral's PCK CRL is not issued by this PCK's CA (%s CA expected)",
                        platform ? "Platform" : "Processor");
        goto out;
    }
    if (!rcert_same(ca, x->c->pck_crl_chain.c[0])) {
        s = result_fail(x->r, RATLS_ERR_CRL_ISSUER, id,
                        "the PCK CA in the quote differs from the PCK CRL's issuer certificate");
        goto out;
    }
    if ((s = check_issued(x, leaf, ca, pcrl, "PCK certificate"))) {
        fail(x, s, id);
        goto out;
    }
    result_check_add(x->r, id, RATLS_CHECK_PASS, "PCK certificate chains to the %s via \"%s\", valid and not revoked",
                     x->test_root ? "INSECURE test root" : "pinned Intel SGX Root CA", ca->cn);

    id = "tdx.pck.extension";
    if (leaf->sgx_ext_count != 1) {
        s = result_fail(x->r, RATLS_ERR_SGX_EXTENSION, id, "PCK certificate has %s SGX extension",
                        leaf->sgx_ext_count ? "more than one" : "no");
        goto out;
    }
    if ((s = sgx_ext_parse(leaf->sgx_ext, leaf->sgx_ext_len, ext, sub, sizeof sub))) {
        result_fail(x->r, s, id, "%s", sub);
        goto out;
    }
    if (ext->has_platform_fields != platform) {
        s = result_fail(x->r, RATLS_ERR_SGX_EXTENSION, id, "a %s CA leaf must carry %d SGX extension entries",
                        platform ? "Platform" : "Processor", platform ? 7 : 5);
        goto out;
    }
    char fm[13], pc[5];
    hex_encode_upper(ext->fmspc, 6, fm);
    hex_encode_upper(ext->pceid, 2, pc);
    result_check_add(x->r, id, RATLS_CHECK_PASS, "SGX extension: FMSPC %s, PCEID %s, PCESVN %u", fm, pc, ext->pcesvn);

    id = "tdx.qe.report_signature";
    if (!ecdsa_verify_raw(leaf->key, x->q->qe_report, SGX_REPORT_BODY_LEN, x->q->qe_report_sig)) {
        s = result_fail(x->r, RATLS_ERR_QE_REPORT_SIGNATURE, id,
                        "QE report signature does not verify with the PCK key");
        goto out;
    }
    result_check_add(x->r, id, RATLS_CHECK_PASS, "QE report signed by the PCK key");
    s = RATLS_OK;
out:
    rchain_free(&chain);
    return s;
}

void tdx_skip_rest(ratls_result *r, const char *why)
{
    for (size_t i = 0; i < sizeof k_checks / sizeof k_checks[0]; i++)
        if (ratls_result_find_check(r, k_checks[i], NULL, NULL) < 0)
            result_check_add(r, k_checks[i], RATLS_CHECK_SKIP, "%s", why);
}

static void add_advisories(ratls_result *r, const adv_list *a)
{
    for (size_t i = 0; i < a->n; i++)
        result_add_advisory(r, a->ids[i]);
}

/* Appraisal: statuses, advisories, TD attributes. Never does I/O. */
static ratls_status appraise(vctx *x, tcb_status st)
{
    ratls_status first = RATLS_OK;
    const ratls_tdx_report *t = &x->q->report;
    const ratls_policy *p = x->p;
    if ((int64_t)p->min_eval_num > x->r->eval_num) {
        first = result_fail(x->r, RATLS_ERR_TCB_EVALUATION_NUMBER, "tdx.tcb",
                            "collateral has TCB evaluation data number %lld; the policy requires at least %u",
                            (long long)x->r->eval_num, p->min_eval_num);
    } else if (!policy_status_accepted(p, st)) {
        first = result_fail(x->r, RATLS_ERR_TCB_STATUS_REJECTED, "tdx.tcb",
                            "TCB status %s is not accepted by the policy", tcb_status_str(st));
    } else {
        const char *bad = NULL;
        for (size_t i = 0; !bad && i < x->r->nadv; i++)
            bad = policy_advisory_rejected(p, x->r->advisories[i]);
        if (bad)
            first = result_fail(x->r, RATLS_ERR_ADVISORY_REJECTED, "tdx.tcb",
                                "advisory %s is not accepted by the policy", bad);
        else
            result_check_add(x->r, "tdx.tcb", RATLS_CHECK_PASS, "TCB status %s accepted%s", tcb_status_str(st),
                             x->r->nadv ? " (with advisories, see advisory_ids)" : "");
    }

    uint64_t a = 0;
    for (int i = 7; i >= 0; i--)
        a = (a << 8) | t->td_attributes[i];
    /* reserved: 7:1, 27:8, 29, 62:32 */
    const uint64_t reserved = 0xFEull | 0x0FFFFF00ull | (1ull << 29) | 0x7FFFFFFF00000000ull;
    static const uint8_t zero48[48];
    ratls_status s = RATLS_OK;
    if (a & reserved)
        s = result_fail(x->r, RATLS_ERR_TD_ATTRIBUTES, "td.attributes", "TD_ATTRIBUTES %016llx has reserved bits set",
                        (unsigned long long)(a & reserved));
    else if ((a & 1) && !(p->flags & RATLS_POLICY_ALLOW_DEBUG_TD_INSECURE))
        s = result_fail(x->r, RATLS_ERR_TD_DEBUG, "td.attributes",
                        "the TD runs in DEBUG mode: the host can read and change its memory");
    else if (!(a & (1ull << 28)) && !(p->flags & RATLS_POLICY_ALLOW_SEPT_VE_ENABLED_INSECURE))
        s = result_fail(x->r, RATLS_ERR_TD_SEPT_VE_DISABLE, "td.attributes",
                        "SEPT_VE_DISABLE is off: the host can inject #VE exceptions into the TD");
    else if (t->body_type == 3 && memcmp(t->mr_service_td, zero48, 48) != 0 &&
             !(p->flags & RATLS_POLICY_ALLOW_MRSERVICETD))
        s = result_fail(x->r, RATLS_ERR_TD_MRSERVICETD, "td.attributes",
                        "MRSERVICETD is set: a service TD (e.g. migration) is bound to this TD");
    else
        result_check_add(
            x->r, "td.attributes", RATLS_CHECK_PASS, "%s%s%s", (a & 1) ? "DEBUG (allowed INSECURELY)" : "not DEBUG",
            (a & (1ull << 28)) ? ", SEPT_VE_DISABLE set" : ", SEPT_VE_DISABLE off (allowed INSECURELY)",
            t->body_type == 3 && memcmp(t->mr_service_td, zero48, 48) != 0 ? ", MRSERVICETD set (allowed)" : "");
    return first ? first : s;
}

ratls_status tdx_verify(ratls_verifier *v, const ratls_tdx_quote *q, const ratls_collateral *c, const ratls_policy *p,
                        int64_t now, ratls_result *r)
{
    vctx x;
    memset(&x, 0, sizeof x);
    x.v = v;
    x.q = q;
    x.c = c;
    x.p = p;
    x.now = now;
    x.r = r;
    x.from = INT64_MIN;
    x.to = INT64_MAX;
    ratls_status s = RATLS_OK;
    ec_pub *att = NULL;
    int fresh_platform = 0, window_complete = 0;
    sgx_ext ext;
    char t[32];
    memset(&ext, 0, sizeof ext);
    rcert *test_root = NULL;
    uint64_t gen = 0;
    if ((s = verifier_anchor(v, &test_root, &gen)) != RATLS_OK)
        return result_fail(r, s, "tdx.collateral.root_ca_crl", "cannot copy the configured test root");
    x.test_root = test_root;
    r->insecure_root = test_root != NULL;

    /* --- collateral (cached per verifier while inside its window) --- */
    int64_t cf, ct;
    if (verifier_coll_lookup(v, gen, c->digest, now, &cf, &ct)) {
        format_iso8601_utc(ct, t);
        for (int i = 1; i <= 4; i++)
            result_check_add(r, k_checks[i], RATLS_CHECK_PASS, "verified earlier by this verifier; valid until %s", t);
        win(&x, cf, ct);
    } else {
        if ((s = verify_collateral(&x)))
            goto done;
        verifier_coll_store(v, gen, c->digest, x.from, x.to);
        cf = x.from;
        ct = x.to;
    }

    r->eval_num = c->ti.eval_num < c->qi.eval_num ? c->ti.eval_num : c->qi.eval_num;

    /* --- platform: PCK chain, SGX extension, QE report signature --- */
    uint8_t key[64];
    if (!SHA256(q->cert_data, q->cert_data_size, key)) {
        s = result_fail(r, RATLS_ERR_INTERNAL, "tdx.pck.chain", "SHA-256 failed");
        goto done;
    }
    memcpy(key + 32, c->digest, 32);
    int64_t pf, pt;
    if (verifier_pck_lookup(v, gen, key, now, &ext, &pf, &pt)) {
        result_check_add(r, "tdx.pck.chain", RATLS_CHECK_PASS,
                         "verified earlier by this verifier (same PCK chain and CRLs)");
        char fm[13], pc[5];
        hex_encode_upper(ext.fmspc, 6, fm);
        hex_encode_upper(ext.pceid, 2, pc);
        result_check_add(r, "tdx.pck.extension", RATLS_CHECK_PASS, "SGX extension: FMSPC %s, PCEID %s, PCESVN %u", fm,
                         pc, ext.pcesvn);
        result_check_add(r, "tdx.qe.report_signature", RATLS_CHECK_PASS,
                         "verified earlier by this verifier (same QE report)");
        win(&x, pf, pt);
    } else {
        int64_t f0 = x.from, t0 = x.to;
        x.from = INT64_MIN;
        x.to = INT64_MAX;
        if ((s = verify_pck(&x, &ext)))
            goto done;
        pf = x.from;
        pt = x.to;
        fresh_platform = 1;
        win(&x, f0, t0);
    }
    /* every dated item has now been checked: the window is complete */
    window_complete = 1;
    hex_encode_upper(ext.fmspc, 6, r->fmspc);
    hex_encode_upper(ext.pceid, 2, r->pceid);

    /* --- QE report data binds the attestation key (both halves) --- */
    uint8_t h[32];
    static const uint8_t zero32[32];
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned hl = 0;
    int hok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 && EVP_DigestUpdate(md, q->att_key, 64) == 1 &&
              EVP_DigestUpdate(md, q->qe_auth, q->qe_auth_len) == 1 && EVP_DigestFinal_ex(md, h, &hl) == 1;
    EVP_MD_CTX_free(md);
    if (!hok) {
        s = result_fail(r, RATLS_ERR_INTERNAL, "tdx.qe.report_data", "SHA-256 failed");
        goto done;
    }
    if (ct_memcmp(h, q->qe.reportdata, 32) != 0) {
        s = result_fail(r, RATLS_ERR_QE_REPORT_DATA, "tdx.qe.report_data",
                        "QE report data is not SHA-256(attestation key || QE auth data)");
        goto done;
    }
    if (memcmp(q->qe.reportdata + 32, zero32, 32) != 0) {
        s = result_fail(r, RATLS_ERR_QE_REPORT_DATA, "tdx.qe.report_data",
                        "upper 32 bytes of the QE report data are not zero");
        goto done;
    }
    result_check_add(r, "tdx.qe.report_data", RATLS_CHECK_PASS, "QE report data binds the attestation key");

    /* --- QE identity --- */
    qe_tcb qe_status;
    int qe_level;
    if ((s = qe_identity_check(&c->qi, &q->qe, &qe_status, &qe_level, x.err, sizeof x.err))) {
        fail(&x, s, "tdx.qe.identity");
        goto done;
    }
    if (qe_level >= 0)
        add_advisories(r, &c->qi.levels[qe_level].adv);
    static const char *const qe_names[] = {"UpToDate", "OutOfDate", "Revoked", "NotSupported"};
    result_check_add(r, "tdx.qe.identity", RATLS_CHECK_PASS,
                     "quoting enclave matches Intel's TD_QE identity; ISVSVN %u: %s", q->qe.isvsvn,
                     qe_names[qe_status]);

    /* --- quote signature --- */
    att = ec_pub_from_raw(q->att_key);
    if (!att) {
        s = result_fail(r, RATLS_ERR_QUOTE_SIGNATURE, "tdx.quote.signature", "attestation key is not a P-256 point");
        goto done;
    }
    if (!ecdsa_verify_cached(v->keytabs, att, q->raw, q->signed_len, q->signature)) {
        s = result_fail(r, RATLS_ERR_QUOTE_SIGNATURE, "tdx.quote.signature",
                        "quote signature does not verify with the attestation key");
        goto done;
    }
    result_check_add(r, "tdx.quote.signature", RATLS_CHECK_PASS,
                     "quote header and TD report signed by the attestation key");
    if (fresh_platform) /* first time for this platform: remember it */
        verifier_pck_store(v, gen, key, pf, pt, &ext);

    /* --- platform: the TCB Info is this platform's --- */
    if (memcmp(ext.fmspc, c->ti.fmspc, 6) != 0) {
        char a[13], b[13];
        hex_encode_upper(ext.fmspc, 6, a);
        hex_encode_upper(c->ti.fmspc, 6, b);
        s = result_fail(r, RATLS_ERR_FMSPC_MISMATCH, "tdx.platform", "PCK FMSPC %s differs from the TCB Info's %s", a,
                        b);
        goto done;
    }
    if (memcmp(ext.pceid, c->ti.pceid, 2) != 0) {
        s = result_fail(r, RATLS_ERR_PCEID_MISMATCH, "tdx.platform", "PCK PCEID differs from the TCB Info's");
        goto done;
    }
    result_check_add(r, "tdx.platform", RATLS_CHECK_PASS, "TCB Info is for this platform (FMSPC %s)", r->fmspc);

    /* --- TDX module --- */
    tcb_eval ev;
    memset(&ev, 0, sizeof ev);
    if ((s = tdx_module_check(&c->ti, &q->report, &ev, x.err, sizeof x.err))) {
        result_set_tcb_status(r, s == RATLS_ERR_TCB_NOT_SUPPORTED ? "TCB_NOT_SUPPORTED" : "TDX_MODULE_MISMATCH");
        fail(&x, s, "tdx.module");
        goto done;
    }
    if (ev.mod) {
        add_advisories(r, &ev.mod->levels[ev.mod_level].adv);
        result_check_add(r, "tdx.module", RATLS_CHECK_PASS, "module %s SVN %u matches Intel's identity: %s", ev.mod->id,
                         q->report.tee_tcb_svn[0], tcb_status_str(ev.module_status));
    } else {
        result_check_add(r, "tdx.module", RATLS_CHECK_PASS, "module signer and attributes match Intel's tdxModule");
    }

    /* --- TCB level and status --- */
    if ((s = tdx_tcb_evaluate(&c->ti, &ext, &q->report, qe_status, &ev, x.err, sizeof x.err))) {
        result_set_tcb_status(r, s == RATLS_ERR_TCB_NOT_SUPPORTED ? "TCB_NOT_SUPPORTED" : "TDX_MODULE_MISMATCH");
        fail(&x, s, "tdx.tcb.level");
        goto done;
    }
    add_advisories(r, &c->ti.levels[ev.tdx_level].adv);
    result_set_tcb_status(r, tcb_status_str(ev.final_status));
    format_iso8601_utc(c->ti.levels[ev.tdx_level].date, t);
    result_check_add(r, "tdx.tcb.level", RATLS_CHECK_PASS, "TCB level of %s (%s); final status %s", t,
                     tcb_status_str(c->ti.levels[ev.tdx_level].status), tcb_status_str(ev.final_status));
    result_check_add(r, "tdx.quote", RATLS_CHECK_PASS, "%s, TCB %s",
                     test_root ? "quote verified under the INSECURE test root (simulated hardware)"
                               : "genuine TDX quote from Intel-certified hardware",
                     tcb_status_str(ev.final_status));

    s = appraise(&x, ev.final_status);
done:
    /* A window is reported only when every dated item passed: after a
     * failure it would cover only the items checked before it. */
    if (window_complete && x.from != INT64_MIN && x.to != INT64_MAX && x.from <= x.to) {
        r->coll_valid_from = x.from;
        r->coll_expiry = x.to;
    }
    tdx_skip_rest(r, "not evaluated: an earlier check failed");
    ec_pub_free(att);
    rcert_free(test_root);
    return s;
}

/* ---- one collateral item on its own (before a source caches it) ---- */

/* Signer certificate `signer` issued by the anchor `root`, both valid at `now`. */
static ratls_status item_chain(const rcert *test_root, const rchain *ch, const char *cn, int64_t now, const char *what,
                               int64_t *from, int64_t *to, char *err, size_t errlen)
{
    char sub[400];
    if (ch->n != 2)
        return set_err(err, errlen, RATLS_ERR_CERT_CHAIN, "%s issuer chain has %zu certificates (expected 2)", what,
                       ch->n);
    const rcert *signer = ch->c[0], *root = ch->c[1];
    ratls_status s = tdx_anchor_check(test_root, root, now, what, err, errlen);
    if (s)
        return s;
    if (!rcert_cn_contains(signer, cn))
        return set_err(err, errlen, RATLS_ERR_CERT_CHAIN, "%s is signed by \"%s\", not by an Intel %s certificate",
                       what, signer->cn, cn);
    if ((s = rcert_verify_issued(signer, root, sub, sizeof sub)))
        return set_err(err, errlen, s, "%s signing certificate: %s", what, sub);
    if ((s = rcert_check_time(signer, now, "its signing certificate", sub, sizeof sub)))
        return set_err(err, errlen, s, "%s: %s", what, sub);
    *from = signer->not_before > root->not_before ? signer->not_before : root->not_before;
    *to = signer->not_after < root->not_after ? signer->not_after : root->not_after;
    return RATLS_OK;
}

static ratls_status item_window(int64_t issue, int64_t next, int64_t now, int64_t grace, const char *what,
                                tdx_item_info *info, char *err, size_t errlen)
{
    char t[32];
    if (now < issue) {
        format_iso8601_utc(issue, t);
        return set_err(err, errlen, RATLS_ERR_COLLATERAL_NOT_YET_VALID, "%s is not valid before %s", what, t);
    }
    if (now > next && now - next > grace) {
        format_iso8601_utc(next, t);
        return set_err(err, errlen, RATLS_ERR_COLLATERAL_EXPIRED, "%s expired at its nextUpdate %s", what, t);
    }
    info->issued = issue;
    info->next_update = next;
    if (issue > info->from)
        info->from = issue;
    if (next < info->to)
        info->to = next;
    return RATLS_OK;
}

ratls_status tdx_item_verify(const rcert *test_root, tdx_item_kind kind, const uint8_t *body, size_t len,
                             const char *chain_pem, int64_t now, int64_t grace, tdx_item_info *info, char *err,
                             size_t errlen)
{
    static const char *const names[] = {"TCB Info", "QE Identity", "PCK CRL", "root CA CRL"};
    const char *what = names[kind];
    char sub[400];
    rchain ch = {{0}, 0};
    rcrl *crl = NULL;
    signed_item si;
    uint8_t *der = NULL;
    size_t dl = 0;
    ratls_status s;
    memset(info, 0, sizeof *info);
    memset(&si, 0, sizeof si);
    info->kind = kind;
    info->from = INT64_MIN;
    info->to = INT64_MAX;
    if (!chain_pem || !chain_pem[0])
        return set_err(err, errlen, RATLS_ERR_CERT_CHAIN, "%s came without its issuer chain", what);
    if ((s = pem_chain_parse((const uint8_t *)chain_pem, strlen(chain_pem), 4, &ch, sub, sizeof sub)))
        return set_err(err, errlen, s, "%s issuer chain: %s", what, sub);
    if (kind == TDX_ITEM_TCB_INFO || kind == TDX_ITEM_QE_IDENTITY) {
        if ((s = collateral_parse_signed_item(kind == TDX_ITEM_TCB_INFO, (const char *)body, len, &si, err, errlen)))
            goto out;
        if ((s = item_chain(test_root, &ch, "SGX TCB Signing", now, what, &info->from, &info->to, err, errlen)))
            goto out;
        if (!ecdsa_verify_ca(ch.c[0]->key, (const uint8_t *)si.text, strlen(si.text), si.sig)) {
            s = set_err(err, errlen,
                        kind == TDX_ITEM_TCB_INFO ? RATLS_ERR_TCB_INFO_SIGNATURE : RATLS_ERR_QE_IDENTITY_SIGNATURE,
                        "%s signature does not verify over its exact text", what);
            goto out;
        }
        if ((s = item_window(si.issue, si.next, now, grace, what, info, err, errlen)))
            goto out;
        info->eval = si.eval;
        memcpy(info->fmspc, si.fmspc, 6);
        goto out;
    }
    if ((s = collateral_crl_to_der(body, len, &der, &dl, what, err, errlen)))
        goto out;
    if ((s = rcrl_parse(der, dl, &crl, sub, sizeof sub))) {
        s = set_err(err, errlen, s, "%s: %s", what, sub);
        goto out;
    }
    const rcert *issuer;
    if (kind == TDX_ITEM_PCK_CRL) {
        if ((s = item_chain(test_root, &ch, "CA", now, what, &info->from, &info->to, err, errlen)))
            goto out;
        issuer = ch.c[0];
        int platform = rcert_cn_contains(issuer, "Platform CA"), processor = rcert_cn_contains(issuer, "Processor CA");
        if (platform == processor) {
            s = set_err(err, errlen, RATLS_ERR_CERT_CHAIN, "%s issuer \"%s\" is neither a Platform nor a Processor CA",
                        what, issuer->cn);
            goto out;
        }
        info->ca = platform ? 1 : 2;
    } else {
        /* the root CRL is signed by the anchor: the chain given with it
         * (any issuer chain of the same source) must end there */
        if (ch.n < 1) {
            s = set_err(err, errlen, RATLS_ERR_CERT_CHAIN, "%s: no root certificate to check it against", what);
            goto out;
        }
        issuer = ch.c[ch.n - 1];
        if ((s = tdx_anchor_check(test_root, issuer, now, what, err, errlen)))
            goto out;
        info->from = issuer->not_before;
        info->to = issuer->not_after;
    }
    int64_t at = now > crl->next_update && now - crl->next_update <= grace ? crl->next_update : now;
    if ((s = rcrl_check(crl, issuer, at, what, err, errlen)))
        goto out;
    s = item_window(crl->this_update, crl->next_update, now, grace, what, info, err, errlen);
out:
    signed_item_clear(&si);
    rchain_free(&ch);
    rcrl_free(crl);
    free(der);
    return s;
}

ratls_status tdx_quote_platform(const ratls_tdx_quote *q, const rcert *test_root, int64_t now, uint8_t fmspc[6],
                                int *ca, char *err, size_t errlen)
{
    rchain chain = {{0}, 0};
    sgx_ext ext;
    char sub[400];
    ratls_status s = pem_chain_parse(q->pem, q->pem_len, TDX_MAX_CERTS, &chain, sub, sizeof sub);
    if (s)
        return set_err(err, errlen, s, "PCK certificate chain in the quote: %s", sub);
    if (chain.n != 3) {
        s = set_err(err, errlen, RATLS_ERR_CERT_CHAIN, "the quote's PCK chain has %zu certificates (expected 3)",
                    chain.n);
        goto out;
    }
    /* the FMSPC decides what is fetched: only a chain to the anchor may say it */
    if ((s = tdx_anchor_check(test_root, chain.c[2], now, "PCK certificate chain", err, errlen)))
        goto out;
    if ((s = rcert_verify_issued(chain.c[1], chain.c[2], sub, sizeof sub)) ||
        (s = rcert_verify_issued(chain.c[0], chain.c[1], sub, sizeof sub))) {
        set_err(err, errlen, s, "PCK certificate chain in the quote: %s", sub);
        goto out;
    }
    if (chain.c[0]->sgx_ext_count != 1) {
        s = set_err(err, errlen, RATLS_ERR_SGX_EXTENSION, "the PCK certificate has no single SGX extension");
    } else if ((s = sgx_ext_parse(chain.c[0]->sgx_ext, chain.c[0]->sgx_ext_len, &ext, sub, sizeof sub))) {
        set_err(err, errlen, s, "%s", sub);
    } else {
        int platform = rcert_cn_contains(chain.c[1], "Platform CA"),
            processor = rcert_cn_contains(chain.c[1], "Processor CA");
        if (platform == processor)
            s = set_err(err, errlen, RATLS_ERR_CERT_CHAIN, "PCK issuer \"%s\" is neither a Platform nor a Processor CA",
                        chain.c[1]->cn);
        memcpy(fmspc, ext.fmspc, 6);
        *ca = platform ? 1 : 2;
    }
out:
    rchain_free(&chain);
    return s;
}
