/* Reading the shared third-party vectors (never copied into the repo). */
#ifndef RATLS_TESTS_VECTORS_UTIL_H
#define RATLS_TESTS_VECTORS_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "ratls/ratls.h"

/* The vectors folder, or NULL (with a message on stdout) when it is absent.
 * RATLS_VECTORS in the environment overrides the compiled-in path. */
const char *vec_dir(void);
/* Read DIR/rel. 0 on success. */
int vec_read(const char *rel, uint8_t **buf, size_t *len);
/* Read a quote: binary, hex text, or "file.json#field" (hex in a JSON string field). */
int vec_read_quote(const char *spec, uint8_t **buf, size_t *len);

typedef struct vec_case {
    char name[64];
    char quote[256];
    char collateral[256];
    int64_t time;
    char expected[64];
    int exit_code;
} vec_case;

/* Parse tdx/cases.tsv; returns the number of cases (malloc'd array), -1 on error. */
int vec_cases(vec_case **out);

/* Verify quote+collateral at `at` with the default (or given) policy. */
ratls_status vec_verify(ratls_verifier *v, const uint8_t *q, size_t qlen, const ratls_collateral *c,
                        const ratls_policy *p, int64_t at, ratls_result **res);

#endif
