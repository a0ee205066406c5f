/* OpenSSL glue (internal): raw ECDSA, certificate and CRL checks at a given time. */
#ifndef RATLS_CRYPTO_H
#define RATLS_CRYPTO_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stddef.h>
#include <stdint.h>

#include "ratls/ratls.h"

/* Build a P-256 public key from raw x||y (64 bytes). NULL if not on the curve. */
EVP_PKEY *ec_p256_from_raw(const uint8_t xy[64]);
/* 1: valid; 0: invalid; ECDSA-P256/SHA-256 over msg, sig raw r||s big-endian. */
int ecdsa_p256_verify_raw(EVP_PKEY *key, const uint8_t *msg, size_t len, const uint8_t sig[64]);
/* The same over a precomputed SHA-256 digest. */
int ecdsa_p256_verify_digest(EVP_PKEY *key, const uint8_t digest[32], const uint8_t sig[64]);
/* Raw uncompressed point (65 bytes, 0x04||x||y) of a P-256 key; 0 on success. */
int ec_p256_raw_point(EVP_PKEY *key, uint8_t out[65]);

int asn1_time_to_unix(const ASN1_TIME *t, int64_t *out);
/* notBefore/notAfter as Unix seconds; 0 on success. */
int cert_validity(const X509 *x, int64_t *nb, int64_t *na);
/* 1 if the subject CN contains needle. */
int cert_cn_contains(const X509 *x, const char *needle);
/* Subject CN into buf (for messages). */
void cert_cn(const X509 *x, char *buf, size_t n);
/* Check `child` was issued by `issuer`: names/key ids (X509_check_issued),
 * issuer is a CA, signature verifies. RATLS_OK or RATLS_ERR_CERT_CHAIN. */
ratls_status cert_verify_issued(X509 *child, X509 *issuer, char *err, size_t errlen);
/* Validity at `now`; `what` names the certificate in the message. */
ratls_status cert_check_time(const X509 *x, int64_t now, const char *what, char *err, size_t errlen);

/* CRL: issuer name equals issuer's subject, signature by issuer, window at
 * now. Writes the window. */
ratls_status crl_check(X509_CRL *crl, X509 *issuer, int64_t now, const char *what, int64_t *this_upd,
                       int64_t *next_upd, char *err, size_t errlen);
/* 1 if x's serial is listed in crl (caller already matched issuer). */
int crl_lists(X509_CRL *crl, X509 *x);

/* Pinned roots. */
/* 1 if `x` is the Intel SGX Root CA pinned in the library (by public key and subject). */
int intel_root_matches(X509 *x);

#endif
