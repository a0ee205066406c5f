/* ratls eventlog replay RESPONSE.json [--json] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"

static void usage_eventlog(void)
{
    fprintf(stderr, "usage: ratls eventlog replay FILE [--json]\n"
                    "  FILE: a dstack /tdx_quote response (full or the bare quote object) or an event-log array\n");
}

int cmd_eventlog(int argc, char **argv)
{
    const char *path;
    int json;
    if (argc < 1 || strcmp(argv[0], "replay") != 0 || cli_path_and_json(argc, argv, 1, &path, &json)) {
        usage_eventlog();
        return EXIT_USAGE;
    }
    uint8_t *buf;
    size_t len;
    if (cli_read_file(path, 16u << 20, &buf, &len))
        return EXIT_USAGE;
    char err[512] = "";
    ratls_dstack_response *resp = NULL;
    ratls_eventlog *own = NULL;
    const ratls_eventlog *log = NULL;
    size_t i = 0;
    while (i < len && (buf[i] == ' ' || buf[i] == '\n' || buf[i] == '\r' || buf[i] == '\t'))
        i++;
    ratls_status s;
    if (i < len && buf[i] == '[') {
        s = ratls_eventlog_parse(buf, len, &own, err, sizeof err);
        log = own;
    } else {
        s = ratls_dstack_response_parse(buf, len, &resp, err, sizeof err);
        log = ratls_dstack_response_eventlog(resp);
    }
    free(buf);
    if (s) {
        fprintf(stderr, "ratls: %s: %s\n", path, err[0] ? err : ratls_status_str(s));
        return EXIT_REJECTED;
    }
    uint8_t rtmr[4][48];
    ratls_eventlog_replay(log, rtmr);
    /* compare with the quote's RTMRs when the response carries one */
    int have_quote = 0, match[4] = {0, 0, 0, 0}, all = 1;
    ratls_tdx_quote *q = NULL;
    size_t ql = 0;
    const uint8_t *qb = ratls_dstack_response_quote(resp, &ql);
    if (qb && ratls_tdx_quote_parse(qb, ql, &q, err, sizeof err) == RATLS_OK) {
        have_quote = 1;
        for (int r = 0; r < 4; r++) {
            match[r] = memcmp(rtmr[r], ratls_tdx_quote_report(q)->rtmr[r], 48) == 0;
            all &= match[r];
        }
    } else if (qb) {
        fprintf(stderr, "ratls: the response's quote does not parse: %s\n", err);
        all = 0;
    }
    if (json) {
        char *j = NULL;
        if (ratls_eventlog_to_json(log, &j) == RATLS_OK) {
            json_t *o = json_loads(j, 0, NULL);
            if (o && have_quote) {
                json_t *m = json_array();
                for (int r = 0; r < 4; r++)
                    json_array_append_new(m, json_boolean(match[r]));
                json_object_set_new(o, "matches_quote", m);
            }
            char *out = o ? json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
            if (out)
                printf("%s\n", out);
            free(out);
            json_decref(o);
        }
        ratls_free_string(j);
    } else {
        size_t n = ratls_eventlog_count(log);
        printf("%zu events\n", n);
        for (size_t k = 0; k < n; k++) {
            const ratls_event *e = ratls_eventlog_event(log, k);
            char d[97];
            cli_hex(e->digest, 16, d);
            printf("  imr %u  type 0x%08x  %s…  %s", e->imr, e->type, d, e->name[0] ? e->name : "(boot event)");
            if (e->type == RATLS_EVENT_TYPE_RUNTIME && e->payload_len) {
                int text = 1;
                for (size_t b = 0; b < e->payload_len; b++)
                    text &= e->payload[b] >= 0x20 && e->payload[b] <= 0x7e;
                if (text && e->payload_len <= 120)
                    printf(" = %.*s", (int)e->payload_len, (const char *)e->payload);
                else if (e->payload_len <= 48) {
                    cli_hex(e->payload, e->payload_len, d);
                    printf(" = %s", d);
                } else {
                    printf(" (%zu-byte payload)", e->payload_len);
                }
            }
            printf("\n");
        }
        for (int r = 0; r < 4; r++) {
            char d[97];
            cli_hex(rtmr[r], 48, d);
            printf("RTMR%d %s%s\n", r, d,
                   have_quote ? (match[r] ? "  matches the quote" : "  DIFFERS from the quote") : "");
        }
    }
    ratls_tdx_quote_free(q);
    ratls_eventlog_free(own);
    ratls_dstack_response_free(resp);
    return all ? EXIT_VERIFIED : EXIT_REJECTED;
}
