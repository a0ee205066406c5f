/*
 * Collateral sources: an in-memory cache (shared by every verifier the
 * source is attached to, with one upstream request in flight per item), an
 * on-disk cache, the upstream services (Intel PCS v4 or a PCCS for TDX, AMD
 * KDS for SEV-SNP), and offline bundles (TDX).
 *
 * Collateral is cached per item: TCB Info per FMSPC, QE Identity, PCK CRL
 * per CA, root CA CRL; AMD's certificate chain and CRL per product (VCEK or
 * VLEK side), and a VCEK per product, chip and TCB (KDS throttles those).
 * Every item is verified on its own (chain to the anchor, signature, window
 * at the verification time) before it is cached or used, whatever its
 * origin; the verifier then checks the assembled collateral in full.
 * Assembled TDX collateral is memoized per platform so a warm lookup costs a
 * few comparisons under a lock.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "base/json_util.h"
#include "base/util.h"
#include "collateral/source.h"
#include "core/core.h"
#include "net/http.h"
#include "snp/kds.h"
#include "snp/snp.h"
#include "tdx/collateral.h"

#define DEFAULT_PCS_URL "https://api.trustedservices.intel.com"
#define DEFAULT_ROOT_CRL_URL "https://certificates.trustedservices.intel.com/IntelSGXRootCA.der"
#define DEFAULT_KDS_URL "https://kdsintf.amd.com"
#define MAX_ITEMS 256
#define MAX_PLATFORMS 64
#define MAX_OFFLINE 64
#define DISK_MAX_FILE (4u * 1024u * 1024u)
#define URL_MAX 2048
#define KEY_MAX 128   /* cache key: also the disk file name (with ".json") */
#define PARAM_MAX 256 /* FMSPC, CA, or a KDS path: "vcek/v1/Milan/<hwid>?blSPL=..." */
/* An item due for refresh (but still valid) is retried at most this often,
 * in verification time: a service that keeps serving a copy inside the
 * refresh margin, or that keeps failing, is not asked on every verification. */
#define REFRESH_RETRY_INTERVAL 300

/* Item kinds: the four TDX ones (tdx_item_kind values), then AMD KDS's. */
enum { K_SNP_CHAIN = TDX_ITEM_ROOT_CRL + 1, K_SNP_CRL, K_SNP_VCEK, K_COUNT };
static const char *const k_kind_name[K_COUNT] = {"tcb_info",  "qe_identity", "pck_crl", "root_ca_crl",
                                                 "snp_chain", "snp_crl",     "snp_vcek"};
static const char *const k_kind_text[K_COUNT] = {
    "TCB Info", "QE Identity", "PCK CRL", "root CA CRL", "AMD certificate chain", "AMD CRL", "VCEK"};

static int is_snp(unsigned kind) { return kind >= K_SNP_CHAIN; }

/* What the cache needs to know of a verified item. */
typedef struct item_info {
    int64_t issued;   /* issueDate / thisUpdate / notBefore: never replaced by an older one */
    int64_t from, to; /* the window in which every part is valid */
} item_info;

/* One cached item and the single flight that refreshes it. */
typedef struct item {
    char key[KEY_MAX]; /* anchor id / kind / param: also the disk file name */
    unsigned kind;
    char param[PARAM_MAX]; /* FMSPC (upper-case hex), "platform"/"processor", or the KDS path */
    int has;               /* a verified copy is held */
    uint8_t *body;
    size_t len;
    char *chain;
    item_info info;
    uint64_t serial; /* changes whenever the held copy does */
    int tried;       /* a refresh ran, at verification time last_try */
    int64_t last_try;
    int inflight;
    unsigned waiters; /* threads waiting for its flight: they still hold it */
    uint64_t flights; /* completed refreshes */
    ratls_status ferr;
    char fmsg[512];
    int64_t fail_mono; /* monotonic seconds of the last failed flight that left no copy; 0 none */
    uint64_t tick;
} item;

/* Collateral assembled for a platform from four item copies. */
typedef struct platform {
    int used;
    char keys[4][KEY_MAX];
    uint64_t serial[4];
    ratls_collateral *c;
    uint64_t tick;
} platform;

struct ratls_collateral_source {
    atomic_int refs;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    char *base_url;
    int pccs;
    char *root_crl_url; /* PCS mode; NULL: Intel's distribution point */
    char *kds_url;      /* AMD KDS (or a stand-in) */
    int offline;
    char *cache_dir;
    uint64_t cache_max;
    int64_t margin;
    int64_t vcek_retry; /* seconds a VCEK that failed is not asked for again */
    http_opts http;
    ratls_log_fn log;
    void *log_arg;
    item *items[MAX_ITEMS];
    size_t nitems;
    platform plat[MAX_PLATFORMS];
    ratls_collateral *offline_bundles[MAX_OFFLINE];
    size_t noffline;
    ratls_collateral_stats stats;
    uint64_t serial, tick;
};

/* ------------------------------------------------------------------ */
/* configuration                                                        */
/* ------------------------------------------------------------------ */

static int64_t mono_seconds(void) { return mono_ms() / 1000 + 1; /* never 0: 0 means "no failure" */ }

void ratls_collateral_source_set_vcek_retry_interval(ratls_collateral_source *s, int64_t seconds)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->mu);
    s->vcek_retry = seconds > 0 ? seconds : 0;
    pthread_mutex_unlock(&s->mu);
}

static void http_log_bridge(void *arg, ratls_log_level lvl, const char *msg)
{
    ratls_collateral_source *s = arg;
    if (s->log)
        s->log(s->log_arg, lvl, msg);
}

ratls_collateral_source *ratls_collateral_source_new(void)
{
    ratls_collateral_source *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    if (pthread_mutex_init(&s->mu, NULL) != 0) {
        free(s);
        return NULL;
    }
    if (pthread_cond_init(&s->cv, NULL) != 0) {
        pthread_mutex_destroy(&s->mu);
        free(s);
        return NULL;
    }
    atomic_init(&s->refs, 1);
    s->base_url = strdup(DEFAULT_PCS_URL);
    s->kds_url = strdup(DEFAULT_KDS_URL);
    if (!s->base_url || !s->kds_url) {
        ratls_collateral_source_free(s);
        return NULL;
    }
    s->cache_max = RATLS_COLLATERAL_CACHE_MAX_DEFAULT;
    s->margin = RATLS_COLLATERAL_REFRESH_MARGIN_DEFAULT;
    s->vcek_retry = RATLS_KDS_VCEK_RETRY_DEFAULT;
    s->http.connect_timeout_ms = 5000;
    s->http.total_timeout_ms = 20000;
    s->http.max_body = 1024u * 1024u;
    s->http.retries = 3;
    s->http.backoff_ms = 250;
    s->http.max_retry_wait_ms = 30000;
    s->http.tls_verify = 1;
    s->http.log = http_log_bridge;
    s->http.log_arg = s;
    return s;
}

void source_ref(ratls_collateral_source *s) { atomic_fetch_add(&s->refs, 1); }

static void item_drop_copy(item *it)
{
    free(it->body);
    free(it->chain);
    it->body = NULL;
    it->chain = NULL;
    it->len = 0;
    it->has = 0;
}

static void clear_memory_locked(ratls_collateral_source *s)
{
    for (size_t i = 0; i < MAX_PLATFORMS; i++) {
        ratls_collateral_free(s->plat[i].c);
        memset(&s->plat[i], 0, sizeof s->plat[i]);
    }
    size_t keep = 0;
    for (size_t i = 0; i < s->nitems; i++) {
        if (s->items[i]->inflight || s->items[i]->waiters) { /* its refresh or its waiters still use it */
            s->items[keep++] = s->items[i];
            continue;
        }
        item_drop_copy(s->items[i]);
        free(s->items[i]);
    }
    s->nitems = keep;
}

void ratls_collateral_source_free(ratls_collateral_source *s)
{
    if (!s || atomic_fetch_sub(&s->refs, 1) > 1)
        return;
    clear_memory_locked(s);
    for (size_t i = 0; i < s->noffline; i++)
        ratls_collateral_free(s->offline_bundles[i]);
    free(s->base_url);
    free(s->root_crl_url);
    free(s->kds_url);
    free(s->cache_dir);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

void ratls_collateral_source_clear_memory(ratls_collateral_source *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->mu);
    clear_memory_locked(s);
    pthread_mutex_unlock(&s->mu);
}

static int url_ok(const char *u)
{
    size_t n = strlen(u);
    return n > 0 && n < URL_MAX - 128 && (strncmp(u, "http://", 7) == 0 || strncmp(u, "https://", 8) == 0) &&
           !strpbrk(u, " \t\r\n?#");
}

static ratls_status set_str(ratls_collateral_source *s, char **dst, const char *v)
{
    char *d = NULL;
    if (v && !(d = strdup(v)))
        return RATLS_ERR_NO_MEMORY;
    /* strip a trailing slash so paths join cleanly */
    if (d && strlen(d) > 8 && d[strlen(d) - 1] == '/')
        d[strlen(d) - 1] = 0;
    pthread_mutex_lock(&s->mu);
    free(*dst);
    *dst = d;
    pthread_mutex_unlock(&s->mu);
    return RATLS_OK;
}

/* The service's base URL, and whether it is a PCCS (root CRL under the base)
 * or PCS-like (root CRL at Intel's distribution point). */
static ratls_status set_base(ratls_collateral_source *s, const char *base_url, int pccs)
{
    if (!s || !base_url || !url_ok(base_url))
        return RATLS_ERR_INVALID_ARGUMENT;
    ratls_status st = set_str(s, &s->base_url, base_url);
    if (!st)
        s->pccs = pccs;
    return st;
}

ratls_status ratls_collateral_source_set_pcs_url(ratls_collateral_source *s, const char *base_url)
{
    return set_base(s, base_url, 0);
}

ratls_status ratls_collateral_source_set_pccs_url(ratls_collateral_source *s, const char *base_url)
{
    return set_base(s, base_url, 1);
}

ratls_status ratls_collateral_source_set_root_ca_crl_url(ratls_collateral_source *s, const char *url)
{
    if (!s || (url && !url_ok(url)))
        return RATLS_ERR_INVALID_ARGUMENT;
    return set_str(s, &s->root_crl_url, url);
}

ratls_status ratls_collateral_source_set_kds_url(ratls_collateral_source *s, const char *base_url)
{
    if (!s || !base_url || !url_ok(base_url))
        return RATLS_ERR_INVALID_ARGUMENT;
    return set_str(s, &s->kds_url, base_url);
}

ratls_status ratls_collateral_source_set_cache_dir(ratls_collateral_source *s, const char *dir)
{
    if (!s || (dir && (!dir[0] || strlen(dir) > 1024)))
        return RATLS_ERR_INVALID_ARGUMENT;
    return set_str(s, &s->cache_dir, dir);
}

void ratls_collateral_source_set_cache_max_bytes(ratls_collateral_source *s, uint64_t max)
{
    if (s)
        s->cache_max = max;
}

void ratls_collateral_source_set_offline(ratls_collateral_source *s, int offline)
{
    if (s)
        s->offline = offline != 0;
}

void ratls_collateral_source_set_timeouts(ratls_collateral_source *s, long connect_ms, long total_ms)
{
    if (!s)
        return;
    if (connect_ms > 0)
        s->http.connect_timeout_ms = connect_ms;
    if (total_ms > 0)
        s->http.total_timeout_ms = total_ms;
}

void ratls_collateral_source_set_max_response(ratls_collateral_source *s, size_t bytes)
{
    if (s && bytes >= 1024)
        s->http.max_body = bytes;
}

void ratls_collateral_source_set_retries(ratls_collateral_source *s, unsigned retries, long backoff_ms,
                                         long max_wait_ms)
{
    if (!s)
        return;
    s->http.retries = retries > 10 ? 10 : retries;
    if (backoff_ms > 0)
        s->http.backoff_ms = backoff_ms;
    if (max_wait_ms >= 0)
        s->http.max_retry_wait_ms = max_wait_ms;
}

void ratls_collateral_source_set_refresh_margin(ratls_collateral_source *s, int64_t seconds)
{
    if (s && seconds >= 0)
        s->margin = seconds;
}

void ratls_collateral_source_set_tls_verify(ratls_collateral_source *s, int on)
{
    if (s)
        s->http.tls_verify = on != 0;
}

void ratls_collateral_source_set_log(ratls_collateral_source *s, ratls_log_fn fn, void *arg)
{
    if (!s)
        return;
    s->log = fn;
    s->log_arg = arg;
}

ratls_status ratls_collateral_source_add_bundle(ratls_collateral_source *s, ratls_collateral *c)
{
    if (!s || !c)
        return RATLS_ERR_INVALID_ARGUMENT;
    pthread_mutex_lock(&s->mu);
    ratls_status st = RATLS_ERR_TOO_LARGE;
    if (s->noffline < MAX_OFFLINE) {
        collateral_ref(c);
        s->offline_bundles[s->noffline++] = c;
        st = RATLS_OK;
    }
    pthread_mutex_unlock(&s->mu);
    return st;
}

void ratls_collateral_source_stats(ratls_collateral_source *s, ratls_collateral_stats *out)
{
    if (!s || !out)
        return;
    pthread_mutex_lock(&s->mu);
    *out = s->stats;
    pthread_mutex_unlock(&s->mu);
}

/* ------------------------------------------------------------------ */
/* one item: copies, disk, network                                      */
/* ------------------------------------------------------------------ */

typedef struct copy {
    uint8_t *body;
    size_t len;
    char *chain;
    item_info info;
} copy;

static void copy_clear(copy *c)
{
    free(c->body);
    free(c->chain);
    memset(c, 0, sizeof *c);
}

static int copy_set(copy *c, const uint8_t *body, size_t len, const char *chain, const item_info *info)
{
    memset(c, 0, sizeof *c);
    c->body = malloc(len + 1);
    c->chain = strdup(chain ? chain : "");
    if (!c->body || !c->chain) {
        copy_clear(c);
        return -1;
    }
    memcpy(c->body, body, len);
    c->body[len] = 0;
    c->len = len;
    c->info = *info;
    return 0;
}

/* What a held copy is good for at `now`. */
enum { U_NONE, U_GRACE, U_STALE, U_FRESH };

static int usable(const item_info *in, int64_t now, int64_t margin, int64_t grace)
{
    if (now < in->from)
        return U_NONE;
    if (now <= in->to)
        return now <= in->to - margin ? U_FRESH : U_STALE;
    return now - in->to <= grace ? U_GRACE : U_NONE;
}

/* Usable now without a refresh: fresh, or due for one that is running or
 * ran a moment ago. */
static int settled(const item *it, int64_t now, int64_t margin)
{
    int u = usable(&it->info, now, margin, 0);
    return u == U_FRESH ||
           (u == U_STALE && (it->inflight || (it->tried && llabs(now - it->last_try) < REFRESH_RETRY_INTERVAL)));
}

/* The request parameters a refresh needs, copied out under the lock. */
typedef struct req {
    unsigned kind;
    char param[PARAM_MAX];
    char key[KEY_MAX];
    const rcert *test_root;
    const char *root_chain;  /* root CRL: a chain ending at the anchor; SNP CRL/VCEK: the verified chain item */
    const uint8_t *ark_pin;  /* SNP */
    const snp_kds_want *snp; /* SNP VCEK */
    int64_t now, grace;
    char url[URL_MAX];
    char *cache_dir;
    uint64_t cache_max;
    int offline;
    int64_t margin;
    http_opts http;
} req;

static ratls_status verify_copy(const req *r, const uint8_t *body, size_t len, const char *chain, item_info *out,
                                char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (is_snp(r->kind)) {
        /* CRL and VCEK: under the chain item verified a moment ago, never a chain stored with them */
        static const snp_kds_kind sk[] = {SNP_KDS_ITEM_CHAIN, SNP_KDS_ITEM_CRL, SNP_KDS_ITEM_VCEK};
        const char *ch = r->kind == K_SNP_CHAIN ? NULL : r->root_chain;
        snp_kds_info si;
        ratls_status s = snp_kds_item_verify(sk[r->kind - K_SNP_CHAIN], r->ark_pin, r->snp, (const uint8_t *)ch,
                                             ch ? strlen(ch) : 0, body, len, r->now, &si, err, errlen);
        if (s == RATLS_OK) {
            out->issued = si.issued;
            out->from = si.from;
            out->to = si.to;
        }
        return s;
    }
    tdx_item_info ti;
    ratls_status s =
        tdx_item_verify(r->test_root, (tdx_item_kind)r->kind, body, len, chain, r->now, r->grace, &ti, err, errlen);
    if (s)
        return s;
    const tdx_item_info *info = &ti;
    out->issued = ti.issued;
    out->from = ti.from;
    out->to = ti.to;
    if (r->kind == TDX_ITEM_TCB_INFO) {
        char fm[13];
        hex_encode_upper(info->fmspc, 6, fm);
        if (strcmp(fm, r->param) != 0)
            return set_err(err, errlen, RATLS_ERR_COLLATERAL_MISMATCH, "TCB Info is for FMSPC %s, not the %s asked for",
                           fm, r->param);
    }
    if (r->kind == TDX_ITEM_PCK_CRL && strcmp(info->ca == 1 ? "platform" : "processor", r->param) != 0)
        return set_err(err, errlen, RATLS_ERR_COLLATERAL_MISMATCH, "PCK CRL is the %s CA's, not the %s CA's asked for",
                       info->ca == 1 ? "Platform" : "Processor", r->param);
    return RATLS_OK;
}

/* ---- disk ---- */

static int disk_path(const req *r, char *out, size_t n)
{
    int k = snprintf(out, n, "%s/%s.json", r->cache_dir, r->key);
    return k > 0 && (size_t)k < n ? 0 : -1;
}

static int mkdirs(const char *dir)
{
    char p[1100];
    size_t n = strlen(dir);
    if (n >= sizeof p)
        return -1;
    memcpy(p, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (p[i] != '/' && p[i] != 0)
            continue;
        char c = p[i];
        p[i] = 0;
        if (mkdir(p, 0700) != 0 && errno != EEXIST)
            return -1;
        p[i] = c;
    }
    struct stat st;
    return stat(dir, &st) == 0 && S_ISDIR(st.st_mode) ? 0 : -1;
}

static ratls_status disk_parse(const char *buf, size_t len, unsigned kind, const char *param, uint8_t **body,
                               size_t *blen, char **chain)
{
    *body = NULL;
    *blen = 0;
    *chain = NULL;
    if (len > DISK_MAX_FILE || kind >= K_COUNT)
        return RATLS_ERR_TOO_LARGE;
    json_error_t je;
    json_t *o = json_loadb(buf, len, RATLS_JSON_FLAGS, &je);
    const char *k = NULL, *pa = NULL, *hex = NULL, *ch = NULL;
    size_t hexlen = 0, cl = 0;
    int64_t ver = 0;
    int ok = json_is_object(o) && jget_int(o, "ratls_collateral_item", 1, 1, &ver) == 0;
    ok = ok && jget_str(o, "kind", &k, NULL) == RATLS_OK && strcmp(k, k_kind_name[kind]) == 0;
    ok = ok && jget_str(o, "param", &pa, NULL) == RATLS_OK && strcmp(pa, param) == 0;
    ok = ok && jget_str(o, "issuer_chain", &ch, &cl) == RATLS_OK && strlen(ch) == cl;
    ok = ok && jget_str(o, "body_hex", &hex, &hexlen) == RATLS_OK;
    ok = ok && hex_decode_alloc(hex, hexlen, DISK_MAX_FILE, body, blen) == 0;
    if (ok && !(*chain = strdup(ch)))
        ok = 0;
    json_decref(o);
    if (!ok) {
        free(*body);
        *body = NULL;
        *blen = 0;
        return RATLS_ERR_COLLATERAL_FORMAT;
    }
    return RATLS_OK;
}

ratls_status source_disk_parse(const char *buf, size_t len, tdx_item_kind kind, const char *param, uint8_t **body,
                               size_t *blen, char **chain)
{
    if ((unsigned)kind > TDX_ITEM_ROOT_CRL) {
        *body = NULL;
        *blen = 0;
        *chain = NULL;
        return RATLS_ERR_TOO_LARGE;
    }
    return disk_parse(buf, len, (unsigned)kind, param, body, blen, chain);
}

/* Read and re-verify a cached file. Anything wrong with it: ignored (the
 * next successful fetch replaces it). */
static int disk_load(ratls_collateral_source *s, const req *r, copy *out)
{
    char path[1200], err[512];
    if (!r->cache_dir || disk_path(r, path, sizeof path))
        return -1;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct stat st;
    char *buf = NULL;
    int ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 && st.st_size <= (off_t)DISK_MAX_FILE &&
             (buf = malloc((size_t)st.st_size)) != NULL;
    size_t got = 0;
    while (ok && got < (size_t)st.st_size) {
        ssize_t k = read(fd, buf + got, (size_t)st.st_size - got);
        if (k <= 0)
            ok = 0;
        else
            got += (size_t)k;
    }
    close(fd);
    uint8_t *body = NULL;
    size_t blen = 0;
    char *chain = NULL;
    if (ok)
        ok = disk_parse(buf, got, r->kind, r->param, &body, &blen, &chain) == RATLS_OK;
    item_info info;
    err[0] = 0;
    if (ok && verify_copy(r, body, blen, chain, &info, err, sizeof err) == RATLS_OK)
        ok = copy_set(out, body, blen, chain, &info) == 0;
    else
        ok = 0;
    if (!ok)
        log_emit(s->log, s->log_arg, RATLS_LOG_WARN, "collateral cache: ignoring %s (%s)", path,
                 err[0] ? err : "unreadable, truncated or not a cache file");
    free(body);
    free(chain);
    free(buf);
    return ok ? 0 : -1;
}

static int by_mtime(const void *a, const void *b)
{
    const struct {
        char name[256];
        time_t mtime;
        off_t size;
    } *x = a, *y = b;
    return (x->mtime > y->mtime) - (x->mtime < y->mtime);
}

/* Keep the cache directory under its byte budget: oldest files go first. */
static void disk_trim(ratls_collateral_source *s, const char *dir, uint64_t max, const char *keep)
{
    typedef struct {
        char name[256];
        time_t mtime;
        off_t size;
    } ent;
    DIR *d = opendir(dir);
    if (!d)
        return;
    ent *v = NULL;
    size_t n = 0, cap = 0;
    uint64_t total = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t nl = strlen(de->d_name);
        if (nl < 6 || nl >= 256 || strcmp(de->d_name + nl - 5, ".json") != 0 || de->d_name[0] == '.')
            continue;
        struct stat st;
        if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
            continue;
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 32;
            ent *nv = realloc(v, nc * sizeof *nv);
            if (!nv)
                break;
            v = nv;
            cap = nc;
        }
        memcpy(v[n].name, de->d_name, nl + 1);
        v[n].mtime = st.st_mtime;
        v[n].size = st.st_size;
        total += (uint64_t)st.st_size;
        n++;
    }
    if (total > max && n > 0) {
        qsort(v, n, sizeof *v, by_mtime);
        for (size_t i = 0; i < n && total > max; i++) {
            if (strcmp(v[i].name, keep) == 0)
                continue;
            if (unlinkat(dirfd(d), v[i].name, 0) == 0) {
                total -= (uint64_t)v[i].size;
                log_emit(s->log, s->log_arg, RATLS_LOG_DEBUG, "collateral cache: removed %s to stay under %llu bytes",
                         v[i].name, (unsigned long long)max);
            }
        }
    }
    free(v);
    closedir(d);
}

/* Atomic write: a temporary file in the same directory, fsync, rename. */
static void disk_store(ratls_collateral_source *s, const req *r, const copy *c)
{
    char path[1200], tmp[1300];
    if (!r->cache_dir || disk_path(r, path, sizeof path))
        return;
    char *hex = malloc(2 * c->len + 1);
    if (!hex)
        return;
    hex_encode(c->body, c->len, hex);
    json_t *o = json_pack("{s:i, s:s, s:s, s:s, s:s}", "ratls_collateral_item", 1, "kind", k_kind_name[r->kind],
                          "param", r->param, "issuer_chain", c->chain, "body_hex", hex);
    free(hex);
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!text)
        return;
    int ok = 0;
    if (mkdirs(r->cache_dir) == 0) {
        snprintf(tmp, sizeof tmp, "%s/.%s.%ld.%p.tmp", r->cache_dir, r->key, (long)getpid(), (const void *)c);
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd >= 0) {
            size_t n = strlen(text), done = 0;
            while (done < n) {
                ssize_t k = write(fd, text + done, n - done);
                if (k <= 0)
                    break;
                done += (size_t)k;
            }
            ok = done == n && fsync(fd) == 0;
            ok = close(fd) == 0 && ok;
            if (ok)
                ok = rename(tmp, path) == 0;
            if (!ok)
                unlink(tmp);
        }
    }
    free(text);
    if (!ok) {
        log_emit(s->log, s->log_arg, RATLS_LOG_WARN, "collateral cache: cannot write %s (%s); continuing without it",
                 path, strerror(errno));
        return;
    }
    char name[KEY_MAX + 8];
    snprintf(name, sizeof name, "%s.json", r->key);
    disk_trim(s, r->cache_dir, r->cache_max, name);
}

/* ---- network ---- */

static ratls_status net_fetch(ratls_collateral_source *s, const req *r, copy *out, char *err, size_t errlen)
{
    static const char *const tcb_hdr[] = {"TCB-Info-Issuer-Chain", "SGX-TCB-Info-Issuer-Chain", NULL};
    static const char *const qe_hdr[] = {"SGX-Enclave-Identity-Issuer-Chain", NULL};
    static const char *const crl_hdr[] = {"SGX-PCK-CRL-Issuer-Chain", NULL};
    const char *const *want = r->kind == TDX_ITEM_TCB_INFO      ? tcb_hdr
                              : r->kind == TDX_ITEM_QE_IDENTITY ? qe_hdr
                              : r->kind == TDX_ITEM_PCK_CRL     ? crl_hdr
                                                                : NULL;
    http_resp resp;
    char sub[768];
    log_emit(s->log, s->log_arg, RATLS_LOG_INFO, "fetching %s%s%s from %s", k_kind_text[r->kind],
             r->kind == TDX_ITEM_TCB_INFO ? " for FMSPC " : "", r->kind == TDX_ITEM_TCB_INFO ? r->param : "", r->url);
    ratls_status st = http_get(&r->http, r->url, want, &resp, sub, sizeof sub);
    pthread_mutex_lock(&s->mu);
    s->stats.upstream_requests += resp.attempts ? resp.attempts : 1;
    pthread_mutex_unlock(&s->mu);
    if (st)
        return set_err(err, errlen, st, "%s", sub);
    char *chain = NULL;
    if (want) {
        if (!resp.header) {
            st = set_err(err, errlen, RATLS_ERR_COLLATERAL_FORMAT, "GET %s: the response has no %s header", r->url,
                         want[0]);
            goto out;
        }
        if (!(chain = url_decode(resp.header, strlen(resp.header)))) {
            st = set_err(err, errlen, RATLS_ERR_COLLATERAL_FORMAT, "GET %s: the %s header is not URL-encoded text",
                         r->url, want[0]);
            goto out;
        }
    }
    item_info info;
    const char *ch = chain ? chain : is_snp(r->kind) ? "" : r->root_chain;
    if ((st = verify_copy(r, resp.body, resp.len, ch, &info, sub, sizeof sub))) {
        st = set_err(err, errlen, st, "GET %s: %s", r->url, sub);
        goto out;
    }
    if (copy_set(out, resp.body, resp.len, ch, &info))
        st = RATLS_ERR_NO_MEMORY;
out:
    free(chain);
    http_resp_clear(&resp);
    return st;
}

static void build_url(const ratls_collateral_source *s, unsigned kind, const char *param, char *url, size_t n)
{
    if (is_snp(kind)) {
        snprintf(url, n, "%s/%s", s->kds_url, param);
        return;
    }
    switch ((tdx_item_kind)kind) {
    case TDX_ITEM_TCB_INFO:
        snprintf(url, n, "%s/tdx/certification/v4/tcb?fmspc=%s", s->base_url, param);
        break;
    case TDX_ITEM_QE_IDENTITY:
        snprintf(url, n, "%s/tdx/certification/v4/qe/identity", s->base_url);
        break;
    case TDX_ITEM_PCK_CRL:
        snprintf(url, n, "%s/sgx/certification/v4/pckcrl?ca=%s&encoding=der", s->base_url, param);
        break;
    case TDX_ITEM_ROOT_CRL:
        if (s->pccs)
            snprintf(url, n, "%s/sgx/certification/v4/rootcacrl", s->base_url);
        else
            snprintf(url, n, "%s", s->root_crl_url ? s->root_crl_url : DEFAULT_ROOT_CRL_URL);
        break;
    }
}

/* ------------------------------------------------------------------ */
/* the memory cache and its single flights                              */
/* ------------------------------------------------------------------ */

static item *find_item_locked(ratls_collateral_source *s, const char *key)
{
    for (size_t i = 0; i < s->nitems; i++)
        if (strcmp(s->items[i]->key, key) == 0)
            return s->items[i];
    return NULL;
}

static item *get_item_locked(ratls_collateral_source *s, const char *key, unsigned kind, const char *param)
{
    item *it = find_item_locked(s, key);
    if (it)
        return it;
    if (s->nitems == MAX_ITEMS) {
        /* evict the least recently used idle item, one without a verified
         * copy first: failed requests (e.g. VCEKs for forged CHIP_IDs)
         * never push out collateral that verified */
        size_t victim = SIZE_MAX;
        for (size_t i = 0; i < s->nitems; i++) {
            const item *c = s->items[i];
            if (c->inflight || c->waiters)
                continue;
            if (victim == SIZE_MAX || (!c->has && s->items[victim]->has) ||
                (c->has == s->items[victim]->has && c->tick < s->items[victim]->tick))
                victim = i;
        }
        if (victim == SIZE_MAX)
            return NULL;
        item_drop_copy(s->items[victim]);
        free(s->items[victim]);
        s->items[victim] = s->items[--s->nitems];
    }
    if (!(it = calloc(1, sizeof *it)))
        return NULL;
    snprintf(it->key, sizeof it->key, "%s", key);
    it->kind = kind;
    snprintf(it->param, sizeof it->param, "%s", param);
    s->items[s->nitems++] = it;
    return it;
}

/* The refresh of one item, outside the lock: disk, then the network; on
 * failure, the best copy still usable (memory or disk). *from_disk: 1 the
 * copy came from disk, 2 it did because the fetch failed. */
static ratls_status refresh(ratls_collateral_source *s, const req *r, const copy *held, int held_use, copy *out,
                            int *from_disk, char *err, size_t errlen)
{
    copy disk;
    memset(&disk, 0, sizeof disk);
    memset(out, 0, sizeof *out);
    int disk_use = U_NONE;
    *from_disk = 0;
    if (disk_load(s, r, &disk) == 0) {
        disk_use = usable(&disk.info, r->now, r->margin, r->grace);
        if (disk_use == U_FRESH || (r->offline && disk_use > held_use)) {
            *out = disk;
            *from_disk = 1;
            return RATLS_OK;
        }
    }
    ratls_status st;
    if (r->offline) {
        st = set_err(err, errlen, RATLS_ERR_COLLATERAL_UNAVAILABLE,
                     "offline: no cached %s%s%s valid at the verification time", k_kind_text[r->kind],
                     r->kind == TDX_ITEM_TCB_INFO ? " for FMSPC " : "", r->kind == TDX_ITEM_TCB_INFO ? r->param : "");
    } else {
        st = net_fetch(s, r, out, err, errlen);
        if (st == RATLS_OK) {
            /* never trade a held copy (in memory, or on disk for a new
             * process) for an older issue (a replayed response) */
            if (held && held_use >= U_STALE && out->info.issued < held->info.issued) {
                log_emit(s->log, s->log_arg, RATLS_LOG_WARN,
                         "%s from the service is older than the cached one; keeping the cached one",
                         k_kind_text[r->kind]);
            } else if (disk_use >= U_STALE && out->info.issued < disk.info.issued) {
                log_emit(s->log, s->log_arg, RATLS_LOG_WARN,
                         "%s from the service is older than the disk-cached one; keeping the disk-cached one",
                         k_kind_text[r->kind]);
                copy_clear(out);
                *out = disk;
                *from_disk = 1;
                return RATLS_OK;
            } else {
                disk_store(s, r, out);
            }
            copy_clear(&disk);
            return RATLS_OK;
        }
    }
    /* the network failed (or is off): fall back to a copy still usable */
    if (disk_use > U_NONE && disk_use >= held_use) {
        log_emit(s->log, s->log_arg, RATLS_LOG_WARN, "%s; using the disk-cached %s%s", err, k_kind_text[r->kind],
                 disk_use == U_GRACE ? " (EXPIRED, INSECURE grace period)" : "");
        *out = disk;
        *from_disk = r->offline ? 1 : 2; /* 2: a fallback after a failed fetch */
        return RATLS_OK;
    }
    copy_clear(&disk);
    return st;
}

/* Get a copy of one item (cache key q->key) valid at q->now, or within the
 * grace period when nothing valid can be had, and its serial. `q` holds what
 * says which item it is and how it is verified; the rest is filled in here. */
static ratls_status item_get(ratls_collateral_source *s, const req *q, copy *out, uint64_t *serial, char *err,
                             size_t errlen)
{
    const char *key = q->key, *param = q->param;
    unsigned kind = q->kind;
    int64_t now = q->now, grace = q->grace;
    memset(out, 0, sizeof *out);
    /* the analyzer loses copy_set's cleanup on failure across calls: a false leak */
    pthread_mutex_lock(&s->mu); // NOLINT(clang-analyzer-unix.Malloc)
    item *it = get_item_locked(s, key, kind, param);
    if (!it) {
        pthread_mutex_unlock(&s->mu);
        return set_err(err, errlen, RATLS_ERR_COLLATERAL_UNAVAILABLE,
                       "collateral cache is full of items being fetched; try again");
    }
    ratls_status st = RATLS_OK;
    char warn[800] = "";
    uint64_t seen = it->flights;
    int flight_done = 0, own_flights = 0;
    for (;;) {
        int u = it->has ? usable(&it->info, now, s->margin, grace) : U_NONE;
        if (u == U_FRESH) {
            s->stats.memory_hits++;
            break;
        }
        if (u == U_STALE && settled(it, now, s->margin)) {
            /* being refreshed, or refreshed a moment ago: the copy held is still valid */
            s->stats.stale_used++;
            break;
        }
        if (flight_done) {
            /* a refresh just ended: take what it left if usable now, else its error */
            if (u >= U_GRACE) {
                s->stats.stale_used++;
                break;
            }
            if (it->ferr != RATLS_OK || own_flights >= 2) {
                st = set_err(err, errlen, it->ferr ? it->ferr : RATLS_ERR_COLLATERAL_UNAVAILABLE, "%s",
                             it->ferr ? it->fmsg : "no copy of the item is valid at the verification time");
                break;
            }
            flight_done = 0; /* it succeeded for another thread's time, not ours */
        }
        if (it->inflight) {
            it->waiters++;
            pthread_cond_wait(&s->cv, &s->mu);
            it->waiters--;
            if (it->flights != seen) {
                seen = it->flights;
                flight_done = !it->inflight;
            }
            continue;
        }
        /* AMD KDS throttles VCEK requests (HTTP 429, about one per 10 s): a
         * VCEK that just failed, e.g. for a forged CHIP_ID, is not asked
         * for again at once. Wall-clock time: this limits requests, it
         * judges nothing. */
        if (!it->has && kind == K_SNP_VCEK && it->ferr != RATLS_OK && it->fail_mono && s->vcek_retry > 0 &&
            mono_seconds() - it->fail_mono < s->vcek_retry) {
            st = set_err(err, errlen, it->ferr, "%s (not asked again for %lld s: AMD KDS throttles VCEK requests)",
                         it->fmsg, (long long)s->vcek_retry);
            break;
        }
        /* this thread flies */
        req r = *q;
        build_url(s, kind, param, r.url, sizeof r.url);
        r.cache_dir = s->cache_dir ? strdup(s->cache_dir) : NULL;
        r.cache_max = s->cache_max;
        r.offline = s->offline;
        r.margin = s->margin;
        r.http = s->http;
        copy held, fresh;
        memset(&held, 0, sizeof held);
        memset(&fresh, 0, sizeof fresh);
        int held_use = u;
        if (it->has && copy_set(&held, it->body, it->len, it->chain, &it->info))
            held_use = U_NONE;
        it->inflight = 1;
        it->tried = 1;
        it->last_try = now;
        pthread_mutex_unlock(&s->mu);

        int from_disk = 0;
        char ferr[512] = "";
        ratls_status fs =
            refresh(s, &r, held_use > U_NONE ? &held : NULL, held_use, &fresh, &from_disk, ferr, sizeof ferr);
        free(r.cache_dir);

        pthread_mutex_lock(&s->mu);
        it->inflight = 0;
        it->flights++;
        seen = it->flights;
        it->ferr = fs;
        snprintf(it->fmsg, sizeof it->fmsg, "%s", fs ? ferr : "");
        it->fail_mono = fs != RATLS_OK && !it->has ? mono_seconds() : 0;
        if (fs == RATLS_OK) {
            if (from_disk)
                s->stats.disk_hits++;
            if (from_disk == 2)
                s->stats.upstream_failures++;
            int keep_held = held_use >= U_STALE && fresh.info.issued < held.info.issued;
            if (!keep_held) {
                item_drop_copy(it);
                it->body = fresh.body;
                it->len = fresh.len;
                it->chain = fresh.chain;
                it->info = fresh.info;
                it->has = 1;
                it->serial = ++s->serial;
                memset(&fresh, 0, sizeof fresh);
            }
            copy_clear(&fresh);
        } else {
            s->stats.upstream_failures++;
            if (held_use > U_NONE) /* logged once the lock is released */
                snprintf(warn, sizeof warn, "%s; using the cached %s%s", ferr, k_kind_text[kind],
                         held_use == U_GRACE ? " (EXPIRED, INSECURE grace period)" : "");
        }
        copy_clear(&held);
        pthread_cond_broadcast(&s->cv);
        flight_done = 1;
        own_flights++;
    }
    if (st == RATLS_OK) {
        it->tick = ++s->tick;
        *serial = it->serial;
        if (copy_set(out, it->body, it->len, it->chain, &it->info))
            st = RATLS_ERR_NO_MEMORY;
    }
    pthread_mutex_unlock(&s->mu);
    if (warn[0])
        log_emit(s->log, s->log_arg, RATLS_LOG_WARN, "%s", warn);
    return st;
}

/* ------------------------------------------------------------------ */
/* assembled collateral per platform                                    */
/* ------------------------------------------------------------------ */

static ratls_collateral *platform_lookup_locked(ratls_collateral_source *s, const char keys[4][KEY_MAX], int64_t now)
{
    for (size_t i = 0; i < MAX_PLATFORMS; i++) {
        platform *p = &s->plat[i];
        if (!p->used || memcmp(p->keys, keys, sizeof p->keys) != 0)
            continue;
        for (int k = 0; k < 4; k++) {
            item *it = find_item_locked(s, keys[k]);
            if (!it || !it->has || it->serial != p->serial[k] || !settled(it, now, s->margin))
                return NULL;
        }
        p->tick = ++s->tick;
        return p->c;
    }
    return NULL;
}

static void platform_store_locked(ratls_collateral_source *s, const char keys[4][KEY_MAX], const uint64_t serial[4],
                                  ratls_collateral *c)
{
    platform *slot = NULL;
    for (size_t i = 0; i < MAX_PLATFORMS && !slot; i++)
        if (s->plat[i].used && memcmp(s->plat[i].keys, keys, sizeof s->plat[i].keys) == 0)
            slot = &s->plat[i];
    for (size_t i = 0; i < MAX_PLATFORMS && !slot; i++)
        if (!s->plat[i].used)
            slot = &s->plat[i];
    if (!slot) {
        slot = &s->plat[0];
        for (size_t i = 1; i < MAX_PLATFORMS; i++)
            if (s->plat[i].tick < slot->tick)
                slot = &s->plat[i];
    }
    ratls_collateral_free(slot->c);
    slot->used = 1;
    memcpy(slot->keys, keys, sizeof slot->keys);
    memcpy(slot->serial, serial, sizeof slot->serial);
    collateral_ref(c);
    slot->c = c;
    slot->tick = ++s->tick;
}

static void anchor_id(const rcert *test_root, char out[24])
{
    if (!test_root) {
        snprintf(out, 24, "intel");
        return;
    }
    uint8_t h[32];
    char hx[17];
    SHA256(test_root->der, test_root->der_len, h);
    hex_encode(h, 8, hx);
    snprintf(out, 24, "test-%s", hx);
}

/* Offline bundles: the caller's own collateral for this FMSPC, used when
 * nothing else can be had (the verifier still checks all of it). */
static ratls_collateral *bundle_for_locked(ratls_collateral_source *s, const char *fmspc)
{
    for (size_t i = s->noffline; i-- > 0;)
        if (strcmp(s->offline_bundles[i]->fmspc_hex, fmspc) == 0)
            return s->offline_bundles[i];
    return NULL;
}

ratls_status source_get_tdx(ratls_collateral_source *s, const rcert *test_root, const uint8_t fmspc[6], int ca,
                            int64_t now, int64_t grace, ratls_collateral **out, char *err, size_t errlen)
{
    char anchor[24], fm[13], keys[4][KEY_MAX];
    const char *cas = ca == SOURCE_CA_PLATFORM ? "platform" : "processor";
    *out = NULL;
    anchor_id(test_root, anchor);
    hex_encode_upper(fmspc, 6, fm);
    memset(keys, 0, sizeof keys);
    snprintf(keys[0], KEY_MAX, "%s-%s-%s", anchor, k_kind_name[TDX_ITEM_TCB_INFO], fm);
    snprintf(keys[1], KEY_MAX, "%s-%s", anchor, k_kind_name[TDX_ITEM_QE_IDENTITY]);
    snprintf(keys[2], KEY_MAX, "%s-%s-%s", anchor, k_kind_name[TDX_ITEM_PCK_CRL], cas);
    snprintf(keys[3], KEY_MAX, "%s-%s", anchor, k_kind_name[TDX_ITEM_ROOT_CRL]);

    /* warm path: the assembled collateral, all four items still fresh */
    pthread_mutex_lock(&s->mu);
    ratls_collateral *c = platform_lookup_locked(s, keys, now);
    if (c) {
        collateral_ref(c);
        s->stats.memory_hits += 4;
        pthread_mutex_unlock(&s->mu);
        *out = c;
        return RATLS_OK;
    }
    pthread_mutex_unlock(&s->mu);

    copy cp[4];
    uint64_t serial[4];
    memset(cp, 0, sizeof cp);
    ratls_status st;
    static const tdx_item_kind kinds[4] = {TDX_ITEM_TCB_INFO, TDX_ITEM_QE_IDENTITY, TDX_ITEM_PCK_CRL,
                                           TDX_ITEM_ROOT_CRL};
    const char *params[4] = {fm, "", cas, ""};
    for (int k = 0; k < 4; k++) {
        req q;
        memset(&q, 0, sizeof q);
        q.kind = (unsigned)kinds[k];
        snprintf(q.key, sizeof q.key, "%s", keys[k]);
        snprintf(q.param, sizeof q.param, "%s", params[k]);
        q.test_root = test_root;
        q.root_chain = k == 3 ? cp[1].chain : NULL;
        q.now = now;
        q.grace = grace;
        if ((st = item_get(s, &q, &cp[k], &serial[k], err, errlen)))
            goto fallback;
    }
    ratls_collateral_parts parts = {
        .pck_crl_issuer_chain = cp[2].chain,
        .tcb_info_issuer_chain = cp[0].chain,
        .tcb_info_body = (const char *)cp[0].body,
        .tcb_info_body_len = cp[0].len,
        .qe_identity_issuer_chain = cp[1].chain,
        .qe_identity_body = (const char *)cp[1].body,
        .qe_identity_body_len = cp[1].len,
    };
    uint8_t *der[2] = {NULL, NULL};
    size_t dl[2] = {0, 0};
    char sub[512];
    if ((st = collateral_crl_to_der(cp[2].body, cp[2].len, &der[0], &dl[0], "PCK CRL", sub, sizeof sub)) ||
        (st = collateral_crl_to_der(cp[3].body, cp[3].len, &der[1], &dl[1], "root CA CRL", sub, sizeof sub))) {
        set_err(err, errlen, st, "%s", sub);
    } else {
        parts.pck_crl = der[0];
        parts.pck_crl_len = dl[0];
        parts.root_ca_crl = der[1];
        parts.root_ca_crl_len = dl[1];
        if ((st = ratls_collateral_from_pcs(&parts, &c, sub, sizeof sub)))
            set_err(err, errlen, st, "assembling the collateral: %s", sub);
    }
    free(der[0]);
    free(der[1]);
    for (int k = 0; k < 4; k++)
        copy_clear(&cp[k]);
    if (st)
        return st;
    pthread_mutex_lock(&s->mu);
    platform_store_locked(s, keys, serial, c); /* a lookup serves it only while every item is fresh */
    pthread_mutex_unlock(&s->mu);
    *out = c;
    return RATLS_OK;

fallback:
    for (int k = 0; k < 4; k++)
        copy_clear(&cp[k]);
    pthread_mutex_lock(&s->mu);
    c = bundle_for_locked(s, fm);
    if (c) {
        collateral_ref(c);
        s->stats.bundle_hits++;
    }
    pthread_mutex_unlock(&s->mu);
    if (c) {
        log_emit(s->log, s->log_arg, RATLS_LOG_WARN, "%s; using the offline bundle for FMSPC %s", err, fm);
        *out = c;
        return RATLS_OK;
    }
    return st;
}

/* ------------------------------------------------------------------ */
/* AMD KDS                                                              */
/* ------------------------------------------------------------------ */

void snp_kds_parts_clear(snp_kds_parts *p)
{
    if (!p)
        return;
    free(p->vcek);
    free(p->chain);
    free(p->crl);
    memset(p, 0, sizeof *p);
}

static int dup_body(const copy *c, uint8_t **out, size_t *len)
{
    if (!(*out = malloc(c->len ? c->len : 1)))
        return -1;
    if (c->len)
        memcpy(*out, c->body, c->len);
    *len = c->len;
    return 0;
}

ratls_status source_get_snp(ratls_collateral_source *s, const uint8_t ark_pin[32], ratls_snp_product p,
                            const uint8_t chip_id[64], uint64_t reported_tcb, unsigned want, int64_t now,
                            snp_kds_parts *out, char *err, size_t errlen)
{
    static const uint8_t zero[64];
    const unsigned all = SNP_KDS_CHAIN | SNP_KDS_CRL | SNP_KDS_VCEK | SNP_KDS_VLEK;
    if (out)
        memset(out, 0, sizeof *out);
    if (!s || !ark_pin || !out || (want & ~all) || !(want & (SNP_KDS_CHAIN | SNP_KDS_CRL | SNP_KDS_VCEK)) ||
        (p != RATLS_SNP_PRODUCT_MILAN && p != RATLS_SNP_PRODUCT_GENOA && p != RATLS_SNP_PRODUCT_TURIN) ||
        ((want & SNP_KDS_VCEK) && !chip_id))
        return set_err(err, errlen, RATLS_ERR_INVALID_ARGUMENT,
                       "AMD KDS: a source, an ARK pin, Milan/Genoa/Turin and CHAIN, CRL and/or VCEK are needed");
    if ((want & SNP_KDS_VLEK) && (want & SNP_KDS_VCEK))
        return set_err(err, errlen, RATLS_ERR_INVALID_ARGUMENT,
                       "AMD KDS does not serve VLEKs publicly: ask for the VLEK chain and CRL only");
    if ((want & SNP_KDS_VCEK) && CRYPTO_memcmp(chip_id, zero, sizeof zero) == 0)
        return set_err(err, errlen, RATLS_ERR_COLLATERAL_UNAVAILABLE,
                       "the report's CHIP_ID is masked (all zero): AMD KDS cannot serve its VCEK; supply the VCEK");

    const char *pn = ratls_snp_product_name(p);
    const char *side = (want & SNP_KDS_VLEK) ? "vlek" : "vcek";
    char anchor[40]; /* "ark-" and 16 bytes of the pin */
    hex_encode(ark_pin, 16, anchor + 4);
    memcpy(anchor, "ark-", 4);
    snp_kds_want w;
    memset(&w, 0, sizeof w);
    w.product = p;
    w.reported_tcb = reported_tcb;
    if (chip_id)
        memcpy(w.chip_id, chip_id, 64);

    req q;
    memset(&q, 0, sizeof q);
    q.ark_pin = ark_pin;
    q.snp = &w;
    q.now = now;
    copy chain, got;
    memset(&chain, 0, sizeof chain);
    memset(&got, 0, sizeof got);
    uint64_t serial;
    ratls_status st;

    /* the chain first: the CRL and the VCEK are verified under it */
    q.kind = K_SNP_CHAIN;
    snprintf(q.key, sizeof q.key, "%s-%s-chain-%s", anchor, side, pn);
    snprintf(q.param, sizeof q.param, "%s/v1/%s/cert_chain", side, pn);
    if ((st = item_get(s, &q, &chain, &serial, err, errlen)))
        goto out;
    if ((want & SNP_KDS_CHAIN) && dup_body(&chain, &out->chain, &out->chain_len)) {
        st = set_err(err, errlen, RATLS_ERR_NO_MEMORY, "out of memory");
        goto out;
    }
    q.root_chain = (const char *)chain.body; /* NUL-terminated by copy_set */

    if (want & SNP_KDS_CRL) {
        q.kind = K_SNP_CRL;
        snprintf(q.key, sizeof q.key, "%s-%s-crl-%s", anchor, side, pn);
        snprintf(q.param, sizeof q.param, "%s/v1/%s/crl", side, pn);
        if ((st = item_get(s, &q, &got, &serial, err, errlen)))
            goto out;
        if (dup_body(&got, &out->crl, &out->crl_len)) {
            st = set_err(err, errlen, RATLS_ERR_NO_MEMORY, "out of memory");
            goto out;
        }
        copy_clear(&got);
    }

    if (want & SNP_KDS_VCEK) {
        /* one item per (product, chip, TCB as KDS sees it): KDS throttles VCEK requests */
        snp_tcb t;
        snp_tcb_split(reported_tcb, p, &t);
        int turin = p == RATLS_SNP_PRODUCT_TURIN;
        char hwid[129], spl[96];
        hex_encode(chip_id, turin ? 8 : 64, hwid);
        if (turin)
            snprintf(spl, sizeof spl, "fmcSPL=%u&blSPL=%u&teeSPL=%u&snpSPL=%u&ucodeSPL=%u", t.fmc, t.bl, t.tee, t.snp,
                     t.ucode);
        else
            snprintf(spl, sizeof spl, "blSPL=%u&teeSPL=%u&snpSPL=%u&ucodeSPL=%u", t.bl, t.tee, t.snp, t.ucode);
        uint8_t h[32];
        char chip[33];
        SHA256(chip_id, 64, h);
        hex_encode(h, 16, chip);
        q.kind = K_SNP_VCEK;
        snprintf(q.key, sizeof q.key, "%s-vcek-%s-%s-%02x%02x%02x%02x%02x", anchor, pn, chip, t.fmc, t.bl, t.tee, t.snp,
                 t.ucode);
        snprintf(q.param, sizeof q.param, "vcek/v1/%s/%s?%s", pn, hwid, spl);
        if ((st = item_get(s, &q, &got, &serial, err, errlen)))
            goto out;
        if (dup_body(&got, &out->vcek, &out->vcek_len)) {
            st = set_err(err, errlen, RATLS_ERR_NO_MEMORY, "out of memory");
            goto out;
        }
    }
    st = RATLS_OK;
out:
    copy_clear(&got);
    copy_clear(&chain);
    if (st)
        snp_kds_parts_clear(out);
    return st;
}
