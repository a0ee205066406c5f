/* A self-made AMD-like PKI for tests: an ARK, ASK and VCEK (P-384 keys, so
 * that tests run fast; AMD's are RSA-4096) with the VCEK's AMD extensions, a
 * signed report, and CRLs. Failures abort the test through cmocka. */
#ifndef RATLS_TESTS_SNP_SYNTH_H
#define RATLS_TESTS_SNP_SYNTH_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "snp/snp.h"

typedef struct synth {
    EVP_PKEY *ark_key, *ask_key, *vek_key;
    X509 *ark, *ask, *vek;
    uint8_t pin[32];
    uint8_t report[RATLS_SNP_REPORT_LEN];
    uint8_t *vek_der, *chain_pem;
    size_t vek_len, chain_len;
} synth;

typedef struct synth_opts {
    ratls_snp_product product;
    uint8_t tcb[8];     /* REPORTED_TCB bytes in the report */
    uint8_t spl_tcb[8]; /* the TCB written into the VCEK */
    uint8_t chip_id[64];
    uint8_t hwid[64]; /* the VCEK's HWID */
    uint32_t version, vmpl;
    uint64_t policy;
    const char *ark_cn; /* subject of the self-made ARK */
} synth_opts;

EVP_PKEY *synth_ec_key(const char *curve);
/* An extension holding `der` as its value. */
void synth_add_ext_der(X509 *x, const char *oid, const uint8_t *der, int n);
void synth_add_ext_int(X509 *x, const char *oid, long v);
/* An unsigned v3 certificate (serial 1) issued under `issuer` (NULL: self). */
X509 *synth_mk_cert(const char *cn, X509 *issuer, EVP_PKEY *issuer_key, EVP_PKEY *key, int ca, int64_t nb, int64_t na);
void synth_sign_cert(X509 *x, EVP_PKEY *k);
void synth_opts_default(synth_opts *o, ratls_snp_product p);
/* Certificates (serial numbers: ARK 1, ASK 1, VCEK 2), chain PEM, VCEK DER
 * and a report signed by the VCEK key. */
void synth_build(synth *s, const synth_opts *o);
/* Sign s->report again after a test changed bytes in 0x000..0x29F. */
void synth_resign(synth *s);
void synth_free(synth *s);
/* A CRL (DER, OPENSSL_free) issued under `issuer`'s name, signed with `key`,
 * revoking `serial` (0: none). */
uint8_t *synth_mk_crl(X509 *issuer, EVP_PKEY *key, int64_t last, int64_t next, long serial, size_t *len);

#endif
