/* libFuzzer target: a dstack /tdx_quote response (full or bare) or a bare
 * event-log array: parse, replay, decode to JSON; the quote, when present,
 * through the quote parser. */
#include <string.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512] = "";
    uint8_t rtmr[4][48];
    fuzz_poison_stack();
    ratls_dstack_response *r = NULL;
    ratls_status s = ratls_dstack_response_parse(data, size, &r, err, sizeof err);
    FUZZ_CHECK(memchr(err, 0, sizeof err) != NULL);
    if (s == RATLS_OK) {
        const ratls_eventlog *log = ratls_dstack_response_eventlog(r);
        FUZZ_CHECK(log != NULL);
        ratls_eventlog_replay(log, rtmr);
        char *j = NULL;
        FUZZ_CHECK(ratls_eventlog_to_json(log, &j) == RATLS_OK);
        ratls_free_string(j);
        size_t ql = 0;
        const uint8_t *q = ratls_dstack_response_quote(r, &ql);
        ratls_tdx_quote *tq = NULL;
        if (q && ratls_tdx_quote_parse(q, ql, &tq, NULL, 0) == RATLS_OK)
            ratls_tdx_quote_free(tq);
        ratls_dstack_response_free(r);
    } else {
        FUZZ_CHECK(r == NULL && (err[0] || s == RATLS_ERR_NO_MEMORY || s == RATLS_ERR_INVALID_ARGUMENT));
    }
    ratls_eventlog *log = NULL;
    if (ratls_eventlog_parse(data, size, &log, NULL, 0) == RATLS_OK) {
        size_t n = ratls_eventlog_count(log);
        for (size_t i = 0; i < n; i++) {
            const ratls_event *e = ratls_eventlog_event(log, i);
            FUZZ_CHECK(e && e->imr <= 3 && (e->type == RATLS_EVENT_TYPE_RUNTIME) == (e->imr == 3));
        }
        ratls_eventlog_replay(log, rtmr);
        ratls_eventlog_free(log);
    }
    return 0;
}
