/* dstack internals shared by the response parser and the evidence. */
#ifndef RATLS_DSTACK_H
#define RATLS_DSTACK_H

#include "ratls/ratls.h"

struct ratls_dstack_response {
    uint8_t *quote;
    size_t quote_len;
    ratls_eventlog *log;
    int has_app_compose_hash; /* tcb_info.app_compose was present */
    uint8_t app_compose_hash[32];
};

/* The v1 digest of a runtime event (imr 3, type 0x08000001):
 * SHA-384(le32(type) ":" name ":" payload). 0 on success. For the event log
 * parser and for code that writes logs (the simulated TD). */
int dstack_runtime_digest_v1(const char *name, const uint8_t *payload, size_t payload_len, uint8_t out[48]);

#endif
