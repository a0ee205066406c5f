#ifndef RATLS_CRYPTO_P256_H
#define RATLS_CRYPTO_P256_H

/* ECDSA P-256 verification on public data (see p256.c). Internal. */

#include <stdint.h>

/* an affine point on the curve, coordinates in Montgomery form */
typedef struct {
    uint64_t x[4], y[4];
} p256_point;

/* Load X || Y (big-endian, 32 bytes each). 1 when both are < p and the
 * point is on the curve, else 0. */
int p256_point_from_xy(p256_point *pt, const uint8_t xy[64]);

/* Precomputed multiples of one key (32 KiB), for a key that verifies many
 * signatures: a verification with it costs about a third of one without.
 * NULL on allocation failure. */
typedef struct p256_table p256_table;
p256_table *p256_table_new(const p256_point *q);
/* Tables are reference-counted: _ref adds one, _free drops one. */
p256_table *p256_table_ref(p256_table *t);
void p256_table_free(p256_table *t);

/* 1 when sig = r || s (big-endian, 32 bytes each) is a valid ECDSA
 * signature by q over the SHA-256 digest, else 0. r and s must be in
 * [1, n-1]. qt, when not NULL, must be q's table (p256_table_new(q)). */
int p256_ecdsa_verify_digest(const p256_point *q, const p256_table *qt, const uint8_t digest[32],
                             const uint8_t sig[64]);

#endif
