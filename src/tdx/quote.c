#include <stdlib.h>
#include <string.h>

#include "base/reader.h"
#include "base/util.h"
#include "tdx/quote.h"

static const uint8_t k_intel_qe_vendor[16] = {0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9,
                                              0x94, 0x0a, 0x0d, 0xb3, 0x95, 0x7f, 0x06, 0x07};

void tdx_parse_sgx_report_body(const uint8_t *p, sgx_report_body *out)
{
    memcpy(out->cpusvn, p, 16);
    out->miscselect = le32(p + 16);
    memcpy(out->attributes, p + 48, 16);
    memcpy(out->mrenclave, p + 64, 32);
    memcpy(out->mrsigner, p + 128, 32);
    out->isvprodid = le16(p + 256);
    out->isvsvn = le16(p + 258);
    memcpy(out->reportdata, p + 320, 64);
}

static void parse_td_body(const uint8_t *b, uint16_t body_type, ratls_tdx_report *t)
{
    memcpy(t->tee_tcb_svn, b + 0, 16);
    memcpy(t->mr_seam, b + 16, 48);
    memcpy(t->mr_signer_seam, b + 64, 48);
    memcpy(t->seam_attributes, b + 112, 8);
    memcpy(t->td_attributes, b + 120, 8);
    memcpy(t->xfam, b + 128, 8);
    memcpy(t->mr_td, b + 136, 48);
    memcpy(t->mr_config_id, b + 184, 48);
    memcpy(t->mr_owner, b + 232, 48);
    memcpy(t->mr_owner_config, b + 280, 48);
    for (int i = 0; i < 4; i++)
        memcpy(t->rtmr[i], b + 328 + 48 * i, 48);
    memcpy(t->report_data, b + 520, 64);
    if (body_type == 3) {
        memcpy(t->tee_tcb_svn2, b + 584, 16);
        memcpy(t->mr_service_td, b + 600, 48);
    }
}

#define FAIL(st, ...)                                                                                                  \
    do {                                                                                                               \
        s = set_err(err, errlen, st, __VA_ARGS__);                                                                     \
        goto fail;                                                                                                     \
    } while (0)

ratls_status ratls_tdx_quote_parse(const uint8_t *buf, size_t len, ratls_tdx_quote **out, char *err, size_t errlen)
{
    ratls_status s = RATLS_OK;
    if (!out || (!buf && len))
        return RATLS_ERR_INVALID_ARGUMENT;
    *out = NULL;
    if (len > RATLS_TDX_MAX_QUOTE_LEN)
        return set_err(err, errlen, RATLS_ERR_TOO_LARGE, "quote is %zu bytes, more than the %u-byte limit", len,
                       RATLS_TDX_MAX_QUOTE_LEN);
    ratls_tdx_quote *q = calloc(1, sizeof *q);
    if (!q)
        return RATLS_ERR_NO_MEMORY;
    q->raw = malloc(len ? len : 1);
    if (!q->raw) {
        free(q);
        return RATLS_ERR_NO_MEMORY;
    }
    if (len)
        memcpy(q->raw, buf, len);
    q->raw_len = len;

    rd_t r;
    rd_init(&r, q->raw, len);
    uint8_t reserved[4];
    if (rd_u16le(&r, &q->version) || rd_u16le(&r, &q->att_key_type) || rd_u32le(&r, &q->tee_type) ||
        rd_copy(&r, reserved, 4) || rd_copy(&r, q->qe_vendor_id, 16) || rd_copy(&r, q->user_data, 20))
        FAIL(RATLS_ERR_QUOTE_TRUNCATED, "quote is %zu bytes, shorter than the 48-byte header", len);
    if (q->version != 4 && q->version != 5)
        FAIL(RATLS_ERR_QUOTE_VERSION, "quote version %u is not a TDX quote version (4 or 5)", q->version);
    if (q->att_key_type != 2)
        FAIL(RATLS_ERR_QUOTE_ATT_KEY_TYPE, "attestation key type %u is not ECDSA-P256 (2)", q->att_key_type);
    if (q->tee_type != 0x81)
        FAIL(RATLS_ERR_QUOTE_TEE_TYPE, "TEE type 0x%x is not TDX (0x81)", q->tee_type);
    if (memcmp(q->qe_vendor_id, k_intel_qe_vendor, 16) != 0)
        FAIL(RATLS_ERR_QUOTE_QE_VENDOR, "QE vendor ID is not Intel's 939A7233F79C4CA9940A0DB3957F0607");

    if (q->version == 5) {
        if (rd_u16le(&r, &q->body_type) || rd_u32le(&r, &q->body_size))
            FAIL(RATLS_ERR_QUOTE_TRUNCATED, "v5 quote ends inside its body descriptor");
        if (q->body_type == 2 && q->body_size != TDX_BODY10_LEN)
            FAIL(RATLS_ERR_QUOTE_BODY_TYPE, "TD 1.0 body declared with size %u (expected 584)", q->body_size);
        else if (q->body_type == 3 && q->body_size != TDX_BODY15_LEN)
            FAIL(RATLS_ERR_QUOTE_BODY_TYPE, "TD 1.5 body declared with size %u (expected 648)", q->body_size);
        else if (q->body_type != 2 && q->body_type != 3)
            FAIL(RATLS_ERR_QUOTE_BODY_TYPE, "body type %u is not a TD report (2 = TD 1.0, 3 = TD 1.5)%s", q->body_type,
                 q->body_type == 1 ? "; an SGX body cannot come with TEE type TDX" : "");
    } else {
        q->body_type = 2;
        q->body_size = TDX_BODY10_LEN;
    }
    const uint8_t *body;
    if (rd_ptr(&r, q->body_size, &body))
        FAIL(RATLS_ERR_QUOTE_TRUNCATED, "quote ends inside its %u-byte TD report body", q->body_size);
    parse_td_body(body, q->body_type, &q->report);
    q->report.quote_version = q->version;
    q->report.body_type = q->body_type;
    q->signed_len = r.off;

    if (rd_u32le(&r, &q->sig_data_len))
        FAIL(RATLS_ERR_QUOTE_TRUNCATED, "quote ends before its signature data length");
    if (q->sig_data_len > rd_left(&r))
        FAIL(RATLS_ERR_QUOTE_TRUNCATED, "signature data declares %u bytes but only %zu remain", q->sig_data_len,
             rd_left(&r));
    q->used_len = r.off + q->sig_data_len; /* bytes after this are padding, ignored */

    rd_t sd;
    rd_init(&sd, q->raw + r.off, q->sig_data_len);
    if (rd_copy(&sd, q->signature, 64) || rd_copy(&sd, q->att_key, 64) || rd_u16le(&sd, &q->cert_data_type) ||
        rd_u32le(&sd, &q->cert_data_size))
        FAIL(RATLS_ERR_QUOTE_SIG_DATA, "signature data (%u bytes) too short for signature, key and header",
             q->sig_data_len);
    if (q->cert_data_type != 6)
        FAIL(RATLS_ERR_QUOTE_CERT_DATA_TYPE, "certification data type %u is not 6 (QE report certification data)",
             q->cert_data_type);
    if (q->cert_data_size != rd_left(&sd))
        FAIL(RATLS_ERR_QUOTE_SIG_DATA, "certification data declares %u bytes but the signature data holds %zu",
             q->cert_data_size, rd_left(&sd));
    if (rd_ptr(&sd, q->cert_data_size, &q->cert_data))
        FAIL(RATLS_ERR_QUOTE_SIG_DATA, "certification data truncated");

    rd_t cd;
    rd_init(&cd, q->cert_data, q->cert_data_size);
    if (rd_ptr(&cd, SGX_REPORT_BODY_LEN, &q->qe_report) || rd_copy(&cd, q->qe_report_sig, 64) ||
        rd_u16le(&cd, &q->qe_auth_len))
        FAIL(RATLS_ERR_QUOTE_CERT_DATA, "certification data too short for the QE report and its signature");
    tdx_parse_sgx_report_body(q->qe_report, &q->qe);
    if (rd_ptr(&cd, q->qe_auth_len, &q->qe_auth))
        FAIL(RATLS_ERR_QUOTE_CERT_DATA, "QE authentication data (%u bytes) runs past the certification data",
             q->qe_auth_len);
    if (rd_u16le(&cd, &q->inner_cert_type) || rd_u32le(&cd, &q->pem_len))
        FAIL(RATLS_ERR_QUOTE_CERT_DATA, "certification data ends before the PCK chain header");
    if (q->inner_cert_type != 5)
        FAIL(RATLS_ERR_QUOTE_CERT_DATA_TYPE, "inner certification data type %u is not 5 (PCK certificate chain)",
             q->inner_cert_type);
    if (q->pem_len > TDX_MAX_PEM_CHAIN_LEN)
        FAIL(RATLS_ERR_TOO_LARGE, "PCK chain of %u bytes exceeds the limit", q->pem_len);
    if (rd_ptr(&cd, q->pem_len, &q->pem))
        FAIL(RATLS_ERR_QUOTE_CERT_DATA, "PCK chain declares %u bytes but only %zu remain", q->pem_len, rd_left(&cd));
    /* Intel's QVL rejects bytes after the inner certification data. */
    if (rd_left(&cd) != 0)
        FAIL(RATLS_ERR_QUOTE_CERT_DATA, "%zu unexpected bytes after the PCK chain inside the certification data",
             rd_left(&cd));
    *out = q;
    return RATLS_OK;
fail:
    ratls_tdx_quote_free(q);
    return s;
}

void ratls_tdx_quote_free(ratls_tdx_quote *q)
{
    if (!q)
        return;
    free(q->raw);
    free(q);
}

const ratls_tdx_report *ratls_tdx_quote_report(const ratls_tdx_quote *q) { return q ? &q->report : NULL; }
