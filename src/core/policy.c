#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/json_util.h"
#include "core/core.h"

ratls_policy *ratls_policy_new(void)
{
    ratls_policy *p = calloc(1, sizeof *p);
    if (p)
        p->status_mask = 1u << TS_UP_TO_DATE;
    return p;
}

static void list_free(char **l, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(l[i]);
    free(l);
}

void ratls_policy_free(ratls_policy *p)
{
    if (!p)
        return;
    list_free(p->deny, p->ndeny);
    list_free(p->allow, p->nallow);
    free(p);
}

ratls_status ratls_policy_allow_tcb_status(ratls_policy *p, const char *status)
{
    if (!p || !status)
        return RATLS_ERR_INVALID_ARGUMENT;
    int s = tcb_status_parse(status, 1);
    if (s < 0)
        return RATLS_ERR_UNKNOWN_TCB_STATUS;
    p->status_mask |= 1u << s;
    return RATLS_OK;
}

ratls_status ratls_policy_set_tcb_statuses(ratls_policy *p, const char *csv)
{
    if (!p || !csv)
        return RATLS_ERR_INVALID_ARGUMENT;
    unsigned mask = 0;
    const char *s = csv;
    while (*s) {
        const char *e = strchr(s, ',');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        char tok[64];
        /* trim spaces */
        while (n && *s == ' ') {
            s++;
            n--;
        }
        while (n && s[n - 1] == ' ')
            n--;
        if (n == 0 || n >= sizeof tok)
            return RATLS_ERR_UNKNOWN_TCB_STATUS;
        memcpy(tok, s, n);
        tok[n] = '\0';
        int st = tcb_status_parse(tok, 1);
        if (st < 0)
            return RATLS_ERR_UNKNOWN_TCB_STATUS;
        mask |= 1u << st;
        if (!e)
            break;
        s = e + 1;
        if (!*s)
            return RATLS_ERR_UNKNOWN_TCB_STATUS; /* trailing comma */
    }
    if (!mask)
        return RATLS_ERR_UNKNOWN_TCB_STATUS;
    p->status_mask = mask;
    return RATLS_OK;
}

static ratls_status list_add(char ***l, size_t *n, const char *id)
{
    if (!id || !*id || strlen(id) > 64)
        return RATLS_ERR_INVALID_ARGUMENT;
    if (*n >= POLICY_MAX_ADV)
        return RATLS_ERR_TOO_LARGE;
    char **nl = realloc(*l, (*n + 1) * sizeof *nl);
    if (!nl)
        return RATLS_ERR_NO_MEMORY;
    *l = nl;
    nl[*n] = strdup(id);
    if (!nl[*n])
        return RATLS_ERR_NO_MEMORY;
    (*n)++;
    return RATLS_OK;
}

ratls_status ratls_policy_deny_advisory(ratls_policy *p, const char *id)
{
    return p ? list_add(&p->deny, &p->ndeny, id) : RATLS_ERR_INVALID_ARGUMENT;
}

ratls_status ratls_policy_allow_advisory(ratls_policy *p, const char *id)
{
    if (!p)
        return RATLS_ERR_INVALID_ARGUMENT;
    ratls_status s = list_add(&p->allow, &p->nallow, id);
    if (s == RATLS_OK) /* a rejected call leaves the policy as it was */
        p->restrict_adv = 1;
    return s;
}

void ratls_policy_restrict_advisories(ratls_policy *p)
{
    if (p)
        p->restrict_adv = 1;
}

void ratls_policy_set_flags(ratls_policy *p, unsigned flags)
{
    if (p)
        p->flags = flags;
}

unsigned ratls_policy_flags(const ratls_policy *p) { return p ? p->flags : 0; }

void ratls_policy_set_min_tcb_evaluation_number(ratls_policy *p, uint32_t n)
{
    if (p)
        p->min_eval_num = n;
}

void ratls_policy_set_attestation_ttl(ratls_policy *p, int64_t seconds)
{
    if (p)
        p->attest_ttl = seconds > 0 ? seconds : 0;
}

int64_t ratls_policy_attestation_ttl(const ratls_policy *p) { return p ? p->attest_ttl : 0; }

void ratls_policy_set_collateral_grace_insecure(ratls_policy *p, int64_t seconds)
{
    if (p)
        p->coll_grace = seconds > 0 ? seconds : 0;
}

int policy_status_accepted(const ratls_policy *p, tcb_status s) { return (p->status_mask >> s) & 1u; }

const char *policy_advisory_rejected(const ratls_policy *p, const char *id)
{
    for (size_t i = 0; i < p->ndeny; i++)
        if (strcmp(p->deny[i], id) == 0)
            return id;
    if (p->restrict_adv) {
        for (size_t i = 0; i < p->nallow; i++)
            if (strcmp(p->allow[i], id) == 0)
                return NULL;
        return id;
    }
    return NULL;
}

static int hex_arg(const char *hex, uint8_t *out, size_t n)
{
    return hex && hex_decode_exact(hex, strlen(hex), out, n) == 0 ? 0 : -1;
}

ratls_status ratls_policy_expect_bootchain(ratls_policy *p, const char *mrtd_hex, const char *rtmr0_hex,
                                           const char *rtmr1_hex, const char *rtmr2_hex)
{
    uint8_t m[48], r[3][48];
    if (!p || hex_arg(mrtd_hex, m, 48) || hex_arg(rtmr0_hex, r[0], 48) || hex_arg(rtmr1_hex, r[1], 48) ||
        hex_arg(rtmr2_hex, r[2], 48))
        return RATLS_ERR_INVALID_ARGUMENT;
    memcpy(p->mrtd, m, 48);
    memcpy(p->rtmr, r, sizeof r);
    p->has_bootchain = 1;
    return RATLS_OK;
}

/* An expected 32-byte hash: set only when the whole hex string is valid. */
static ratls_status expect_hash(const char *hex, uint8_t dst[32], int *has)
{
    uint8_t h[32];
    if (hex_arg(hex, h, 32))
        return RATLS_ERR_INVALID_ARGUMENT;
    memcpy(dst, h, 32);
    *has = 1;
    return RATLS_OK;
}

ratls_status ratls_policy_expect_os_image_hash(ratls_policy *p, const char *hex)
{
    return p ? expect_hash(hex, p->os_image, &p->has_os_image) : RATLS_ERR_INVALID_ARGUMENT;
}

ratls_status ratls_policy_expect_compose_hash(ratls_policy *p, const char *hex)
{
    return p ? expect_hash(hex, p->compose, &p->has_compose) : RATLS_ERR_INVALID_ARGUMENT;
}

ratls_status ratls_policy_expect_app_compose(ratls_policy *p, const uint8_t *json, size_t len, char *err, size_t errlen)
{
    uint8_t h[32];
    if (!p || !json)
        return RATLS_ERR_INVALID_ARGUMENT;
    ratls_status s = ratls_compose_hash(json, len, h, err, errlen);
    if (s)
        return s;
    memcpy(p->compose, h, 32);
    p->has_compose = 1;
    return RATLS_OK;
}

ratls_status ratls_policy_expect_key_provider(ratls_policy *p, const char *name, const char *id_hex)
{
    if (!p || !name || !id_hex || !*name || strlen(name) >= sizeof p->kp_name || strlen(id_hex) >= sizeof p->kp_id ||
        strlen(id_hex) % 2)
        return RATLS_ERR_INVALID_ARGUMENT;
    for (const char *c = id_hex; *c; c++)
        if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f') || (*c >= 'A' && *c <= 'F')))
            return RATLS_ERR_INVALID_ARGUMENT;
    snprintf(p->kp_name, sizeof p->kp_name, "%s", name);
    snprintf(p->kp_id, sizeof p->kp_id, "%s", id_hex);
    p->has_key_provider = 1;
    return RATLS_OK;
}

/* ---- the policy file, version 1 (docs/policy.md) ---- */

static int only_keys(const json_t *o, const char *const *keys, size_t n, const char **bad)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)o, k, v)
    {
        size_t i = 0;
        while (i < n && strcmp(k, keys[i]) != 0)
            i++;
        if (i == n) {
            *bad = k;
            return -1;
        }
    }
    return 0;
}

static int get_bool(const json_t *o, const char *k, int *out)
{
    json_t *v = json_object_get(o, k);
    if (!v)
        return 0;
    if (!json_is_boolean(v))
        return -1;
    *out = json_is_true(v);
    return 0;
}

static const char *opt_str(const json_t *o, const char *k, int *bad)
{
    json_t *v = json_object_get(o, k);
    if (!v || json_is_null(v))
        return NULL;
    if (!json_is_string(v)) {
        *bad = 1;
        return NULL;
    }
    return json_string_value(v);
}

#define PFAIL(st, ...)                                                                                                 \
    do {                                                                                                               \
        s = set_err(err, errlen, st, __VA_ARGS__);                                                                     \
        goto fail;                                                                                                     \
    } while (0)

ratls_status ratls_policy_from_json(const uint8_t *json, size_t len, ratls_policy **out, char *err, size_t errlen)
{
    if (!json || !out)
        return RATLS_ERR_INVALID_ARGUMENT;
    *out = NULL;
    if (len > 1024u * 1024u)
        return set_err(err, errlen, RATLS_ERR_TOO_LARGE, "policy file over 1 MiB");
    json_error_t je;
    json_t *o = json_loadb((const char *)json, len, RATLS_JSON_FLAGS, &je);
    ratls_policy *p = ratls_policy_new();
    ratls_status s = RATLS_ERR_INVALID_ARGUMENT;
    const char *bad = NULL;
    int badtype = 0;
    if (!p) {
        json_decref(o);
        return RATLS_ERR_NO_MEMORY;
    }
    if (!o || !json_is_object(o))
        PFAIL(RATLS_ERR_INVALID_ARGUMENT, "policy is not a JSON object (%s)", o ? "wrong type" : je.text);
    static const char *const top[] = {"version",
                                      "tcb",
                                      "bootchain",
                                      "os_image_hash",
                                      "app_compose",
                                      "app_compose_hash",
                                      "key_provider",
                                      "require_all_checks",
                                      "insecure",
                                      "app_compose_overrides",
                                      "attestation_ttl_seconds"};
    if (only_keys(o, top, sizeof top / sizeof top[0], &bad))
        PFAIL(RATLS_ERR_INVALID_ARGUMENT, "policy: unknown key \"%s\"", bad);
    json_t *ver = json_object_get(o, "version");
    if (ver && (!json_is_integer(ver) || json_integer_value(ver) != 1))
        PFAIL(RATLS_ERR_INVALID_ARGUMENT, "policy: version must be 1");

    json_t *tcb = json_object_get(o, "tcb");
    if (tcb) {
        static const char *const tk[] = {"allowed_statuses", "deny_advisories", "allow_advisories",
                                         "min_evaluation_number"};
        if (!json_is_object(tcb) || only_keys(tcb, tk, 4, &bad))
            PFAIL(RATLS_ERR_INVALID_ARGUMENT, "policy: tcb must be an object with %s", "known keys");
        json_t *st = json_object_get(tcb, "allowed_statuses");
        if (st) {
            if (!json_is_array(st) || json_array_size(st) == 0)
                PFAIL(RATLS_ERR_INVALID_ARGUMENT, "policy: tcb.allowed_statuses must be a non-empty array");
            p->status_mask = 0;
            size_t i;
            json_t *v;
            json_array_foreach(st, i, v)
            {
                if (!json_is_string(v) || ratls_policy_allow_tcb_status(p, json_string_value(v)) != RATLS_OK)
                    PFAIL(RATLS_ERR_UNKNOWN_TCB_STATUS, "policy: tcb.allowed_statuses[%zu] is not a TCB status", i);
            }
        }
        const char *lists[2] = {"deny_advisories", "allow_advisories"};
        for (int l = 0; l < 2; l++) {
            json_t *a = json_object_get(tcb, lists[l]);
            if (!a || json_is_null(a))
                continue;
            if (!json_is_array(a))
                PFAIL(RATLS_ERR_INVALID_ARGUMENT, "policy: tcb.%s must be an array", lists[l]);
            if (l == 1)
                ratls_policy_restrict_advisories(p);
            size_t i;
            json_t *v;
            json_array_foreach(a, i, v)
            {
                if (!json_is_string(v) || (l == 0 ? ratls_policy_deny_advisory(p, json_string_value(v))
                                                  : ratls_policy_allow_advisory(p, json_string_value(v))) != RATLS_OK)
                    PFAIL(RATLS_ERR_INVALID_ARGUMENT, "policy: tcb.%s[%zu] is not an advisory ID", lists[l], i);
            }
        }
        int64_t mn;
        if (json_object_get(tcb, "min_evaluation_number")) {
            if (jget_int(tcb, "min_evaluation_number", 0, UINT32_MAX, &mn))
                PFAIL(RATLS_ERR_INVALID_ARGUMENT, "policy: tcb.min_evaluation_number must be a non-negative integer");
            p->min_eval_num = (uint32_t)mn;
        }
    }
    json_t *bc = json_object_get(o, "bootchain");
    if (bc && !json_is_null(bc)) {
        static const char *const bk[] = {"mrtd", "rtmr0", "rtmr1", "rtmr2"};
        if (!json_is_object(bc) || only_keys(bc, bk, 4, &bad) ||
            ratls_policy_expect_bootchain(p, opt_str(bc, "mrtd", &badtype), opt_str(bc, "rtmr0", &badtype),
                                          opt_str(bc, "rtmr1", &badtype), opt_str(bc, "rtmr2", &badtype)) != RATLS_OK)
            PFAIL(RATLS_ERR_INVALID_ARGUMENT, "policy: bootchain needs mrtd and rtmr0-2, each 48 bytes of hex");
    }
    const char *osh = opt_str(o, "os_image_hash", &badtype);
    if (osh && ratls_policy_expect_os_image_hash(p, osh) != RATLS_OK)
        PFAIL(RATLS_ERR_INVALID_ARGUMENT, "policy: os_image_hash must be 32 bytes of hex");
    json_t *ac = json_object_get(o, "app_compose");
    const char *ach = opt_str(o, "app_compose_hash", &badtype);
    if (ac && !json_is_null(ac) && ach)
        PFAIL(RATLS_ERR_INVALID_ARGUMENT, "policy: give app_compose or app_compose_hash, not both");
    json_t *ov = json_object_get(o, "app_compose_overrides");
    if (ov && !json_is_null(ov)) {
        /* a base app compose (e.g. a deployment tool's default) with the two
         * fields deployments change replaced, as the seed's verifier does */
        static const char *const okeys[] = {"docker_compose_file", "allowed_envs"};
        if (!json_is_object(ov) || only_keys(ov, okeys, 2, &bad))
            PFAIL(RATLS_ERR_INVALID_ARGUMENT, "policy: app_compose_overrides may hold %s",
                  "docker_compose_file and allowed_envs");
        if (!ac || !json_is_object(ac))
            PFAIL(RATLS_ERR_INVALID_ARGUMENT, "policy: app_compose_overrides needs the base %s", "app_compose");
        json_t *dcf = json_object_get(ov, "docker_compose_file"), *envs = json_object_get(ov, "allowed_envs");
        if (dcf && !json_is_string(dcf))
            PFAIL(RATLS_ERR_INVALID_ARGUMENT, "policy: app_compose_overrides.%s must be a string",
                  "docker_compose_file");
        if (envs) {
            size_t i;
            json_t *e;
            int okarr = json_is_array(envs);
            json_array_foreach(envs, i, e) okarr = okarr && json_is_string(e);
            if (!okarr)
                PFAIL(RATLS_ERR_INVALID_ARGUMENT, "policy: app_compose_overrides.%s must be an array of strings",
                      "allowed_envs");
        }
        ac = json_deep_copy(ac);
        if (!ac)
            PFAIL(RATLS_ERR_NO_MEMORY, "policy: %s", "out of memory");
        if (dcf)
            json_object_set(ac, "docker_compose_file", dcf);
        if (envs)
            json_object_set(ac, "allowed_envs", envs);
        json_object_set_new(o, "app_compose", ac); /* o owns the merged copy */
    }
    if (ac && !json_is_null(ac)) {
        if (!json_is_object(ac))
            PFAIL(RATLS_ERR_INVALID_ARGUMENT, "policy: app_compose must be the app compose object");
        char *t = json_dumps(ac, JSON_COMPACT | JSON_PRESERVE_ORDER);
        char sub[256] = "";
        s = t ? ratls_policy_expect_app_compose(p, (const uint8_t *)t, strlen(t), sub, sizeof sub)
              : RATLS_ERR_NO_MEMORY;
        free(t);
        if (s)
            PFAIL(s, "policy: app_compose: %s", sub);
    }
    if (ach && ratls_policy_expect_compose_hash(p, ach) != RATLS_OK)
        PFAIL(RATLS_ERR_INVALID_ARGUMENT, "policy: app_compose_hash must be 32 bytes of hex");
    json_t *kp = json_object_get(o, "key_provider");
    if (kp && !json_is_null(kp)) {
        static const char *const kk[] = {"name", "id"};
        if (!json_is_object(kp) || only_keys(kp, kk, 2, &bad) ||
            ratls_policy_expect_key_provider(p, opt_str(kp, "name", &badtype), opt_str(kp, "id", &badtype)) != RATLS_OK)
            PFAIL(RATLS_ERR_INVALID_ARGUMENT, "policy: key_provider needs a name and a hex id");
    }
    if (json_object_get(o, "attestation_ttl_seconds")) {
        int64_t ttl;
        if (jget_int(o, "attestation_ttl_seconds", 1, INT32_MAX, &ttl))
            PFAIL(RATLS_ERR_INVALID_ARGUMENT, "policy: attestation_ttl_seconds must be a positive integer%s", "");
        ratls_policy_set_attestation_ttl(p, ttl);
    }
    int req = 0;
    if (get_bool(o, "require_all_checks", &req))
        PFAIL(RATLS_ERR_INVALID_ARGUMENT, "policy: require_all_checks must be true or false");
    unsigned flags = req ? RATLS_POLICY_REQUIRE_ALL_CHECKS : 0;
    json_t *ins = json_object_get(o, "insecure");
    if (ins) {
        static const char *const ik[] = {"allow_debug_td", "allow_sept_ve_disabled", "allow_mrservicetd",
                                         "skip_runtime_verification"};
        static const unsigned iflag[] = {RATLS_POLICY_ALLOW_DEBUG_TD_INSECURE,
                                         RATLS_POLICY_ALLOW_SEPT_VE_ENABLED_INSECURE, RATLS_POLICY_ALLOW_MRSERVICETD,
                                         RATLS_POLICY_SKIP_RUNTIME_VERIFICATION_INSECURE};
        static const char *const ik_all[] = {"allow_debug_td", "allow_sept_ve_disabled", "allow_mrservicetd",
                                             "skip_runtime_verification", "collateral_grace_seconds"};
        if (!json_is_object(ins) || only_keys(ins, ik_all, 5, &bad))
            PFAIL(RATLS_ERR_INVALID_ARGUMENT, "policy: insecure has an unknown key%s", "");
        int64_t grace;
        if (json_object_get(ins, "collateral_grace_seconds")) {
            if (jget_int(ins, "collateral_grace_seconds", 0, INT32_MAX, &grace))
                PFAIL(RATLS_ERR_INVALID_ARGUMENT,
                      "policy: insecure.collateral_grace_seconds must be a non-negative integer%s", "");
            ratls_policy_set_collateral_grace_insecure(p, grace);
        }
        for (int i = 0; i < 4; i++) {
            int b = 0;
            if (get_bool(ins, ik[i], &b))
                PFAIL(RATLS_ERR_INVALID_ARGUMENT, "policy: insecure.%s must be true or false", ik[i]);
            if (b)
                flags |= iflag[i];
        }
    }
    if (badtype)
        PFAIL(RATLS_ERR_INVALID_ARGUMENT, "policy: a hash or name is not a string");
    ratls_policy_set_flags(p, flags);
    json_decref(o);
    *out = p;
    return RATLS_OK;
fail:
    json_decref(o);
    ratls_policy_free(p);
    return s;
}
