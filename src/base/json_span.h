/* Byte spans of members in signed JSON. Intel signs the exact bytes of the
 * `tcbInfo` / `enclaveIdentity` value inside a PCS response; DOM parsers
 * re-serialize, so the span is found by a strict bounded scanner. */
#ifndef RATLS_BASE_JSON_SPAN_H
#define RATLS_BASE_JSON_SPAN_H

#include <stddef.h>

#define JSON_SPAN_MAX_DEPTH 64

/* Find the member `key` of the top-level object in json[0..len). The
 * whole text must be one well-formed JSON object (RFC 8259), with `key`
 * present exactly once at the top level. On success *val / *vlen is the
 * member value's exact text. Returns 0, or -1 when malformed / absent /
 * duplicated / nested deeper than JSON_SPAN_MAX_DEPTH. */
int json_member_span(const char *json, size_t len, const char *key, const char **val, size_t *vlen);

#endif
