/*
 * libFuzzer target: the TDX quote parser, its JSON decoding, the relaxed hex
 * reader, and the whole DCAP verifier and appraisal for the fuzzed quote
 * against a fixed, valid test-PKI collateral at FUZZ_NOW (the corpus quotes
 * chain to the same test root, so mutations reach every verification step).
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "ratls/ratls.h"

static void parse_quote(const uint8_t *data, size_t size)
{
    ratls_tdx_quote *q = NULL;
    char err[256] = "";
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
