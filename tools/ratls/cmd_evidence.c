/* ratls evidence verify RESPONSE.json --cert CERT --nonce HEX --policy POLICY.json
 *                       [--collateral FILE] [--at UNIX_SECONDS] [--insecure-test-root ROOT.pem] [--json] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cli.h"

/* A file written by `ratls verify --save-evidence`: the response, the
 * certificate, the nonce, the collateral (or none) and the verification time. */
typedef struct saved {
    uint8_t *resp, *cert, *nonce, *coll;
    size_t rl, kl, nl, cl;
    int64_t at;
} saved;

static int load_saved(const char *path, saved *sv)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    memset(sv, 0, sizeof *sv);
    if (cli_read_file(path, 64u << 20, &buf, &len))
        return -1;
    json_error_t je;
    json_t *o = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES, &je);
    free(buf);
    json_t *r = json_object_get(o, "response"), *c = json_object_get(o, "collateral");
    const char *cert = json_string_value(json_object_get(o, "tls_cert"));
    const char *n = json_string_value(json_object_get(o, "nonce"));
    json_t *t = json_object_get(o, "verified_at");
    int ok = o && json_integer_value(json_object_get(o, "ratls_evidence")) == 1 && json_is_object(r) && cert && n &&
             json_is_integer(t) && (json_is_object(c) || json_is_null(c));
    if (ok) {
        char *rs = json_dumps(r, JSON_COMPACT | JSON_PRESERVE_ORDER);
        char *cs = json_is_object(c) ? json_dumps(c, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
        sv->resp = (uint8_t *)rs;
        sv->rl = rs ? strlen(rs) : 0;
        sv->coll = (uint8_t *)cs;
        sv->cl = cs ? strlen(cs) : 0;
        sv->at = (int64_t)json_integer_value(t);
        ok = rs && (cs || json_is_null(c)) &&
             ratls_hex_decode_relaxed(cert, strlen(cert), &sv->cert, &sv->kl) == RATLS_OK &&
             ratls_hex_decode_relaxed(n, strlen(n), &sv->nonce, &sv->nl) == RATLS_OK;
    }
    json_decref(o);
    if (!ok)
        fprintf(stderr, "ratls: %s is not a saved evidence file (ratls verify --save-evidence)\n", path);
    return ok ? 0 : -1;
}

static void usage_evidence(void)
{
    fprintf(stderr,
            "usage: ratls evidence verify RESPONSE.json --cert CERT --nonce HEX --policy POLICY.json\n"
            "                             [--collateral FILE] [--at UNIX_SECONDS]\n"
            "                             [--insecure-test-root ROOT.pem] [--json] [source options]\n"
            "       ratls evidence verify --saved FILE [--policy POLICY.json] [--at UNIX_SECONDS] [...]\n"
            "  FILE: written by ratls verify --save-evidence; verified as of its time unless --at is given\n"
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
    const char *path = NULL, *cert = NULL, *nonce = NULL, *policy = NULL, *coll_path = NULL, *root = NULL,
               *saved_path = NULL;
    int json = 0, have_at = 0;
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
        else if (strcmp(a, "--saved") == 0 && val)
            saved_path = argv[++i];
        else if (strcmp(a, "--at") == 0 && val) {
            if (cli_opt_at(val, &now))
                return EXIT_USAGE;
            have_at = 1;
            i++;
        } else if (a[0] != '-' && !path)
            path = a;
        else {
            usage_evidence();
            return EXIT_USAGE;
        }
    }
    saved sv;
    memset(&sv, 0, sizeof sv);
    if (saved_path ? (path || cert || nonce) : (!path || !cert || !nonce || !policy)) {
        usage_evidence();
        return EXIT_USAGE;
    }
    if (saved_path) {
        if (load_saved(saved_path, &sv))
            return EXIT_USAGE;
        path = saved_path;
        if (!have_at) /* re-verify as of the original verification */
            now = sv.at;
    }
    int rc = EXIT_USAGE;
    uint8_t *rbuf = NULL, *cbuf = NULL, *pbuf = NULL, *kbuf = NULL, *nb = NULL;
    size_t rl = 0, cl = 0, pl = 0, kl = 0, nl = 0;
    ratls_evidence *ev = ratls_evidence_new();
    ratls_verifier *v = ratls_verifier_new();
    ratls_policy *pol = NULL;
    ratls_collateral *coll = NULL;
    ratls_result *res = NULL;
    ratls_collateral_source *src = NULL;
    char err[512] = "";
    if (!ev || !v)
        goto out;
    if (saved_path) { /* the buffers are the saved file's */
        rbuf = sv.resp, rl = sv.rl, kbuf = sv.cert, kl = sv.kl, nb = sv.nonce, nl = sv.nl;
        if (!coll_path)
            cbuf = sv.coll, cl = sv.cl;
        else
            free(sv.coll);
        memset(&sv, 0, sizeof sv);
    }
    if ((!saved_path && cli_read_file(path, 16u << 20, &rbuf, &rl)) ||
        (coll_path && cli_read_file(coll_path, 1u << 20, &cbuf, &cl)) ||
        (policy && cli_read_file(policy, 1u << 20, &pbuf, &pl)) ||
        (!saved_path && cli_read_file(cert, 1u << 18, &kbuf, &kl)))
        goto out;
    if (!saved_path && (ratls_hex_decode_relaxed(nonce, strlen(nonce), &nb, &nl) != RATLS_OK || nl > 64)) {
        fprintf(stderr, "ratls: --nonce takes 1 to 64 bytes of hex\n");
        goto out;
    }
    if (policy ? ratls_policy_from_json(pbuf, pl, &pol, err, sizeof err) != RATLS_OK : !(pol = ratls_policy_new())) {
        fprintf(stderr, "ratls: %s: %s\n", policy ? policy : "policy", err);
        goto out;
    }
    if (ratls_evidence_set_tls_cert(ev, kbuf, kl) != RATLS_OK) {
        fprintf(stderr, "ratls: %s is not a certificate (PEM or DER)\n", cert ? cert : "the saved certificate");
        goto out;
    }
    if (ratls_evidence_set_nonce(ev, nb, nl) != RATLS_OK)
        goto out;
    if (root && cli_trust_test_root(v, root, 0))
        goto out;
    if (!cbuf) { /* fetched through the caches */
        if (!(src = cli_source_new(&so)))
            goto out;
        ratls_verifier_set_collateral_source(v, src);
    }
    rc = EXIT_REJECTED;
    ratls_status s = ratls_evidence_set_dstack_response(ev, rbuf, rl, err, sizeof err);
    if (s == RATLS_OK && cbuf)
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
    free(nb);
    ratls_result_free(res);
    ratls_collateral_free(coll);
    ratls_collateral_source_free(src);
    ratls_policy_free(pol);
    ratls_verifier_free(v);
    ratls_evidence_free(ev);
    return rc;
}
