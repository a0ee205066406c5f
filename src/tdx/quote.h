/* Internal view of a parsed TDX quote (v4/v5). Parsing never verifies. */
#ifndef RATLS_TDX_QUOTE_H
#define RATLS_TDX_QUOTE_H

#include <stddef.h>
#include <stdint.h>

#include "ratls/ratls.h"

#define TDX_HEADER_LEN 48
#define TDX_BODY10_LEN 584
#define TDX_BODY15_LEN 648
#define SGX_REPORT_BODY_LEN 384
#define TDX_MAX_PEM_CHAIN_LEN (64u * 1024u)
#define TDX_MAX_CERTS 8

/* SGX REPORTBODY of the Quoting Enclave. */
typedef struct sgx_report_body {
    uint8_t cpusvn[16];
    uint32_t miscselect;
    uint8_t attributes[16];
    uint8_t mrenclave[32];
    uint8_t mrsigner[32];
    uint16_t isvprodid;
    uint16_t isvsvn;
    uint8_t reportdata[64];
} sgx_report_body;

struct ratls_tdx_quote {
    uint8_t *raw; /* owned copy of the input */
    size_t raw_len;
    size_t used_len; /* bytes up to the end of the signature data */

    uint16_t version;
    uint16_t att_key_type;
    uint32_t tee_type;
    uint8_t qe_vendor_id[16];
    uint8_t user_data[20];
    uint16_t body_type; /* v5 descriptor, or 2 for v4 */
    uint32_t body_size;

    ratls_tdx_report report;

    size_t signed_len; /* raw[0 .. signed_len) is signed by the attestation key */
    uint32_t sig_data_len;
    uint8_t signature[64];   /* r || s, big-endian */
    uint8_t att_key[64];     /* x || y */
    uint16_t cert_data_type; /* 6 */
    uint32_t cert_data_size;
    const uint8_t *cert_data; /* type-6 payload (into raw) */

    const uint8_t *qe_report; /* 384 bytes (into raw) */
    sgx_report_body qe;
    uint8_t qe_report_sig[64];
    uint16_t qe_auth_len;
    const uint8_t *qe_auth;   /* into raw */
    uint16_t inner_cert_type; /* 5 */
    uint32_t pem_len;
    const uint8_t *pem; /* into raw */
};

/* Parse an SGX REPORTBODY (exactly 384 bytes). */
void tdx_parse_sgx_report_body(const uint8_t *p, sgx_report_body *out);

#endif
