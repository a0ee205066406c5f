#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collateral/source.h"
#include "core/core.h"
#include "tdx/pem_chain.h"

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

ratls_verifier *ratls_verifier_new(void)
{
    ratls_verifier *v = calloc(1, sizeof *v);
    if (!v)
        return NULL;
    if (pthread_mutex_init(&v->mu, NULL) != 0) {
        free(v);
        return NULL;
    }
    /* attestation keys: a table from a key's second quote on */
    if (!(v->keytabs = keytab_cache_new(2))) {
        pthread_mutex_destroy(&v->mu);
        free(v);
        return NULL;
    }
    return v;
}

static void clear_locked(ratls_verifier *v)
{
    for (size_t i = 0; i < PLAT_MEMO_SIZE; i++)
        free(v->plat[i].cert);
    memset(v->plat, 0, sizeof v->plat);
    memset(v->coll, 0, sizeof v->coll);
    memset(v->pck, 0, sizeof v->pck);
    memset(v->snp, 0, sizeof v->snp);
}

void ratls_verifier_clear_cache(ratls_verifier *v)
{
    if (!v)
        return;
    pthread_mutex_lock(&v->mu);
    clear_locked(v);
    pthread_mutex_unlock(&v->mu);
}

void ratls_verifier_free(ratls_verifier *v)
{
    if (!v)
        return;
    clear_locked(v);
    rcert_free(v->test_root);
    ratls_collateral_source_free(v->source);
    keytab_cache_free(v->keytabs);
    pthread_mutex_destroy(&v->mu);
    free(v);
}

void ratls_verifier_set_collateral_source(ratls_verifier *v, ratls_collateral_source *s)
{
    if (!v)
        return;
    if (s)
        source_ref(s);
    pthread_mutex_lock(&v->mu);
    ratls_collateral_source *old = v->source;
    v->source = s;
    pthread_mutex_unlock(&v->mu);
    ratls_collateral_source_free(old);
}

/* The collateral for a parsed quote through the verifier's source. */
static ratls_status fetch_for(ratls_verifier *v, const ratls_tdx_quote *q, const ratls_policy *pol, int64_t now,
                              ratls_collateral **out, char *err, size_t errlen)
{
    uint8_t fmspc[6];
    int ca = 0, known = 0;
    rcert *tr = NULL;
    uint64_t gen = 0;
    ratls_status s = verifier_anchor(v, &tr, &gen);
    if (s)
        return s;
    pthread_mutex_lock(&v->mu);
    for (size_t i = 0; i < PLAT_MEMO_SIZE && !known; i++) {
        plat_memo *m = &v->plat[i];
        if (m->cert && m->gen == gen && m->len == q->cert_data_size && memcmp(m->cert, q->cert_data, m->len) == 0) {
            memcpy(fmspc, m->fmspc, 6);
            ca = m->ca;
            m->tick = ++v->tick;
            known = 1;
        }
    }
    pthread_mutex_unlock(&v->mu);
    if (!known) {
        if ((s = tdx_quote_platform(q, tr, now, fmspc, &ca, err, errlen))) {
            rcert_free(tr);
            return s;
        }
        uint8_t *copy = malloc(q->cert_data_size);
        if (copy) {
            memcpy(copy, q->cert_data, q->cert_data_size);
            pthread_mutex_lock(&v->mu);
            plat_memo *slot = &v->plat[0];
            for (size_t i = 1; i < PLAT_MEMO_SIZE; i++)
                if (v->plat[i].tick < slot->tick)
                    slot = &v->plat[i];
            free(slot->cert);
            slot->cert = copy;
            slot->len = q->cert_data_size;
            slot->gen = gen;
            memcpy(slot->fmspc, fmspc, 6);
            slot->ca = ca;
            slot->tick = ++v->tick;
            pthread_mutex_unlock(&v->mu);
        }
    }
    pthread_mutex_lock(&v->mu);
    ratls_collateral_source *src = v->source;
    if (src)
        source_ref(src);
    pthread_mutex_unlock(&v->mu);
    if (!src)
        s = set_err(err, errlen, RATLS_ERR_COLLATERAL_UNAVAILABLE,
                    "no collateral was given and the verifier has no collateral source");
    else
        s = source_get_tdx(src, tr, fmspc, ca, now, pol ? pol->coll_grace : 0, out, err, errlen);
    rcert_free(tr);
    ratls_collateral_source_free(src);
    return s;
}

ratls_status ratls_verifier_fetch_collateral(ratls_verifier *v, const uint8_t *quote, size_t len,
                                             const ratls_policy *pol, int64_t now, ratls_collateral **out, char *err,
                                             size_t errlen)
{
    if (out)
        *out = NULL;
    if (!v || !quote || !out)
        return RATLS_ERR_INVALID_ARGUMENT;
    ratls_tdx_quote *q = NULL;
    ratls_status s = ratls_tdx_quote_parse(quote, len, &q, err, errlen);
    if (s == RATLS_OK)
        s = fetch_for(v, q, pol, now, out, err, errlen);
    ratls_tdx_quote_free(q);
    return s;
}

void ratls_verifier_set_log(ratls_verifier *v, ratls_log_fn fn, void *arg)
{
    if (!v)
        return;
    v->log = fn;
    v->log_arg = arg;
}

ratls_status ratls_verifier_set_tdx_root_insecure(ratls_verifier *v, const uint8_t *cert, size_t len)
{
    if (!v || !cert || !len || len > 64 * 1024)
        return RATLS_ERR_INVALID_ARGUMENT;
    rcert *x = NULL;
    if (len > 10 && memcmp(cert, "-----BEGIN", 10) == 0) {
        rchain ch = {{0}, 0};
        if (pem_chain_parse(cert, len, 1, &ch, NULL, 0) != RATLS_OK)
            return RATLS_ERR_PEM_CHAIN;
        x = ch.c[0];
    } else if (rcert_parse(cert, len, &x, NULL, 0) != RATLS_OK) {
        return RATLS_ERR_PEM_CHAIN;
    }
    /* a root must be a self-signed CA; checked once here */
    if (rcert_verify_issued(x, x, NULL, 0) != RATLS_OK) {
        rcert_free(x);
        return RATLS_ERR_CERT_CHAIN;
    }
    pthread_mutex_lock(&v->mu);
    rcert_free(v->test_root);
    v->test_root = x;
    v->anchor_gen++;
    clear_locked(v); /* what verified under the old anchor proves nothing now */
    pthread_mutex_unlock(&v->mu);
    log_emit(v->log, v->log_arg, RATLS_LOG_WARN, "INSECURE: trusting a test root instead of the Intel SGX Root CA");
    return RATLS_OK;
}

ratls_status ratls_verifier_set_snp_ark_insecure(ratls_verifier *v, const uint8_t *cert, size_t len)
{
    if (!v || !cert || !len || len > SNP_CERT_MAX_LEN)
        return RATLS_ERR_INVALID_ARGUMENT;
    STACK_OF(X509) *sk = sk_X509_new_null();
    uint8_t pin[32];
    ratls_status st = RATLS_ERR_CERT_CHAIN;
    if (sk && snp_load_certs(cert, len, sk) == 0 && sk_X509_num(sk) == 1) {
        X509 *x = sk_X509_value(sk, 0);
        EVP_PKEY *k = X509_get0_pubkey(x);
        /* a root must be a self-signed CA; checked once here */
        if (k && X509_check_ca(x) == 1 && X509_verify(x, k) == 1 && snp_spki_sha256(x, pin) == 0)
            st = RATLS_OK;
    }
    sk_X509_pop_free(sk, X509_free);
    ERR_clear_error();
    if (st != RATLS_OK)
        return st;
    pthread_mutex_lock(&v->mu);
    memcpy(v->snp_pin, pin, 32);
    v->has_snp_pin = 1;
    v->anchor_gen++;
    clear_locked(v); /* what verified under the old anchor proves nothing now */
    pthread_mutex_unlock(&v->mu);
    log_emit(v->log, v->log_arg, RATLS_LOG_WARN, "INSECURE: trusting a test ARK instead of AMD's pinned ARKs");
    return RATLS_OK;
}

ratls_collateral_source *verifier_source(ratls_verifier *v)
{
    pthread_mutex_lock(&v->mu);
    ratls_collateral_source *s = v->source;
    if (s)
        source_ref(s);
    pthread_mutex_unlock(&v->mu);
    return s;
}

int verifier_snp_anchor(ratls_verifier *v, uint8_t pin[32], int *has, uint64_t *gen)
{
    if (!v)
        return -1;
    pthread_mutex_lock(&v->mu);
    *has = v->has_snp_pin;
    if (v->has_snp_pin)
        memcpy(pin, v->snp_pin, 32);
    *gen = v->anchor_gen;
    pthread_mutex_unlock(&v->mu);
    return 0;
}

int verifier_snp_lookup(ratls_verifier *v, uint64_t gen, const uint8_t key[32], int64_t now, snp_cache_entry *out)
{
    int hit = 0;
    pthread_mutex_lock(&v->mu);
    for (size_t i = 0; gen == v->anchor_gen && i < SNP_CACHE_SIZE; i++) {
        snp_cache_entry *e = &v->snp[i];
        if (e->used && memcmp(e->key, key, 32) == 0 && now >= e->from && now <= e->to) {
            e->tick = ++v->tick;
            *out = *e;
            hit = 1;
            break;
        }
    }
    pthread_mutex_unlock(&v->mu);
    return hit;
}

void verifier_snp_store(ratls_verifier *v, uint64_t gen, const snp_cache_entry *in)
{
    pthread_mutex_lock(&v->mu);
    if (gen != v->anchor_gen) { /* verified under an anchor that is gone */
        pthread_mutex_unlock(&v->mu);
        return;
    }
    size_t victim = 0;
    for (size_t i = 0; i < SNP_CACHE_SIZE; i++) {
        if (v->snp[i].used && memcmp(v->snp[i].key, in->key, 32) == 0) {
            victim = i;
            break;
        }
        if (!v->snp[i].used || v->snp[i].tick < v->snp[victim].tick)
            victim = i;
        if (!v->snp[i].used)
            break;
    }
    v->snp[victim] = *in;
    v->snp[victim].used = 1;
    v->snp[victim].tick = ++v->tick;
    pthread_mutex_unlock(&v->mu);
}

ratls_status verifier_anchor(ratls_verifier *v, rcert **test_root, uint64_t *gen)
{
    ratls_status s = RATLS_OK;
    *test_root = NULL;
    pthread_mutex_lock(&v->mu);
    *gen = v->anchor_gen;
    if (v->test_root)
        s = rcert_parse(v->test_root->der, v->test_root->der_len, test_root, NULL, 0);
    pthread_mutex_unlock(&v->mu);
    return s;
}

int verifier_coll_lookup(ratls_verifier *v, uint64_t gen, const uint8_t digest[32], int64_t now, int64_t *from,
                         int64_t *to)
{
    int hit = 0;
    pthread_mutex_lock(&v->mu);
    if (gen != v->anchor_gen) {
        pthread_mutex_unlock(&v->mu);
        return 0;
    }
    for (size_t i = 0; i < COLL_CACHE_SIZE; i++) {
        coll_cache_entry *e = &v->coll[i];
        if (e->used && memcmp(e->digest, digest, 32) == 0 && now >= e->from && now <= e->to) {
            e->tick = ++v->tick;
            *from = e->from;
            *to = e->to;
            hit = 1;
            break;
        }
    }
    pthread_mutex_unlock(&v->mu);
    return hit;
}

void verifier_coll_store(ratls_verifier *v, uint64_t gen, const uint8_t digest[32], int64_t from, int64_t to)
{
    pthread_mutex_lock(&v->mu);
    if (gen != v->anchor_gen) { /* verified under an anchor that is gone */
        pthread_mutex_unlock(&v->mu);
        return;
    }
    size_t victim = 0;
    for (size_t i = 0; i < COLL_CACHE_SIZE; i++) {
        if (v->coll[i].used && memcmp(v->coll[i].digest, digest, 32) == 0) {
            victim = i;
            break;
        }
        if (!v->coll[i].used || v->coll[i].tick < v->coll[victim].tick)
            victim = i;
        if (!v->coll[i].used)
            break;
    }
    coll_cache_entry *e = &v->coll[victim];
    e->used = 1;
    memcpy(e->digest, digest, 32);
    e->from = from;
    e->to = to;
    e->tick = ++v->tick;
    pthread_mutex_unlock(&v->mu);
}

int verifier_pck_lookup(ratls_verifier *v, uint64_t gen, const uint8_t key[64], int64_t now, sgx_ext *ext,
                        int64_t *from, int64_t *to)
{
    int hit = 0;
    pthread_mutex_lock(&v->mu);
    if (gen != v->anchor_gen) {
        pthread_mutex_unlock(&v->mu);
        return 0;
    }
    for (size_t i = 0; i < PCK_CACHE_SIZE; i++) {
        pck_cache_entry *e = &v->pck[i];
        if (e->used && memcmp(e->key, key, 64) == 0 && now >= e->from && now <= e->to) {
            e->tick = ++v->tick;
            *ext = e->ext;
            *from = e->from;
            *to = e->to;
            hit = 1;
            break;
        }
    }
    pthread_mutex_unlock(&v->mu);
    return hit;
}

void verifier_pck_store(ratls_verifier *v, uint64_t gen, const uint8_t key[64], int64_t from, int64_t to,
                        const sgx_ext *ext)
{
    pthread_mutex_lock(&v->mu);
    if (gen != v->anchor_gen) {
        pthread_mutex_unlock(&v->mu);
        return;
    }
    size_t victim = 0;
    for (size_t i = 0; i < PCK_CACHE_SIZE; i++) {
        if (v->pck[i].used && memcmp(v->pck[i].key, key, 64) == 0) {
            victim = i;
            break;
        }
        if (!v->pck[i].used || v->pck[i].tick < v->pck[victim].tick)
            victim = i;
        if (!v->pck[i].used)
            break;
    }
    pck_cache_entry *e = &v->pck[victim];
    e->used = 1;
    memcpy(e->key, key, 64);
    e->from = from;
    e->to = to;
    e->ext = *ext;
    e->tick = ++v->tick;
    pthread_mutex_unlock(&v->mu);
}

ratls_status ratls_verify(ratls_verifier *v, const ratls_evidence *ev, const ratls_collateral *coll,
                          const ratls_policy *pol, int64_t now, ratls_result **result_out)
{
    if (result_out)
        *result_out = NULL;
    if (!v || !ev || !pol)
        return RATLS_ERR_INVALID_ARGUMENT;
    if (ev->tee != RATLS_TEE_TDX)
        return RATLS_ERR_INVALID_ARGUMENT;
    ratls_result *r = result_new(ev->tee);
    if (!r)
        return RATLS_ERR_NO_MEMORY;
    ratls_status s;
    char err[512];
    ratls_tdx_quote *q = NULL;
    err[0] = 0;
    s = ratls_tdx_quote_parse(ev->quote, ev->quote_len, &q, err, sizeof err);
    if (s) {
        result_fail(r, s, "tdx.quote.format", "%s", err[0] ? err : ratls_status_str(s));
        result_check_add(r, "tdx.quote", RATLS_CHECK_SKIP, "not evaluated: the quote did not parse");
    } else {
        r->has_report = 1;
        r->report = q->report;
        size_t trailing = q->raw_len - q->used_len;
        char extra[64] = "";
        if (trailing)
            snprintf(extra, sizeof extra, " (%zu trailing bytes ignored)", trailing);
        result_check_add(r, "tdx.quote.format", RATLS_CHECK_PASS, "TDX quote v%u, %s body, ECDSA-P256, %zu bytes%s",
                         q->version, q->body_type == 3 ? "TD 1.5" : "TD 1.0", q->raw_len, extra);
        if (coll) {
            s = tdx_verify(v, q, coll, pol, now, r);
        } else if (!v->source) {
            s = result_fail(r, RATLS_ERR_INVALID_ARGUMENT, "tdx.collateral.root_ca_crl",
                            "no collateral was given: DCAP verification needs Intel's TCB Info, QE Identity and CRLs");
            tdx_skip_rest(r, "not evaluated: no collateral");
        } else {
            ratls_collateral *fetched = NULL;
            if ((s = fetch_for(v, q, pol, now, &fetched, err, sizeof err))) {
                result_fail(r, s, "tdx.collateral.source", "%s", err);
                tdx_skip_rest(r, "not evaluated: no collateral");
            } else {
                result_check_add(r, "tdx.collateral.source", RATLS_CHECK_PASS,
                                 "collateral for FMSPC %s obtained from the collateral source", fetched->fmspc_hex);
                s = tdx_verify(v, q, fetched, pol, now, r);
            }
            ratls_collateral_free(fetched);
        }
        /* dstack checks: whenever there is something to check or expected; never
         * silently dropped because the evidence lacks the part they need */
        if (ev->log || ev->has_nonce || ev->has_cert || pol->has_bootchain || pol->has_os_image || pol->has_compose ||
            pol->has_key_provider || (pol->flags & RATLS_POLICY_REQUIRE_ALL_CHECKS)) {
            ratls_status d = dstack_appraise(ev, pol, &q->report, r);
            if (s == RATLS_OK)
                s = d;
        }
    }
    ratls_tdx_quote_free(q);
    if (r->oom && s == RATLS_OK)
        s = RATLS_ERR_NO_MEMORY;
    if (result_out)
        *result_out = r;
    else
        ratls_result_free(r);
    return s;
}
