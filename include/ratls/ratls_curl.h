/*
 * ratls_curl.h — attested HTTPS for libcurl (OpenSSL backend).
 *
 * Attach a ratls_curl to an easy handle and every connection it makes to a
 * host of the host map is attested inside the TLS handshake: when the
 * server's certificate arrives, the library attests the server (a separate
 * connection to the same host and port carries the dstack exchange with a
 * fresh nonce, and the TD must have logged exactly this certificate), and the
 * handshake fails unless the evidence verifies and the policy accepts it.
 * An unverified server therefore never receives a request byte. Hosts not in
 * the map get ordinary web-PKI verification (chain and host name), even if
 * the handle disabled it. Attached handles speak https only, redirects
 * included: a plain-text scheme would reach a mapped host with no handshake
 * to hook. Host names are matched in canonical form (see ratls_hostmap_add;
 * internationalised URLs are compared in punycode).
 *
 * Proxies: a handshake whose SNI is not the URL's host (an HTTPS proxy's) gets
 * web PKI; the attestation exchange itself connects to the host directly,
 * not through the handle's proxy.
 *
 * A verified certificate is remembered (host, port, SHA-256 of the
 * certificate) until the earliest of the TTL (default 1 h), the host's
 * policy's attestation TTL (ratls_policy_set_attestation_ttl), the
 * collateral's nextUpdate and the certificate's notAfter, so a reconnect costs about a
 * plain TLS handshake; a rotated certificate is attested afresh by itself.
 * Attached handles share one connection pool among themselves only, and never
 * resume TLS sessions (a resumed session would skip the certificate).
 *
 *   ratls_curl *rc = ratls_curl_new(map);     // map: ratls_hostmap_add(map, "api.example", v, pol)
 *   CURL *h = curl_easy_init();
 *   ratls_curl_attach(rc, h);
 *   curl_easy_setopt(h, CURLOPT_URL, "https://api.example/v1/models");
 *   if (curl_easy_perform(h) != CURLE_OK) puts(ratls_curl_last_error(rc, h));
 */
#ifndef RATLS_CURL_H
#define RATLS_CURL_H

#include <curl/curl.h>

#include "ratls/ratls.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ratls_curl ratls_curl;

/* Borrows `map` (and, through it, its verifiers and policies): it must
 * outlive the ratls_curl. Thread-safe: one ratls_curl may serve handles in
 * many threads. */
RATLS_API RATLS_WUR ratls_curl *ratls_curl_new(const ratls_hostmap *map);
/* Detach every handle first (or clean them up): the handles keep pointers. */
RATLS_API void ratls_curl_free(ratls_curl *rc);
/* How long a verified certificate is remembered, at most (seconds; 0 = never). */
RATLS_API void ratls_curl_set_ttl(ratls_curl *rc, int64_t seconds);
/* Timeout of the attestation exchange, in milliseconds (default 10000). */
RATLS_API void ratls_curl_set_timeout(ratls_curl *rc, long ms);
/* Forget every remembered certificate: the next connections attest again. */
RATLS_API void ratls_curl_forget(ratls_curl *rc);

/* Set the handle's TLS hooks (CURLOPT_SSL_CTX_FUNCTION/DATA), turn TLS
 * session reuse off, require peer verification, and join the ratls_curl's
 * own connection pool (CURLOPT_SHARE). Do not override these options later.
 * It also clears CURLOPT_CAPATH, so curl caches the CA store between
 * connections (hosts outside the map are still checked against the CA
 * bundle, CURLOPT_CAINFO); a CA directory set afterwards is honoured, at the
 * cost of re-reading it on every connection. */
RATLS_API RATLS_WUR ratls_status ratls_curl_attach(ratls_curl *rc, CURL *easy);
/* Undo ratls_curl_attach (the handle leaves the pool); forget its results. */
RATLS_API void ratls_curl_detach(ratls_curl *rc, CURL *easy);

/* The attestation behind the handle's last new connection to an attested
 * host: its status (RATLS_OK when verified and accepted), 1 in *remembered
 * when a remembered certificate spared the exchange, and the result as JSON
 * (ratls_result_to_json's object; free with ratls_free_string).
 * RATLS_ERR_INVALID_ARGUMENT when the handle has attested nothing yet. A
 * reused connection attests nothing new: its handle keeps the last one. */
RATLS_API ratls_status ratls_curl_last_status(ratls_curl *rc, CURL *easy, int *remembered);
RATLS_API RATLS_WUR ratls_status ratls_curl_last_result_json(ratls_curl *rc, CURL *easy, char **json_out);
/* The first failure of the last attestation as a sentence, or NULL. The
 * string stays valid until the handle's next connection or detach. */
RATLS_API const char *ratls_curl_last_error(ratls_curl *rc, CURL *easy);

/* Counters, for tests and monitoring. */
typedef struct ratls_curl_stats {
    uint64_t attestations;    /* full exchanges run */
    uint64_t remembered_hits; /* handshakes accepted from a remembered certificate */
    uint64_t failures;        /* handshakes refused */
    uint64_t web_pki;         /* handshakes with hosts outside the map */
} ratls_curl_stats;
RATLS_API void ratls_curl_stats_get(ratls_curl *rc, ratls_curl_stats *out);

#ifdef __cplusplus
}
#endif

#endif
