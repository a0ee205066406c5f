/* dstack event logs: replay of real logs against their quotes, recomputed
 * runtime digests (v1 and v2/JCS), and every kind of tampering. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "../tdx/vectors_util.h"

static void replay_matches_quote(const char *resp_rel)
{
    uint8_t *b;
    size_t n;
    assert_int_equal(vec_read(resp_rel, &b, &n), 0);
    ratls_dstack_response *r = NULL;
    char err[256] = "";
    ratls_status s = ratls_dstack_response_parse(b, n, &r, err, sizeof err);
    if (s)
        print_error("%s: %s\n", resp_rel, err);
    assert_int_equal(s, RATLS_OK);
    size_t ql;
    const uint8_t *qb = ratls_dstack_response_quote(r, &ql);
    ratls_tdx_quote *q = NULL;
    assert_int_equal(ratls_tdx_quote_parse(qb, ql, &q, NULL, 0), RATLS_OK);
    uint8_t rtmr[4][48];
    ratls_eventlog_replay(ratls_dstack_response_eventlog(r), rtmr);
    for (int i = 0; i < 4; i++)
        assert_memory_equal(rtmr[i], ratls_tdx_quote_report(q)->rtmr[i], 48);
    printf("  %s: %zu events replay to the quote's RTMR0-3\n", resp_rel,
           ratls_eventlog_count(ratls_dstack_response_eventlog(r)));
    ratls_tdx_quote_free(q);
    ratls_dstack_response_free(r);
    free(b);
}

static void test_real_logs(void **state)
{
    (void)state;
    if (!vec_dir())
        skip();
    replay_matches_quote("tdx/dstack/quote-report.json");
    replay_matches_quote("tdx/dstack/tdx-lite-getquote.json"); /* empty runtime digests, recomputed */
    replay_matches_quote("seeds/dstack/5a8064d4/quote-report.json");
    /* the simulator's bare event-log array against its quote.hex */
    uint8_t *b, *q;
    size_t n, ql;
    assert_int_equal(vec_read("seeds/dstack/5a8064d4/eventlog.json", &b, &n), 0);
    assert_int_equal(vec_read_quote("seeds/dstack/5a8064d4/quote.hex", &q, &ql), 0);
    ratls_eventlog *log = NULL;
    assert_int_equal(ratls_eventlog_parse(b, n, &log, NULL, 0), RATLS_OK);
    ratls_tdx_quote *tq = NULL;
    assert_int_equal(ratls_tdx_quote_parse(q, ql, &tq, NULL, 0), RATLS_OK);
    uint8_t rtmr[4][48];
    ratls_eventlog_replay(log, rtmr);
    for (int i = 0; i < 4; i++)
        assert_memory_equal(rtmr[i], ratls_tdx_quote_report(tq)->rtmr[i], 48);
    const ratls_event *ch = ratls_eventlog_find(log, "compose-hash", 0);
    assert_non_null(ch);
    assert_int_equal(ch->payload_len, 32);
    assert_null(ratls_eventlog_find(log, "New TLS Certificate", 1));
    ratls_tdx_quote_free(tq);
    ratls_eventlog_free(log);
    free(b);
    free(q);
}

/* Load quote-report.json's event log as a jansson array to edit. */
static json_t *load_events(char **quote_hex)
{
    uint8_t *b;
    size_t n;
    assert_int_equal(vec_read("tdx/dstack/quote-report.json", &b, &n), 0);
    json_t *o = json_loadb((const char *)b, n, 0, NULL);
    free(b);
    assert_non_null(o);
    *quote_hex = strdup(json_string_value(json_object_get(o, "quote")));
    json_t *ev = json_loads(json_string_value(json_object_get(o, "event_log")), 0, NULL);
    json_decref(o);
    assert_non_null(ev);
    return ev;
}

static ratls_status parse_events(json_t *ev, ratls_eventlog **log)
{
    char *t = json_dumps(ev, JSON_COMPACT | JSON_PRESERVE_ORDER);
    char err[256] = "";
    ratls_status s = ratls_eventlog_parse((const uint8_t *)t, strlen(t), log, err, sizeof err);
    free(t);
    return s;
}

static size_t find_event(json_t *ev, const char *name)
{
    for (size_t i = 0; i < json_array_size(ev); i++)
        if (strcmp(json_string_value(json_object_get(json_array_get(ev, i), "event")), name) == 0)
            return i;
    fail_msg("no event %s", name);
    return 0;
}

/* Does the edited log still replay to the quote's RTMRs? */
static int replays_to_quote(json_t *ev, const char *quote_hex)
{
    ratls_eventlog *log = NULL;
    if (parse_events(ev, &log) != RATLS_OK)
        return -1;
    uint8_t *q;
    size_t ql;
    assert_int_equal(ratls_hex_decode_relaxed(quote_hex, strlen(quote_hex), &q, &ql), RATLS_OK);
    ratls_tdx_quote *tq = NULL;
    assert_int_equal(ratls_tdx_quote_parse(q, ql, &tq, NULL, 0), RATLS_OK);
    uint8_t rtmr[4][48];
    ratls_eventlog_replay(log, rtmr);
    int same = memcmp(rtmr, ratls_tdx_quote_report(tq)->rtmr, sizeof rtmr) == 0;
    ratls_tdx_quote_free(tq);
    ratls_eventlog_free(log);
    free(q);
    return same;
}

static void test_tampering(void **state)
{
    (void)state;
    if (!vec_dir())
        skip();
    char *qh;
    json_t *orig = load_events(&qh), *ev;
    ratls_eventlog *log = NULL;
    assert_int_equal(replays_to_quote(orig, qh), 1);

    /* payload changed (digest logged): the digest no longer matches */
    ev = json_deep_copy(orig);
    json_object_set_new(json_array_get(ev, find_event(ev, "compose-hash")), "event_payload",
                        json_string("00000000000000000000000000000000000000000000000000000000000000ff"));
    assert_int_equal(parse_events(ev, &log), RATLS_ERR_EVENT_DIGEST);
    /* and with the digest dropped (recomputed), RTMR3 no longer matches */
    json_object_set_new(json_array_get(ev, find_event(ev, "compose-hash")), "digest", json_string(""));
    assert_int_equal(replays_to_quote(ev, qh), 0);
    json_decref(ev);

    /* name changed */
    ev = json_deep_copy(orig);
    json_object_set_new(json_array_get(ev, find_event(ev, "app-id")), "event", json_string("app-jd"));
    assert_int_equal(parse_events(ev, &log), RATLS_ERR_EVENT_DIGEST);
    json_decref(ev);

    /* runtime event moved to imr 2; a boot-type event put in imr 3 */
    ev = json_deep_copy(orig);
    json_object_set_new(json_array_get(ev, find_event(ev, "instance-id")), "imr", json_integer(2));
    assert_int_equal(parse_events(ev, &log), RATLS_ERR_EVENT_PLACEMENT);
    json_decref(ev);
    ev = json_deep_copy(orig);
    json_object_set_new(json_array_get(ev, find_event(ev, "instance-id")), "event_type", json_integer(0x08000002));
    assert_int_equal(parse_events(ev, &log), RATLS_ERR_EVENT_PLACEMENT);
    json_decref(ev);

    /* a duplicated singleton, anywhere */
    ev = json_deep_copy(orig);
    json_array_append(ev, json_array_get(ev, find_event(ev, "compose-hash")));
    assert_int_equal(parse_events(ev, &log), RATLS_ERR_EVENT_DUPLICATE);
    json_decref(ev);

    /* a system event logged after system-ready (by the application) */
    ev = json_deep_copy(orig);
    json_t *kp = json_deep_copy(json_array_get(ev, find_event(ev, "key-provider")));
    json_array_remove(ev, find_event(ev, "key-provider"));
    json_array_append_new(ev, kp);
    assert_int_equal(parse_events(ev, &log), RATLS_ERR_EVENT_PLACEMENT);
    json_decref(ev);

    /* two runtime events swapped: parses, but RTMR3 differs */
    ev = json_deep_copy(orig);
    size_t a = find_event(ev, "app-id"), c = find_event(ev, "compose-hash");
    json_t *ea = json_incref(json_array_get(ev, a)), *ec = json_incref(json_array_get(ev, c));
    json_array_set_new(ev, a, ec);
    json_array_set_new(ev, c, ea);
    assert_int_equal(replays_to_quote(ev, qh), 0);
    json_decref(ev);

    /* a boot event's digest changed / emptied; an event removed; one added */
    ev = json_deep_copy(orig);
    json_t *boot = json_array_get(ev, 0);
    char d[97];
    snprintf(d, sizeof d, "%s", json_string_value(json_object_get(boot, "digest")));
    d[0] = d[0] == '0' ? '1' : '0';
    json_object_set_new(boot, "digest", json_string(d));
    assert_int_equal(replays_to_quote(ev, qh), 0);
    json_object_set_new(boot, "digest", json_string(""));
    assert_int_equal(parse_events(ev, &log), RATLS_ERR_EVENTLOG_FORMAT);
    json_decref(ev);
    ev = json_deep_copy(orig);
    json_array_remove(ev, find_event(ev, "boot-mr-done"));
    assert_int_equal(replays_to_quote(ev, qh), 0);
    json_decref(ev);

    /* malformed fields */
    const char *bad[] = {"[{\"imr\":4,\"event_type\":1,\"digest\":\"\",\"event\":\"\",\"event_payload\":\"\"}]",
                         "[{\"imr\":0,\"event_type\":1,\"digest\":\"zz\",\"event\":\"\",\"event_payload\":\"\"}]",
                         "[{\"imr\":0,\"event_type\":1,\"digest\":\"00\",\"event\":\"\",\"event_payload\":\"0\"}]",
                         "[{\"imr\":0,\"event_type\":-1,\"digest\":\"00\",\"event\":\"\",\"event_payload\":\"\"}]",
                         "[{\"imr\":0,\"digest\":\"00\",\"event\":\"\",\"event_payload\":\"\"}]",
                         "{\"imr\":0}",
                         "[1]"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_not_equal(ratls_eventlog_parse((const uint8_t *)bad[i], strlen(bad[i]), &log, NULL, 0), RATLS_OK);
        assert_null(log);
    }
    json_decref(orig);
    free(qh);
}

/* v2 runtime events: SHA-384 of the RFC 8785 form, computed independently here. */
static void test_v2_jcs(void **state)
{
    (void)state;
    const char *canon = "{\"name\":\"a\\\"b\xc3\xa9\\n\\u001f\",\"payload\":\"00ff\",\"type\":134217729}";
    uint8_t want[48];
    unsigned wl = 0;
    assert_int_equal(EVP_Digest(canon, strlen(canon), want, &wl, EVP_sha384(), NULL), 1);
    char wh[97];
    for (int i = 0; i < 48; i++)
        snprintf(wh + 2 * i, 3, "%02x", want[i]);
    char log[512];
    /* the name as JSON text: a"bé<LF><US> */
    snprintf(log, sizeof log,
             "[{\"imr\":3,\"event_type\":134217729,\"digest\":\"%s\",\"event\":\"a\\\"b\\u00e9\\n\\u001f\","
             "\"event_payload\":\"00FF\",\"version\":2}]",
             wh);
    ratls_eventlog *l = NULL;
    char err[256] = "";
    ratls_status s = ratls_eventlog_parse((const uint8_t *)log, strlen(log), &l, err, sizeof err);
    if (s)
        print_error("%s\n", err);
    assert_int_equal(s, RATLS_OK);
    assert_memory_equal(ratls_eventlog_event(l, 0)->digest, want, 48);
    ratls_eventlog_free(l);
    /* the v1 formula over the same event gives another digest: rejected */
    char *v = strstr(log, ",\"version\":2");
    memmove(v, v + 12, strlen(v + 12) + 1);
    assert_int_equal(ratls_eventlog_parse((const uint8_t *)log, strlen(log), &l, NULL, 0), RATLS_ERR_EVENT_DIGEST);
}

static void test_response_forms(void **state)
{
    (void)state;
    if (!vec_dir())
        skip();
    uint8_t *b;
    size_t n;
    assert_int_equal(vec_read("tdx/dstack/quote-report.json", &b, &n), 0);
    json_t *bare = json_loadb((const char *)b, n, 0, NULL);
    free(b);
    json_t *full = json_pack("{s:b, s:O, s:n}", "success", 1, "quote", bare, "error");
    char *t = json_dumps(full, 0);
    ratls_dstack_response *r = NULL;
    assert_int_equal(ratls_dstack_response_parse((const uint8_t *)t, strlen(t), &r, NULL, 0), RATLS_OK);
    assert_int_equal(ratls_eventlog_count(ratls_dstack_response_eventlog(r)), 28);
    ratls_dstack_response_free(r);
    free(t);
    json_object_set_new(full, "success", json_false());
    json_object_set_new(full, "error", json_string("quote generation failed"));
    t = json_dumps(full, 0);
    char err[256] = "";
    assert_int_equal(ratls_dstack_response_parse((const uint8_t *)t, strlen(t), &r, err, sizeof err),
                     RATLS_ERR_RESPONSE_FORMAT);
    assert_non_null(strstr(err, "quote generation failed"));
    free(t);
    json_object_del(bare, "event_log");
    t = json_dumps(bare, 0);
    assert_int_equal(ratls_dstack_response_parse((const uint8_t *)t, strlen(t), &r, NULL, 0),
                     RATLS_ERR_RESPONSE_FORMAT);
    free(t);
    json_decref(full);
    json_decref(bare);
    assert_int_equal(ratls_dstack_response_parse((const uint8_t *)"[]", 2, &r, NULL, 0), RATLS_ERR_RESPONSE_FORMAT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_logs),
        cmocka_unit_test(test_tampering),
        cmocka_unit_test(test_v2_jcs),
        cmocka_unit_test(test_response_forms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
