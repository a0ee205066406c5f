/* SEV-SNP report in the JSON form of the blyss service (virtee `sev` 1.x
 * serde of AttestationReport) back to the raw bytes the signature covers.
 *
 * The JSON is untrusted and only a carrier: every field is required, written
 * at its offset, and the result goes through the binary parser, which keeps
 * the checks of reserved bytes, versions and bits in one place. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/json_util.h"
#include "base/util.h"
#include "snp/snp.h"

#define SNP_JSON_MAX_LEN (256u * 1024u)
#define SNP_VCEK_B64_MAX (((SNP_CERT_MAX_LEN + 2u) / 3u) * 4u)

typedef enum jkind {
    JK_UINT,  /* little-endian unsigned integer of `len` bytes */
    JK_BYTES, /* array of `len` integers 0..255 */
    JK_TCB,   /* {bootloader, tee, _reserved[4], snp, microcode} */
    JK_SIG    /* {r[72], s[72], _reserved[368]} */
} jkind;

typedef struct jfield {
    const char *name;
    uint16_t off, len;
    jkind kind;
} jfield;

/* virtee sev 1.x AttestationReport, in offset order (confirmed against
 * blyssprivacy/verifier src/blyss_verifier/data/test_full_attestation.json). */
static const jfield report_fields[] = {
    {"version", 0x000, 4, JK_UINT},
    {"guest_svn", 0x004, 4, JK_UINT},
    {"policy", 0x008, 8, JK_UINT},
    {"family_id", 0x010, 16, JK_BYTES},
    {"image_id", 0x020, 16, JK_BYTES},
    {"vmpl", 0x030, 4, JK_UINT},
    {"sig_algo", 0x034, 4, JK_UINT},
    {"current_tcb", 0x038, 8, JK_TCB},
    {"plat_info", 0x040, 8, JK_UINT},
    {"_author_key_en", 0x048, 4, JK_UINT}, /* the whole signer-info word */
    {"_reserved_0", 0x04C, 4, JK_UINT},
    {"report_data", 0x050, 64, JK_BYTES},
    {"measurement", 0x090, 48, JK_BYTES},
    {"host_data", 0x0C0, 32, JK_BYTES},
    {"id_key_digest", 0x0E0, 48, JK_BYTES},
    {"author_key_digest", 0x110, 48, JK_BYTES},
    {"report_id", 0x140, 32, JK_BYTES},
    {"report_id_ma", 0x160, 32, JK_BYTES},
    {"reported_tcb", 0x180, 8, JK_TCB},
    {"_reserved_1", 0x188, 24, JK_BYTES}, /* v3+: CPUID bytes, left to the binary parser */
    {"chip_id", 0x1A0, 64, JK_BYTES},
    {"committed_tcb", 0x1E0, 8, JK_TCB},
    {"current_build", 0x1E8, 1, JK_UINT},
    {"current_minor", 0x1E9, 1, JK_UINT},
    {"current_major", 0x1EA, 1, JK_UINT},
    {"_reserved_2", 0x1EB, 1, JK_UINT},
    {"committed_build", 0x1EC, 1, JK_UINT},
    {"committed_minor", 0x1ED, 1, JK_UINT},
    {"committed_major", 0x1EE, 1, JK_UINT},
    {"_reserved_3", 0x1EF, 1, JK_UINT},
    {"launch_tcb", 0x1F0, 8, JK_TCB},
    {"_reserved_4", 0x1F8, 168, JK_BYTES}, /* v5: mitigation vectors */
    {"signature", 0x2A0, 512, JK_SIG},
};

/* Offsets relative to the TCB_VERSION (Milan/Genoa layout; on Turin the same
 * bytes carry other meanings, which the binary parser sorts out). */
static const jfield tcb_fields[] = {
    {"bootloader", 0, 1, JK_UINT}, {"tee", 1, 1, JK_UINT},       {"_reserved", 2, 4, JK_BYTES},
    {"snp", 6, 1, JK_UINT},        {"microcode", 7, 1, JK_UINT},
};

static const jfield sig_fields[] = {
    {"r", 0, 72, JK_BYTES},
    {"s", 72, 72, JK_BYTES},
    {"_reserved", 144, 368, JK_BYTES},
};

#define NFIELDS(a) (sizeof(a) / sizeof((a)[0]))

static const char *jtype_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a number with a fraction or exponent";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    case JSON_NULL:
    default:
        return "null";
    }
}

/* An unsigned integer of `width` bytes (8: at most 2^63-1, jansson's range). */
static ratls_status get_uint(const json_t *v, const char *path, unsigned width, uint64_t *out, char *err, size_t errlen)
{
    if (!json_is_integer(v))
        return set_err(err, errlen, RATLS_ERR_SNP_REPORT_FORMAT, "report JSON: %s must be an unsigned integer, not %s",
                       path, jtype_name(v));
    json_int_t x = json_integer_value(v);
    if (x < 0)
        return set_err(err, errlen, RATLS_ERR_SNP_REPORT_FORMAT, "report JSON: %s is negative (%lld)", path,
                       (long long)x);
    uint64_t max = width >= 8 ? UINT64_MAX : (UINT64_C(1) << (8 * width)) - 1;
    if ((uint64_t)x > max)
        return set_err(err, errlen, RATLS_ERR_SNP_REPORT_FORMAT,
                       "report JSON: %s is %lld, out of range for %u byte(s) (max %llu)", path, (long long)x, width,
                       (unsigned long long)max);
    *out = (uint64_t)x;
    return RATLS_OK;
}

static ratls_status get_bytes(const json_t *v, const char *path, uint8_t *out, size_t n, char *err, size_t errlen)
{
    if (!json_is_array(v))
        return set_err(err, errlen, RATLS_ERR_SNP_REPORT_FORMAT,
                       "report JSON: %s must be an array of %zu byte values, not %s", path, n, jtype_name(v));
    if (json_array_size(v) != n)
        return set_err(err, errlen, RATLS_ERR_SNP_REPORT_FORMAT, "report JSON: %s has %zu elements, expected %zu", path,
                       json_array_size(v), n);
    for (size_t i = 0; i < n; i++) {
        char ep[96];
        snprintf(ep, sizeof ep, "%s[%zu]", path, i);
        uint64_t b = 0;
        ratls_status s = get_uint(json_array_get(v, i), ep, 1, &b, err, errlen);
        if (s != RATLS_OK)
            return s;
        out[i] = (uint8_t)b;
    }
    return RATLS_OK;
}

/* Untrusted text for a message: printable ASCII only (it may end up in JSON
 * or on a terminal), cut with "..." to fit cap. */
static void printable_copy(const char *in, char *out, size_t cap)
{
    size_t n = 0;
    for (; in[n] && n + 4 < cap; n++)
        out[n] = in[n] >= 0x20 && in[n] <= 0x7e ? in[n] : '?';
    if (in[n] && n + 4 >= cap) {
        memcpy(out + n, "...", 3);
        n += 3;
    }
    out[n] = 0;
}

/* Keys of o outside `known` (and the `extra` names, NULL-terminated) are errors. */
static ratls_status no_unknown_keys(const json_t *o, const char *where, const jfield *known, size_t nknown,
                                    const char *const *extra, char *err, size_t errlen)
{
    const char *key;
    const json_t *val;
    json_object_foreach((json_t *)o, key, val)
    {
        (void)val;
        int ok = 0;
        for (size_t i = 0; i < nknown && !ok; i++)
            ok = strcmp(key, known[i].name) == 0;
        for (size_t i = 0; extra && extra[i] && !ok; i++)
            ok = strcmp(key, extra[i]) == 0;
        if (!ok) {
            char shown[68];
            printable_copy(key, shown, sizeof shown);
            return set_err(err, errlen, RATLS_ERR_SNP_REPORT_FORMAT, "report JSON: unknown key \"%s\" in %s", shown,
                           where);
        }
    }
    return RATLS_OK;
}

static ratls_status get_fields(const json_t *o, const char *prefix, const jfield *f, size_t nf, uint8_t *base,
                               char *err, size_t errlen);

static ratls_status get_field(const json_t *v, const char *path, const jfield *f, uint8_t *base, char *err,
                              size_t errlen)
{
    uint8_t *p = base + f->off;
    switch (f->kind) {
    case JK_UINT: {
        uint64_t x = 0;
        ratls_status s = get_uint(v, path, f->len, &x, err, errlen);
        if (s != RATLS_OK)
            return s;
        for (unsigned i = 0; i < f->len; i++)
            p[i] = (uint8_t)(x >> (8 * i));
        return RATLS_OK;
    }
    case JK_BYTES:
        return get_bytes(v, path, p, f->len, err, errlen);
    case JK_TCB:
    case JK_SIG: {
        const jfield *sub = f->kind == JK_TCB ? tcb_fields : sig_fields;
        size_t nsub = f->kind == JK_TCB ? NFIELDS(tcb_fields) : NFIELDS(sig_fields);
        if (!json_is_object(v))
            return set_err(err, errlen, RATLS_ERR_SNP_REPORT_FORMAT, "report JSON: %s must be an object, not %s", path,
                           jtype_name(v));
        ratls_status s = no_unknown_keys(v, path, sub, nsub, NULL, err, errlen);
        if (s != RATLS_OK)
            return s;
        return get_fields(v, path, sub, nsub, p, err, errlen);
    }
    default:
        return set_err(err, errlen, RATLS_ERR_INTERNAL, "report JSON: bad field table");
    }
}

static ratls_status get_fields(const json_t *o, const char *prefix, const jfield *f, size_t nf, uint8_t *base,
                               char *err, size_t errlen)
{
    for (size_t i = 0; i < nf; i++) {
        char path[64];
        if (prefix)
            snprintf(path, sizeof path, "%s.%s", prefix, f[i].name);
        else
            snprintf(path, sizeof path, "%s", f[i].name);
        const json_t *v = json_object_get(o, f[i].name);
        if (!v)
            return set_err(err, errlen, RATLS_ERR_SNP_REPORT_FORMAT, "report JSON: %s is missing", path);
        ratls_status s = get_field(v, path, &f[i], base, err, errlen);
        if (s != RATLS_OK)
            return s;
    }
    return RATLS_OK;
}

/* Strict base64 as blyss writes it: padding optional, no whitespace, no
 * stray bits; at most SNP_CERT_MAX_LEN bytes decoded. */
static ratls_status get_vcek(const json_t *v, uint8_t **out, size_t *outlen, char *err, size_t errlen)
{
    if (!json_is_string(v))
        return set_err(err, errlen, RATLS_ERR_SNP_REPORT_FORMAT, "report JSON: vcek must be a base64 string, not %s",
                       jtype_name(v));
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (n == 0)
        return set_err(err, errlen, RATLS_ERR_SNP_REPORT_FORMAT, "report JSON: vcek is empty");
    if (n > SNP_VCEK_B64_MAX)
        return set_err(err, errlen, RATLS_ERR_SNP_REPORT_FORMAT,
                       "report JSON: vcek is %zu base64 characters, more than a %u-byte certificate", n,
                       SNP_CERT_MAX_LEN);
    size_t rem = n % 4;
    if (rem == 1 || (rem != 0 && memchr(s, '=', n)))
        return set_err(err, errlen, RATLS_ERR_SNP_REPORT_FORMAT,
                       "report JSON: vcek is not valid base64 (bad length or padding)");
    char *padded = malloc(n + 3);
    uint8_t *der = malloc((n + 3) / 4 * 3);
    if (!padded || !der) {
        free(padded);
        free(der);
        return set_err(err, errlen, RATLS_ERR_NO_MEMORY, "out of memory");
    }
    memcpy(padded, s, n);
    size_t pn = n;
    while (pn % 4)
        padded[pn++] = '=';
    size_t dn = 0;
    int rc = b64_decode(padded, pn, der, &dn);
    free(padded);
    if (rc != 0 || dn == 0 || dn > SNP_CERT_MAX_LEN) {
        free(der);
        return set_err(err, errlen, RATLS_ERR_SNP_REPORT_FORMAT, "report JSON: vcek is %s",
                       rc != 0 ? "not valid base64" : "not a certificate of a plausible size");
    }
    *out = der;
    *outlen = dn;
    return RATLS_OK;
}

/* launch {kernel_cli, num_vcpus}: blyss's launch parameters, not covered by
 * the signature; only its shape is checked here. */
static ratls_status check_launch(const json_t *v, char *err, size_t errlen)
{
    static const char *const launch_keys[] = {"kernel_cli", "num_vcpus", NULL};
    if (!json_is_object(v))
        return set_err(err, errlen, RATLS_ERR_SNP_REPORT_FORMAT, "report JSON: launch must be an object, not %s",
                       jtype_name(v));
    ratls_status s = no_unknown_keys(v, "launch", NULL, 0, launch_keys, err, errlen);
    if (s != RATLS_OK)
        return s;
    const json_t *k = json_object_get(v, "kernel_cli");
    if (k && !json_is_string(k))
        return set_err(err, errlen, RATLS_ERR_SNP_REPORT_FORMAT,
                       "report JSON: launch.kernel_cli must be a string, not %s", jtype_name(k));
    const json_t *c = json_object_get(v, "num_vcpus");
    uint64_t n = 0;
    if (c && (s = get_uint(c, "launch.num_vcpus", 4, &n, err, errlen)) != RATLS_OK)
        return s;
    return RATLS_OK;
}

int snp_report_is_json(const uint8_t *buf, size_t len)
{
    size_t i = 0;
    while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\n' || buf[i] == '\r'))
        i++;
    return i < len && buf[i] == '{';
}

static ratls_status from_obj(const json_t *root, uint8_t raw[RATLS_SNP_REPORT_LEN], uint8_t **vcek, size_t *vcek_len,
                             char *err, size_t errlen)
{
    static const char *const wrapper_keys[] = {"cert_sha256_fingerprint", "cpu_attestation", "gpu_attestation", NULL};
    static const char *const extras[] = {"vcek", "launch", NULL};
    if (!json_is_object(root))
        return set_err(err, errlen, RATLS_ERR_SNP_REPORT_FORMAT, "report JSON: the document must be an object, not %s",
                       jtype_name(root));
    const json_t *o = root;
    const json_t *cpu = json_object_get(root, "cpu_attestation");
    if (cpu) {
        /* the whole blyss response: only the CPU report is read */
        ratls_status s = no_unknown_keys(root, "the blyss response", NULL, 0, wrapper_keys, err, errlen);
        if (s != RATLS_OK)
            return s;
        if (!json_is_object(cpu))
            return set_err(err, errlen, RATLS_ERR_SNP_REPORT_FORMAT,
                           "report JSON: cpu_attestation must be an object, not %s", jtype_name(cpu));
        o = cpu;
    }
    ratls_status s = no_unknown_keys(o, "the report", report_fields, NFIELDS(report_fields), extras, err, errlen);
    if (s != RATLS_OK)
        return s;
    memset(raw, 0, RATLS_SNP_REPORT_LEN);
    if ((s = get_fields(o, NULL, report_fields, NFIELDS(report_fields), raw, err, errlen)) != RATLS_OK)
        return s;
    const json_t *l = json_object_get(o, "launch");
    if (l && (s = check_launch(l, err, errlen)) != RATLS_OK)
        return s;
    const json_t *v = json_object_get(o, "vcek");
    if (v)
        return get_vcek(v, vcek, vcek_len, err, errlen);
    return RATLS_OK;
}

ratls_status ratls_snp_report_from_json(const uint8_t *json, size_t len, uint8_t raw[RATLS_SNP_REPORT_LEN],
                                        uint8_t **vcek, size_t *vcek_len, char *err, size_t errlen)
{
    if (vcek)
        *vcek = NULL;
    if (vcek_len)
        *vcek_len = 0;
    if (!json || !raw || (vcek && !vcek_len))
        return set_err(err, errlen, RATLS_ERR_INVALID_ARGUMENT, "no report JSON or output");
    if (len > SNP_JSON_MAX_LEN)
        return set_err(err, errlen, RATLS_ERR_SNP_REPORT_FORMAT, "report JSON is %zu bytes, more than the %u allowed",
                       len, SNP_JSON_MAX_LEN);
    json_error_t je;
    json_t *root = json_loadb((const char *)json, len, RATLS_JSON_FLAGS, &je);
    if (!root) {
        char why[sizeof je.text];
        printable_copy(je.text, why, sizeof why);
        return set_err(err, errlen, RATLS_ERR_SNP_REPORT_FORMAT, "report JSON: not valid JSON at line %d column %d: %s",
                       je.line, je.column, why);
    }
    uint8_t tmp[RATLS_SNP_REPORT_LEN];
    uint8_t *der = NULL;
    size_t dn = 0;
    ratls_status s = from_obj(root, tmp, &der, &dn, err, errlen);
    json_decref(root);
    if (s != RATLS_OK) {
        free(der);
        return s;
    }
    memcpy(raw, tmp, sizeof tmp);
    if (vcek) {
        *vcek = der;
        *vcek_len = dn;
    } else {
        free(der);
    }
    return RATLS_OK;
}
