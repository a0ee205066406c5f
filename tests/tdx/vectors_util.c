#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "vectors_util.h"

const char *vec_dir(void)
{
    static int warned;
    const char *d = getenv("RATLS_VECTORS");
    if (!d || !*d)
        d = RATLS_VECTORS_DIR;
    struct stat st;
    if (stat(d, &st) != 0 || !S_ISDIR(st.st_mode)) {
        if (!warned)
            printf("SKIP: shared vectors folder %s is missing; third-party vector tests skipped\n", d);
        warned = 1;
        return NULL;
    }
    return d;
}

int vec_read(const char *rel, uint8_t **buf, size_t *len)
{
    const char *d = vec_dir();
    if (!d)
        return -1;
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", d, rel);
    FILE *f = fopen(p, "rb");
    if (!f)
        return -1;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    if (n < 0) {
        fclose(f);
        return -1;
    }
    *buf = malloc((size_t)n + 1);
    if (!*buf || fread(*buf, 1, (size_t)n, f) != (size_t)n) {
        free(*buf);
        fclose(f);
        return -1;
    }
    (*buf)[n] = 0;
    *len = (size_t)n;
    fclose(f);
    return 0;
}

int vec_read_quote(const char *spec, uint8_t **buf, size_t *len)
{
    char path[512];
    snprintf(path, sizeof path, "%s", spec);
    char *field = strchr(path, '#');
    if (field)
        *field++ = 0;
    uint8_t *raw;
    size_t n;
    if (vec_read(path, &raw, &n))
        return -1;
    if (field) {
        json_error_t je;
        json_t *o = json_loadb((const char *)raw, n, 0, &je);
        free(raw);
        json_t *v = o ? json_object_get(o, field) : NULL;
        int rc = -1;
        if (v && json_is_string(v))
            rc = ratls_hex_decode_relaxed(json_string_value(v), json_string_length(v), buf, len) == RATLS_OK ? 0 : -1;
        json_decref(o);
        return rc;
    }
    if (n >= 2 && (raw[0] == 4 || raw[0] == 5) && raw[1] == 0) {
        *buf = raw;
        *len = n;
        return 0;
    }
    int rc = ratls_hex_decode_relaxed((const char *)raw, n, buf, len) == RATLS_OK ? 0 : -1;
    free(raw);
    return rc;
}

int vec_cases(vec_case **out)
{
    uint8_t *raw;
    size_t n;
    if (vec_read("tdx/cases.tsv", &raw, &n))
        return -1;
    vec_case *cs = NULL;
    int count = 0;
    char *save = NULL;
    for (char *line = strtok_r((char *)raw, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#' || !line[0])
            continue;
        vec_case c;
        memset(&c, 0, sizeof c);
        char t[32];
        if (sscanf(line, "%63[^\t]\t%255[^\t]\t%255[^\t]\t%31[^\t]\t%63[^\t]\t%d", c.name, c.quote, c.collateral, t,
                   c.expected, &c.exit_code) != 6)
            continue;
        c.time = strtoll(t, NULL, 10);
        vec_case *ncs = realloc(cs, (size_t)(count + 1) * sizeof *cs);
        if (!ncs)
            break;
        cs = ncs;
        cs[count++] = c;
    }
    free(raw);
    *out = cs;
    return count;
}

ratls_status vec_verify(ratls_verifier *v, const uint8_t *q, size_t qlen, const ratls_collateral *c,
                        const ratls_policy *p, int64_t at, ratls_result **res)
{
    ratls_evidence *ev = ratls_evidence_new();
    ratls_policy *own = NULL;
    if (!p)
        p = own = ratls_policy_new();
    ratls_status s = ratls_evidence_set_tdx_quote(ev, q, qlen);
    if (s == RATLS_OK)
        s = ratls_verify(v, ev, c, p, at, res);
    ratls_evidence_free(ev);
    ratls_policy_free(own);
    return s;
}
