/*
 * curl_attested — fetch a URL with libcurl, attested by ratls.
 *
 *   curl_attested URL [--policy POLICY.json] [--insecure-test-root ROOT.pem]
 *                     [--pccs-url URL [--pccs-no-tls-verify]]
 *
 * The URL's host is attested inside the TLS handshake: the request is sent
 * only if the server proves it runs the expected software in a TEE.
 * Against the simulator (ratls sim --state-dir /tmp/ratls-sim):
 *
 *   curl_attested https://127.0.0.1:8443/v1/models --policy /tmp/ratls-sim/policy.json \
 *       --insecure-test-root /tmp/ratls-sim/root.pem --pccs-url https://127.0.0.1:8443 --pccs-no-tls-verify
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "ratls/ratls.h"
#include "ratls/ratls_curl.h"

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    uint8_t *buf = malloc(1 << 20);
    *len = buf ? fread(buf, 1, 1 << 20, f) : 0;
    fclose(f);
    return buf;
}

int main(int argc, char **argv)
{
    const char *url = NULL, *policy = NULL, *root = NULL, *pccs = NULL;
    int pccs_no_verify = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--policy") == 0 && i + 1 < argc)
            policy = argv[++i];
        else if (strcmp(argv[i], "--insecure-test-root") == 0 && i + 1 < argc)
            root = argv[++i];
        else if (strcmp(argv[i], "--pccs-url") == 0 && i + 1 < argc)
            pccs = argv[++i];
        else if (strcmp(argv[i], "--pccs-no-tls-verify") == 0)
            pccs_no_verify = 1;
        else if (!url && argv[i][0] != '-')
            url = argv[i];
        else {
            fprintf(stderr, "usage: %s URL [--policy FILE] [--insecure-test-root ROOT.pem] [--pccs-url URL]\n",
                    argv[0]);
            return 2;
        }
    }
    if (!url)
        return 2;

    /* what to trust and what to expect */
    ratls_verifier *v = ratls_verifier_new();
    ratls_collateral_source *src = ratls_collateral_source_new();
    ratls_policy *pol = NULL;
    size_t n = 0;
    uint8_t *buf = NULL;
    char err[512] = "";
    if (policy) {
        buf = slurp(policy, &n);
        if (!buf || ratls_policy_from_json(buf, n, &pol, err, sizeof err) != RATLS_OK) {
            fprintf(stderr, "cannot load %s: %s\n", policy, err);
            return 2;
        }
        free(buf);
    } else {
        pol = ratls_policy_new();
    }
    if (root) { /* the simulator's test root: INSECURE, proves nothing about real hardware */
        buf = slurp(root, &n);
        if (!buf || ratls_verifier_set_tdx_root_insecure(v, buf, n) != RATLS_OK) {
            fprintf(stderr, "cannot load %s\n", root);
            return 2;
        }
        free(buf);
    }
    if (pccs && ratls_collateral_source_set_pccs_url(src, pccs) != RATLS_OK)
        return 2;
    ratls_collateral_source_set_tls_verify(src, !pccs_no_verify);
    ratls_verifier_set_collateral_source(v, src);

    /* which host is attested */
    CURLU *u = curl_url();
    char *host = NULL;
    if (!u || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
        fprintf(stderr, "bad URL %s\n", url);
        return 2;
    }
    ratls_hostmap *map = ratls_hostmap_new();
    if (!map || ratls_hostmap_add(map, host, v, pol) != RATLS_OK)
        return 2;
    ratls_curl *rc = ratls_curl_new(map);

    /* an ordinary libcurl transfer */
    CURL *h = curl_easy_init();
    if (!rc || !h || ratls_curl_attach(rc, h) != RATLS_OK)
        return 2;
    curl_easy_setopt(h, CURLOPT_URL, url);
    CURLcode rcode = curl_easy_perform(h);
    int remembered = 0;
    ratls_status st = ratls_curl_last_status(rc, h, &remembered);
    if (rcode == CURLE_OK) {
        fprintf(stderr, "\nattested: %s%s\n", ratls_status_name(st), remembered ? " (remembered certificate)" : "");
    } else {
        const char *why = ratls_curl_last_error(rc, h);
        fprintf(stderr, "transfer refused: %s%s%s\n", curl_easy_strerror(rcode), why ? ": " : "", why ? why : "");
    }
    ratls_curl_detach(rc, h);
    curl_easy_cleanup(h);
    ratls_curl_free(rc);
    ratls_hostmap_free(map);
    curl_free(host);
    curl_url_cleanup(u);
    ratls_policy_free(pol);
    ratls_collateral_source_free(src);
    ratls_verifier_free(v);
    return rcode == CURLE_OK ? 0 : 1;
}
