/* libFuzzer target: the SEV-SNP policy file (ratls_snp_policy_from_json). */
#include <string.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512] = "";
    fuzz_poison_stack();
    ratls_snp_policy *p = NULL;
    ratls_status s = ratls_snp_policy_from_json(data, size, &p, err, sizeof err);
    FUZZ_CHECK(memchr(err, 0, sizeof err) != NULL);
    if (s == RATLS_OK) {
        FUZZ_CHECK(p != NULL);
        /* only the flags the API defines */
        unsigned f = ratls_snp_policy_flags(p);
        const unsigned known = (unsigned)RATLS_SNP_ALLOW_DEBUG_INSECURE | (unsigned)RATLS_SNP_ALLOW_MIGRATE_MA |
                               (unsigned)RATLS_SNP_SKIP_REVOCATION_INSECURE | (unsigned)RATLS_SNP_FORBID_SMT |
                               (unsigned)RATLS_SNP_ALLOW_CXL | (unsigned)RATLS_SNP_ALLOW_PROVISIONAL_FIRMWARE;
        FUZZ_CHECK((f & ~known) == 0);
        ratls_snp_policy_free(p);
    } else {
        FUZZ_CHECK(p == NULL && (err[0] || s == RATLS_ERR_NO_MEMORY));
    }
    return 0;
}
