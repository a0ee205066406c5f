/* ratls sim: a simulated dstack TDX server over HTTPS. TEST ONLY.
 *
 * sim_td.c      the simulated TD: app compose, event log, fresh quotes, policy
 * sim_http.c    HTTP/1.1 over one TLS connection: bounded requests, replies
 * sim_pccs.c    the PCCS routes serving the TD's collateral
 * sim_api.c     routing: /tdx_quote, the OpenAI-style demo API, control routes
 * cmd_sim_server.c  options, TLS identity, state directory, listener, threads
 */
#ifndef RATLS_SIM_H
#define RATLS_SIM_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

typedef enum sim_mode {
    SIM_HONEST = 0,
    SIM_WRONG_COMPOSE,
    SIM_STALE_QUOTE,
    SIM_CERT_NOT_IN_LOG,
    SIM_DEBUG_TD,
    SIM_OUT_OF_DATE,
    SIM_ROTATE_CERT,
    SIM_SLOW,
    SIM_OVERSIZED,
} sim_mode;

/* "wrong-compose", ...; NULL for SIM_HONEST. */
const char *sim_mode_name(sim_mode m);
/* 0 on success. */
int sim_mode_parse(const char *name, sim_mode *out);

/* ------------------------------------------------------------------ */
/* The simulated TD (sim_td.c). Thread-safe.                           */
/* ------------------------------------------------------------------ */
typedef struct sim_td sim_td;

/* The platform (test PKI, collateral at `now`), the app compose and the
 * event log up to system-ready. NULL on failure (message printed). */
sim_td *sim_td_new(sim_mode mode, int64_t now);
void sim_td_free(sim_td *td);
/* Append a "New TLS Certificate" event for a certificate whose DER has this
 * SHA-256. Fails once the log is full. 0 on success. */
int sim_td_log_cert(sim_td *td, const uint8_t cert_sha256[32]);
/* The full dstack /tdx_quote answer for REPORTDATA `rd` (a fresh quote over
 * the current log; in stale-quote mode the one made for an old challenge).
 * malloc'd JSON, or NULL. */
char *sim_td_quote_response(sim_td *td, const uint8_t rd[64], size_t *len);
/* The honest policy file (docs/policy.md), malloc'd, or NULL. */
char *sim_td_policy_json(const sim_td *td);
/* QuoteCollateralV3 JSON and the test root (PEM), borrowed. */
const char *sim_td_collateral(const sim_td *td, size_t *len);
const char *sim_td_root_pem(const sim_td *td);

/* ------------------------------------------------------------------ */
/* The PCCS routes (sim_pccs.c)                                        */
/* ------------------------------------------------------------------ */
typedef struct sim_pccs sim_pccs;

/* Split QuoteCollateralV3 JSON into what a PCCS serves. NULL on failure. */
sim_pccs *sim_pccs_new(const char *collateral_json, size_t len);
void sim_pccs_free(sim_pccs *p);
/* 1 if `path` is a PCCS route (the request is then a collateral request). */
int sim_pccs_is_route(const char *path);

/* ------------------------------------------------------------------ */
/* HTTP/1.1 over one TLS connection (sim_http.c)                       */
/* ------------------------------------------------------------------ */
#define SIM_MAX_HEAD (16u * 1024u) /* request line and headers */
#define SIM_MAX_BODY (1u << 20)

typedef struct sim_req {
    char method[16];
    char path[2048]; /* without the query */
    char query[2048];
    char content_type[128];
    int close;     /* the client asked to close (or spoke HTTP/1.0) */
    uint8_t *body; /* NUL-terminated copy; body_len excludes the NUL */
    size_t body_len;
} sim_req;

typedef struct sim_conn {
    SSL *ssl;
    int fd;
    char peer[64];
    uint8_t *buf; /* bytes read and not yet consumed */
    size_t len, cap;
    /* the last reply, for the request log and the keep-alive decision */
    int status;
    uint64_t sent;
    int keep;
} sim_conn;

/* Read one request. 1: a request; 0: the peer closed or idled out (close
 * quietly); otherwise an HTTP status to answer before closing (400, 411,
 * 413, 431). Free the request with sim_req_clear. */
int sim_read_request(sim_conn *c, sim_req *r);
void sim_req_clear(sim_req *r);
/* Send a whole response with Content-Length. `headers` are extra lines,
 * each ending in "\r\n" (or NULL). Closes after it when !keep. 0 on success. */
int sim_reply(sim_conn *c, int status, const char *ctype, const char *headers, const void *body, size_t len, int keep);
/* JSON convenience: `body` is NUL-terminated. */
int sim_reply_json(sim_conn *c, int status, const char *body, int keep);
/* Status line and headers only (for streamed bodies). */
int sim_reply_head(sim_conn *c, int status, const char *ctype, const char *headers, int keep);
int sim_write(sim_conn *c, const void *data, size_t len);
/* One chunk of a chunked body; len 0 ends the body. */
int sim_write_chunk(sim_conn *c, const void *data, size_t len);

/* ------------------------------------------------------------------ */
/* The server (cmd_sim_server.c), shared with the routes                */
/* ------------------------------------------------------------------ */
#define SIM_MAX_CONNS 256

typedef struct sim_server {
    sim_mode mode;
    long delay_ms;
    const char *state_dir;
    sim_td *td;
    sim_pccs *pccs;
    pthread_mutex_t mu; /* everything below */
    pthread_cond_t cv;  /* a connection ended, or the server is stopping */
    SSL_CTX *ctx;       /* the current TLS identity; new connections take a reference */
    char cert_sha256[65];
    uint64_t app_requests, quote_requests, collateral_requests, connections;
    int conn_fds[SIM_MAX_CONNS];
    size_t nconns;
    int stopping;
} sim_server;

/* Answer one request (sim_api.c); sets c->keep. */
void sim_route(sim_server *s, sim_conn *c, const sim_req *r);
/* PCCS answer (sim_pccs.c). */
void sim_pccs_serve(const sim_pccs *p, sim_conn *c, const sim_req *r, int keep);
/* A new TLS key and certificate, logged in the TD and used by new
 * connections; hex of its SHA-256 into out. 0 on success. */
int sim_rotate(sim_server *s, char out[65]);
/* Sleep, waking early when the server stops. 0 if the full time passed. */
int sim_sleep_ms(sim_server *s, long ms);
int sim_stopping(sim_server *s);

#endif
