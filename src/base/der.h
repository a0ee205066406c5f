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

#define DER_BIT_STRING 0x03
#define DER_NULL 0x05
#define DER_UTF8 0x0c
#define DER_PRINTABLE 0x13
#define DER_IA5 0x16
#define DER_UTCTIME 0x17
#define DER_GENTIME 0x18
#define DER_SET 0x31

/* Read an OBJECT IDENTIFIER whose encoding is well formed (non-empty, no
 * 0x80 padding at the start of a sub-identifier, last octet complete). */
int der_read_oid(der_t *in, der_t *val);
/* Valid UTF-8 (no overlongs, surrogates or code points past U+10FFFF). */
int utf8_valid(const uint8_t *p, size_t n);
/* Read any TLV: tag, contents, and the whole encoding (tlv). */
int der_read_tlv(der_t *in, uint8_t *tag, der_t *val, der_t *tlv);
/* Tag of the next TLV, or -1 at the end. */
int der_peek(const der_t *in);
/* UTCTime / GeneralizedTime (DER form, 'Z' only) to Unix seconds. */
int der_time(uint8_t tag, const der_t *val, int64_t *out);

#endif
