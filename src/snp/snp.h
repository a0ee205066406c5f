/* AMD SEV-SNP attestation report (internal). The layout is the one of the
 * SEV-SNP firmware ABI; see the spec notes in docs and ../shared/spec/sev-snp.md. */
#ifndef RATLS_SNP_SNP_H
#define RATLS_SNP_SNP_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "base/result_int.h"
#include "ratls/ratls.h"

#define SNP_SIGNED_LEN 0x2A0u /* bytes 0x000..0x29F are signed */
#define SNP_SIG_COMPONENT_LEN 72u
#define SNP_P384_LEN 48u
#define SNP_CERT_MAX_LEN (64u * 1024u) /* per certificate or CRL input */
#define SNP_CHAIN_MAX_CERTS 8

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
/* 1 if the first non-blank byte is '{' (the JSON form of report_json.c). */
int snp_report_is_json(const uint8_t *buf, size_t len);
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

/* ---- certificates (certs.c) ---- */

/* The library's ARK SPKI SHA-256 pin for a product, or NULL. */
const uint8_t *snp_ark_pin(ratls_snp_product p);
/* One DER certificate, or one or more PEM certificates (at most
 * SNP_CHAIN_MAX_CERTS in sk), appended to sk. 0 or -1. */
int snp_load_certs(const uint8_t *buf, size_t len, STACK_OF(X509) * sk);
/* snp_load_certs for an ASK/ARK chain, through a process-wide cache of parsed
 * chains keyed by the SHA-256 of the exact bytes (parsing only; the caller
 * still verifies them). */
int snp_load_chain(const uint8_t *buf, size_t len, STACK_OF(X509) * sk);
int snp_spki_sha256(X509 *x, uint8_t out[32]);
/* One DER or PEM CRL, or NULL. */
X509_CRL *snp_load_crl(const uint8_t *buf, size_t len);
ratls_status snp_map_x509_err(int x509_verify_error);
/* The first certificate of sk whose SubjectPublicKeyInfo SHA-256 is pin. */
X509 *snp_find_ark(STACK_OF(X509) * sk, const uint8_t pin[32]);
/* leaf <- ARK (depth 1) or leaf <- a CA from `untrusted` <- ARK (depth 2),
 * ark trusted as given (the caller found it by its pin), at now: signatures
 * (the ARK's own too), validity windows, CA flags on the CAs only. *mid (may
 * be NULL) gets the intermediate. `legend` names the depths in messages
 * ("0 = VCEK, 1 = ASK, 2 = ARK"). */
ratls_status snp_verify_path(X509 *ark, STACK_OF(X509) * untrusted, X509 *leaf, int depth, int64_t now,
                             const char *legend, X509 **mid, char *err, size_t errlen);
/* The ARK's CRL: no critical extension, issued under the ARK's name, signed
 * by its key, lastUpdate <= now < nextUpdate; *last and *next its window. */
ratls_status snp_crl_check(X509_CRL *crl, X509 *ark, int64_t now, int64_t *last, int64_t *next, char *err,
                           size_t errlen);
/* "Milan-B0", "Genoa", "Turin" ... to a product. */
ratls_snp_product snp_product_from_cert_name(const char *name);

/* SPL index in snp_vek_info.spl. */
enum { SNP_SPL_BL, SNP_SPL_TEE, SNP_SPL_SNP, SNP_SPL_UCODE, SNP_SPL_FMC, SNP_SPL_COUNT };

/* The AMD extensions of a VCEK or VLEK, each parsed as DER. */
typedef struct snp_vek_info {
    int has_struct_version;
    unsigned struct_version;
    char product_name[32]; /* "" when absent */
    ratls_snp_product product;
    int has_spl[SNP_SPL_COUNT];
    uint8_t spl[SNP_SPL_COUNT];
    uint8_t hwid[64];
    size_t hwid_len; /* 0 absent, 64, or 8 (Turin) */
    int has_csp_id;
    char csp_id[64];
} snp_vek_info;

/* Malformed or duplicated extensions, and a HWID together with a CSP id,
 * are errors (RATLS_ERR_CERT_CHAIN). */
ratls_status snp_vek_info_parse(X509 *x, snp_vek_info *out, char *err, size_t errlen);
/* The same from one DER certificate (the fuzz entry point): 0 or -1. */
int snp_vek_der_parse(const uint8_t *der, size_t len, snp_vek_info *out, char *err, size_t errlen);

/* ---- policy (policy.c) ---- */

unsigned snp_policy_flags(const ratls_snp_policy *p);
/* Adds snp.policy and snp.measurement for an authentic report. */
void snp_policy_check(ratls_result *r, const struct ratls_snp_report *rep, ratls_snp_product product,
                      const ratls_snp_policy *pol);

#endif
