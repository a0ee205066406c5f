/* ratls quote show | verify */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

static void usage_quote(void)
{
    fprintf(stderr,
            "usage: ratls quote show QUOTE [--json]\n"
            "       ratls quote verify QUOTE [--collateral FILE] [--at UNIX_SECONDS] [--allow-status S1,S2]\n"
            "                          [--deny-advisory ID]... [--allow-advisory ID]...\n"
            "                          [--min-tcb-evaluation-number N] [--collateral-grace-insecure SECONDS]\n"
            "                          [--allow-debug-insecure] [--allow-sept-ve-insecure] [--allow-mrservicetd]\n"
            "                          [--insecure-test-root ROOT.pem] [--json] [source options]\n%s",
            cli_source_usage);
}

static int quote_show(int argc, char **argv)
{
    const char *path;
    int json;
    if (cli_path_and_json(argc, argv, 0, &path, &json)) {
        usage_quote();
        return EXIT_USAGE;
    }
    uint8_t *buf;
    size_t len;
    if (cli_read_quote(path, &buf, &len))
        return EXIT_USAGE;
    ratls_tdx_quote *q = NULL;
    char err[512] = "";
    ratls_status s = ratls_tdx_quote_parse(buf, len, &q, err, sizeof err);
    free(buf);
    if (s) {
        fprintf(stderr, "ratls: %s: not a valid TDX quote: %s\n", path, err[0] ? err : ratls_status_str(s));
        return EXIT_REJECTED;
    }
    char *j = NULL;
    if (ratls_tdx_quote_to_json(q, &j) != RATLS_OK) {
        ratls_tdx_quote_free(q);
        return EXIT_REJECTED;
    }
    if (json) {
        printf("%s\n", j);
    } else {
        const ratls_tdx_report *t = ratls_tdx_quote_report(q);
        char h[2 * 64 + 1];
        printf("TDX quote v%u, %s body, %zu bytes\n", t->quote_version, t->body_type == 3 ? "TD 1.5" : "TD 1.0", len);
        cli_hex(t->tee_tcb_svn, 16, h);
        printf("  TEE_TCB_SVN      %s\n", h);
        cli_hex(t->mr_seam, 48, h);
        printf("  MRSEAM           %s\n", h);
        cli_hex(t->mr_signer_seam, 48, h);
        printf("  MRSIGNERSEAM     %s\n", h);
        cli_hex(t->seam_attributes, 8, h);
        printf("  SEAMATTRIBUTES   %s\n", h);
        cli_hex(t->td_attributes, 8, h);
        printf("  TDATTRIBUTES     %s%s%s\n", h, (t->td_attributes[0] & 1) ? "  (DEBUG)" : "",
               (t->td_attributes[3] & 0x10) ? "  (SEPT_VE_DISABLE)" : "");
        cli_hex(t->xfam, 8, h);
        printf("  XFAM             %s\n", h);
        cli_hex(t->mr_td, 48, h);
        printf("  MRTD             %s\n", h);
        cli_hex(t->mr_config_id, 48, h);
        printf("  MRCONFIGID       %s\n", h);
        cli_hex(t->mr_owner, 48, h);
        printf("  MROWNER          %s\n", h);
        cli_hex(t->mr_owner_config, 48, h);
        printf("  MROWNERCONFIG    %s\n", h);
        for (int i = 0; i < 4; i++) {
            cli_hex(t->rtmr[i], 48, h);
            printf("  RTMR%d            %s\n", i, h);
        }
        cli_hex(t->report_data, 64, h);
        printf("  REPORTDATA       %s\n", h);
        if (t->body_type == 3) {
            cli_hex(t->tee_tcb_svn2, 16, h);
            printf("  TEE_TCB_SVN2     %s\n", h);
            cli_hex(t->mr_service_td, 48, h);
            printf("  MRSERVICETD      %s\n", h);
        }
        printf("(ratls quote show --json for the signature data and PCK chain)\n");
    }
    ratls_free_string(j);
    ratls_tdx_quote_free(q);
    return 0;
}

static int quote_verify(int argc, char **argv)
{
    const char *path = NULL, *coll_path = NULL, *root_path = NULL;
    int json = 0;
    int64_t now = (int64_t)time(NULL);
    ratls_policy *pol = ratls_policy_new();
    unsigned flags = 0;
    int rc = EXIT_USAGE;
    uint8_t *qbuf = NULL, *cbuf = NULL;
    size_t qlen = 0, clen = 0;
    ratls_collateral *coll = NULL;
    ratls_verifier *v = NULL;
    ratls_evidence *ev = NULL;
    ratls_result *res = NULL;
    ratls_collateral_source *src = NULL;
    cli_source_opts so;
    memset(&so, 0, sizeof so);
    if (!pol)
        return EXIT_USAGE;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!a)
            break;
        int k = cli_source_opt(&so, argc, argv, i);
        if (k < 0)
            goto out;
        if (k > 0) {
            i += k - 1;
        } else if (strcmp(a, "--json") == 0) {
            json = 1;
        } else if (strcmp(a, "--collateral") == 0 && val) {
            coll_path = val;
            i++;
        } else if (strcmp(a, "--at") == 0 && val) {
            if (cli_opt_at(val, &now))
                goto out;
            i++;
        } else if (strcmp(a, "--allow-status") == 0 && val) {
            /* the accepted set is UpToDate plus the statuses named */
            if (ratls_policy_set_tcb_statuses(pol, val) != RATLS_OK ||
                ratls_policy_allow_tcb_status(pol, "UpToDate") != RATLS_OK) {
                fprintf(stderr, "ratls: unknown TCB status in \"%s\"\n", val);
                goto out;
            }
            i++;
        } else if (strcmp(a, "--deny-advisory") == 0 && val) {
            if (ratls_policy_deny_advisory(pol, val) != RATLS_OK)
                goto out;
            i++;
        } else if (strcmp(a, "--allow-advisory") == 0 && val) {
            if (ratls_policy_allow_advisory(pol, val) != RATLS_OK)
                goto out;
            i++;
        } else if (strcmp(a, "--min-tcb-evaluation-number") == 0 && val) {
            int64_t n;
            if (cli_parse_time(val, &n) || n > UINT32_MAX) {
                fprintf(stderr, "ratls: --min-tcb-evaluation-number takes a number, not \"%s\"\n", val);
                goto out;
            }
            ratls_policy_set_min_tcb_evaluation_number(pol, (uint32_t)n);
            i++;
        } else if (strcmp(a, "--collateral-grace-insecure") == 0 && val) {
            int64_t g;
            if (cli_parse_time(val, &g)) {
                fprintf(stderr, "ratls: --collateral-grace-insecure takes seconds, not \"%s\"\n", val);
                goto out;
            }
            ratls_policy_set_collateral_grace_insecure(pol, g);
            i++;
        } else if (strcmp(a, "--allow-debug-insecure") == 0) {
            flags |= RATLS_POLICY_ALLOW_DEBUG_TD_INSECURE;
        } else if (strcmp(a, "--allow-sept-ve-insecure") == 0) {
            flags |= RATLS_POLICY_ALLOW_SEPT_VE_ENABLED_INSECURE;
        } else if (strcmp(a, "--allow-mrservicetd") == 0) {
            flags |= RATLS_POLICY_ALLOW_MRSERVICETD;
        } else if (strcmp(a, "--insecure-test-root") == 0 && val) {
            root_path = val;
            i++;
        } else if (a[0] != '-' && !path) {
            path = a;
        } else {
            usage_quote();
            goto out;
        }
    }
    ratls_policy_set_flags(pol, flags);
    if (!path) {
        usage_quote();
        goto out;
    }
    if (cli_read_quote(path, &qbuf, &qlen) || (coll_path && cli_read_file(coll_path, 1u << 20, &cbuf, &clen)))
        goto out;
    v = ratls_verifier_new();
    ev = ratls_evidence_new();
    if (!v || !ev)
        goto out;
    if (root_path && cli_trust_test_root(v, root_path, !json))
        goto out;
    char err[512] = "";
    ratls_status s = RATLS_OK;
    if (!coll_path) { /* fetched through the caches */
        if (!(src = cli_source_new(&so)))
            goto out;
        ratls_verifier_set_collateral_source(v, src);
    } else {
        s = ratls_collateral_from_json(cbuf, clen, &coll, err, sizeof err);
    }
    if (s) {
        char msg[700];
        snprintf(msg, sizeof msg, "collateral %s: %s", coll_path, err[0] ? err : ratls_status_str(s));
        if (json)
            cli_print_error_json(msg);
        else
            printf("Verdict:     NOT VERIFIED — %s\n", msg);
        rc = EXIT_REJECTED;
        goto out;
    }
    if (ratls_evidence_set_tdx_quote(ev, qbuf, qlen) != RATLS_OK) {
        fprintf(stderr, "ratls: %s: quote is empty or too large\n", path);
        goto out;
    }
    s = ratls_verify(v, ev, coll, pol, now, &res);
    if (!res) {
        fprintf(stderr, "ratls: verification could not run: %s\n", ratls_status_str(s));
        rc = EXIT_REJECTED;
        goto out;
    }
    char title[600];
    snprintf(title, sizeof title, "ratls quote verify %s", path);
    rc = cli_report(res, s, json, title, now);
out:
    free(qbuf);
    free(cbuf);
    ratls_result_free(res);
    ratls_evidence_free(ev);
    ratls_verifier_free(v);
    ratls_collateral_free(coll);
    ratls_collateral_source_free(src);
    ratls_policy_free(pol);
    return rc;
}

int cmd_quote(int argc, char **argv)
{
    if (argc < 1) {
        usage_quote();
        return EXIT_USAGE;
    }
    if (strcmp(argv[0], "show") == 0)
        return quote_show(argc - 1, argv + 1);
    if (strcmp(argv[0], "verify") == 0)
        return quote_verify(argc - 1, argv + 1);
    usage_quote();
    return EXIT_USAGE;
}
