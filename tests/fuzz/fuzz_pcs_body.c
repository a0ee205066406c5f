/* libFuzzer target: a TCB Info response body as Intel PCS serves it
 * ({"tcbInfo": {...}, "signature": "..."}): the strict JSON span scanner,
 * ratls_collateral_from_pcs with the fixture's other parts, and, when that
 * loads, verification of the fixture's quote against it. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/json_span.h"
#include "base/util.h"
#include "fuzz_common.h"

typedef struct pcs_fixture {
    char *pck_chain, *tcb_chain, *qe_chain, *qe_body;
    uint8_t *root_crl, *pck_crl;
    size_t root_crl_len, pck_crl_len;
} pcs_fixture;

static const char *jstr(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    FUZZ_CHECK(s != NULL);
    return s;
}

static const pcs_fixture *pcs_fixture_get(void)
{
    static pcs_fixture f;
    static int done;
    if (done)
        return &f;
    const fuzz_fixture *fx = fuzz_fixture_get();
    char *js = NULL;
    FUZZ_CHECK(ratls_collateral_to_json(fx->collateral, &js) == RATLS_OK);
    json_t *o = json_loads(js, 0, NULL);
    FUZZ_CHECK(o != NULL);
    f.pck_chain = strdup(jstr(o, "pck_crl_issuer_chain"));
    f.tcb_chain = strdup(jstr(o, "tcb_info_issuer_chain"));
    f.qe_chain = strdup(jstr(o, "qe_identity_issuer_chain"));
    json_t *body = json_pack("{s:o, s:s}", "enclaveIdentity", json_loads(jstr(o, "qe_identity"), 0, NULL), "signature",
                             jstr(o, "qe_identity_signature"));
    FUZZ_CHECK(body != NULL);
    f.qe_body = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(body);
    FUZZ_CHECK(hex_decode_alloc(jstr(o, "root_ca_crl"), strlen(jstr(o, "root_ca_crl")), 1u << 20, &f.root_crl,
                                &f.root_crl_len) == 0);
    FUZZ_CHECK(hex_decode_alloc(jstr(o, "pck_crl"), strlen(jstr(o, "pck_crl")), 1u << 20, &f.pck_crl, &f.pck_crl_len) ==
               0);
    json_decref(o);
    ratls_free_string(js);
    FUZZ_CHECK(f.pck_chain && f.tcb_chain && f.qe_chain && f.qe_body);
    done = 1;
    return &f;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const pcs_fixture *pf = pcs_fixture_get();
    const fuzz_fixture *fx = fuzz_fixture_get();
    const char *text = (const char *)data;
    static const char *const keys[] = {"tcbInfo", "signature", "enclaveIdentity", ""};
    fuzz_poison_stack();
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        const char *v = NULL;
        size_t vl = 0;
        if (json_member_span(text, size, keys[k], &v, &vl) == 0)
            FUZZ_CHECK(v >= text && vl > 0 && vl <= size && (size_t)(v - text) <= size - vl);
    }
    ratls_collateral_parts parts = {
        .pck_crl_issuer_chain = pf->pck_chain,
        .root_ca_crl = pf->root_crl,
        .root_ca_crl_len = pf->root_crl_len,
        .pck_crl = pf->pck_crl,
        .pck_crl_len = pf->pck_crl_len,
        .tcb_info_issuer_chain = pf->tcb_chain,
        .tcb_info_body = text,
        .tcb_info_body_len = size,
        .qe_identity_issuer_chain = pf->qe_chain,
        .qe_identity_body = pf->qe_body,
        .qe_identity_body_len = strlen(pf->qe_body),
    };
    ratls_collateral *c = NULL;
    char err[512] = "";
    ratls_status s = ratls_collateral_from_pcs(&parts, &c, err, sizeof err);
    if (s != RATLS_OK) {
        FUZZ_CHECK(c == NULL && (err[0] || s == RATLS_ERR_NO_MEMORY));
        return 0;
    }
    (void)fuzz_verify_twice(fx, fx->evidence, c);
    ratls_collateral_free(c);
    return 0;
}
