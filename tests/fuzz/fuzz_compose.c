/* libFuzzer target: app-compose canonicalization and hashing (own strict
 * JSON parser, Python float repr, key sorting). */
#include <string.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512] = "";
    uint8_t h1[32], h2[32];
    fuzz_poison_stack();
    char *canon = NULL;
    ratls_status s = ratls_compose_canonical(data, size, &canon, err, sizeof err);
    FUZZ_CHECK(memchr(err, 0, sizeof err) != NULL);
    ratls_status s2 = ratls_compose_hash(data, size, h1, NULL, 0);
    FUZZ_CHECK((s == RATLS_OK) == (s2 == RATLS_OK));
    if (s == RATLS_OK) {
        /* the canonical form is a fixed point: canonicalizing it again gives the same hash */
        FUZZ_CHECK(canon != NULL);
        FUZZ_CHECK(ratls_compose_hash((const uint8_t *)canon, strlen(canon), h2, NULL, 0) == RATLS_OK);
        FUZZ_CHECK(memcmp(h1, h2, 32) == 0);
        ratls_free_string(canon);
    }
    return 0;
}
