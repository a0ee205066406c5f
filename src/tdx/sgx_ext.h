/* Intel SGX PCK certificate extension (OID 1.2.840.113741.1.13.1). */
#ifndef RATLS_TDX_SGX_EXT_H
#define RATLS_TDX_SGX_EXT_H

#include <stddef.h>
#include <stdint.h>

#include "ratls/ratls.h"

typedef struct sgx_ext {
    uint8_t ppid[16];
    uint8_t tcb_comp[16]; /* TCB component SVNs 1..16 */
    uint16_t pcesvn;
    uint8_t cpusvn[16];
    uint8_t pceid[2];
    uint8_t fmspc[6];
    int sgx_type;            /* 0 Standard, 1 Scalable, 2 Scalable with integrity */
    int has_platform_fields; /* Platform-CA leaves: instance id + configuration */
    uint8_t platform_instance_id[16];
    int dynamic_platform, cached_keys, smt_enabled; /* -1 absent */
} sgx_ext;

/* Parse the DER value of the extension (the OCTET STRING's contents). Exactly
 * 5 entries (Processor CA) or 7 (Platform CA) in Intel's order, exact types,
 * no trailing bytes. */
ratls_status sgx_ext_parse(const uint8_t *der, size_t len, sgx_ext *out, char *err, size_t errlen);

#endif
