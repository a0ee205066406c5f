#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "cli.h"

int cli_read_file(const char *path, size_t cap, uint8_t **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "ratls: cannot open %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t n = 0, c = 4096;
    uint8_t *b = malloc(c);
    if (!b) {
        fclose(f);
        fprintf(stderr, "ratls: out of memory reading %s\n", path);
        return -1;
    }
    for (;;) {
        if (n == c) {
            if (c >= cap) {
                fprintf(stderr, "ratls: %s is larger than %zu bytes\n", path, cap);
                free(b);
                fclose(f);
                return -1;
            }
            c *= 2;
            uint8_t *nb = realloc(b, c);
            if (!nb) {
                free(b);
                fclose(f);
                fprintf(stderr, "ratls: out of memory reading %s\n", path);
                return -1;
            }
            b = nb;
        }
        size_t r = fread(b + n, 1, c - n, f);
        n += r;
        if (r == 0)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        fprintf(stderr, "ratls: cannot read %s\n", path);
        free(b);
        return -1;
    }
    *out = b;
    *len = n;
    return 0;
}

int cli_path_and_json(int argc, char **argv, int first, const char **path, int *json)
{
    *path = NULL;
    *json = 0;
    for (int i = first; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            *json = 1;
        else if (argv[i][0] != '-' && !*path)
            *path = argv[i];
        else
            return -1;
    }
    return *path ? 0 : -1;
}

int cli_read_quote(const char *path, uint8_t **out, size_t *len)
{
    uint8_t *raw;
    size_t n;
    if (cli_read_file(path, 4u * RATLS_TDX_MAX_QUOTE_LEN, &raw, &n))
        return -1;
    if (n == 0) {
        fprintf(stderr, "ratls: %s is empty\n", path);
        free(raw);
        return -1;
    }
    /* Hex text if it decodes as such (optional 0x, whitespace ignored);
     * anything else is taken as a binary quote and left to the parser. */
    uint8_t *bin;
    size_t bl;
    if (ratls_hex_decode_relaxed((const char *)raw, n, &bin, &bl) == RATLS_OK) {
        free(raw);
        *out = bin;
        *len = bl;
        return 0;
    }
    *out = raw;
    *len = n;
    return 0;
}

int cli_write_file(const char *path, const void *buf, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(buf, 1, len, f) != len) {
        fprintf(stderr, "ratls: cannot write %s: %s\n", path, strerror(errno));
        if (f)
            fclose(f);
        return -1;
    }
    if (fclose(f) != 0) {
        fprintf(stderr, "ratls: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

int cli_parse_time(const char *s, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < 0)
        return -1;
    *out = (int64_t)v;
    return 0;
}

static void fmt_time(int64_t t, char out[32])
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm) || !strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(out, 32, "%lld", (long long)t);
}

/* A check that passed or was skipped only because of an insecure switch:
 * the library's details say so ("INSECURE test root", "allowed INSECURELY",
 * "insecure switch"). */
static int relies_on_insecure(const ratls_result *r, size_t i, const char **id)
{
    const char *detail;
    ratls_check_outcome o;
    if (ratls_result_check(r, i, id, &o, &detail) != RATLS_OK || o == RATLS_CHECK_FAIL || !detail)
        return 0;
    for (const char *p = detail; *p; p++)
        if (strncasecmp(p, "insecure", 8) == 0)
            return 1;
    return 0;
}

/* Those checks, comma-separated. */
static size_t insecure_checks(const ratls_result *r, char *out, size_t cap)
{
    size_t n = ratls_result_check_count(r), k = 0, used = 0;
    out[0] = 0;
    for (size_t i = 0; i < n; i++) {
        const char *id;
        if (!relies_on_insecure(r, i, &id))
            continue;
        int w = snprintf(out + used, cap - used, "%s%s", k ? ", " : "", id);
        if (w > 0 && (size_t)w < cap - used)
            used += (size_t)w;
        k++;
    }
    return k;
}

void cli_print_checklist(const ratls_result *r, const char *title, int64_t now)
{
    char t[32];
    fmt_time(now, t);
    printf("%s (at %s)\n", title, t);
    size_t n = ratls_result_check_count(r);
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        const char *id;
        if (ratls_result_check(r, i, &id, NULL, NULL) == RATLS_OK && strlen(id) > w)
            w = strlen(id);
    }
    for (size_t i = 0; i < n; i++) {
        const char *id, *detail;
        ratls_check_outcome o;
        if (ratls_result_check(r, i, &id, &o, &detail) != RATLS_OK)
            continue;
        const char *tag = o == RATLS_CHECK_PASS ? "pass" : o == RATLS_CHECK_FAIL ? "FAIL" : "skip";
        printf("  [%s] %-*s  %s\n", tag, (int)w, id, detail);
    }
    const char *ts = ratls_result_tcb_status(r);
    if (ratls_result_tee(r) != RATLS_TEE_SEV_SNP) /* SEV-SNP has no TCB status: snp.tcb and snp.policy judge it */
        printf("TCB status:  %s\n", ts ? ts : "(not evaluated)");
    int nskip = 0;
    for (size_t i = 0; i < n; i++) {
        const char *id;
        ratls_check_outcome o;
        if (ratls_result_check(r, i, &id, &o, NULL) == RATLS_OK && o == RATLS_CHECK_SKIP)
            printf("%s%s", nskip++ ? ", " : "Skipped:     ", id);
    }
    if (nskip)
        printf("  (not verified)\n");
    size_t na = ratls_result_advisory_count(r);
    printf("Advisories:  ");
    if (!na)
        printf("none");
    for (size_t i = 0; i < na; i++)
        printf("%s%s", i ? ", " : "", ratls_result_advisory(r, i));
    printf("\n");
    if (ratls_result_collateral_expiry(r)) {
        char a[32], b[32];
        fmt_time(ratls_result_collateral_valid_from(r), a);
        fmt_time(ratls_result_collateral_expiry(r), b);
        printf("Collateral:  valid %s .. %s\n", a, b);
    }
    if (ratls_result_used_insecure_root(r))
        printf("WARNING:     verified against an INSECURE test root, not %s: this proves nothing about real "
               "hardware\n",
               ratls_result_tee(r) == RATLS_TEE_SEV_SNP ? "AMD's ARK" : "Intel's");
    char weak[512];
    if (ratls_result_verified(r) && insecure_checks(r, weak, sizeof weak))
        printf("Verdict:     VERIFIED, relying on INSECURE switches for: %s\n", weak);
    else if (ratls_result_verified(r))
        printf("Verdict:     VERIFIED\n");
    else
        printf("Verdict:     NOT VERIFIED — %s\n", ratls_result_error(r) ? ratls_result_error(r) : "unknown error");
}

void cli_print_json(const ratls_result *r, int64_t now)
{
    char *s = NULL;
    if (ratls_result_to_json(r, &s) != RATLS_OK) {
        cli_print_error_json("out of memory");
        return;
    }
    json_error_t je;
    json_t *o = json_loads(s, 0, &je);
    ratls_free_string(s);
    if (!o) {
        cli_print_error_json("internal error");
        return;
    }
    json_object_set_new(o, "verified_at", json_integer(now));
    /* the checks that passed or were skipped only by an insecure switch */
    json_t *ins = json_array();
    size_t n = ratls_result_check_count(r);
    for (size_t i = 0; ins && i < n; i++) {
        const char *id;
        if (relies_on_insecure(r, i, &id))
            json_array_append_new(ins, json_string(id));
    }
    if (ins)
        json_object_set_new(o, "insecure_checks", ins);
    char *out = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (out)
        printf("%s\n", out);
    free(out);
    json_decref(o);
}

void cli_print_error_json(const char *msg)
{
    json_t *o =
        json_pack("{s:b, s:n, s:[], s:[], s:s}", "verified", 0, "tcb_status", "advisory_ids", "checks", "error", msg);
    char *out = o ? json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    if (out)
        printf("%s\n", out);
    free(out);
    json_decref(o);
}

void cli_hex(const uint8_t *b, size_t n, char *out)
{
    static const char d[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = d[b[i] >> 4];
        out[2 * i + 1] = d[b[i] & 15];
    }
    out[2 * n] = 0;
}

int cli_report(const ratls_result *res, ratls_status s, int json, const char *title, int64_t now)
{
    if (json)
        cli_print_json(res, now);
    else
        cli_print_checklist(res, title, now);
    return s == RATLS_OK && ratls_result_verified(res) ? EXIT_VERIFIED : EXIT_REJECTED;
}

int cli_opt_at(const char *val, int64_t *now)
{
    if (cli_parse_time(val, now) == 0)
        return 0;
    fprintf(stderr, "ratls: --at takes Unix seconds, not \"%s\"\n", val);
    return -1;
}

int cli_trust_test_root(ratls_verifier *v, const char *path, int warn)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    if (cli_read_file(path, 1u << 16, &buf, &len))
        return -1;
    ratls_status s = ratls_verifier_set_tdx_root_insecure(v, buf, len);
    free(buf);
    if (s != RATLS_OK) {
        fprintf(stderr, "ratls: %s is not a certificate\n", path);
        return -1;
    }
    if (warn)
        fprintf(stderr, "ratls: WARNING: trusting the INSECURE test root %s instead of Intel's\n", path);
    return 0;
}
