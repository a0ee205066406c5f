/* libFuzzer target: what a collateral source parses from the network and
 * the disk. The first byte picks the parser, the rest is its input:
 *   0..3  one item's body (TCB Info, QE Identity, PCK CRL, root CA CRL) as a
 *         service returns it, verified on its own under the fixture's test
 *         root with the fixture's issuer chains (tdx_item_verify: the signed
 *         JSON split, the CRL forms DER / hex / PEM, the CRL parser);
 *   4     an issuer-chain header value (url_decode), then the PEM parser;
 *   5..8  an on-disk cache file for each kind (source_disk_parse), then the
 *         item check of what it holds. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "collateral/source.h"
#include "fuzz_common.h"
#include "net/http.h"
#include "tdx/pem_chain.h"

typedef struct item_fixture {
    rcert *root;
    char *tcb_chain, *qe_chain, *pck_chain;
} item_fixture;

static const item_fixture *item_fixture_get(void)
{
    static item_fixture f;
    static int done;
    if (done)
        return &f;
    const fuzz_fixture *fx = fuzz_fixture_get();
    char err[256];
    FUZZ_CHECK(rcert_parse(fx->root_der, fx->root_der_len, &f.root, err, sizeof err) == RATLS_OK);
    char *js = NULL;
    FUZZ_CHECK(ratls_collateral_to_json(fx->collateral, &js) == RATLS_OK);
    json_t *o = json_loads(js, 0, NULL);
    FUZZ_CHECK(o != NULL);
    f.tcb_chain = strdup(json_string_value(json_object_get(o, "tcb_info_issuer_chain")));
    f.qe_chain = strdup(json_string_value(json_object_get(o, "qe_identity_issuer_chain")));
    f.pck_chain = strdup(json_string_value(json_object_get(o, "pck_crl_issuer_chain")));
    json_decref(o);
    ratls_free_string(js);
    FUZZ_CHECK(f.tcb_chain && f.qe_chain && f.pck_chain);
    done = 1;
    return &f;
}

static void check_item(const item_fixture *f, tdx_item_kind kind, const uint8_t *body, size_t len, const char *chain)
{
    tdx_item_info info;
    char err[512] = "";
    ratls_status s = tdx_item_verify(f->root, kind, body, len, chain, FUZZ_NOW, 0, &info, err, sizeof err);
    if (s != RATLS_OK) {
        FUZZ_CHECK(err[0] || s == RATLS_ERR_NO_MEMORY);
        return;
    }
    /* what verified is valid now, and says what it is */
    FUZZ_CHECK(info.kind == kind && info.from <= FUZZ_NOW && FUZZ_NOW <= info.to);
    FUZZ_CHECK(info.issued <= FUZZ_NOW && FUZZ_NOW <= info.next_update);
    FUZZ_CHECK(kind != TDX_ITEM_PCK_CRL || info.ca == 1 || info.ca == 2);
}

static const char *chain_for(const item_fixture *f, tdx_item_kind kind)
{
    return kind == TDX_ITEM_TCB_INFO ? f->tcb_chain : kind == TDX_ITEM_PCK_CRL ? f->pck_chain : f->qe_chain;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const item_fixture *f = item_fixture_get();
    unsigned mode = data[0] % 9u;
    const uint8_t *in = data + 1;
    size_t n = size - 1;
    fuzz_poison_stack();
    if (mode <= 3) {
        check_item(f, (tdx_item_kind)mode, in, n, chain_for(f, (tdx_item_kind)mode));
    } else if (mode == 4) {
        char *d = url_decode((const char *)in, n);
        if (d) {
            FUZZ_CHECK(strlen(d) <= n);
            rchain ch = {{0}, 0};
            char err[256];
            if (pem_chain_parse((const uint8_t *)d, strlen(d), 4, &ch, err, sizeof err) == RATLS_OK)
                FUZZ_CHECK(ch.n >= 1 && ch.n <= 4);
            rchain_free(&ch);
            free(d);
        }
    } else {
        static const char *const params[] = {"00906EA10000", "", "platform", ""};
        tdx_item_kind kind = (tdx_item_kind)(mode - 5);
        uint8_t *body = NULL;
        size_t blen = 0;
        char *chain = NULL;
        ratls_status s = source_disk_parse((const char *)in, n, kind, params[kind], &body, &blen, &chain);
        if (s == RATLS_OK) {
            FUZZ_CHECK(body != NULL && chain != NULL && blen <= n);
            check_item(f, kind, body, blen, chain);
        } else {
            FUZZ_CHECK(body == NULL && chain == NULL);
        }
        free(body);
        free(chain);
    }
    return 0;
}
