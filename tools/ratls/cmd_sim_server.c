/* ratls sim [--port N] [--host ADDR] [--state-dir DIR] [--misbehave MODE] [--delay-ms MS]
 *           [--exit-on-stdin-eof]
 *
 * An HTTPS server that behaves like a dstack TDX server, so the whole
 * attestation path runs with no TEE: TLS identity, state directory,
 * listener, one detached thread per connection, clean stop. TEST ONLY. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "cli.h"
#include "sim.h"

#define IDLE_TIMEOUT_S 30
#define STOP_GRACE_S 5

typedef struct sim_opts {
    const char *host, *state_dir;
    long port, delay_ms;
    sim_mode mode;
    int exit_on_eof;
} sim_opts;

static int g_sig_fd = -1; /* write end of the self-pipe */

static void on_signal(int sig)
{
    (void)sig;
    int e = errno;
    ssize_t k = write(g_sig_fd, "x", 1);
    (void)k;
    errno = e;
}

static void usage_server(void)
{
    fprintf(stderr, "usage: ratls sim [--port N] [--host ADDR] [--state-dir DIR] [--misbehave MODE] [--delay-ms MS]\n"
                    "                 [--exit-on-stdin-eof]\n"
                    "  A simulated dstack TDX server over HTTPS (TEST ONLY: its quotes chain to a test root).\n"
                    "  --port N              port, 0 = any free one (default 8443)\n"
                    "  --host ADDR           address to listen on (default 127.0.0.1)\n"
                    "  --state-dir DIR       where root.pem, policy.json, cert.pem and collateral.json go\n"
                    "                        (default /tmp/ratls-sim)\n"
                    "  --misbehave MODE      wrong-compose | stale-quote | cert-not-in-log | debug-td | out-of-date |\n"
                    "                        rotate-cert | slow | oversized\n"
                    "  --delay-ms MS         the delay of --misbehave slow (default 30000)\n"
                    "  --exit-on-stdin-eof   also stop when standard input reaches end of file\n"
                    "  also: ratls sim generate --out DIR ... (quote and collateral files)\n");
}

static int parse_long(const char *s, long min, long max, long *out)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || !end || *end || end == s || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

/* 0 ok, 1 help shown, -1 usage error (message printed). */
static int parse_opts(int argc, char **argv, sim_opts *o)
{
    *o = (sim_opts){.host = "127.0.0.1", .state_dir = "/tmp/ratls-sim", .port = 8443, .delay_ms = 30000};
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage_server();
            return 1;
        }
        if (strcmp(a, "--exit-on-stdin-eof") == 0) {
            o->exit_on_eof = 1;
            continue;
        }
        int bad = 0;
        if (strcmp(a, "--port") == 0)
            bad = !val || parse_long(val, 0, 65535, &o->port);
        else if (strcmp(a, "--delay-ms") == 0)
            bad = !val || parse_long(val, 0, 86400000, &o->delay_ms);
        else if (strcmp(a, "--host") == 0)
            bad = !(o->host = val);
        else if (strcmp(a, "--state-dir") == 0)
            bad = !(o->state_dir = val);
        else if (strcmp(a, "--misbehave") == 0)
            bad = !val || sim_mode_parse(val, &o->mode);
        else
            bad = 2;
        if (bad) {
            if (bad == 2)
                fprintf(stderr, "ratls sim: unknown option %s\n", a);
            else
                fprintf(stderr, "ratls sim: %s needs a valid value%s%s\n", a, val ? ", not " : "", val ? val : "");
            usage_server();
            return -1;
        }
        i++;
    }
    return 0;
}

/* ---- state directory ---- */

static int write_state(const char *dir, const char *name, const void *data, size_t len)
{
    char path[4096], tmp[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    snprintf(tmp, sizeof tmp, "%s/.%s.%ld.tmp", dir, name, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) {
        fprintf(stderr, "ratls sim: cannot write %s: %s\n", tmp, strerror(errno));
        return -1;
    }
    const uint8_t *p = data;
    size_t done = 0;
    while (done < len) {
        ssize_t k = write(fd, p + done, len - done);
        if (k <= 0)
            break;
        done += (size_t)k;
    }
    int ok = close(fd) == 0 && done == len && rename(tmp, path) == 0;
    if (!ok) {
        fprintf(stderr, "ratls sim: cannot write %s: %s\n", path, strerror(errno));
        unlink(tmp);
    }
    return ok ? 0 : -1;
}

static int write_policy(const sim_server *s)
{
    char *text = sim_td_policy_json(s->td), err[300] = "";
    ratls_policy *p = NULL;
    int rc = -1;
    /* what a client will load must load */
    if (text && ratls_policy_from_json((const uint8_t *)text, strlen(text), &p, err, sizeof err) == RATLS_OK)
        rc = write_state(s->state_dir, "policy.json", text, strlen(text));
    else
        fprintf(stderr, "ratls sim: the simulated policy does not load: %s\n", err);
    ratls_policy_free(p);
    free(text);
    return rc;
}

static int write_files(const sim_server *s)
{
    size_t clen = 0;
    const char *coll = sim_td_collateral(s->td, &clen), *root = sim_td_root_pem(s->td);
    if (mkdir(s->state_dir, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "ratls sim: cannot create %s: %s\n", s->state_dir, strerror(errno));
        return -1;
    }
    if (write_state(s->state_dir, "root.pem", root, strlen(root)) ||
        write_state(s->state_dir, "collateral.json", coll, clen) || write_policy(s))
        return -1;
    return 0;
}

/* ---- TLS identity ---- */

static int add_ext(X509 *x, int nid, const char *value)
{
    X509V3_CTX v3;
    X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
    int ok = e && X509_add_ext(x, e, -1) == 1;
    X509_EXTENSION_free(e);
    return ok ? 0 : -1;
}

/* EC P-256 key and a self-signed certificate for localhost, valid
 * now-1h .. now+30d. */
static X509 *make_identity(EVP_PKEY **key_out)
{
    uint8_t serial[16];
    EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    X509 *x = X509_new();
    BIGNUM *bn = NULL;
    int ok = key && x && RAND_bytes(serial, sizeof serial) == 1;
    if (ok)
        serial[0] &= 0x7F; /* positive */
    ok = ok && (bn = BN_bin2bn(serial, sizeof serial, NULL)) != NULL &&
         BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL && X509_set_version(x, X509_VERSION_3) == 1;
    X509_NAME *name = ok ? X509_get_subject_name(x) : NULL;
    ok = ok && X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"localhost", -1, -1, 0);
    ok = ok &&
         X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"ratls sim (TEST ONLY)", -1, -1, 0);
    ok = ok && X509_set_issuer_name(x, name) == 1 && X509_gmtime_adj(X509_getm_notBefore(x), -3600) &&
         X509_gmtime_adj(X509_getm_notAfter(x), 30L * 86400) && X509_set_pubkey(x, key) == 1;
    ok = ok && add_ext(x, NID_basic_constraints, "critical,CA:FALSE") == 0 &&
         add_ext(x, NID_key_usage, "critical,digitalSignature") == 0 &&
         add_ext(x, NID_ext_key_usage, "serverAuth") == 0 &&
         add_ext(x, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1") == 0 &&
         add_ext(x, NID_subject_key_identifier, "hash") == 0 && X509_sign(x, key, EVP_sha256()) > 0;
    BN_free(bn);
    if (!ok) {
        X509_free(x);
        EVP_PKEY_free(key);
        return NULL;
    }
    *key_out = key;
    return x;
}

static int cert_sha256(X509 *x, uint8_t out[32])
{
    unsigned char *der = NULL;
    int n = i2d_X509(x, &der);
    int rc = n > 0 && EVP_Digest(der, (size_t)n, out, NULL, EVP_sha256(), NULL) == 1 ? 0 : -1;
    OPENSSL_free(der);
    return rc;
}

static SSL_CTX *make_ctx(X509 *cert, EVP_PKEY *key)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx || SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
        SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1 || SSL_CTX_use_certificate(ctx, cert) != 1 ||
        SSL_CTX_use_PrivateKey(ctx, key) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
    return ctx;
}

static char *cert_pem(X509 *x)
{
    BIO *m = BIO_new(BIO_s_mem());
    char *p = NULL, *out = NULL;
    long n = m && PEM_write_bio_X509(m, x) == 1 ? BIO_get_mem_data(m, &p) : 0;
    if (n > 0 && (out = malloc((size_t)n + 1))) {
        memcpy(out, p, (size_t)n);
        out[n] = 0;
    }
    BIO_free(m);
    return out;
}

/* The hash the TD logs: this certificate's, or in cert-not-in-log mode a
 * decoy certificate's. */
static int logged_hash(const sim_server *s, X509 *cert, uint8_t out[32])
{
    if (s->mode != SIM_CERT_NOT_IN_LOG)
        return cert_sha256(cert, out);
    EVP_PKEY *k = NULL;
    X509 *decoy = make_identity(&k);
    int rc = decoy ? cert_sha256(decoy, out) : -1;
    X509_free(decoy);
    EVP_PKEY_free(k);
    return rc;
}

int sim_rotate(sim_server *s, char out[65])
{
    EVP_PKEY *key = NULL;
    X509 *cert = make_identity(&key);
    SSL_CTX *ctx = cert ? make_ctx(cert, key) : NULL;
    char *pem = cert ? cert_pem(cert) : NULL;
    uint8_t h[32], logged[32];
    int rc = -1;
    if (ctx && pem && cert_sha256(cert, h) == 0 && logged_hash(s, cert, logged) == 0) {
        /* under the lock: a new connection gets either the old identity and
         * log, or the new certificate already logged */
        pthread_mutex_lock(&s->mu);
        if (sim_td_log_cert(s->td, logged) == 0 && write_state(s->state_dir, "cert.pem", pem, strlen(pem)) == 0) {
            SSL_CTX_free(s->ctx);
            s->ctx = ctx;
            ctx = NULL;
            cli_hex(h, 32, s->cert_sha256);
            memcpy(out, s->cert_sha256, 65);
            rc = 0;
        }
        pthread_mutex_unlock(&s->mu);
    }
    SSL_CTX_free(ctx);
    free(pem);
    X509_free(cert);
    EVP_PKEY_free(key);
    return rc;
}

/* ---- connections ---- */

int sim_stopping(sim_server *s)
{
    pthread_mutex_lock(&s->mu);
    int st = s->stopping;
    pthread_mutex_unlock(&s->mu);
    return st;
}

int sim_sleep_ms(sim_server *s, long ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until); /* the condition variable's clock */
    until.tv_sec += ms / 1000;
    until.tv_nsec += (ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&s->mu);
    int rc = 0;
    while (!s->stopping && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&s->cv, &s->mu, &until);
    int stopped = s->stopping;
    pthread_mutex_unlock(&s->mu);
    return stopped ? -1 : 0;
}

typedef struct conn_arg {
    sim_server *s;
    int fd;
    char peer[64];
} conn_arg;

static void log_request(const sim_conn *c, const sim_req *r)
{
    fprintf(stderr, "ratls sim: %s \"%s %s%s%s\" %d %llu\n", c->peer, r->method, r->path, r->query[0] ? "?" : "",
            r->query, c->status, (unsigned long long)c->sent);
}

static void serve(sim_server *s, sim_conn *c)
{
    for (;;) {
        sim_req r;
        int st = sim_read_request(c, &r);
        if (st == 0)
            break;
        c->status = 0;
        c->sent = 0;
        c->keep = 0;
        if (st != 1) { /* malformed or over a cap: answer, then close */
            char body[64];
            snprintf(body, sizeof body, "{\"detail\":\"request rejected (HTTP %d)\"}", st);
            sim_reply_json(c, st, body, 0);
            fprintf(stderr, "ratls sim: %s bad request: %d\n", c->peer, st);
            sim_req_clear(&r);
            break;
        }
        sim_route(s, c, &r);
        log_request(c, &r);
        sim_req_clear(&r);
        if (!c->keep)
            break;
    }
}

static void conn_end(sim_server *s, int fd)
{
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < s->nconns; i++) {
        if (s->conn_fds[i] == fd) {
            s->conn_fds[i] = s->conn_fds[--s->nconns];
            break;
        }
    }
    close(fd); /* under the lock: the stopping server shuts down only open fds */
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

static void *conn_main(void *arg)
{
    conn_arg a = *(conn_arg *)arg;
    free(arg);
    sim_server *s = a.s;
    sim_conn c;
    memset(&c, 0, sizeof c);
    c.fd = a.fd;
    memcpy(c.peer, a.peer, sizeof c.peer);
    pthread_mutex_lock(&s->mu);
    c.ssl = SSL_new(s->ctx); /* takes its own reference: a rotation does not affect it */
    pthread_mutex_unlock(&s->mu);
    if (c.ssl && SSL_set_fd(c.ssl, c.fd) == 1 && SSL_accept(c.ssl) == 1) {
        pthread_mutex_lock(&s->mu);
        s->connections++;
        pthread_mutex_unlock(&s->mu);
        serve(s, &c);
        SSL_shutdown(c.ssl);
    }
    ERR_clear_error();
    SSL_free(c.ssl);
    free(c.buf);
    /* now, not in a thread-exit handler that could still be running when
     * the stopping server exits */
    OPENSSL_thread_stop();
    conn_end(s, a.fd);
    return NULL;
}

static void peer_name(const struct sockaddr_storage *ss, char out[64])
{
    char ip[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
        inet_ntop(AF_INET, &in->sin_addr, ip, sizeof ip);
        port = ntohs(in->sin_port);
        snprintf(out, 64, "%s:%u", ip, port);
    } else {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
        inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof ip);
        port = ntohs(in6->sin6_port);
        snprintf(out, 64, "[%s]:%u", ip, port);
    }
}

static void set_timeouts(int fd)
{
    struct timeval tv = {.tv_sec = IDLE_TIMEOUT_S, .tv_usec = 0};
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/* A thread for the connection, with SIGINT/SIGTERM blocked (only the main
 * thread's poll should see them). */
static void start_conn(sim_server *s, int fd, const struct sockaddr_storage *ss)
{
    conn_arg *a = calloc(1, sizeof *a);
    pthread_mutex_lock(&s->mu);
    int room = s->nconns < SIM_MAX_CONNS && !s->stopping;
    if (room && a)
        s->conn_fds[s->nconns++] = fd;
    pthread_mutex_unlock(&s->mu);
    if (!room || !a) {
        free(a);
        close(fd);
        return;
    }
    a->s = s;
    a->fd = fd;
    peer_name(ss, a->peer);
    set_timeouts(fd);
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    pthread_attr_t at;
    pthread_t t;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    int rc = pthread_create(&t, &at, conn_main, a);
    pthread_attr_destroy(&at);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        free(a);
        conn_end(s, fd);
    }
}

/* ---- listener and main loop ---- */

static int listen_on(const sim_opts *o, long *port)
{
    char ps[16];
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    snprintf(ps, sizeof ps, "%ld", o->port);
    int err = getaddrinfo(o->host, ps, &hints, &res), fd = -1;
    if (err) {
        fprintf(stderr, "ratls sim: --host %s: %s\n", o->host, gai_strerror(err));
        return -1;
    }
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
        int one = 1;
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd >= 0 &&
            (fcntl(fd, F_SETFD, FD_CLOEXEC) != 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
             bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 128) != 0)) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (fd < 0 || getsockname(fd, (struct sockaddr *)&ss, &sl) != 0) {
        fprintf(stderr, "ratls sim: cannot listen on %s port %ld: %s\n", o->host, o->port, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    *port = ss.ss_family == AF_INET ? ntohs(((struct sockaddr_in *)&ss)->sin_port)
                                    : ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

static int setup_signals(int pipefd[2])
{
    if (pipe(pipefd) != 0)
        return -1;
    for (int i = 0; i < 2; i++)
        fcntl(pipefd[i], F_SETFD, FD_CLOEXEC);
    fcntl(pipefd[1], F_SETFL, O_NONBLOCK);
    g_sig_fd = pipefd[1];
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN); /* a client gone away is an error return, not a signal */
    return 0;
}

/* Accept until a signal, or EOF on stdin when asked. */
static void accept_loop(sim_server *s, int lfd, int sigfd, int watch_stdin)
{
    struct pollfd p[3] = {{.fd = lfd, .events = POLLIN}, {.fd = sigfd, .events = POLLIN}, {.fd = 0, .events = POLLIN}};
    for (;;) {
        if (poll(p, watch_stdin ? 3 : 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        if (p[1].revents)
            return;
        if (watch_stdin && p[2].revents) {
            char b[512];
            ssize_t k = read(0, b, sizeof b);
            if (k == 0 || (k < 0 && errno != EINTR && errno != EAGAIN) || (p[2].revents & POLLNVAL))
                return;
        }
        if (p[0].revents & POLLIN) {
            struct sockaddr_storage ss;
            socklen_t sl = sizeof ss;
            int fd = accept(lfd, (struct sockaddr *)&ss, &sl);
            if (fd >= 0) {
                fcntl(fd, F_SETFD, FD_CLOEXEC);
                start_conn(s, fd, &ss);
            }
        }
    }
}

/* Wake every connection and wait (a while) for them to end. The number
 * still running. */
static size_t stop_all(sim_server *s)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += STOP_GRACE_S;
    pthread_mutex_lock(&s->mu);
    s->stopping = 1;
    for (size_t i = 0; i < s->nconns; i++)
        shutdown(s->conn_fds[i], SHUT_RDWR);
    pthread_cond_broadcast(&s->cv);
    while (s->nconns > 0 && pthread_cond_timedwait(&s->cv, &s->mu, &until) != ETIMEDOUT)
        ;
    size_t left = s->nconns;
    pthread_mutex_unlock(&s->mu);
    return left;
}

static int run(sim_server *s, const sim_opts *o)
{
    int pipefd[2] = {-1, -1};
    long port = 0;
    char hex[65];
    int lfd = -1;
    if (write_files(s) || sim_rotate(s, hex) || setup_signals(pipefd) || (lfd = listen_on(o, &port)) < 0) {
        if (pipefd[0] >= 0) {
            close(pipefd[0]);
            close(pipefd[1]);
        }
        return EXIT_REJECTED;
    }
    int v6 = strchr(o->host, ':') != NULL;
    printf("ratls sim: listening on https://%s%s%s:%ld\n", v6 ? "[" : "", o->host, v6 ? "]" : "", port);
    fflush(stdout);
    fprintf(stderr,
            "ratls sim: simulated dstack TDX server (TEST ONLY)%s%s; state in %s\n"
            "ratls sim: verify with: ratls evidence verify RESPONSE.json --cert CERT --nonce HEX --policy "
            "%s/policy.json --pccs-url https://127.0.0.1:%ld --pccs-no-tls-verify --insecure-test-root %s/root.pem\n",
            o->mode ? ", misbehaving: " : "", o->mode ? sim_mode_name(o->mode) : "", o->state_dir, o->state_dir, port,
            o->state_dir);
    accept_loop(s, lfd, pipefd[0], o->exit_on_eof);
    close(lfd);
    size_t left = stop_all(s);
    if (left)
        fprintf(stderr, "ratls sim: %zu connection(s) still open at exit\n", left);
    close(pipefd[0]);
    close(pipefd[1]);
    return left ? -1 : 0;
}

int cmd_sim_server(int argc, char **argv)
{
    sim_opts o;
    int pr = parse_opts(argc, argv, &o);
    if (pr)
        return pr > 0 ? 0 : EXIT_USAGE;
    sim_server s;
    memset(&s, 0, sizeof s);
    s.mode = o.mode;
    s.delay_ms = o.delay_ms;
    s.state_dir = o.state_dir;
    pthread_mutex_init(&s.mu, NULL);
    pthread_cond_init(&s.cv, NULL);
    size_t clen = 0;
    const char *coll = NULL;
    int rc = EXIT_REJECTED;
    if ((s.td = sim_td_new(o.mode, (int64_t)time(NULL))) != NULL && (coll = sim_td_collateral(s.td, &clen)) != NULL &&
        (s.pccs = sim_pccs_new(coll, clen)) != NULL) {
        rc = run(&s, &o);
        if (rc < 0) { /* stopped, but connection threads still use the server */
            fflush(NULL);
            _exit(0);
        }
    }
    SSL_CTX_free(s.ctx);
    sim_pccs_free(s.pccs);
    sim_td_free(s.td);
    pthread_cond_destroy(&s.cv);
    pthread_mutex_destroy(&s.mu);
    return rc;
}
