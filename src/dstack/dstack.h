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

#endif
