/* Internal definitions shared by the verifier and the per-TEE verifiers. */
#ifndef RATLS_CORE_H
#define RATLS_CORE_H

#include <pthread.h>

#include "base/result_int.h"
#include "crypto/crypto.h"
#include "snp/snp.h"
#include "tdx/collateral.h"
#include "tdx/quote.h"
#include "tdx/sgx_ext.h"

struct ratls_evidence {
    ratls_tee tee;
    uint8_t *quote;
    size_t quote_len;
    /* dstack */
    ratls_eventlog *log;      /* owned; NULL when not a dstack response */
    int has_app_compose_hash; /* the server's app_compose (tcb_info), hashed */
    uint8_t app_compose_hash[32];
    int has_cert;
    uint8_t cert_sha256[32];
    int has_nonce;
    uint8_t nonce[64];
};

#define POLICY_MAX_ADV 256

struct ratls_policy {
    unsigned status_mask; /* bit i set: tcb_status i accepted */
    unsigned flags;
    char **deny;
    size_t ndeny;
    char **allow;
    size_t nallow;
    int restrict_adv;
    uint32_t min_eval_num;
    int64_t coll_grace; /* INSECURE: seconds past nextUpdate still accepted */
    int64_t attest_ttl; /* how long a verified connection's certificate may be trusted; 0 = no limit */
    /* dstack expectations */
    int has_bootchain;
    uint8_t mrtd[48], rtmr[3][48];
    int has_os_image;
    uint8_t os_image[32];
    int has_compose;
    uint8_t compose[32];
    int has_key_provider;
    char kp_name[64];
    char kp_id[512]; /* lowercase hex */
};

/* The dstack checks (appraisal only: no I/O), after TDX verification. */
ratls_status dstack_appraise(const ratls_evidence *ev, const ratls_policy *p, const ratls_tdx_report *rep,
                             ratls_result *r);

/* A collateral set whose signatures, chains and CRLs verified, usable while
 * `now` lies in [from, to]. Keyed by the collateral's content digest. */
typedef struct coll_cache_entry {
    int used;
    uint8_t digest[32];
    int64_t from, to;
    uint64_t tick;
} coll_cache_entry;

/* A platform (PCK chain + QE report) that verified under one collateral set:
 * key = SHA-256(certification data) || collateral digest. */
typedef struct pck_cache_entry {
    int used;
    uint8_t key[64];
    int64_t from, to;
    sgx_ext ext;
    uint64_t tick;
} pck_cache_entry;

/* Which platform (FMSPC, PCK CA kind) a quote's certification data names,
 * remembered by the exact bytes so a warm lookup is one memcmp. */
typedef struct plat_memo {
    uint8_t *cert;
    size_t len;
    uint64_t gen; /* the trust anchor it was verified under */
    uint8_t fmspc[6];
    int ca;
    uint64_t tick;
} plat_memo;

/* An SEV-SNP VEK chain (and CRL, when one was given) that verified under the
 * pinned ARK: key = SHA-256 of the pin, the product and the exact bytes. */
typedef struct snp_cache_entry {
    int used;
    uint8_t key[32];
    int64_t from, to;
    snp_vek_info vi;
    uint8_t point[97]; /* the VEK's P-384 public key, uncompressed */
    uint64_t tick;
} snp_cache_entry;

#define PLAT_MEMO_SIZE 8
#define COLL_CACHE_SIZE 16
#define PCK_CACHE_SIZE 64
#define SNP_CACHE_SIZE 32

struct ratls_verifier {
    pthread_mutex_t mu;
    keytab_cache *keytabs; /* precomputed tables of attestation keys seen more than once */
    rcert *test_root;      /* INSECURE override of the pinned Intel root */
    uint64_t anchor_gen;   /* bumped whenever the trust anchor changes */
    ratls_log_fn log;
    void *log_arg;
    ratls_collateral_source *source;
    plat_memo plat[PLAT_MEMO_SIZE];
    coll_cache_entry coll[COLL_CACHE_SIZE];
    pck_cache_entry pck[PCK_CACHE_SIZE];
    int has_snp_pin; /* INSECURE: a test ARK's SPKI SHA-256 replaces AMD's pins */
    uint8_t snp_pin[32];
    snp_cache_entry snp[SNP_CACHE_SIZE];
    uint64_t tick;
};

/* Cache access (thread-safe). */
/* A verification runs under one trust anchor: it takes a private copy of the
 * test root (or NULL for Intel's) and the anchor generation at its start, and
 * its results are stored only if the anchor is still the same. */
ratls_status verifier_anchor(ratls_verifier *v, rcert **test_root, uint64_t *gen);
int verifier_coll_lookup(ratls_verifier *v, uint64_t gen, const uint8_t digest[32], int64_t now, int64_t *from,
                         int64_t *to);
void verifier_coll_store(ratls_verifier *v, uint64_t gen, const uint8_t digest[32], int64_t from, int64_t to);
/* On hit, copies the entry's extension. Keys are never shared between
 * threads: an attestation key costs ~4 us to rebuild. */
int verifier_pck_lookup(ratls_verifier *v, uint64_t gen, const uint8_t key[64], int64_t now, sgx_ext *ext,
                        int64_t *from, int64_t *to);
void verifier_pck_store(ratls_verifier *v, uint64_t gen, const uint8_t key[64], int64_t from, int64_t to,
                        const sgx_ext *ext);

/* The verifier's collateral source with a reference taken (release with
 * ratls_collateral_source_free), or NULL. */
ratls_collateral_source *verifier_source(ratls_verifier *v);
/* The SEV-SNP anchor: a test ARK pin if one is set (*has), and the anchor
 * generation. 0, or -1 on bad arguments. */
int verifier_snp_anchor(ratls_verifier *v, uint8_t pin[32], int *has, uint64_t *gen);
int verifier_snp_lookup(ratls_verifier *v, uint64_t gen, const uint8_t key[32], int64_t now, snp_cache_entry *out);
void verifier_snp_store(ratls_verifier *v, uint64_t gen, const snp_cache_entry *e);

int policy_status_accepted(const ratls_policy *p, tcb_status s);
/* NULL if accepted, else the first offending advisory ID. */
const char *policy_advisory_rejected(const ratls_policy *p, const char *id);

/* The TDX pipeline: verify (DCAP) and appraise (policy). */
ratls_status tdx_verify(ratls_verifier *v, const ratls_tdx_quote *q, const ratls_collateral *c, const ratls_policy *p,
                        int64_t now, ratls_result *r);

/* One collateral item, verified on its own before a source caches it:
 * its issuer chain to the anchor (the pinned Intel root, or `test_root`),
 * its signature, and its window at `now` (an overrun of at most `grace`
 * seconds past nextUpdate is tolerated: an INSECURE policy switch). The
 * root CA CRL is checked against the last certificate of `chain_pem`
 * (any issuer chain of the same collateral). Cross-item checks (a signer
 * revoked by the root CRL, the PCK CA of the quote) are the verifier's. */
typedef enum tdx_item_kind {
    TDX_ITEM_TCB_INFO,
    TDX_ITEM_QE_IDENTITY,
    TDX_ITEM_PCK_CRL,
    TDX_ITEM_ROOT_CRL
} tdx_item_kind;

typedef struct tdx_item_info {
    tdx_item_kind kind;
    int64_t issued, next_update; /* issueDate/thisUpdate and nextUpdate */
    int64_t from, to;            /* the window at which every part is valid */
    int64_t eval;                /* tcbEvaluationDataNumber (JSON items) */
    uint8_t fmspc[6];            /* TCB Info */
    int ca;                      /* PCK CRL: 1 platform, 2 processor */
} tdx_item_info;

ratls_status tdx_item_verify(const rcert *test_root, tdx_item_kind kind, const uint8_t *body, size_t len,
                             const char *chain_pem, int64_t now, int64_t grace, tdx_item_info *info, char *err,
                             size_t errlen);
/* FMSPC and PCK CA kind (1 platform, 2 processor) read from the quote's PCK
 * chain, once its signatures chain to the anchor (test_root, or the pinned
 * Intel root): the key under which collateral is looked up, so a server
 * cannot make us fetch what it likes. Windows and revocation are the
 * verification's. */
ratls_status tdx_quote_platform(const ratls_tdx_quote *q, const rcert *test_root, int64_t now, uint8_t fmspc[6],
                                int *ca, char *err, size_t errlen);
void tdx_skip_rest(ratls_result *r, const char *why);
ratls_status tdx_anchor_check(const rcert *test_root, const rcert *cand, int64_t now, const char *what, char *err,
                              size_t errlen);

#endif
