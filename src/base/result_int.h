/* Result builder (internal). Every check becomes one entry with a stable id. */
#ifndef RATLS_BASE_RESULT_INT_H
#define RATLS_BASE_RESULT_INT_H

#include "base/util.h"
#include "ratls/ratls.h"

typedef struct result_check {
    char *id;
    ratls_check_outcome outcome;
    char *detail;
} result_check;

struct ratls_result {
    ratls_tee tee;
    ratls_status status; /* first failure, or RATLS_OK */
    char *error;         /* "<check id>: <detail>" of the first failure */
    result_check *checks;
    size_t nchecks, capchecks;
    char *tcb_status;
    char **advisories;
    size_t nadv;
    int64_t coll_valid_from, coll_expiry;
    int has_report;
    ratls_tdx_report report;
    char fmspc[13];
    char pceid[5];
    int insecure_root;
    int64_t eval_num; /* -1 unknown */
    int oom;
};

ratls_result *result_new(ratls_tee tee);
void result_check_add(ratls_result *r, const char *id, ratls_check_outcome o, const char *fmt, ...) RATLS_PRINTF(4, 5);
/* The same entry, placed first (a step that ran before the others, such as the transport). */
void result_check_prepend(ratls_result *r, const char *id, ratls_check_outcome o, const char *fmt, ...)
    RATLS_PRINTF(4, 5);
/* Adds a FAIL entry and records the status if it is the first failure. */
ratls_status result_fail(ratls_result *r, ratls_status s, const char *id, const char *fmt, ...) RATLS_PRINTF(4, 5);
void result_set_tcb_status(ratls_result *r, const char *status);
void result_add_advisory(ratls_result *r, const char *id); /* de-duplicates */

#endif
