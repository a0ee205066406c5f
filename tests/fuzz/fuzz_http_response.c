/* libFuzzer target: the reader of the attestation response (HTTP/1.1 status
 * line, headers, Content-Length or chunked body, caps), fed in steps of
 * 1..256 bytes as a server may send it (the first input byte picks the step). */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "net/conn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t step = (size_t)data[0] + 1;
    long status = 0;
    uint8_t *body = NULL;
    size_t blen = 0;
    char err[512] = "";
    fuzz_poison_stack();
    ratls_status s = conn_read_response_mem(data + 1, size - 1, step, &status, &body, &blen, err, sizeof err);
    if (s == RATLS_OK) {
        /* a body comes out of the input, NUL-terminated, with a 3-digit status */
        FUZZ_CHECK(body != NULL && blen < size && body[blen] == 0 && status >= 100 && status <= 999);
    } else {
        FUZZ_CHECK(body == NULL && (err[0] || s == RATLS_ERR_NO_MEMORY));
    }
    free(body);
    return 0;
}
