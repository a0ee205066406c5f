/* AMD KDS items (internal): the checks a collateral source runs on each
 * certificate chain, CRL and VCEK that AMD KDS (or a stand-in, or the disk
 * cache) hands it, before the item is cached or returned. Each check also
 * gives the item's validity window and issue time. */
#ifndef RATLS_SNP_KDS_H
#define RATLS_SNP_KDS_H

#include <stddef.h>
#include <stdint.h>

#include "ratls/ratls.h"

typedef enum snp_kds_kind {
    SNP_KDS_ITEM_CHAIN, /* {vcek|vlek}/v1/{P}/cert_chain: ASK (or ASVK) then ARK, PEM */
    SNP_KDS_ITEM_CRL,   /* {vcek|vlek}/v1/{P}/crl: the ARK's CRL, DER */
    SNP_KDS_ITEM_VCEK   /* vcek/v1/{P}/{hwid}?...SPL=: one VCEK, DER */
} snp_kds_kind;

typedef struct snp_kds_info {
    int64_t issued;   /* never trade a held copy for an older issue */
    int64_t from, to; /* every part of the item is valid in [from, to] */
} snp_kds_info;

/* What a VCEK must be for. */
typedef struct snp_kds_want {
    ratls_snp_product product;
    uint8_t chip_id[64];
    uint64_t reported_tcb;
} snp_kds_want;

/* Verify one item at `now` under the ARK whose SubjectPublicKeyInfo SHA-256
 * is `ark_pin`:
 *  - chain: exactly two certificates, the ARK (pinned key, self-signed, CA)
 *    and a CA certificate it issued (ASK/ASVK), both valid at now;
 *  - CRL (needs the verified chain): issued by the ARK's name, signed by its
 *    key, lastUpdate <= now < nextUpdate;
 *  - VCEK (needs the verified chain and `want`): one certificate, not a CA,
 *    under the ASK, with SPLs equal to want->reported_tcb (product layout),
 *    HWID equal to want->chip_id (Turin: its first 8 bytes), no CSP id, a
 *    product name (if any) of want->product; valid at now.
 * `chain` is the chain item's body (NULL for the chain itself). */
ratls_status snp_kds_item_verify(snp_kds_kind kind, const uint8_t ark_pin[32], const snp_kds_want *want,
                                 const uint8_t *chain, size_t chain_len, const uint8_t *body, size_t len, int64_t now,
                                 snp_kds_info *info, char *err, size_t errlen);

#endif
