#include <stdlib.h>
#include <string.h>

#include "core/core.h"

ratls_evidence *ratls_evidence_new(void) { return calloc(1, sizeof(ratls_evidence)); }

void ratls_evidence_free(ratls_evidence *ev)
{
    if (!ev)
        return;
    free(ev->quote);
    free(ev);
}

ratls_status ratls_evidence_set_tdx_quote(ratls_evidence *ev, const uint8_t *quote, size_t len)
{
    if (!ev || !quote || len == 0)
        return RATLS_ERR_INVALID_ARGUMENT;
    if (len > RATLS_TDX_MAX_QUOTE_LEN)
        return RATLS_ERR_TOO_LARGE;
    uint8_t *b = malloc(len);
    if (!b)
        return RATLS_ERR_NO_MEMORY;
    memcpy(b, quote, len);
    free(ev->quote);
    ev->quote = b;
    ev->quote_len = len;
    ev->tee = RATLS_TEE_TDX;
    return RATLS_OK;
}

ratls_tee ratls_evidence_tee(const ratls_evidence *ev) { return ev ? ev->tee : RATLS_TEE_NONE; }
