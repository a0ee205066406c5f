/* The simulated dstack TD behind `ratls sim`: a platform of the project's
 * test PKI, an app compose, the event log dstack writes (boot events with
 * synthetic digests, runtime events by the v1 rule) and a fresh quote per
 * request whose RTMRs are the replay of that log. TEST ONLY. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "cli.h"
#include "dstack/dstack.h"
#include "sim.h"
#include "testpki/testpki.h"

/* Below the library's RATLS_EVENTLOG_MAX_EVENTS, so the log always parses. */
#define SIM_MAX_EVENTS 4000u

typedef struct sim_event {
    uint32_t imr, type;
    uint8_t digest[48];
    char *name;
    uint8_t *payload;
    size_t len;
} sim_event;

struct sim_td {
    sim_mode mode;
    tp_scenario sc; /* the platform and the TD; REPORTDATA and RTMRs set per quote */
    char *collateral;
    size_t collateral_len;
    char *root_pem;
    char *compose;        /* the app compose served (canonical text) */
    char *honest_compose; /* the one the policy expects */
    uint8_t compose_hash[32];
    uint8_t os_image_hash[32];
    uint8_t device_id[32];
    uint8_t boot_rtmr[3][48];
    char *kp_id; /* key-provider id: hex of the KMS CA's SPKI */
    char *vm_config;
    pthread_mutex_t mu; /* the events, the stale answer and quote generation */
    sim_event *ev;
    size_t nev, cap;
    char *stale; /* stale-quote mode: the answer to an old challenge */
    size_t stale_len;
};

static const char *const k_modes[] = {NULL,          "wrong-compose", "stale-quote", "cert-not-in-log", "debug-td",
                                      "out-of-date", "rotate-cert",   "slow",        "oversized"};

const char *sim_mode_name(sim_mode m) { return (size_t)m < sizeof k_modes / sizeof k_modes[0] ? k_modes[m] : NULL; }

int sim_mode_parse(const char *name, sim_mode *out)
{
    for (size_t i = 1; i < sizeof k_modes / sizeof k_modes[0]; i++) {
        if (strcmp(name, k_modes[i]) == 0) {
            *out = (sim_mode)i;
            return 0;
        }
    }
    return -1;
}

static int digest(const EVP_MD *md, const void *p, size_t n, uint8_t *out)
{
    return EVP_Digest(p, n, out, NULL, md, NULL) == 1 ? 0 : -1;
}

static char *hex_alloc(const uint8_t *b, size_t n)
{
    char *h = malloc(2 * n + 1);
    if (h)
        cli_hex(b, n, h);
    return h;
}

/* ---- the app compose ---- */

/* The same service; `other` runs another image (wrong-compose). */
static char *compose_text(int other, uint8_t hash[32])
{
    char yaml[512];
    snprintf(yaml, sizeof yaml,
             "services:\n  echo:\n    image: ghcr.io/ratls/sim-echo@sha256:%s\n    ports:\n      - \"8000:8000\"\n"
             "    restart: always\n",
             other ? "0bad0bad0bad0bad0bad0bad0bad0bad0bad0bad0bad0bad0bad0bad0bad0bad"
                   : "5f3c1e2d9a8b7c6d5e4f30211203f4e5d6c7b8a99a8b7c6d5e4f30211203f4e5");
    json_t *o = json_pack("{s:i, s:s, s:s, s:s, s:b, s:b, s:b, s:b, s:b, s:b, s:[], s:b, s:b, s:[ss]}",
                          "manifest_version", 2, "name", "ratls-sim", "runner", "docker-compose", "docker_compose_file",
                          yaml, "kms_enabled", 1, "gateway_enabled", 1, "local_key_provider_enabled", 0, "public_logs",
                          1, "public_sysinfo", 1, "public_tcbinfo", 1, "allowed_envs", "no_instance_id", 0,
                          "secure_time", 0, "features", "kms", "tproxy-net");
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    char *canon = NULL, err[256] = "";
    /* serve the canonical text, so sha256(file) (the guest's rule) and the
     * SDK's hash of the parsed object agree */
    if (!text || ratls_compose_canonical((const uint8_t *)text, strlen(text), &canon, err, sizeof err) != RATLS_OK ||
        ratls_compose_hash((const uint8_t *)canon, strlen(canon), hash, err, sizeof err) != RATLS_OK) {
        fprintf(stderr, "ratls sim: app compose: %s\n", err);
        ratls_free_string(canon);
        canon = NULL;
    }
    free(text);
    return canon;
}

/* ---- the event log ---- */

static void events_free(sim_td *td)
{
    for (size_t i = 0; i < td->nev; i++) {
        free(td->ev[i].name);
        free(td->ev[i].payload);
    }
    free(td->ev);
    td->ev = NULL;
    td->nev = td->cap = 0;
}

/* Boot events carry SHA-384(payload) as digest; runtime events the v1 digest. */
static int add_event(sim_td *td, uint32_t imr, uint32_t type, const char *name, const void *payload, size_t len)
{
    if (td->nev >= SIM_MAX_EVENTS)
        return -1;
    if (td->nev == td->cap) {
        size_t nc = td->cap ? 2 * td->cap : 32;
        sim_event *nv = realloc(td->ev, nc * sizeof *nv);
        if (!nv)
            return -1;
        td->ev = nv;
        td->cap = nc;
    }
    sim_event *e = &td->ev[td->nev];
    memset(e, 0, sizeof *e);
    e->imr = imr;
    e->type = type;
    e->name = strdup(name);
    e->payload = malloc(len ? len : 1);
    if (!e->name || !e->payload) {
        free(e->name);
        free(e->payload);
        return -1;
    }
    if (len)
        memcpy(e->payload, payload, len);
    e->len = len;
    int rc = type == RATLS_EVENT_TYPE_RUNTIME ? dstack_runtime_digest_v1(name, e->payload, len, e->digest)
                                              : digest(EVP_sha384(), e->payload, len, e->digest);
    if (rc) {
        free(e->name);
        free(e->payload);
        return -1;
    }
    td->nev++;
    return 0;
}

static int add_runtime(sim_td *td, const char *name, const void *payload, size_t len)
{
    return add_event(td, 3, RATLS_EVENT_TYPE_RUNTIME, name, payload, len);
}

/* Firmware, boot loader, kernel: synthetic payloads of realistic types. */
static int add_boot_events(sim_td *td)
{
    static const struct {
        uint32_t imr, type;
        const char *what; /* NULL: EV_SEPARATOR (four zero bytes) */
    } k_boot[] = {
        {0, 0x8000000Bu, "ratls sim: EFI handoff tables"},
        {0, 0x80000001u, "ratls sim: SecureBoot variable"},
        {0, 0x00000004u, NULL},
        {0, 0x0000000Au, "ratls sim: ACPI tables"},
        {1, 0x80000003u, "ratls sim: boot loader image"},
        {1, 0x80000007u, "Calling EFI Application from Boot Option"},
        {1, 0x00000004u, NULL},
        {1, 0x80000003u, "ratls sim: kernel image"},
        {2, 0x00000006u, "ratls sim: kernel command line"},
        {2, 0x00000006u, "ratls sim: initrd"},
    };
    static const uint8_t sep[4] = {0};
    for (size_t i = 0; i < sizeof k_boot / sizeof k_boot[0]; i++) {
        const char *w = k_boot[i].what;
        if (add_event(td, k_boot[i].imr, k_boot[i].type, "", w ? (const void *)w : sep, w ? strlen(w) : sizeof sep))
            return -1;
    }
    return 0;
}

/* dstack-util's system events, in boot order, up to system-ready. */
static int add_system_events(sim_td *td, const uint8_t instance_id[20])
{
    char kp[300];
    snprintf(kp, sizeof kp, "{\"name\":\"kms\",\"id\":\"%s\"}", td->kp_id);
    int rc = add_runtime(td, "system-preparing", NULL, 0);
    rc = rc || add_runtime(td, "app-id", td->compose_hash, 20); /* dstack's default: compose-hash[0:20] */
    rc = rc || add_runtime(td, "compose-hash", td->compose_hash, 32);
    rc = rc || add_runtime(td, "instance-id", instance_id, 20);
    rc = rc || add_runtime(td, "boot-mr-done", NULL, 0);
    rc = rc || add_runtime(td, "os-image-hash", td->os_image_hash, 32);
    rc = rc || add_runtime(td, "key-provider", kp, strlen(kp));
    rc = rc || add_runtime(td, "system-ready", NULL, 0);
    return rc ? -1 : 0;
}

static json_t *events_json(const sim_td *td)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < td->nev; i++) {
        const sim_event *e = &td->ev[i];
        char dh[97], *ph = hex_alloc(e->payload, e->len);
        cli_hex(e->digest, 48, dh);
        json_t *o = ph ? json_pack("{s:i, s:I, s:s, s:s, s:s}", "imr", (int)e->imr, "event_type", (json_int_t)e->type,
                                   "digest", dh, "event", e->name, "event_payload", ph)
                       : NULL;
        free(ph);
        if (!o || json_array_append_new(arr, o)) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

/* RTMR0..3 replayed by the library's own parser, which also recomputes
 * every runtime digest: the log served is one a verifier accepts. */
static int replay(const char *log_text, uint8_t rtmr[4][48])
{
    ratls_eventlog *l = NULL;
    char err[300] = "";
    if (ratls_eventlog_parse((const uint8_t *)log_text, strlen(log_text), &l, err, sizeof err) != RATLS_OK) {
        fprintf(stderr, "ratls sim: the simulated event log does not parse: %s\n", err);
        return -1;
    }
    ratls_eventlog_replay(l, rtmr);
    ratls_eventlog_free(l);
    return 0;
}

/* ---- platform values ---- */

/* os-image-hash = sha256(sha256sum.txt) of a synthetic dstack OS release. */
static int os_image_hash(uint8_t out[32])
{
    static const char *const files[] = {"ovmf.fd", "bzImage", "initramfs.cpio.gz", "metadata.json"};
    char text[512] = "", line[128], label[64], h[65];
    uint8_t d[32];
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(label, sizeof label, "ratls sim: %s", files[i]);
        if (digest(EVP_sha256(), label, strlen(label), d))
            return -1;
        cli_hex(d, 32, h);
        snprintf(line, sizeof line, "%s  %s\n", h, files[i]);
        strncat(text, line, sizeof text - strlen(text) - 1);
    }
    return digest(EVP_sha256(), text, strlen(text), out);
}

/* A KMS CA key of this run; the key-provider id is its DER SPKI. */
static char *kms_id(void)
{
    EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    unsigned char *der = NULL;
    int n = k ? i2d_PUBKEY(k, &der) : -1;
    char *h = n > 0 ? hex_alloc(der, (size_t)n) : NULL;
    OPENSSL_free(der);
    EVP_PKEY_free(k);
    return h;
}

static char *vm_config(const uint8_t os_hash[32])
{
    char h[65];
    cli_hex(os_hash, 32, h);
    json_t *o = json_pack("{s:i, s:s, s:i, s:I, s:b, s:b, s:I, s:i, s:i, s:b, s:b, s:s}", "spec_version", 1,
                          "os_image_hash", h, "cpu_count", 2, "memory_size", (json_int_t)4294967296LL,
                          "qemu_single_pass_add_pages", 0, "pic", 1, "pci_hole64_size", (json_int_t)0, "num_gpus", 0,
                          "num_nvswitches", 0, "hugepages", 0, "hotplug_off", 0, "qemu_version", "9.1.0");
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return s;
}

/* The platform: scenario, collateral and root. Quotes made later reuse the
 * PCK CA certificate, so they verify with this collateral. */
static int platform(sim_td *td, int64_t now)
{
    tp_scenario_default(&td->sc, now);
    td->sc.reuse_pck_ca = 1;
    if (td->mode == SIM_DEBUG_TD)
        td->sc.report.td_attributes[0] |= 0x01;
    if (td->mode == SIM_OUT_OF_DATE) /* as `ratls sim generate --scenario out-of-date` */
        td->sc.report.tee_tcb_svn[0] = 2;
    tp_output out;
    if (tp_generate(&td->sc, &out) != 0) {
        fprintf(stderr, "ratls sim: generating the simulated platform failed\n");
        return -1;
    }
    td->collateral = out.collateral_json;
    td->collateral_len = out.collateral_len;
    td->root_pem = out.root_pem;
    out.collateral_json = NULL;
    out.root_pem = NULL;
    tp_output_free(&out);
    return 0;
}

static int software(sim_td *td)
{
    uint8_t honest_hash[32], instance_id[20];
    td->honest_compose = compose_text(0, honest_hash);
    td->compose = compose_text(td->mode == SIM_WRONG_COMPOSE, td->compose_hash);
    td->kp_id = kms_id();
    if (!td->honest_compose || !td->compose || !td->kp_id || os_image_hash(td->os_image_hash) ||
        !(td->vm_config = vm_config(td->os_image_hash)) || RAND_bytes(instance_id, sizeof instance_id) != 1 ||
        digest(EVP_sha256(), "ratls sim: device", 17, td->device_id))
        return -1;
    if (add_boot_events(td) || add_system_events(td, instance_id))
        return -1;
    json_t *log = events_json(td);
    char *text = log ? json_dumps(log, JSON_COMPACT) : NULL;
    json_decref(log);
    uint8_t rtmr[4][48];
    int rc = text ? replay(text, rtmr) : -1;
    free(text);
    if (rc == 0)
        memcpy(td->boot_rtmr, rtmr, sizeof td->boot_rtmr);
    return rc;
}

sim_td *sim_td_new(sim_mode mode, int64_t now)
{
    sim_td *td = calloc(1, sizeof *td);
    if (!td)
        return NULL;
    td->mode = mode;
    pthread_mutex_init(&td->mu, NULL);
    if (platform(td, now) || software(td)) {
        fprintf(stderr, "ratls sim: building the simulated TD failed\n");
        sim_td_free(td);
        return NULL;
    }
    return td;
}

void sim_td_free(sim_td *td)
{
    if (!td)
        return;
    events_free(td);
    free(td->collateral);
    free(td->root_pem);
    ratls_free_string(td->compose);
    ratls_free_string(td->honest_compose);
    free(td->kp_id);
    free(td->vm_config);
    free(td->stale);
    pthread_mutex_destroy(&td->mu);
    free(td);
}

/* ---- the /tdx_quote answer ---- */

static json_t *tcb_info(const sim_td *td, const uint8_t rtmr[4][48], json_t *log)
{
    char mr[5][97], agg[65], os[65], ch[65], dev[65];
    uint8_t buf[5 * 48], a[32];
    memcpy(buf, td->sc.report.mr_td, 48);
    memcpy(buf + 48, rtmr, 4 * 48);
    for (int i = 0; i < 5; i++)
        cli_hex(buf + 48 * i, 48, mr[i]);
    /* mr_aggregated = sha256(mrtd || rtmr0..3): MRCONFIGID and the owner fields are zero */
    if (digest(EVP_sha256(), buf, sizeof buf, a))
        return NULL;
    cli_hex(a, 32, agg);
    cli_hex(td->os_image_hash, 32, os);
    cli_hex(td->compose_hash, 32, ch);
    cli_hex(td->device_id, 32, dev);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:O, s:s, s:s, s:s, s:s}", "mrtd", mr[0], "rtmr0", mr[1], "rtmr1",
                     mr[2], "rtmr2", mr[3], "rtmr3", mr[4], "app_compose", td->compose, "event_log", log,
                     "mr_aggregated", agg, "os_image_hash", os, "compose_hash", ch, "device_id", dev);
}

static char *assemble(const sim_td *td, const tp_output *q, const char *log_text, json_t *log, const uint8_t rd[64],
                      const uint8_t rtmr[4][48], size_t *len)
{
    char rdh[129], ts[32];
    char *qh = hex_alloc(q->quote, q->quote_len);
    cli_hex(rd, 64, rdh);
    snprintf(ts, sizeof ts, "%lld", (long long)time(NULL));
    json_t *quote = qh ? json_pack("{s:s, s:s, s:s, s:s}", "quote", qh, "event_log", log_text, "report_data", rdh,
                                   "vm_config", td->vm_config)
                       : NULL;
    json_t *ti = tcb_info(td, rtmr, log);
    json_t *resp = NULL;
    if (quote && ti) {
        resp = json_pack("{s:b, s:O, s:O, s:s, s:s, s:n}", "success", 1, "quote", quote, "tcb_info", ti, "timestamp",
                         ts, "quote_type", "tdx", "error");
    }
    char *text = resp ? json_dumps(resp, JSON_COMPACT) : NULL;
    if (text)
        *len = strlen(text);
    json_decref(resp);
    json_decref(quote);
    json_decref(ti);
    free(qh);
    return text;
}

/* A fresh quote over the current log. Called with td->mu held. */
static char *respond_locked(sim_td *td, const uint8_t rd[64], size_t *len)
{
    json_t *log = events_json(td);
    char *log_text = log ? json_dumps(log, JSON_COMPACT) : NULL, *text = NULL;
    uint8_t rtmr[4][48];
    tp_output out;
    memset(&out, 0, sizeof out);
    if (log_text && replay(log_text, rtmr) == 0) {
        tp_scenario sc = td->sc;
        memcpy(sc.report.rtmr, rtmr, sizeof rtmr);
        memcpy(sc.report.report_data, rd, 64);
        if (tp_generate(&sc, &out) == 0)
            text = assemble(td, &out, log_text, log, rd, rtmr, len);
    }
    tp_output_free(&out);
    free(log_text);
    json_decref(log);
    return text;
}

int sim_td_log_cert(sim_td *td, const uint8_t cert_sha256[32])
{
    char h[65];
    cli_hex(cert_sha256, 32, h);
    pthread_mutex_lock(&td->mu);
    int rc = add_runtime(td, "New TLS Certificate", h, 64);
    if (rc == 0 && td->mode == SIM_STALE_QUOTE && !td->stale) {
        /* the answer to an earlier client's challenge, replayed ever after */
        uint8_t old[64];
        static const char seed[] = "ratls sim: an earlier client's challenge";
        rc = digest(EVP_sha512(), seed, sizeof seed - 1, old);
        td->stale = rc ? NULL : respond_locked(td, old, &td->stale_len);
        rc = td->stale ? 0 : -1;
    }
    pthread_mutex_unlock(&td->mu);
    return rc;
}

char *sim_td_quote_response(sim_td *td, const uint8_t rd[64], size_t *len)
{
    char *text = NULL;
    pthread_mutex_lock(&td->mu);
    if (td->stale) {
        text = malloc(td->stale_len + 1);
        if (text) {
            memcpy(text, td->stale, td->stale_len + 1);
            *len = td->stale_len;
        }
    } else {
        text = respond_locked(td, rd, len);
    }
    pthread_mutex_unlock(&td->mu);
    return text;
}

char *sim_td_policy_json(const sim_td *td)
{
    char mr[4][97], os[65];
    cli_hex(td->sc.report.mr_td, 48, mr[0]);
    for (int i = 0; i < 3; i++)
        cli_hex(td->boot_rtmr[i], 48, mr[i + 1]);
    cli_hex(td->os_image_hash, 32, os);
    json_t *compose = json_loads(td->honest_compose, 0, NULL);
    json_t *p = compose ? json_pack("{s:i, s:{s:[s]}, s:{s:s, s:s, s:s, s:s}, s:s, s:O, s:{s:s, s:s}}", "version", 1,
                                    "tcb", "allowed_statuses", "UpToDate", "bootchain", "mrtd", mr[0], "rtmr0", mr[1],
                                    "rtmr1", mr[2], "rtmr2", mr[3], "os_image_hash", os, "app_compose", compose,
                                    "key_provider", "name", "kms", "id", td->kp_id)
                        : NULL;
    char *text = p ? json_dumps(p, JSON_INDENT(2)) : NULL;
    json_decref(p);
    json_decref(compose);
    return text;
}

const char *sim_td_collateral(const sim_td *td, size_t *len)
{
    *len = td->collateral_len;
    return td->collateral;
}

const char *sim_td_root_pem(const sim_td *td) { return td->root_pem; }
