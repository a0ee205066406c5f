/* Typed, strict accessors over jansson values (all untrusted). */
#ifndef RATLS_BASE_JSON_UTIL_H
#define RATLS_BASE_JSON_UTIL_H

#include <jansson.h>

#include "base/util.h"

ratls_status jget_str(const json_t *o, const char *key, const char **out, size_t *len);
int jget_int(const json_t *o, const char *key, int64_t min, int64_t max, int64_t *out);
int jget_hex(const json_t *o, const char *key, uint8_t *out, size_t n);
int jget_time(const json_t *o, const char *key, int64_t *out);

/* Lower-case hex string of up to 384 bytes (JSON null beyond). */
json_t *json_hex(const uint8_t *b, size_t n);
/* The TD report fields as a JSON object of hex strings. */
json_t *tdx_report_to_json(const ratls_tdx_report *t);

#define RATLS_JSON_FLAGS JSON_REJECT_DUPLICATES

#endif
