/* ratls evidence verify RESPONSE.json --cert CERT --nonce HEX --policy POLICY.json
 *                       [--collateral FILE] [--at UNIX_SECONDS] [--insecure-test-root ROOT.pem] [--json] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

static void usage_evidence(void)
{
    fprintf(stderr,
            "usage: ratls evidence verify RESPONSE.json --cert CERT --nonce HEX --policy POLICY.json\n"
            "                             [--collateral FILE] [--at UNIX_SECONDS]\n"
            "                             [--insecure-test-root ROOT.pem] [--json] [source options]\n"
            "  RESPONSE.json: a dstack /tdx_quote response; CERT: the connection's certificate (PEM or DER);\n"
            "  HEX: the challenge sent (1..64 bytes); POLICY.json: see docs/policy.md\n%s",
            cli_source_usage);
}

int cmd_evidence(int argc, char **argv)
{
    if (argc < 1 || strcmp(argv[0], "verify") != 0) {
        usage_evidence();
        return EXIT_USAGE;
    }
    const char *path = NULL, *cert = NULL, *nonce = NULL, *policy = NULL, *coll_path = NULL, *root = NULL;
    int json = 0;
    int64_t now = (int64_t)time(NULL);
    cli_source_opts so;
    memset(&so, 0, sizeof so);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!a)
            break;
        int k = cli_source_opt(&so, argc, argv, i);
        if (k < 0)
            return EXIT_USAGE;
        if (k > 0)
            i += k - 1;
        else if (strcmp(a, "--json") == 0)
            json = 1;
        else if (strcmp(a, "--cert") == 0 && val)
            cert = argv[++i];
        else if (strcmp(a, "--nonce") == 0 && val)
            nonce = argv[++i];
        else if (strcmp(a, "--policy") == 0 && val)
            policy = argv[++i];
        else if (strcmp(a, "--collateral") == 0 && val)
            coll_path = argv[++i];
        else if (strcmp(a, "--insecure-test-root") == 0 && val)
            root = argv[++i];
        else if (strcmp(a, "--at") == 0 && val) {
            if (cli_parse_time(val, &now)) {
                fprintf(stderr, "ratls: --at takes Unix seconds, not \"%s\"\n", val);
                return EXIT_USAGE;
            }
            i++;
        } else if (a[0] != '-' && !path)
            path = a;
        else {
            usage_evidence();
            return EXIT_USAGE;
        }
    }
    if (!path || !cert || !nonce || !policy) {
        usage_evidence();
        return EXIT_USAGE;
    }
    int rc = EXIT_USAGE;
    uint8_t *rbuf = NULL, *cbuf = NULL, *pbuf = NULL, *kbuf = NULL, *tbuf = NULL, *nb = NULL;
    size_t rl = 0, cl = 0, pl = 0, kl = 0, tl = 0, nl = 0;
    ratls_evidence *ev = ratls_evidence_new();
    ratls_verifier *v = ratls_verifier_new();
    ratls_policy *pol = NULL;
    ratls_collateral *coll = NULL;
    ratls_result *res = NULL;
    ratls_collateral_source *src = NULL;
    char err[512] = "";
    if (!ev || !v)
        goto out;
    if (cli_read_file(path, 16u << 20, &rbuf, &rl) || (coll_path && cli_read_file(coll_path, 1u << 20, &cbuf, &cl)) ||
        cli_read_file(policy, 1u << 20, &pbuf, &pl) || cli_read_file(cert, 1u << 18, &kbuf, &kl) ||
        (root && cli_read_file(root, 1u << 16, &tbuf, &tl)))
        goto out;
    if (ratls_hex_decode_relaxed(nonce, strlen(nonce), &nb, &nl) != RATLS_OK || nl > 64) {
        fprintf(stderr, "ratls: --nonce takes 1 to 64 bytes of hex\n");
        goto out;
    }
    if (ratls_policy_from_json(pbuf, pl, &pol, err, sizeof err) != RATLS_OK) {
        fprintf(stderr, "ratls: %s: %s\n", policy, err);
        goto out;
    }
    if (ratls_evidence_set_tls_cert(ev, kbuf, kl) != RATLS_OK) {
        fprintf(stderr, "ratls: %s is not a certificate (PEM or DER)\n", cert);
        goto out;
    }
    if (ratls_evidence_set_nonce(ev, nb, nl) != RATLS_OK)
        goto out;
    if (tbuf && ratls_verifier_set_tdx_root_insecure(v, tbuf, tl) != RATLS_OK) {
        fprintf(stderr, "ratls: %s is not a root certificate\n", root);
        goto out;
    }
    if (!coll_path) { /* fetched through the caches */
        if (!(src = cli_source_new(&so)))
            goto out;
        ratls_verifier_set_collateral_source(v, src);
    }
    rc = EXIT_REJECTED;
    ratls_status s = ratls_evidence_set_dstack_response(ev, rbuf, rl, err, sizeof err);
    if (s == RATLS_OK && coll_path)
        s = ratls_collateral_from_json(cbuf, cl, &coll, err, sizeof err);
    if (s != RATLS_OK) {
        char msg[700];
        snprintf(msg, sizeof msg, "%s", err[0] ? err : ratls_status_str(s));
        if (json)
            cli_print_error_json(msg);
        else
            printf("Verdict:     NOT VERIFIED — %s\n", msg);
        goto out;
    }
    s = ratls_verify(v, ev, coll, pol, now, &res);
    if (!res) {
        fprintf(stderr, "ratls: verification could not run: %s\n", ratls_status_str(s));
        goto out;
    }
    char title[600];
    snprintf(title, sizeof title, "ratls evidence verify %s", path);
    rc = cli_report(res, s, json, title, now);
out:
    free(rbuf);
    free(cbuf);
    free(pbuf);
    free(kbuf);
    free(tbuf);
    free(nb);
    ratls_result_free(res);
    ratls_collateral_free(coll);
    ratls_collateral_source_free(src);
    ratls_policy_free(pol);
    ratls_verifier_free(v);
    ratls_evidence_free(ev);
    return rc;
}
