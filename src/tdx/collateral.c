#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "base/json_span.h"
#include "base/json_util.h"
#include "tdx/collateral.h"
#include "tdx/pem_chain.h"

static const char *const k_status_names[TS_COUNT_] = {
    [TS_UP_TO_DATE] = "UpToDate",
    [TS_SW_HARDENING_NEEDED] = "SWHardeningNeeded",
    [TS_CONFIGURATION_NEEDED] = "ConfigurationNeeded",
    [TS_CONFIGURATION_AND_SW_HARDENING_NEEDED] = "ConfigurationAndSWHardeningNeeded",
    [TS_OUT_OF_DATE] = "OutOfDate",
    [TS_OUT_OF_DATE_CONFIGURATION_NEEDED] = "OutOfDateConfigurationNeeded",
    [TS_REVOKED] = "Revoked",
    [TS_TD_RELAUNCH_ADVISED] = "TDRelaunchAdvised",
    [TS_TD_RELAUNCH_ADVISED_CONFIGURATION_NEEDED] = "TDRelaunchAdvisedConfigurationNeeded",
};

const char *tcb_status_str(tcb_status s) { return (unsigned)s < TS_COUNT_ ? k_status_names[s] : "?"; }

int tcb_status_parse(const char *s, int final)
{
    int n = final ? TS_COUNT_ : TS_TD_RELAUNCH_ADVISED;
    for (int i = 0; i < n; i++)
        if (strcmp(s, k_status_names[i]) == 0)
            return i;
    return -1;
}

static void adv_free(adv_list *a)
{
    for (size_t i = 0; i < a->n; i++)
        free(a->ids[i]);
    free(a->ids);
    a->ids = NULL;
    a->n = 0;
}

static void tcb_info_free(tcb_info *ti)
{
    for (size_t i = 0; i < ti->nlevels; i++)
        adv_free(&ti->levels[i].adv);
    free(ti->levels);
    for (size_t m = 0; m < ti->nmods; m++) {
        for (size_t i = 0; i < ti->mods[m].nlevels; i++)
            adv_free(&ti->mods[m].levels[i].adv);
        free(ti->mods[m].levels);
    }
    free(ti->mods);
}

static void qe_identity_free(qe_identity *qi)
{
    for (size_t i = 0; i < qi->nlevels; i++)
        adv_free(&qi->levels[i].adv);
    free(qi->levels);
}

void collateral_ref(ratls_collateral *c) { atomic_fetch_add(&c->refs, 1); }

void ratls_collateral_free(ratls_collateral *c)
{
    if (!c || atomic_fetch_sub(&c->refs, 1) > 1)
        return;
    free(c->s_pck_crl_issuer_chain);
    free(c->s_root_ca_crl);
    free(c->s_pck_crl);
    free(c->s_tcb_info_issuer_chain);
    free(c->s_tcb_info);
    free(c->s_tcb_info_signature);
    free(c->s_qe_identity_issuer_chain);
    free(c->s_qe_identity);
    free(c->s_qe_identity_signature);
    free(c->s_pck_certificate_chain);
    rchain_free(&c->pck_crl_chain);
    rchain_free(&c->tcb_chain);
    rchain_free(&c->qe_chain);
    rcrl_free(c->root_crl);
    rcrl_free(c->pck_crl);
    tcb_info_free(&c->ti);
    qe_identity_free(&c->qi);
    free(c);
}

/* advisoryIDs: optional array of short strings */
static int parse_adv(const json_t *lvl, adv_list *out)
{
    json_t *a = json_object_get(lvl, "advisoryIDs");
    if (!a)
        return 0;
    if (!json_is_array(a) || json_array_size(a) > TCB_MAX_ADVISORIES)
        return -1;
    size_t n = json_array_size(a);
    if (n == 0)
        return 0;
    out->ids = calloc(n, sizeof *out->ids);
    if (!out->ids)
        return -1;
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_array_get(a, i);
        if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > 64 ||
            strlen(json_string_value(v)) != json_string_length(v))
            return -1;
        out->ids[i] = strdup(json_string_value(v));
        if (!out->ids[i])
            return -1;
        out->n++;
    }
    return 0;
}

static int parse_status(const json_t *lvl, int module_only, tcb_status *out, int *unknown)
{
    json_t *v = json_object_get(lvl, "tcbStatus");
    if (!v || !json_is_string(v))
        return -1;
    int st = tcb_status_parse(json_string_value(v), 0);
    if (st < 0 || (module_only && st != TS_UP_TO_DATE && st != TS_OUT_OF_DATE && st != TS_REVOKED)) {
        *unknown = 1;
        return -1;
    }
    *out = (tcb_status)st;
    return 0;
}

/* {tcb:{isvsvn}, tcbDate, tcbStatus, advisoryIDs?} */
static int parse_isv_levels(const json_t *arr, int module_only, isv_level **out, size_t *nout, int *unknown)
{
    if (!json_is_array(arr) || json_array_size(arr) == 0 || json_array_size(arr) > TCB_MAX_LEVELS)
        return -1;
    size_t n = json_array_size(arr);
    isv_level *lv = calloc(n, sizeof *lv);
    if (!lv)
        return -1;
    *out = lv;
    *nout = n;
    for (size_t i = 0; i < n; i++) {
        json_t *l = json_array_get(arr, i);
        json_t *tcb = json_object_get(l, "tcb");
        int64_t svn;
        if (!json_is_object(l) || !json_is_object(tcb) || jget_int(tcb, "isvsvn", 0, 65535, &svn) ||
            jget_time(l, "tcbDate", &lv[i].date) || parse_status(l, module_only, &lv[i].status, unknown) ||
            parse_adv(l, &lv[i].adv))
            return -1;
        lv[i].isvsvn = (uint16_t)svn;
    }
    return 0;
}

static int parse_components(const json_t *tcb, const char *key, uint8_t out[16])
{
    json_t *a = json_object_get(tcb, key);
    if (!json_is_array(a) || json_array_size(a) != 16)
        return -1;
    for (size_t i = 0; i < 16; i++) {
        int64_t svn;
        json_t *c = json_array_get(a, i);
        if (!json_is_object(c) || jget_int(c, "svn", 0, 255, &svn))
            return -1;
        out[i] = (uint8_t)svn;
    }
    return 0;
}

/* Intel's order: descending by the 16 SGX SVNs, then PCESVN, then the 16 TDX SVNs. */
static int level_cmp_desc(const void *a, const void *b)
{
    const tcb_level *x = a, *y = b;
    int c = memcmp(y->sgx, x->sgx, 16);
    if (c)
        return c;
    if (x->pcesvn != y->pcesvn)
        return x->pcesvn < y->pcesvn ? 1 : -1;
    return memcmp(y->tdx, x->tdx, 16);
}

static int isv_cmp_desc(const void *a, const void *b)
{
    const isv_level *x = a, *y = b;
    return (int)y->isvsvn - (int)x->isvsvn;
}

static ratls_status parse_tcb_info(const char *text, size_t len, tcb_info *ti, char *err, size_t errlen)
{
    json_error_t je;
    ratls_status s = RATLS_ERR_TCB_INFO_FORMAT;
    int unknown = 0;
    json_t *o = json_loadb(text, len, RATLS_JSON_FLAGS, &je);
    if (!o || !json_is_object(o)) {
        json_decref(o);
        return set_err(err, errlen, s, "TCB Info is not a JSON object (%s)", o ? "wrong type" : je.text);
    }
    const char *id;
    int64_t v, tcb_type;
    if (jget_str(o, "id", &id, NULL) || strcmp(id, "TDX") != 0) {
        set_err(err, errlen, s, "TCB Info id is not \"TDX\" (an SGX TCB Info cannot verify a TDX quote)");
        goto out;
    }
    if (jget_int(o, "version", 0, 100, &v) || (v != 2 && v != 3)) {
        set_err(err, errlen, s, "TCB Info version is not 2 or 3");
        goto out;
    }
    ti->version = (int)v;
    if (jget_time(o, "issueDate", &ti->issue_date) || jget_time(o, "nextUpdate", &ti->next_update)) {
        set_err(err, errlen, s, "TCB Info issueDate/nextUpdate missing or not ISO 8601 UTC");
        goto out;
    }
    if (jget_hex(o, "fmspc", ti->fmspc, 6) || jget_hex(o, "pceId", ti->pceid, 2)) {
        set_err(err, errlen, s, "TCB Info fmspc/pceId missing or malformed");
        goto out;
    }
    if (jget_int(o, "tcbType", 0, 0, &tcb_type)) {
        set_err(err, errlen, s, "TCB Info tcbType is not 0");
        goto out;
    }
    if (jget_int(o, "tcbEvaluationDataNumber", 0, INT32_MAX, &ti->eval_num)) {
        set_err(err, errlen, s, "TCB Info tcbEvaluationDataNumber missing");
        goto out;
    }
    json_t *mod = json_object_get(o, "tdxModule");
    if (!json_is_object(mod) || jget_hex(mod, "mrsigner", ti->mod_mrsigner, 48) ||
        jget_hex(mod, "attributes", ti->mod_attributes, 8) ||
        jget_hex(mod, "attributesMask", ti->mod_attributes_mask, 8)) {
        set_err(err, errlen, s, "TCB Info tdxModule missing or malformed");
        goto out;
    }
    json_t *mids = json_object_get(o, "tdxModuleIdentities");
    if (mids) {
        if (!json_is_array(mids) || json_array_size(mids) > TCB_MAX_MODULES) {
            set_err(err, errlen, s, "TCB Info tdxModuleIdentities is not a (bounded) array");
            goto out;
        }
        ti->has_mod_ids = 1;
        size_t n = json_array_size(mids);
        ti->mods = calloc(n ? n : 1, sizeof *ti->mods);
        if (!ti->mods) {
            s = set_err(err, errlen, RATLS_ERR_NO_MEMORY, "out of memory");
            goto out;
        }
        for (size_t i = 0; i < n; i++) {
            json_t *m = json_array_get(mids, i);
            module_identity *mi = &ti->mods[i];
            ti->nmods++;
            const char *mid;
            size_t midlen;
            if (!json_is_object(m) || jget_str(m, "id", &mid, &midlen) || midlen == 0 || midlen >= sizeof mi->id ||
                jget_hex(m, "mrsigner", mi->mrsigner, 48) || jget_hex(m, "attributes", mi->attributes, 8) ||
                jget_hex(m, "attributesMask", mi->attributes_mask, 8) ||
                parse_isv_levels(json_object_get(m, "tcbLevels"), 1, &mi->levels, &mi->nlevels, &unknown)) {
                if (unknown)
                    s = set_err(err, errlen, RATLS_ERR_UNKNOWN_TCB_STATUS,
                                "TCB Info module identity %zu has an unrecognized tcbStatus", i);
                else
                    set_err(err, errlen, s, "TCB Info module identity %zu is malformed", i);
                goto out;
            }
            memcpy(mi->id, mid, midlen + 1);
            qsort(mi->levels, mi->nlevels, sizeof *mi->levels, isv_cmp_desc);
        }
    }
    json_t *lv = json_object_get(o, "tcbLevels");
    if (!json_is_array(lv) || json_array_size(lv) == 0 || json_array_size(lv) > TCB_MAX_LEVELS) {
        set_err(err, errlen, s, "TCB Info tcbLevels missing, empty or too long");
        goto out;
    }
    size_t n = json_array_size(lv);
    ti->levels = calloc(n, sizeof *ti->levels);
    if (!ti->levels) {
        s = set_err(err, errlen, RATLS_ERR_NO_MEMORY, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *l = json_array_get(lv, i);
        tcb_level *t = &ti->levels[i];
        ti->nlevels++;
        json_t *tcb = json_object_get(l, "tcb");
        int64_t pcesvn;
        if (!json_is_object(l) || !json_is_object(tcb) || parse_components(tcb, "sgxtcbcomponents", t->sgx) ||
            jget_int(tcb, "pcesvn", 0, 65535, &pcesvn) || parse_components(tcb, "tdxtcbcomponents", t->tdx) ||
            jget_time(l, "tcbDate", &t->date) || parse_status(l, 0, &t->status, &unknown) || parse_adv(l, &t->adv)) {
            if (unknown)
                s = set_err(err, errlen, RATLS_ERR_UNKNOWN_TCB_STATUS,
                            "TCB Info level %zu has an unrecognized tcbStatus", i);
            else
                set_err(err, errlen, s, "TCB Info level %zu is malformed", i);
            goto out;
        }
        t->pcesvn = (uint16_t)pcesvn;
    }
    qsort(ti->levels, ti->nlevels, sizeof *ti->levels, level_cmp_desc);
    for (size_t i = 1; i < ti->nlevels; i++) {
        if (level_cmp_desc(&ti->levels[i - 1], &ti->levels[i]) == 0) {
            set_err(err, errlen, s, "TCB Info has two levels with identical SVNs");
            goto out;
        }
    }
    s = RATLS_OK;
out:
    json_decref(o);
    return s;
}

static ratls_status parse_qe_identity(const char *text, size_t len, qe_identity *qi, char *err, size_t errlen)
{
    json_error_t je;
    ratls_status s = RATLS_ERR_QE_IDENTITY_FORMAT;
    int unknown = 0;
    json_t *o = json_loadb(text, len, RATLS_JSON_FLAGS, &je);
    if (!o || !json_is_object(o)) {
        json_decref(o);
        return set_err(err, errlen, s, "QE Identity is not a JSON object (%s)", o ? "wrong type" : je.text);
    }
    const char *id;
    int64_t v;
    uint8_t b4[4];
    if (jget_str(o, "id", &id, NULL) || strcmp(id, "TD_QE") != 0) {
        set_err(err, errlen, s, "QE Identity id is not \"TD_QE\"");
        goto out;
    }
    if (jget_int(o, "version", 0, 100, &v) || v != 2) {
        set_err(err, errlen, s, "QE Identity version is not 2");
        goto out;
    }
    qi->version = (int)v;
    if (jget_time(o, "issueDate", &qi->issue_date) || jget_time(o, "nextUpdate", &qi->next_update) ||
        jget_int(o, "tcbEvaluationDataNumber", 0, INT32_MAX, &qi->eval_num)) {
        set_err(err, errlen, s, "QE Identity dates or tcbEvaluationDataNumber missing");
        goto out;
    }
    /* miscselect is written big-endian in the JSON (as Intel prints it) */
    if (jget_hex(o, "miscselect", b4, 4)) {
        set_err(err, errlen, s, "QE Identity miscselect malformed");
        goto out;
    }
    qi->miscselect = ((uint32_t)b4[0] << 24) | ((uint32_t)b4[1] << 16) | ((uint32_t)b4[2] << 8) | b4[3];
    if (jget_hex(o, "miscselectMask", b4, 4)) {
        set_err(err, errlen, s, "QE Identity miscselectMask malformed");
        goto out;
    }
    qi->miscselect_mask = ((uint32_t)b4[0] << 24) | ((uint32_t)b4[1] << 16) | ((uint32_t)b4[2] << 8) | b4[3];
    if (jget_hex(o, "attributes", qi->attributes, 16) || jget_hex(o, "attributesMask", qi->attributes_mask, 16) ||
        jget_hex(o, "mrsigner", qi->mrsigner, 32) || jget_int(o, "isvprodid", 0, 65535, &v)) {
        set_err(err, errlen, s, "QE Identity attributes/mrsigner/isvprodid malformed");
        goto out;
    }
    qi->isvprodid = (uint16_t)v;
    if (parse_isv_levels(json_object_get(o, "tcbLevels"), 0, &qi->levels, &qi->nlevels, &unknown)) {
        if (unknown)
            s = set_err(err, errlen, RATLS_ERR_UNKNOWN_TCB_STATUS, "QE Identity has an unrecognized tcbStatus");
        else
            set_err(err, errlen, s, "QE Identity tcbLevels malformed");
        goto out;
    }
    /* Valid QE statuses are a subset of the TCB ones. */
    for (size_t i = 0; i < qi->nlevels; i++) {
        tcb_status t = qi->levels[i].status;
        if (t == TS_SW_HARDENING_NEEDED || t == TS_CONFIGURATION_AND_SW_HARDENING_NEEDED) {
            s = set_err(err, errlen, RATLS_ERR_UNKNOWN_TCB_STATUS,
                        "QE Identity level %zu has status %s, not valid for an enclave identity", i, tcb_status_str(t));
            goto out;
        }
    }
    s = RATLS_OK;
out:
    json_decref(o);
    return s;
}

static ratls_status parse_crl_hex(const char *hex, size_t len, rcrl **out, const char *what, char *err, size_t errlen)
{
    uint8_t *der;
    size_t dl;
    char sub[256];
    if (hex_decode_alloc(hex, len, 512u * 1024u, &der, &dl))
        return set_err(err, errlen, RATLS_ERR_CRL_FORMAT, "%s is not hex-encoded DER", what);
    ratls_status s = rcrl_parse(der, dl, out, sub, sizeof sub);
    free(der);
    if (s && s != RATLS_ERR_NO_MEMORY)
        return set_err(err, errlen, s, "%s: %s", what, sub);
    return s;
}

static ratls_status take_str(json_t *o, const char *key, char **dst, size_t *len, int optional, char *err,
                             size_t errlen)
{
    const char *v;
    size_t n;
    json_t *j = json_object_get(o, key);
    if (!j && optional)
        return RATLS_OK;
    if (jget_str(o, key, &v, &n) != RATLS_OK)
        return set_err(err, errlen, RATLS_ERR_COLLATERAL_FORMAT, "collateral field \"%s\" is missing or not a string",
                       key);
    *dst = malloc(n + 1);
    if (!*dst)
        return RATLS_ERR_NO_MEMORY;
    memcpy(*dst, v, n + 1);
    if (len)
        *len = n;
    return RATLS_OK;
}

static void digest_field(EVP_MD_CTX *md, const char *s)
{
    uint8_t lenb[8] = {0};
    size_t n = s ? strlen(s) : 0;
    for (int i = 0; i < 8; i++)
        lenb[i] = (uint8_t)((uint64_t)n >> (8 * i));
    EVP_DigestUpdate(md, lenb, 8);
    if (n)
        EVP_DigestUpdate(md, s, n);
}

static ratls_status sig_hex(const char *s, uint8_t out[64], const char *what, char *err, size_t errlen)
{
    if (hex_decode_exact(s, strlen(s), out, 64))
        return set_err(err, errlen, RATLS_ERR_COLLATERAL_FORMAT, "%s is not 64 bytes of hex (raw r||s)", what);
    return RATLS_OK;
}

/* Parse the texts in c->s_* into structures and compute the cache digest. */
static ratls_status collateral_finish(ratls_collateral *c, char *err, size_t errlen)
{
    ratls_status s;
    char sub[512];
    if ((s = pem_chain_parse((const uint8_t *)c->s_pck_crl_issuer_chain, strlen(c->s_pck_crl_issuer_chain), 4,
                             &c->pck_crl_chain, sub, sizeof sub)) != RATLS_OK)
        return set_err(err, errlen, s, "pck_crl_issuer_chain: %s", sub);
    if ((s = pem_chain_parse((const uint8_t *)c->s_tcb_info_issuer_chain, strlen(c->s_tcb_info_issuer_chain), 4,
                             &c->tcb_chain, sub, sizeof sub)) != RATLS_OK)
        return set_err(err, errlen, s, "tcb_info_issuer_chain: %s", sub);
    if ((s = pem_chain_parse((const uint8_t *)c->s_qe_identity_issuer_chain, strlen(c->s_qe_identity_issuer_chain), 4,
                             &c->qe_chain, sub, sizeof sub)) != RATLS_OK)
        return set_err(err, errlen, s, "qe_identity_issuer_chain: %s", sub);
    if ((s = parse_crl_hex(c->s_root_ca_crl, strlen(c->s_root_ca_crl), &c->root_crl, "root_ca_crl", err, errlen)) ||
        (s = parse_crl_hex(c->s_pck_crl, strlen(c->s_pck_crl), &c->pck_crl, "pck_crl", err, errlen)) ||
        (s = sig_hex(c->s_tcb_info_signature, c->tcb_sig, "tcb_info_signature", err, errlen)) ||
        (s = sig_hex(c->s_qe_identity_signature, c->qe_sig, "qe_identity_signature", err, errlen)) ||
        (s = parse_tcb_info(c->s_tcb_info, strlen(c->s_tcb_info), &c->ti, err, errlen)) ||
        (s = parse_qe_identity(c->s_qe_identity, strlen(c->s_qe_identity), &c->qi, err, errlen)))
        return s;
    hex_encode_upper(c->ti.fmspc, 6, c->fmspc_hex);

    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(md);
        return RATLS_ERR_INTERNAL;
    }
    digest_field(md, c->s_pck_crl_issuer_chain);
    digest_field(md, c->s_root_ca_crl);
    digest_field(md, c->s_pck_crl);
    digest_field(md, c->s_tcb_info_issuer_chain);
    digest_field(md, c->s_tcb_info);
    digest_field(md, c->s_tcb_info_signature);
    digest_field(md, c->s_qe_identity_issuer_chain);
    digest_field(md, c->s_qe_identity);
    digest_field(md, c->s_qe_identity_signature);
    unsigned dl = 0;
    int ok = EVP_DigestFinal_ex(md, c->digest, &dl);
    EVP_MD_CTX_free(md);
    return ok == 1 ? RATLS_OK : RATLS_ERR_INTERNAL;
}

ratls_status ratls_collateral_from_json(const uint8_t *buf, size_t len, ratls_collateral **out, char *err,
                                        size_t errlen)
{
    if (!out || !buf)
        return RATLS_ERR_INVALID_ARGUMENT;
    *out = NULL;
    if (len > COLLATERAL_MAX_JSON)
        return set_err(err, errlen, RATLS_ERR_TOO_LARGE, "collateral JSON of %zu bytes exceeds the limit", len);
    json_error_t je;
    json_t *o = json_loadb((const char *)buf, len, RATLS_JSON_FLAGS, &je);
    if (!o || !json_is_object(o)) {
        json_decref(o);
        return set_err(err, errlen, RATLS_ERR_COLLATERAL_FORMAT, "collateral is not a JSON object (%s at line %d)",
                       o ? "wrong type" : je.text, je.line);
    }
    ratls_collateral *c = calloc(1, sizeof *c);
    ratls_status s = RATLS_ERR_NO_MEMORY;
    if (!c)
        goto fail;
    atomic_init(&c->refs, 1);
    if ((s = take_str(o, "pck_crl_issuer_chain", &c->s_pck_crl_issuer_chain, NULL, 0, err, errlen)) ||
        (s = take_str(o, "root_ca_crl", &c->s_root_ca_crl, NULL, 0, err, errlen)) ||
        (s = take_str(o, "pck_crl", &c->s_pck_crl, NULL, 0, err, errlen)) ||
        (s = take_str(o, "tcb_info_issuer_chain", &c->s_tcb_info_issuer_chain, NULL, 0, err, errlen)) ||
        (s = take_str(o, "tcb_info", &c->s_tcb_info, NULL, 0, err, errlen)) ||
        (s = take_str(o, "tcb_info_signature", &c->s_tcb_info_signature, NULL, 0, err, errlen)) ||
        (s = take_str(o, "qe_identity_issuer_chain", &c->s_qe_identity_issuer_chain, NULL, 0, err, errlen)) ||
        (s = take_str(o, "qe_identity", &c->s_qe_identity, NULL, 0, err, errlen)) ||
        (s = take_str(o, "qe_identity_signature", &c->s_qe_identity_signature, NULL, 0, err, errlen)) ||
        (s = take_str(o, "pck_certificate_chain", &c->s_pck_certificate_chain, NULL, 1, err, errlen)) ||
        (s = collateral_finish(c, err, errlen)))
        goto fail;
    json_decref(o);
    *out = c;
    return RATLS_OK;
fail:
    json_decref(o);
    ratls_collateral_free(c);
    return s;
}

static char *dup_n(const char *p, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, p, n);
        d[n] = 0;
    }
    return d;
}

static char *hex_dup(const uint8_t *b, size_t n)
{
    char *d = malloc(2 * n + 1);
    if (d)
        hex_encode(b, n, d);
    return d;
}

/* {"tcbInfo": {...}, "signature": "hex"}: the signed value's exact text and
 * the signature string. */
static ratls_status split_signed_body(const char *body, size_t len, const char *key, char **text, char **sig,
                                      const char *what, char *err, size_t errlen)
{
    const char *v, *sv;
    size_t vl, svl;
    if (len > COLLATERAL_MAX_JSON || memchr(body, 0, len))
        return set_err(err, errlen, RATLS_ERR_COLLATERAL_FORMAT, "%s response is too large or holds NUL bytes", what);
    if (json_member_span(body, len, key, &v, &vl) || v[0] != '{')
        return set_err(err, errlen, RATLS_ERR_COLLATERAL_FORMAT, "%s response has no single \"%s\" object", what, key);
    if (json_member_span(body, len, "signature", &sv, &svl) || svl < 2 || sv[0] != '"' || sv[svl - 1] != '"')
        return set_err(err, errlen, RATLS_ERR_COLLATERAL_FORMAT, "%s response has no single \"signature\" string",
                       what);
    *text = dup_n(v, vl);
    *sig = dup_n(sv + 1, svl - 2);
    return *text && *sig ? RATLS_OK : RATLS_ERR_NO_MEMORY;
}

ratls_status ratls_collateral_from_pcs(const ratls_collateral_parts *p, ratls_collateral **out, char *err,
                                       size_t errlen)
{
    if (!p || !out || !p->pck_crl_issuer_chain || !p->root_ca_crl || !p->pck_crl || !p->tcb_info_issuer_chain ||
        !p->tcb_info_body || !p->qe_identity_issuer_chain || !p->qe_identity_body)
        return RATLS_ERR_INVALID_ARGUMENT;
    *out = NULL;
    ratls_collateral *c = calloc(1, sizeof *c);
    if (!c)
        return RATLS_ERR_NO_MEMORY;
    atomic_init(&c->refs, 1);
    ratls_status s = RATLS_ERR_NO_MEMORY;
    c->s_pck_crl_issuer_chain = strdup(p->pck_crl_issuer_chain);
    c->s_tcb_info_issuer_chain = strdup(p->tcb_info_issuer_chain);
    c->s_qe_identity_issuer_chain = strdup(p->qe_identity_issuer_chain);
    c->s_root_ca_crl = hex_dup(p->root_ca_crl, p->root_ca_crl_len);
    c->s_pck_crl = hex_dup(p->pck_crl, p->pck_crl_len);
    if (!c->s_pck_crl_issuer_chain || !c->s_tcb_info_issuer_chain || !c->s_qe_identity_issuer_chain ||
        !c->s_root_ca_crl || !c->s_pck_crl)
        goto fail;
    if ((s = split_signed_body(p->tcb_info_body, p->tcb_info_body_len, "tcbInfo", &c->s_tcb_info,
                               &c->s_tcb_info_signature, "TCB Info", err, errlen)) ||
        (s = split_signed_body(p->qe_identity_body, p->qe_identity_body_len, "enclaveIdentity", &c->s_qe_identity,
                               &c->s_qe_identity_signature, "QE Identity", err, errlen)) ||
        (s = collateral_finish(c, err, errlen)))
        goto fail;
    *out = c;
    return RATLS_OK;
fail:
    ratls_collateral_free(c);
    return s;
}

ratls_status ratls_collateral_to_json(const ratls_collateral *c, char **json_out)
{
    if (!c || !json_out)
        return RATLS_ERR_INVALID_ARGUMENT;
    json_t *o =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "pck_crl_issuer_chain", c->s_pck_crl_issuer_chain,
                  "root_ca_crl", c->s_root_ca_crl, "pck_crl", c->s_pck_crl, "tcb_info_issuer_chain",
                  c->s_tcb_info_issuer_chain, "tcb_info", c->s_tcb_info, "tcb_info_signature", c->s_tcb_info_signature,
                  "qe_identity_issuer_chain", c->s_qe_identity_issuer_chain, "qe_identity", c->s_qe_identity,
                  "qe_identity_signature", c->s_qe_identity_signature);
    if (!o)
        return RATLS_ERR_NO_MEMORY;
    if (c->s_pck_certificate_chain)
        json_object_set_new(o, "pck_certificate_chain", json_string(c->s_pck_certificate_chain));
    *json_out = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(o);
    return *json_out ? RATLS_OK : RATLS_ERR_NO_MEMORY;
}

const char *ratls_collateral_fmspc(const ratls_collateral *c) { return c ? c->fmspc_hex : NULL; }

void signed_item_clear(signed_item *it)
{
    free(it->text);
    memset(it, 0, sizeof *it);
}

ratls_status collateral_parse_signed_item(int is_tcb, const char *body, size_t len, signed_item *out, char *err,
                                          size_t errlen)
{
    const char *what = is_tcb ? "TCB Info" : "QE Identity";
    char *sig = NULL;
    memset(out, 0, sizeof *out);
    ratls_status s =
        split_signed_body(body, len, is_tcb ? "tcbInfo" : "enclaveIdentity", &out->text, &sig, what, err, errlen);
    if (!s && sig)
        s = sig_hex(sig, out->sig, is_tcb ? "TCB Info signature" : "QE Identity signature", err, errlen);
    free(sig);
    if (!s && is_tcb) {
        tcb_info ti;
        memset(&ti, 0, sizeof ti);
        if (!(s = parse_tcb_info(out->text, strlen(out->text), &ti, err, errlen))) {
            out->issue = ti.issue_date;
            out->next = ti.next_update;
            out->eval = ti.eval_num;
            memcpy(out->fmspc, ti.fmspc, 6);
        }
        tcb_info_free(&ti);
    } else if (!s) {
        qe_identity qi;
        memset(&qi, 0, sizeof qi);
        if (!(s = parse_qe_identity(out->text, strlen(out->text), &qi, err, errlen))) {
            out->issue = qi.issue_date;
            out->next = qi.next_update;
            out->eval = qi.eval_num;
        }
        qe_identity_free(&qi);
    }
    if (s)
        signed_item_clear(out);
    return s;
}

static int is_space(uint8_t c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

/* 1 if `b` is exactly one DER SEQUENCE (tag, definite length, contents). */
static int der_whole_sequence(const uint8_t *b, size_t len)
{
    if (len < 2 || b[0] != 0x30)
        return 0;
    size_t n, hdr;
    if (b[1] < 0x80) {
        n = b[1];
        hdr = 2;
    } else {
        size_t k = b[1] & 0x7fu;
        if (k == 0 || k > 4 || len < 2 + k)
            return 0;
        n = 0;
        for (size_t i = 0; i < k; i++)
            n = (n << 8) | b[2 + i];
        hdr = 2 + k;
    }
    return hdr + n == len;
}

/* A CRL as a service returns it: DER (Intel PCS with encoding=der), hex of
 * the DER (a PCCS), or one PEM "X509 CRL" block (PCS without encoding). */
ratls_status collateral_crl_to_der(const uint8_t *body, size_t len, uint8_t **der, size_t *der_len, const char *what,
                                   char *err, size_t errlen)
{
    static const char begin[] = "-----BEGIN X509 CRL-----", end[] = "-----END X509 CRL-----";
    *der = NULL;
    *der_len = 0;
    if (len > COLLATERAL_MAX_CRL)
        return set_err(err, errlen, RATLS_ERR_TOO_LARGE, "%s of %zu bytes exceeds the limit", what, len);
    if (der_whole_sequence(body, len)) { /* DER: one SEQUENCE spanning the body */
        if (!(*der = malloc(len)))
            return RATLS_ERR_NO_MEMORY;
        memcpy(*der, body, len);
        *der_len = len;
        return RATLS_OK;
    }
    size_t a = 0, b = len;
    while (a < b && is_space(body[a]))
        a++;
    while (b > a && is_space(body[b - 1]))
        b--;
    if (b - a > sizeof begin + sizeof end && memcmp(body + a, begin, sizeof begin - 1) == 0 &&
        memcmp(body + b - (sizeof end - 1), end, sizeof end - 1) == 0) {
        /* base64 lines between the markers, whitespace dropped */
        size_t from = a + sizeof begin - 1, to = b - (sizeof end - 1), n = 0;
        char *t = malloc(to - from + 1);
        if (!t)
            return RATLS_ERR_NO_MEMORY;
        for (size_t i = from; i < to; i++)
            if (!is_space(body[i]))
                t[n++] = (char)body[i];
        uint8_t *d = malloc(n / 4 * 3 + 3);
        size_t dl = 0;
        int bad = !d || n % 4 != 0 || b64_decode(t, n, d, &dl) != 0 || dl == 0;
        free(t);
        if (bad) {
            free(d);
            return set_err(err, errlen, RATLS_ERR_CRL_FORMAT, "%s: the PEM block is not valid base64", what);
        }
        *der = d;
        *der_len = dl;
        return RATLS_OK;
    }
    if (b > a && hex_decode_alloc((const char *)body + a, b - a, COLLATERAL_MAX_CRL, der, der_len) == 0 && *der_len > 0)
        return RATLS_OK;
    free(*der);
    *der = NULL;
    return set_err(err, errlen, RATLS_ERR_CRL_FORMAT, "%s is neither DER, hex-encoded DER nor a PEM X509 CRL", what);
}
