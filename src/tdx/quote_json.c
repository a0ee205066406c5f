/* Decoding a quote for people and tools (`ratls quote show`). */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "base/util.h"
#include "tdx/pem_chain.h"
#include "tdx/quote.h"

#include "base/json_util.h"

#define jhex json_hex

ratls_status ratls_tdx_quote_to_json(const ratls_tdx_quote *q, char **json_out)
{
    if (!q || !json_out)
        return RATLS_ERR_INVALID_ARGUMENT;
    *json_out = NULL;
    json_t *o = json_object(), *hdr = json_object(), *sig = json_object(), *qe = json_object(), *certs = json_array();
    if (!o || !hdr || !sig || !qe || !certs) {
        json_decref(o);
        json_decref(hdr);
        json_decref(sig);
        json_decref(qe);
        json_decref(certs);
        return RATLS_ERR_NO_MEMORY;
    }
    json_object_set_new(hdr, "version", json_integer(q->version));
    json_object_set_new(hdr, "att_key_type", json_integer(q->att_key_type));
    json_object_set_new(hdr, "tee_type", json_integer(q->tee_type));
    json_object_set_new(hdr, "qe_vendor_id", jhex(q->qe_vendor_id, 16));
    json_object_set_new(hdr, "user_data", jhex(q->user_data, 20));
    json_object_set_new(hdr, "body_type", json_integer(q->body_type));
    json_object_set_new(hdr, "body_size", json_integer(q->body_size));
    json_object_set_new(o, "header", hdr);
    json_object_set_new(o, "td_report", tdx_report_to_json(&q->report));

    json_object_set_new(sig, "signature", jhex(q->signature, 64));
    json_object_set_new(sig, "attestation_key", jhex(q->att_key, 64));
    json_object_set_new(sig, "cert_data_type", json_integer(q->cert_data_type));
    json_object_set_new(qe, "cpusvn", jhex(q->qe.cpusvn, 16));
    json_object_set_new(qe, "miscselect", json_integer(q->qe.miscselect));
    json_object_set_new(qe, "attributes", jhex(q->qe.attributes, 16));
    json_object_set_new(qe, "mrenclave", jhex(q->qe.mrenclave, 32));
    json_object_set_new(qe, "mrsigner", jhex(q->qe.mrsigner, 32));
    json_object_set_new(qe, "isvprodid", json_integer(q->qe.isvprodid));
    json_object_set_new(qe, "isvsvn", json_integer(q->qe.isvsvn));
    json_object_set_new(qe, "reportdata", jhex(q->qe.reportdata, 64));
    json_object_set_new(sig, "qe_report", qe);
    json_object_set_new(sig, "qe_report_signature", jhex(q->qe_report_sig, 64));
    json_object_set_new(sig, "qe_auth_data", q->qe_auth_len <= 384 ? jhex(q->qe_auth, q->qe_auth_len) : json_null());
    json_object_set_new(sig, "inner_cert_data_type", json_integer(q->inner_cert_type));

    rchain chain = {{0}, 0};
    char err[256];
    if (pem_chain_parse(q->pem, q->pem_len, TDX_MAX_CERTS, &chain, err, sizeof err) == RATLS_OK) {
        for (size_t i = 0; i < chain.n; i++) {
            char sub[300], nb[32], na[32];
            rcert_describe(chain.c[i], sub, sizeof sub);
            format_iso8601_utc(chain.c[i]->not_before, nb);
            format_iso8601_utc(chain.c[i]->not_after, na);
            json_array_append_new(certs,
                                  json_pack("{s:s, s:s, s:s}", "subject", sub, "not_before", nb, "not_after", na));
        }
        rchain_free(&chain);
    } else {
        json_object_set_new(sig, "pck_chain_error", json_string(err));
    }
    json_object_set_new(sig, "pck_chain", certs);
    json_object_set_new(o, "signature_data", sig);
    json_object_set_new(o, "size", json_integer((json_int_t)q->raw_len));
    json_object_set_new(o, "trailing_bytes", json_integer((json_int_t)(q->raw_len - q->used_len)));
    *json_out = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(o);
    return *json_out ? RATLS_OK : RATLS_ERR_NO_MEMORY;
}
