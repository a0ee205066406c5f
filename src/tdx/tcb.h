/* Intel's TDX TCB rules (QVL TcbLevelCheck, TdxModuleCheck, TDRelaunchCheck). */
#ifndef RATLS_TDX_TCB_H
#define RATLS_TDX_TCB_H

#include "tdx/collateral.h"
#include "tdx/quote.h"
#include "tdx/sgx_ext.h"

typedef enum qe_tcb { QE_UP_TO_DATE, QE_OUT_OF_DATE, QE_REVOKED, QE_NOT_SUPPORTED } qe_tcb;

/* QE identity policy: returns RATLS_OK or RATLS_ERR_QE_IDENTITY_MISMATCH with a
 * message; sets *qe_status and *level (-1 = none). */
ratls_status qe_identity_check(const qe_identity *qi, const sgx_report_body *qe, qe_tcb *qe_status, int *level,
                               char *err, size_t errlen);

typedef struct tcb_eval {
    int sgx_level;              /* index into ti->levels, -1 none */
    int tdx_level;              /* index, -1 none */
    const module_identity *mod; /* NULL when TEE_TCB_SVN[1] == 0 */
    int mod_level;              /* index into mod->levels, -1 none */
    tcb_status module_status;
    tcb_status final_status;
    int relaunch_advised;
} tcb_eval;

/* TDX module identity (step 11). */
ratls_status tdx_module_check(const tcb_info *ti, const ratls_tdx_report *rep, tcb_eval *ev, char *err, size_t errlen);
/* Level selection and status convergence (steps 10 and 12). */
ratls_status tdx_tcb_evaluate(const tcb_info *ti, const sgx_ext *pck, const ratls_tdx_report *rep, qe_tcb qe_status,
                              tcb_eval *ev, char *err, size_t errlen);

#endif
