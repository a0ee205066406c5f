#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/param_build.h>
#include <openssl/sha.h>

#include "crypto/crypto.h"

EVP_PKEY *ec_p256_from_raw(const uint8_t xy[64])
{
    uint8_t pt[65];
    pt[0] = 0x04;
    memcpy(pt + 1, xy, 64);
    EVP_PKEY *pkey = NULL;
    OSSL_PARAM params[3];
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)"prime256v1", 0);
    params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof pt);
    params[2] = OSSL_PARAM_construct_end();
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    if (!ctx)
        return NULL;
    if (EVP_PKEY_fromdata_init(ctx) <= 0 || EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0) {
        EVP_PKEY_CTX_free(ctx);
        return NULL;
    }
    EVP_PKEY_CTX_free(ctx);
    /* fromdata does not prove the point is on the curve: check it, since a
     * bogus key must fail as "invalid key", never verify by accident. */
    EVP_PKEY_CTX *chk = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
    int ok = chk && EVP_PKEY_public_check(chk) == 1;
    EVP_PKEY_CTX_free(chk);
    if (!ok) {
        EVP_PKEY_free(pkey);
        return NULL;
    }
    return pkey;
}

int ecdsa_p256_verify_digest(EVP_PKEY *key, const uint8_t digest[32], const uint8_t sig[64])
{
    int ok = 0;
    ECDSA_SIG *es = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(sig, 32, NULL), *s = BN_bin2bn(sig + 32, 32, NULL);
    uint8_t der[80];
    uint8_t *p = der;
    EVP_PKEY_CTX *ctx = NULL;
    if (!es || !r || !s) {
        BN_free(r);
        BN_free(s);
        goto out;
    }
    if (!ECDSA_SIG_set0(es, r, s)) {
        BN_free(r);
        BN_free(s);
        goto out;
    }
    int dlen = i2d_ECDSA_SIG(es, NULL);
    if (dlen <= 0 || dlen > (int)sizeof der)
        goto out;
    dlen = i2d_ECDSA_SIG(es, &p);
    ctx = EVP_PKEY_CTX_new(key, NULL);
    if (!ctx || EVP_PKEY_verify_init(ctx) <= 0 || EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) <= 0)
        goto out;
    ok = EVP_PKEY_verify(ctx, der, (size_t)dlen, digest, 32) == 1;
out:
    EVP_PKEY_CTX_free(ctx);
    ECDSA_SIG_free(es);
    return ok;
}

int ecdsa_p256_verify_raw(EVP_PKEY *key, const uint8_t *msg, size_t len, const uint8_t sig[64])
{
    uint8_t d[32];
    if (!SHA256(msg, len, d))
        return 0;
    return ecdsa_p256_verify_digest(key, d, sig);
}

int ec_p256_raw_point(EVP_PKEY *key, uint8_t out[65])
{
    size_t n = 0;
    char group[32];
    if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, NULL) != 1 ||
        strcmp(group, "prime256v1") != 0)
        return -1;
    if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, out, 65, &n) != 1 || n != 65 || out[0] != 4)
        return -1;
    return 0;
}
