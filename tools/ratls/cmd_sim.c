/* ratls sim generate | ratls demo: quotes and collateral from the project's
 * own simulated Intel PKI (src/testpki). Nothing here touches real hardware. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"
#include "testpki/testpki.h"

typedef struct scenario_def {
    const char *name;
    const char *what;
    void (*apply)(tp_scenario *s);
} scenario_def;

static void sc_default(tp_scenario *s) { (void)s; }
static void sc_debug(tp_scenario *s) { s->report.td_attributes[0] |= 1; }
static void sc_outofdate(tp_scenario *s)
{
    /* the platform's TDX module is older than Intel's newest level */
    s->report.tee_tcb_svn[0] = 2;
    s->modules[0].levels[0].isvsvn = 3;
}
static void sc_revoked(tp_scenario *s) { s->revoke_pck = 1; }
static void sc_expired(tp_scenario *s)
{
    s->tcbinfo_window.from_off = -40 * 86400;
    s->tcbinfo_window.to_off = -10 * 86400;
}
static void sc_td15(tp_scenario *s)
{
    s->quote_version = 5;
    s->body_type = 3;
}

static const scenario_def k_scenarios[] = {
    {"default", "genuine quote, UpToDate, every check passes", sc_default},
    {"td15", "v5 quote with a TD 1.5 body, UpToDate", sc_td15},
    {"debug-td", "the TD runs with DEBUG set", sc_debug},
    {"out-of-date", "the TDX module SVN is below Intel's latest level", sc_outofdate},
    {"revoked-pck", "the PCK certificate is listed in the PCK CRL", sc_revoked},
    {"expired-tcb-info", "the TCB Info's nextUpdate has passed", sc_expired},
};

static const scenario_def *find_scenario(const char *name)
{
    for (size_t i = 0; i < sizeof k_scenarios / sizeof k_scenarios[0]; i++)
        if (strcmp(k_scenarios[i].name, name) == 0)
            return &k_scenarios[i];
    return NULL;
}

static void usage_sim(void)
{
    fprintf(stderr, "usage: ratls sim generate --out DIR [--scenario NAME] [--at UNIX_SECONDS]\n"
                    "       ratls sim [--port N] [--misbehave MODE] ... (the simulated server: ratls sim --help)\n"
                    "scenarios:\n");
    for (size_t i = 0; i < sizeof k_scenarios / sizeof k_scenarios[0]; i++)
        fprintf(stderr, "  %-18s %s\n", k_scenarios[i].name, k_scenarios[i].what);
}

static int generate(const scenario_def *sd, int64_t now, tp_output *out)
{
    tp_scenario s;
    tp_scenario_default(&s, now);
    sd->apply(&s);
    if (tp_generate(&s, out) != 0) {
        fprintf(stderr, "ratls: generating the simulated quote failed\n");
        return -1;
    }
    return 0;
}

int cmd_sim(int argc, char **argv)
{
    if (argc < 1 || strncmp(argv[0], "--", 2) == 0) /* the simulated server */
        return cmd_sim_server(argc, argv);
    if (strcmp(argv[0], "generate") != 0) {
        usage_sim();
        return EXIT_USAGE;
    }
    const char *dir = NULL;
    const scenario_def *sd = &k_scenarios[0];
    int64_t now = (int64_t)time(NULL);
    for (int i = 1; i < argc; i++) {
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(argv[i], "--out") == 0 && val) {
            dir = val;
            i++;
        } else if (strcmp(argv[i], "--scenario") == 0 && val) {
            sd = find_scenario(val);
            if (!sd) {
                fprintf(stderr, "ratls: unknown scenario \"%s\"\n", val);
                usage_sim();
                return EXIT_USAGE;
            }
            i++;
        } else if (strcmp(argv[i], "--at") == 0 && val) {
            if (cli_parse_time(val, &now)) {
                usage_sim();
                return EXIT_USAGE;
            }
            i++;
        } else {
            usage_sim();
            return EXIT_USAGE;
        }
    }
    if (!dir) {
        usage_sim();
        return EXIT_USAGE;
    }
    mkdir(dir, 0755);
    tp_output out;
    memset(&out, 0, sizeof out);
    if (generate(sd, now, &out))
        return EXIT_REJECTED;
    char p[4096];
    int rc = 0;
    snprintf(p, sizeof p, "%s/quote.bin", dir);
    rc |= cli_write_file(p, out.quote, out.quote_len);
    snprintf(p, sizeof p, "%s/collateral.json", dir);
    rc |= cli_write_file(p, out.collateral_json, out.collateral_len);
    snprintf(p, sizeof p, "%s/root.pem", dir);
    rc |= cli_write_file(p, out.root_pem, strlen(out.root_pem));
    tp_output_free(&out);
    if (rc)
        return EXIT_USAGE;
    printf("wrote %s/quote.bin, %s/collateral.json and %s/root.pem (scenario \"%s\": %s)\n"
           "verify with: ratls quote verify %s/quote.bin --collateral %s/collateral.json --at %lld "
           "--insecure-test-root %s/root.pem\n",
           dir, dir, dir, sd->name, sd->what, dir, dir, (long long)now, dir);
    return 0;
}

/* The README's first command: make a quote under the simulated PKI and verify
 * it, printing the checklist; then show that without the explicit insecure
 * test root the same evidence is rejected. */
int cmd_demo(int argc, char **argv)
{
    int json = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else {
            fprintf(stderr, "usage: ratls demo [--json]\n");
            return EXIT_USAGE;
        }
    }
    int64_t now = (int64_t)time(NULL);
    tp_output out;
    memset(&out, 0, sizeof out);
    if (generate(&k_scenarios[0], now, &out))
        return EXIT_REJECTED;
    int rc = EXIT_REJECTED;
    ratls_verifier *v = ratls_verifier_new(), *strict = ratls_verifier_new();
    ratls_policy *pol = ratls_policy_new();
    ratls_evidence *ev = ratls_evidence_new();
    ratls_collateral *coll = NULL;
    ratls_result *res = NULL, *res2 = NULL;
    char err[512] = "";
    if (!v || !strict || !pol || !ev || ratls_evidence_set_tdx_quote(ev, out.quote, out.quote_len) != RATLS_OK ||
        ratls_verifier_set_tdx_root_insecure(v, out.root_der, out.root_der_len) != RATLS_OK ||
        ratls_collateral_from_json((const uint8_t *)out.collateral_json, out.collateral_len, &coll, err, sizeof err) !=
            RATLS_OK) {
        fprintf(stderr, "ratls: demo set-up failed %s\n", err);
        goto out;
    }
    ratls_status s = ratls_verify(v, ev, coll, pol, now, &res);
    ratls_status s2 = ratls_verify(strict, ev, coll, pol, now, &res2);
    if (!res || !res2)
        goto out;
    if (json) {
        cli_print_json(res, now);
    } else {
        printf("Simulated TDX quote (%zu bytes) and collateral from the project's test PKI.\n\n", out.quote_len);
        cli_print_checklist(res, "ratls quote verify (simulated quote, --insecure-test-root)", now);
        printf("\nThe same evidence without the insecure test root (only Intel's pinned root is trusted):\n  %s\n",
               ratls_result_error(res2) ? ratls_result_error(res2) : "VERIFIED (unexpected!)");
    }
    rc = (s == RATLS_OK && s2 == RATLS_ERR_UNTRUSTED_ROOT) ? EXIT_VERIFIED : EXIT_REJECTED;
out:
    ratls_result_free(res);
    ratls_result_free(res2);
    ratls_collateral_free(coll);
    ratls_evidence_free(ev);
    ratls_policy_free(pol);
    ratls_verifier_free(v);
    ratls_verifier_free(strict);
    tp_output_free(&out);
    return rc;
}
