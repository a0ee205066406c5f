/*
 * libFuzzer target: the QuoteCollateralV3 JSON loader (and through it the
 * PEM-chain, CRL, TCB Info and QE Identity parsers), its serialization round
 * trip, and verification of a fixed, valid test-PKI quote against whatever
 * parsed, at FUZZ_NOW.
 */
#include <string.h>

#include "fuzz_common.h"
#include "ratls/ratls.h"
#include "tdx/collateral.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const fuzz_fixture *fx = fuzz_fixture_get();
    ratls_collateral *c = NULL;
    char err[512] = "";
    fuzz_poison_stack();
    ratls_status s = ratls_collateral_from_json(data, size, &c, err, sizeof err);
    FUZZ_CHECK((s == RATLS_OK) == (c != NULL));
    FUZZ_CHECK(memchr(err, 0, sizeof err) != NULL);
    if (!c) {
        FUZZ_CHECK(s != RATLS_ERR_INVALID_ARGUMENT && err[0] != '\0');
        return 0;
    }

    /* Round trip: the serialization parses back to the same collateral
     * (same signed texts, hence the same digest) and serializes identically. */
    char *j1 = NULL, *j2 = NULL;
    ratls_collateral *c2 = NULL;
    FUZZ_CHECK(ratls_collateral_to_json(c, &j1) == RATLS_OK && j1 != NULL);
    FUZZ_CHECK(ratls_collateral_from_json((const uint8_t *)j1, strlen(j1), &c2, err, sizeof err) == RATLS_OK);
    FUZZ_CHECK(ratls_collateral_to_json(c2, &j2) == RATLS_OK && j2 != NULL);
    FUZZ_CHECK(strcmp(j1, j2) == 0);
    FUZZ_CHECK(memcmp(c->digest, c2->digest, sizeof c->digest) == 0);
    const char *fm = ratls_collateral_fmspc(c);
    FUZZ_CHECK(fm != NULL && strlen(fm) == 12 && strcmp(fm, ratls_collateral_fmspc(c2)) == 0);
    ratls_free_string(j1);
    ratls_free_string(j2);
    ratls_collateral_free(c2);

    fuzz_verify_twice(fx, fx->evidence, c);
    ratls_collateral_free(c);
    return 0;
}
