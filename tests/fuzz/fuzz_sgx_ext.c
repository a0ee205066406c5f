/* libFuzzer target: the PCK certificate's SGX extension (strict DER). */
#include <string.h>

#include "fuzz_common.h"
#include "tdx/sgx_ext.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sgx_ext e;
    char err[256] = "";
    fuzz_poison_stack();
    ratls_status s = sgx_ext_parse(data, size, &e, err, sizeof err);
    FUZZ_CHECK(memchr(err, 0, sizeof err) != NULL);
    if (s != RATLS_OK) {
        FUZZ_CHECK(s == RATLS_ERR_SGX_EXTENSION && err[0] != '\0');
        return 0;
    }
    FUZZ_CHECK(e.sgx_type >= 0 && e.sgx_type <= 2);
    if (e.has_platform_fields) {
        FUZZ_CHECK(e.dynamic_platform == 0 || e.dynamic_platform == 1);
        FUZZ_CHECK(e.cached_keys == 0 || e.cached_keys == 1);
        FUZZ_CHECK(e.smt_enabled == 0 || e.smt_enabled == 1);
    } else {
        FUZZ_CHECK(e.has_platform_fields == 0);
        FUZZ_CHECK(e.dynamic_platform == -1 && e.cached_keys == -1 && e.smt_enabled == -1);
    }
    return 0;
}
