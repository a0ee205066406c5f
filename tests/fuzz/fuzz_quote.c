/*
 * libFuzzer target: the TDX quote parser, its JSON decoding, the relaxed hex
 * reader, and the whole DCAP verifier and appraisal for the fuzzed quote
 * against a fixed, valid test-PKI collateral at FUZZ_NOW (the corpus quotes
 * chain to the same test root, so mutations reach every verification step).
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fuzz_common.h"
#include "ratls/ratls.h"
#include "tdx/pem_chain.h"
#include "tdx/quote.h"

/* The JSON lists every certificate of a PCK chain that parses. */
static void check_quote_json(const ratls_tdx_quote *q, const char *js)
{
    json_error_t je;
    json_t *o = json_loads(js, 0, &je);
    FUZZ_CHECK(o != NULL && json_is_object(o) && json_is_object(json_object_get(o, "td_report")));
    rchain ch = {{0}, 0};
    if (pem_chain_parse(q->pem, q->pem_len, TDX_MAX_CERTS, &ch, NULL, 0) == RATLS_OK) {
        json_t *list = json_object_get(json_object_get(o, "signature_data"), "pck_chain");
        FUZZ_CHECK(json_array_size(list) == ch.n);
        rchain_free(&ch);
    }
    json_decref(o);
}

static void parse_quote(const uint8_t *data, size_t size)
{
    ratls_tdx_quote *q = NULL;
    char err[256] = "";
    fuzz_poison_stack();
    ratls_status s = ratls_tdx_quote_parse(data, size, &q, err, sizeof err);
    FUZZ_CHECK((s == RATLS_OK) == (q != NULL));
    FUZZ_CHECK(memchr(err, 0, sizeof err) != NULL);
    if (!q) {
        FUZZ_CHECK(s != RATLS_ERR_INVALID_ARGUMENT && err[0] != '\0');
        return;
    }
    const ratls_tdx_report *rep = ratls_tdx_quote_report(q);
    FUZZ_CHECK(rep != NULL);
    FUZZ_CHECK(rep->quote_version == 4 || rep->quote_version == 5);
    FUZZ_CHECK(rep->body_type == 2 || rep->body_type == 3);
    char *js = NULL;
    FUZZ_CHECK(ratls_tdx_quote_to_json(q, &js) == RATLS_OK && js != NULL);
    check_quote_json(q, js);
    ratls_free_string(js);
    ratls_tdx_quote_free(q);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const fuzz_fixture *fx = fuzz_fixture_get();

    parse_quote(data, size);

    /* The same bytes read as a hex quote file (as `ratls quote show` does). */
    uint8_t *bin = NULL;
    size_t n = 0;
    if (ratls_hex_decode_relaxed((const char *)data, size, &bin, &n) == RATLS_OK) {
        FUZZ_CHECK(bin != NULL && n > 0 && n <= size / 2);
        parse_quote(bin, n);
        free(bin);
    } else {
        FUZZ_CHECK(bin == NULL);
    }

    ratls_evidence *ev = ratls_evidence_new();
    FUZZ_CHECK(ev != NULL);
    ratls_status s = ratls_evidence_set_tdx_quote(ev, data, size);
    if (s == RATLS_OK)
        fuzz_verify_twice(fx, ev, fx->collateral);
    else
        FUZZ_CHECK(size == 0 || size > RATLS_TDX_MAX_QUOTE_LEN);
    ratls_evidence_free(ev);
    return 0;
}
