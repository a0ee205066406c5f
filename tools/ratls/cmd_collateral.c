/* ratls collateral fetch, and the collateral-source options shared by the
 * verifying commands (--pccs-url, --offline, --cache-dir, ...). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

const char *const cli_source_usage =
    "  collateral (when no --collateral FILE is given): Intel PCS through a memory and a disk cache, or\n"
    "    --pccs-url URL         a PCCS (http or https) instead of Intel PCS\n"
    "    --pcs-url URL          Intel PCS or a service with its paths (default https://api.trustedservices.intel.com)\n"
    "    --root-ca-crl-url URL  where a PCS-style service's root CA CRL is (default Intel's distribution point)\n"
    "    --kds-url URL          AMD KDS or a service with its paths, for SEV-SNP (default https://kdsintf.amd.com)\n"
    "    --offline              never touch the network: caches only\n"
    "    --cache-dir DIR        on-disk cache (default $XDG_CACHE_HOME/ratls or ~/.cache/ratls)\n"
    "    --no-disk-cache        memory cache only\n"
    "    --fetch-timeout MS     per-request timeout (default 20000; connect 5000)\n"
    "    --pccs-no-tls-verify   do not check the PCCS TLS certificate (items are still signature-verified)\n"
    "    --quiet                no progress lines on stderr\n";

int cli_source_opt(cli_source_opts *o, int argc, char **argv, int i)
{
    const char *a = argv[i];
    const char *val = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--offline") == 0) {
        o->offline = 1;
        return 1;
    }
    if (strcmp(a, "--no-disk-cache") == 0) {
        o->no_disk = 1;
        return 1;
    }
    if (strcmp(a, "--pccs-no-tls-verify") == 0) {
        o->no_tls_verify = 1;
        return 1;
    }
    if (strcmp(a, "--quiet") == 0) {
        o->quiet = 1;
        return 1;
    }
    if (!val)
        return 0;
    if (strcmp(a, "--pccs-url") == 0)
        o->pccs_url = val;
    else if (strcmp(a, "--pcs-url") == 0)
        o->pcs_url = val;
    else if (strcmp(a, "--root-ca-crl-url") == 0)
        o->root_crl_url = val;
    else if (strcmp(a, "--kds-url") == 0)
        o->kds_url = val;
    else if (strcmp(a, "--cache-dir") == 0)
        o->cache_dir = val;
    else if (strcmp(a, "--fetch-timeout") == 0) {
        int64_t ms;
        if (cli_parse_time(val, &ms) || ms <= 0 || ms > 600000) {
            fprintf(stderr, "ratls: --fetch-timeout takes milliseconds (1..600000), not \"%s\"\n", val);
            return -1;
        }
        o->timeout_ms = (long)ms;
    } else
        return 0;
    return 2;
}

static void progress(void *arg, ratls_log_level lvl, const char *msg)
{
    (void)arg;
    if (lvl >= RATLS_LOG_INFO)
        fprintf(stderr, "ratls: %s%s\n", lvl == RATLS_LOG_WARN ? "warning: " : "", msg);
}

ratls_collateral_source *cli_source_new(const cli_source_opts *o)
{
    if (o->pccs_url && o->pcs_url) {
        fprintf(stderr, "ratls: give --pccs-url or --pcs-url, not both\n");
        return NULL;
    }
    ratls_collateral_source *s = ratls_collateral_source_new();
    if (!s)
        return NULL;
    char dir[1100] = "";
    if (o->cache_dir) {
        snprintf(dir, sizeof dir, "%s", o->cache_dir);
    } else {
        const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
        if (xdg && xdg[0] == '/')
            snprintf(dir, sizeof dir, "%s/ratls", xdg);
        else if (home && home[0] == '/')
            snprintf(dir, sizeof dir, "%s/.cache/ratls", home);
    }
    const char *bad = NULL;
    if (o->pccs_url && ratls_collateral_source_set_pccs_url(s, o->pccs_url) != RATLS_OK)
        bad = o->pccs_url;
    if (o->pcs_url && ratls_collateral_source_set_pcs_url(s, o->pcs_url) != RATLS_OK)
        bad = o->pcs_url;
    if (o->root_crl_url && ratls_collateral_source_set_root_ca_crl_url(s, o->root_crl_url) != RATLS_OK)
        bad = o->root_crl_url;
    if (o->kds_url && ratls_collateral_source_set_kds_url(s, o->kds_url) != RATLS_OK)
        bad = o->kds_url;
    if (bad) {
        fprintf(stderr, "ratls: \"%s\" is not an http:// or https:// URL without a query\n", bad);
        ratls_collateral_source_free(s);
        return NULL;
    }
    if (!o->no_disk && dir[0] && ratls_collateral_source_set_cache_dir(s, dir) != RATLS_OK) {
        ratls_collateral_source_free(s);
        return NULL;
    }
    ratls_collateral_source_set_offline(s, o->offline);
    if (o->timeout_ms)
        ratls_collateral_source_set_timeouts(s, o->timeout_ms < 5000 ? o->timeout_ms : 5000, o->timeout_ms);
    if (o->no_tls_verify)
        ratls_collateral_source_set_tls_verify(s, 0);
    if (!o->quiet)
        ratls_collateral_source_set_log(s, progress, NULL);
    return s;
}

static void usage_collateral(void)
{
    fprintf(stderr,
            "usage: ratls collateral fetch QUOTE [--pccs-url URL] [-o FILE] [--at UNIX_SECONDS]\n"
            "                                    [--insecure-test-root ROOT.pem] [source options]\n"
            "Writes the quote's collateral (QuoteCollateralV3 JSON), every item verified, to FILE or stdout.\n%s",
            cli_source_usage);
}

static int collateral_fetch(int argc, char **argv)
{
    const char *path = NULL, *out = NULL, *root_path = NULL;
    int64_t now = (int64_t)time(NULL);
    cli_source_opts so;
    memset(&so, 0, sizeof so);
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        int k = cli_source_opt(&so, argc, argv, i);
        if (k < 0)
            return EXIT_USAGE;
        if (k > 0) {
            i += k - 1;
        } else if ((strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) && val) {
            out = val;
            i++;
        } else if (strcmp(a, "--at") == 0 && val) {
            if (cli_opt_at(val, &now))
                return EXIT_USAGE;
            i++;
        } else if (strcmp(a, "--insecure-test-root") == 0 && val) {
            root_path = val;
            i++;
        } else if (a[0] != '-' && !path) {
            path = a;
        } else {
            usage_collateral();
            return EXIT_USAGE;
        }
    }
    if (!path) {
        usage_collateral();
        return EXIT_USAGE;
    }
    int rc = EXIT_USAGE;
    uint8_t *qbuf = NULL;
    size_t qlen = 0;
    ratls_verifier *v = NULL;
    ratls_collateral_source *src = NULL;
    ratls_collateral *coll = NULL;
    char *json = NULL;
    if (cli_read_quote(path, &qbuf, &qlen))
        goto done;
    if (!(v = ratls_verifier_new()) || !(src = cli_source_new(&so)))
        goto done;
    if (root_path && cli_trust_test_root(v, root_path, 0))
        goto done;
    ratls_verifier_set_collateral_source(v, src);
    char err[768] = "";
    ratls_status s = ratls_verifier_fetch_collateral(v, qbuf, qlen, NULL, now, &coll, err, sizeof err);
    if (s) {
        fprintf(stderr, "ratls: no collateral for %s: %s\n", path, err[0] ? err : ratls_status_str(s));
        rc = EXIT_REJECTED;
        goto done;
    }
    if (ratls_collateral_to_json(coll, &json) != RATLS_OK)
        goto done;
    size_t jl = strlen(json);
    if (out) {
        json[jl] = '\n';
        rc = cli_write_file(out, json, jl + 1) ? EXIT_USAGE : 0;
        json[jl] = 0;
        if (rc == 0 && !so.quiet)
            fprintf(stderr, "ratls: wrote the collateral for FMSPC %s to %s\n", ratls_collateral_fmspc(coll), out);
    } else {
        printf("%s\n", json);
        rc = 0;
    }
done:
    ratls_free_string(json);
    ratls_collateral_free(coll);
    ratls_collateral_source_free(src);
    ratls_verifier_free(v);
    free(qbuf);
    return rc;
}

int cmd_collateral(int argc, char **argv)
{
    if (argc >= 1 && strcmp(argv[0], "fetch") == 0)
        return collateral_fetch(argc - 1, argv + 1);
    usage_collateral();
    return EXIT_USAGE;
}
