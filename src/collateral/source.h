/* Collateral sources (internal): memory cache -> disk cache -> Intel PCS or
 * a PCCS -> offline bundles, behind one call the verifier makes with a key
 * (FMSPC and PCK CA) and a time; and the same caches in front of AMD KDS for
 * SEV-SNP (product, chip and TCB). */
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

#define SNP_KDS_CHAIN 1u /* ASK (or ASVK) + ARK, PEM as KDS serves it */
#define SNP_KDS_CRL 2u   /* the ARK's CRL, DER */
#define SNP_KDS_VCEK 4u  /* the VCEK for chip_id + reported_tcb, DER */
#define SNP_KDS_VLEK 8u  /* chain and CRL from vlek/v1 instead of vcek/v1 (no VCEK then) */
typedef struct snp_kds_parts {
    uint8_t *vcek;
    size_t vcek_len;
    uint8_t *chain;
    size_t chain_len;
    uint8_t *crl;
    size_t crl_len;
} snp_kds_parts; /* malloc'd copies */
void snp_kds_parts_clear(snp_kds_parts *p);
/* The requested items for a report of product p, each verified before it is
 * cached or returned: the ARK's SubjectPublicKeyInfo SHA-256 equals ark_pin
 * (the caller passes snp_ark_pin(p), or a test anchor's pin), ASK under ARK,
 * CRL issued and signed by the ARK, VCEK under the ASK with SPLs equal to
 * reported_tcb (product layout) and HWID equal to chip_id, all valid at now.
 * The chain is always fetched (the CRL and the VCEK are checked under it)
 * but returned only when asked for. A masked (all-zero) chip_id cannot fetch
 * a VCEK (RATLS_ERR_COLLATERAL_UNAVAILABLE); VLEK with VCEK is an invalid
 * argument. Items are cached per ARK pin, product and VCEK/VLEK side, and a
 * VCEK per (product, chip, TCB), so KDS is asked for each VCEK once while
 * it is valid. On failure *out is empty and err names the URL and what
 * failed. */
ratls_status source_get_snp(ratls_collateral_source *s, const uint8_t ark_pin[32], ratls_snp_product p,
                            const uint8_t chip_id[64], uint64_t reported_tcb, unsigned want, int64_t now,
                            snp_kds_parts *out, char *err, size_t errlen);

/* One on-disk cache file: its item's body and issuer chain (malloc'd),
 * if it is a cache file for `kind` and `param`. Nothing is verified here. */
ratls_status source_disk_parse(const char *buf, size_t len, tdx_item_kind kind, const char *param, uint8_t **body,
                               size_t *blen, char **chain);

#endif
