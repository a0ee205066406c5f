/* Strict PEM certificate-chain parser (the quote's type-5 certification data
 * and the collateral's issuer chains). */
#ifndef RATLS_TDX_PEM_CHAIN_H
#define RATLS_TDX_PEM_CHAIN_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/crypto.h"
#include "ratls/ratls.h"

#define TDX_PEM_MAX (64u * 1024u)
#define RCHAIN_MAX 8

typedef struct rchain {
    rcert *c[RCHAIN_MAX];
    size_t n;
} rchain;

void rchain_free(rchain *ch); /* frees the certificates, leaves n = 0 */

/* Parse 1..max_certs (<= RCHAIN_MAX) "CERTIFICATE" PEM blocks. Only ASCII
 * whitespace may stand between and around blocks; trailing NUL bytes are
 * tolerated. Every block must decode to exactly one certificate of the
 * supported profile (X.509 v3, ECDSA-P256/SHA-256). */
ratls_status pem_chain_parse(const uint8_t *buf, size_t len, size_t max_certs, rchain *out, char *err, size_t errlen);

#endif
