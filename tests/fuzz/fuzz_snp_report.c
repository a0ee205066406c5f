/* libFuzzer target: the AMD SEV-SNP attestation report parser and its JSON. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "snp/snp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ratls_snp_report *r = NULL;
    char err[256] = "";
    fuzz_poison_stack();
    ratls_status s = ratls_snp_report_parse(data, size, &r, err, sizeof err);
    FUZZ_CHECK(memchr(err, 0, sizeof err) != NULL);
    if (s != RATLS_OK) {
        FUZZ_CHECK(r == NULL);
        FUZZ_CHECK(s == RATLS_ERR_SNP_REPORT_FORMAT && err[0] != '\0');
    } else {
        /* the raw form is kept as received; the JSON form becomes those bytes */
        FUZZ_CHECK(snp_report_is_json(data, size) || (size == RATLS_SNP_REPORT_LEN && memcmp(r->raw, data, size) == 0));
        FUZZ_CHECK(r->version == 2 || r->version == 3 || r->version == 5);
        FUZZ_CHECK(r->has_cpuid == (r->version >= 3) && r->has_mit_vector == (r->version >= 5));
        FUZZ_CHECK((r->policy >> 26) == 0 && (r->policy & SNP_POLICY_RESERVED_1));
        FUZZ_CHECK(r->signing_key <= 1 || r->signing_key == SNP_SIGNING_KEY_NONE);
        ratls_snp_product p = ratls_snp_report_product(r);
        FUZZ_CHECK(p >= RATLS_SNP_PRODUCT_UNKNOWN && p <= RATLS_SNP_PRODUCT_TURIN);
        char *j = NULL;
        ratls_status js = ratls_snp_report_to_json(r, &j);
        FUZZ_CHECK(js == RATLS_OK ? j != NULL : js == RATLS_ERR_NO_MEMORY);
        free(j);
        ratls_snp_report_free(r);
    }
    /* the verifier on the same bytes, without certificates: never verified */
    ratls_result *res = NULL;
    ratls_status vs = ratls_snp_verify(data, size, NULL, RATLS_SNP_PRODUCT_UNKNOWN, NULL, FUZZ_NOW, &res);
    FUZZ_CHECK(vs != RATLS_OK && (res == NULL || !ratls_result_verified(res)));
    ratls_result_free(res);
    return 0;
}
