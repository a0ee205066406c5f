/* ratls verify https://HOST[:PORT]: connect, attest on the same connection,
 * print the checklist (or JSON); exit 0 only when every required check passed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

static void usage_verify(void)
{
    fprintf(stderr,
            "usage: ratls verify https://HOST[:PORT] [--policy FILE] [--insecure-test-root ROOT.pem] [--json]\n"
            "                    [--save-evidence FILE] [--timeout MS] [--allow-status S1,S2] [source options]\n"
            "  Connects over TLS, sends POST /tdx_quote with a fresh 64-byte nonce on the same connection and\n"
            "  verifies the answer: the TDX quote (Intel DCAP), the nonce, the event log, the binding of the\n"
            "  connection's certificate, and what POLICY.json expects of the TD's software.\n%s",
            cli_source_usage);
}

/* https://HOST[:PORT][/]: host (IPv6 in brackets) and port. 0 on success. */
static int parse_url(const char *url, char *host, size_t hn, char *port, size_t pn)
{
    const char *p = url;
    if (strncmp(p, "https://", 8) != 0)
        return -1;
    p += 8;
    const char *hs = p, *he;
    if (*p == '[') {
        hs = ++p;
        he = strchr(p, ']');
        if (!he)
            return -1;
        p = he + 1;
    } else {
        he = p + strcspn(p, ":/");
        p = he;
    }
    if (he == hs || (size_t)(he - hs) >= hn)
        return -1;
    memcpy(host, hs, (size_t)(he - hs));
    host[he - hs] = 0;
    snprintf(port, pn, "443");
    if (*p == ':') {
        p++;
        size_t n = strspn(p, "0123456789");
        long v = n > 0 && n <= 5 ? strtol(p, NULL, 10) : 0;
        if (v < 1 || v > 65535)
            return -1;
        snprintf(port, pn, "%.*s", (int)n, p);
        p += n;
    }
    return *p == 0 || strcmp(p, "/") == 0 ? 0 : -1;
}

int cmd_verify(int argc, char **argv)
{
    const char *url = NULL, *policy = NULL, *root = NULL, *save = NULL;
    int json = 0;
    long timeout_ms = 0;
    cli_source_opts so;
    memset(&so, 0, sizeof so);
    ratls_policy *pol = NULL;
    const char *statuses = NULL;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        int k = cli_source_opt(&so, argc, argv, i);
        if (k < 0)
            return EXIT_USAGE;
        if (k > 0) {
            i += k - 1;
        } else if (strcmp(a, "--json") == 0) {
            json = 1;
        } else if (strcmp(a, "--policy") == 0 && val) {
            policy = argv[++i];
        } else if (strcmp(a, "--insecure-test-root") == 0 && val) {
            root = argv[++i];
        } else if (strcmp(a, "--save-evidence") == 0 && val) {
            save = argv[++i];
        } else if (strcmp(a, "--allow-status") == 0 && val) {
            statuses = argv[++i];
        } else if (strcmp(a, "--timeout") == 0 && val) {
            int64_t ms;
            if (cli_parse_time(val, &ms) || ms <= 0 || ms > 600000) {
                fprintf(stderr, "ratls: --timeout takes milliseconds (1..600000), not \"%s\"\n", val);
                return EXIT_USAGE;
            }
            timeout_ms = (long)ms;
            i++;
        } else if (a[0] != '-' && !url) {
            url = a;
        } else {
            usage_verify();
            return EXIT_USAGE;
        }
    }
    char host[256], port[8];
    if (!url || parse_url(url, host, sizeof host, port, sizeof port)) {
        if (url)
            fprintf(stderr, "ratls: \"%s\" is not https://HOST[:PORT]\n", url);
        usage_verify();
        return EXIT_USAGE;
    }
    int rc = EXIT_USAGE;
    uint8_t *pbuf = NULL;
    size_t pl = 0;
    ratls_verifier *v = NULL;
    ratls_collateral_source *src = NULL;
    ratls_hostmap *map = NULL;
    ratls_conn *conn = NULL;
    ratls_result *res = NULL;
    char err[512] = "";
    if (policy && cli_read_file(policy, 1u << 20, &pbuf, &pl))
        goto out;
    if (policy) {
        if (ratls_policy_from_json(pbuf, pl, &pol, err, sizeof err) != RATLS_OK) {
            fprintf(stderr, "ratls: %s: %s\n", policy, err);
            goto out;
        }
    } else if (!(pol = ratls_policy_new())) {
        goto out;
    }
    if (statuses && (ratls_policy_set_tcb_statuses(pol, statuses) != RATLS_OK ||
                     ratls_policy_allow_tcb_status(pol, "UpToDate") != RATLS_OK)) {
        fprintf(stderr, "ratls: unknown TCB status in \"%s\"\n", statuses);
        goto out;
    }
    if (!(v = ratls_verifier_new()) || !(src = cli_source_new(&so)) || !(map = ratls_hostmap_new()))
        goto out;
    if (root && cli_trust_test_root(v, root, !json))
        goto out;
    ratls_verifier_set_collateral_source(v, src);
    if (ratls_hostmap_add(map, host, v, pol) != RATLS_OK)
        goto out;
    int64_t now = (int64_t)time(NULL);
    ratls_status s = ratls_connect(map, host, port, now, timeout_ms, &conn, &res);
    if (!res) {
        fprintf(stderr, "ratls: %s: %s\n", url, ratls_status_str(s));
        rc = EXIT_REJECTED;
        goto out;
    }
    char title[400];
    snprintf(title, sizeof title, "ratls verify %s", url);
    rc = cli_report(res, s, json, title, now);
    if (save && conn) {
        char *ej = NULL;
        if (ratls_conn_evidence_json(conn, &ej) != RATLS_OK || cli_write_file(save, ej, strlen(ej)) != 0)
            rc = rc ? rc : EXIT_USAGE;
        else if (!json)
            fprintf(stderr, "ratls: evidence saved to %s (re-verify: ratls evidence verify --saved %s)\n", save, save);
        ratls_free_string(ej);
    } else if (save) {
        fprintf(stderr, "ratls: nothing saved to %s: the server was not attested\n", save);
    }
out:
    ratls_conn_free(conn);
    ratls_result_free(res);
    ratls_hostmap_free(map);
    ratls_verifier_free(v);
    ratls_collateral_source_free(src);
    ratls_policy_free(pol);
    free(pbuf);
    return rc;
}
