/* libFuzzer target: the AMD extensions of a VCEK or VLEK (struct version,
 * product name, SPLs, HWID, CSP id) parsed from one DER certificate. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "snp/snp.h"

static int printable(const char *s, size_t cap)
{
    const char *end = memchr(s, 0, cap);
    if (!end)
        return 0;
    for (const char *p = s; p < end; p++)
        if (*p < 0x20 || *p > 0x7e)
            return 0;
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    snp_vek_info info;
    char err[256] = "";
    fuzz_poison_stack();
    int rc = snp_vek_der_parse(data, size, &info, err, sizeof err);
    FUZZ_CHECK(rc == 0 || rc == -1);
    FUZZ_CHECK(memchr(err, 0, sizeof err) != NULL);
    if (getenv("RATLS_FUZZ_VERBOSE"))
        fprintf(stderr, "snp_vcek: %s%s%s product \"%s\" hwid %zu csp \"%s\"\n", rc ? "rejected" : "ok",
                err[0] ? ": " : "", err, rc ? "" : info.product_name, rc ? 0 : info.hwid_len, rc ? "" : info.csp_id);
    if (rc != 0)
        return 0;
    FUZZ_CHECK(size > 0 && size <= SNP_CERT_MAX_LEN);
    FUZZ_CHECK(info.hwid_len == 0 || info.hwid_len == 8 || info.hwid_len == 64);
    FUZZ_CHECK(!(info.hwid_len && info.has_csp_id));
    FUZZ_CHECK(info.has_struct_version || info.struct_version == 0);
    FUZZ_CHECK(info.struct_version <= 255);
    FUZZ_CHECK(printable(info.product_name, sizeof info.product_name));
    FUZZ_CHECK(info.product == snp_product_from_cert_name(info.product_name) ||
               (info.product_name[0] == 0 && info.product == RATLS_SNP_PRODUCT_UNKNOWN));
    FUZZ_CHECK(info.product >= RATLS_SNP_PRODUCT_UNKNOWN && info.product <= RATLS_SNP_PRODUCT_TURIN);
    FUZZ_CHECK(printable(info.csp_id, sizeof info.csp_id));
    FUZZ_CHECK(info.has_csp_id == (info.csp_id[0] != 0));
    for (unsigned i = 0; i < SNP_SPL_COUNT; i++)
        FUZZ_CHECK(info.has_spl[i] || info.spl[i] == 0);
    /* deterministic */
    snp_vek_info again;
    FUZZ_CHECK(snp_vek_der_parse(data, size, &again, NULL, 0) == 0);
    FUZZ_CHECK(memcmp(&info, &again, sizeof info) == 0);
    return 0;
}
