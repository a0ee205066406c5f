/* The blyss JSON form of an SEV-SNP report (virtee sev 1.x serde): the real
 * Genoa reports of the blyss verifier (vectors S6/S7, kept as raw bytes and
 * DER) are written back to JSON by a small writer of this test's own, parsed
 * by the library, and must come out byte-identical and verify; then every
 * field is broken in every way the parser must refuse. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "../tdx/vectors_util.h"
#include "snp/snp.h"
#include "snp_synth.h"

#define T_NOW 1780000000 /* inside the blyss VCEKs' validity */
#define BLYSS "snp/blyssprivacy-verifier/derived/"
#define GENOA_CHAIN "snp/google-go-sev-guest/verify/trust/ask_ark_genoa.pem"

/* ---------------- an independent writer ---------------- */

typedef struct sbuf {
    char *p;
    size_t n, cap;
} sbuf;

static void sb_put(sbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int need = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    assert_true(need >= 0);
    if (b->n + (size_t)need + 1 > b->cap) {
        b->cap = (b->n + (size_t)need + 1) * 2;
        b->p = realloc(b->p, b->cap);
        assert_non_null(b->p);
    }
    va_start(ap, fmt);
    vsnprintf(b->p + b->n, b->cap - b->n, fmt, ap);
    va_end(ap);
    b->n += (size_t)need;
}

static uint64_t le(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static void w_int(sbuf *b, const char *k, const uint8_t *raw, unsigned off, unsigned n)
{
    sb_put(b, "\"%s\": %llu, ", k, (unsigned long long)le(raw + off, n));
}

static void w_arr(sbuf *b, const char *k, const uint8_t *p, unsigned n)
{
    sb_put(b, "\"%s\": [", k);
    for (unsigned i = 0; i < n; i++)
        sb_put(b, "%s%u", i ? ", " : "", p[i]);
    sb_put(b, "], ");
}

static void w_tcb(sbuf *b, const char *k, const uint8_t *t)
{
    sb_put(b, "\"%s\": {\"bootloader\": %u, \"tee\": %u, ", k, t[0], t[1]);
    w_arr(b, "_reserved", t + 2, 4);
    sb_put(b, "\"snp\": %u, \"microcode\": %u}, ", t[6], t[7]);
}

/* The report as the blyss service ships it (serde field order), with the
 * VCEK as unpadded base64 (or padded) and a launch object; optionally
 * wrapped in the blyss response. malloc'd. */
static char *write_blyss(const uint8_t *r, const uint8_t *vcek, size_t vlen, int padded, int wrapped)
{
    sbuf b = {0};
    if (wrapped)
        sb_put(&b, "{\"cert_sha256_fingerprint\": \"00\", \"cpu_attestation\": ");
    sb_put(&b, "{");
    w_int(&b, "version", r, 0x00, 4);
    w_int(&b, "guest_svn", r, 0x04, 4);
    w_int(&b, "policy", r, 0x08, 8);
    w_arr(&b, "family_id", r + 0x10, 16);
    w_arr(&b, "image_id", r + 0x20, 16);
    w_int(&b, "vmpl", r, 0x30, 4);
    w_int(&b, "sig_algo", r, 0x34, 4);
    w_tcb(&b, "current_tcb", r + 0x38);
    w_int(&b, "plat_info", r, 0x40, 8);
    w_int(&b, "_author_key_en", r, 0x48, 4);
    w_int(&b, "_reserved_0", r, 0x4C, 4);
    w_arr(&b, "report_data", r + 0x50, 64);
    w_arr(&b, "measurement", r + 0x90, 48);
    w_arr(&b, "host_data", r + 0xC0, 32);
    w_arr(&b, "id_key_digest", r + 0xE0, 48);
    w_arr(&b, "author_key_digest", r + 0x110, 48);
    w_arr(&b, "report_id", r + 0x140, 32);
    w_arr(&b, "report_id_ma", r + 0x160, 32);
    w_tcb(&b, "reported_tcb", r + 0x180);
    w_arr(&b, "_reserved_1", r + 0x188, 24);
    w_arr(&b, "chip_id", r + 0x1A0, 64);
    w_tcb(&b, "committed_tcb", r + 0x1E0);
    w_int(&b, "current_build", r, 0x1E8, 1);
    w_int(&b, "current_minor", r, 0x1E9, 1);
    w_int(&b, "current_major", r, 0x1EA, 1);
    w_int(&b, "_reserved_2", r, 0x1EB, 1);
    w_int(&b, "committed_build", r, 0x1EC, 1);
    w_int(&b, "committed_minor", r, 0x1ED, 1);
    w_int(&b, "committed_major", r, 0x1EE, 1);
    w_int(&b, "_reserved_3", r, 0x1EF, 1);
    w_tcb(&b, "launch_tcb", r + 0x1F0);
    w_arr(&b, "_reserved_4", r + 0x1F8, 168);
    sb_put(&b, "\"signature\": {");
    w_arr(&b, "r", r + 0x2A0, 72);
    w_arr(&b, "s", r + 0x2E8, 72);
    b.n -= 2; /* the last ", " */
    sb_put(&b, ", \"_reserved\": [");
    for (unsigned i = 0x330; i < RATLS_SNP_REPORT_LEN; i++)
        sb_put(&b, "%s%u", i > 0x330 ? "," : "", r[i]);
    sb_put(&b, "]}");
    if (vcek) {
        char *b64 = malloc(4 * ((vlen + 2) / 3) + 1);
        assert_non_null(b64);
        int n = EVP_EncodeBlock((unsigned char *)b64, vcek, (int)vlen);
        assert_true(n > 0);
        while (!padded && n > 0 && b64[n - 1] == '=')
            b64[--n] = 0;
        sb_put(&b, ", \"vcek\": \"%s\"", b64);
        free(b64);
    }
    sb_put(&b, ", \"launch\": {\"kernel_cli\": \"console=ttyS0 initrd=initrd\", \"num_vcpus\": 4}}");
    if (wrapped)
        sb_put(&b, ", \"gpu_attestation\": {\"gpus\": []}}");
    return b.p;
}

/* ---------------- fixtures ---------------- */

typedef struct vec {
    uint8_t *rep, *vcek, *chain;
    size_t rep_len, vcek_len, chain_len;
} vec;

static int load(const char *name, vec *v)
{
    char rp[256], vp[256];
    memset(v, 0, sizeof *v);
    snprintf(rp, sizeof rp, BLYSS "%s.report.bin", name);
    snprintf(vp, sizeof vp, BLYSS "%s.vcek.der", name);
    if (!vec_dir() || vec_read(rp, &v->rep, &v->rep_len) != 0)
        return -1;
    assert_int_equal(v->rep_len, RATLS_SNP_REPORT_LEN);
    assert_int_equal(vec_read(vp, &v->vcek, &v->vcek_len), 0);
    assert_int_equal(vec_read(GENOA_CHAIN, &v->chain, &v->chain_len), 0);
    return 0;
}

static void unload(vec *v)
{
    free(v->rep);
    free(v->vcek);
    free(v->chain);
}

static ratls_status from_json(const char *j, size_t n, uint8_t raw[RATLS_SNP_REPORT_LEN], uint8_t **vcek, size_t *vlen,
                              char *err, size_t errlen)
{
    err[0] = 0;
    return ratls_snp_report_from_json((const uint8_t *)j, n, raw, vcek, vlen, err, errlen);
}

/* ---------------- round trip and verification ---------------- */

static void roundtrip_one(const char *name)
{
    vec v;
    if (load(name, &v) != 0)
        skip();
    for (int form = 0; form < 3; form++) { /* bare unpadded, bare padded, wrapped in the blyss response */
        char *j = write_blyss(v.rep, v.vcek, v.vcek_len, form == 1, form == 2);
        uint8_t raw[RATLS_SNP_REPORT_LEN];
        uint8_t *vc = NULL;
        size_t vl = 0;
        char err[512];
        ratls_status s = from_json(j, strlen(j), raw, &vc, &vl, err, sizeof err);
        if (s != RATLS_OK)
            fail_msg("%s form %d: %s", name, form, err);
        assert_memory_equal(raw, v.rep, RATLS_SNP_REPORT_LEN);
        assert_int_equal(vl, v.vcek_len);
        assert_memory_equal(vc, v.vcek, vl);

        /* the VCEK may be ignored */
        memset(raw, 0, sizeof raw);
        assert_int_equal(from_json(j, strlen(j), raw, NULL, NULL, err, sizeof err), RATLS_OK);
        assert_memory_equal(raw, v.rep, RATLS_SNP_REPORT_LEN);

        /* ratls_snp_report_parse takes either form, to the same structure */
        ratls_snp_report *a = NULL, *b = NULL;
        assert_int_equal(ratls_snp_report_parse((const uint8_t *)j, strlen(j), &a, err, sizeof err), RATLS_OK);
        assert_int_equal(ratls_snp_report_parse(v.rep, v.rep_len, &b, err, sizeof err), RATLS_OK);
        assert_memory_equal(a->raw, b->raw, RATLS_SNP_REPORT_LEN);
        assert_int_equal(a->vmpl, 1);
        assert_int_equal(a->policy, 0x30000);
        char *ja = NULL, *jb = NULL;
        assert_int_equal(ratls_snp_report_to_json(a, &ja), RATLS_OK);
        assert_int_equal(ratls_snp_report_to_json(b, &jb), RATLS_OK);
        assert_string_equal(ja, jb);
        free(ja);
        free(jb);
        ratls_snp_report_free(a);
        ratls_snp_report_free(b);

        /* the report and the VCEK out of the JSON verify under the pinned Genoa ARK */
        ratls_snp_policy *pol = ratls_snp_policy_new();
        assert_non_null(pol);
        ratls_snp_policy_set_flags(pol, RATLS_SNP_SKIP_REVOCATION_INSECURE);
        assert_int_equal(ratls_snp_policy_set_vmpl(pol, 1), RATLS_OK);
        ratls_snp_collateral_parts parts = {vc, vl, v.chain, v.chain_len, NULL, 0};
        ratls_result *res = NULL;
        s = ratls_snp_verify(raw, sizeof raw, &parts, RATLS_SNP_PRODUCT_GENOA, pol, T_NOW, &res);
        if (s != RATLS_OK) {
            char *rj = NULL;
            if (res && ratls_result_to_json(res, &rj) == RATLS_OK)
                print_message("%s\n", rj);
            free(rj);
        }
        assert_int_equal(s, RATLS_OK);
        assert_true(ratls_result_verified(res));
        ratls_result_free(res);
        ratls_snp_policy_free(pol);
        free(vc);
        free(j);
    }
    unload(&v);
}

static void test_roundtrip_1(void **state)
{
    (void)state;
    roundtrip_one("test_full_attestation");
}

static void test_roundtrip_2(void **state)
{
    (void)state;
    roundtrip_one("test_full_attestation_2");
}

/* The synthetic v3 report of the test PKI: CPUID bytes travel in _reserved_1. */
static void test_roundtrip_synth_v3(void **state)
{
    (void)state;
    synth s;
    synth_opts o;
    synth_opts_default(&o, RATLS_SNP_PRODUCT_MILAN);
    o.version = 3;
    synth_build(&s, &o);
    char *j = write_blyss(s.report, s.vek_der, s.vek_len, 0, 0);
    ratls_snp_report *r = NULL;
    char err[512] = "";
    assert_int_equal(ratls_snp_report_parse((const uint8_t *)j, strlen(j), &r, err, sizeof err), RATLS_OK);
    assert_memory_equal(r->raw, s.report, RATLS_SNP_REPORT_LEN);
    assert_int_equal(ratls_snp_report_product(r), RATLS_SNP_PRODUCT_MILAN);
    ratls_snp_report_free(r);
    free(j);
    synth_free(&s);
}

/* ---------------- negative cases ---------------- */

/* A good document (from the first vector, or the synthetic report without vectors). */
typedef struct good {
    json_t *doc;
    uint8_t raw[RATLS_SNP_REPORT_LEN];
} good;

static void good_load(good *g)
{
    vec v;
    char *j;
    if (load("test_full_attestation", &v) == 0) {
        memcpy(g->raw, v.rep, sizeof g->raw);
        j = write_blyss(v.rep, v.vcek, v.vcek_len, 0, 0);
        unload(&v);
    } else {
        synth s;
        synth_opts o;
        synth_opts_default(&o, RATLS_SNP_PRODUCT_GENOA);
        synth_build(&s, &o);
        memcpy(g->raw, s.report, sizeof g->raw);
        j = write_blyss(s.report, s.vek_der, s.vek_len, 0, 0);
        synth_free(&s);
    }
    json_error_t je;
    g->doc = json_loads(j, 0, &je);
    free(j);
    assert_non_null(g->doc);
}

/* The parent object of a dotted path ("current_tcb.snp") and its last key. */
static json_t *at_path(json_t *doc, const char *path, const char **key)
{
    static char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    json_t *o = doc;
    char *k = buf, *dot;
    while ((dot = strchr(k, '.'))) {
        *dot = 0;
        o = json_object_get(o, k);
        assert_non_null(o);
        k = dot + 1;
    }
    *key = path + (k - buf);
    return o;
}

/* Parse a mutated copy; it must fail with a reason naming `needle`. */
static void expect_reject(json_t *doc, const char *what, const char *needle)
{
    char *j = json_dumps(doc, JSON_COMPACT);
    assert_non_null(j);
    uint8_t raw[RATLS_SNP_REPORT_LEN];
    uint8_t *vc = (uint8_t *)"x";
    size_t vl = 99;
    char err[512];
    ratls_status s = from_json(j, strlen(j), raw, &vc, &vl, err, sizeof err);
    if (s != RATLS_ERR_SNP_REPORT_FORMAT || !strstr(err, needle))
        fail_msg("%s: status %d, error \"%s\" (wanted one naming \"%s\")", what, s, err, needle);
    assert_null(vc);
    assert_int_equal(vl, 0);
    /* and through the common entry point */
    ratls_snp_report *r = (ratls_snp_report *)1;
    assert_int_equal(ratls_snp_report_parse((const uint8_t *)j, strlen(j), &r, err, sizeof err),
                     RATLS_ERR_SNP_REPORT_FORMAT);
    assert_null(r);
    free(j);
}

typedef struct tfield {
    const char *path;
    unsigned width; /* integer bytes, 0 for arrays */
    unsigned count; /* array length */
} tfield;

static const tfield T_FIELDS[] = {
    {"version", 4, 0},
    {"guest_svn", 4, 0},
    {"policy", 8, 0},
    {"family_id", 0, 16},
    {"image_id", 0, 16},
    {"vmpl", 4, 0},
    {"sig_algo", 4, 0},
    {"current_tcb", 0, 0},
    {"current_tcb.bootloader", 1, 0},
    {"current_tcb.tee", 1, 0},
    {"current_tcb._reserved", 0, 4},
    {"current_tcb.snp", 1, 0},
    {"current_tcb.microcode", 1, 0},
    {"plat_info", 8, 0},
    {"_author_key_en", 4, 0},
    {"_reserved_0", 4, 0},
    {"report_data", 0, 64},
    {"measurement", 0, 48},
    {"host_data", 0, 32},
    {"id_key_digest", 0, 48},
    {"author_key_digest", 0, 48},
    {"report_id", 0, 32},
    {"report_id_ma", 0, 32},
    {"reported_tcb", 0, 0},
    {"reported_tcb.bootloader", 1, 0},
    {"reported_tcb._reserved", 0, 4},
    {"reported_tcb.microcode", 1, 0},
    {"_reserved_1", 0, 24},
    {"chip_id", 0, 64},
    {"committed_tcb", 0, 0},
    {"committed_tcb.snp", 1, 0},
    {"current_build", 1, 0},
    {"current_minor", 1, 0},
    {"current_major", 1, 0},
    {"_reserved_2", 1, 0},
    {"committed_build", 1, 0},
    {"committed_minor", 1, 0},
    {"committed_major", 1, 0},
    {"_reserved_3", 1, 0},
    {"launch_tcb", 0, 0},
    {"launch_tcb.tee", 1, 0},
    {"_reserved_4", 0, 168},
    {"signature", 0, 0},
    {"signature.r", 0, 72},
    {"signature.s", 0, 72},
    {"signature._reserved", 0, 368},
};

static void test_each_field(void **state)
{
    (void)state;
    good g;
    good_load(&g);
    for (size_t i = 0; i < sizeof T_FIELDS / sizeof T_FIELDS[0]; i++) {
        const tfield *f = &T_FIELDS[i];
        const char *key;
        json_t *parent = at_path(g.doc, f->path, &key);
        json_t *orig = json_incref(json_object_get(parent, key));
        assert_non_null(orig);
        char what[160];

        snprintf(what, sizeof what, "%s missing", f->path);
        json_object_del(parent, key);
        expect_reject(g.doc, what, f->path);

        static const char *const kinds[] = {"float", "negative", "string", "null", "bool", "object"};
        for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
            json_t *bad = k == 0   ? json_real(1.0)
                          : k == 1 ? json_integer(-1)
                          : k == 2 ? json_string("1")
                          : k == 3 ? json_null()
                          : k == 4 ? json_true()
                                   : json_object();
            if (k == 5 && !f->width && !f->count) /* an empty object for a TCB or signature: missing members */
                json_object_set_new(bad, "x", json_integer(0));
            json_object_set_new(parent, key, bad);
            snprintf(what, sizeof what, "%s as %s", f->path, kinds[k]);
            expect_reject(g.doc, what, f->path);
        }
        if (f->width && f->width < 8) {
            json_object_set_new(parent, key, json_integer((json_int_t)((UINT64_C(1) << (8 * f->width)))));
            snprintf(what, sizeof what, "%s out of range", f->path);
            expect_reject(g.doc, what, f->path);
        }
        if (f->count) {
            json_t *a = json_deep_copy(orig);
            json_array_append_new(a, json_integer(0));
            json_object_set_new(parent, key, a);
            snprintf(what, sizeof what, "%s too long", f->path);
            expect_reject(g.doc, what, f->path);
            a = json_deep_copy(orig);
            json_array_remove(a, 0);
            json_object_set_new(parent, key, a);
            snprintf(what, sizeof what, "%s too short", f->path);
            expect_reject(g.doc, what, f->path);
            json_object_set_new(parent, key, json_array());
            snprintf(what, sizeof what, "%s empty", f->path);
            expect_reject(g.doc, what, f->path);
            static const int elem_bad[] = {0, 1, 2, 3};
            for (size_t e = 0; e < sizeof elem_bad / sizeof elem_bad[0]; e++) {
                a = json_deep_copy(orig);
                json_t *bv = e == 0   ? json_integer(256)
                             : e == 1 ? json_integer(-1)
                             : e == 2 ? json_real(0.0)
                                      : json_string("0");
                json_array_set_new(a, f->count - 1, bv);
                json_object_set_new(parent, key, a);
                char needle[96];
                snprintf(needle, sizeof needle, "%s[%u]", f->path, f->count - 1);
                snprintf(what, sizeof what, "%s bad element %zu", f->path, e);
                expect_reject(g.doc, what, needle);
            }
        }
        if (!f->width && !f->count) { /* TCB or signature object: an unknown member */
            json_t *o = json_deep_copy(orig);
            json_object_set_new(o, "extra", json_integer(0));
            json_object_set_new(parent, key, o);
            snprintf(what, sizeof what, "%s unknown member", f->path);
            expect_reject(g.doc, what, "extra");
        }
        json_object_set_new(parent, key, orig);
    }
    /* still good after all that */
    char *j = json_dumps(g.doc, JSON_COMPACT);
    uint8_t raw[RATLS_SNP_REPORT_LEN];
    char err[512];
    assert_int_equal(from_json(j, strlen(j), raw, NULL, NULL, err, sizeof err), RATLS_OK);
    assert_memory_equal(raw, g.raw, sizeof raw);
    free(j);
    json_decref(g.doc);
}

static void test_unknown_keys(void **state)
{
    (void)state;
    good g;
    good_load(&g);
    json_object_set_new(g.doc, "signature_algo", json_integer(1)); /* a near miss of sig_algo */
    expect_reject(g.doc, "unknown top-level key", "signature_algo");
    json_object_del(g.doc, "signature_algo");

    json_t *launch = json_object_get(g.doc, "launch");
    json_object_set_new(launch, "initrd", json_string("x"));
    expect_reject(g.doc, "unknown launch key", "initrd");
    json_object_del(launch, "initrd");
    json_object_set_new(launch, "num_vcpus", json_real(4.0));
    expect_reject(g.doc, "launch.num_vcpus float", "launch.num_vcpus");
    json_object_set_new(launch, "num_vcpus", json_integer(4));
    json_object_set_new(launch, "kernel_cli", json_integer(4));
    expect_reject(g.doc, "launch.kernel_cli integer", "launch.kernel_cli");
    json_object_set_new(launch, "kernel_cli", json_string(""));
    json_object_set_new(g.doc, "launch", json_array());
    expect_reject(g.doc, "launch array", "launch");
    json_object_del(g.doc, "launch");

    /* an unknown key is shown in printable ASCII only */
    json_object_set_new(g.doc, "k\xc3\xbc\x01", json_integer(0));
    expect_reject(g.doc, "non-ASCII unknown key", "\"k???\"");
    json_object_del(g.doc, "k\xc3\xbc\x01");
    char longkey[200];
    memset(longkey, 'k', sizeof longkey - 1);
    longkey[sizeof longkey - 1] = 0;
    json_object_set_new(g.doc, longkey, json_integer(0));
    expect_reject(g.doc, "long unknown key", "kkk...\"");
    json_object_del(g.doc, longkey);

    /* the blyss wrapper: only its three keys */
    json_t *w =
        json_pack("{s:s, s:O, s:{}}", "cert_sha256_fingerprint", "00", "cpu_attestation", g.doc, "gpu_attestation");
    assert_non_null(w);
    char *j = json_dumps(w, JSON_COMPACT);
    uint8_t raw[RATLS_SNP_REPORT_LEN];
    char err[512];
    assert_int_equal(from_json(j, strlen(j), raw, NULL, NULL, err, sizeof err), RATLS_OK);
    assert_memory_equal(raw, g.raw, sizeof raw);
    free(j);
    json_object_set_new(w, "cpu_attestation_2", json_object());
    expect_reject(w, "unknown wrapper key", "cpu_attestation_2");
    json_object_del(w, "cpu_attestation_2");
    json_object_set_new(w, "cpu_attestation", json_array());
    expect_reject(w, "cpu_attestation array", "cpu_attestation");
    json_decref(w);

    /* not an object at all */
    json_t *arr = json_array();
    expect_reject(arr, "top-level array", "object");
    json_decref(arr);
    json_decref(g.doc);
}

static void test_vcek_base64(void **state)
{
    (void)state;
    good g;
    good_load(&g);
    static const char *const bad[] = {
        "!!!!",               /* not the alphabet */
        "QQ=",                /* partial padding */
        "Q",                  /* impossible length */
        "QR==",               /* stray bits under the padding */
        "QQ==QQ==",           /* padding inside */
        "QUJD RA",            /* whitespace */
        "QUJD\nRA", "QUJD-_", /* base64url */
        "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_object_set_new(g.doc, "vcek", json_string(bad[i]));
        char what[64];
        snprintf(what, sizeof what, "vcek \"%s\"", bad[i]);
        expect_reject(g.doc, what, "vcek");
    }
    json_object_set_new(g.doc, "vcek", json_integer(1));
    expect_reject(g.doc, "vcek integer", "vcek");
    json_object_set_new(g.doc, "vcek", json_null());
    expect_reject(g.doc, "vcek null", "vcek");
    /* more than a certificate can be */
    size_t n = 4u * 1024u * 1024u / 32u; /* 128 KiB of base64 = 96 KiB decoded */
    char *big = malloc(n + 1);
    assert_non_null(big);
    memset(big, 'A', n);
    big[n] = 0;
    json_object_set_new(g.doc, "vcek", json_string(big));
    free(big);
    expect_reject(g.doc, "vcek oversized", "vcek");

    /* short but well-formed base64 is the verifier's problem, not the parser's */
    json_object_set_new(g.doc, "vcek", json_string("QUJD"));
    char *j = json_dumps(g.doc, JSON_COMPACT);
    uint8_t raw[RATLS_SNP_REPORT_LEN];
    uint8_t *vc = NULL;
    size_t vl = 0;
    char err[512];
    assert_int_equal(from_json(j, strlen(j), raw, &vc, &vl, err, sizeof err), RATLS_OK);
    assert_int_equal(vl, 3);
    assert_memory_equal(vc, "ABC", 3);
    free(vc);
    free(j);
    /* no vcek at all */
    json_object_del(g.doc, "vcek");
    j = json_dumps(g.doc, JSON_COMPACT);
    vc = (uint8_t *)"x";
    assert_int_equal(from_json(j, strlen(j), raw, &vc, &vl, err, sizeof err), RATLS_OK);
    assert_null(vc);
    assert_int_equal(vl, 0);
    assert_memory_equal(raw, g.raw, sizeof raw);
    free(j);
    json_decref(g.doc);
}

static void test_text_level(void **state)
{
    (void)state;
    good g;
    good_load(&g);
    char *j = json_dumps(g.doc, JSON_COMPACT);
    size_t n = strlen(j);
    uint8_t raw[RATLS_SNP_REPORT_LEN];
    char err[512];
    /* every truncation (step 7 plus the last 16 bytes) */
    for (size_t cut = 0; cut < n; cut = cut + 7 < n - 16 ? cut + 7 : cut + 1) {
        ratls_status s = from_json(j, cut, raw, NULL, NULL, err, sizeof err);
        if (s != RATLS_ERR_SNP_REPORT_FORMAT || !err[0])
            fail_msg("truncated at %zu: %d %s", cut, s, err);
    }
    /* trailing garbage, two documents, a duplicate key */
    char *t = malloc(2 * n + 8);
    assert_non_null(t);
    snprintf(t, 2 * n + 8, "%s x", j);
    assert_int_equal(from_json(t, strlen(t), raw, NULL, NULL, err, sizeof err), RATLS_ERR_SNP_REPORT_FORMAT);
    snprintf(t, 2 * n + 8, "%s%s", j, j);
    assert_int_equal(from_json(t, strlen(t), raw, NULL, NULL, err, sizeof err), RATLS_ERR_SNP_REPORT_FORMAT);
    snprintf(t, 2 * n + 8, "{\"vmpl\": 1, %s", j + 1);
    assert_int_equal(from_json(t, strlen(t), raw, NULL, NULL, err, sizeof err), RATLS_ERR_SNP_REPORT_FORMAT);
    /* a u64 beyond jansson's range, an exponent */
    char *p = strstr(j, "\"policy\":");
    assert_non_null(p);
    size_t pre = (size_t)(p - j) + strlen("\"policy\":");
    const char *after = strchr(p, ',');
    for (int k = 0; k < 2; k++) {
        snprintf(t, 2 * n + 8, "%.*s%s%s", (int)pre, j, k ? "196608e0" : "18446744073709551616", after);
        assert_int_equal(from_json(t, strlen(t), raw, NULL, NULL, err, sizeof err), RATLS_ERR_SNP_REPORT_FORMAT);
        if (k)
            assert_non_null(strstr(err, "policy"));
    }
    free(t);
    /* size cap: 256 KiB with padding passes, one byte more does not */
    size_t cap = 256u * 1024u;
    char *big = malloc(cap + 1);
    assert_non_null(big);
    memset(big, ' ', cap + 1);
    memcpy(big, j, n);
    assert_int_equal(from_json(big, cap, raw, NULL, NULL, err, sizeof err), RATLS_OK);
    assert_int_equal(from_json(big, cap + 1, raw, NULL, NULL, err, sizeof err), RATLS_ERR_SNP_REPORT_FORMAT);
    assert_non_null(strstr(err, "bytes"));
    free(big);
    /* leading blanks still mean JSON to ratls_snp_report_parse; NUL inside does not parse */
    char *lead = malloc(n + 4);
    assert_non_null(lead);
    memcpy(lead, " \n\t", 3);
    memcpy(lead + 3, j, n + 1);
    ratls_snp_report *r = NULL;
    assert_int_equal(ratls_snp_report_parse((const uint8_t *)lead, n + 3, &r, err, sizeof err), RATLS_OK);
    assert_memory_equal(r->raw, g.raw, sizeof g.raw);
    ratls_snp_report_free(r);
    lead[n / 2] = 0;
    assert_int_equal(from_json(lead, n + 3, raw, NULL, NULL, err, sizeof err), RATLS_ERR_SNP_REPORT_FORMAT);
    free(lead);
    /* arguments */
    assert_int_equal(ratls_snp_report_from_json(NULL, 0, raw, NULL, NULL, err, sizeof err), RATLS_ERR_INVALID_ARGUMENT);
    uint8_t *vc;
    assert_int_equal(ratls_snp_report_from_json((const uint8_t *)j, n, raw, &vc, NULL, err, sizeof err),
                     RATLS_ERR_INVALID_ARGUMENT);
    assert_int_equal(ratls_snp_report_from_json((const uint8_t *)j, n, raw, NULL, NULL, NULL, 0), RATLS_OK);
    free(j);
    json_decref(g.doc);
}

/* Reserved fields are carried to their offsets; the binary parser refuses them. */
static void test_reserved_to_binary_parser(void **state)
{
    (void)state;
    good g;
    good_load(&g);
    static const struct {
        const char *path;
        unsigned idx; /* array index, or ~0u for an integer */
        unsigned off;
    } cases[] = {
        {"_reserved_0", ~0u, 0x4C},         {"_reserved_1", 5, 0x18D},   {"_reserved_2", ~0u, 0x1EB},
        {"_reserved_3", ~0u, 0x1EF},        {"_reserved_4", 167, 0x29F}, {"signature._reserved", 0, 0x330},
        {"current_tcb._reserved", 0, 0x3A},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *key;
        json_t *parent = at_path(g.doc, cases[i].path, &key);
        json_t *orig = json_deep_copy(json_object_get(parent, key));
        if (cases[i].idx == ~0u)
            json_object_set_new(parent, key, json_integer(1));
        else
            json_array_set_new(json_object_get(parent, key), cases[i].idx, json_integer(1));
        char *j = json_dumps(g.doc, JSON_COMPACT);
        uint8_t raw[RATLS_SNP_REPORT_LEN];
        char err[512];
        assert_int_equal(from_json(j, strlen(j), raw, NULL, NULL, err, sizeof err), RATLS_OK);
        assert_int_equal(raw[cases[i].off], 1);
        raw[cases[i].off] = g.raw[cases[i].off];
        assert_memory_equal(raw, g.raw, sizeof raw);
        ratls_snp_report *r = NULL;
        ratls_status s = ratls_snp_report_parse((const uint8_t *)j, strlen(j), &r, err, sizeof err);
        /* TCB reserved bytes are not report-reserved: the signature check catches those */
        if (strcmp(cases[i].path, "current_tcb._reserved") == 0) {
            assert_int_equal(s, RATLS_OK);
            ratls_snp_report_free(r);
        } else {
            if (s != RATLS_ERR_SNP_REPORT_FORMAT)
                fail_msg("%s: %d", cases[i].path, s);
            assert_null(r);
        }
        free(j);
        json_object_set_new(parent, key, orig);
    }
    json_decref(g.doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_1),        cmocka_unit_test(test_roundtrip_2),
        cmocka_unit_test(test_roundtrip_synth_v3), cmocka_unit_test(test_each_field),
        cmocka_unit_test(test_unknown_keys),       cmocka_unit_test(test_vcek_base64),
        cmocka_unit_test(test_text_level),         cmocka_unit_test(test_reserved_to_binary_parser),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
