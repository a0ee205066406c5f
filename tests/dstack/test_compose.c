/* dstack app-compose hash: known answers computed independently with Python.
 *
 * Unless said otherwise, every expected value below was computed with
 * Debian's /usr/bin/python3 (3.11) as
 *     d = json.loads(TEXT)
 *     d = {k: v for k, v in d.items() if v is not None}
 *     s = json.dumps(d, separators=(",", ":"), ensure_ascii=False, sort_keys=True)
 *     hashlib.sha256(s.encode("utf-8")).hexdigest()
 * Cases marked "SDK" exercise dstack-sdk specifics (get_compose_hash.py,
 * normalize=False: "_" attributes dropped, docker_config/requirements known
 * fields dropped when None, NaN/Infinity -> None, str(runner)) and were
 * computed by running that module's from_dict/to_dict/to_deterministic_json
 * logic under the same Python. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../tdx/vectors_util.h"

static void hex32(const uint8_t h[32], char out[65])
{
    static const char d[] = "0123456789abcdef";
    for (size_t i = 0; i < 32; i++) {
        out[2 * i] = d[h[i] >> 4];
        out[2 * i + 1] = d[h[i] & 15];
    }
    out[64] = 0;
}

static void expect_hash_n(const char *json, size_t len, const char *hex)
{
    uint8_t h[32];
    char err[256] = "", got[65];
    ratls_status s = ratls_compose_hash((const uint8_t *)json, len, h, err, sizeof err);
    if (s)
        print_error("%s\n", err);
    assert_int_equal(s, RATLS_OK);
    hex32(h, got);
    assert_string_equal(got, hex);
}

static void expect_hash(const char *json, const char *hex) { expect_hash_n(json, strlen(json), hex); }

static void expect_canonical(const char *json, const char *canon)
{
    char *out = NULL, err[256] = "";
    ratls_status s = ratls_compose_canonical((const uint8_t *)json, strlen(json), &out, err, sizeof err);
    if (s)
        print_error("%s\n", err);
    assert_int_equal(s, RATLS_OK);
    assert_string_equal(out, canon);
    ratls_free_string(out);
}

static void expect_error(const char *json, size_t len, ratls_status want, const char *msg_part)
{
    uint8_t h[32];
    char err[256] = "";
    assert_int_equal(ratls_compose_hash((const uint8_t *)json, len, h, err, sizeof err), want);
    if (!strstr(err, msg_part))
        print_error("message \"%s\" lacks \"%s\"\n", err, msg_part);
    assert_non_null(strstr(err, msg_part));
    char *out = (char *)1;
    assert_int_equal(ratls_compose_canonical((const uint8_t *)json, len, &out, NULL, 0), want);
    assert_null(out);
}

static void test_key_order(void **state)
{
    (void)state;
    /* code-point order at every level: uppercase < lowercase < é < € < U+FFFF < emoji */
    const char *j = "{\"runner\":\"docker-compose\",\"zeta\":1,\"Alpha\":2,\"alpha\":3,\"\\u00e9\":4,\"z\":5,"
                    "\"\\u20ac\":6,\"\\ud83d\\ude00\":7,\"\\uffff\":8,\"nested\":{\"b\":1,\"a\":{\"d\":1,\"c\":2}},"
                    "\"arr\":[{\"y\":1,\"x\":2}]}";
    expect_hash(j, "3562a9295109ce0339df0151017fce66f17a8c2c6ecb28741d6f2f39467f6fe3");
    expect_canonical(
        j, "{\"Alpha\":2,\"alpha\":3,\"arr\":[{\"x\":2,\"y\":1}],\"nested\":{\"a\":{\"c\":2,\"d\":1},\"b\":1},"
           "\"runner\":\"docker-compose\",\"z\":5,\"zeta\":1,\"\xc3\xa9\":4,\"\xe2\x82\xac\":6,"
           "\"\xef\xbf\xbf\":8,\"\xf0\x9f\x98\x80\":7}");
    /* whitespace and raw (unescaped) UTF-8 input give the same hash */
    expect_hash(" {\n\t\"arr\" : [ { \"x\" : 2 , \"y\" : 1 } ] , \"runner\":\"docker-compose\",\"zeta\":1,"
                "\"Alpha\":2,\"alpha\":3,\"\xc3\xa9\":4,\"z\":5,\"\xe2\x82\xac\":6,\"\xf0\x9f\x98\x80\":7,"
                "\"\xef\xbf\xbf\":8,\"nested\":{\"a\":{\"c\":2,\"d\":1},\"b\":1}}\r\n",
                "3562a9295109ce0339df0151017fce66f17a8c2c6ecb28741d6f2f39467f6fe3");
}

static void test_escapes(void **state)
{
    (void)state;
    /* only '"', '\\' and controls are escaped (\b \f \n \r \t by name, others \u00xx);
     * "/", DEL, U+2028/9 and non-ASCII are written as is */
    const char *j = "{\"runner\":\"x\",\"s\":\"q\\\"b\\\\s\\/\\b\\f\\n\\r\\t\\u0000\\u0001\\u001f\\u007f\\u2028\\u2029"
                    "\\u00e9\\ud83d\\ude00\xf0\x9f\x98\x80\",\"k\\n\\u0000\":\"v\"}";
    expect_hash(j, "05b13ce1b3428d44cd82c92b89e3c97d4cae66b55d55db70d50d87e95c123156");
    expect_canonical(j,
                     "{\"k\\n\\u0000\":\"v\",\"runner\":\"x\",\"s\":\"q\\\"b\\\\s/\\b\\f\\n\\r\\t\\u0000\\u0001\\u001f"
                     "\x7f\xe2\x80\xa8\xe2\x80\xa9\xc3\xa9\xf0\x9f\x98\x80\xf0\x9f\x98\x80\"}");
}

static void test_nulls_and_empty(void **state)
{
    (void)state;
    const char *j =
        "{\"runner\":\"x\",\"top\":null,\"n\":{\"inner\":null,\"l\":[null]},\"name\":null,\"e\":[],\"o\":{}}";
    expect_hash(j, "38ef5a880f2d09d037bf0b1ab3dd2a9bf314d4d7c9df56831102b30a0e3f5651");
    expect_canonical(j, "{\"e\":[],\"n\":{\"inner\":null,\"l\":[null]},\"o\":{},\"runner\":\"x\"}");
}

static void test_integers(void **state)
{
    (void)state;
    /* Python ints are unbounded; "-0" is int 0 */
    const char *j = "{\"runner\":\"x\",\"zero\":0,\"neg\":-42,\"big\":9007199254740993,\"negzero\":-0,"
                    "\"huge\":123456789012345678901234567890}";
    expect_hash(j, "5531de4307ec4c58b1b7d426bdbd1e88155b6a4693a4978907c14692de0b7834");
    expect_canonical(j, "{\"big\":9007199254740993,\"huge\":123456789012345678901234567890,\"neg\":-42,\"negzero\":0,"
                        "\"runner\":\"x\",\"zero\":0}");
}

static void test_floats(void **state)
{
    (void)state;
    /* Python float repr: shortest round-trip, scientific below 1e-4 and from 1e16 */
    const char *j = "{\"runner\":\"x\",\"one\":1.0,\"tenth\":0.1,\"e16\":1e16,\"e15\":1E15,\"small\":1.5e-5,"
                    "\"negz\":-0.0,\"third\":0.333333333333333314829616256247,\"e4\":0.0001,"
                    "\"big\":1.7976931348623157e308,\"tiny\":5e-324,\"frac\":100e-2}";
    expect_hash(j, "04e90871d82529da79bbb87edf9aac60e197e3e8ba26bfddf18a82543adaae68");
    expect_canonical(j, "{\"big\":1.7976931348623157e+308,\"e15\":1000000000000000.0,\"e16\":1e+16,\"e4\":0.0001,"
                        "\"frac\":1.0,\"negz\":-0.0,\"one\":1.0,\"runner\":\"x\",\"small\":1.5e-05,\"tenth\":0.1,"
                        "\"third\":0.3333333333333333,\"tiny\":5e-324}");
    /* repr of a few more values, each checked against Python's repr(float(text)) */
    static const struct {
        const char *in, *repr;
    } r[] = {
        {"1e22", "1e+22"},
        {"123456789012345678", "123456789012345678"}, /* an int stays an int */
        {"1.2345678901234567e-7", "1.2345678901234566e-07"},
        {"9007199254740993.0", "9007199254740992.0"},
        {"2.2250738585072014e-308", "2.2250738585072014e-308"},
        {"0.30000000000000004", "0.30000000000000004"},
        {"1e-5", "1e-05"},
        {"12345.678e3", "12345678.0"},
        {"1e400", "null"}, /* float("1e400") is inf: nested -> null */
    };
    for (size_t i = 0; i < sizeof r / sizeof r[0]; i++) {
        char in[128], want[128];
        snprintf(in, sizeof in, "{\"runner\":\"x\",\"v\":[%s]}", r[i].in);
        snprintf(want, sizeof want, "{\"runner\":\"x\",\"v\":[%s]}", r[i].repr);
        expect_canonical(in, want);
    }
}

static void test_sdk_specifics(void **state)
{
    (void)state;
    /* SDK: "_" attributes and top-level NaN/Infinity dropped, nested ones -> null,
     * docker_config/requirements lose their known fields when null */
    const char *j = "{\"runner\":\"x\",\"_private\":1,\"__doc__\":\"d\",\"docker_config\":{\"registry\":null,"
                    "\"username\":\"u\",\"token_key\":null,\"extra\":null},\"requirements\":{\"platforms\":null,"
                    "\"gpu_policy\":null,\"other\":null},\"n\":NaN,\"i\":-Infinity,\"l\":[NaN,Infinity,1e400],"
                    "\"o\":{\"k\":NaN}}";
    expect_canonical(j, "{\"docker_config\":{\"extra\":null,\"username\":\"u\"},\"l\":[null,null,null],"
                        "\"o\":{\"k\":null},\"requirements\":{\"other\":null},\"runner\":\"x\"}");
    expect_hash(j, "615a7a56d04c8236c147ebbeba52d1be7fc2958ef59f5018b535085b4c6f9abd");
    /* SDK: runner = str(value) */
    expect_hash("{\"runner\":5}", "e4f7ad3bdc746009db0735cb349de6392e833de127c7d439a7c58721d1f7bbf1");
    expect_hash("{\"runner\":null}", "7c46a5b013af8820cc5a2ff797ba4fdb7f523bed08377de5c052f2cd1be83983");
    expect_hash("{\"runner\":NaN}", "7c46a5b013af8820cc5a2ff797ba4fdb7f523bed08377de5c052f2cd1be83983");
    expect_hash("{\"runner\":true}", "e7174db75d938707045bb3238ef970917edf66788fdc7eb25d30c5157cc10136");
    expect_hash("{\"runner\":2.50}", "b6ec3a132dfe5b3b34e639e4e07d6e83c8d2b20e46761e16c28a0e2e57ab02a5");
}

static void test_errors(void **state)
{
    (void)state;
#define E(lit, st, part) expect_error(lit, sizeof(lit) - 1, st, part)
    E("{\"name\":\"x\"}", RATLS_ERR_APP_COMPOSE, "\"runner\" field is missing");
    E("[{\"runner\":\"x\"}]", RATLS_ERR_APP_COMPOSE, "must be a JSON object");
    E("{\"runner\":\"x\",\"a\":1,\"a\":2}", RATLS_ERR_APP_COMPOSE, "duplicate key \"a\"");
    E("{\"runner\":\"x\",\"o\":{\"k\":1,\"k\":1}}", RATLS_ERR_APP_COMPOSE, "duplicate key \"k\"");
    E("{\"runner\":\"x\",\"\\u0061\":1,\"a\":2}", RATLS_ERR_APP_COMPOSE, "duplicate key"); /* after unescaping */
    E("{\"runner\":\"x\",}", RATLS_ERR_APP_COMPOSE, "invalid JSON");
    E("{\"runner\":\"x\"", RATLS_ERR_APP_COMPOSE, "invalid JSON");
    E("{\"runner\":\"x\"} {}", RATLS_ERR_APP_COMPOSE, "extra data");
    E("{\"runner\":'x'}", RATLS_ERR_APP_COMPOSE, "unexpected character");
    E("{\"runner\":\"x\",\"n\":01}", RATLS_ERR_APP_COMPOSE, "invalid JSON");
    E("{\"runner\":\"x\",\"n\":1.}", RATLS_ERR_APP_COMPOSE, "decimal point");
    E("{\"runner\":\"x\",\"n\":+1}", RATLS_ERR_APP_COMPOSE, "invalid JSON");
    E("{\"runner\":\"x\",\"s\":\"a\tb\"}", RATLS_ERR_APP_COMPOSE, "control character");
    E("{\"runner\":\"x\",\"s\":\"\\x\"}", RATLS_ERR_APP_COMPOSE, "invalid escape");
    E("{\"runner\":\"x\",\"s\":\"\\ud800\"}", RATLS_ERR_APP_COMPOSE, "surrogate");
    E("{\"runner\":\"x\",\"s\":\"\\udc00\\ud800\"}", RATLS_ERR_APP_COMPOSE, "surrogate");
    E("{\"runner\":\"x\",\"s\":\"\xc3\"}", RATLS_ERR_APP_COMPOSE, "invalid UTF-8");
    E("{\"runner\":\"x\",\"s\":\"\xc0\xaf\"}", RATLS_ERR_APP_COMPOSE, "invalid UTF-8");     /* overlong */
    E("{\"runner\":\"x\",\"s\":\"\xed\xa0\x80\"}", RATLS_ERR_APP_COMPOSE, "invalid UTF-8"); /* surrogate */
    E("\xef\xbb\xbf{\"runner\":\"x\"}", RATLS_ERR_APP_COMPOSE, "byte-order mark");
    E("", RATLS_ERR_APP_COMPOSE, "unexpected end");
    /* where dstack-sdk itself raises */
    E("{\"runner\":[\"x\"]}", RATLS_ERR_APP_COMPOSE, "runner");
    E("{\"runner\":\"x\",\"docker_config\":null}", RATLS_ERR_APP_COMPOSE, "docker_config");
    E("{\"runner\":\"x\",\"requirements\":[]}", RATLS_ERR_APP_COMPOSE, "requirements");
    E("{\"runner\":\"x\",\"docker_config\":{\"self\":1}}", RATLS_ERR_APP_COMPOSE, "self");
    E("{\"runner\":\"x\",\"to_dict\":1}", RATLS_ERR_APP_COMPOSE, "to_dict");
#undef E
    /* Python's int() takes at most 4300 digits: 4300 pass, 4301 are refused */
    size_t n = 4301;
    char *big = malloc(n + 32);
    assert_non_null(big);
    memcpy(big, "{\"runner\":\"x\",\"n\":", 18);
    memset(big + 18, '7', n);
    memcpy(big + 18 + n, "}", 2);
    expect_error(big, strlen(big), RATLS_ERR_APP_COMPOSE, "digits");
    memcpy(big + 18 + n - 1, "}", 2);
    expect_hash(big, "15882644871763e066f61552d1d722927e98c74623614d27f419c32bc68348e6");
    free(big);
}

static void test_limits(void **state)
{
    (void)state;
    /* nesting: RATLS_COMPOSE_MAX_DEPTH levels pass, one more fails */
    size_t d = RATLS_COMPOSE_MAX_DEPTH;
    char *j = malloc(2 * d + 64);
    assert_non_null(j);
    size_t o = 0;
    o += (size_t)sprintf(j, "{\"runner\":\"x\",\"a\":");
    for (size_t i = 0; i < d - 1; i++)
        j[o++] = '[';
    for (size_t i = 0; i < d - 1; i++)
        j[o++] = ']';
    j[o++] = '}';
    uint8_t h[32];
    assert_int_equal(ratls_compose_hash((const uint8_t *)j, o, h, NULL, 0), RATLS_OK);
    o = (size_t)sprintf(j, "{\"runner\":\"x\",\"a\":");
    for (size_t i = 0; i < d; i++)
        j[o++] = '[';
    for (size_t i = 0; i < d; i++)
        j[o++] = ']';
    j[o++] = '}';
    expect_error(j, o, RATLS_ERR_TOO_LARGE, "nested deeper");
    free(j);
    /* size */
    size_t big = (size_t)RATLS_COMPOSE_MAX_LEN + 1;
    char *b = malloc(big);
    assert_non_null(b);
    memset(b, ' ', big);
    memcpy(b, "{\"runner\":\"x\"}", 14);
    expect_error(b, big, RATLS_ERR_TOO_LARGE, "exceed");
    assert_int_equal(ratls_compose_hash((const uint8_t *)b, big - 1, h, NULL, 0), RATLS_OK);
    free(b);
    /* arguments */
    char *out = NULL;
    assert_int_equal(ratls_compose_hash((const uint8_t *)"{}", 2, NULL, NULL, 0), RATLS_ERR_INVALID_ARGUMENT);
    assert_int_equal(ratls_compose_canonical(NULL, 5, &out, NULL, 0), RATLS_ERR_INVALID_ARGUMENT);
    assert_int_equal(ratls_compose_canonical((const uint8_t *)"{}", 2, NULL, NULL, 0), RATLS_ERR_INVALID_ARGUMENT);
}

static void vector_hash(const char *rel, const char *hex)
{
    uint8_t *b;
    size_t n;
    assert_int_equal(vec_read(rel, &b, &n), 0);
    expect_hash_n((const char *)b, n, hex);
    printf("  %s: compose hash %.16s…\n", rel, hex);
    free(b);
}

static void test_real_app_composes(void **state)
{
    (void)state;
    if (!vec_dir())
        skip();
    /* Expected values from the Python formula above applied to each file.
     * Neither matches a compose-hash event in the vectors (the simulator's
     * attestation.bin logs c143116f…; the 5a8064d4 event log ea549f02…), and
     * no vector carries a tcb_info.app_compose, so only Python's answer is
     * asserted. */
    vector_hash("tdx/dstack/simulator/app-compose.json",
                "84d4e7a031ef7d048d1492ca00b754c32513934e53f62b2dcf84b3e440656f61");
    vector_hash("seeds/dstack/5a8064d4/app-compose.json",
                "6b80b7038acda9b85f158667d79e70007938ddadf43c8198a08aa1963c55ad0e");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_order), cmocka_unit_test(test_escapes), cmocka_unit_test(test_nulls_and_empty),
        cmocka_unit_test(test_integers),  cmocka_unit_test(test_floats),  cmocka_unit_test(test_sdk_specifics),
        cmocka_unit_test(test_errors),    cmocka_unit_test(test_limits),  cmocka_unit_test(test_real_app_composes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
