/* The PCCS routes of `ratls sim`: the simulated platform's collateral with
 * the paths, headers (URL-encoded issuer chains) and encodings of Intel's
 * PCS v4 / a PCCS, as tests/collateral/pcs_standin.py serves them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "ratls/ratls.h"
#include "sim.h"

#define P_TCB "/tdx/certification/v4/tcb"
#define P_QE "/tdx/certification/v4/qe/identity"
#define P_PCKCRL "/sgx/certification/v4/pckcrl"
#define P_ROOTCRL "/sgx/certification/v4/rootcacrl"
#define P_ROOTCRL_DER "/IntelSGXRootCA.der" /* Intel's CRL distribution point */

struct sim_pccs {
    char fmspc[13];
    char *tcb_body, *tcb_hdr;
    char *qe_body, *qe_hdr;
    uint8_t *pck_crl;
    size_t pck_crl_len;
    char *pck_crl_pem, *pck_hdr;
    const char *pck_ca; /* "platform" or "processor" */
    uint8_t *root_crl;
    size_t root_crl_len;
    char *root_crl_hex;
};

int sim_pccs_is_route(const char *path)
{
    return strcmp(path, P_TCB) == 0 || strcmp(path, P_QE) == 0 || strcmp(path, P_PCKCRL) == 0 ||
           strcmp(path, P_ROOTCRL) == 0 || strcmp(path, P_ROOTCRL_DER) == 0;
}

void sim_pccs_free(sim_pccs *p)
{
    if (!p)
        return;
    free(p->tcb_body);
    free(p->tcb_hdr);
    free(p->qe_body);
    free(p->qe_hdr);
    free(p->pck_crl);
    free(p->pck_crl_pem);
    free(p->pck_hdr);
    free(p->root_crl);
    free(p->root_crl_hex);
    free(p);
}

/* "Name: <value percent-encoded like Python's quote(safe='')>\r\n" */
static char *chain_header(const char *name, const char *pem)
{
    static const char digits[] = "0123456789ABCDEF";
    size_t n = strlen(pem), o = 0;
    char *h = malloc(strlen(name) + 2 + 3 * n + 3);
    if (!h)
        return NULL;
    o += (size_t)sprintf(h, "%s: ", name);
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)pem[i];
        if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || strchr("_.-~", ch)) {
            h[o++] = (char)ch;
        } else {
            h[o++] = '%';
            h[o++] = digits[ch >> 4];
            h[o++] = digits[ch & 15];
        }
    }
    memcpy(h + o, "\r\n", 3);
    return h;
}

/* {"<key>":<signed text>,"signature":"<hex>"}: the text byte for byte. */
static char *signed_body(const char *key, const char *text, const char *sig)
{
    size_t cap = strlen(key) + strlen(text) + strlen(sig) + 32;
    char *b = malloc(cap);
    if (b)
        snprintf(b, cap, "{\"%s\":%s,\"signature\":\"%s\"}", key, text, sig);
    return b;
}

static char *crl_pem(const uint8_t *der, size_t len)
{
    size_t b64len = 4 * ((len + 2) / 3);
    unsigned char *b64 = malloc(b64len + 1);
    char *pem = malloc(b64len + b64len / 64 + 64);
    if (!b64 || !pem || len > INT32_MAX || EVP_EncodeBlock(b64, der, (int)len) != (int)b64len) {
        free(b64);
        free(pem);
        return NULL;
    }
    size_t o = (size_t)sprintf(pem, "-----BEGIN X509 CRL-----\n");
    for (size_t i = 0; i < b64len; i += 64) {
        size_t k = b64len - i < 64 ? b64len - i : 64;
        memcpy(pem + o, b64 + i, k);
        o += k;
        pem[o++] = '\n';
    }
    static const char end[] = "-----END X509 CRL-----\n";
    memcpy(pem + o, end, sizeof end);
    free(b64);
    return pem;
}

static int contains(const uint8_t *b, size_t n, const char *s)
{
    size_t sl = strlen(s);
    for (size_t i = 0; i + sl <= n; i++)
        if (memcmp(b + i, s, sl) == 0)
            return 1;
    return 0;
}

static const char *field(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static int split(sim_pccs *p, json_t *c)
{
    const char *tcb = field(c, "tcb_info"), *tcb_sig = field(c, "tcb_info_signature"),
               *tcb_chain = field(c, "tcb_info_issuer_chain"), *qe = field(c, "qe_identity"),
               *qe_sig = field(c, "qe_identity_signature"), *qe_chain = field(c, "qe_identity_issuer_chain"),
               *pck = field(c, "pck_crl"), *pck_chain = field(c, "pck_crl_issuer_chain"),
               *root = field(c, "root_ca_crl");
    if (!tcb || !tcb_sig || !tcb_chain || !qe || !qe_sig || !qe_chain || !pck || !pck_chain || !root)
        return -1;
    json_t *ti = json_loads(tcb, 0, NULL);
    const char *fmspc = field(ti, "fmspc");
    int ok = fmspc && strlen(fmspc) == 12;
    if (ok) {
        for (size_t i = 0; i < 12; i++)
            p->fmspc[i] = (char)(fmspc[i] >= 'a' && fmspc[i] <= 'f' ? fmspc[i] - 32 : fmspc[i]);
    }
    json_decref(ti);
    if (!ok || ratls_hex_decode_relaxed(pck, strlen(pck), &p->pck_crl, &p->pck_crl_len) != RATLS_OK ||
        ratls_hex_decode_relaxed(root, strlen(root), &p->root_crl, &p->root_crl_len) != RATLS_OK)
        return -1;
    p->pck_ca = contains(p->pck_crl, p->pck_crl_len, "Processor CA") ? "processor" : "platform";
    p->tcb_body = signed_body("tcbInfo", tcb, tcb_sig);
    p->qe_body = signed_body("enclaveIdentity", qe, qe_sig);
    p->tcb_hdr = chain_header("TCB-Info-Issuer-Chain", tcb_chain);
    p->qe_hdr = chain_header("SGX-Enclave-Identity-Issuer-Chain", qe_chain);
    p->pck_hdr = chain_header("SGX-PCK-CRL-Issuer-Chain", pck_chain);
    p->pck_crl_pem = crl_pem(p->pck_crl, p->pck_crl_len);
    p->root_crl_hex = strdup(root);
    return p->tcb_body && p->qe_body && p->tcb_hdr && p->qe_hdr && p->pck_hdr && p->pck_crl_pem && p->root_crl_hex ? 0
                                                                                                                   : -1;
}

sim_pccs *sim_pccs_new(const char *collateral_json, size_t len)
{
    sim_pccs *p = calloc(1, sizeof *p);
    json_t *c = json_loadb(collateral_json, len, 0, NULL);
    if (!p || !c || split(p, c)) {
        fprintf(stderr, "ratls sim: the simulated collateral cannot be served\n");
        sim_pccs_free(p);
        p = NULL;
    }
    json_decref(c);
    return p;
}

/* The value of `key` in "a=b&c=d" into out; 1 if present. */
static int query_get(const char *query, const char *key, char *out, size_t cap)
{
    size_t kl = strlen(key);
    for (const char *q = query; q && *q; q = strchr(q, '&') ? strchr(q, '&') + 1 : NULL) {
        if (strncmp(q, key, kl) != 0 || q[kl] != '=')
            continue;
        const char *v = q + kl + 1, *end = strchr(v, '&');
        size_t vl = end ? (size_t)(end - v) : strlen(v);
        if (vl >= cap)
            vl = cap - 1;
        memcpy(out, v, vl);
        out[vl] = 0;
        return 1;
    }
    return 0;
}

static void text(sim_conn *c, int status, const char *msg, int keep)
{
    sim_reply(c, status, "text/plain", NULL, msg, strlen(msg), keep);
}

static void serve_tcb(const sim_pccs *p, sim_conn *c, const sim_req *r, int keep)
{
    char fmspc[32] = "", update[32] = "standard";
    query_get(r->query, "fmspc", fmspc, sizeof fmspc);
    query_get(r->query, "update", update, sizeof update);
    if (strcmp(update, "standard") != 0 && strcmp(update, "early") != 0)
        text(c, 400, "bad update parameter\n", keep);
    else if (strcasecmp(fmspc, p->fmspc) != 0)
        text(c, 404, "no TCB info for this fmspc\n", keep);
    else
        sim_reply(c, 200, "application/json", p->tcb_hdr, p->tcb_body, strlen(p->tcb_body), keep);
}

static void serve_pck_crl(const sim_pccs *p, sim_conn *c, const sim_req *r, int keep)
{
    char ca[32] = "", enc[32] = "";
    query_get(r->query, "ca", ca, sizeof ca);
    query_get(r->query, "encoding", enc, sizeof enc);
    if (strcasecmp(ca, "platform") != 0 && strcasecmp(ca, "processor") != 0)
        text(c, 400, "bad ca parameter\n", keep);
    else if (strcasecmp(ca, p->pck_ca) != 0)
        text(c, 404, "no CRL for this CA\n", keep);
    else if (strcasecmp(enc, "der") == 0)
        sim_reply(c, 200, "application/pkix-crl", p->pck_hdr, p->pck_crl, p->pck_crl_len, keep);
    else
        sim_reply(c, 200, "application/x-pem-file", p->pck_hdr, p->pck_crl_pem, strlen(p->pck_crl_pem), keep);
}

void sim_pccs_serve(const sim_pccs *p, sim_conn *c, const sim_req *r, int keep)
{
    if (strcmp(r->method, "GET") != 0)
        text(c, 405, "method not allowed\n", keep);
    else if (strcmp(r->path, P_TCB) == 0)
        serve_tcb(p, c, r, keep);
    else if (strcmp(r->path, P_QE) == 0)
        sim_reply(c, 200, "application/json", p->qe_hdr, p->qe_body, strlen(p->qe_body), keep);
    else if (strcmp(r->path, P_PCKCRL) == 0)
        serve_pck_crl(p, c, r, keep);
    else if (strcmp(r->path, P_ROOTCRL) == 0) /* a PCCS answers hex text */
        sim_reply(c, 200, "text/plain", NULL, p->root_crl_hex, strlen(p->root_crl_hex), keep);
    else
        sim_reply(c, 200, "application/pkix-crl", NULL, p->root_crl, p->root_crl_len, keep);
}
