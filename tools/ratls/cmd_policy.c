/* ratls policy init: write a dstack policy file (docs/policy.md) from values
 * given on the command line, or captured from a response the caller trusts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"

static void usage_policy(void)
{
    fprintf(
        stderr,
        "usage: ratls policy init [-o FILE] [--from-response RESPONSE.json]\n"
        "                         [--mrtd HEX --rtmr0 HEX --rtmr1 HEX --rtmr2 HEX] [--os-image-hash HEX]\n"
        "                         [--app-compose FILE [--docker-compose-file FILE] [--allowed-envs A,B] |\n"
        "                          --compose-hash HEX] [--key-provider NAME --key-provider-id "
        "HEX]\n"
        "                         [--allow-status S1,S2] [--deny-advisory ID]... [--min-tcb-evaluation-number N]\n"
        "                         [--require-all-checks]\n"
        "  --from-response takes MRTD/RTMR0-2 from the response's quote and the compose, OS image and key-provider\n"
        "  values from its event log: use it only on a response you already trust (trust on first use).\n");
}

/* Values captured from a response: the quote's MRs and the log's events. */
static int capture(const char *path, json_t *pol)
{
    uint8_t *buf;
    size_t len;
    char err[512] = "";
    if (cli_read_file(path, 16u << 20, &buf, &len))
        return -1;
    ratls_dstack_response *r = NULL;
    ratls_status s = ratls_dstack_response_parse(buf, len, &r, err, sizeof err);
    free(buf);
    if (s) {
        fprintf(stderr, "ratls: %s: %s\n", path, err);
        return -1;
    }
    size_t ql;
    const uint8_t *qb = ratls_dstack_response_quote(r, &ql);
    ratls_tdx_quote *q = NULL;
    if (ratls_tdx_quote_parse(qb, ql, &q, err, sizeof err) != RATLS_OK) {
        fprintf(stderr, "ratls: %s: quote: %s\n", path, err);
        ratls_dstack_response_free(r);
        return -1;
    }
    const ratls_tdx_report *t = ratls_tdx_quote_report(q);
    char h[4][97];
    cli_hex(t->mr_td, 48, h[0]);
    for (int i = 0; i < 3; i++)
        cli_hex(t->rtmr[i], 48, h[i + 1]);
    json_object_set_new(pol, "bootchain",
                        json_pack("{s:s, s:s, s:s, s:s}", "mrtd", h[0], "rtmr0", h[1], "rtmr1", h[2], "rtmr2", h[3]));
    const ratls_eventlog *log = ratls_dstack_response_eventlog(r);
    const ratls_event *e = ratls_eventlog_find(log, "compose-hash", 0);
    char x[65];
    if (e && e->payload_len == 32) {
        cli_hex(e->payload, 32, x);
        json_object_set_new(pol, "app_compose_hash", json_string(x));
    }
    e = ratls_eventlog_find(log, "os-image-hash", 0);
    if (e && e->payload_len == 32) {
        cli_hex(e->payload, 32, x);
        json_object_set_new(pol, "os_image_hash", json_string(x));
    }
    e = ratls_eventlog_find(log, "key-provider", 0);
    json_t *kp = e ? json_loadb((const char *)e->payload, e->payload_len, 0, NULL) : NULL;
    if (kp && json_is_string(json_object_get(kp, "name")) && json_is_string(json_object_get(kp, "id")))
        json_object_set_new(
            pol, "key_provider",
            json_pack("{s:O, s:O}", "name", json_object_get(kp, "name"), "id", json_object_get(kp, "id")));
    json_decref(kp);
    ratls_tdx_quote_free(q);
    ratls_dstack_response_free(r);
    return 0;
}

int cmd_policy(int argc, char **argv)
{
    if (argc < 1 || strcmp(argv[0], "init") != 0) {
        usage_policy();
        return EXIT_USAGE;
    }
    const char *outp = NULL, *mr[4] = {NULL, NULL, NULL, NULL};
    json_t *pol = json_pack("{s:i}", "version", 1), *tcb = json_object(), *deny = json_array();
    int rc = EXIT_USAGE;
    if (!pol || !tcb || !deny)
        goto out;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!a)
            break;
        static const char *const mrn[4] = {"--mrtd", "--rtmr0", "--rtmr1", "--rtmr2"};
        int m = -1;
        for (int k = 0; k < 4; k++)
            if (strcmp(a, mrn[k]) == 0)
                m = k;
        if (m >= 0 && val) {
            mr[m] = argv[++i];
        } else if (strcmp(a, "-o") == 0 && val) {
            outp = argv[++i];
        } else if (strcmp(a, "--from-response") == 0 && val) {
            if (capture(argv[++i], pol))
                goto out;
        } else if (strcmp(a, "--os-image-hash") == 0 && val) {
            json_object_set_new(pol, "os_image_hash", json_string(argv[++i]));
        } else if (strcmp(a, "--compose-hash") == 0 && val) {
            json_object_set_new(pol, "app_compose_hash", json_string(argv[++i]));
        } else if (strcmp(a, "--app-compose") == 0 && val) {
            json_error_t je;
            json_t *ac = json_load_file(argv[++i], JSON_REJECT_DUPLICATES, &je);
            if (!json_is_object(ac)) {
                fprintf(stderr, "ratls: %s is not a JSON object (%s)\n", argv[i], je.text);
                json_decref(ac);
                goto out;
            }
            json_object_del(pol, "app_compose_hash");
            json_object_set_new(pol, "app_compose", ac);
        } else if (strcmp(a, "--docker-compose-file") == 0 && val) {
            uint8_t *dc = NULL;
            size_t dl = 0;
            if (cli_read_file(argv[++i], 4u << 20, &dc, &dl))
                goto out;
            json_t *ov = json_object_get(pol, "app_compose_overrides");
            if (!ov)
                json_object_set_new(pol, "app_compose_overrides", ov = json_object());
            json_object_set_new(ov, "docker_compose_file", json_stringn((const char *)dc, dl));
            free(dc);
        } else if (strcmp(a, "--allowed-envs") == 0 && val) {
            json_t *ov = json_object_get(pol, "app_compose_overrides");
            if (!ov)
                json_object_set_new(pol, "app_compose_overrides", ov = json_object());
            json_t *envs = json_array();
            char *csv = strdup(argv[++i]), *save = NULL;
            for (char *t = csv ? strtok_r(csv, ",", &save) : NULL; t; t = strtok_r(NULL, ",", &save))
                json_array_append_new(envs, json_string(t));
            free(csv);
            json_object_set_new(ov, "allowed_envs", envs);
        } else if (strcmp(a, "--key-provider") == 0 && val) {
            json_t *kp = json_object_get(pol, "key_provider");
            if (!kp)
                json_object_set_new(pol, "key_provider", kp = json_object());
            json_object_set_new(kp, "name", json_string(argv[++i]));
        } else if (strcmp(a, "--key-provider-id") == 0 && val) {
            json_t *kp = json_object_get(pol, "key_provider");
            if (!kp)
                json_object_set_new(pol, "key_provider", kp = json_object());
            json_object_set_new(kp, "id", json_string(argv[++i]));
        } else if (strcmp(a, "--allow-status") == 0 && val) {
            json_t *st = json_array();
            char *csv = strdup(argv[++i]), *save = NULL;
            for (char *t = strtok_r(csv, ",", &save); t; t = strtok_r(NULL, ",", &save))
                json_array_append_new(st, json_string(t));
            free(csv);
            json_object_set_new(tcb, "allowed_statuses", st);
        } else if (strcmp(a, "--deny-advisory") == 0 && val) {
            json_array_append_new(deny, json_string(argv[++i]));
        } else if (strcmp(a, "--min-tcb-evaluation-number") == 0 && val) {
            int64_t n;
            if (cli_parse_time(argv[++i], &n))
                goto out;
            json_object_set_new(tcb, "min_evaluation_number", json_integer(n));
        } else if (strcmp(a, "--require-all-checks") == 0) {
            json_object_set_new(pol, "require_all_checks", json_true());
        } else {
            usage_policy();
            goto out;
        }
    }
    if (mr[0] || mr[1] || mr[2] || mr[3]) {
        if (!mr[0] || !mr[1] || !mr[2] || !mr[3]) {
            fprintf(stderr, "ratls: --mrtd, --rtmr0, --rtmr1 and --rtmr2 go together\n");
            goto out;
        }
        json_object_set_new(
            pol, "bootchain",
            json_pack("{s:s, s:s, s:s, s:s}", "mrtd", mr[0], "rtmr0", mr[1], "rtmr1", mr[2], "rtmr2", mr[3]));
    }
    if (json_array_size(deny))
        json_object_set(tcb, "deny_advisories", deny);
    if (json_object_size(tcb))
        json_object_set(pol, "tcb", tcb);
    char *text = json_dumps(pol, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    char err[512] = "";
    ratls_policy *check = NULL;
    /* what is written must load: the same parser checks every value */
    if (!text || ratls_policy_from_json((const uint8_t *)text, strlen(text), &check, err, sizeof err) != RATLS_OK) {
        fprintf(stderr, "ratls: %s\n", err[0] ? err : "out of memory");
        free(text);
        goto out;
    }
    ratls_policy_free(check);
    size_t tl = strlen(text);
    text[tl] = '\n';
    if (outp)
        rc = cli_write_file(outp, text, tl + 1) ? EXIT_USAGE : 0;
    else
        rc = fwrite(text, 1, tl + 1, stdout) == tl + 1 ? 0 : EXIT_USAGE;
    free(text);
out:
    json_decref(pol);
    json_decref(tcb);
    json_decref(deny);
    return rc;
}
