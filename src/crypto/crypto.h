/* Crypto layer (internal): P-256 ECDSA and a strict parser for the X.509
 * certificates and CRLs of Intel's ECDSA PKI. OpenSSL 3.0 decodes every
 * certificate's key through its provider decoders (~100 us a certificate
 * here); parsing the few fields DCAP needs ourselves, through the DER reader,
 * is both stricter and an order of magnitude faster. */
#ifndef RATLS_CRYPTO_H
#define RATLS_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/asn1.h>

#include "ratls/ratls.h"

/* ---- P-256 public keys and ECDSA ---- */
typedef struct ec_pub ec_pub;

/* From an uncompressed point (0x04 || x || y); NULL unless on the curve. */
ec_pub *ec_pub_from_point(const uint8_t pt[65]);
/* From raw x || y (the quote's attestation key). */
ec_pub *ec_pub_from_raw(const uint8_t xy[64]);
void ec_pub_free(ec_pub *k);
/* 1 valid, 0 not: ECDSA-P256/SHA-256, signature raw r || s (big-endian). */
int ecdsa_verify_raw(const ec_pub *k, const uint8_t *msg, size_t len, const uint8_t sig[64]);
/* Keys that verify many signatures get a precomputed table (32 KiB) from a
 * key-table cache once they have been used `threshold` times; verifying with
 * a table costs about half of a plain verification. 16 keys per cache, least
 * recently used replaced. For P-256 keys the verdict is ecdsa_verify_raw's;
 * any other key (P-384) fails. */
typedef struct keytab_cache keytab_cache;
keytab_cache *keytab_cache_new(unsigned threshold);
void keytab_cache_free(keytab_cache *c);
int ecdsa_verify_cached(keytab_cache *c, const ec_pub *k, const uint8_t *msg, size_t len, const uint8_t sig[64]);
/* ecdsa_verify_cached with the process-wide cache for keys that sign
 * certificates, CRLs and collateral (Intel's root, PCK CAs and TCB signing
 * key): a table after the fourth use. */
int ecdsa_verify_ca(const ec_pub *k, const uint8_t *msg, size_t len, const uint8_t sig[64]);
/* A P-384 key from an uncompressed point (04 || X || Y), checked on the curve. */
ec_pub *ec_pub_p384_from_point(const uint8_t pt[97]);
/* ECDSA P-384 / SHA-384 over msg with R and S as 48-byte little-endian
 * integers (the SEV-SNP report layout). 1 valid, 0 not. */
int ecdsa_p384_verify_le(const ec_pub *k, const uint8_t *msg, size_t len, const uint8_t r_le[48],
                         const uint8_t s_le[48]);

/* Unix seconds of an OpenSSL ASN1_TIME: 0, or -1 if unreadable. */
int asn1_time_unix(const ASN1_TIME *t, int64_t *out);

/* ---- certificates ---- */
typedef struct rcert {
    uint8_t *der; /* owned copy; every pointer below points into it */
    size_t der_len;
    const uint8_t *tbs;
    size_t tbs_len;
    const uint8_t *serial; /* INTEGER contents */
    size_t serial_len;
    const uint8_t *issuer; /* Name, whole TLV */
    size_t issuer_len;
    const uint8_t *subject;
    size_t subject_len;
    int64_t not_before, not_after;
    uint8_t point[65];
    uint8_t sig[64];
    int is_ca;
    int has_key_usage;
    unsigned key_usage; /* bit i = KeyUsage bit i (0 digitalSignature .. 5 keyCertSign, 6 cRLSign) */
    const uint8_t *skid, *akid;
    size_t skid_len, akid_len;
    const uint8_t *sgx_ext; /* contents of the SGX extension's OCTET STRING */
    size_t sgx_ext_len;
    int sgx_ext_count;
    char cn[128]; /* "" when absent; only one CN is accepted */
    char org[128];
    ec_pub *key;
} rcert;

ratls_status rcert_parse(const uint8_t *der, size_t len, rcert **out, char *err, size_t errlen);
void rcert_free(rcert *c);
int rcert_same(const rcert *a, const rcert *b);
/* child issued by issuer: names equal, issuer a CA allowed to sign
 * certificates, key identifiers consistent, signature verifies. */
ratls_status rcert_verify_issued(const rcert *child, const rcert *issuer, char *err, size_t errlen);
ratls_status rcert_check_time(const rcert *c, int64_t now, const char *what, char *err, size_t errlen);
int rcert_cn_contains(const rcert *c, const char *needle);
/* "CN=…, O=…" for messages. */
void rcert_describe(const rcert *c, char *buf, size_t n);

/* ---- CRLs ---- */
typedef struct rcrl {
    uint8_t *der;
    size_t der_len;
    const uint8_t *tbs;
    size_t tbs_len;
    const uint8_t *issuer;
    size_t issuer_len;
    int64_t this_update, next_update; /* next_update required */
    uint8_t sig[64];
    const uint8_t **revoked; /* serial INTEGER contents */
    size_t *revoked_len;
    size_t nrevoked;
} rcrl;

ratls_status rcrl_parse(const uint8_t *der, size_t len, rcrl **out, char *err, size_t errlen);
void rcrl_free(rcrl *c);
/* Issuer name equal to issuer's subject, signature by issuer, window at now. */
ratls_status rcrl_check(const rcrl *crl, const rcert *issuer, int64_t now, const char *what, char *err, size_t errlen);
int rcrl_lists(const rcrl *crl, const rcert *c);

/* ---- pinned roots ---- */
/* 1 if `c` carries the Intel SGX Root CA's key and name. */
int intel_root_matches(const rcert *c);
/* 1 if `c` is byte for byte the pinned Intel SGX Root CA certificate. */
int intel_root_is_pinned_der(const rcert *c);

#endif
