/* dstack event log: parse, recompute runtime digests, replay RTMR0..3. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "base/json_util.h"
#include "base/util.h"
#include "dstack/dstack.h"

#define EVENT_MAX_PAYLOAD (64u * 1024u)
#define EVENT_MAX_NAME 256u
#define EVENTLOG_MAX_JSON (4u * 1024u * 1024u)

struct ratls_eventlog {
    ratls_event *ev;
    size_t n;
};

/* Events dstack emits once; a second one could shadow the first for a
 * verifier that reads the last (or the first) occurrence. */
static const char *const k_singletons[] = {"app-id", "compose-hash", "instance-id", "os-image-hash", "key-provider"};

void ratls_eventlog_free(ratls_eventlog *log)
{
    if (!log)
        return;
    for (size_t i = 0; i < log->n; i++) {
        free((char *)log->ev[i].name);
        free((uint8_t *)log->ev[i].payload);
    }
    free(log->ev);
    free(log);
}

static int sha384_parts(const void *const *parts, const size_t *lens, size_t n, uint8_t out[48])
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned ol = 0;
    int ok = md && EVP_DigestInit_ex(md, EVP_sha384(), NULL) == 1;
    for (size_t i = 0; ok && i < n; i++)
        ok = EVP_DigestUpdate(md, parts[i], lens[i]) == 1;
    ok = ok && EVP_DigestFinal_ex(md, out, &ol) == 1 && ol == 48;
    EVP_MD_CTX_free(md);
    return ok ? 0 : -1;
}

int dstack_runtime_digest_v1(const char *name, const uint8_t *payload, size_t payload_len, uint8_t out[48])
{
    static const uint8_t t[4] = {0x01, 0x00, 0x00, 0x08}; /* le32(0x08000001) */
    const void *parts[5] = {t, ":", name, ":", payload};
    size_t lens[5] = {4, 1, strlen(name), 1, payload_len};
    return sha384_parts(parts, lens, 5, out);
}

/* RFC 8785 string: ECMAScript JSON.stringify escaping of valid UTF-8. */
static size_t jcs_string(const char *s, char *out)
{
    size_t o = 0;
    out[o++] = '"';
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char c = *p;
        const char *esc = NULL;
        switch (c) {
        case '"':
            esc = "\\\"";
            break;
        case '\\':
            esc = "\\\\";
            break;
        case '\b':
            esc = "\\b";
            break;
        case '\f':
            esc = "\\f";
            break;
        case '\n':
            esc = "\\n";
            break;
        case '\r':
            esc = "\\r";
            break;
        case '\t':
            esc = "\\t";
            break;
        default:
            break;
        }
        if (esc) {
            memcpy(out + o, esc, strlen(esc));
            o += strlen(esc);
        } else if (c < 0x20) {
            o += (size_t)sprintf(out + o, "\\u%04x", c);
        } else {
            out[o++] = (char)c;
        }
    }
    out[o++] = '"';
    return o;
}

static int runtime_digest(const ratls_event *e, uint8_t out[48])
{
    if (e->version == 2) {
        /* {"name":…,"payload":"<hex>","type":134217729}: keys already in JCS order */
        size_t nl = strlen(e->name);
        char *buf = malloc(6 * nl + 2 * e->payload_len + 64);
        if (!buf)
            return -1;
        size_t o = 0;
        memcpy(buf + o, "{\"name\":", 8);
        o += 8;
        o += jcs_string(e->name, buf + o);
        memcpy(buf + o, ",\"payload\":\"", 12);
        o += 12;
        hex_encode(e->payload, e->payload_len, buf + o);
        o += 2 * e->payload_len;
        o += (size_t)sprintf(buf + o, "\",\"type\":%u}", (unsigned)RATLS_EVENT_TYPE_RUNTIME);
        const void *parts[1] = {buf};
        size_t lens[1] = {o};
        int rc = sha384_parts(parts, lens, 1, out);
        free(buf);
        return rc;
    }
    return dstack_runtime_digest_v1(e->name, e->payload, e->payload_len, out);
}

#define FAIL(st, ...)                                                                                                  \
    do {                                                                                                               \
        s = set_err(err, errlen, st, __VA_ARGS__);                                                                     \
        goto fail;                                                                                                     \
    } while (0)

ratls_status ratls_eventlog_parse(const uint8_t *json, size_t len, ratls_eventlog **out, char *err, size_t errlen)
{
    if (!json || !out)
        return RATLS_ERR_INVALID_ARGUMENT;
    *out = NULL;
    if (len > EVENTLOG_MAX_JSON)
        return set_err(err, errlen, RATLS_ERR_TOO_LARGE, "event log of %zu bytes exceeds the limit", len);
    json_error_t je;
    json_t *arr = json_loadb((const char *)json, len, RATLS_JSON_FLAGS, &je);
    ratls_status s = RATLS_OK;
    ratls_eventlog *log = calloc(1, sizeof *log);
    if (!log) {
        json_decref(arr);
        return RATLS_ERR_NO_MEMORY;
    }
    if (!arr || !json_is_array(arr))
        FAIL(RATLS_ERR_EVENTLOG_FORMAT, "event log is not a JSON array (%s)", arr ? "wrong type" : je.text);
    size_t n = json_array_size(arr);
    if (n > RATLS_EVENTLOG_MAX_EVENTS)
        FAIL(RATLS_ERR_TOO_LARGE, "event log has %zu events, more than %u", n, RATLS_EVENTLOG_MAX_EVENTS);
    log->ev = calloc(n ? n : 1, sizeof *log->ev);
    if (!log->ev)
        FAIL(RATLS_ERR_NO_MEMORY, "out of memory");
    size_t seen[sizeof k_singletons / sizeof k_singletons[0]] = {0};
    int system_ready = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_array_get(arr, i);
        ratls_event *e = &log->ev[i];
        log->n = i + 1; /* owns this (zeroed) event's allocations from here on */
        int64_t imr, type, version = 1;
        const char *name, *dig, *pay;
        size_t namelen, diglen, paylen;
        if (!json_is_object(o) || jget_int(o, "imr", 0, 3, &imr) || jget_int(o, "event_type", 0, UINT32_MAX, &type) ||
            jget_str(o, "event", &name, &namelen) || jget_str(o, "digest", &dig, &diglen) ||
            jget_str(o, "event_payload", &pay, &paylen))
            FAIL(RATLS_ERR_EVENTLOG_FORMAT, "event %zu: imr, event_type, digest, event and event_payload are required",
                 i);
        json_t *vj = json_object_get(o, "version");
        if (vj && !json_is_null(vj) && jget_int(o, "version", 1, 2, &version))
            FAIL(RATLS_ERR_EVENTLOG_FORMAT, "event %zu: version is not 1 or 2", i);
        if (namelen > EVENT_MAX_NAME || paylen > 2 * EVENT_MAX_PAYLOAD)
            FAIL(RATLS_ERR_TOO_LARGE, "event %zu: name or payload over its limit", i);
        e->imr = (uint32_t)imr;
        e->type = (uint32_t)type;
        e->version = (int)version;
        e->name = strdup(name);
        uint8_t *pb = NULL;
        size_t pl = 0;
        if (!e->name)
            FAIL(RATLS_ERR_NO_MEMORY, "out of memory");
        if (hex_decode_alloc(pay, paylen, EVENT_MAX_PAYLOAD, &pb, &pl))
            FAIL(RATLS_ERR_EVENTLOG_FORMAT, "event %zu (\"%s\"): event_payload is not hex", i, name);
        e->payload = pb;
        e->payload_len = pl;
        /* the logged digest: 48 bytes, or shorter and zero-padded (old SDKs), or empty */
        uint8_t logged[48] = {0};
        if (diglen % 2 || diglen > 96 || hex_decode_exact(dig, diglen, logged, diglen / 2))
            FAIL(RATLS_ERR_EVENTLOG_FORMAT, "event %zu (\"%s\"): digest is not at most 48 bytes of hex", i, name);
        int runtime = e->type == RATLS_EVENT_TYPE_RUNTIME;
        if (runtime != (e->imr == 3))
            FAIL(RATLS_ERR_EVENT_PLACEMENT, "event %zu (\"%s\", type 0x%08x) is in imr %u: %s", i, name, e->type,
                 e->imr, runtime ? "runtime events belong in imr 3" : "imr 3 holds only runtime events");
        if (runtime) {
            if (runtime_digest(e, e->digest))
                FAIL(RATLS_ERR_INTERNAL, "SHA-384 failed");
            if (diglen && memcmp(logged, e->digest, 48) != 0)
                FAIL(RATLS_ERR_EVENT_DIGEST,
                     "event %zu (\"%s\"): logged digest is not the digest of its name and payload", i, name);
            for (size_t k = 0; k < sizeof k_singletons / sizeof k_singletons[0]; k++) {
                if (strcmp(name, k_singletons[k]) != 0)
                    continue;
                if (seen[k]++)
                    FAIL(RATLS_ERR_EVENT_DUPLICATE, "event %zu: a second \"%s\" event", i, name);
                /* dstack reads its system events only before system-ready; after
                 * it, the application could log one that the image never did */
                if (system_ready)
                    FAIL(RATLS_ERR_EVENT_PLACEMENT, "event %zu: \"%s\" logged after system-ready", i, name);
            }
            if (strcmp(name, "system-ready") == 0)
                system_ready = 1;
        } else {
            if (diglen == 0)
                FAIL(RATLS_ERR_EVENTLOG_FORMAT, "event %zu: a boot event needs its digest", i);
            memcpy(e->digest, logged, 48);
        }
    }
    json_decref(arr);
    *out = log;
    return RATLS_OK;
fail:
    json_decref(arr);
    ratls_eventlog_free(log);
    return s;
}

void ratls_eventlog_replay(const ratls_eventlog *log, uint8_t rtmr[4][48])
{
    memset(rtmr, 0, 4 * 48);
    if (!log)
        return;
    for (size_t i = 0; i < log->n; i++) {
        const ratls_event *e = &log->ev[i];
        const void *parts[2] = {rtmr[e->imr], e->digest};
        size_t lens[2] = {48, 48};
        uint8_t next[48];
        if (sha384_parts(parts, lens, 2, next) != 0) {
            memset(rtmr, 0xff, 4 * 48); /* never equal to a quote's value */
            return;
        }
        memcpy(rtmr[e->imr], next, 48);
    }
}

size_t ratls_eventlog_count(const ratls_eventlog *log) { return log ? log->n : 0; }

const ratls_event *ratls_eventlog_event(const ratls_eventlog *log, size_t i)
{
    return log && i < log->n ? &log->ev[i] : NULL;
}

const ratls_event *ratls_eventlog_find(const ratls_eventlog *log, const char *name, int last)
{
    const ratls_event *found = NULL;
    if (!log || !name)
        return NULL;
    for (size_t i = 0; i < log->n; i++) {
        if (log->ev[i].type == RATLS_EVENT_TYPE_RUNTIME && strcmp(log->ev[i].name, name) == 0) {
            found = &log->ev[i];
            if (!last)
                break;
        }
    }
    return found;
}

static int printable(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] < 0x20 || p[i] > 0x7e)
            return 0;
    return 1;
}

ratls_status ratls_eventlog_to_json(const ratls_eventlog *log, char **json_out)
{
    if (!log || !json_out)
        return RATLS_ERR_INVALID_ARGUMENT;
    *json_out = NULL;
    uint8_t rtmr[4][48];
    ratls_eventlog_replay(log, rtmr);
    json_t *o = json_object(), *rt = json_array(), *evs = json_array();
    if (!o || !rt || !evs) {
        json_decref(o);
        json_decref(rt);
        json_decref(evs);
        return RATLS_ERR_NO_MEMORY;
    }
    for (int i = 0; i < 4; i++)
        json_array_append_new(rt, json_hex(rtmr[i], 48));
    for (size_t i = 0; i < log->n; i++) {
        const ratls_event *e = &log->ev[i];
        char *ph = malloc(2 * e->payload_len + 1);
        if (!ph)
            break;
        hex_encode(e->payload, e->payload_len, ph);
        json_t *j = json_pack("{s:i, s:I, s:o, s:s, s:s}", "imr", (int)e->imr, "event_type", (json_int_t)e->type,
                              "digest", json_hex(e->digest, 48), "event", e->name, "event_payload", ph);
        free(ph);
        if (!j)
            continue;
        if (e->type == RATLS_EVENT_TYPE_RUNTIME && e->payload_len && printable(e->payload, e->payload_len))
            json_object_set_new(j, "payload_text", json_stringn((const char *)e->payload, e->payload_len));
        json_array_append_new(evs, j);
    }
    json_object_set_new(o, "rtmr", rt);
    json_object_set_new(o, "events", evs);
    *json_out = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(o);
    return *json_out ? RATLS_OK : RATLS_ERR_NO_MEMORY;
}
