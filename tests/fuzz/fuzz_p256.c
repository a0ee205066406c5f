/*
 * libFuzzer target: our own P-256 verification (src/crypto/p256.c) against
 * OpenSSL's, differentially. Not a parser, but arithmetic a forged signature
 * would have to get past, so it is fuzzed like one.
 *
 * Input, first byte = mode:
 *   0: key X||Y (64), digest (32), r||s (64) as given: our verdict (or key
 *      refusal) must be OpenSSL's.
 *   1: a private key d (32 bytes, reduced mod n; or, when byte 1 < 8, one of
 *      the fixed keys 1, 2, 3, n-1, n-2 and three more whose tables are
 *      prebuilt), a nonce k (32), a digest (32), then mutations
 *      (offset, xor) pairs over digest || r || s: the unmutated signature must
 *      verify, and after each mutation both verifiers must agree. With a fixed
 *      key the table ladder is checked too.
 */
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/obj_mac.h>

#include "crypto/p256.h"
#include "fuzz_common.h"

#define NFIXED 8

static EC_GROUP *grp;
static BIGNUM *order;
static BN_CTX *bctx;
static EC_KEY *fixed_key[NFIXED];
static p256_point fixed_pt[NFIXED];
static p256_table *fixed_tab[NFIXED];

static void key_xy(const EC_KEY *k, uint8_t xy[64])
{
    uint8_t pt[65];
    FUZZ_CHECK(EC_POINT_point2oct(grp, EC_KEY_get0_public_key(k), POINT_CONVERSION_UNCOMPRESSED, pt, 65, NULL) == 65);
    memcpy(xy, pt + 1, 64);
}

static EC_KEY *key_from_d(const BIGNUM *d)
{
    EC_KEY *k = EC_KEY_new_by_curve_name(NID_X9_62_prime256v1);
    EC_POINT *q = EC_POINT_new(grp);
    FUZZ_CHECK(k && q && EC_POINT_mul(grp, q, d, NULL, NULL, NULL) == 1 && EC_KEY_set_private_key(k, d) == 1 &&
               EC_KEY_set_public_key(k, q) == 1);
    EC_POINT_free(q);
    return k;
}

static void init(void)
{
    if (grp)
        return;
    grp = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
    order = BN_new();
    bctx = BN_CTX_new();
    FUZZ_CHECK(grp && order && bctx && EC_GROUP_get_order(grp, order, NULL) == 1);
    static const char *const hex[NFIXED] = {
        "1", "2", "3", NULL, NULL, "FFFFFFFFFFFFFFFF", "123456789ABCDEF0FEDCBA9876543210", "7FFFFFFF"};
    for (int i = 0; i < NFIXED; i++) {
        BIGNUM *d = BN_new();
        if (hex[i]) {
            BN_hex2bn(&d, hex[i]);
        } else {
            BN_copy(d, order);
            BN_sub_word(d, (BN_ULONG)(i - 2)); /* n-1, n-2 */
        }
        fixed_key[i] = key_from_d(d);
        uint8_t xy[64];
        key_xy(fixed_key[i], xy);
        FUZZ_CHECK(p256_point_from_xy(&fixed_pt[i], xy) == 1);
        fixed_tab[i] = p256_table_new(&fixed_pt[i]);
        FUZZ_CHECK(fixed_tab[i] != NULL);
        BN_free(d);
    }
}

/* OpenSSL's verdict: 1, 0, or -1 when it refuses the key */
static int openssl_verify(const uint8_t xy[64], const uint8_t dg[32], const uint8_t sig[64])
{
    uint8_t pt[65] = {4};
    memcpy(pt + 1, xy, 64);
    EC_KEY *k = EC_KEY_new_by_curve_name(NID_X9_62_prime256v1);
    EC_POINT *p = EC_POINT_new(grp);
    int ok = -1;
    if (k && p && EC_POINT_oct2point(grp, p, pt, 65, NULL) == 1 && EC_KEY_set_public_key(k, p) == 1) {
        ECDSA_SIG *s = ECDSA_SIG_new();
        FUZZ_CHECK(s && ECDSA_SIG_set0(s, BN_bin2bn(sig, 32, NULL), BN_bin2bn(sig + 32, 32, NULL)) == 1);
        ok = ECDSA_do_verify(dg, 32, s, k) == 1;
        ECDSA_SIG_free(s);
    }
    EC_POINT_free(p);
    EC_KEY_free(k);
    return ok;
}

static int ours(const uint8_t xy[64], const uint8_t dg[32], const uint8_t sig[64], const p256_table *t)
{
    p256_point q;
    if (!p256_point_from_xy(&q, xy))
        return -1;
    int plain = p256_ecdsa_verify_digest(&q, NULL, dg, sig);
    if (t)
        FUZZ_CHECK(p256_ecdsa_verify_digest(&q, t, dg, sig) == plain);
    return plain;
}

static void check(const uint8_t xy[64], const uint8_t dg[32], const uint8_t sig[64], const p256_table *t)
{
    FUZZ_CHECK(ours(xy, dg, sig, t) == openssl_verify(xy, dg, sig));
}

/* mode 1: sign with d and nonce k, then mutate */
static void signed_case(const uint8_t *data, size_t size)
{
    if (size < 97)
        return;
    EC_KEY *k;
    const p256_table *t = NULL;
    if (data[0] < NFIXED) {
        k = fixed_key[data[0]];
        t = fixed_tab[data[0]];
    } else {
        BIGNUM *d = BN_bin2bn(data, 32, NULL);
        BN_nnmod(d, d, order, bctx);
        if (BN_is_zero(d))
            BN_one(d);
        k = key_from_d(d);
        BN_free(d);
    }
    uint8_t xy[64], buf[96]; /* digest || r || s */
    key_xy(k, xy);
    memcpy(buf, data + 64, 32);
    /* r = x(kG) mod n and k^-1 from the input's nonce */
    BN_CTX *ctx = bctx;
    BIGNUM *kn = BN_bin2bn(data + 32, 32, NULL), *kinv = BN_new(), *r = BN_new(), *x = BN_new();
    EC_POINT *R = EC_POINT_new(grp);
    BN_nnmod(kn, kn, order, ctx);
    if (BN_is_zero(kn))
        BN_one(kn);
    FUZZ_CHECK(EC_POINT_mul(grp, R, kn, NULL, NULL, ctx) == 1 &&
               EC_POINT_get_affine_coordinates(grp, R, x, NULL, ctx) == 1);
    BN_nnmod(r, x, order, ctx);
    FUZZ_CHECK(BN_mod_inverse(kinv, kn, order, ctx) != NULL);
    ECDSA_SIG *s = BN_is_zero(r) ? NULL : ECDSA_do_sign_ex(buf, 32, kinv, r, k);
    if (s) {
        const BIGNUM *sr, *ss;
        ECDSA_SIG_get0(s, &sr, &ss);
        FUZZ_CHECK(BN_bn2binpad(sr, buf + 32, 32) == 32 && BN_bn2binpad(ss, buf + 64, 32) == 32);
        FUZZ_CHECK(ours(xy, buf, buf + 32, t) == 1);
        for (size_t i = 96; i + 1 < size; i += 2) {
            buf[data[i] % 96] ^= data[i + 1];
            check(xy, buf, buf + 32, t);
        }
        ECDSA_SIG_free(s);
    }
    EC_POINT_free(R);
    BN_free(kn);
    BN_free(kinv);
    BN_free(r);
    BN_free(x);
    if (!t)
        EC_KEY_free(k);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    init();
    fuzz_poison_stack();
    if (size < 1)
        return 0;
    if (data[0] & 1)
        signed_case(data + 1, size - 1);
    else if (size >= 161)
        check(data + 1, data + 65, data + 97, NULL);
    return 0;
}
