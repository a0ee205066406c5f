/*
 * The project's own P-256 verification (src/crypto/p256.c) against OpenSSL:
 * the field and scalar arithmetic on edge and random values, point loading,
 * and ECDSA verification on random keys, mutated signatures, out-of-range
 * values and hand-built signatures that drive the ladder through its
 * exceptional cases (P + P, P - P, infinity) and through the x >= n branch.
 * The file includes p256.c to reach its static arithmetic.
 */
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/obj_mac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#define p256_point_from_xy t_p256_point_from_xy
#define p256_ecdsa_verify_digest t_p256_ecdsa_verify_digest
#define p256_table_new t_p256_table_new
#define p256_table_free t_p256_table_free
#define p256_table_ref t_p256_table_ref
#include "../../src/crypto/p256.c"
#include "crypto/crypto.h"

static EC_GROUP *grp;
static BIGNUM *bp, *bn_n, *bR;  /* p, n, 2^256 */
static BIGNUM *rinv_p, *rinv_n; /* 2^-256 mod p, mod n */
static BN_CTX *ctx;

static BIGNUM *limbs_bn(const fe a)
{
    uint8_t be[32];
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 8; j++)
            be[(3 - i) * 8 + j] = (uint8_t)(a[i] >> (56 - 8 * j));
    return BN_bin2bn(be, 32, NULL);
}

static void bn_limbs(fe r, const BIGNUM *b)
{
    uint8_t be[32];
    assert_int_equal(BN_bn2binpad(b, be, 32), 32);
    for (int i = 0; i < 4; i++) {
        uint64_t w = 0;
        for (int j = 0; j < 8; j++)
            w = (w << 8) | be[(3 - i) * 8 + j];
        r[i] = w;
    }
}

/* values that stress carries: 0, 1, 2, m-1, m-2, 2^k around limb edges, all-ones patterns reduced mod m */
static int edge_values(fe *out, const BIGNUM *m)
{
    int k = 0;
    BIGNUM *b = BN_new();
    static const char *hex[] = {"0",
                                "1",
                                "2",
                                "FFFFFFFFFFFFFFFF",
                                "10000000000000000",
                                "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
                                "100000000000000000000000000000000",
                                "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
                                "FFFFFFFF00000000FFFFFFFF00000000FFFFFFFF00000000FFFFFFFF",
                                "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
                                "8000000000000000000000000000000000000000000000000000000000000000",
                                "00000000FFFFFFFF00000000FFFFFFFF00000000FFFFFFFF00000000FFFFFFFF"};
    for (size_t i = 0; i < sizeof hex / sizeof *hex; i++) {
        BN_hex2bn(&b, hex[i]);
        BN_nnmod(b, b, m, ctx);
        bn_limbs(out[k++], b);
    }
    for (int d = 1; d <= 3; d++) {
        BN_copy(b, m);
        BN_sub_word(b, (BN_ULONG)d);
        bn_limbs(out[k++], b); /* m-1, m-2, m-3 */
    }
    BN_rshift1(b, m);
    bn_limbs(out[k++], b);
    BN_add_word(b, 1);
    bn_limbs(out[k++], b);
    BN_free(b);
    return k;
}

static void random_below(fe r, const BIGNUM *m)
{
    BIGNUM *b = BN_new();
    BN_rand_range(b, m);
    bn_limbs(r, b);
    BN_free(b);
}

/* r is A*B*R^-1 mod m */
static void assert_mont_product(const fe r, const BIGNUM *A, const BIGNUM *B, const BIGNUM *m)
{
    BIGNUM *want = BN_new(), *got = limbs_bn(r);
    BN_mod_mul(want, A, B, m, ctx);
    BN_mod_mul(want, want, m == bp ? rinv_p : rinv_n, m, ctx);
    assert_int_equal(BN_cmp(got, want), 0);
    BN_free(got);
    BN_free(want);
}

/* fe_mul/fe_add/fe_sub in Montgomery form against BN mod p */
static void check_field_pair(const fe a, const fe b)
{
    BIGNUM *A = limbs_bn(a), *B = limbs_bn(b), *want = BN_new(), *got;
    fe r;
    fe_mul(r, a, b);
    assert_mont_product(r, A, B, bp);

    fe_add(r, a, b);
    BN_mod_add(want, A, B, bp, ctx);
    got = limbs_bn(r);
    assert_int_equal(BN_cmp(got, want), 0);
    BN_free(got);

    fe_sub(r, a, b);
    BN_mod_sub(want, A, B, bp, ctx);
    got = limbs_bn(r);
    assert_int_equal(BN_cmp(got, want), 0);
    BN_free(got);

    BN_free(want);
    BN_free(A);
    BN_free(B);
}

/* sc_mul against BN mod n */
static void check_scalar_pair(const fe a, const fe b)
{
    BIGNUM *A = limbs_bn(a), *B = limbs_bn(b);
    fe r;
    sc_mul(r, a, b);
    assert_mont_product(r, A, B, bn_n);
    BN_free(A);
    BN_free(B);
}

/* check on every pair of edge values and on random pairs below m; the edge
 * values are left in e, their count returned */
static int check_pairs(const BIGNUM *m, void (*check)(const fe, const fe), fe e[32])
{
    int k = edge_values(e, m);
    for (int i = 0; i < k; i++)
        for (int j = 0; j < k; j++)
            check(e[i], e[j]);
    for (int i = 0; i < 20000; i++) {
        fe a, b;
        random_below(a, m);
        random_below(b, m);
        check(a, b);
        check(a, a);
    }
    return k;
}

static void test_field(void **state)
{
    (void)state;
    fe e[32];
    int k = check_pairs(bp, check_field_pair, e);
    /* inversion: a * a^-1 = 1 (both Montgomery), on edges and randoms */
    for (int i = 0; i < k + 200; i++) {
        fe a, inv, prod;
        if (i < k)
            memcpy(a, e[i], sizeof a);
        else
            random_below(a, bp);
        if (fe_is_zero(a))
            continue;
        fe_inv(inv, a);
        fe_mul(prod, a, inv);
        pthread_once(&g_once, init);
        assert_true(fe_eq(prod, g_one));
    }
    printf("field: %d edge values pairwise, 20000 random pairs, %d inversions\n", k, k + 200);
}

static void test_scalar(void **state)
{
    (void)state;
    fe e[32];
    int k = check_pairs(bn_n, check_scalar_pair, e);
    /* s^-1 by the binary algorithm, against BN_mod_inverse */
    for (int i = 0; i < k + 2000; i++) {
        fe s, inv;
        if (i < k)
            memcpy(s, e[i], sizeof s);
        else
            random_below(s, bn_n);
        if (fe_is_zero(s)) {
            assert_int_equal(sc_inv_var(inv, s), 0);
            continue;
        }
        assert_int_equal(sc_inv_var(inv, s), 1);
        BIGNUM *S = limbs_bn(s), *want = BN_mod_inverse(NULL, S, bn_n, ctx), *got = limbs_bn(inv);
        assert_int_equal(BN_cmp(got, want), 0);
        BN_free(S);
        BN_free(want);
        BN_free(got);
    }
    /* x / 2^k for every k */
    for (unsigned kk = 1; kk < 64; kk++) {
        fe x;
        random_below(x, bn_n);
        BIGNUM *X = limbs_bn(x), *t = BN_new(), *two = BN_new();
        sc_half_k(x, kk);
        BN_set_word(two, 2);
        BN_set_word(t, kk);
        BN_mod_exp(t, two, t, bn_n, ctx);
        BIGNUM *H = limbs_bn(x);
        BN_mod_mul(t, t, H, bn_n, ctx); /* 2^k * (x / 2^k) */
        assert_int_equal(BN_cmp(t, X), 0);
        BN_free(H);
        BN_free(X);
        BN_free(t);
        BN_free(two);
    }
}

static void test_wnaf(void **state)
{
    (void)state;
    for (int i = 0; i < 2000; i++) {
        fe k;
        if (i == 0)
            memset(k, 0xff, sizeof k);
        else if (i == 1)
            memset(k, 0, sizeof k);
        else
            random_below(k, bn_n);
        for (int w = 5; w <= TW; w += TW - 5) {
            int8_t d[257];
            int n = wnaf(d, k, w);
            assert_true(n <= 257);
            /* re-evaluate sum d_i 2^i with BN and check the width rule */
            BIGNUM *acc = BN_new(), *t = BN_new();
            int last = -1000;
            for (int j = n - 1; j >= 0; j--) {
                BN_lshift1(acc, acc);
                if (d[j]) {
                    assert_true(d[j] & 1);
                    assert_true(d[j] < (1 << (w - 1)) && d[j] > -(1 << (w - 1)));
                    assert_true(last - j >= w || last < 0);
                    last = j;
                    BN_set_word(t, (BN_ULONG)(d[j] < 0 ? -d[j] : d[j]));
                    if (d[j] < 0)
                        BN_sub(acc, acc, t);
                    else
                        BN_add(acc, acc, t);
                }
            }
            BIGNUM *K = limbs_bn(k);
            assert_int_equal(BN_cmp(acc, K), 0);
            BN_free(K);
            BN_free(acc);
            BN_free(t);
        }
    }
}

/* every entry of G's table is (2i+1) * 2^(32k) * G */
static void test_table(void **state)
{
    (void)state;
    pthread_once(&g_once, init);
    assert_true(g_ready);
    EC_POINT *pt = EC_POINT_new(grp);
    BIGNUM *m = BN_new(), *x = BN_new(), *y = BN_new();
    int checked = 0;
    for (int k = 0; k < SPLITS; k++)
        for (int i = 0; i < TN; i++) {
            BN_set_word(m, (BN_ULONG)(2 * i + 1));
            BN_lshift(m, m, 32 * k);
            EC_POINT_mul(grp, pt, m, NULL, NULL, ctx);
            EC_POINT_get_affine_coordinates(grp, pt, x, y, ctx);
            fe wx, wy, gx, gy;
            bn_limbs(wx, x);
            bn_limbs(wy, y);
            fe_mul(gx, g_tab.p[k * TN + i].x, (const uint64_t[4]){1, 0, 0, 0});
            fe_mul(gy, g_tab.p[k * TN + i].y, (const uint64_t[4]){1, 0, 0, 0});
            assert_true(fe_eq(gx, wx) && fe_eq(gy, wy));
            checked++;
        }
    printf("G table: %d entries equal OpenSSL's multiples\n", checked);
    EC_POINT_free(pt);
    BN_free(m);
    BN_free(x);
    BN_free(y);
}

/* ---- ECDSA ---- */

static void key_xy(const EC_KEY *k, uint8_t xy[64])
{
    uint8_t pt[65];
    assert_int_equal(EC_POINT_point2oct(grp, EC_KEY_get0_public_key(k), POINT_CONVERSION_UNCOMPRESSED, pt, 65, ctx),
                     65);
    memcpy(xy, pt + 1, 64);
}

static int openssl_verify(const uint8_t xy[64], const uint8_t dg[32], const uint8_t sig[64])
{
    uint8_t pt[65] = {4};
    memcpy(pt + 1, xy, 64);
    EC_KEY *k = EC_KEY_new_by_curve_name(NID_X9_62_prime256v1);
    EC_POINT *p = EC_POINT_new(grp);
    int ok = -1; /* -1: OpenSSL refuses the key */
    if (EC_POINT_oct2point(grp, p, pt, 65, ctx) == 1 && EC_KEY_set_public_key(k, p) == 1) {
        ECDSA_SIG *s = ECDSA_SIG_new();
        ECDSA_SIG_set0(s, BN_bin2bn(sig, 32, NULL), BN_bin2bn(sig + 32, 32, NULL));
        ok = ECDSA_do_verify(dg, 32, s, k) == 1;
        ECDSA_SIG_free(s);
    }
    EC_POINT_free(p);
    EC_KEY_free(k);
    return ok;
}

/* Both ladders must agree: the one-shot ladder and the one with a
 * precomputed table of the key (kept for the last key seen). Returns -1 when
 * the key does not load. */
static int ours(const uint8_t xy[64], const uint8_t dg[32], const uint8_t sig[64])
{
    static uint8_t last[64];
    static p256_table *lt;
    p256_point q;
    if (!t_p256_point_from_xy(&q, xy))
        return -1;
    if (!lt || memcmp(last, xy, 64) != 0) {
        t_p256_table_free(lt);
        lt = t_p256_table_new(&q);
        assert_non_null(lt);
        memcpy(last, xy, 64);
    }
    int plain = t_p256_ecdsa_verify_digest(&q, NULL, dg, sig);
    int tab = t_p256_ecdsa_verify_digest(&q, lt, dg, sig);
    assert_int_equal(plain, tab);
    return plain;
}

static void sign(EC_KEY *k, const uint8_t dg[32], uint8_t sig[64])
{
    ECDSA_SIG *s = ECDSA_do_sign(dg, 32, k);
    assert_non_null(s);
    const BIGNUM *r, *ss;
    ECDSA_SIG_get0(s, &r, &ss);
    BN_bn2binpad(r, sig, 32);
    BN_bn2binpad(ss, sig + 32, 32);
    ECDSA_SIG_free(s);
}

static void test_random_signatures(void **state)
{
    (void)state;
    int valid = 0, mutated = 0;
    for (int i = 0; i < 400; i++) {
        EC_KEY *k = EC_KEY_new_by_curve_name(NID_X9_62_prime256v1);
        assert_int_equal(EC_KEY_generate_key(k), 1);
        uint8_t xy[64];
        key_xy(k, xy);
        for (int j = 0; j < 5; j++) {
            uint8_t dg[32], sig[64];
            RAND_bytes(dg, 32);
            if (j == 0)
                memset(dg, 0xff, 32); /* digest >= n */
            sign(k, dg, sig);
            assert_int_equal(ours(xy, dg, sig), 1);
            valid++;
            /* one bit flipped in the signature, the digest, or the key */
            for (int f = 0; f < 6; f++) {
                uint8_t d2[32], s2[64], k2[64];
                memcpy(d2, dg, 32);
                memcpy(s2, sig, 64);
                memcpy(k2, xy, 64);
                unsigned bit = (unsigned)rand();
                if (f < 2)
                    s2[bit % 64] ^= (uint8_t)(1u << (bit / 64 % 8));
                else if (f < 4)
                    d2[bit % 32] ^= (uint8_t)(1u << (bit / 32 % 8));
                else
                    k2[bit % 64] ^= (uint8_t)(1u << (bit / 64 % 8));
                int o = ours(k2, d2, s2), w = openssl_verify(k2, d2, s2);
                assert_int_equal(o, w);
                assert_int_not_equal(o, 1);
                mutated++;
            }
        }
        EC_KEY_free(k);
    }
    printf("ecdsa: %d valid signatures accepted, %d one-bit mutations rejected as OpenSSL does\n", valid, mutated);
}

static void be32(uint8_t out[32], const BIGNUM *b) { assert_int_equal(BN_bn2binpad(b, out, 32), 32); }

static void test_range_and_points(void **state)
{
    (void)state;
    EC_KEY *k = EC_KEY_new_by_curve_name(NID_X9_62_prime256v1);
    assert_int_equal(EC_KEY_generate_key(k), 1);
    uint8_t xy[64], dg[32] = {1}, sig[64];
    key_xy(k, xy);
    sign(k, dg, sig);
    assert_int_equal(ours(xy, dg, sig), 1);

    /* r or s out of [1, n-1] */
    BIGNUM *b = BN_new();
    const char *bad[] = {"0", "n", "n+1", "ffff"};
    for (int which = 0; which < 2; which++)
        for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
            uint8_t s2[64];
            memcpy(s2, sig, 64);
            if (i == 0)
                BN_zero(b);
            else if (i == 1)
                BN_copy(b, bn_n);
            else if (i == 2) {
                BN_copy(b, bn_n);
                BN_add_word(b, 1);
            } else {
                BN_hex2bn(&b, "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF");
            }
            be32(s2 + 32 * which, b);
            assert_int_equal(ours(xy, dg, s2), 0);
            assert_int_equal(openssl_verify(xy, dg, s2), 0);
        }
    /* r + n and s + n are the same residues but out of range */
    {
        uint8_t s2[64];
        memcpy(s2, sig, 64);
        BIGNUM *s = BN_bin2bn(sig + 32, 32, NULL);
        BN_add(s, s, bn_n);
        if (BN_num_bytes(s) <= 32) {
            be32(s2 + 32, s);
            assert_int_equal(ours(xy, dg, s2), 0);
        }
        BN_free(s);
    }

    /* points: coordinates >= p, off the curve, (0,0), G and -G */
    uint8_t p2[64];
    memset(p2, 0, 64);
    assert_int_equal(ours(p2, dg, sig), -1);
    memcpy(p2, xy, 64);
    p2[63] ^= 1;
    assert_int_equal(ours(p2, dg, sig), -1);
    assert_int_equal(openssl_verify(p2, dg, sig), -1);
    BN_copy(b, bp);
    be32(p2, b);
    assert_int_equal(ours(p2, dg, sig), -1);
    /* x + p for a valid x is the same residue but not canonical */
    {
        BIGNUM *x = BN_bin2bn(xy, 32, NULL);
        BN_add(x, x, bp);
        if (BN_num_bytes(x) <= 32) {
            memcpy(p2, xy, 64);
            be32(p2, x);
            assert_int_equal(ours(p2, dg, sig), -1);
        }
        BN_free(x);
    }
    p256_point g;
    assert_int_equal(t_p256_point_from_xy(&g, GXY_BE), 1);
    memcpy(p2, GXY_BE, 64);
    BN_bin2bn(GXY_BE + 32, 32, b);
    BN_sub(b, bp, b);
    be32(p2 + 32, b);
    assert_int_equal(t_p256_point_from_xy(&g, p2), 1); /* -G */
    BN_free(b);
    EC_KEY_free(k);
}

/* A signature by private key d whose ladder computes u1*G + u2*Q with
 * chosen u1, u2: s = r / u2, e = u1 * s. r is x(u1*G + u2*Q) mod n, or
 * the caller's r when that sum is infinity. */
static int build(const BIGNUM *d, const BIGNUM *u1, const BIGNUM *u2, uint8_t xy[64], uint8_t dg[32], uint8_t sig[64],
                 const BIGNUM *r_forced)
{
    EC_POINT *Q = EC_POINT_new(grp), *R = EC_POINT_new(grp);
    EC_POINT_mul(grp, Q, d, NULL, NULL, ctx);
    uint8_t pt[65];
    EC_POINT_point2oct(grp, Q, POINT_CONVERSION_UNCOMPRESSED, pt, 65, ctx);
    memcpy(xy, pt + 1, 64);
    EC_POINT_mul(grp, R, u1, Q, u2, ctx);
    BIGNUM *r = BN_new(), *s = BN_new(), *e = BN_new(), *x = BN_new();
    int inf = EC_POINT_is_at_infinity(grp, R);
    if (inf) {
        BN_copy(r, r_forced);
    } else {
        EC_POINT_get_affine_coordinates(grp, R, x, NULL, ctx);
        BN_nnmod(r, x, bn_n, ctx);
    }
    BIGNUM *iu2 = BN_mod_inverse(NULL, u2, bn_n, ctx);
    BN_mod_mul(s, r, iu2, bn_n, ctx);
    BN_mod_mul(e, u1, s, bn_n, ctx);
    be32(sig, r);
    be32(sig + 32, s);
    be32(dg, e);
    BN_free(iu2);
    BN_free(r);
    BN_free(s);
    BN_free(e);
    BN_free(x);
    EC_POINT_free(Q);
    EC_POINT_free(R);
    return !inf;
}

static void test_exceptional_ladders(void **state)
{
    (void)state;
    BIGNUM *d = BN_new(), *u1 = BN_new(), *u2 = BN_new(), *rf = BN_new();
    uint8_t xy[64], dg[32], sig[64];
    int cases = 0;
    BN_set_word(rf, 12345);
    /* Q = k*G for small k, u1 and u2 small or near n: the joint ladder adds
     * equal points (doubling) and opposite points (infinity) */
    for (unsigned kq = 1; kq <= 6; kq++) {
        for (int a = -20; a <= 20; a++) {
            for (int bb = -20; bb <= 20; bb++) {
                if (a == 0 || bb == 0)
                    continue;
                BN_set_word(d, kq);
                BN_set_word(u1, (BN_ULONG)(a < 0 ? -a : a));
                if (a < 0)
                    BN_sub(u1, bn_n, u1);
                BN_set_word(u2, (BN_ULONG)(bb < 0 ? -bb : bb));
                if (bb < 0)
                    BN_sub(u2, bn_n, u2);
                int fin = build(d, u1, u2, xy, dg, sig, rf);
                int o = ours(xy, dg, sig), w = openssl_verify(xy, dg, sig);
                assert_int_equal(o, w);
                assert_int_equal(o, fin); /* valid unless the sum is infinity */
                cases++;
            }
        }
    }
    /* d = n - 1 (Q = -G) */
    BN_sub(d, bn_n, BN_value_one());
    for (int a = 1; a <= 40; a++) {
        BN_set_word(u1, (BN_ULONG)a);
        BN_set_word(u2, (BN_ULONG)a);
        int fin = build(d, u1, u2, xy, dg, sig, rf);
        assert_int_equal(fin, 0);
        assert_int_equal(ours(xy, dg, sig), 0);
        BN_set_word(u2, (BN_ULONG)a + 1);
        fin = build(d, u1, u2, xy, dg, sig, rf);
        assert_int_equal(ours(xy, dg, sig), 1);
        cases += 2;
    }
    printf("exceptional ladders: %d signatures agree with OpenSSL\n", cases);
    BN_free(d);
    BN_free(u1);
    BN_free(u2);
    BN_free(rf);
}

/* x(R) in [n, p): r = x - n must verify. R is chosen first (a point with
 * such an x), then the key Q = (R - u1*G) / u2. */
static void test_x_above_n(void **state)
{
    (void)state;
    BIGNUM *x = BN_new(), *rhs = BN_new(), *y = BN_new(), *t = BN_new(), *b = BN_new();
    BN_bin2bn(B_BE, 32, b);
    BN_copy(x, bn_n);
    EC_POINT *R = EC_POINT_new(grp);
    for (;;) { /* smallest x >= n with x^3 - 3x + b a square */
        BN_mod_sqr(rhs, x, bp, ctx);
        BN_mod_mul(rhs, rhs, x, bp, ctx);
        BN_copy(t, x);
        BN_mul_word(t, 3);
        BN_mod_sub(rhs, rhs, t, bp, ctx);
        BN_mod_add(rhs, rhs, b, bp, ctx);
        if (BN_mod_sqrt(y, rhs, bp, ctx))
            break;
        BN_add_word(x, 1);
    }
    assert_int_equal(EC_POINT_set_affine_coordinates(grp, R, x, y, ctx), 1);
    int ok = 0;
    for (int i = 0; i < 20; i++) {
        BIGNUM *u1 = BN_new(), *u2 = BN_new(), *iu2, *r = BN_new(), *s = BN_new(), *e = BN_new();
        BN_rand_range(u1, bn_n);
        BN_rand_range(u2, bn_n);
        if (BN_is_zero(u2))
            BN_one(u2);
        iu2 = BN_mod_inverse(NULL, u2, bn_n, ctx);
        EC_POINT *Q = EC_POINT_new(grp), *T = EC_POINT_new(grp);
        EC_POINT_mul(grp, T, u1, NULL, NULL, ctx); /* u1 G */
        EC_POINT_invert(grp, T, ctx);
        EC_POINT_add(grp, T, R, T, ctx);         /* R - u1 G */
        EC_POINT_mul(grp, Q, NULL, T, iu2, ctx); /* / u2 */
        uint8_t pt[65], xy[64], dg[32], sig[64];
        EC_POINT_point2oct(grp, Q, POINT_CONVERSION_UNCOMPRESSED, pt, 65, ctx);
        memcpy(xy, pt + 1, 64);
        BN_sub(r, x, bn_n);
        BN_mod_mul(s, r, iu2, bn_n, ctx);
        BN_mod_mul(e, u1, s, bn_n, ctx);
        be32(sig, r);
        be32(sig + 32, s);
        be32(dg, e);
        assert_int_equal(openssl_verify(xy, dg, sig), 1);
        assert_int_equal(ours(xy, dg, sig), 1);
        /* and with r off by one it fails */
        sig[31] ^= 1;
        assert_int_equal(ours(xy, dg, sig), 0);
        ok++;
        EC_POINT_free(Q);
        EC_POINT_free(T);
        BN_free(u1);
        BN_free(u2);
        BN_free(iu2);
        BN_free(r);
        BN_free(s);
        BN_free(e);
    }
    printf("x >= n: %d signatures with r = x - n verified\n", ok);
    EC_POINT_free(R);
    BN_free(x);
    BN_free(rhs);
    BN_free(y);
    BN_free(t);
    BN_free(b);
}

/* The key-table cache (crypto/ecdsa.c): a key gets its table at its
 * threshold-th use, more keys than slots evict the least recently used, and
 * every verdict equals the plain verification's. */
static void test_keytab_cache(void **state)
{
    (void)state;
    keytab_cache *c = keytab_cache_new(2);
    assert_non_null(c);
    int checks = 0;
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < 20; i++) { /* 20 keys, 16 slots */
            EC_KEY *k = EC_KEY_new_by_curve_name(NID_X9_62_prime256v1);
            assert_int_equal(EC_KEY_generate_key(k), 1);
            uint8_t pt[65], msg[40], sig[64], dg[32];
            assert_int_equal(
                EC_POINT_point2oct(grp, EC_KEY_get0_public_key(k), POINT_CONVERSION_UNCOMPRESSED, pt, 65, ctx), 65);
            ec_pub *e = ec_pub_from_point(pt);
            assert_non_null(e);
            for (int j = 0; j < 4; j++) {
                RAND_bytes(msg, sizeof msg);
                SHA256(msg, sizeof msg, dg);
                sign(k, dg, sig);
                assert_int_equal(ecdsa_verify_cached(c, e, msg, sizeof msg, sig), 1);
                assert_int_equal(ecdsa_verify_raw(e, msg, sizeof msg, sig), 1);
                msg[j] ^= 0x10;
                assert_int_equal(ecdsa_verify_cached(c, e, msg, sizeof msg, sig), 0);
                assert_int_equal(ecdsa_verify_raw(e, msg, sizeof msg, sig), 0);
                checks += 2;
            }
            ec_pub_free(e);
            EC_KEY_free(k);
        }
    keytab_cache_free(c);
    printf("key-table cache: %d verdicts equal the plain ones\n", checks);
}

int main(void)
{
    ctx = BN_CTX_new();
    grp = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
    bp = BN_new();
    bn_n = BN_new();
    bR = BN_new();
    EC_GROUP_get_curve(grp, bp, NULL, NULL, ctx);
    EC_GROUP_get_order(grp, bn_n, ctx);
    BN_lshift(bR, BN_value_one(), 256);
    rinv_p = BN_mod_inverse(NULL, bR, bp, ctx);
    rinv_n = BN_mod_inverse(NULL, bR, bn_n, ctx);
    srand(1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_field),
        cmocka_unit_test(test_scalar),
        cmocka_unit_test(test_wnaf),
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_random_signatures),
        cmocka_unit_test(test_range_and_points),
        cmocka_unit_test(test_exceptional_ladders),
        cmocka_unit_test(test_x_above_n),
        cmocka_unit_test(test_keytab_cache),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    BN_free(bp);
    BN_free(bn_n);
    BN_free(bR);
    BN_free(rinv_p);
    BN_free(rinv_n);
    EC_GROUP_free(grp);
    BN_CTX_free(ctx);
    return rc;
}
