/* ratls snp show|verify — AMD SEV-SNP attestation reports. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "cli.h"

#define SNP_CERT_FILE_CAP (64u * 1024u)

static void usage_snp(void)
{
    fprintf(stderr, "usage: ratls snp show REPORT [--json]\n"
                    "       ratls snp verify REPORT [--vcek CERT] [--ask CERT] [--ark CERT] [--product NAME]\n"
                    "                        [--crl CRL | --skip-revocation-insecure] [--at UNIX_SECONDS] [--vmpl N]\n"
                    "                        [--allow-debug-insecure] [--policy FILE] [--kds-url URL] [--offline]\n"
                    "                        [--cache-dir DIR] [--no-disk-cache] [--fetch-timeout MS] [--quiet]\n"
                    "                        [--insecure-test-ark CERT] [--json]\n"
                    "REPORT is the raw 1184-byte report, binary or hex, or its blyss JSON form (virtee sev\n"
                    "serde, or the whole blyss response); the VCEK in that JSON is used when --vcek is absent.\n"
                    "CERT is DER or PEM; --ask may hold the ASK and the ARK (a KDS cert_chain). The ARK must\n"
                    "carry AMD's pinned key for the product. What is not given (VCEK, ASK/ARK chain, CRL) is\n"
                    "fetched from AMD KDS (--kds-url, default https://kdsintf.amd.com) through a memory and a\n"
                    "disk cache; --offline uses the caches only. --policy loads an SEV-SNP policy (JSON,\n"
                    "docs/snp.md); --vmpl and the switches given on the command line apply on top of it.\n"
                    "--insecure-test-ark trusts a test ARK instead of AMD's (INSECURE: tests only).\n");
}

/* The blyss JSON form: the first non-blank byte is '{' (as the library decides). */
static int is_json(const uint8_t *b, size_t n)
{
    size_t i = 0;
    while (i < n && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r'))
        i++;
    return i < n && b[i] == '{';
}

static int snp_show(int argc, char **argv)
{
    const char *path;
    int json;
    if (cli_path_and_json(argc, argv, 0, &path, &json)) {
        usage_snp();
        return EXIT_USAGE;
    }
    uint8_t *buf;
    size_t len;
    if (cli_read_quote(path, &buf, &len))
        return EXIT_USAGE;
    ratls_snp_report *rep = NULL;
    char err[512] = "";
    ratls_status s = ratls_snp_report_parse(buf, len, &rep, err, sizeof err);
    int from_json = is_json(buf, len);
    free(buf);
    if (s) {
        fprintf(stderr, "ratls: %s: not a valid SEV-SNP report: %s\n", path, err[0] ? err : ratls_status_str(s));
        return EXIT_REJECTED;
    }
    char *j = NULL;
    s = ratls_snp_report_to_json(rep, &j);
    ratls_snp_report_free(rep);
    if (s != RATLS_OK) {
        fprintf(stderr, "ratls: %s\n", ratls_status_str(s));
        return EXIT_REJECTED;
    }
    if (!json)
        printf("SEV-SNP attestation report, %u bytes%s\n", RATLS_SNP_REPORT_LEN, from_json ? " (from blyss JSON)" : "");
    printf("%s\n", j);
    free(j);
    return EXIT_VERIFIED;
}

static int has_pem(const uint8_t *b, size_t n)
{
    for (size_t i = 0; i + 10 <= n; i++)
        if (memcmp(b + i, "-----BEGIN", 10) == 0)
            return 1;
    return 0;
}

/* Append a certificate file to the chain buffer as PEM (DER is converted), so
 * that --ask and --ark can be given in either encoding. */
static int append_file(const char *path, uint8_t **buf, size_t *len)
{
    uint8_t *b;
    size_t n;
    if (cli_read_file(path, SNP_CERT_FILE_CAP, &b, &n))
        return -1;
    BIO *mem = BIO_new(BIO_s_mem());
    int ok = mem != NULL;
    if (ok && !has_pem(b, n)) {
        const unsigned char *p = b;
        X509 *x = d2i_X509(NULL, &p, (long)n);
        ok = x && p == b + n && PEM_write_bio_X509(mem, x) == 1;
        X509_free(x);
    } else if (ok) {
        ok = BIO_write(mem, b, (int)n) == (int)n && BIO_write(mem, "\n", 1) == 1;
    }
    free(b);
    char *data = NULL;
    long dn = ok ? BIO_get_mem_data(mem, &data) : 0;
    uint8_t *nb = ok && dn > 0 ? realloc(*buf, *len + (size_t)dn) : NULL;
    if (!nb) {
        fprintf(stderr, "ratls: %s is not a DER or PEM certificate\n", path);
        BIO_free(mem);
        return -1;
    }
    memcpy(nb + *len, data, (size_t)dn);
    *len += (size_t)dn;
    *buf = nb;
    BIO_free(mem);
    return 0;
}

/* A report in the blyss JSON form becomes its raw bytes in *rbuf; the VCEK it
 * carries, if any, goes to *vbuf. Raw input is left alone. 0, or -1 after
 * saying why (a malformed report is rejected like a malformed binary one). */
static int snp_json_input(const char *path, int json, uint8_t **rbuf, size_t *rlen, uint8_t **vbuf, size_t *vlen)
{
    if (!is_json(*rbuf, *rlen))
        return 0;
    uint8_t *raw = malloc(RATLS_SNP_REPORT_LEN);
    char err[512] = "";
    ratls_status s =
        raw ? ratls_snp_report_from_json(*rbuf, *rlen, raw, vbuf, vlen, err, sizeof err) : RATLS_ERR_NO_MEMORY;
    if (s != RATLS_OK) {
        char msg[700];
        snprintf(msg, sizeof msg, "%s: not a valid SEV-SNP report: %s", path, err[0] ? err : ratls_status_str(s));
        if (json)
            cli_print_error_json(msg);
        fprintf(stderr, "ratls: %s\n", msg);
        free(raw);
        return -1;
    }
    free(*rbuf);
    *rbuf = raw;
    *rlen = RATLS_SNP_REPORT_LEN;
    return 0;
}

/* Replace *pol with the policy in `path` (JSON). 0, or -1 after saying why. */
static int snp_load_policy(const char *path, ratls_snp_policy **pol)
{
    uint8_t *b = NULL;
    size_t n = 0;
    char err[512] = "";
    ratls_snp_policy *p = NULL;
    if (cli_read_file(path, 64u * 1024u, &b, &n))
        return -1;
    ratls_status s = ratls_snp_policy_from_json(b, n, &p, err, sizeof err);
    free(b);
    if (s != RATLS_OK) {
        fprintf(stderr, "ratls: %s: %s\n", path, err[0] ? err : ratls_status_str(s));
        return -1;
    }
    ratls_snp_policy_free(*pol);
    *pol = p;
    return 0;
}

static int snp_verify(int argc, char **argv)
{
    const char *path = NULL, *vcek_path = NULL, *ask_path = NULL, *ark_path = NULL, *crl_path = NULL;
    int json = 0;
    int64_t now = (int64_t)time(NULL);
    unsigned flags = 0;
    int64_t vmpl = -1; /* --vmpl, applied over --policy */
    const char *policy_path = NULL, *test_ark_path = NULL;
    cli_source_opts so;
    memset(&so, 0, sizeof so);
    ratls_verifier *v = NULL;
    ratls_collateral_source *src = NULL;
    uint8_t *tbuf = NULL;
    size_t tlen = 0;
    ratls_snp_product hint = RATLS_SNP_PRODUCT_UNKNOWN;
    int rc = EXIT_USAGE;
    uint8_t *rbuf = NULL, *vbuf = NULL, *cbuf = NULL, *lbuf = NULL;
    size_t rlen = 0, vlen = 0, clen = 0, llen = 0;
    ratls_result *res = NULL;
    ratls_snp_policy *pol = ratls_snp_policy_new();
    if (!pol)
        return EXIT_USAGE;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!a)
            break;
        int k = cli_source_opt(&so, argc, argv, i);
        if (k < 0)
            goto out;
        if (k > 0) {
            i += k - 1;
        } else if (strcmp(a, "--json") == 0) {
            json = 1;
        } else if (strcmp(a, "--allow-debug-insecure") == 0) {
            flags |= RATLS_SNP_ALLOW_DEBUG_INSECURE;
        } else if (strcmp(a, "--skip-revocation-insecure") == 0) {
            flags |= RATLS_SNP_SKIP_REVOCATION_INSECURE;
        } else if (strcmp(a, "--vcek") == 0 && val) {
            vcek_path = val;
            i++;
        } else if (strcmp(a, "--ask") == 0 && val) {
            ask_path = val;
            i++;
        } else if (strcmp(a, "--crl") == 0 && val) {
            crl_path = val;
            i++;
        } else if (strcmp(a, "--ark") == 0 && val) {
            ark_path = val;
            i++;
        } else if (strcmp(a, "--product") == 0 && val) {
            hint = ratls_snp_product_from_name(val);
            if (hint == RATLS_SNP_PRODUCT_UNKNOWN) {
                fprintf(stderr, "ratls: --product takes Milan, Genoa or Turin, not \"%s\"\n", val);
                goto out;
            }
            i++;
        } else if (strcmp(a, "--vmpl") == 0 && val) {
            if (cli_parse_time(val, &vmpl) || vmpl < 0 || vmpl > 3) {
                fprintf(stderr, "ratls: --vmpl takes 0..3, not \"%s\"\n", val);
                goto out;
            }
            i++;
        } else if (strcmp(a, "--policy") == 0 && val) {
            policy_path = val;
            i++;
        } else if (strcmp(a, "--insecure-test-ark") == 0 && val) {
            test_ark_path = val;
            i++;
        } else if (strcmp(a, "--at") == 0 && val) {
            if (cli_opt_at(val, &now))
                goto out;
            i++;
        } else if (a[0] != '-' && !path) {
            path = a;
        } else {
            usage_snp();
            goto out;
        }
    }
    if (!path) {
        usage_snp();
        goto out;
    }
    if (policy_path && snp_load_policy(policy_path, &pol))
        goto out;
    if (vmpl >= 0 && ratls_snp_policy_set_vmpl(pol, (unsigned)vmpl) != RATLS_OK)
        goto out;
    flags |= ratls_snp_policy_flags(pol); /* the command line adds to the file's switches */
    ratls_snp_policy_set_flags(pol, flags);
    if (cli_read_quote(path, &rbuf, &rlen))
        goto out;
    if (snp_json_input(path, json, &rbuf, &rlen, &vbuf, &vlen)) {
        rc = EXIT_REJECTED;
        goto out;
    }
    if (vcek_path) { /* --vcek wins over a VCEK carried in the JSON */
        free(vbuf);
        vbuf = NULL;
        if (cli_read_file(vcek_path, SNP_CERT_FILE_CAP, &vbuf, &vlen))
            goto out;
    } else if (vbuf && !json) {
        /* untrusted until it chains to the pinned ARK, which verify enforces */
        fprintf(stderr, "ratls: using the VCEK carried in %s\n", path);
    }
    if ((ask_path && append_file(ask_path, &cbuf, &clen)) || (ark_path && append_file(ark_path, &cbuf, &clen)))
        goto out;
    if (crl_path && cli_read_file(crl_path, SNP_CERT_FILE_CAP, &lbuf, &llen))
        goto out;
    if (test_ark_path && cli_read_file(test_ark_path, SNP_CERT_FILE_CAP, &tbuf, &tlen))
        goto out;
    if (!(v = ratls_verifier_new()) || !(src = cli_source_new(&so)))
        goto out;
    ratls_verifier_set_collateral_source(v, src);
    if (tbuf) {
        if (ratls_verifier_set_snp_ark_insecure(v, tbuf, tlen) != RATLS_OK) {
            fprintf(stderr, "ratls: %s is not one self-signed CA certificate\n", test_ark_path);
            goto out;
        }
        if (!json)
            fprintf(stderr, "ratls: WARNING: trusting the test ARK %s instead of AMD's (INSECURE)\n", test_ark_path);
    }
    if (!json && (flags & RATLS_SNP_ALLOW_DEBUG_INSECURE))
        fprintf(stderr, "ratls: WARNING: accepting a DEBUG guest (INSECURE)\n");
    if (!json && !crl_path && (flags & RATLS_SNP_SKIP_REVOCATION_INSECURE))
        fprintf(stderr, "ratls: WARNING: not checking AMD's revocation lists (INSECURE)\n");
    ratls_snp_collateral_parts parts = {vbuf, vlen, cbuf, clen, lbuf, llen};
    ratls_status s = ratls_verifier_verify_snp(v, rbuf, rlen, &parts, hint, pol, now, &res);
    if (!res) {
        fprintf(stderr, "ratls: verification could not run: %s\n", ratls_status_str(s));
        rc = EXIT_REJECTED;
        goto out;
    }
    char title[600];
    snprintf(title, sizeof title, "ratls snp verify %s", path);
    rc = cli_report(res, s, json, title, now);
out:
    ratls_result_free(res);
    ratls_snp_policy_free(pol);
    ratls_verifier_free(v);
    ratls_collateral_source_free(src);
    free(tbuf);
    free(rbuf);
    free(vbuf);
    free(cbuf);
    free(lbuf);
    return rc;
}

int cmd_snp(int argc, char **argv)
{
    if (argc >= 1 && strcmp(argv[0], "show") == 0)
        return snp_show(argc - 1, argv + 1);
    if (argc >= 1 && strcmp(argv[0], "verify") == 0)
        return snp_verify(argc - 1, argv + 1);
    usage_snp();
    return EXIT_USAGE;
}
