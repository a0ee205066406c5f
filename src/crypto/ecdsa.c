/*
 * P-256 ECDSA through OpenSSL's EC_KEY API. It is deprecated in 3.0, but the
 * EVP route costs ~75 us more per key here (provider fetches for
 * EVP_PKEY_fromdata and EVP_PKEY_public_check) and ~10 us more per
 * verification, which is most of a warm verification's budget. The
 * arithmetic is the same (OpenSSL's nistz256 code either way).
 */
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/obj_mac.h>
#include <openssl/sha.h>

#include "crypto/crypto.h"

struct ec_pub {
    EC_KEY *k;
};

static EC_GROUP *g_p256, *g_p384;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void init_group(void)
{
    g_p256 = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
    g_p384 = EC_GROUP_new_by_curve_name(NID_secp384r1);
}

static ec_pub *from_point(EC_GROUP **g, const uint8_t *pt, size_t len)
{
    if (pt[0] != 0x04)
        return NULL;
    pthread_once(&g_once, init_group);
    if (!*g)
        return NULL;
    ec_pub *e = calloc(1, sizeof *e);
    EC_POINT *p = EC_POINT_new(*g);
    if (!e || !p)
        goto fail;
    e->k = EC_KEY_new();
    /* oct2point rejects points that are not on the curve */
    if (!e->k || EC_KEY_set_group(e->k, *g) != 1 || EC_POINT_oct2point(*g, p, pt, len, NULL) != 1 ||
        EC_POINT_is_at_infinity(*g, p) || EC_KEY_set_public_key(e->k, p) != 1)
        goto fail;
    EC_POINT_free(p);
    return e;
fail:
    EC_POINT_free(p);
    ec_pub_free(e);
    return NULL;
}

ec_pub *ec_pub_from_point(const uint8_t pt[65]) { return from_point(&g_p256, pt, 65); }

ec_pub *ec_pub_p384_from_point(const uint8_t pt[97]) { return from_point(&g_p384, pt, 97); }

ec_pub *ec_pub_from_raw(const uint8_t xy[64])
{
    uint8_t pt[65];
    pt[0] = 0x04;
    memcpy(pt + 1, xy, 64);
    return ec_pub_from_point(pt);
}

void ec_pub_free(ec_pub *k)
{
    if (!k)
        return;
    EC_KEY_free(k->k);
    free(k);
}

int ecdsa_verify_raw(const ec_pub *k, const uint8_t *msg, size_t len, const uint8_t sig[64])
{
    if (!k)
        return 0;
    uint8_t d[32];
    if (!SHA256(msg, len, d))
        return 0;
    ECDSA_SIG *es = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(sig, 32, NULL), *s = BN_bin2bn(sig + 32, 32, NULL);
    int ok = 0;
    if (es && r && s && ECDSA_SIG_set0(es, r, s) == 1) {
        r = s = NULL; /* owned by es */
        ok = ECDSA_do_verify(d, 32, es, k->k) == 1;
    }
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(es);
    return ok;
}

int ecdsa_p384_verify_le(const ec_pub *k, const uint8_t *msg, size_t len, const uint8_t r_le[48],
                         const uint8_t s_le[48])
{
    if (!k)
        return 0;
    uint8_t d[48];
    if (!SHA384(msg, len, d))
        return 0;
    ECDSA_SIG *es = ECDSA_SIG_new();
    BIGNUM *r = BN_lebin2bn(r_le, 48, NULL), *s = BN_lebin2bn(s_le, 48, NULL);
    int ok = 0;
    if (es && r && s && ECDSA_SIG_set0(es, r, s) == 1) {
        r = s = NULL; /* owned by es */
        ok = ECDSA_do_verify(d, 48, es, k->k) == 1;
    }
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(es);
    return ok;
}
