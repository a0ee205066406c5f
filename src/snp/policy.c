/* SEV-SNP appraisal policy: the object, its setters, and the checks
 * snp.policy and snp.measurement on an authentic report. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "base/result_int.h"
#include "snp/snp.h"

struct ratls_snp_policy {
    unsigned flags;
    unsigned vmpl;
    unsigned min_abi_major, min_abi_minor;
    int has_measurement, has_report_data;
    uint8_t measurement[RATLS_SNP_MEASUREMENT_LEN];
    uint8_t report_data[RATLS_SNP_REPORT_DATA_LEN];
};

ratls_snp_policy *ratls_snp_policy_new(void) { return calloc(1, sizeof(ratls_snp_policy)); }
void ratls_snp_policy_free(ratls_snp_policy *p) { free(p); }
void ratls_snp_policy_set_flags(ratls_snp_policy *p, unsigned flags)
{
    if (p)
        p->flags = flags;
}
unsigned snp_policy_flags(const ratls_snp_policy *p) { return p ? p->flags : 0; }
ratls_status ratls_snp_policy_set_vmpl(ratls_snp_policy *p, unsigned vmpl)
{
    if (!p || vmpl > 3)
        return RATLS_ERR_INVALID_ARGUMENT;
    p->vmpl = vmpl;
    return RATLS_OK;
}
void ratls_snp_policy_set_min_abi(ratls_snp_policy *p, unsigned major, unsigned minor)
{
    if (p) {
        p->min_abi_major = major;
        p->min_abi_minor = minor;
    }
}
ratls_status ratls_snp_policy_expect_measurement(ratls_snp_policy *p, const uint8_t *m, size_t len)
{
    if (!p || !m || len != RATLS_SNP_MEASUREMENT_LEN)
        return RATLS_ERR_INVALID_ARGUMENT;
    memcpy(p->measurement, m, len);
    p->has_measurement = 1;
    return RATLS_OK;
}
ratls_status ratls_snp_policy_expect_report_data(ratls_snp_policy *p, const uint8_t *d, size_t len)
{
    if (!p || !d || len != RATLS_SNP_REPORT_DATA_LEN)
        return RATLS_ERR_INVALID_ARGUMENT;
    memcpy(p->report_data, d, len);
    p->has_report_data = 1;
    return RATLS_OK;
}

void snp_policy_check(ratls_result *r, const struct ratls_snp_report *rep, ratls_snp_product product,
                      const ratls_snp_policy *pol)
{
    (void)product;
    unsigned maj = (unsigned)((rep->policy >> 8) & 0xff), min = (unsigned)(rep->policy & 0xff);
    if ((rep->policy & SNP_POLICY_DEBUG) && !(pol->flags & RATLS_SNP_ALLOW_DEBUG_INSECURE))
        result_fail(r, RATLS_ERR_SNP_POLICY, "snp.policy",
                    "the guest policy allows debugging (DEBUG bit 19): the host can read guest memory");
    else if ((rep->policy & SNP_POLICY_MIGRATE_MA) && !(pol->flags & RATLS_SNP_ALLOW_MIGRATE_MA))
        result_fail(r, RATLS_ERR_SNP_POLICY, "snp.policy", "the guest policy allows a migration agent (MIGRATE_MA)");
    else if (rep->vmpl != pol->vmpl)
        result_fail(r, RATLS_ERR_SNP_POLICY, "snp.policy", "the report comes from VMPL %u, the policy requires %u",
                    rep->vmpl, pol->vmpl);
    else if (maj < pol->min_abi_major || (maj == pol->min_abi_major && min < pol->min_abi_minor))
        result_fail(r, RATLS_ERR_SNP_POLICY, "snp.policy", "guest policy ABI %u.%u is below the minimum %u.%u", maj,
                    min, pol->min_abi_major, pol->min_abi_minor);
    else if (pol->has_report_data && CRYPTO_memcmp(rep->report_data, pol->report_data, RATLS_SNP_REPORT_DATA_LEN) != 0)
        result_fail(r, RATLS_ERR_SNP_POLICY, "snp.policy", "REPORT_DATA differs from the expected value");
    else
        result_check_add(r, "snp.policy", RATLS_CHECK_PASS, "policy 0x%llx, VMPL %u%s", (unsigned long long)rep->policy,
                         rep->vmpl, (rep->policy & SNP_POLICY_DEBUG) ? " (DEBUG allowed by an insecure switch)" : "");
    if (pol->has_measurement) {
        if (CRYPTO_memcmp(rep->measurement, pol->measurement, RATLS_SNP_MEASUREMENT_LEN) != 0)
            result_fail(r, RATLS_ERR_SNP_POLICY, "snp.measurement", "MEASUREMENT differs from the expected value");
        else
            result_check_add(r, "snp.measurement", RATLS_CHECK_PASS, "MEASUREMENT equals the expected value");
    } else {
        result_check_add(r, "snp.measurement", RATLS_CHECK_SKIP, "no expected measurement given");
    }
}
