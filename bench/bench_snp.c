/* ratls_bench_snp: SEV-SNP report verification on the real vectors.
 *
 *   cold   a fresh verifier per report: the chain is verified from scratch
 *          (ARK pin and self-signature, ASK and VCEK RSA-PSS signatures,
 *          VCEK extensions) and then the report's P-384 signature;
 *   warm   one verifier, the same chip's report again: the chain comes from
 *          the verifier's memory, the report signature is checked;
 *   p384   one ECDSA P-384 / SHA-384 verification of the report with OpenSSL's
 *          EVP API, nothing else: the floor a warm verification is compared with;
 *   p384k  the same with the low-level EC_KEY API and the key built once
 *          (the fastest single OpenSSL verification; the warm path uses this
 *          API but rebuilds the key from its point every time).
 *
 * Revocation is skipped (RATLS_SNP_SKIP_REVOCATION_INSECURE) because the
 * vectors hold no CRL that AMD's ARK signed; with a CRL the cold path adds one
 * RSA-4096 verification. Medians (nearest rank) over --iterations runs, pinned
 * to one CPU. Prints; asserts nothing (a failed verification stops it).
 *
 * usage: ratls_bench_snp [--vectors DIR] [--iterations N] [--json]
 */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE 1 /* sched_setaffinity */
#endif
#define OPENSSL_SUPPRESS_DEPRECATED 1 /* EC_KEY: the p384k baseline */

#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/sha.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "ratls/ratls.h"

#define AT 1780000000 /* inside every real VCEK's window */

typedef struct snp_case {
    const char *name;
    const char *report, *vcek, *chain[2];
    ratls_snp_product hint;
    unsigned vmpl;
} snp_case;

#define MS "microsoft-TEE-Attestation-Verification/"
#define GT "google-go-sev-guest/verify/trust/"
static const snp_case k_cases[] = {
    {"milan_v3",
     MS "tests/test_data/milan_attestation_report.bin",
     MS "tests/test_data/milan_vcek.pem",
     {MS "tests/test_data/milan_ask.pem", MS "src/pinned_arks/milan_ark.pem"},
     RATLS_SNP_PRODUCT_UNKNOWN,
     0},
    {"turin_v5",
     MS "tests/test_data/turin_attestation_report.bin",
     MS "tests/test_data/turin_vcek.pem",
     {MS "tests/test_data/turin_ask.pem", MS "src/pinned_arks/turin_ark.pem"},
     RATLS_SNP_PRODUCT_UNKNOWN,
     0},
    {"genoa_v2_blyss",
     "blyssprivacy-verifier/derived/test_full_attestation.report.bin",
     "blyssprivacy-verifier/derived/test_full_attestation.vcek.der",
     {GT "ask_ark_genoa.pem", NULL},
     RATLS_SNP_PRODUCT_GENOA,
     1},
};

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static uint8_t *slurp(const char *dir, const char *rel, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/snp/%s", dir, rel);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    uint8_t *b = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 8192;
            uint8_t *nb = realloc(b, cap);
            if (!nb) {
                free(b);
                fclose(f);
                return NULL;
            }
            b = nb;
        }
        size_t k = fread(b + n, 1, cap - n, f);
        if (k == 0)
            break;
        n += k;
    }
    fclose(f);
    *len = n;
    return b;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, long n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    long rank = (n + 1) / 2; /* nearest rank for p = 0.5 */
    return v[rank - 1];
}

static void die(const char *what, ratls_status st, ratls_result *res)
{
    fprintf(stderr, "ratls_bench_snp: %s: %s%s%s\n", what, ratls_status_name(st), res ? ": " : "",
            res ? ratls_result_error(res) : "");
    exit(1);
}

/* One raw P-384 verification of the report under the VCEK's key. */
static int p384_once(EVP_PKEY *pk, const uint8_t *rep, const unsigned char *sig, size_t siglen)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok = md && EVP_DigestVerifyInit(md, NULL, EVP_sha384(), NULL, pk) == 1 &&
             EVP_DigestVerify(md, sig, siglen, rep, 0x2A0) == 1;
    EVP_MD_CTX_free(md);
    return ok;
}

static EVP_PKEY *vcek_key(const uint8_t *b, size_t n)
{
    X509 *x = NULL;
    if (n > 10 && memcmp(b, "-----BEGIN", 10) == 0) {
        BIO *bio = BIO_new_mem_buf(b, (int)n);
        x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
        BIO_free(bio);
    } else {
        const unsigned char *p = b;
        x = d2i_X509(NULL, &p, (long)n);
    }
    EVP_PKEY *k = x ? X509_get_pubkey(x) : NULL;
    X509_free(x);
    return k;
}

int main(int argc, char **argv)
{
    const char *dir = RATLS_SOURCE_DIR "/../shared/vectors";
    long iters = 300;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--vectors") == 0 && i + 1 < argc)
            dir = argv[++i];
        else if (strcmp(argv[i], "--iterations") == 0 && i + 1 < argc)
            iters = strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else {
            fprintf(stderr, "usage: ratls_bench_snp [--vectors DIR] [--iterations N] [--json]\n");
            return 2;
        }
    }
    if (iters < 10)
        iters = 10;
#ifdef __linux__
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(0, &set);
    int pinned = sched_setaffinity(0, sizeof set, &set) == 0;
#else
    int pinned = 0;
#endif
    if (!json)
        printf("SEV-SNP report verification, %ld runs per figure, %s, medians in microseconds\n"
               "(P-384 EVP / EC_KEY: one OpenSSL verification of the same report, nothing else)\n",
               iters, pinned ? "pinned to CPU 0" : "not pinned");
    double *t = malloc(sizeof(double) * (size_t)iters);
    if (!t)
        return 1;
    int ran = 0;
    for (size_t ci = 0; ci < sizeof k_cases / sizeof k_cases[0]; ci++) {
        const snp_case *c = &k_cases[ci];
        size_t rl = 0, vl = 0, l0 = 0, l1 = 0;
        uint8_t *rep = slurp(dir, c->report, &rl), *vc = slurp(dir, c->vcek, &vl);
        uint8_t *c0 = slurp(dir, c->chain[0], &l0), *c1 = c->chain[1] ? slurp(dir, c->chain[1], &l1) : NULL;
        if (!rep || !vc || !c0 || (c->chain[1] && !c1)) {
            fprintf(stderr, "ratls_bench_snp: %s: vectors missing under %s/snp; skipped\n", c->name, dir);
            free(rep), free(vc), free(c0), free(c1);
            continue;
        }
        uint8_t *chain = malloc(l0 + l1 + 1);
        if (!chain)
            return 1;
        memcpy(chain, c0, l0);
        chain[l0] = '\n';
        if (c1)
            memcpy(chain + l0 + 1, c1, l1);
        size_t cl = l0 + 1 + l1;
        ratls_snp_collateral_parts parts = {vc, vl, chain, cl, NULL, 0};
        ratls_snp_policy *pol = ratls_snp_policy_new();
        if (!pol || ratls_snp_policy_set_vmpl(pol, c->vmpl) != RATLS_OK)
            return 1;
        ratls_snp_policy_set_flags(pol, RATLS_SNP_SKIP_REVOCATION_INSECURE);

        /* cold: a fresh verifier each time */
        for (long i = 0; i < iters; i++) {
            int64_t t0 = now_ns();
            ratls_verifier *v = ratls_verifier_new();
            ratls_result *res = NULL;
            ratls_status st = ratls_verifier_verify_snp(v, rep, rl, &parts, c->hint, pol, AT, &res);
            if (st != RATLS_OK)
                die(c->name, st, res);
            ratls_result_free(res);
            ratls_verifier_free(v);
            t[i] = (double)(now_ns() - t0) / 1000.0;
        }
        double cold = median(t, iters);
        /* warm: one verifier */
        ratls_verifier *v = ratls_verifier_new();
        for (long i = -1; i < iters; i++) {
            int64_t t0 = now_ns();
            ratls_result *res = NULL;
            ratls_status st = ratls_verifier_verify_snp(v, rep, rl, &parts, c->hint, pol, AT, &res);
            if (st != RATLS_OK)
                die(c->name, st, res);
            ratls_result_free(res);
            if (i >= 0)
                t[i] = (double)(now_ns() - t0) / 1000.0;
        }
        double warm = median(t, iters);
        ratls_verifier_free(v);
        /* the floor: one P-384 verification of the same report */
        EVP_PKEY *pk = vcek_key(vc, vl);
        ECDSA_SIG *sig = ECDSA_SIG_new();
        BIGNUM *br = BN_lebin2bn(rep + 0x2A0, 48, NULL), *bs = BN_lebin2bn(rep + 0x2E8, 48, NULL);
        unsigned char *der = NULL;
        int dl = sig && br && bs && ECDSA_SIG_set0(sig, br, bs) ? i2d_ECDSA_SIG(sig, &der) : -1;
        if (!pk || dl <= 0)
            return 1;
        for (long i = 0; i < iters; i++) {
            int64_t t0 = now_ns();
            if (!p384_once(pk, rep, der, (size_t)dl))
                return 1;
            t[i] = (double)(now_ns() - t0) / 1000.0;
        }
        double p384 = median(t, iters);
        /* and with EC_KEY, the key built once */
        const EC_KEY *ek = EVP_PKEY_get0_EC_KEY(pk);
        uint8_t dg[48];
        for (long i = 0; ek && i < iters; i++) {
            int64_t t0 = now_ns();
            SHA384(rep, 0x2A0, dg);
            if (ECDSA_do_verify(dg, 48, sig, (EC_KEY *)ek) != 1)
                return 1;
            t[i] = (double)(now_ns() - t0) / 1000.0;
        }
        double p384k = ek ? median(t, iters) : 0;
        OPENSSL_free(der);
        ECDSA_SIG_free(sig);
        EVP_PKEY_free(pk);
        if (json)
            printf("{\"case\":\"%s\",\"cold_us\":%.1f,\"warm_us\":%.1f,\"p384_us\":%.1f,\"p384k_us\":%.1f,"
                   "\"warm_over_p384\":%.3f,\"warm_over_p384k\":%.3f,\"runs\":%ld}\n",
                   c->name, cold, warm, p384, p384k, warm / p384, warm / p384k, iters);
        else
            printf("%-16s cold %7.1f  warm %7.1f  P-384 EVP %7.1f  EC_KEY %7.1f  warm/EVP %.3f  warm/EC_KEY %.3f\n",
                   c->name, cold, warm, p384, p384k, warm / p384, warm / p384k);
        ran++;
        ratls_snp_policy_free(pol);
        free(chain), free(rep), free(vc), free(c0), free(c1);
    }
    free(t);
    if (!ran)
        printf("no SEV-SNP vectors under %s/snp; nothing measured\n", dir);
    return 0;
}
