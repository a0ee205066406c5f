/* libFuzzer target: the dstack policy file (ratls_policy_from_json). */
#include <string.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512] = "";
    fuzz_poison_stack();
    ratls_policy *p = NULL;
    ratls_status s = ratls_policy_from_json(data, size, &p, err, sizeof err);
    FUZZ_CHECK(memchr(err, 0, sizeof err) != NULL);
    if (s == RATLS_OK) {
        FUZZ_CHECK(p != NULL);
        ratls_policy_free(p);
    } else {
        FUZZ_CHECK(p == NULL && (err[0] || s == RATLS_ERR_NO_MEMORY));
    }
    return 0;
}
