/* Minimal strict DER reader (definite lengths, minimal length encoding). */
#ifndef RATLS_BASE_DER_H
#define RATLS_BASE_DER_H

#include <stddef.h>
#include <stdint.h>

#define DER_BOOLEAN 0x01
#define DER_INTEGER 0x02
#define DER_OCTET_STRING 0x04
#define DER_OID 0x06
#define DER_ENUMERATED 0x0a
#define DER_SEQUENCE 0x30

typedef struct der {
    const uint8_t *p;
    size_t len;
} der_t;

/* Read one TLV of the given tag from *in; on success *val is its contents and
 * *in advances past it. Returns 0, or -1 on wrong tag / bad length / short. */
int der_read(der_t *in, uint8_t tag, der_t *val);
/* Non-negative INTEGER that fits in max (minimal encoding required). */
int der_uint(const der_t *val, uint64_t max, uint64_t *out);
/* Encoded OID contents compared with a dotted string ("1.2.840..."). */
int der_oid_equals(const der_t *val, const char *dotted);

#endif
