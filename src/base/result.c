#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/json_util.h"
#include "base/result_int.h"

ratls_result *result_new(ratls_tee tee)
{
    ratls_result *r = calloc(1, sizeof *r);
    if (r) {
        r->tee = tee;
        r->eval_num = -1;
    }
    return r;
}

void ratls_result_free(ratls_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nchecks; i++) {
        free(r->checks[i].id);
        free(r->checks[i].detail);
    }
    free(r->checks);
    for (size_t i = 0; i < r->nadv; i++)
        free(r->advisories[i]);
    free(r->advisories);
    free(r->tcb_status);
    free(r->error);
    free(r);
}

static void check_vadd(ratls_result *r, const char *id, ratls_check_outcome o, const char *fmt, va_list ap)
    RATLS_PRINTF(4, 0);
static void check_vadd(ratls_result *r, const char *id, ratls_check_outcome o, const char *fmt, va_list ap)
{
    char detail[1024];
    vsnprintf(detail, sizeof detail, fmt, ap);
    /* details quote untrusted text (certificate names): keep them printable
     * ASCII so they are always valid JSON strings and safe on a terminal */
    for (char *d = detail; *d; d++)
        if ((unsigned char)*d < 0x20 || (unsigned char)*d > 0x7e)
            *d = '?';
    if (r->nchecks == r->capchecks) {
        size_t cap = r->capchecks ? r->capchecks * 2 : 24;
        result_check *c = realloc(r->checks, cap * sizeof *c);
        if (!c) {
            r->oom = 1;
            return;
        }
        r->checks = c;
        r->capchecks = cap;
    }
    result_check *c = &r->checks[r->nchecks];
    c->id = strdup(id);
    c->detail = strdup(detail);
    c->outcome = o;
    if (!c->id || !c->detail) {
        free(c->id);
        free(c->detail);
        r->oom = 1;
        return;
    }
    r->nchecks++;
}

void result_check_add(ratls_result *r, const char *id, ratls_check_outcome o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    check_vadd(r, id, o, fmt, ap);
    va_end(ap);
}

void result_check_prepend(ratls_result *r, const char *id, ratls_check_outcome o, const char *fmt, ...)
{
    va_list ap;
    size_t before = r->nchecks;
    va_start(ap, fmt);
    check_vadd(r, id, o, fmt, ap);
    va_end(ap);
    if (r->nchecks == before + 1 && before > 0) { /* rotate the new entry to the front */
        result_check c = r->checks[before];
        memmove(r->checks + 1, r->checks, before * sizeof *r->checks);
        r->checks[0] = c;
    }
}

ratls_status result_fail(ratls_result *r, ratls_status s, const char *id, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    check_vadd(r, id, RATLS_CHECK_FAIL, fmt, ap);
    va_end(ap);
    if (r->status == RATLS_OK) {
        r->status = s;
        const char *d = r->nchecks ? r->checks[r->nchecks - 1].detail : ratls_status_str(s);
        size_t n = strlen(id) + strlen(d) + 3;
        r->error = malloc(n);
        if (r->error)
            snprintf(r->error, n, "%s: %s", id, d);
        else
            r->oom = 1;
    }
    return s;
}

void result_set_tcb_status(ratls_result *r, const char *status)
{
    free(r->tcb_status);
    r->tcb_status = strdup(status);
    if (!r->tcb_status)
        r->oom = 1;
}

void result_add_advisory(ratls_result *r, const char *id)
{
    for (size_t i = 0; i < r->nadv; i++)
        if (strcmp(r->advisories[i], id) == 0)
            return;
    char **a = realloc(r->advisories, (r->nadv + 1) * sizeof *a);
    if (!a) {
        r->oom = 1;
        return;
    }
    r->advisories = a;
    a[r->nadv] = strdup(id);
    if (!a[r->nadv]) {
        r->oom = 1;
        return;
    }
    r->nadv++;
}

int ratls_result_verified(const ratls_result *r) { return r && r->status == RATLS_OK && !r->oom; }
ratls_status ratls_result_status(const ratls_result *r)
{
    if (!r)
        return RATLS_ERR_INVALID_ARGUMENT;
    return r->oom && r->status == RATLS_OK ? RATLS_ERR_NO_MEMORY : r->status;
}
const char *ratls_result_error(const ratls_result *r) { return r ? r->error : NULL; }
ratls_tee ratls_result_tee(const ratls_result *r) { return r ? r->tee : RATLS_TEE_NONE; }
size_t ratls_result_check_count(const ratls_result *r) { return r ? r->nchecks : 0; }

ratls_status ratls_result_check(const ratls_result *r, size_t i, const char **id, ratls_check_outcome *outcome,
                                const char **detail)
{
    if (!r || i >= r->nchecks)
        return RATLS_ERR_INVALID_ARGUMENT;
    if (id)
        *id = r->checks[i].id;
    if (outcome)
        *outcome = r->checks[i].outcome;
    if (detail)
        *detail = r->checks[i].detail;
    return RATLS_OK;
}

int ratls_result_find_check(const ratls_result *r, const char *id, ratls_check_outcome *outcome, const char **detail)
{
    if (!r || !id)
        return -1;
    for (size_t i = 0; i < r->nchecks; i++) {
        if (strcmp(r->checks[i].id, id) == 0) {
            if (outcome)
                *outcome = r->checks[i].outcome;
            if (detail)
                *detail = r->checks[i].detail;
            return (int)i;
        }
    }
    return -1;
}

const char *ratls_result_tcb_status(const ratls_result *r) { return r ? r->tcb_status : NULL; }
size_t ratls_result_advisory_count(const ratls_result *r) { return r ? r->nadv : 0; }
const char *ratls_result_advisory(const ratls_result *r, size_t i)
{
    return r && i < r->nadv ? r->advisories[i] : NULL;
}
int64_t ratls_result_collateral_expiry(const ratls_result *r) { return r ? r->coll_expiry : 0; }
int64_t ratls_result_collateral_valid_from(const ratls_result *r) { return r ? r->coll_valid_from : 0; }
const ratls_tdx_report *ratls_result_tdx_report(const ratls_result *r)
{
    return r && r->has_report ? &r->report : NULL;
}
const char *ratls_result_fmspc(const ratls_result *r) { return r && r->fmspc[0] ? r->fmspc : NULL; }
int ratls_result_used_insecure_root(const ratls_result *r) { return r ? r->insecure_root : 0; }
int64_t ratls_result_tcb_evaluation_number(const ratls_result *r) { return r ? r->eval_num : -1; }

json_t *json_hex(const uint8_t *b, size_t n)
{
    char buf[2 * 384 + 1];
    if (n > 384)
        return json_null();
    hex_encode(b, n, buf);
    return json_string(buf);
}
#define jhex json_hex

json_t *tdx_report_to_json(const ratls_tdx_report *t)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    json_object_set_new(o, "quote_version", json_integer(t->quote_version));
    json_object_set_new(o, "body_type", json_integer(t->body_type));
    json_object_set_new(o, "tee_tcb_svn", jhex(t->tee_tcb_svn, 16));
    json_object_set_new(o, "mr_seam", jhex(t->mr_seam, 48));
    json_object_set_new(o, "mr_signer_seam", jhex(t->mr_signer_seam, 48));
    json_object_set_new(o, "seam_attributes", jhex(t->seam_attributes, 8));
    json_object_set_new(o, "td_attributes", jhex(t->td_attributes, 8));
    json_object_set_new(o, "xfam", jhex(t->xfam, 8));
    json_object_set_new(o, "mr_td", jhex(t->mr_td, 48));
    json_object_set_new(o, "mr_config_id", jhex(t->mr_config_id, 48));
    json_object_set_new(o, "mr_owner", jhex(t->mr_owner, 48));
    json_object_set_new(o, "mr_owner_config", jhex(t->mr_owner_config, 48));
    for (int i = 0; i < 4; i++) {
        char k[8];
        snprintf(k, sizeof k, "rtmr%d", i);
        json_object_set_new(o, k, jhex(t->rtmr[i], 48));
    }
    json_object_set_new(o, "report_data", jhex(t->report_data, 64));
    if (t->body_type == 3) {
        json_object_set_new(o, "tee_tcb_svn2", jhex(t->tee_tcb_svn2, 16));
        json_object_set_new(o, "mr_service_td", jhex(t->mr_service_td, 48));
    }
    return o;
}

static const char *outcome_str(ratls_check_outcome o)
{
    return o == RATLS_CHECK_PASS ? "pass" : o == RATLS_CHECK_FAIL ? "fail" : "skip";
}

ratls_status ratls_result_to_json(const ratls_result *r, char **json_out)
{
    if (!r || !json_out)
        return RATLS_ERR_INVALID_ARGUMENT;
    *json_out = NULL;
    json_t *o = json_object();
    json_t *checks = json_array();
    json_t *adv = json_array();
    json_t *coll = json_object();
    if (!o || !checks || !adv || !coll) {
        json_decref(o);
        json_decref(checks);
        json_decref(adv);
        json_decref(coll);
        return RATLS_ERR_NO_MEMORY;
    }
    json_object_set_new(o, "verified", json_boolean(ratls_result_verified(r)));
    json_object_set_new(o, "tee",
                        json_string(r->tee == RATLS_TEE_TDX       ? "tdx"
                                    : r->tee == RATLS_TEE_SEV_SNP ? "sev-snp"
                                                                  : "none"));
    json_object_set_new(o, "status", json_string(ratls_status_name(ratls_result_status(r))));
    json_object_set_new(o, "error", r->error ? json_string(r->error) : json_null());
    json_object_set_new(o, "tcb_status", r->tcb_status ? json_string(r->tcb_status) : json_null());
    for (size_t i = 0; i < r->nadv; i++)
        json_array_append_new(adv, json_string(r->advisories[i]));
    json_object_set_new(o, "advisory_ids", adv);
    for (size_t i = 0; i < r->nchecks; i++) {
        json_t *c = json_pack("{s:s, s:s, s:s}", "id", r->checks[i].id, "result", outcome_str(r->checks[i].outcome),
                              "detail", r->checks[i].detail);
        if (c)
            json_array_append_new(checks, c);
    }
    json_object_set_new(o, "checks", checks);
    if (r->coll_expiry) {
        char a[32], b[32];
        format_iso8601_utc(r->coll_valid_from, a);
        format_iso8601_utc(r->coll_expiry, b);
        json_object_set_new(coll, "valid_from", json_integer(r->coll_valid_from));
        json_object_set_new(coll, "expires", json_integer(r->coll_expiry));
        json_object_set_new(coll, "valid_from_utc", json_string(a));
        json_object_set_new(coll, "expires_utc", json_string(b));
        json_object_set_new(o, "collateral", coll);
    } else {
        json_decref(coll);
        json_object_set_new(o, "collateral", json_null());
    }
    json_object_set_new(o, "tcb_evaluation_data_number", r->eval_num >= 0 ? json_integer(r->eval_num) : json_null());
    json_object_set_new(o, "fmspc", r->fmspc[0] ? json_string(r->fmspc) : json_null());
    json_object_set_new(o, "pce_id", r->pceid[0] ? json_string(r->pceid) : json_null());
    json_object_set_new(o, "td_report", r->has_report ? tdx_report_to_json(&r->report) : json_null());
    json_object_set_new(o, "insecure_test_root", json_boolean(r->insecure_root));
    char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (!s)
        return RATLS_ERR_NO_MEMORY;
    *json_out = s;
    return RATLS_OK;
}
