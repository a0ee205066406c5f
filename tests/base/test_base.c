/* Unit tests of the base layer: hex, base64, DER, time, status strings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/der.h"
#include "base/json_span.h"
#include "base/util.h"
#include "net/conn.h"

static void test_hex(void **state)
{
    (void)state;
    uint8_t b[4];
    assert_int_equal(hex_decode_exact("00fFa1", 6, b, 3), 0);
    assert_int_equal(b[1], 0xff);
    assert_int_not_equal(hex_decode_exact("00fFa", 5, b, 3), 0);
    assert_int_not_equal(hex_decode_exact("0g", 2, b, 1), 0);
    char out[9];
    hex_encode((const uint8_t *)"\x01\xab", 2, out);
    assert_string_equal(out, "01ab");
    uint8_t *d;
    size_t n;
    assert_int_equal(ratls_hex_decode_relaxed(" 0x0a0B\n cc ", 12, &d, &n), RATLS_OK);
    assert_int_equal(n, 3);
    assert_int_equal(d[2], 0xcc);
    free(d);
    assert_int_not_equal(ratls_hex_decode_relaxed("0a0", 3, &d, &n), RATLS_OK);
    assert_int_not_equal(ratls_hex_decode_relaxed("zz", 2, &d, &n), RATLS_OK);
    assert_int_not_equal(ratls_hex_decode_relaxed("", 0, &d, &n), RATLS_OK);
}

static void test_b64(void **state)
{
    (void)state;
    uint8_t out[16];
    size_t n;
    assert_int_equal(b64_decode("aGVsbG8=", 8, out, &n), 0);
    assert_int_equal(n, 5);
    assert_memory_equal(out, "hello", 5);
    assert_int_equal(b64_decode("aGVsbA==", 8, out, &n), 0);
    assert_int_equal(n, 4);
    assert_int_not_equal(b64_decode("aGVsbG9=", 8, out, &n), 0); /* non-canonical tail bits */
    assert_int_not_equal(b64_decode("aGV=bG8=", 8, out, &n), 0); /* padding in the middle */
    assert_int_not_equal(b64_decode("aGVsbG8", 7, out, &n), 0);
    assert_int_not_equal(b64_decode("a===", 4, out, &n), 0);
    assert_int_not_equal(b64_decode("aG*s", 4, out, &n), 0);
}

static void test_der(void **state)
{
    (void)state;
    /* SEQUENCE { INTEGER 5, OID 1.2.840.113741.1.13.1 } */
    const uint8_t seq[] = {0x30, 0x0e, 0x02, 0x01, 0x05, 0x06, 0x09, 0x2a,
                           0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01};
    der_t in = {seq, sizeof seq}, body, v;
    uint64_t x;
    assert_int_equal(der_read(&in, DER_SEQUENCE, &body), 0);
    assert_int_equal(in.len, 0);
    assert_int_equal(der_read(&body, DER_INTEGER, &v), 0);
    assert_int_equal(der_uint(&v, 255, &x), 0);
    assert_int_equal(x, 5);
    assert_int_equal(der_read(&body, DER_OID, &v), 0);
    assert_true(der_oid_equals(&v, "1.2.840.113741.1.13.1"));
    assert_false(der_oid_equals(&v, "1.2.840.113741.1.13.2"));
    /* wrong tag, overlong length, non-minimal length, negative and non-minimal integers */
    der_t bad = {seq, sizeof seq};
    assert_int_not_equal(der_read(&bad, DER_INTEGER, &v), 0);
    const uint8_t longlen[] = {0x04, 0x81, 0x05, 1, 2, 3, 4, 5};
    der_t l = {longlen, sizeof longlen};
    assert_int_not_equal(der_read(&l, DER_OCTET_STRING, &v), 0);
    const uint8_t shortin[] = {0x04, 0x05, 1, 2};
    der_t s = {shortin, sizeof shortin};
    assert_int_not_equal(der_read(&s, DER_OCTET_STRING, &v), 0);
    const uint8_t neg[] = {0x80};
    der_t nv = {neg, 1};
    assert_int_not_equal(der_uint(&nv, 255, &x), 0);
    const uint8_t nm[] = {0x00, 0x05};
    der_t nmv = {nm, 2};
    assert_int_not_equal(der_uint(&nmv, 255, &x), 0);
    const uint8_t big[] = {0x01, 0x00};
    der_t bv = {big, 2};
    assert_int_not_equal(der_uint(&bv, 255, &x), 0);
}

static void test_time(void **state)
{
    (void)state;
    int64_t t;
    assert_int_equal(parse_iso8601_utc("2025-07-19T10:00:35Z", &t), 0);
    assert_int_equal(t, 1752919235);
    assert_int_equal(parse_iso8601_utc("1970-01-01T00:00:00Z", &t), 0);
    assert_int_equal(t, 0);
    assert_int_equal(parse_iso8601_utc("2024-02-29T23:59:59.123Z", &t), 0);
    assert_int_not_equal(parse_iso8601_utc("2023-02-29T00:00:00Z", &t), 0);
    assert_int_not_equal(parse_iso8601_utc("2025-07-19 10:00:35Z", &t), 0);
    assert_int_not_equal(parse_iso8601_utc("2025-07-19T10:00:35", &t), 0);
    assert_int_not_equal(parse_iso8601_utc("2025-07-19T10:00:35+01:00", &t), 0);
    assert_int_not_equal(parse_iso8601_utc("2025-13-19T10:00:35Z", &t), 0);
    char buf[32];
    format_iso8601_utc(1752919235, buf);
    assert_string_equal(buf, "2025-07-19T10:00:35Z");
}

static void test_status_strings(void **state)
{
    (void)state;
    for (int s = 0; s < RATLS_STATUS_COUNT_; s++) {
        assert_string_not_equal(ratls_status_name((ratls_status)s), "unknown_status");
        assert_string_not_equal(ratls_status_str((ratls_status)s), "unknown status");
        for (int k = 0; k < s; k++)
            assert_string_not_equal(ratls_status_name((ratls_status)s), ratls_status_name((ratls_status)k));
    }
    assert_string_equal(ratls_status_name((ratls_status)9999), "unknown_status");
}

static void test_policy_strings(void **state)
{
    (void)state;
    ratls_policy *p = ratls_policy_new();
    assert_int_equal(ratls_policy_allow_tcb_status(p, "SWHardeningNeeded"), RATLS_OK);
    assert_int_equal(ratls_policy_allow_tcb_status(p, "TDRelaunchAdvised"), RATLS_OK);
    assert_int_equal(ratls_policy_allow_tcb_status(p, "uptodate"), RATLS_ERR_UNKNOWN_TCB_STATUS);
    assert_int_equal(ratls_policy_allow_tcb_status(p, "TCB_NOT_SUPPORTED"), RATLS_ERR_UNKNOWN_TCB_STATUS);
    assert_int_equal(ratls_policy_set_tcb_statuses(p, "UpToDate, OutOfDate"), RATLS_OK);
    assert_int_equal(ratls_policy_set_tcb_statuses(p, "UpToDate,"), RATLS_ERR_UNKNOWN_TCB_STATUS);
    assert_int_equal(ratls_policy_set_tcb_statuses(p, ""), RATLS_ERR_UNKNOWN_TCB_STATUS);
    assert_int_equal(ratls_policy_set_tcb_statuses(p, "UpToDate,,OutOfDate"), RATLS_ERR_UNKNOWN_TCB_STATUS);
    assert_int_equal(ratls_policy_deny_advisory(p, ""), RATLS_ERR_INVALID_ARGUMENT);
    ratls_policy_free(p);
    ratls_policy_free(NULL);
    ratls_verifier_free(NULL);
    ratls_result_free(NULL);
    ratls_collateral_free(NULL);
    ratls_evidence_free(NULL);
    ratls_tdx_quote_free(NULL);
}

static void span_ok(const char *json, const char *key, const char *want)
{
    const char *v;
    size_t n;
    assert_int_equal(json_member_span(json, strlen(json), key, &v, &n), 0);
    assert_int_equal(n, strlen(want));
    assert_memory_equal(v, want, n);
}

static void span_bad(const char *json, const char *key)
{
    const char *v;
    size_t n;
    assert_int_not_equal(json_member_span(json, strlen(json), key, &v, &n), 0);
}

static void test_json_span(void **state)
{
    (void)state;
    span_ok("{\"tcbInfo\":{\"a\":[1,2,{\"b\":\"}\"}]},\"signature\":\"ab\"}", "tcbInfo", "{\"a\":[1,2,{\"b\":\"}\"}]}");
    span_ok(" { \"x\" : 1 ,\n \"tcbInfo\" :  {\"q\": \"\\\"\\u00e9\"} } ", "tcbInfo", "{\"q\": \"\\\"\\u00e9\"}");
    span_ok("{\"signature\":\"00ff\"}", "signature", "\"00ff\"");
    span_ok("{\"n\":-1.5e+3,\"k\":[true,false,null]}", "k", "[true,false,null]");
    span_bad("{\"tcbInfo\":{},\"tcbInfo\":{}}", "tcbInfo"); /* duplicate */
    span_bad("{\"tcbInfo\":{}} x", "tcbInfo");              /* trailing garbage */
    span_bad("{\"tcbInfo\":{}", "tcbInfo");                 /* unterminated */
    span_bad("{\"tcbInfo\":{\"a\":01}}", "tcbInfo");        /* bad number */
    span_bad("{\"tcbInfo\":{\"a\":\"\\x\"}}", "tcbInfo");   /* bad escape */
    span_bad("{\"other\":1}", "tcbInfo");                   /* absent */
    span_bad("[{\"tcbInfo\":{}}]", "tcbInfo");              /* not an object */
    span_bad("{\"tcbInfo\":{\"a\":[1,]}}", "tcbInfo");      /* trailing comma */
    char deep[300];
    size_t n = 0;
    n += (size_t)snprintf(deep + n, sizeof deep - n, "{\"k\":");
    for (int i = 0; i < 100; i++)
        deep[n++] = '[';
    for (int i = 0; i < 100; i++)
        deep[n++] = ']';
    deep[n++] = '}';
    deep[n] = 0;
    span_bad(deep, "k"); /* nested too deep */
}

static void test_keccak256(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        size_t repeat;
        const char *hex;
    } v[] = {
        {"", 1, "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"},
        {"abc", 1, "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45"},
        /* 136 bytes: exactly one rate block, then a padding-only block */
        {"a", 136, "a6c4d403279fe3e0af03729caada8374b5ca54d8065329a3ebcaeb4b60aa386e"},
        /* 135 bytes: both padding bits in the last byte of the block */
        {"a", 135, "34367dc248bbd832f4e3e69dfaac2f92638bd0bbd18f2912ba4ef454919cf446"},
        /* 200 bytes: two blocks (values from the js-sha3 npm package) */
        {"a", 200, "96ea54061def936c4be90b518992fdc6f12f535068a256229aca54267b4d084d"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        size_t n = strlen(v[i].in) * v[i].repeat;
        uint8_t *buf = malloc(n + 1), out[32];
        char hex[65];
        assert_non_null(buf);
        for (size_t k = 0; k < v[i].repeat; k++)
            memcpy(buf + k * strlen(v[i].in), v[i].in, strlen(v[i].in));
        keccak256(buf, n, out);
        hex_encode(out, 32, hex);
        assert_string_equal(hex, v[i].hex);
        free(buf);
    }
}

static void test_host_canon(void **state)
{
    (void)state;
    static const char *const same[][2] = {
        {"Example.COM", "example.com"},
        {"example.com.", "example.com"},
        {"[::1]", "::1"},
        {"0:0::1", "::1"},
        {"127.0.0.1", "127.0.0.1"},
        {"xn--bcher-kva.example", "xn--bcher-kva.example"},
    };
    char out[256];
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
        assert_int_equal(host_canon(same[i][0], out, sizeof out), 0);
        assert_string_equal(out, same[i][1]);
    }
    static const char *const bad[] = {"", ".", "b\xc3\xbc\x63her.example", "a b", "a/b", "[::1", "host:443"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_not_equal(host_canon(bad[i], out, sizeof out), 0);
}

static void test_policy_attestation_ttl(void **state)
{
    (void)state;
    ratls_policy *p = NULL;
    char err[256];
    static const char ok[] = "{\"attestation_ttl_seconds\": 60}";
    assert_int_equal(ratls_policy_from_json((const uint8_t *)ok, strlen(ok), &p, err, sizeof err), RATLS_OK);
    assert_int_equal(ratls_policy_attestation_ttl(p), 60);
    ratls_policy_free(p);
    static const char *const bad[] = {"{\"attestation_ttl_seconds\": 0}", "{\"attestation_ttl_seconds\": \"1\"}"};
    for (size_t i = 0; i < 2; i++) {
        p = NULL;
        assert_int_equal(ratls_policy_from_json((const uint8_t *)bad[i], strlen(bad[i]), &p, err, sizeof err),
                         RATLS_ERR_INVALID_ARGUMENT);
        assert_null(p);
    }
    p = ratls_policy_new();
    assert_int_equal(ratls_policy_attestation_ttl(p), 0);
    ratls_policy_set_attestation_ttl(p, 5);
    assert_int_equal(ratls_policy_attestation_ttl(p), 5);
    ratls_policy_free(p);
}

/* The attestation response reader: what it accepts and what it refuses,
 * whatever the size of the pieces the server sends. */
static void test_http_response_reader(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        ratls_status want;
        const char *body;
    } v[] = {
        {"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}", RATLS_OK, "{}"},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;x\r\n{\r\n1\r\n}\r\n0\r\n\r\n", RATLS_OK, "{}"},
        {"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n{}", RATLS_ERR_NETWORK, NULL},           /* truncated */
        {"HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n", RATLS_ERR_TOO_LARGE, NULL}, /* oversized */
        /* bytes after the response, when they come with it (later ones are the application's) */
        {"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}x", RATLS_ERR_ATTESTATION_RESPONSE, NULL},
        {"HTTP/1.1 200 OK\r\nContent-Length: +2\r\n\r\n{}", RATLS_ERR_ATTESTATION_RESPONSE, NULL},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunkedx\r\n\r\n0\r\n\r\n", RATLS_ERR_ATTESTATION_RESPONSE, NULL},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: 1\r\n\r\n", RATLS_ERR_ATTESTATION_RESPONSE,
         NULL}, /* trailers */
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\n{}\r\n0\r\n\r\n", RATLS_ERR_ATTESTATION_RESPONSE,
         NULL}, /* no CRLF after the chunk */
        {"HTTP/2 200\r\nContent-Length: 0\r\n\r\n", RATLS_ERR_ATTESTATION_RESPONSE, NULL},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        for (size_t step = strstr(v[i].in, "{}x") ? 64 : 1; step <= 64; step *= 4) {
            long status = 0;
            uint8_t *body = NULL;
            size_t blen = 0;
            char err[256] = "";
            ratls_status s = conn_read_response_mem((const uint8_t *)v[i].in, strlen(v[i].in), step, &status, &body,
                                                    &blen, err, sizeof err);
            if (s != v[i].want)
                fail_msg("case %zu step %zu: %s (%s)", i, step, ratls_status_name(s), err);
            if (v[i].body) {
                assert_int_equal(status, 200);
                assert_int_equal(blen, strlen(v[i].body));
                assert_memory_equal(body, v[i].body, blen);
            } else {
                assert_null(body);
                assert_true(err[0] != 0);
            }
            free(body);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hex),
        cmocka_unit_test(test_b64),
        cmocka_unit_test(test_der),
        cmocka_unit_test(test_time),
        cmocka_unit_test(test_status_strings),
        cmocka_unit_test(test_policy_strings),
        cmocka_unit_test(test_json_span),
        cmocka_unit_test(test_keccak256),
        cmocka_unit_test(test_host_canon),
        cmocka_unit_test(test_policy_attestation_ttl),
        cmocka_unit_test(test_http_response_reader),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
