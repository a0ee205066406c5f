/* AMD SEV-SNP attestation report (internal). The layout is the one of the
 * SEV-SNP firmware ABI; see the spec notes in docs and ../shared/spec/sev-snp.md. */
#ifndef RATLS_SNP_SNP_H
#define RATLS_SNP_SNP_H

#include <stddef.h>
#include <stdint.h>

#include "ratls/ratls.h"

#define SNP_SIGNED_LEN 0x2A0u /* bytes 0x000..0x29F are signed */
#define SNP_SIG_COMPONENT_LEN 72u
#define SNP_P384_LEN 48u

/* Signer info at 0x48. */
#define SNP_SIGNING_KEY_VCEK 0u
#define SNP_SIGNING_KEY_VLEK 1u
#define SNP_SIGNING_KEY_NONE 7u

/* Guest POLICY bits. */
#define SNP_POLICY_SMT (1ull << 16)
#define SNP_POLICY_RESERVED_1 (1ull << 17)
#define SNP_POLICY_MIGRATE_MA (1ull << 18)
#define SNP_POLICY_DEBUG (1ull << 19)
#define SNP_POLICY_MBZ_MASK (~((1ull << 26) - 1))

struct ratls_snp_report {
    uint32_t version;
    uint32_t guest_svn;
    uint64_t policy;
    uint8_t family_id[16];
    uint8_t image_id[16];
    uint32_t vmpl;
    uint32_t signature_algo;
    uint64_t current_tcb;
    uint64_t platform_info;
    uint32_t signer_info; /* raw u32 at 0x48 */
    unsigned author_key_en, mask_chip_key, signing_key;
    uint8_t report_data[64];
    uint8_t measurement[48];
    uint8_t host_data[32];
    uint8_t id_key_digest[48];
    uint8_t author_key_digest[48];
    uint8_t report_id[32];
    uint8_t report_id_ma[32];
    uint64_t reported_tcb;
    int has_cpuid; /* v3+ */
    uint8_t cpuid_fam_id, cpuid_mod_id, cpuid_step;
    uint8_t chip_id[64];
    uint64_t committed_tcb;
    uint8_t current_build, current_minor, current_major;
    uint8_t committed_build, committed_minor, committed_major;
    uint64_t launch_tcb;
    int has_mit_vector; /* v5 */
    uint64_t launch_mit_vector, current_mit_vector;
    uint8_t sig_r[SNP_SIG_COMPONENT_LEN]; /* little-endian as received */
    uint8_t sig_s[SNP_SIG_COMPONENT_LEN];
    uint8_t raw[RATLS_SNP_REPORT_LEN]; /* the received bytes (the signature covers these) */
};

/* Parse into a caller-owned struct. */
ratls_status snp_report_parse_into(const uint8_t *buf, size_t len, struct ratls_snp_report *out, char *err,
                                   size_t errlen);
/* Product from CPUID family/model (v3+), else UNKNOWN. */
ratls_snp_product snp_product_from_cpuid(uint8_t family, uint8_t model);

/* ratls_snp_verify with the ARK SPKI SHA-256 pin replaced by ark_pin_override
 * (32 bytes) when it is not NULL: for tests with a self-made AMD-like PKI. */
ratls_status snp_verify_pinned(const uint8_t *report, size_t report_len, const ratls_snp_collateral_parts *coll,
                               ratls_snp_product product_hint, const ratls_snp_policy *pol, int64_t now,
                               const uint8_t *ark_pin_override, ratls_result **result_out);

/* One TCB_VERSION split into components by product layout. */
typedef struct snp_tcb {
    uint8_t fmc, bl, tee, snp, ucode; /* fmc only on Turin */
} snp_tcb;
void snp_tcb_split(uint64_t tcb, ratls_snp_product p, snp_tcb *out);

#endif
