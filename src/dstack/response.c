/* The answer of a dstack server to POST /tdx_quote. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/json_util.h"
#include "base/util.h"
#include "dstack/dstack.h"

#define RESPONSE_MAX_JSON (8u * 1024u * 1024u)

void ratls_dstack_response_free(ratls_dstack_response *r)
{
    if (!r)
        return;
    free(r->quote);
    ratls_eventlog_free(r->log);
    free(r);
}

ratls_status ratls_dstack_response_parse(const uint8_t *json, size_t len, ratls_dstack_response **out, char *err,
                                         size_t errlen)
{
    if (!json || !out)
        return RATLS_ERR_INVALID_ARGUMENT;
    *out = NULL;
    if (len > RESPONSE_MAX_JSON)
        return set_err(err, errlen, RATLS_ERR_TOO_LARGE, "response of %zu bytes exceeds the limit", len);
    json_error_t je;
    json_t *root = json_loadb((const char *)json, len, RATLS_JSON_FLAGS, &je);
    if (!root || !json_is_object(root)) {
        json_decref(root);
        return set_err(err, errlen, RATLS_ERR_RESPONSE_FORMAT, "response is not a JSON object (%s)",
                       root ? "wrong type" : je.text);
    }
    ratls_status s = RATLS_ERR_RESPONSE_FORMAT;
    ratls_dstack_response *r = calloc(1, sizeof *r);
    json_t *q = json_object_get(root, "quote");
    if (!r) {
        s = RATLS_ERR_NO_MEMORY;
        goto fail;
    }
    if (json_is_object(q)) {
        /* the full response: success must be true */
        json_t *ok = json_object_get(root, "success");
        if (!json_is_true(ok)) {
            json_t *e = json_object_get(root, "error");
            set_err(err, errlen, s, "server reported failure: %s",
                    json_is_string(e) ? json_string_value(e) : "\"success\" is not true");
            goto fail;
        }
    } else {
        q = root; /* the bare quote object */
    }
    const char *qhex, *log;
    size_t qlen, loglen;
    if (jget_str(q, "quote", &qhex, &qlen) || jget_str(q, "event_log", &log, &loglen)) {
        set_err(err, errlen, s, "response has no \"quote\" hex string and \"event_log\" JSON string");
        goto fail;
    }
    if (ratls_hex_decode_relaxed(qhex, qlen, &r->quote, &r->quote_len) != RATLS_OK ||
        r->quote_len > RATLS_TDX_MAX_QUOTE_LEN) {
        set_err(err, errlen, s, "\"quote\" is not hex, or is too large");
        goto fail;
    }
    char sub[400] = "";
    s = ratls_eventlog_parse((const uint8_t *)log, loglen, &r->log, sub, sizeof sub);
    if (s) {
        set_err(err, errlen, s, "event_log: %s", sub);
        goto fail;
    }
    /* the full response's tcb_info.app_compose: the app compose the server says it runs */
    json_t *ti = json_object_get(root, "tcb_info");
    json_t *ac = json_is_object(ti) ? json_object_get(ti, "app_compose") : NULL;
    if (json_is_string(ac)) {
        s = ratls_compose_hash((const uint8_t *)json_string_value(ac), json_string_length(ac), r->app_compose_hash, sub,
                               sizeof sub);
        if (s) {
            set_err(err, errlen, RATLS_ERR_RESPONSE_FORMAT, "tcb_info.app_compose: %s", sub);
            s = RATLS_ERR_RESPONSE_FORMAT;
            goto fail;
        }
        r->has_app_compose_hash = 1;
    } else if (ac && !json_is_null(ac)) {
        set_err(err, errlen, RATLS_ERR_RESPONSE_FORMAT, "tcb_info.app_compose is not a JSON string");
        s = RATLS_ERR_RESPONSE_FORMAT;
        goto fail;
    }
    json_decref(root);
    *out = r;
    return RATLS_OK;
fail:
    json_decref(root);
    ratls_dstack_response_free(r);
    return s;
}

const uint8_t *ratls_dstack_response_quote(const ratls_dstack_response *r, size_t *len)
{
    if (!r)
        return NULL;
    if (len)
        *len = r->quote_len;
    return r->quote;
}

const ratls_eventlog *ratls_dstack_response_eventlog(const ratls_dstack_response *r) { return r ? r->log : NULL; }
