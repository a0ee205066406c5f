/* Parsed Intel DCAP collateral (internal). Nothing here is trusted until the
 * verifier has checked the signatures and chains. */
#ifndef RATLS_TDX_COLLATERAL_H
#define RATLS_TDX_COLLATERAL_H

#include <stdatomic.h>
#include <stdint.h>

#include "ratls/ratls.h"
#include "tdx/pem_chain.h"

#define COLLATERAL_MAX_JSON (1024u * 1024u)
#define COLLATERAL_MAX_CRL (2u * 1024u * 1024u)
#define TCB_MAX_LEVELS 256
#define TCB_MAX_MODULES 32
#define TCB_MAX_ADVISORIES 512

typedef enum tcb_status {
    TS_UP_TO_DATE = 0,
    TS_SW_HARDENING_NEEDED,
    TS_CONFIGURATION_NEEDED,
    TS_CONFIGURATION_AND_SW_HARDENING_NEEDED,
    TS_OUT_OF_DATE,
    TS_OUT_OF_DATE_CONFIGURATION_NEEDED,
    TS_REVOKED,
    TS_TD_RELAUNCH_ADVISED,
    TS_TD_RELAUNCH_ADVISED_CONFIGURATION_NEEDED,
    TS_COUNT_
} tcb_status;

const char *tcb_status_str(tcb_status s);
/* Only the seven Intel tcbStatus strings (plus the two TDRelaunchAdvised
 * ones when `final` is set). -1 if unknown. */
int tcb_status_parse(const char *s, int final);

typedef struct adv_list {
    char **ids;
    size_t n;
} adv_list;

typedef struct tcb_level {
    uint8_t sgx[16];
    uint16_t pcesvn;
    uint8_t tdx[16];
    tcb_status status;
    int64_t date;
    adv_list adv;
} tcb_level;

typedef struct isv_level {
    uint16_t isvsvn;
    tcb_status status;
    int64_t date;
    adv_list adv;
} isv_level;

typedef struct module_identity {
    char id[16];
    uint8_t mrsigner[48];
    uint8_t attributes[8];
    uint8_t attributes_mask[8];
    isv_level *levels; /* sorted by isvsvn, descending */
    size_t nlevels;
} module_identity;

typedef struct tcb_info {
    int version;
    int64_t issue_date, next_update;
    uint8_t fmspc[6];
    uint8_t pceid[2];
    int64_t eval_num;
    uint8_t mod_mrsigner[48];
    uint8_t mod_attributes[8];
    uint8_t mod_attributes_mask[8];
    module_identity *mods;
    size_t nmods;
    int has_mod_ids;
    tcb_level *levels; /* sorted descending, Intel's order */
    size_t nlevels;
} tcb_info;

typedef struct qe_identity {
    int version;
    int64_t issue_date, next_update;
    int64_t eval_num;
    uint32_t miscselect, miscselect_mask;
    uint8_t attributes[16], attributes_mask[16];
    uint8_t mrsigner[32];
    uint16_t isvprodid;
    isv_level *levels; /* JSON order (Intel does not sort these) */
    size_t nlevels;
} qe_identity;

struct ratls_collateral {
    atomic_int refs; /* shared read-only by caches and verifications */
    /* the texts as given (kept for serialization) */
    char *s_pck_crl_issuer_chain, *s_root_ca_crl, *s_pck_crl, *s_tcb_info_issuer_chain, *s_tcb_info,
        *s_tcb_info_signature, *s_qe_identity_issuer_chain, *s_qe_identity, *s_qe_identity_signature,
        *s_pck_certificate_chain;
    rchain pck_crl_chain, tcb_chain, qe_chain;
    rcrl *root_crl, *pck_crl;
    uint8_t tcb_sig[64], qe_sig[64];
    tcb_info ti;
    qe_identity qi;
    uint8_t digest[32]; /* SHA-256 over every field: the cache key */
    char fmspc_hex[13];
};

/* Take one more reference; ratls_collateral_free drops one. */
void collateral_ref(ratls_collateral *c);

/* One signed JSON item as a PCS serves it, parsed but not verified. */
typedef struct signed_item {
    char *text; /* the exact signed text of the inner value */
    uint8_t sig[64];
    int64_t issue, next, eval;
    uint8_t fmspc[6]; /* TCB Info only */
} signed_item;

ratls_status collateral_parse_signed_item(int is_tcb, const char *body, size_t len, signed_item *out, char *err,
                                          size_t errlen);
void signed_item_clear(signed_item *it);
/* A CRL body in DER, hex-of-DER or PEM form, as DER (malloc'd). */
ratls_status collateral_crl_to_der(const uint8_t *body, size_t len, uint8_t **der, size_t *der_len, const char *what,
                                   char *err, size_t errlen);

#endif
