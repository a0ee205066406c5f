/* dstack checks, after TDX verification: freshness, event-log replay,
 * certificate binding and the measured software. Appraisal only: no I/O. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "base/json_util.h"
#include "core/core.h"

typedef struct actx {
    const ratls_policy *p;
    ratls_result *r;
    ratls_status first;
} actx;

static void fail(actx *a, ratls_status s, const char *id, const char *fmt, ...) RATLS_PRINTF(4, 5);
static void fail(actx *a, ratls_status s, const char *id, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ratls_status got = result_fail(a->r, s, id, "%s", msg);
    if (a->first == RATLS_OK)
        a->first = got;
}

/* A check without an expected value: skip, or fail when every check is required. */
static void skip(actx *a, const char *id, const char *why)
{
    if (a->p->flags & RATLS_POLICY_REQUIRE_ALL_CHECKS)
        fail(a, RATLS_ERR_CHECK_SKIPPED, id, "%s, and the policy requires every check", why);
    else
        result_check_add(a->r, id, RATLS_CHECK_SKIP, "%s", why);
}

static const char *const k_ids[] = {"nonce",    "eventlog.replay", "cert.binding", "bootchain",
                                    "os_image", "app_compose",     "key_provider"};

static int hex_lower_eq(const uint8_t *ascii, size_t n, const uint8_t *bin, size_t bn)
{
    char h[2 * 64 + 1];
    if (bn > 64 || n != 2 * bn)
        return 0;
    hex_encode(bin, bn, h);
    return ct_memcmp(ascii, h, n) == 0;
}

static void check_key_provider(actx *a, const ratls_event *e)
{
    const ratls_policy *p = a->p;
    json_error_t je;
    json_t *o = json_loadb((const char *)e->payload, e->payload_len, RATLS_JSON_FLAGS, &je);
    const char *name = NULL, *id = NULL;
    if (!o || jget_str(o, "name", &name, NULL) != RATLS_OK || jget_str(o, "id", &id, NULL) != RATLS_OK) {
        fail(a, RATLS_ERR_KEY_PROVIDER, "key_provider", "%s", "the key-provider event is not {\"name\", \"id\"} JSON");
    } else if (strcmp(name, p->kp_name) != 0) {
        fail(a, RATLS_ERR_KEY_PROVIDER, "key_provider", "the TD's key provider is \"%s\", not the expected one", name);
    } else if (strlen(id) != strlen(p->kp_id) || strncasecmp(id, p->kp_id, strlen(id)) != 0) {
        fail(a, RATLS_ERR_KEY_PROVIDER, "key_provider", "key provider \"%s\" has another id than expected", name);
    } else {
        result_check_add(a->r, "key_provider", RATLS_CHECK_PASS, "key provider %s with the expected id", name);
    }
    json_decref(o);
}

/* MRCONFIGID as dstack writes it for the expected compose hash. Format 1:
 * the hash itself. Format 2: keccak256(compose hash || app id (20 bytes) ||
 * key-provider kind (none 0, local-sgx 1, kms 2, tpm 3) || key-provider id),
 * the app id and key provider taken from the (replayed) event log.
 * 0 and the expected value, or -1 and why not. */
static int expected_mr_config_id(const ratls_eventlog *log, const uint8_t compose[32], unsigned format, uint8_t out[48],
                                 const char **why)
{
    memset(out, 0, 48);
    out[0] = (uint8_t)format;
    if (format == 1) {
        memcpy(out + 1, compose, 32);
        return 0;
    }
    if (format != 2) {
        *why = "MRCONFIGID has a format this verifier does not know";
        return -1;
    }
    const ratls_event *app = ratls_eventlog_find(log, "app-id", 0), *kp = ratls_eventlog_find(log, "key-provider", 0);
    if (!app || app->payload_len != 20 || !kp) {
        *why = "MRCONFIGID format 2 needs the app-id (20 bytes) and key-provider events";
        return -1;
    }
    json_error_t je;
    json_t *o = json_loadb((const char *)kp->payload, kp->payload_len, RATLS_JSON_FLAGS, &je);
    const char *name = NULL, *id = NULL;
    static const char *const kinds[] = {"none", "local-sgx", "kms", "tpm"};
    int kind = -1;
    if (o && jget_str(o, "name", &name, NULL) == RATLS_OK && jget_str(o, "id", &id, NULL) == RATLS_OK)
        for (int i = 0; i < 4; i++)
            if (strcmp(name, kinds[i]) == 0)
                kind = i;
    uint8_t *idb = NULL;
    size_t idl = 0;
    if (kind < 0 || hex_decode_alloc(id, strlen(id), 4096, &idb, &idl) != 0) {
        json_decref(o);
        *why = "MRCONFIGID format 2: the key-provider event names an unknown provider or a non-hex id";
        return -1;
    }
    json_decref(o);
    uint8_t *buf = malloc(32 + 20 + 1 + idl), h[32];
    if (!buf) {
        free(idb);
        *why = "out of memory";
        return -1;
    }
    memcpy(buf, compose, 32);
    memcpy(buf + 32, app->payload, 20);
    buf[52] = (uint8_t)kind;
    if (idl)
        memcpy(buf + 53, idb, idl);
    keccak256(buf, 53 + idl, h);
    memcpy(out + 1, h, 32);
    free(buf);
    free(idb);
    return 0;
}

ratls_status dstack_appraise(const ratls_evidence *ev, const ratls_policy *p, const ratls_tdx_report *rep,
                             ratls_result *r)
{
    actx a = {p, r, RATLS_OK};
    ratls_check_outcome q = RATLS_CHECK_SKIP;
    ratls_result_find_check(r, "tdx.quote", &q, NULL);
    if (q != RATLS_CHECK_PASS) {
        for (size_t i = 0; i < sizeof k_ids / sizeof k_ids[0]; i++)
            result_check_add(r, k_ids[i], RATLS_CHECK_SKIP, "not evaluated: the quote did not verify");
        return RATLS_OK; /* the quote's failure already decides the verdict */
    }

    /* nonce: REPORTDATA is the challenge, compared in constant time */
    if (!ev->has_nonce)
        skip(&a, "nonce", "no challenge was given: freshness not checked");
    else if (ct_memcmp(rep->report_data, ev->nonce, 64) != 0)
        fail(&a, RATLS_ERR_NONCE_MISMATCH, "nonce", "%s",
             "REPORTDATA is not the challenge: the quote is stale or was made for someone else");
    else
        result_check_add(r, "nonce", RATLS_CHECK_PASS, "REPORTDATA equals the challenge");

    /* the event log must replay to the quote's RTMRs, or none of its events is bound */
    uint8_t rtmr[4][48];
    ratls_eventlog_replay(ev->log, rtmr);
    int bound = ev->log != NULL;
    if (!ev->log)
        skip(&a, "eventlog.replay", "no event log was given: no event can be believed");
    for (int i = 0; bound && i < 4; i++) {
        if (memcmp(rtmr[i], rep->rtmr[i], 48) != 0) {
            char what[8];
            snprintf(what, sizeof what, "RTMR%d", i);
            fail(&a, RATLS_ERR_EVENTLOG_REPLAY, "eventlog.replay", "the event log does not replay to the quote's %s",
                 what);
            bound = 0;
            break;
        }
    }
    if (bound)
        result_check_add(r, "eventlog.replay", RATLS_CHECK_PASS,
                         "%zu events replay to RTMR0-3 (runtime digests recomputed from their payloads)",
                         ratls_eventlog_count(ev->log));

    /* cert.binding: the last "New TLS Certificate" event is sha256(this certificate) */
    if (!ev->has_cert) {
        skip(&a, "cert.binding", "no TLS certificate was given: the connection is not bound");
    } else if (!bound) {
        fail(&a, RATLS_ERR_CERT_BINDING, "cert.binding", "%s",
             ev->log ? "the event log is not bound to the quote" : "no event log was given to bind the certificate");
    } else {
        const ratls_event *e = ratls_eventlog_find(ev->log, "New TLS Certificate", 1);
        if (!e)
            fail(&a, RATLS_ERR_CERT_BINDING, "cert.binding", "%s",
                 "the TD logged no \"New TLS Certificate\" event: its TLS key is not attested");
        else if (!hex_lower_eq(e->payload, e->payload_len, ev->cert_sha256, 32))
            fail(&a, RATLS_ERR_CERT_BINDING, "cert.binding", "%s",
                 "the connection's certificate is not the last one the TD logged");
        else
            result_check_add(r, "cert.binding", RATLS_CHECK_PASS,
                             "the connection's certificate is the last one the TD logged");
    }

    if (p->flags & RATLS_POLICY_SKIP_RUNTIME_VERIFICATION_INSECURE) {
        for (size_t i = 3; i < sizeof k_ids / sizeof k_ids[0]; i++)
            skip(&a, k_ids[i], "skipped INSECURELY by policy: the TD's software is not verified");
        return a.first;
    }

    /* bootchain: MRTD and RTMR0-2 */
    if (!p->has_bootchain) {
        skip(&a, "bootchain", "no expected boot chain in the policy");
    } else {
        const char *diff = memcmp(rep->mr_td, p->mrtd, 48)        ? "MRTD"
                           : memcmp(rep->rtmr[0], p->rtmr[0], 48) ? "RTMR0"
                           : memcmp(rep->rtmr[1], p->rtmr[1], 48) ? "RTMR1"
                           : memcmp(rep->rtmr[2], p->rtmr[2], 48) ? "RTMR2"
                                                                  : NULL;
        if (diff)
            fail(&a, RATLS_ERR_BOOTCHAIN, "bootchain", "%s differs from the expected boot chain", diff);
        else
            result_check_add(r, "bootchain", RATLS_CHECK_PASS,
                             "MRTD and RTMR0-2 are the expected firmware, kernel and OS");
    }

    /* os_image: the os-image-hash event */
    if (!p->has_os_image) {
        skip(&a, "os_image", "no expected OS image hash in the policy");
    } else {
        const ratls_event *e = bound ? ratls_eventlog_find(ev->log, "os-image-hash", 0) : NULL;
        if (!e)
            fail(&a, RATLS_ERR_OS_IMAGE, "os_image", "%s",
                 bound ? "the TD logged no os-image-hash event" : "the event log is not bound to the quote");
        else if (e->payload_len != 32 || memcmp(e->payload, p->os_image, 32) != 0)
            fail(&a, RATLS_ERR_OS_IMAGE, "os_image", "%s", "the OS image hash differs from the expected one");
        else
            result_check_add(r, "os_image", RATLS_CHECK_PASS, "the OS image is the expected one");
    }

    /* app_compose: expected hash == compose-hash event (== the server's
     * app_compose, == MRCONFIGID when it carries the hash) */
    if (!p->has_compose) {
        skip(&a, "app_compose", "no expected app compose in the policy");
    } else {
        const ratls_event *e = bound ? ratls_eventlog_find(ev->log, "compose-hash", 0) : NULL;
        static const uint8_t zero[48];
        if (!e)
            fail(&a, RATLS_ERR_COMPOSE_HASH, "app_compose", "%s",
                 bound ? "the TD logged no compose-hash event" : "the event log is not bound to the quote");
        else if (e->payload_len != 32 || memcmp(e->payload, p->compose, 32) != 0)
            fail(&a, RATLS_ERR_COMPOSE_HASH, "app_compose", "%s",
                 "the TD runs another app compose than the expected one (compose-hash event)");
        else if (ev->has_app_compose_hash && memcmp(ev->app_compose_hash, p->compose, 32) != 0)
            fail(&a, RATLS_ERR_COMPOSE_HASH, "app_compose", "%s",
                 "the app compose the server reports differs from the expected one");
        else if (memcmp(rep->mr_config_id, zero, 48) == 0)
            result_check_add(r, "app_compose", RATLS_CHECK_PASS, "%s",
                             "the expected app compose (compose-hash event; MRCONFIGID unused)");
        else {
            /* set by the deployer: it must say the same, in a format we know */
            uint8_t want[48];
            const char *why = NULL;
            if (expected_mr_config_id(ev->log, p->compose, rep->mr_config_id[0], want, &why) != 0)
                fail(&a, RATLS_ERR_COMPOSE_HASH, "app_compose", "%s", why);
            else if (memcmp(want, rep->mr_config_id, 48) != 0)
                fail(&a, RATLS_ERR_COMPOSE_HASH, "app_compose", "MRCONFIGID (format %u) carries another %s",
                     rep->mr_config_id[0], rep->mr_config_id[0] == 1 ? "compose hash" : "app configuration");
            else
                result_check_add(r, "app_compose", RATLS_CHECK_PASS,
                                 "the expected app compose (event and MRCONFIGID format %u)", rep->mr_config_id[0]);
        }
    }

    /* key_provider */
    if (!p->has_key_provider) {
        skip(&a, "key_provider", "no expected key provider in the policy");
    } else {
        const ratls_event *e = bound ? ratls_eventlog_find(ev->log, "key-provider", 0) : NULL;
        if (!e)
            fail(&a, RATLS_ERR_KEY_PROVIDER, "key_provider", "%s",
                 bound ? "the TD logged no key-provider event" : "the event log is not bound to the quote");
        else
            check_key_provider(&a, e);
    }
    return a.first;
}
