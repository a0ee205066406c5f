/*
 * The project's own simulated Intel DCAP PKI. TEST ONLY.
 *
 * Generates, with OpenSSL, everything a TDX quote verification consumes:
 * a root CA, a PCK Platform (or Processor) CA, a PCK leaf carrying an SGX
 * extension, a TCB signing certificate, root and PCK CRLs, a signed TCB Info
 * and a signed TD QE Identity, and a TDX quote (v4 or v5, TD 1.0 or 1.5)
 * whose QE report is signed by the PCK key and whose body is signed by a
 * fresh attestation key. Evidence produced here chains only to the test root
 * and is accepted only through ratls_verifier_set_tdx_root_insecure().
 *
 * Start from tp_scenario_default() (which verifies as UpToDate at `now`) and
 * change fields to reach every branch of the verification rules.
 */
#ifndef RATLS_TESTPKI_H
#define RATLS_TESTPKI_H

#include <stddef.h>
#include <stdint.h>

#include "ratls/ratls.h"

#define TP_MAX_LEVELS 8
#define TP_MAX_ADVISORIES 4
#define TP_MAX_MODULES 4

typedef struct tp_tcb_level {
    uint8_t sgx[16]; /* sgxtcbcomponents svns */
    uint16_t pcesvn;
    uint8_t tdx[16];                           /* tdxtcbcomponents svns */
    const char *status;                        /* tcbStatus string, written verbatim (may be unknown) */
    const char *tcb_date;                      /* default "2024-03-13T00:00:00Z" when NULL */
    const char *advisories[TP_MAX_ADVISORIES]; /* NULL-terminated; none -> key omitted */
} tp_tcb_level;

typedef struct tp_isv_level {
    uint16_t isvsvn;
    const char *status;
    const char *advisories[TP_MAX_ADVISORIES]; /* NULL-terminated; none -> key omitted */
} tp_isv_level;

typedef struct tp_module_identity {
    const char *id; /* "TDX_01" */
    uint8_t mrsigner[48];
    uint8_t attributes[8];
    uint8_t attributes_mask[8];
    tp_isv_level levels[TP_MAX_LEVELS];
    size_t nlevels;
} tp_module_identity;

/* Validity of one signed item relative to the scenario's `now` (seconds):
 * valid from now+from_off to now+to_off. Defaults: -86400 .. +30*86400. */
typedef struct tp_window {
    int64_t from_off;
    int64_t to_off;
} tp_window;

typedef struct tp_scenario {
    int64_t now;

    /* --- quote --- */
    uint16_t quote_version;           /* 4 or 5 (default 4) */
    uint16_t body_type;               /* 2 = TD 1.0, 3 = TD 1.5 (v5 only; default 2) */
    ratls_tdx_report report;          /* body fields (quote_version/body_type ignored) */
    int qe_report_data_upper_nonzero; /* set a byte in QE reportdata[32..64) */
    size_t trailing_bytes;            /* zero bytes appended after the signature data */

    /* --- QE (its report inside the quote) --- */
    uint16_t qe_isvsvn;    /* default 8 */
    uint16_t qe_isvprodid; /* default 2 */
    uint8_t qe_mrsigner[32];
    uint8_t qe_attributes[16];
    uint32_t qe_miscselect;

    /* --- PCK leaf certificate (SGX extension) --- */
    int processor_ca;         /* 0: Platform CA (7 entries), 1: Processor CA (5 entries) */
    uint8_t pck_tcb_comp[16]; /* component SVNs 1..16 */
    uint16_t pck_pcesvn;
    uint8_t pck_cpusvn[16];
    uint8_t pck_fmspc[6];
    uint8_t pck_pceid[2];
    int revoke_pck;       /* list the PCK leaf's serial in the PCK CRL */
    tp_window pck_window; /* default -365d .. +7y */

    /* --- TCB Info --- */
    uint8_t tcbinfo_fmspc[6]; /* default = pck_fmspc */
    uint8_t tcbinfo_pceid[2]; /* default = pck_pceid */
    int tcbinfo_version;      /* default 3 */
    const char *tcbinfo_id;   /* default "TDX" */
    tp_tcb_level levels[TP_MAX_LEVELS];
    size_t nlevels;
    uint8_t tdx_module_mrsigner[48];
    uint8_t tdx_module_attributes[8];
    uint8_t tdx_module_attributes_mask[8];
    tp_module_identity modules[TP_MAX_MODULES];
    size_t nmodules;
    int omit_module_identities; /* leave out "tdxModuleIdentities" */
    tp_window tcbinfo_window;

    /* --- QE Identity --- */
    tp_isv_level qe_levels[TP_MAX_LEVELS];
    size_t nqe_levels;
    uint8_t qeid_mrsigner[32]; /* default = qe_mrsigner */
    uint16_t qeid_isvprodid;   /* default = qe_isvprodid */
    tp_window qeid_window;

    /* --- CRLs and signing certificates --- */
    tp_window root_crl_window;
    tp_window pck_crl_window;
    tp_window tcb_signing_window; /* TCB signing certificate notBefore/notAfter */
    tp_window pck_ca_window;

    /* Reuse the PCK CA certificate an earlier call with this flag made for the
     * same CA and validity (per process), instead of a new one per call: the
     * quotes of later calls then verify with the collateral of an earlier one,
     * as quotes of one platform do (the simulated server). Default 0. */
    int reuse_pck_ca;
} tp_scenario;

/* Fill a scenario that verifies as UpToDate at `now` with no advisories:
 * v4 quote, TD 1.0, TEE_TCB_SVN 03 01 02 .., module TDX_01 UpToDate,
 * SEPT_VE_DISABLE set, DEBUG clear, QE isvsvn 8 UpToDate, one UpToDate TCB
 * level equal to the PCK's SVNs plus an older OutOfDate level. */
void tp_scenario_default(tp_scenario *s, int64_t now);

typedef struct tp_output {
    uint8_t *quote; /* binary quote */
    size_t quote_len;
    char *collateral_json; /* QuoteCollateralV3 JSON, NUL-terminated */
    size_t collateral_len;
    uint8_t *root_der; /* the test root certificate (DER) */
    size_t root_der_len;
    char *root_pem; /* the same, PEM, NUL-terminated */
} tp_output;

/* The PKI (keys and CA certificates) is created once per process and reused,
 * so many scenarios are cheap. Thread-safe. Returns 0 on success. */
int tp_generate(const tp_scenario *s, tp_output *out);
void tp_output_free(tp_output *out);

#endif
