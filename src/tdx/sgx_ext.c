#include <stdio.h>
#include <string.h>

#include "base/der.h"
#include "base/util.h"
#include "tdx/sgx_ext.h"

#define SGX_OID "1.2.840.113741.1.13.1"

/* Read SEQUENCE { OID <expected>, <tag> value } from *seq_list. */
static int entry(der_t *list, const char *oid, uint8_t tag, der_t *val)
{
    der_t e, o;
    if (der_read(list, DER_SEQUENCE, &e) || der_read_oid(&e, &o) || !der_oid_equals(&o, oid) ||
        der_read(&e, tag, val) || e.len != 0)
        return -1;
    return 0;
}

static int octets(der_t *list, const char *oid, uint8_t *out, size_t n)
{
    der_t v;
    if (entry(list, oid, DER_OCTET_STRING, &v) || v.len != n)
        return -1;
    memcpy(out, v.p, n);
    return 0;
}

static int boolean(der_t *list, const char *oid, int *out)
{
    der_t v;
    if (entry(list, oid, DER_BOOLEAN, &v) || v.len != 1 || (v.p[0] != 0 && v.p[0] != 0xff))
        return -1;
    *out = v.p[0] ? 1 : 0;
    return 0;
}

ratls_status sgx_ext_parse(const uint8_t *buf, size_t len, sgx_ext *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->dynamic_platform = out->cached_keys = out->smt_enabled = -1;
    der_t in = {buf, len}, list, v;
    char oid[48];
    if (!buf || der_read(&in, DER_SEQUENCE, &list) || in.len != 0)
        return set_err(err, errlen, RATLS_ERR_SGX_EXTENSION, "SGX extension is not one DER SEQUENCE");
    if (octets(&list, SGX_OID ".1", out->ppid, 16))
        return set_err(err, errlen, RATLS_ERR_SGX_EXTENSION, "SGX extension: PPID missing or malformed");
    /* TCB: 16 components, PCESVN, CPUSVN */
    der_t tcb;
    if (entry(&list, SGX_OID ".2", DER_SEQUENCE, &tcb))
        return set_err(err, errlen, RATLS_ERR_SGX_EXTENSION, "SGX extension: TCB missing or malformed");
    for (int i = 1; i <= 16; i++) {
        uint64_t x;
        snprintf(oid, sizeof oid, SGX_OID ".2.%d", i);
        if (entry(&tcb, oid, DER_INTEGER, &v) || der_uint(&v, 255, &x))
            return set_err(err, errlen, RATLS_ERR_SGX_EXTENSION, "SGX extension: TCB component %d malformed", i);
        out->tcb_comp[i - 1] = (uint8_t)x;
    }
    uint64_t pcesvn;
    if (entry(&tcb, SGX_OID ".2.17", DER_INTEGER, &v) || der_uint(&v, 65535, &pcesvn))
        return set_err(err, errlen, RATLS_ERR_SGX_EXTENSION, "SGX extension: PCESVN malformed");
    out->pcesvn = (uint16_t)pcesvn;
    if (octets(&tcb, SGX_OID ".2.18", out->cpusvn, 16) || tcb.len != 0)
        return set_err(err, errlen, RATLS_ERR_SGX_EXTENSION, "SGX extension: CPUSVN malformed or extra TCB entries");
    if (octets(&list, SGX_OID ".3", out->pceid, 2))
        return set_err(err, errlen, RATLS_ERR_SGX_EXTENSION, "SGX extension: PCE-ID missing or malformed");
    if (octets(&list, SGX_OID ".4", out->fmspc, 6))
        return set_err(err, errlen, RATLS_ERR_SGX_EXTENSION, "SGX extension: FMSPC missing or malformed");
    uint64_t t;
    if (entry(&list, SGX_OID ".5", DER_ENUMERATED, &v) || der_uint(&v, 2, &t))
        return set_err(err, errlen, RATLS_ERR_SGX_EXTENSION, "SGX extension: SGX type missing or unknown");
    out->sgx_type = (int)t;
    if (list.len == 0)
        return RATLS_OK; /* Processor-CA leaf: exactly 5 entries */
    /* Platform-CA leaf: exactly 7 entries */
    der_t conf;
    if (octets(&list, SGX_OID ".6", out->platform_instance_id, 16))
        return set_err(err, errlen, RATLS_ERR_SGX_EXTENSION, "SGX extension: PlatformInstanceID malformed");
    if (entry(&list, SGX_OID ".7", DER_SEQUENCE, &conf))
        return set_err(err, errlen, RATLS_ERR_SGX_EXTENSION, "SGX extension: Configuration malformed");
    if (boolean(&conf, SGX_OID ".7.1", &out->dynamic_platform) || boolean(&conf, SGX_OID ".7.2", &out->cached_keys) ||
        boolean(&conf, SGX_OID ".7.3", &out->smt_enabled) || conf.len != 0)
        return set_err(err, errlen, RATLS_ERR_SGX_EXTENSION, "SGX extension: Configuration entries malformed");
    if (list.len != 0)
        return set_err(err, errlen, RATLS_ERR_SGX_EXTENSION, "SGX extension has more than 7 entries");
    out->has_platform_fields = 1;
    return RATLS_OK;
}
