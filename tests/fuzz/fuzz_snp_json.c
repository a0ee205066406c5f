/* libFuzzer target: the blyss JSON form of an SEV-SNP report
 * (ratls_snp_report_from_json) and ratls_snp_report_parse on the same bytes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "snp/snp.h"

/* Messages carry untrusted keys and tokens: printable ASCII only. */
static int ascii(const char *s)
{
    for (; *s; s++)
        if (*s < 0x20 || *s > 0x7e)
            return 0;
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t raw[RATLS_SNP_REPORT_LEN], raw2[RATLS_SNP_REPORT_LEN];
    static uint8_t sentinel;
    uint8_t *vcek = &sentinel; /* must be reset by the call */
    size_t vlen = 1;
    char err[256] = "";
    fuzz_poison_stack();
    ratls_status s = ratls_snp_report_from_json(data, size, raw, &vcek, &vlen, err, sizeof err);
    FUZZ_CHECK(memchr(err, 0, sizeof err) != NULL);
    if (getenv("RATLS_FUZZ_VERBOSE"))
        fprintf(stderr, "snp_json: %s (%s), vcek %zu bytes\n", ratls_status_name(s), s ? err : "ok", vlen);
    if (s != RATLS_OK) {
        FUZZ_CHECK(vcek == NULL && vlen == 0);
        FUZZ_CHECK((s == RATLS_ERR_SNP_REPORT_FORMAT || s == RATLS_ERR_NO_MEMORY) && err[0] != '\0');
        FUZZ_CHECK(ascii(err));
    } else {
        FUZZ_CHECK(size <= 256u * 1024u);
        FUZZ_CHECK((vcek == NULL) == (vlen == 0) && vlen <= SNP_CERT_MAX_LEN);
        /* the same answer without the VCEK, and without an error buffer */
        FUZZ_CHECK(ratls_snp_report_from_json(data, size, raw2, NULL, NULL, NULL, 0) == RATLS_OK);
        FUZZ_CHECK(memcmp(raw, raw2, sizeof raw) == 0);
        if (vcek) { /* what the verifier would do next with it */
            snp_vek_info info;
            char verr[256] = "";
            (void)snp_vek_der_parse(vcek, vlen, &info, verr, sizeof verr);
            FUZZ_CHECK(memchr(verr, 0, sizeof verr) != NULL);
        }
        free(vcek);
    }
    /* ratls_snp_report_parse: JSON is exactly from_json then the binary parser */
    ratls_snp_report *r = NULL;
    char perr[256] = "";
    ratls_status ps = ratls_snp_report_parse(data, size, &r, perr, sizeof perr);
    FUZZ_CHECK(memchr(perr, 0, sizeof perr) != NULL && ascii(perr));
    FUZZ_CHECK((ps == RATLS_OK) == (r != NULL));
    if (getenv("RATLS_FUZZ_VERBOSE"))
        fprintf(stderr, "snp_json: parse %s (%s)\n", ratls_status_name(ps), ps ? perr : "ok");
    if (snp_report_is_json(data, size)) {
        if (s != RATLS_OK) {
            FUZZ_CHECK(ps == s);
        } else {
            ratls_snp_report *b = NULL;
            ratls_status bs = ratls_snp_report_parse(raw, sizeof raw, &b, NULL, 0);
            FUZZ_CHECK(bs == ps);
            if (b)
                FUZZ_CHECK(memcmp(b->raw, r->raw, sizeof raw) == 0 && memcmp(r->raw, raw, sizeof raw) == 0);
            ratls_snp_report_free(b);
        }
    }
    if (r) {
        char *j = NULL;
        ratls_status js = ratls_snp_report_to_json(r, &j);
        FUZZ_CHECK(js == RATLS_OK ? j != NULL : js == RATLS_ERR_NO_MEMORY);
        free(j);
    }
    ratls_snp_report_free(r);
    return 0;
}
