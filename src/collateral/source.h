/* Collateral sources (internal): memory cache -> disk cache -> Intel PCS or
 * a PCCS -> offline bundles, behind one call the verifier makes with a key
 * (FMSPC and PCK CA) and a time. */
#ifndef RATLS_COLLATERAL_SOURCE_H
#define RATLS_COLLATERAL_SOURCE_H

#include "core/core.h"
#include "crypto/crypto.h"
#include "ratls/ratls.h"

/* PCK CA kinds, as the PCK CRL is asked for. */
#define SOURCE_CA_PLATFORM 1
#define SOURCE_CA_PROCESSOR 2

void source_ref(ratls_collateral_source *s);

/* The collateral for a platform (`fmspc`, `ca`) valid at `now`, every item
 * verified under the anchor (`test_root`, or the pinned Intel root when
 * NULL) before it was cached or returned. `grace` (INSECURE) lets an
 * expired item serve when no valid one can be had. *out is a reference:
 * release it with ratls_collateral_free. */
ratls_status source_get_tdx(ratls_collateral_source *s, const rcert *test_root, const uint8_t fmspc[6], int ca,
                            int64_t now, int64_t grace, ratls_collateral **out, char *err, size_t errlen);

/* One on-disk cache file: its item's body and issuer chain (malloc'd),
 * if it is a cache file for `kind` and `param`. Nothing is verified here. */
ratls_status source_disk_parse(const char *buf, size_t len, tdx_item_kind kind, const char *param, uint8_t **body,
                               size_t *blen, char **chain);

#endif
