/* SEV-SNP attestation report parser: every byte through the bounded reader,
 * reserved ranges checked, no struct cast onto the buffer. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "base/json_util.h"
#include "base/reader.h"
#include "base/util.h"
#include "snp/snp.h"

static int rd_u64le(rd_t *r, uint64_t *v)
{
    const uint8_t *p;
    if (rd_ptr(r, 8, &p) != 0)
        return -1;
    *v = (uint64_t)le32(p) | ((uint64_t)le32(p + 4) << 32);
    return 0;
}

static int all_zero(const uint8_t *p, size_t n)
{
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++)
        acc |= p[i];
    return acc == 0;
}

/* Skip n reserved bytes that must be zero; off is the offset for the message. */
static ratls_status rd_mbz(rd_t *r, size_t n, char *err, size_t errlen)
{
    size_t off = r->off;
    const uint8_t *p;
    if (rd_ptr(r, n, &p) != 0)
        return set_err(err, errlen, RATLS_ERR_SNP_REPORT_FORMAT, "report truncated at offset 0x%zx", off);
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return set_err(err, errlen, RATLS_ERR_SNP_REPORT_FORMAT, "reserved byte at offset 0x%zx is not zero",
                           off + i);
    return RATLS_OK;
}

ratls_snp_product snp_product_from_cpuid(uint8_t family, uint8_t model)
{
    /* Ranges of virtee sev Generation::identify_cpu. */
    if (family == 0x19 && model <= 0x0F)
        return RATLS_SNP_PRODUCT_MILAN;
    if (family == 0x19 && ((model >= 0x10 && model <= 0x1F) || (model >= 0xA0 && model <= 0xAF)))
        return RATLS_SNP_PRODUCT_GENOA;
    if (family == 0x1A && model <= 0x11)
        return RATLS_SNP_PRODUCT_TURIN;
    return RATLS_SNP_PRODUCT_UNKNOWN;
}

void snp_tcb_split(uint64_t tcb, ratls_snp_product p, snp_tcb *out)
{
    uint8_t b[8];
    for (unsigned i = 0; i < 8; i++)
        b[i] = (uint8_t)(tcb >> (8 * i));
    memset(out, 0, sizeof *out);
    if (p == RATLS_SNP_PRODUCT_TURIN) {
        out->fmc = b[0];
        out->bl = b[1];
        out->tee = b[2];
        out->snp = b[3];
    } else {
        out->bl = b[0];
        out->tee = b[1];
        out->snp = b[6];
    }
    out->ucode = b[7];
}

#define NEED(expr)                                                                                                     \
    do {                                                                                                               \
        if ((expr) != 0)                                                                                               \
            return set_err(err, errlen, RATLS_ERR_SNP_REPORT_FORMAT, "report truncated at offset 0x%zx", r.off);       \
    } while (0)
#define MBZ(n)                                                                                                         \
    do {                                                                                                               \
        ratls_status s_ = rd_mbz(&r, (n), err, errlen);                                                                \
        if (s_ != RATLS_OK)                                                                                            \
            return s_;                                                                                                 \
    } while (0)

ratls_status snp_report_parse_into(const uint8_t *buf, size_t len, struct ratls_snp_report *o, char *err, size_t errlen)
{
    if (!buf || !o)
        return set_err(err, errlen, RATLS_ERR_INVALID_ARGUMENT, "no report");
    memset(o, 0, sizeof *o);
    if (len != RATLS_SNP_REPORT_LEN)
        return set_err(err, errlen, RATLS_ERR_SNP_REPORT_FORMAT, "report is %zu bytes, expected %u", len,
                       RATLS_SNP_REPORT_LEN);
    rd_t r;
    rd_init(&r, buf, len);
    NEED(rd_u32le(&r, &o->version));
    if (o->version != 2 && o->version != 3 && o->version != 5)
        return set_err(err, errlen, RATLS_ERR_SNP_REPORT_FORMAT, "unsupported report version %u (2, 3 and 5 known)",
                       o->version);
    NEED(rd_u32le(&r, &o->guest_svn));
    NEED(rd_u64le(&r, &o->policy));
    if (!(o->policy & SNP_POLICY_RESERVED_1))
        return set_err(err, errlen, RATLS_ERR_SNP_REPORT_FORMAT, "guest policy bit 17 (reserved, must be 1) is 0");
    if (o->policy & SNP_POLICY_MBZ_MASK)
        return set_err(err, errlen, RATLS_ERR_SNP_REPORT_FORMAT, "guest policy 0x%llx sets reserved bits 63:26",
                       (unsigned long long)o->policy);
    NEED(rd_copy(&r, o->family_id, sizeof o->family_id));
    NEED(rd_copy(&r, o->image_id, sizeof o->image_id));
    NEED(rd_u32le(&r, &o->vmpl));
    NEED(rd_u32le(&r, &o->signature_algo));
    NEED(rd_u64le(&r, &o->current_tcb));
    NEED(rd_u64le(&r, &o->platform_info)); /* unknown bits kept: genuine Turin reports set bit 6 */
    NEED(rd_u32le(&r, &o->signer_info));
    o->author_key_en = o->signer_info & 1u;
    o->mask_chip_key = (o->signer_info >> 1) & 1u;
    o->signing_key = (o->signer_info >> 2) & 7u;
    if (o->signer_info >> 5)
        return set_err(err, errlen, RATLS_ERR_SNP_REPORT_FORMAT, "signer info 0x%x sets reserved bits 31:5",
                       o->signer_info);
    if (o->signing_key != SNP_SIGNING_KEY_VCEK && o->signing_key != SNP_SIGNING_KEY_VLEK &&
        o->signing_key != SNP_SIGNING_KEY_NONE)
        return set_err(err, errlen, RATLS_ERR_SNP_REPORT_FORMAT, "reserved signing key selector %u", o->signing_key);
    MBZ(4); /* 0x4C */
    NEED(rd_copy(&r, o->report_data, sizeof o->report_data));
    NEED(rd_copy(&r, o->measurement, sizeof o->measurement));
    NEED(rd_copy(&r, o->host_data, sizeof o->host_data));
    NEED(rd_copy(&r, o->id_key_digest, sizeof o->id_key_digest));
    NEED(rd_copy(&r, o->author_key_digest, sizeof o->author_key_digest));
    NEED(rd_copy(&r, o->report_id, sizeof o->report_id));
    NEED(rd_copy(&r, o->report_id_ma, sizeof o->report_id_ma));
    NEED(rd_u64le(&r, &o->reported_tcb));
    if (o->version >= 3) { /* 0x188 */
        o->has_cpuid = 1;
        NEED(rd_u8(&r, &o->cpuid_fam_id));
        NEED(rd_u8(&r, &o->cpuid_mod_id));
        NEED(rd_u8(&r, &o->cpuid_step));
        MBZ(0x1A0 - 0x18B);
    } else {
        MBZ(0x1A0 - 0x188);
    }
    NEED(rd_copy(&r, o->chip_id, sizeof o->chip_id));
    NEED(rd_u64le(&r, &o->committed_tcb));
    NEED(rd_u8(&r, &o->current_build));
    NEED(rd_u8(&r, &o->current_minor));
    NEED(rd_u8(&r, &o->current_major));
    MBZ(1); /* 0x1EB */
    NEED(rd_u8(&r, &o->committed_build));
    NEED(rd_u8(&r, &o->committed_minor));
    NEED(rd_u8(&r, &o->committed_major));
    MBZ(1); /* 0x1EF */
    NEED(rd_u64le(&r, &o->launch_tcb));
    if (o->version >= 5) { /* 0x1F8 */
        o->has_mit_vector = 1;
        NEED(rd_u64le(&r, &o->launch_mit_vector));
        NEED(rd_u64le(&r, &o->current_mit_vector));
        MBZ(SNP_SIGNED_LEN - 0x208);
    } else {
        MBZ(SNP_SIGNED_LEN - 0x1F8);
    }
    /* 0x2A0: R and S, 72 bytes each, little-endian; P-384 uses 48, the rest is zero. */
    NEED(rd_copy(&r, o->sig_r, sizeof o->sig_r));
    NEED(rd_copy(&r, o->sig_s, sizeof o->sig_s));
    if (!all_zero(o->sig_r + SNP_P384_LEN, SNP_SIG_COMPONENT_LEN - SNP_P384_LEN) ||
        !all_zero(o->sig_s + SNP_P384_LEN, SNP_SIG_COMPONENT_LEN - SNP_P384_LEN))
        return set_err(err, errlen, RATLS_ERR_SNP_REPORT_FORMAT,
                       "signature R or S has non-zero padding beyond 48 bytes");
    MBZ(RATLS_SNP_REPORT_LEN - 0x330);
    if (rd_left(&r) != 0)
        return set_err(err, errlen, RATLS_ERR_INTERNAL, "report layout mismatch");
    memcpy(o->raw, buf, len);
    return RATLS_OK;
}

ratls_status ratls_snp_report_parse(const uint8_t *buf, size_t len, ratls_snp_report **out, char *err, size_t errlen)
{
    if (!out)
        return set_err(err, errlen, RATLS_ERR_INVALID_ARGUMENT, "no output");
    *out = NULL;
    if (!buf)
        return set_err(err, errlen, RATLS_ERR_INVALID_ARGUMENT, "no report");
    uint8_t raw[RATLS_SNP_REPORT_LEN];
    if (snp_report_is_json(buf, len)) {
        ratls_status js = ratls_snp_report_from_json(buf, len, raw, NULL, NULL, err, errlen);
        if (js != RATLS_OK)
            return js;
        buf = raw;
        len = sizeof raw;
    }
    ratls_snp_report *r = malloc(sizeof *r);
    if (!r)
        return set_err(err, errlen, RATLS_ERR_NO_MEMORY, "out of memory");
    ratls_status s = snp_report_parse_into(buf, len, r, err, errlen);
    if (s != RATLS_OK) {
        free(r);
        return s;
    }
    *out = r;
    return RATLS_OK;
}

void ratls_snp_report_free(ratls_snp_report *r) { free(r); }

ratls_snp_product ratls_snp_report_product(const ratls_snp_report *r)
{
    if (!r || !r->has_cpuid)
        return RATLS_SNP_PRODUCT_UNKNOWN;
    return snp_product_from_cpuid(r->cpuid_fam_id, r->cpuid_mod_id);
}

const char *ratls_snp_product_name(ratls_snp_product p)
{
    switch (p) {
    case RATLS_SNP_PRODUCT_MILAN:
        return "Milan";
    case RATLS_SNP_PRODUCT_GENOA:
        return "Genoa";
    case RATLS_SNP_PRODUCT_TURIN:
        return "Turin";
    case RATLS_SNP_PRODUCT_UNKNOWN:
    default:
        return "unknown";
    }
}

ratls_snp_product ratls_snp_product_from_name(const char *name)
{
    if (!name)
        return RATLS_SNP_PRODUCT_UNKNOWN;
    if (strcasecmp(name, "milan") == 0)
        return RATLS_SNP_PRODUCT_MILAN;
    if (strcasecmp(name, "genoa") == 0)
        return RATLS_SNP_PRODUCT_GENOA;
    if (strcasecmp(name, "turin") == 0)
        return RATLS_SNP_PRODUCT_TURIN;
    return RATLS_SNP_PRODUCT_UNKNOWN;
}

static json_t *jtcb(uint64_t tcb, ratls_snp_product p)
{
    snp_tcb t;
    snp_tcb_split(tcb, p, &t);
    json_t *o = json_object();
    if (!o)
        return NULL;
    char raw[17];
    uint8_t b[8];
    for (unsigned i = 0; i < 8; i++)
        b[i] = (uint8_t)(tcb >> (8 * i));
    hex_encode(b, 8, raw);
    json_object_set_new(o, "raw", json_string(raw));
    if (p == RATLS_SNP_PRODUCT_TURIN)
        json_object_set_new(o, "fmc", json_integer(t.fmc));
    json_object_set_new(o, "bootloader", json_integer(t.bl));
    json_object_set_new(o, "tee", json_integer(t.tee));
    json_object_set_new(o, "snp", json_integer(t.snp));
    json_object_set_new(o, "microcode", json_integer(t.ucode));
    return o;
}

ratls_status ratls_snp_report_to_json(const ratls_snp_report *r, char **json_out)
{
    if (!r || !json_out)
        return RATLS_ERR_INVALID_ARGUMENT;
    *json_out = NULL;
    ratls_snp_product p = ratls_snp_report_product(r);
    json_t *o = json_object();
    if (!o)
        return RATLS_ERR_NO_MEMORY;
    json_object_set_new(o, "version", json_integer(r->version));
    json_object_set_new(o, "product", json_string(ratls_snp_product_name(p)));
    json_object_set_new(o, "guest_svn", json_integer(r->guest_svn));
    json_object_set_new(o, "policy", json_integer((json_int_t)r->policy)); /* bits 63:26 are zero */
    json_object_set_new(o, "policy_abi_major", json_integer((json_int_t)((r->policy >> 8) & 0xff)));
    json_object_set_new(o, "policy_abi_minor", json_integer((json_int_t)(r->policy & 0xff)));
    json_object_set_new(o, "policy_smt", json_boolean(r->policy & SNP_POLICY_SMT));
    json_object_set_new(o, "policy_migrate_ma", json_boolean(r->policy & SNP_POLICY_MIGRATE_MA));
    json_object_set_new(o, "policy_debug", json_boolean(r->policy & SNP_POLICY_DEBUG));
    json_object_set_new(o, "family_id", json_hex(r->family_id, sizeof r->family_id));
    json_object_set_new(o, "image_id", json_hex(r->image_id, sizeof r->image_id));
    json_object_set_new(o, "vmpl", json_integer(r->vmpl));
    json_object_set_new(o, "signature_algo", json_integer(r->signature_algo));
    json_object_set_new(o, "current_tcb", jtcb(r->current_tcb, p));
    char pi[19];
    snprintf(pi, sizeof pi, "0x%llx", (unsigned long long)r->platform_info);
    json_object_set_new(o, "platform_info", json_string(pi));
    json_object_set_new(o, "author_key_en", json_boolean(r->author_key_en));
    json_object_set_new(o, "mask_chip_key", json_boolean(r->mask_chip_key));
    json_object_set_new(o, "signing_key",
                        json_string(r->signing_key == SNP_SIGNING_KEY_VCEK   ? "vcek"
                                    : r->signing_key == SNP_SIGNING_KEY_VLEK ? "vlek"
                                                                             : "none"));
    json_object_set_new(o, "report_data", json_hex(r->report_data, sizeof r->report_data));
    json_object_set_new(o, "measurement", json_hex(r->measurement, sizeof r->measurement));
    json_object_set_new(o, "host_data", json_hex(r->host_data, sizeof r->host_data));
    json_object_set_new(o, "id_key_digest", json_hex(r->id_key_digest, sizeof r->id_key_digest));
    json_object_set_new(o, "author_key_digest", json_hex(r->author_key_digest, sizeof r->author_key_digest));
    json_object_set_new(o, "report_id", json_hex(r->report_id, sizeof r->report_id));
    json_object_set_new(o, "report_id_ma", json_hex(r->report_id_ma, sizeof r->report_id_ma));
    json_object_set_new(o, "reported_tcb", jtcb(r->reported_tcb, p));
    if (r->has_cpuid) {
        json_object_set_new(o, "cpuid_fam_id", json_integer(r->cpuid_fam_id));
        json_object_set_new(o, "cpuid_mod_id", json_integer(r->cpuid_mod_id));
        json_object_set_new(o, "cpuid_step", json_integer(r->cpuid_step));
    }
    json_object_set_new(o, "chip_id", json_hex(r->chip_id, sizeof r->chip_id));
    json_object_set_new(o, "committed_tcb", jtcb(r->committed_tcb, p));
    char v[16];
    snprintf(v, sizeof v, "%u.%u.%u", r->current_major, r->current_minor, r->current_build);
    json_object_set_new(o, "current_version", json_string(v));
    snprintf(v, sizeof v, "%u.%u.%u", r->committed_major, r->committed_minor, r->committed_build);
    json_object_set_new(o, "committed_version", json_string(v));
    json_object_set_new(o, "launch_tcb", jtcb(r->launch_tcb, p));
    if (r->has_mit_vector) {
        snprintf(pi, sizeof pi, "0x%llx", (unsigned long long)r->launch_mit_vector);
        json_object_set_new(o, "launch_mit_vector", json_string(pi));
        snprintf(pi, sizeof pi, "0x%llx", (unsigned long long)r->current_mit_vector);
        json_object_set_new(o, "current_mit_vector", json_string(pi));
    }
    json_object_set_new(o, "signature_r", json_hex(r->sig_r, SNP_P384_LEN));
    json_object_set_new(o, "signature_s", json_hex(r->sig_s, SNP_P384_LEN));
    char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (!s)
        return RATLS_ERR_NO_MEMORY;
    *json_out = s;
    return RATLS_OK;
}
