/*
 * ratls — remote attestation for TLS servers running in hardware TEEs.
 *
 * One public header. Every handle is opaque; every *_free accepts NULL.
 * Ownership: functions taking `const uint8_t *buf, size_t len` copy what they
 * keep; "borrowed" return values live as long as the object they came from.
 *
 * The flow is one-way:  evidence -> parse -> verify -> appraise -> result.
 *   - ratls_evidence   : what the server handed over (a TDX quote today;
 *                        SEV-SNP reports, event logs, TLS certificates and
 *                        nonces slot in beside it).
 *   - ratls_collateral : what the verifier needs from the vendor (Intel's
 *                        TCB Info, QE Identity, CRLs and issuer chains).
 *   - ratls_policy     : what the caller accepts. Denies by default.
 *   - ratls_verifier   : the engine, holding pinned roots and caches of
 *                        verified collateral and PCK chains.
 *   - ratls_result     : the verdict and one entry per check.
 *
 * Time is an input: every verification takes `now` (Unix seconds). The
 * library never reads the clock, the environment or any file.
 */
#ifndef RATLS_RATLS_H
#define RATLS_RATLS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(RATLS_BUILDING) && defined(__GNUC__)
#define RATLS_API __attribute__((visibility("default")))
#else
#define RATLS_API
#endif

#if defined(__GNUC__)
#define RATLS_WUR __attribute__((warn_unused_result))
#else
#define RATLS_WUR
#endif

#define RATLS_VERSION_STRING "0.1.0"

/* ------------------------------------------------------------------ */
/* Status codes. 0 is success; each value has a stable string.         */
/* ------------------------------------------------------------------ */
typedef enum ratls_status {
    RATLS_OK = 0,
    RATLS_ERR_INVALID_ARGUMENT,
    RATLS_ERR_NO_MEMORY,
    RATLS_ERR_INTERNAL,

    /* quote format */
    RATLS_ERR_QUOTE_TRUNCATED,
    RATLS_ERR_QUOTE_VERSION,
    RATLS_ERR_QUOTE_ATT_KEY_TYPE,
    RATLS_ERR_QUOTE_TEE_TYPE,
    RATLS_ERR_QUOTE_QE_VENDOR,
    RATLS_ERR_QUOTE_BODY_TYPE,
    RATLS_ERR_QUOTE_SIG_DATA,
    RATLS_ERR_QUOTE_CERT_DATA_TYPE,
    RATLS_ERR_QUOTE_CERT_DATA,
    RATLS_ERR_PEM_CHAIN,
    RATLS_ERR_TOO_LARGE,

    /* collateral format */
    RATLS_ERR_COLLATERAL_FORMAT,
    RATLS_ERR_TCB_INFO_FORMAT,
    RATLS_ERR_QE_IDENTITY_FORMAT,
    RATLS_ERR_CRL_FORMAT,
    RATLS_ERR_UNKNOWN_TCB_STATUS,

    /* chains, CRLs, signatures, validity windows */
    RATLS_ERR_UNTRUSTED_ROOT,
    RATLS_ERR_CERT_CHAIN,
    RATLS_ERR_CERT_NOT_YET_VALID,
    RATLS_ERR_CERT_EXPIRED,
    RATLS_ERR_CERT_REVOKED,
    RATLS_ERR_CRL_SIGNATURE,
    RATLS_ERR_CRL_ISSUER,
    RATLS_ERR_CRL_NOT_YET_VALID,
    RATLS_ERR_CRL_EXPIRED,
    RATLS_ERR_TCB_INFO_SIGNATURE,
    RATLS_ERR_QE_IDENTITY_SIGNATURE,
    RATLS_ERR_COLLATERAL_NOT_YET_VALID,
    RATLS_ERR_COLLATERAL_EXPIRED,
    RATLS_ERR_SGX_EXTENSION,

    /* quote verification */
    RATLS_ERR_QE_REPORT_SIGNATURE,
    RATLS_ERR_QE_REPORT_DATA,
    RATLS_ERR_QE_IDENTITY_MISMATCH,
    RATLS_ERR_QUOTE_SIGNATURE,
    RATLS_ERR_FMSPC_MISMATCH,
    RATLS_ERR_PCEID_MISMATCH,
    RATLS_ERR_TCB_NOT_SUPPORTED,
    RATLS_ERR_TDX_MODULE_MISMATCH,

    /* appraisal (policy) */
    RATLS_ERR_TCB_STATUS_REJECTED,
    RATLS_ERR_ADVISORY_REJECTED,
    RATLS_ERR_TD_DEBUG,
    RATLS_ERR_TD_ATTRIBUTES,
    RATLS_ERR_TD_SEPT_VE_DISABLE,
    RATLS_ERR_TD_MRSERVICETD,

    /* dstack evidence */
    RATLS_ERR_EVENTLOG_FORMAT,
    RATLS_ERR_EVENT_DIGEST,
    RATLS_ERR_EVENT_PLACEMENT,
    RATLS_ERR_EVENT_DUPLICATE,
    RATLS_ERR_RESPONSE_FORMAT,
    RATLS_ERR_APP_COMPOSE,
    RATLS_ERR_TCB_EVALUATION_NUMBER,
    RATLS_ERR_NONCE_MISMATCH,
    RATLS_ERR_EVENTLOG_REPLAY,
    RATLS_ERR_CERT_BINDING,
    RATLS_ERR_BOOTCHAIN,
    RATLS_ERR_OS_IMAGE,
    RATLS_ERR_COMPOSE_HASH,
    RATLS_ERR_KEY_PROVIDER,
    RATLS_ERR_CHECK_SKIPPED,

    /* collateral sources */
    RATLS_ERR_NETWORK,
    RATLS_ERR_TIMEOUT,
    RATLS_ERR_HTTP_STATUS,
    RATLS_ERR_COLLATERAL_UNAVAILABLE,
    RATLS_ERR_COLLATERAL_MISMATCH,

    /* attested connections */
    RATLS_ERR_TLS,
    RATLS_ERR_ATTESTATION_RESPONSE,

    /* AMD SEV-SNP */
    RATLS_ERR_SNP_REPORT_FORMAT,
    RATLS_ERR_SNP_REPORT_SIGNATURE,
    RATLS_ERR_SNP_TCB_MISMATCH,
    RATLS_ERR_SNP_POLICY,

    RATLS_STATUS_COUNT_ /* not a status */
} ratls_status;

/* A short stable identifier such as "quote_signature". Never NULL. */
RATLS_API const char *ratls_status_name(ratls_status s);
/* A sentence describing the status. Never NULL. */
RATLS_API const char *ratls_status_str(ratls_status s);
RATLS_API const char *ratls_version(void);

/* Optional log sink: the library never prints. */
typedef enum ratls_log_level { RATLS_LOG_DEBUG = 0, RATLS_LOG_INFO, RATLS_LOG_WARN } ratls_log_level;
typedef void (*ratls_log_fn)(void *arg, ratls_log_level level, const char *msg);

/* ------------------------------------------------------------------ */
/* TDX quote (parsing only; parsing never verifies).                    */
/* ------------------------------------------------------------------ */
#define RATLS_TDX_MR_LEN 48
#define RATLS_TDX_REPORT_DATA_LEN 64
#define RATLS_TDX_MAX_QUOTE_LEN (256u * 1024u)

/* Parsed TD report fields, copied out of the quote (plain data). */
typedef struct ratls_tdx_report {
    uint16_t quote_version; /* 4 or 5 */
    uint16_t body_type;     /* 2 = TD 1.0, 3 = TD 1.5 (v4 quotes: 2) */
    uint8_t tee_tcb_svn[16];
    uint8_t mr_seam[48];
    uint8_t mr_signer_seam[48];
    uint8_t seam_attributes[8];
    uint8_t td_attributes[8];
    uint8_t xfam[8];
    uint8_t mr_td[48];
    uint8_t mr_config_id[48];
    uint8_t mr_owner[48];
    uint8_t mr_owner_config[48];
    uint8_t rtmr[4][48];
    uint8_t report_data[64];
    /* TD 1.5 only (zero otherwise) */
    uint8_t tee_tcb_svn2[16];
    uint8_t mr_service_td[48];
} ratls_tdx_report;

typedef struct ratls_tdx_quote ratls_tdx_quote;

/* Parse a binary quote. On failure *out is NULL and the status says why;
 * `err` (optional, may be NULL) receives a sentence of up to errlen bytes. */
RATLS_API RATLS_WUR ratls_status ratls_tdx_quote_parse(const uint8_t *buf, size_t len, ratls_tdx_quote **out, char *err,
                                                       size_t errlen);
RATLS_API void ratls_tdx_quote_free(ratls_tdx_quote *q);
/* Borrowed. */
RATLS_API const ratls_tdx_report *ratls_tdx_quote_report(const ratls_tdx_quote *q);
/* The quote decoded as a JSON object (header, body, signature data, PCK chain
 * subjects). Caller frees with ratls_free_string. */
RATLS_API RATLS_WUR ratls_status ratls_tdx_quote_to_json(const ratls_tdx_quote *q, char **json_out);
RATLS_API void ratls_free_string(char *s);

/* Hex helpers for callers reading quote files: decodes hex with an optional
 * "0x" prefix, ignoring ASCII whitespace. *out is malloc'd; free with free(). */
RATLS_API RATLS_WUR ratls_status ratls_hex_decode_relaxed(const char *text, size_t len, uint8_t **out, size_t *out_len);

/* ------------------------------------------------------------------ */
/* dstack event log (RTMR replay) and GetQuote responses.                */
/* ------------------------------------------------------------------ */
#define RATLS_EVENT_TYPE_RUNTIME 0x08000001u
#define RATLS_EVENTLOG_MAX_EVENTS 4096

/* One event, decoded (plain data, borrowed from its log). For runtime events
 * (imr 3, type 0x08000001) `digest` is the digest recomputed from name and
 * payload; the log's own digest, if any, was checked to equal it. */
typedef struct ratls_event {
    uint32_t imr;
    uint32_t type;
    uint8_t digest[48];
    const char *name;       /* the `event` field; "" for most boot events */
    const uint8_t *payload; /* decoded `event_payload` */
    size_t payload_len;
    int version; /* runtime events: 1 (default) or 2 (JCS digest) */
} ratls_event;

typedef struct ratls_eventlog ratls_eventlog;

/* Parse a dstack event log: a JSON array of {imr, event_type, digest, event,
 * event_payload[, version, preimage]}. Runtime digests are recomputed (v1:
 * SHA-384(le32(type) ":" name ":" payload); v2: SHA-384 of the RFC 8785 form
 * of {"name","payload","type"}); a non-empty logged digest must match. Fails
 * on runtime events outside imr 3, other events in imr 3, a repeated
 * singleton (app-id, compose-hash, instance-id, os-image-hash, key-provider)
 * or one logged after system-ready,
 * boot events without a digest, and anything malformed or over its cap. */
RATLS_API RATLS_WUR ratls_status ratls_eventlog_parse(const uint8_t *json, size_t len, ratls_eventlog **out, char *err,
                                                      size_t errlen);
RATLS_API void ratls_eventlog_free(ratls_eventlog *log);
/* RTMR0..3 replayed from 48 zero bytes: mr = SHA-384(mr || digest). */
RATLS_API void ratls_eventlog_replay(const ratls_eventlog *log, uint8_t rtmr[4][48]);
RATLS_API size_t ratls_eventlog_count(const ratls_eventlog *log);
/* Borrowed; NULL past the end. */
RATLS_API const ratls_event *ratls_eventlog_event(const ratls_eventlog *log, size_t i);
/* The first (last = 0) or last (last = 1) runtime event named `name`, or NULL. */
RATLS_API const ratls_event *ratls_eventlog_find(const ratls_eventlog *log, const char *name, int last);
/* {"rtmr":[4 hex], "events":[{imr, event_type, digest, event, event_payload, payload_text?}]} */
RATLS_API RATLS_WUR ratls_status ratls_eventlog_to_json(const ratls_eventlog *log, char **json_out);

typedef struct ratls_dstack_response ratls_dstack_response;

/* Parse what a dstack server answers to POST /tdx_quote: the full response
 * ({"success": true, "quote": {...}, ...}) or the bare quote object
 * ({"quote": hex, "event_log": "<JSON string>", "report_data": hex, ...}). */
RATLS_API RATLS_WUR ratls_status ratls_dstack_response_parse(const uint8_t *json, size_t len,
                                                             ratls_dstack_response **out, char *err, size_t errlen);
RATLS_API void ratls_dstack_response_free(ratls_dstack_response *r);
/* Borrowed. */
RATLS_API const uint8_t *ratls_dstack_response_quote(const ratls_dstack_response *r, size_t *len);
RATLS_API const ratls_eventlog *ratls_dstack_response_eventlog(const ratls_dstack_response *r);

/* ------------------------------------------------------------------ */
/* dstack app compose: the hash the `compose-hash` event carries.        */
/* ------------------------------------------------------------------ */
#define RATLS_COMPOSE_MAX_LEN (1u << 20) /* bytes of app_compose JSON */
#define RATLS_COMPOSE_MAX_DEPTH 128      /* nested arrays/objects */

/* The compose hash exactly as dstack-sdk `get_compose_hash` (normalize off)
 * computes it from the parsed app_compose: top-level null/NaN/Infinity fields
 * and fields whose name starts with "_" dropped (nested nulls kept, nested
 * NaN/Infinity -> null), null `registry`/`username`/`token_key` of
 * `docker_config` and null known fields of `requirements` dropped, `runner`
 * required (a scalar is turned into its Python str()), keys sorted by code
 * point at every level, then SHA-256 of Python's
 * json.dumps(separators=(",",":"), ensure_ascii=False) as UTF-8.
 * `json` is the app_compose text (strict UTF-8 JSON; Python's NaN, Infinity
 * and -Infinity literals accepted; at most RATLS_COMPOSE_MAX_LEN bytes and
 * RATLS_COMPOSE_MAX_DEPTH levels; duplicate keys rejected). Fails rather
 * than guess where the SDK would raise or where a value cannot be rendered as
 * Python renders it. `err` (optional) receives a sentence. */
RATLS_API RATLS_WUR ratls_status ratls_compose_hash(const uint8_t *json, size_t len, uint8_t out[32], char *err,
                                                    size_t errlen);
/* The canonical text that ratls_compose_hash hashes (NUL-terminated UTF-8,
 * never containing a NUL byte). Caller frees *out with ratls_free_string. */
RATLS_API RATLS_WUR ratls_status ratls_compose_canonical(const uint8_t *json, size_t len, char **out, char *err,
                                                         size_t errlen);

/* ------------------------------------------------------------------ */
/* Evidence: what the attester handed over. TEE-neutral container.      */
/* ------------------------------------------------------------------ */
typedef enum ratls_tee { RATLS_TEE_NONE = 0, RATLS_TEE_TDX = 1, RATLS_TEE_SEV_SNP = 2 } ratls_tee;

typedef struct ratls_evidence ratls_evidence;

RATLS_API RATLS_WUR ratls_evidence *ratls_evidence_new(void);
RATLS_API void ratls_evidence_free(ratls_evidence *ev);
/* Copies the quote bytes. Parsing happens at verification time. */
RATLS_API RATLS_WUR ratls_status ratls_evidence_set_tdx_quote(ratls_evidence *ev, const uint8_t *quote, size_t len);
RATLS_API ratls_tee ratls_evidence_tee(const ratls_evidence *ev);
/* A dstack /tdx_quote response (full or bare form): sets the quote and the
 * event log (and the server's app_compose when the response carries one).
 * With it, ratls_verify also runs the dstack checks. */
RATLS_API RATLS_WUR ratls_status ratls_evidence_set_dstack_response(ratls_evidence *ev, const uint8_t *json, size_t len,
                                                                    char *err, size_t errlen);
/* The certificate of the TLS connection the evidence came over (DER, or
 * PEM whose first certificate is used): checked against the last
 * "New TLS Certificate" event (cert.binding). */
RATLS_API RATLS_WUR ratls_status ratls_evidence_set_tls_cert(ratls_evidence *ev, const uint8_t *cert, size_t len);
/* The challenge sent (1..64 bytes, zero-padded to 64): must equal REPORTDATA. */
RATLS_API RATLS_WUR ratls_status ratls_evidence_set_nonce(ratls_evidence *ev, const uint8_t *nonce, size_t len);

/* ------------------------------------------------------------------ */
/* Collateral (Intel DCAP: TCB Info, QE Identity, CRLs, issuer chains). */
/* ------------------------------------------------------------------ */
typedef struct ratls_collateral ratls_collateral;

/* Load the QuoteCollateralV3 JSON form (dcap-qvl / Intel QCNL field names:
 * pck_crl_issuer_chain, root_ca_crl, pck_crl, tcb_info_issuer_chain,
 * tcb_info, tcb_info_signature, qe_identity_issuer_chain, qe_identity,
 * qe_identity_signature). Parses only; nothing is trusted until a verifier
 * checks it. `tcb_info` and `qe_identity` must be the exact signed texts. */
RATLS_API RATLS_WUR ratls_status ratls_collateral_from_json(const uint8_t *buf, size_t len, ratls_collateral **out,
                                                            char *err, size_t errlen);

/* The same collateral from the pieces Intel PCS (or a PCCS) serves:
 * the TCB Info and QE Identity response bodies as received
 * ({"tcbInfo": {...}, "signature": "..."}, {"enclaveIdentity": ...}; the
 * signature is checked over the exact bytes of the inner value), the CRLs
 * as DER, and the issuer chains as PEM (URL-decoded from the response
 * headers). Every pointer is borrowed for the call only. */
typedef struct ratls_collateral_parts {
    const char *pck_crl_issuer_chain; /* PEM, NUL-terminated */
    const uint8_t *root_ca_crl;       /* DER */
    size_t root_ca_crl_len;
    const uint8_t *pck_crl; /* DER */
    size_t pck_crl_len;
    const char *tcb_info_issuer_chain; /* PEM, NUL-terminated */
    const char *tcb_info_body;         /* response body */
    size_t tcb_info_body_len;
    const char *qe_identity_issuer_chain; /* PEM, NUL-terminated */
    const char *qe_identity_body;
    size_t qe_identity_body_len;
} ratls_collateral_parts;

RATLS_API RATLS_WUR ratls_status ratls_collateral_from_pcs(const ratls_collateral_parts *parts, ratls_collateral **out,
                                                           char *err, size_t errlen);
RATLS_API void ratls_collateral_free(ratls_collateral *c);
/* Serialize back to QuoteCollateralV3 JSON (signed texts kept byte-exact). */
RATLS_API RATLS_WUR ratls_status ratls_collateral_to_json(const ratls_collateral *c, char **json_out);
/* FMSPC of the TCB Info as 12 upper-case hex chars (borrowed), or NULL. */
RATLS_API const char *ratls_collateral_fmspc(const ratls_collateral *c);

/* ------------------------------------------------------------------ */
/* Collateral sources: fetch, verify and cache Intel's collateral.      */
/* ------------------------------------------------------------------ */
/*
 * A source obtains the collateral a quote needs, in this order: its
 * in-memory cache, its on-disk cache (when a directory is set), Intel PCS v4
 * or a PCCS (unless offline), then offline bundles added by the caller.
 * Every item (TCB Info per FMSPC, QE Identity, PCK CRL per CA, root CA CRL)
 * is verified on its own under the verifier's trust anchor at the
 * verification time before it is cached or used, whatever its origin; an
 * item is refreshed when its nextUpdate comes within the refresh margin,
 * and while the network fails a cached item still inside its window is
 * used. Expired items are never used unless the policy sets an INSECURE
 * grace period.
 *
 * A source is thread-safe and reference-counted: attach one source to
 * every verifier of a process (ratls_verifier_set_collateral_source) and
 * they share one memory cache, with one upstream request in flight per
 * item. Configure it before it is first used. The library reads no
 * environment: the caller chooses the cache directory (the CLI uses
 * $XDG_CACHE_HOME/ratls).
 */
typedef struct ratls_collateral_source ratls_collateral_source;

#define RATLS_COLLATERAL_REFRESH_MARGIN_DEFAULT 3600
#define RATLS_COLLATERAL_CACHE_MAX_DEFAULT (16u * 1024u * 1024u)

/* Defaults: Intel PCS v4 at https://api.trustedservices.intel.com, AMD KDS
 * at https://kdsintf.amd.com, no disk cache, online, connect timeout 5 s,
 * 20 s per attempt, 1 MiB per response, 3 retries (backoff from 250 ms,
 * Retry-After honoured up to 30 s), refresh margin 1 h, TLS certificates
 * verified. */
RATLS_API RATLS_WUR ratls_collateral_source *ratls_collateral_source_new(void);
/* Drops the caller's reference; verifiers holding it keep theirs. */
RATLS_API void ratls_collateral_source_free(ratls_collateral_source *s);
/* Intel PCS v4 (or a service with its paths). The root CA CRL then comes from
 * Intel's CRL distribution point unless ratls_collateral_source_set_root_ca_crl_url
 * names another URL. */
RATLS_API RATLS_WUR ratls_status ratls_collateral_source_set_pcs_url(ratls_collateral_source *s, const char *base_url);
/* A PCCS (Intel's caching service), http or https: the root CA CRL comes from
 * its /sgx/certification/v4/rootcacrl. Everything fetched is verified. */
RATLS_API RATLS_WUR ratls_status ratls_collateral_source_set_pccs_url(ratls_collateral_source *s, const char *base_url);
RATLS_API RATLS_WUR ratls_status ratls_collateral_source_set_root_ca_crl_url(ratls_collateral_source *s,
                                                                             const char *url);
/* AMD KDS (or a service with its paths) for SEV-SNP: certificate chains and
 * CRLs ({base}/vcek/v1/{Milan|Genoa|Turin}/cert_chain and .../crl, and the
 * vlek/v1 ones) and VCEKs ({base}/vcek/v1/{P}/{hwid}?blSPL=..). Default
 * https://kdsintf.amd.com. Every item is verified under the pinned ARK before
 * it is cached or used; a VCEK is asked for once per (product, chip, TCB)
 * while it is valid (KDS throttles VCEK requests: HTTP 429 and Retry-After,
 * honoured up to the retry wait cap). Returns RATLS_ERR_INVALID_ARGUMENT
 * unless base_url is an http(s) URL without a query. */
RATLS_API RATLS_WUR ratls_status ratls_collateral_source_set_kds_url(ratls_collateral_source *s, const char *base_url);
/* After a VCEK request fails and leaves no valid copy, the same VCEK is not
 * asked for again for this many seconds (wall clock; default
 * RATLS_KDS_VCEK_RETRY_DEFAULT, AMD KDS's pace of about one VCEK per 10 s per
 * address); verifications asking for it meanwhile fail with the stored error.
 * 0 asks again every time. */
#define RATLS_KDS_VCEK_RETRY_DEFAULT 10
RATLS_API void ratls_collateral_source_set_vcek_retry_interval(ratls_collateral_source *s, int64_t seconds);
/* On-disk cache directory (created 0700 when needed), or NULL for none.
 * Files are written atomically, re-verified when read, and ignored (then
 * replaced) when corrupt; the oldest go when the directory exceeds its budget. */
RATLS_API RATLS_WUR ratls_status ratls_collateral_source_set_cache_dir(ratls_collateral_source *s, const char *dir);
RATLS_API void ratls_collateral_source_set_cache_max_bytes(ratls_collateral_source *s, uint64_t max_bytes);
/* Never touch the network: caches and offline bundles only. */
RATLS_API void ratls_collateral_source_set_offline(ratls_collateral_source *s, int offline);
/* Milliseconds; values <= 0 keep the current setting. The total is per attempt. */
RATLS_API void ratls_collateral_source_set_timeouts(ratls_collateral_source *s, long connect_ms, long total_ms);
/* Largest response body accepted (at least 1024 bytes). */
RATLS_API void ratls_collateral_source_set_max_response(ratls_collateral_source *s, size_t bytes);
/* Retries after a 5xx, a 429 or a dropped connection (at most 10), the first
 * backoff (doubling each time), and the longest wait accepted: a Retry-After
 * beyond it fails at once. */
RATLS_API void ratls_collateral_source_set_retries(ratls_collateral_source *s, unsigned retries, long backoff_ms,
                                                   long max_wait_ms);
/* Refresh an item this many seconds before its nextUpdate. */
RATLS_API void ratls_collateral_source_set_refresh_margin(ratls_collateral_source *s, int64_t seconds);
/* Verify the service's TLS certificate (default on). A PCCS often has a
 * self-signed one; turning this off still verifies every item fetched. */
RATLS_API void ratls_collateral_source_set_tls_verify(ratls_collateral_source *s, int on);
/* Progress and warnings ("fetching TCB Info for FMSPC ... from URL"). */
RATLS_API void ratls_collateral_source_set_log(ratls_collateral_source *s, ratls_log_fn fn, void *arg);
/* An offline bundle (takes a reference): used for its FMSPC when nothing
 * else can be had. It is verified in full like any collateral. */
RATLS_API RATLS_WUR ratls_status ratls_collateral_source_add_bundle(ratls_collateral_source *s, ratls_collateral *c);
/* Forget the in-memory cache (the disk cache stays). */
RATLS_API void ratls_collateral_source_clear_memory(ratls_collateral_source *s);

typedef struct ratls_collateral_stats {
    uint64_t memory_hits;       /* items served from memory */
    uint64_t disk_hits;         /* items loaded (and re-verified) from disk */
    uint64_t bundle_hits;       /* offline bundles used */
    uint64_t upstream_requests; /* HTTP requests sent, retries included */
    uint64_t upstream_failures; /* item refreshes that failed */
    uint64_t stale_used;        /* items used while a refresh failed or ran */
} ratls_collateral_stats;
RATLS_API void ratls_collateral_source_stats(ratls_collateral_source *s, ratls_collateral_stats *out);

/* ------------------------------------------------------------------ */
/* Policy: deny by default.                                             */
/* ------------------------------------------------------------------ */
typedef struct ratls_policy ratls_policy;

/* Insecure switches are named as such. */
typedef enum ratls_policy_flag {
    /* Accept a TD with the DEBUG attribute: its memory is readable by the host. */
    RATLS_POLICY_ALLOW_DEBUG_TD_INSECURE = 1u << 0,
    /* Accept a TD without SEPT_VE_DISABLE (a guest that may be fed #VE by the host). */
    RATLS_POLICY_ALLOW_SEPT_VE_ENABLED_INSECURE = 1u << 1,
    /* Accept a non-zero MRSERVICETD (a service TD such as a migration TD is bound). */
    RATLS_POLICY_ALLOW_MRSERVICETD = 1u << 2,
    /* A check without an expected value fails instead of being skipped. */
    RATLS_POLICY_REQUIRE_ALL_CHECKS = 1u << 3,
    /* Skip the dstack runtime checks (bootchain, os_image, app_compose,
     * key_provider): the TD's software is then NOT verified. */
    RATLS_POLICY_SKIP_RUNTIME_VERIFICATION_INSECURE = 1u << 4,
} ratls_policy_flag;

/* New policy: TCB statuses accepted = {UpToDate}; no advisory lists; no flags. */
RATLS_API RATLS_WUR ratls_policy *ratls_policy_new(void);
RATLS_API void ratls_policy_free(ratls_policy *p);
/* Accept one more final TCB status (an Intel tcbStatus string or
 * "TDRelaunchAdvised" / "TDRelaunchAdvisedConfigurationNeeded").
 * Unknown strings give RATLS_ERR_UNKNOWN_TCB_STATUS. */
RATLS_API RATLS_WUR ratls_status ratls_policy_allow_tcb_status(ratls_policy *p, const char *status);
/* Replace the accepted set with a comma-separated list ("UpToDate,SWHardeningNeeded"). */
RATLS_API RATLS_WUR ratls_status ratls_policy_set_tcb_statuses(ratls_policy *p, const char *csv);
/* Advisory IDs: any ID on the deny list rejects. If an allow list is set
 * (even empty, via ratls_policy_restrict_advisories), any ID not on it rejects. */
RATLS_API RATLS_WUR ratls_status ratls_policy_deny_advisory(ratls_policy *p, const char *id);
RATLS_API RATLS_WUR ratls_status ratls_policy_allow_advisory(ratls_policy *p, const char *id);
RATLS_API void ratls_policy_restrict_advisories(ratls_policy *p);
RATLS_API void ratls_policy_set_flags(ratls_policy *p, unsigned flags);
/* Require collateral whose tcbEvaluationDataNumber (the lower of the TCB
 * Info's and the QE Identity's) is at least `n`: Intel raises it at each TCB
 * recovery, so this refuses collateral issued before a recovery the caller
 * knows of. 0 (the default) requires nothing. */
RATLS_API void ratls_policy_set_min_tcb_evaluation_number(ratls_policy *p, uint32_t n);
RATLS_API unsigned ratls_policy_flags(const ratls_policy *p);
/* How long the certificate of a verified connection may be trusted without a
 * new attestation (the libcurl hook remembers it at most this long, and never
 * past the collateral's nextUpdate or the certificate's notAfter). 0 (the
 * default): no limit of the policy's own. */
RATLS_API void ratls_policy_set_attestation_ttl(ratls_policy *p, int64_t seconds);
RATLS_API int64_t ratls_policy_attestation_ttl(const ratls_policy *p);
/* INSECURE: accept collateral (TCB Info, QE Identity, CRLs) up to `seconds`
 * past its nextUpdate. Expired collateral may hide a revocation or a TCB
 * recovery; the result's checks say when it was used. 0 (default) = none. */
RATLS_API void ratls_policy_set_collateral_grace_insecure(ratls_policy *p, int64_t seconds);

/* What a dstack TD must measure. Unset fields are not checked: their check
 * is reported `skip`, and RATLS_POLICY_REQUIRE_ALL_CHECKS turns a skip
 * into a failure. Hex arguments are exact lengths (48-byte MRs, 32-byte
 * hashes). */
RATLS_API RATLS_WUR ratls_status ratls_policy_expect_bootchain(ratls_policy *p, const char *mrtd_hex,
                                                               const char *rtmr0_hex, const char *rtmr1_hex,
                                                               const char *rtmr2_hex);
RATLS_API RATLS_WUR ratls_status ratls_policy_expect_os_image_hash(ratls_policy *p, const char *hex);
/* The expected app compose as its JSON text (hashed as dstack does), or its hash. */
RATLS_API RATLS_WUR ratls_status ratls_policy_expect_app_compose(ratls_policy *p, const uint8_t *json, size_t len,
                                                                 char *err, size_t errlen);
RATLS_API RATLS_WUR ratls_status ratls_policy_expect_compose_hash(ratls_policy *p, const char *hex);
/* The key-provider event's name ("kms", "local-sgx", ...) and id (hex). */
RATLS_API RATLS_WUR ratls_status ratls_policy_expect_key_provider(ratls_policy *p, const char *name,
                                                                  const char *id_hex);
/* Load a dstack policy file (docs/policy.md, format version 1). Returns a
 * new policy; unknown keys, wrong types and unknown status strings fail. */
RATLS_API RATLS_WUR ratls_status ratls_policy_from_json(const uint8_t *json, size_t len, ratls_policy **out, char *err,
                                                        size_t errlen);

/* ------------------------------------------------------------------ */
/* Verifier                                                              */
/* ------------------------------------------------------------------ */
typedef struct ratls_verifier ratls_verifier;

/* A verifier trusting only the pinned Intel SGX Root CA. Thread-safe:
 * one verifier may serve many threads. */
RATLS_API RATLS_WUR ratls_verifier *ratls_verifier_new(void);
RATLS_API void ratls_verifier_free(ratls_verifier *v);
RATLS_API void ratls_verifier_set_log(ratls_verifier *v, ratls_log_fn fn, void *arg);
/* INSECURE: replace the pinned Intel root with a test root (DER or PEM).
 * Only for the project's simulated TEE and tests: evidence chained to it
 * proves nothing about real hardware. The result records that it was used. */
RATLS_API RATLS_WUR ratls_status ratls_verifier_set_tdx_root_insecure(ratls_verifier *v, const uint8_t *cert,
                                                                      size_t len);
/* INSECURE: trust a test ARK (one self-signed CA certificate, DER or PEM)
 * instead of AMD's pinned ARKs, for every product. Only for tests and a
 * simulated SEV-SNP platform; the result records that it was used. */
RATLS_API RATLS_WUR ratls_status ratls_verifier_set_snp_ark_insecure(ratls_verifier *v, const uint8_t *cert,
                                                                     size_t len);
/* Drop all cached verified collateral, PCK chains and SEV-SNP chains. */
RATLS_API void ratls_verifier_clear_cache(ratls_verifier *v);
/* Fetch collateral through `s` when ratls_verify is given none. Takes a
 * reference; NULL detaches. Share one source between verifiers. */
RATLS_API void ratls_verifier_set_collateral_source(ratls_verifier *v, ratls_collateral_source *s);
/* The collateral for a quote (binary) at `now` through the verifier's source,
 * each item verified under the verifier's anchor. `pol` may be NULL; its
 * INSECURE grace period, if any, applies. Free *out with ratls_collateral_free. */
RATLS_API RATLS_WUR ratls_status ratls_verifier_fetch_collateral(ratls_verifier *v, const uint8_t *quote, size_t len,
                                                                 const ratls_policy *pol, int64_t now,
                                                                 ratls_collateral **out, char *err, size_t errlen);

typedef struct ratls_result ratls_result;

/*
 * Verify `ev` with `coll` at time `now` and appraise it under `pol`. With
 * `coll` NULL, the collateral comes from the verifier's collateral source.
 * Returns RATLS_OK only if everything verified and the policy accepted it.
 * Otherwise returns the first failing check's status. *result_out (if not
 * NULL) always receives a result (free it), even on failure, unless memory
 * ran out or an argument was invalid.
 */
RATLS_API RATLS_WUR ratls_status ratls_verify(ratls_verifier *v, const ratls_evidence *ev, const ratls_collateral *coll,
                                              const ratls_policy *pol, int64_t now, ratls_result **result_out);

/* ------------------------------------------------------------------ */
/* Attested connections (dstack RA-TLS)                                  */
/* ------------------------------------------------------------------ */
/*
 * An attested connection is a TLS connection whose server proved, before the
 * caller sends a byte, that it runs in a TEE: right after the handshake the
 * library sends `POST /tdx_quote` with a fresh 64-byte nonce on the same
 * connection, then verifies the dstack response with the server's TLS
 * certificate and the nonce (ratls_verify, collateral from the verifier's
 * source). The certificate is authenticated by the attestation (the TD logs
 * its hash), not by web PKI.
 *
 * A host map says which hosts are attested and how; hosts not in it get
 * ordinary web-PKI verification (system CAs and the host name).
 */
typedef struct ratls_hostmap ratls_hostmap;

RATLS_API RATLS_WUR ratls_hostmap *ratls_hostmap_new(void);
RATLS_API void ratls_hostmap_free(ratls_hostmap *m);
/* Attest `host` with `v` under `p`. `host` is a DNS name (internationalised
 * names in their xn-- form) or an IP literal; names are compared in canonical
 * form: lower case, without a trailing dot, IP literals in standard text
 * ("[::1]", "0:0::1" and "::1" are one host). Both `v` and `p` are
 * borrowed: they must outlive the map. A host added twice keeps the last
 * entry. RATLS_ERR_INVALID_ARGUMENT for anything else. */
RATLS_API RATLS_WUR ratls_status ratls_hostmap_add(ratls_hostmap *m, const char *host, ratls_verifier *v,
                                                   const ratls_policy *p);
/* 1 and the entry's verifier and policy if `host` is attested, else 0. */
RATLS_API int ratls_hostmap_lookup(const ratls_hostmap *m, const char *host, ratls_verifier **v,
                                   const ratls_policy **p);

typedef struct ratls_conn ratls_conn;

/* Connect to host:port over TLS. For a host in `map`: attest at time `now`
 * and return the connection only if it verified and was accepted;
 * *result (if not NULL) receives the attestation result either way (its
 * first check, "transport", says how far the connection got). For other
 * hosts: web-PKI verification, *result stays NULL. `timeout_ms` (0: 10 s)
 * bounds the whole of connecting and attesting (collateral fetches aside,
 * which the source's own timeouts bound), then each of the application's
 * reads and writes. `host` is matched after canonicalisation (case, one
 * trailing dot, IP literal spelling). On failure *out is NULL. */
RATLS_API RATLS_WUR ratls_status ratls_connect(const ratls_hostmap *map, const char *host, const char *port,
                                               int64_t now, long timeout_ms, ratls_conn **out, ratls_result **result);
/* Bytes written or read (> 0), 0 at the peer's orderly close, -1 on error. */
RATLS_API long ratls_conn_write(ratls_conn *c, const void *buf, size_t len);
RATLS_API long ratls_conn_read(ratls_conn *c, void *buf, size_t len);
/* 1 if the connection was attested (its host was in the map). */
RATLS_API int ratls_conn_attested(const ratls_conn *c);
/* Closes the connection (TLS close_notify, then the socket). */
RATLS_API void ratls_conn_free(ratls_conn *c);
/* What the attestation used, for re-verifying later offline:
 * {"ratls_evidence": 1, "host", "port", "response" (the server's JSON),
 *  "tls_cert" (hex DER), "nonce" (hex), "verified_at", "collateral" (the
 *  QuoteCollateralV3 object, or null)}. Free with ratls_free_string. */
RATLS_API RATLS_WUR ratls_status ratls_conn_evidence_json(const ratls_conn *c, char **json_out);

/* ------------------------------------------------------------------ */
/* Result                                                                */
/* ------------------------------------------------------------------ */
typedef enum ratls_check_outcome {
    RATLS_CHECK_PASS = 0,
    RATLS_CHECK_FAIL = 1,
    RATLS_CHECK_SKIP = 2
} ratls_check_outcome;

RATLS_API void ratls_result_free(ratls_result *r);
/* 1 when verified and accepted, else 0. */
RATLS_API int ratls_result_verified(const ratls_result *r);
RATLS_API ratls_status ratls_result_status(const ratls_result *r);
/* The first failure as a sentence, or NULL when verified. Borrowed. */
RATLS_API const char *ratls_result_error(const ratls_result *r);
RATLS_API ratls_tee ratls_result_tee(const ratls_result *r);
RATLS_API size_t ratls_result_check_count(const ratls_result *r);
/* Borrowed strings; returns RATLS_ERR_INVALID_ARGUMENT past the end. */
RATLS_API ratls_status ratls_result_check(const ratls_result *r, size_t i, const char **id,
                                          ratls_check_outcome *outcome, const char **detail);
/* Find a check by id; returns -1 if it is absent. */
RATLS_API int ratls_result_find_check(const ratls_result *r, const char *id, ratls_check_outcome *outcome,
                                      const char **detail);
/* Final TCB status string, or NULL if the TCB was never evaluated. */
RATLS_API const char *ratls_result_tcb_status(const ratls_result *r);
RATLS_API size_t ratls_result_advisory_count(const ratls_result *r);
RATLS_API const char *ratls_result_advisory(const ratls_result *r, size_t i);
/* The earliest time at which some collateral item stops being valid, and the
 * latest time at which the last one became valid (Unix s). 0 if unknown. */
RATLS_API int64_t ratls_result_collateral_expiry(const ratls_result *r);
RATLS_API int64_t ratls_result_collateral_valid_from(const ratls_result *r);
/* min(TCB Info, QE Identity) tcbEvaluationDataNumber of the collateral used,
 * or -1 when the collateral did not verify. */
RATLS_API int64_t ratls_result_tcb_evaluation_number(const ratls_result *r);
/* Parsed TD report, or NULL when the quote did not parse. Borrowed. */
RATLS_API const ratls_tdx_report *ratls_result_tdx_report(const ratls_result *r);
/* FMSPC and PCE-ID read from the PCK certificate (hex), or NULL. Borrowed. */
RATLS_API const char *ratls_result_fmspc(const ratls_result *r);
/* 1 if the verification relied on an insecure test root. */
RATLS_API int ratls_result_used_insecure_root(const ratls_result *r);
/* The whole result as one JSON object:
 * {verified, tee, status, error, tcb_status, advisory_ids, checks:[{id,result,detail}],
 *  collateral:{valid_from, expires}, td_report:{...}, insecure_test_root}. */
RATLS_API RATLS_WUR ratls_status ratls_result_to_json(const ratls_result *r, char **json_out);

/* ------------------------------------------------------------------ */
/* AMD SEV-SNP                                                           */
/* ------------------------------------------------------------------ */
#define RATLS_SNP_REPORT_LEN 1184u
#define RATLS_SNP_MEASUREMENT_LEN 48
#define RATLS_SNP_REPORT_DATA_LEN 64

typedef enum ratls_snp_product {
    RATLS_SNP_PRODUCT_UNKNOWN = 0,
    RATLS_SNP_PRODUCT_MILAN = 1,
    RATLS_SNP_PRODUCT_GENOA = 2,
    RATLS_SNP_PRODUCT_TURIN = 3
} ratls_snp_product;

/* "Milan", "Genoa", "Turin" or "unknown". Never NULL. */
RATLS_API const char *ratls_snp_product_name(ratls_snp_product p);
/* Case-insensitive name ("milan", "Genoa", ...) to a product; UNKNOWN if none. */
RATLS_API ratls_snp_product ratls_snp_product_from_name(const char *name);

typedef struct ratls_snp_report ratls_snp_report;

/* Parse an attestation report (versions 2, 3 and 5): the raw 1184 bytes, or
 * the blyss JSON form (see ratls_snp_report_from_json) when the first
 * non-blank byte is '{'. Reserved bytes must be zero. On success *out owns a
 * copy of the raw bytes; free it with ratls_snp_report_free. err (optional)
 * receives a reason on failure. */
RATLS_API RATLS_WUR ratls_status ratls_snp_report_parse(const uint8_t *buf, size_t len, ratls_snp_report **out,
                                                        char *err, size_t errlen);
RATLS_API void ratls_snp_report_free(ratls_snp_report *r);
/* A report in the blyss (virtee sev 1.x serde) JSON form to the raw 1184
 * bytes the signature covers; the optional "vcek" (base64 DER) goes to *vcek
 * (malloc'd; NULL when absent; vcek may be NULL to ignore it). The form: one
 * object with every report field in snake_case (sig_algo, plat_info,
 * _author_key_en = the u32 at 0x48, _reserved_0.._reserved_4), integers,
 * byte arrays as lists of integers, TCBs as {bootloader, tee, _reserved[4],
 * snp, microcode}, signature {r[72], s[72], _reserved[368]}; extra keys
 * "vcek" and "launch" only; or the blyss response around it
 * ({cert_sha256_fingerprint, cpu_attestation, gpu_attestation}), of which
 * only cpu_attestation is read. At most 256 KiB. Strict: a missing or
 * unknown key, a wrong array length, a non-integer or out-of-range value, or
 * bad base64 is RATLS_ERR_SNP_REPORT_FORMAT with the field named in err.
 * Reserved fields are copied to their offsets, not checked: parse or verify
 * the raw bytes next. Nothing here is authenticated, the VCEK included. */
RATLS_API RATLS_WUR ratls_status ratls_snp_report_from_json(const uint8_t *json, size_t len,
                                                            uint8_t raw[RATLS_SNP_REPORT_LEN], uint8_t **vcek,
                                                            size_t *vcek_len, char *err, size_t errlen);
/* The report's product from its CPUID bytes (v3+), else UNKNOWN. */
RATLS_API ratls_snp_product ratls_snp_report_product(const ratls_snp_report *r);
/* All fields as a JSON object (malloc'd; free with free()). */
RATLS_API RATLS_WUR ratls_status ratls_snp_report_to_json(const ratls_snp_report *r, char **json_out);

/* SEV-SNP appraisal policy (docs/snp.md). Denies by default: DEBUG,
 * MIGRATE_MA and CXL_ALLOW guests are rejected, VMPL must be 0, CURRENT
 * firmware must equal COMMITTED (no provisional firmware), revocation must be
 * checked (a CRL must be given unless RATLS_SNP_SKIP_REVOCATION_INSECURE is
 * set). Every other item is off until set. All items are judged in the check
 * snp.policy, except MEASUREMENT (snp.measurement); a failing snp.policy
 * names every item that failed. */
typedef struct ratls_snp_policy ratls_snp_policy;
typedef enum ratls_snp_policy_flag {
    RATLS_SNP_ALLOW_DEBUG_INSECURE = 1u << 0,
    RATLS_SNP_ALLOW_MIGRATE_MA = 1u << 1,
    RATLS_SNP_SKIP_REVOCATION_INSECURE = 1u << 2,
    /* Reject a report whose PLATFORM_INFO says SMT is enabled (bit 0). SMT is
     * accepted by default: disabling it is an operator's side-channel
     * trade-off. The guest-policy SMT bit (16) is not consulted: it only
     * permits launch on an SMT host, while PLATFORM_INFO states the platform. */
    RATLS_SNP_FORBID_SMT = 1u << 3,
    /* Accept a guest policy with CXL_ALLOW (bit 21). */
    RATLS_SNP_ALLOW_CXL = 1u << 4,
    /* Accept CURRENT firmware (version or TCB) that differs from COMMITTED:
     * provisional firmware the host can still roll back. */
    RATLS_SNP_ALLOW_PROVISIONAL_FIRMWARE = 1u << 5
} ratls_snp_policy_flag;

/* Guest POLICY bits a policy can require (ratls_snp_policy_require_guest_policy). */
#define RATLS_SNP_GUEST_POLICY_SINGLE_SOCKET (1ull << 20)
#define RATLS_SNP_GUEST_POLICY_MEM_AES_256_XTS (1ull << 22)
#define RATLS_SNP_GUEST_POLICY_RAPL_DIS (1ull << 23)
#define RATLS_SNP_GUEST_POLICY_CIPHERTEXT_HIDING (1ull << 24)
#define RATLS_SNP_GUEST_POLICY_PAGE_SWAP_DISABLE (1ull << 25)

#define RATLS_SNP_HOST_DATA_LEN 32
#define RATLS_SNP_ID_LEN 16         /* IMAGE_ID and FAMILY_ID */
#define RATLS_SNP_KEY_DIGEST_LEN 48 /* ID_KEY_DIGEST and AUTHOR_KEY_DIGEST */
#define RATLS_SNP_CHIP_ID_LEN 64
#define RATLS_SNP_MAX_KEY_DIGESTS 64 /* accepted digests per key kind */

/* One TCB_VERSION by component. fmc exists only on Turin and is ignored for
 * Milan and Genoa reports. */
typedef struct ratls_snp_tcb {
    uint8_t bootloader, tee, snp, microcode, fmc;
} ratls_snp_tcb;

typedef enum ratls_snp_signing_key {
    RATLS_SNP_SIGNING_KEY_ANY = 0, /* default: VCEK or VLEK */
    RATLS_SNP_SIGNING_KEY_VCEK = 1,
    RATLS_SNP_SIGNING_KEY_VLEK = 2
} ratls_snp_signing_key;

RATLS_API ratls_snp_policy *ratls_snp_policy_new(void);
RATLS_API void ratls_snp_policy_free(ratls_snp_policy *p);
/* OR of ratls_snp_policy_flag values (replaces the previous set). */
RATLS_API void ratls_snp_policy_set_flags(ratls_snp_policy *p, unsigned flags);
/* The current flags (0 for NULL). */
RATLS_API unsigned ratls_snp_policy_flags(const ratls_snp_policy *p);
/* The VMPL the report must carry (default 0). */
RATLS_API RATLS_WUR ratls_status ratls_snp_policy_set_vmpl(ratls_snp_policy *p, unsigned vmpl);
/* Minimum guest-policy ABI version (default 0.0). */
RATLS_API void ratls_snp_policy_set_min_abi(ratls_snp_policy *p, unsigned major, unsigned minor);
/* Guest POLICY bits that must be set: an OR of RATLS_SNP_GUEST_POLICY_*
 * (replaces the previous set; 0 = none, the default). Other bits are
 * RATLS_ERR_INVALID_ARGUMENT. */
RATLS_API RATLS_WUR ratls_status ratls_snp_policy_require_guest_policy(ratls_snp_policy *p, uint64_t bits);
/* Minimum GUEST_SVN (default 0). */
RATLS_API void ratls_snp_policy_set_min_guest_svn(ratls_snp_policy *p, uint32_t svn);
/* Expected MEASUREMENT (48 bytes); without it snp.measurement is skipped. */
RATLS_API RATLS_WUR ratls_status ratls_snp_policy_expect_measurement(ratls_snp_policy *p, const uint8_t *m, size_t len);
/* Expected REPORT_DATA (64 bytes). */
RATLS_API RATLS_WUR ratls_status ratls_snp_policy_expect_report_data(ratls_snp_policy *p, const uint8_t *d, size_t len);
/* Expected HOST_DATA (32 bytes), IMAGE_ID and FAMILY_ID (16 bytes each),
 * CHIP_ID (64 bytes). Compared in constant time; unset = not compared. */
RATLS_API RATLS_WUR ratls_status ratls_snp_policy_expect_host_data(ratls_snp_policy *p, const uint8_t *d, size_t len);
RATLS_API RATLS_WUR ratls_status ratls_snp_policy_expect_image_id(ratls_snp_policy *p, const uint8_t *d, size_t len);
RATLS_API RATLS_WUR ratls_status ratls_snp_policy_expect_family_id(ratls_snp_policy *p, const uint8_t *d, size_t len);
RATLS_API RATLS_WUR ratls_status ratls_snp_policy_expect_chip_id(ratls_snp_policy *p, const uint8_t *d, size_t len);
/* Add one accepted ID_KEY_DIGEST / AUTHOR_KEY_DIGEST (48 bytes; at most
 * RATLS_SNP_MAX_KEY_DIGESTS each, else RATLS_ERR_TOO_LARGE). Once one is
 * added, the report's digest must be one of them; an author key is also
 * required to be enabled (AUTHOR_KEY_EN). */
RATLS_API RATLS_WUR ratls_status ratls_snp_policy_accept_id_key_digest(ratls_snp_policy *p, const uint8_t *d,
                                                                       size_t len);
RATLS_API RATLS_WUR ratls_status ratls_snp_policy_accept_author_key_digest(ratls_snp_policy *p, const uint8_t *d,
                                                                           size_t len);
/* Minimum REPORTED_TCB / LAUNCH_TCB, compared per component in the report's
 * product layout (NULL: no minimum, the default). */
RATLS_API void ratls_snp_policy_set_min_reported_tcb(ratls_snp_policy *p, const ratls_snp_tcb *min);
RATLS_API void ratls_snp_policy_set_min_launch_tcb(ratls_snp_policy *p, const ratls_snp_tcb *min);
/* Minimum CURRENT firmware version major.minor.build (default 0.0.0). */
RATLS_API void ratls_snp_policy_set_min_firmware(ratls_snp_policy *p, unsigned major, unsigned minor, unsigned build);
/* The key that must have signed the report (default ANY). */
RATLS_API RATLS_WUR ratls_status ratls_snp_policy_set_signing_key(ratls_snp_policy *p, ratls_snp_signing_key k);
/* Bits that must be set in LAUNCH_MIT_VECTOR / CURRENT_MIT_VECTOR (default 0:
 * none). Reports before version 5 carry no vectors: a non-zero requirement
 * rejects them. */
RATLS_API void ratls_snp_policy_require_mit_vectors(ratls_snp_policy *p, uint64_t launch, uint64_t current);
/* Load a policy from JSON (docs/snp.md, "Policy file"): an object of the keys
 * listed there, or {"snp": {...}}. Unknown keys, wrong types and bad lengths
 * fail with err naming the key. Input over 64 KiB is RATLS_ERR_TOO_LARGE. On
 * success *out owns a new policy (free with ratls_snp_policy_free). */
RATLS_API RATLS_WUR ratls_status ratls_snp_policy_from_json(const uint8_t *json, size_t len, ratls_snp_policy **out,
                                                            char *err, size_t errlen);

/* The certificates and CRL a report is verified with (all borrowed for the
 * call). vcek: the VCEK or VLEK, DER or PEM. chain: the ASK/ASVK and the ARK,
 * DER or PEM (PEM may hold several certificates, e.g. AMD KDS cert_chain).
 * crl: AMD KDS's CRL for the product (DER or PEM), signed by the ARK; NULL
 * makes snp.crl fail unless RATLS_SNP_SKIP_REVOCATION_INSECURE is set. */
typedef struct ratls_snp_collateral_parts {
    const uint8_t *vcek;
    size_t vcek_len;
    const uint8_t *chain;
    size_t chain_len;
    const uint8_t *crl;
    size_t crl_len;
} ratls_snp_collateral_parts;

/* Verify a raw report. The ARK is trusted only if the SHA-256 of its
 * SubjectPublicKeyInfo equals the library's pin for the product (from the
 * report's CPUID, else product_hint, else the VCEK's product name). pol NULL =
 * the default policy. now: Unix seconds for certificate and CRL validity.
 * *result_out receives a result (also on failure, unless out of memory) with
 * checks snp.report, snp.chain, snp.signature, snp.tcb, snp.crl, snp.policy,
 * snp.measurement; the return value is the result's status. */
RATLS_API RATLS_WUR ratls_status ratls_snp_verify(const uint8_t *report, size_t report_len,
                                                  const ratls_snp_collateral_parts *coll,
                                                  ratls_snp_product product_hint, const ratls_snp_policy *pol,
                                                  int64_t now, ratls_result **result_out);

/* ratls_snp_verify with the verifier's caches and collateral source: what
 * `coll` (may be NULL) does not supply -- the VCEK, the ASK/ARK chain, the CRL
 * -- is fetched from AMD KDS through the verifier's source (memory and disk
 * caches, offline mode; ratls_verifier_set_collateral_source). A chain (and
 * CRL) that verified is remembered inside its validity windows, keyed by the
 * exact bytes and the pin, so the next report from the same chip costs one
 * P-384 signature check. Supplied parts are never trusted for being supplied:
 * the ARK must carry the pinned key. */
RATLS_API RATLS_WUR ratls_status ratls_verifier_verify_snp(ratls_verifier *v, const uint8_t *report, size_t report_len,
                                                           const ratls_snp_collateral_parts *coll,
                                                           ratls_snp_product product_hint, const ratls_snp_policy *pol,
                                                           int64_t now, ratls_result **result_out);

#ifdef __cplusplus
}
#endif
#endif /* RATLS_RATLS_H */
