#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/util.h"
#include "tdx/tcb.h"

ratls_status qe_identity_check(const qe_identity *qi, const sgx_report_body *qe, qe_tcb *qe_status, int *level,
                               char *err, size_t errlen)
{
    *level = -1;
    *qe_status = QE_NOT_SUPPORTED;
    if (memcmp(qi->mrsigner, qe->mrsigner, 32) != 0)
        return set_err(err, errlen, RATLS_ERR_QE_IDENTITY_MISMATCH,
                       "QE MRSIGNER is not the one in Intel's QE Identity");
    if (qi->isvprodid != qe->isvprodid)
        return set_err(err, errlen, RATLS_ERR_QE_IDENTITY_MISMATCH, "QE ISVPRODID %u differs from Intel's %u",
                       qe->isvprodid, qi->isvprodid);
    if ((qe->miscselect & qi->miscselect_mask) != qi->miscselect)
        return set_err(err, errlen, RATLS_ERR_QE_IDENTITY_MISMATCH, "QE MISCSELECT does not match under the mask");
    for (int i = 0; i < 16; i++)
        if ((qe->attributes[i] & qi->attributes_mask[i]) != qi->attributes[i])
            return set_err(err, errlen, RATLS_ERR_QE_IDENTITY_MISMATCH,
                           "QE ATTRIBUTES do not match Intel's under the mask (byte %d)", i);
    /* first level in JSON order with isvsvn <= the QE's (Intel does not sort) */
    for (size_t i = 0; i < qi->nlevels; i++) {
        if (qi->levels[i].isvsvn <= qe->isvsvn) {
            *level = (int)i;
            tcb_status s = qi->levels[i].status;
            *qe_status = s == TS_UP_TO_DATE ? QE_UP_TO_DATE : s == TS_REVOKED ? QE_REVOKED : QE_OUT_OF_DATE;
            break;
        }
    }
    return RATLS_OK;
}

ratls_status tdx_module_check(const tcb_info *ti, const ratls_tdx_report *rep, tcb_eval *ev, char *err, size_t errlen)
{
    const uint8_t *mrsigner = ti->mod_mrsigner, *attrs = ti->mod_attributes;
    ev->mod = NULL;
    ev->mod_level = -1;
    ev->module_status = TS_UP_TO_DATE;
    if (rep->tee_tcb_svn[1] != 0) {
        char id[16];
        snprintf(id, sizeof id, "TDX_%02X", rep->tee_tcb_svn[1]);
        if (!ti->has_mod_ids)
            return set_err(err, errlen, RATLS_ERR_TDX_MODULE_MISMATCH,
                           "TEE_TCB_SVN names module %s but the TCB Info has no tdxModuleIdentities", id);
        for (size_t i = 0; i < ti->nmods; i++)
            if (strcasecmp(ti->mods[i].id, id) == 0) {
                ev->mod = &ti->mods[i];
                break;
            }
        if (!ev->mod)
            return set_err(err, errlen, RATLS_ERR_TDX_MODULE_MISMATCH, "module identity %s is not in the TCB Info", id);
        mrsigner = ev->mod->mrsigner;
        attrs = ev->mod->attributes;
    }
    if (memcmp(rep->mr_signer_seam, mrsigner, 48) != 0)
        return set_err(err, errlen, RATLS_ERR_TDX_MODULE_MISMATCH, "MRSIGNERSEAM differs from Intel's module signer");
    static const uint8_t zero[8];
    if (memcmp(rep->seam_attributes, zero, 8) != 0 || memcmp(rep->seam_attributes, attrs, 8) != 0)
        return set_err(err, errlen, RATLS_ERR_TDX_MODULE_MISMATCH,
                       "SEAMATTRIBUTES are not zero / not equal to the module identity's attributes");
    if (ev->mod) {
        for (size_t i = 0; i < ev->mod->nlevels; i++) {
            if (ev->mod->levels[i].isvsvn <= rep->tee_tcb_svn[0]) {
                ev->mod_level = (int)i;
                break;
            }
        }
        if (ev->mod_level < 0)
            return set_err(err, errlen, RATLS_ERR_TCB_NOT_SUPPORTED,
                           "module %s has no TCB level at or below its SVN %u", ev->mod->id, rep->tee_tcb_svn[0]);
        ev->module_status = ev->mod->levels[ev->mod_level].status;
    }
    return RATLS_OK;
}

static int is_cn(tcb_status s)
{
    return s == TS_CONFIGURATION_NEEDED || s == TS_CONFIGURATION_AND_SW_HARDENING_NEEDED ||
           s == TS_OUT_OF_DATE_CONFIGURATION_NEEDED;
}

/* (a) and (c): an out-of-date module or QE downgrades the level's status. */
static tcb_status downgrade_out_of_date(tcb_status s)
{
    if (s == TS_UP_TO_DATE || s == TS_SW_HARDENING_NEEDED)
        return TS_OUT_OF_DATE;
    if (s == TS_CONFIGURATION_NEEDED || s == TS_CONFIGURATION_AND_SW_HARDENING_NEEDED)
        return TS_OUT_OF_DATE_CONFIGURATION_NEEDED;
    return s;
}

ratls_status tdx_tcb_evaluate(const tcb_info *ti, const sgx_ext *pck, const ratls_tdx_report *rep, qe_tcb qe_status,
                              tcb_eval *ev, char *err, size_t errlen)
{
    ev->sgx_level = ev->tdx_level = -1;
    ev->relaunch_advised = 0;
    size_t first_tdx = rep->tee_tcb_svn[1] > 0 ? 2 : 0;
    for (size_t l = 0; l < ti->nlevels; l++) {
        const tcb_level *lv = &ti->levels[l];
        int ok = pck->pcesvn >= lv->pcesvn;
        for (int i = 0; ok && i < 16; i++)
            ok = pck->tcb_comp[i] >= lv->sgx[i];
        if (!ok)
            continue;
        if (ev->sgx_level < 0)
            ev->sgx_level = (int)l;
        for (size_t i = first_tdx; ok && i < 16; i++)
            ok = rep->tee_tcb_svn[i] >= lv->tdx[i];
        if (ok) {
            ev->tdx_level = (int)l;
            break;
        }
    }
    if (ev->sgx_level < 0)
        return set_err(err, errlen, RATLS_ERR_TCB_NOT_SUPPORTED,
                       "no TCB level matches the PCK certificate's SGX TCB components and PCESVN");
    if (ev->tdx_level < 0)
        return set_err(err, errlen, RATLS_ERR_TCB_NOT_SUPPORTED, "no TCB level matches the quote's TEE_TCB_SVN");
    tcb_status st = ti->levels[ev->tdx_level].status;
    tcb_status sgx_st = ti->levels[ev->sgx_level].status;
    /* (a) module */
    if (ev->module_status == TS_REVOKED) {
        ev->final_status = TS_REVOKED;
        return RATLS_OK;
    }
    if (ev->module_status == TS_OUT_OF_DATE)
        st = downgrade_out_of_date(st);
    /* (b) TD 1.5: a newer module is already loaded; relaunching the TD would pick it up */
    if (rep->body_type == 3 && qe_status == QE_UP_TO_DATE &&
        (sgx_st == TS_UP_TO_DATE || sgx_st == TS_SW_HARDENING_NEEDED || sgx_st == TS_CONFIGURATION_NEEDED ||
         sgx_st == TS_CONFIGURATION_AND_SW_HARDENING_NEEDED) &&
        (st == TS_OUT_OF_DATE || st == TS_OUT_OF_DATE_CONFIGURATION_NEEDED) && ev->module_status == TS_OUT_OF_DATE) {
        const tcb_level *latest = &ti->levels[0];
        int relaunch = 0;
        if (rep->tee_tcb_svn2[1] == 0) {
            relaunch = rep->tee_tcb_svn2[0] >= latest->tdx[0] && rep->tee_tcb_svn2[2] >= latest->tdx[2];
        } else {
            char id[16];
            const module_identity *m2 = NULL;
            snprintf(id, sizeof id, "TDX_%02X", rep->tee_tcb_svn2[1]);
            for (size_t i = 0; i < ti->nmods; i++)
                if (strcasecmp(ti->mods[i].id, id) == 0)
                    m2 = &ti->mods[i];
            if (!m2)
                return set_err(err, errlen, RATLS_ERR_TDX_MODULE_MISMATCH,
                               "TEE_TCB_SVN2 names module %s, which is not in the TCB Info", id);
            relaunch = m2->nlevels > 0 && rep->tee_tcb_svn2[0] >= m2->levels[0].isvsvn &&
                       rep->tee_tcb_svn2[2] >= latest->tdx[2];
        }
        if (relaunch) {
            ev->relaunch_advised = 1;
            st = (is_cn(sgx_st) || is_cn(st)) ? TS_TD_RELAUNCH_ADVISED_CONFIGURATION_NEEDED : TS_TD_RELAUNCH_ADVISED;
        }
    }
    /* (c) QE */
    if (qe_status == QE_NOT_SUPPORTED)
        return set_err(err, errlen, RATLS_ERR_TCB_NOT_SUPPORTED,
                       "the quoting enclave's ISVSVN is below every level of Intel's QE Identity");
    if (qe_status == QE_REVOKED)
        st = TS_REVOKED;
    else if (qe_status == QE_OUT_OF_DATE)
        st = downgrade_out_of_date(st);
    ev->final_status = st;
    return RATLS_OK;
}
