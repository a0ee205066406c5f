/*
 * ECDSA P-256 signature verification, written for speed on public data.
 *
 * Why our own: a TDX verification is nine P-256 verifications cold and one
 * warm, and OpenSSL 3.0's verify costs ~60 us on the machines we target. Its
 * assembly field arithmetic beats this portable C on a single signature, so a
 * key used once still goes through OpenSSL (crypto/ecdsa.c); what OpenSSL
 * cannot do is precompute for a key that verifies many signatures. With a
 * key table (below) a verification here costs about half of OpenSSL's. The
 * table-less ladder is kept as the reference the table ladder is tested
 * against. Verification handles only public values (key, message,
 * signature), so this code is deliberately variable-time: no secret ever
 * passes through it. It must never be used to sign or for key agreement.
 *
 * Arithmetic: field elements mod p and scalars mod n are four 64-bit limbs,
 * little-endian, in Montgomery form (R = 2^256). p = 2^256 - 2^224 + 2^192 +
 * 2^96 - 1 is -1 mod 2^64, so a Montgomery step mod p needs no multiplication
 * by -p^-1 and its multiple of p is mostly shifts. Points are Jacobian
 * (x = X/Z^2, y = Y/Z^3, Z = 0 is the point at infinity) with the a = -3
 * formulas from the Explicit-Formulas Database (dbl-2001-b, add-2007-bl,
 * madd-2007-bl), with every exceptional case (infinity, P + P, P - P)
 * handled explicitly. u1*G + u2*Q is one joint wNAF ladder: G from a
 * process-wide table of affine odd multiples (width 8), Q from 8 Jacobian
 * odd multiples built per signature (width 5). The result is
 * compared with r projectively (X == r * Z^2), so no field inversion is paid
 * per signature; s^-1 mod n comes from a variable-time binary extended
 * Euclidean algorithm.
 *
 * Tested against OpenSSL on edge-case and random field and scalar values,
 * random keys, mutated signatures, out-of-range values and hand-built
 * signatures that drive the ladders through their exceptional cases
 * (tests/crypto/test_p256.c).
 *
 * A key that verifies many signatures can have a table (p256_table_new):
 * its odd multiples at eight 32-bit offsets, like G's, so u1*G + u2*Q costs
 * 33 doublings instead of 256. crypto/ecdsa.c decides which keys get one.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "crypto/p256.h"

typedef uint64_t fe[4];
typedef unsigned __int128 u128;

/* p, n, R^2 mod p, R^2 mod n, -n^-1 mod 2^64 */
static const fe P = {0xffffffffffffffffull, 0x00000000ffffffffull, 0, 0xffffffff00000001ull};
static const fe N = {0xf3b9cac2fc632551ull, 0xbce6faada7179e84ull, 0xffffffffffffffffull, 0xffffffff00000000ull};
static const fe RR_P = {0x0000000000000003ull, 0xfffffffbffffffffull, 0xfffffffffffffffeull, 0x00000004fffffffdull};
static const fe RR_N = {0x83244c95be79eea2ull, 0x4699799c49bd6fa6ull, 0x2845b2392b6bec59ull, 0x66e12d94f3d95620ull};
static const uint64_t N0 = 0xccd1c8aaee00bc4full;

/* SEC 2 curve constants, big-endian */
static const uint8_t B_BE[32] = {0x5a, 0xc6, 0x35, 0xd8, 0xaa, 0x3a, 0x93, 0xe7, 0xb3, 0xeb, 0xbd,
                                 0x55, 0x76, 0x98, 0x86, 0xbc, 0x65, 0x1d, 0x06, 0xb0, 0xcc, 0x53,
                                 0xb0, 0xf6, 0x3b, 0xce, 0x3c, 0x3e, 0x27, 0xd2, 0x60, 0x4b};
static const uint8_t GXY_BE[64] = {0x6b, 0x17, 0xd1, 0xf2, 0xe1, 0x2c, 0x42, 0x47, 0xf8, 0xbc, 0xe6, 0xe5, 0x63,
                                   0xa4, 0x40, 0xf2, 0x77, 0x03, 0x7d, 0x81, 0x2d, 0xeb, 0x33, 0xa0, 0xf4, 0xa1,
                                   0x39, 0x45, 0xd8, 0x98, 0xc2, 0x96, 0x4f, 0xe3, 0x42, 0xe2, 0xfe, 0x1a, 0x7f,
                                   0x9b, 0x8e, 0xe7, 0xeb, 0x4a, 0x7c, 0x0f, 0x9e, 0x16, 0x2b, 0xce, 0x33, 0x57,
                                   0x6b, 0x31, 0x5e, 0xce, 0xcb, 0xb6, 0x40, 0x68, 0x37, 0xbf, 0x51, 0xf5};

/* ---- limb primitives ---- */

static inline uint8_t adc(uint8_t c, uint64_t a, uint64_t b, uint64_t *r)
{
#if defined(__x86_64__)
    unsigned long long o;
    c = _addcarry_u64(c, a, b, &o);
    *r = o;
    return c;
#else
    u128 t = (u128)a + b + c;
    *r = (uint64_t)t;
    return (uint8_t)(t >> 64);
#endif
}

static inline uint8_t sbb(uint8_t c, uint64_t a, uint64_t b, uint64_t *r)
{
#if defined(__x86_64__)
    unsigned long long o;
    c = _subborrow_u64(c, a, b, &o);
    *r = o;
    return c;
#else
    u128 t = (u128)a - b - c;
    *r = (uint64_t)t;
    return (uint8_t)((t >> 64) & 1);
#endif
}

static inline uint64_t mul(uint64_t a, uint64_t b, uint64_t *hi)
{
    u128 t = (u128)a * b;
    *hi = (uint64_t)(t >> 64);
    return (uint64_t)t;
}

/* (t0..t4) += a * b, the carry out of t4 in *t5 */
#define ROW(a, b)                                                                                                      \
    do {                                                                                                               \
        uint64_t h0_, h1_, h2_, h3_, l0_, l1_, l2_, l3_;                                                               \
        uint8_t c_;                                                                                                    \
        l0_ = mul((a)[0], (b), &h0_);                                                                                  \
        l1_ = mul((a)[1], (b), &h1_);                                                                                  \
        l2_ = mul((a)[2], (b), &h2_);                                                                                  \
        l3_ = mul((a)[3], (b), &h3_);                                                                                  \
        c_ = adc(0, l1_, h0_, &l1_);                                                                                   \
        c_ = adc(c_, l2_, h1_, &l2_);                                                                                  \
        c_ = adc(c_, l3_, h2_, &l3_);                                                                                  \
        (void)adc(c_, h3_, 0, &h3_);                                                                                   \
        c_ = adc(0, t0, l0_, &t0);                                                                                     \
        c_ = adc(c_, t1, l1_, &t1);                                                                                    \
        c_ = adc(c_, t2, l2_, &t2);                                                                                    \
        c_ = adc(c_, t3, l3_, &t3);                                                                                    \
        c_ = adc(c_, t4, h3_, &t4);                                                                                    \
        t5 = c_;                                                                                                       \
    } while (0)

/* (t0..t3) = (t0..t4, t5) - m mod 2^320 when the difference is >= 0, else
 * unchanged; used for the final subtraction of a Montgomery product < 2m */
static inline void final_sub(uint64_t r[4], uint64_t t0, uint64_t t1, uint64_t t2, uint64_t t3, uint64_t t4, const fe m)
{
    uint64_t s0, s1, s2, s3, d;
    uint8_t bw = sbb(0, t0, m[0], &s0);
    bw = sbb(bw, t1, m[1], &s1);
    bw = sbb(bw, t2, m[2], &s2);
    bw = sbb(bw, t3, m[3], &s3);
    bw = sbb(bw, t4, 0, &d);
    uint64_t keep = (uint64_t)0 - bw; /* borrow: the value was < m */
    r[0] = (t0 & keep) | (s0 & ~keep);
    r[1] = (t1 & keep) | (s1 & ~keep);
    r[2] = (t2 & keep) | (s2 & ~keep);
    r[3] = (t3 & keep) | (s3 & ~keep);
}

/* ---- field mod p, Montgomery form, every result fully reduced ---- */

/* t = (t0..t4) + m*p, shifted down one limb (m = t0; -p^-1 = 1 mod 2^64).
 * Limb 0 becomes 0 carrying m, limb 1 gains m*(2^32 - 1) + m = m << 32, limb
 * 3 gains m*p[3]. */
#define REDUCE_P()                                                                                                     \
    do {                                                                                                               \
        uint64_t m_ = t0, mh_, ml_ = mul(m_, 0xffffffff00000001ull, &mh_);                                             \
        uint8_t c_ = adc(0, t1, m_ << 32, &t0);                                                                        \
        c_ = adc(c_, t2, m_ >> 32, &t1);                                                                               \
        c_ = adc(c_, t3, ml_, &t2);                                                                                    \
        c_ = adc(c_, t4, mh_, &t3);                                                                                    \
        (void)adc(c_, t5, 0, &t4);                                                                                     \
    } while (0)

static inline void fe_mul(fe r, const fe a, const fe b)
{
    uint64_t t0, t1, t2, t3, t4, t5 = 0;
    const uint64_t b0 = b[0], b1 = b[1], b2 = b[2], b3 = b[3];
    const uint64_t av[4] = {a[0], a[1], a[2], a[3]};
    {
        uint64_t h0, h1, h2, h3;
        t0 = mul(av[0], b0, &h0);
        t1 = mul(av[1], b0, &h1);
        t2 = mul(av[2], b0, &h2);
        t3 = mul(av[3], b0, &h3);
        uint8_t c = adc(0, t1, h0, &t1);
        c = adc(c, t2, h1, &t2);
        c = adc(c, t3, h2, &t3);
        (void)adc(c, h3, 0, &t4);
    }
    REDUCE_P();
    ROW(av, b1);
    REDUCE_P();
    ROW(av, b2);
    REDUCE_P();
    ROW(av, b3);
    REDUCE_P();
    final_sub(r, t0, t1, t2, t3, t4, P);
}

static inline void fe_sqr(fe r, const fe a) { fe_mul(r, a, a); }

static inline void fe_add(fe r, const fe a, const fe b)
{
    uint64_t t0, t1, t2, t3;
    uint8_t c = adc(0, a[0], b[0], &t0);
    c = adc(c, a[1], b[1], &t1);
    c = adc(c, a[2], b[2], &t2);
    c = adc(c, a[3], b[3], &t3);
    final_sub(r, t0, t1, t2, t3, c, P);
}

/* r = a - b mod m, for a, b < m */
static inline void sub_mod(fe r, const fe a, const fe b, const fe m)
{
    uint64_t t0, t1, t2, t3;
    uint8_t bw = sbb(0, a[0], b[0], &t0);
    bw = sbb(bw, a[1], b[1], &t1);
    bw = sbb(bw, a[2], b[2], &t2);
    bw = sbb(bw, a[3], b[3], &t3);
    uint64_t mask = (uint64_t)0 - bw; /* went negative: add m back */
    uint8_t c = adc(0, t0, m[0] & mask, &r[0]);
    c = adc(c, t1, m[1] & mask, &r[1]);
    c = adc(c, t2, m[2] & mask, &r[2]);
    (void)adc(c, t3, m[3] & mask, &r[3]);
}

static inline void fe_sub(fe r, const fe a, const fe b) { sub_mod(r, a, b, P); }

static inline int fe_is_zero(const fe a) { return (a[0] | a[1] | a[2] | a[3]) == 0; }

static inline int fe_eq(const fe a, const fe b)
{
    return ((a[0] ^ b[0]) | (a[1] ^ b[1]) | (a[2] ^ b[2]) | (a[3] ^ b[3])) == 0;
}

static void fe_sqr_n(fe r, const fe a, int n)
{
    fe_sqr(r, a);
    while (--n > 0)
        fe_sqr(r, r);
}

/* r = a^(p-2) = a^-1 (a != 0). p-2 in 32-bit words from the top:
 * ffffffff 00000001 00000000 00000000 00000000 ffffffff ffffffff fffffffd */
static void fe_inv(fe r, const fe a)
{
    fe x2, x3, x6, x12, x15, x30, x32, t;
    fe_sqr(x2, a);
    fe_mul(x2, x2, a); /* a^(2^2-1) */
    fe_sqr(x3, x2);
    fe_mul(x3, x3, a);
    fe_sqr_n(x6, x3, 3);
    fe_mul(x6, x6, x3);
    fe_sqr_n(x12, x6, 6);
    fe_mul(x12, x12, x6);
    fe_sqr_n(x15, x12, 3);
    fe_mul(x15, x15, x3);
    fe_sqr_n(x30, x15, 15);
    fe_mul(x30, x30, x15);
    fe_sqr_n(x32, x30, 2);
    fe_mul(x32, x32, x2);
    fe_sqr_n(t, x32, 32); /* ffffffff 00000001 */
    fe_mul(t, t, a);
    fe_sqr_n(t, t, 96); /* three zero words */
    fe_sqr_n(t, t, 32);
    fe_mul(t, t, x32);
    fe_sqr_n(t, t, 32);
    fe_mul(t, t, x32);
    fe_sqr_n(t, t, 30); /* fffffffd = 30 ones, 0, 1 */
    fe_mul(t, t, x30);
    fe_sqr_n(t, t, 2);
    fe_mul(r, t, a);
}

/* 1 if a < m */
static int limbs_lt(const fe a, const fe m)
{
    uint64_t d;
    uint8_t bw = sbb(0, a[0], m[0], &d);
    bw = sbb(bw, a[1], m[1], &d);
    bw = sbb(bw, a[2], m[2], &d);
    bw = sbb(bw, a[3], m[3], &d);
    return bw;
}

/* big-endian 32 bytes -> limbs; 1 if the value is < m */
static int be_to_limbs(fe r, const uint8_t be[32], const fe m)
{
    for (int i = 0; i < 4; i++) {
        uint64_t w = 0;
        for (int j = 0; j < 8; j++)
            w = (w << 8) | be[(3 - i) * 8 + j];
        r[i] = w;
    }
    return limbs_lt(r, m);
}

static void fe_to_mont(fe r, const fe a) { fe_mul(r, a, RR_P); }

/* ---- scalars mod n, Montgomery form ---- */

/* t = (t0..t4, t5) + m*n shifted down one limb, m = t0 * -n^-1 mod 2^64 */
#define REDUCE_N()                                                                                                     \
    do {                                                                                                               \
        uint64_t m_ = t0 * N0, h0_, h1_, h2_, h3_, l0_, l1_, l2_, l3_, drop_;                                          \
        l0_ = mul(m_, N[0], &h0_);                                                                                     \
        l1_ = mul(m_, N[1], &h1_);                                                                                     \
        l2_ = mul(m_, N[2], &h2_);                                                                                     \
        l3_ = mul(m_, N[3], &h3_);                                                                                     \
        uint8_t c_ = adc(0, l1_, h0_, &l1_);                                                                           \
        c_ = adc(c_, l2_, h1_, &l2_);                                                                                  \
        c_ = adc(c_, l3_, h2_, &l3_);                                                                                  \
        (void)adc(c_, h3_, 0, &h3_);                                                                                   \
        c_ = adc(0, t0, l0_, &drop_); /* limb 0 becomes 0 */                                                           \
        c_ = adc(c_, t1, l1_, &t0);                                                                                    \
        c_ = adc(c_, t2, l2_, &t1);                                                                                    \
        c_ = adc(c_, t3, l3_, &t2);                                                                                    \
        c_ = adc(c_, t4, h3_, &t3);                                                                                    \
        (void)adc(c_, t5, 0, &t4);                                                                                     \
    } while (0)

/* r = a - b mod n, a and b < n */
static void sc_sub(fe r, const fe a, const fe b) { sub_mod(r, a, b, N); }

static void sc_mul(fe r, const fe a, const fe b)
{
    uint64_t t0 = 0, t1 = 0, t2 = 0, t3 = 0, t4 = 0, t5 = 0;
    const uint64_t av[4] = {a[0], a[1], a[2], a[3]}, b0 = b[0], b1 = b[1], b2 = b[2], b3 = b[3];
    ROW(av, b0);
    REDUCE_N();
    ROW(av, b1);
    REDUCE_N();
    ROW(av, b2);
    REDUCE_N();
    ROW(av, b3);
    REDUCE_N();
    final_sub(r, t0, t1, t2, t3, t4, N);
}

/* x = x / 2^k mod n for 1 <= k <= 63 and x < n: add m*n with
 * m = x * -n^-1 mod 2^k so the low k bits clear, then shift. */
static void sc_half_k(fe x, unsigned k)
{
    uint64_t m = (x[0] * N0) & ((UINT64_C(1) << k) - 1), t[5], h[4], p[4];
    for (int j = 0; j < 4; j++)
        p[j] = mul(m, N[j], &h[j]);
    uint8_t c = adc(0, p[1], h[0], &p[1]);
    c = adc(c, p[2], h[1], &p[2]);
    c = adc(c, p[3], h[2], &p[3]);
    (void)adc(c, h[3], 0, &t[4]);
    c = adc(0, x[0], p[0], &t[0]);
    c = adc(c, x[1], p[1], &t[1]);
    c = adc(c, x[2], p[2], &t[2]);
    c = adc(c, x[3], p[3], &t[3]);
    (void)adc(c, t[4], 0, &t[4]); /* x + m*n < 2^320 */
    for (int j = 0; j < 4; j++)
        t[j] = (t[j] >> k) | (t[j + 1] << (64 - k));
    t[4] >>= k; /* now < 2n */
    final_sub(x, t[0], t[1], t[2], t[3], t[4], N);
}

static unsigned ctz_nonzero(const fe a)
{
    unsigned z = 0;
    for (int i = 0; i < 4; i++) {
        if (a[i])
            return z + (unsigned)__builtin_ctzll(a[i]);
        z += 64;
    }
    return z; /* a == 0: not reached by the callers */
}

/* u = u >> k (k may exceed 63), x = x / 2^k mod n */
static void shift_pair(fe u, fe x, unsigned k)
{
    while (k >= 64) {
        u[0] = u[1], u[1] = u[2], u[2] = u[3], u[3] = 0;
        sc_half_k(x, 32);
        sc_half_k(x, 32);
        k -= 64;
    }
    if (k) {
        for (int j = 0; j < 3; j++)
            u[j] = (u[j] >> k) | (u[j + 1] << (64 - k));
        u[3] >>= k;
        sc_half_k(x, k);
    }
}

static int fe_is_one(const fe a) { return a[0] == 1 && (a[1] | a[2] | a[3]) == 0; }

/* r = a^-1 mod n (normal form) by the binary extended Euclidean algorithm,
 * variable-time (a is public). Invariants: x1*a = u, x2*a = v (mod n).
 * 0 when a has no inverse (a = 0), which the callers have excluded. */
static int sc_inv_var(fe r, const fe a)
{
    fe u, v, x1 = {1, 0, 0, 0}, x2 = {0, 0, 0, 0};
    memcpy(u, a, sizeof u);
    memcpy(v, N, sizeof v);
    if (fe_is_zero(u))
        return 0;
    for (int guard = 0; guard < 1024; guard++) {
        shift_pair(u, x1, ctz_nonzero(u));
        if (fe_is_one(u)) {
            memcpy(r, x1, sizeof(fe));
            return 1;
        }
        shift_pair(v, x2, ctz_nonzero(v));
        if (fe_is_one(v)) {
            memcpy(r, x2, sizeof(fe));
            return 1;
        }
        /* both odd and > 1; they differ since gcd(a, n) = 1 */
        uint64_t d[4];
        uint8_t bw = sbb(0, u[0], v[0], &d[0]);
        bw = sbb(bw, u[1], v[1], &d[1]);
        bw = sbb(bw, u[2], v[2], &d[2]);
        bw = sbb(bw, u[3], v[3], &d[3]);
        if (!bw) { /* u >= v */
            memcpy(u, d, sizeof u);
            if (fe_is_zero(u))
                return 0;
            sc_sub(x1, x1, x2);
        } else {
            bw = sbb(0, v[0], u[0], &v[0]);
            bw = sbb(bw, v[1], u[1], &v[1]);
            bw = sbb(bw, v[2], u[2], &v[2]);
            (void)sbb(bw, v[3], u[3], &v[3]);
            sc_sub(x2, x2, x1);
        }
    }
    return 0;
}

/* ---- points ---- */

typedef struct {
    fe x, y, z;
} jac;

static fe g_b, g_one; /* b and 1 in Montgomery form */
static p256_point g_G;

/* A fixed-base table: for each of SPLITS bases B_k = 2^(32k) * X, the odd
 * multiples B_k, 3B_k, ..., (2^(TW-1) - 1) B_k in affine form. A 256-bit
 * scalar is cut into SPLITS 32-bit chunks, each written in width-TW NAF, so
 * u*X costs 33 doublings (shared with the other scalar) and about 4 additions
 * a chunk. */
#define SPLITS 8
#define TW 8
#define TN (1 << (TW - 2))
struct p256_table {
    p256_point p[SPLITS * TN]; /* row k (base B_k) at p + k*TN */
    atomic_uint refs;
};
static p256_table g_tab; /* for G (its refs unused) */
static int g_ready;      /* g_tab was filled */
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void pt_dbl(jac *r, const jac *a)
{
    if (fe_is_zero(a->z)) {
        *r = *a;
        return;
    }
    fe delta, gamma, beta, alpha, t1, t2, x3, y3, z3;
    fe_sqr(delta, a->z);
    fe_sqr(gamma, a->y);
    fe_mul(beta, a->x, gamma);
    fe_sub(t1, a->x, delta);
    fe_add(t2, a->x, delta);
    fe_mul(t1, t1, t2);
    fe_add(alpha, t1, t1);
    fe_add(alpha, alpha, t1); /* 3(X - delta)(X + delta) */
    fe_add(t1, beta, beta);
    fe_add(t1, t1, t1); /* 4 beta */
    fe_add(t2, t1, t1); /* 8 beta */
    fe_sqr(x3, alpha);
    fe_sub(x3, x3, t2);
    fe_add(z3, a->y, a->z);
    fe_sqr(z3, z3);
    fe_sub(z3, z3, gamma);
    fe_sub(z3, z3, delta);
    fe_sub(t1, t1, x3);
    fe_mul(y3, alpha, t1);
    fe_sqr(t2, gamma);
    fe_add(t2, t2, t2);
    fe_add(t2, t2, t2);
    fe_add(t2, t2, t2); /* 8 gamma^2 */
    fe_sub(y3, y3, t2);
    memcpy(r->x, x3, sizeof(fe));
    memcpy(r->y, y3, sizeof(fe));
    memcpy(r->z, z3, sizeof(fe));
}

static void set_infinity(jac *r) { memset(r, 0, sizeof *r); }

/* r = a + b, b affine (never infinity) */
static void pt_madd(jac *r, const jac *a, const p256_point *b)
{
    if (fe_is_zero(a->z)) {
        memcpy(r->x, b->x, sizeof(fe));
        memcpy(r->y, b->y, sizeof(fe));
        memcpy(r->z, g_one, sizeof(fe));
        return;
    }
    fe z1z1, u2, s2, h, hh, i, j, rr, v, x3, y3, z3, t;
    fe_sqr(z1z1, a->z);
    fe_mul(u2, b->x, z1z1);
    fe_mul(s2, b->y, a->z);
    fe_mul(s2, s2, z1z1);
    fe_sub(h, u2, a->x);
    fe_sub(rr, s2, a->y);
    if (fe_is_zero(h)) {
        if (fe_is_zero(rr))
            pt_dbl(r, a); /* a == b */
        else
            set_infinity(r); /* a == -b */
        return;
    }
    fe_add(rr, rr, rr);
    fe_sqr(hh, h);
    fe_add(i, hh, hh);
    fe_add(i, i, i);
    fe_mul(j, h, i);
    fe_mul(v, a->x, i);
    fe_sqr(x3, rr);
    fe_sub(x3, x3, j);
    fe_sub(x3, x3, v);
    fe_sub(x3, x3, v);
    fe_sub(t, v, x3);
    fe_mul(y3, rr, t);
    fe_mul(t, a->y, j);
    fe_add(t, t, t);
    fe_sub(y3, y3, t);
    fe_add(z3, a->z, h);
    fe_sqr(z3, z3);
    fe_sub(z3, z3, z1z1);
    fe_sub(z3, z3, hh);
    memcpy(r->x, x3, sizeof(fe));
    memcpy(r->y, y3, sizeof(fe));
    memcpy(r->z, z3, sizeof(fe));
}

/* r = a + b, both Jacobian */
static void pt_add(jac *r, const jac *a, const jac *b)
{
    if (fe_is_zero(a->z)) {
        *r = *b;
        return;
    }
    if (fe_is_zero(b->z)) {
        *r = *a;
        return;
    }
    fe z1z1, z2z2, u1, u2, s1, s2, h, i, j, rr, v, x3, y3, z3, t;
    fe_sqr(z1z1, a->z);
    fe_sqr(z2z2, b->z);
    fe_mul(u1, a->x, z2z2);
    fe_mul(u2, b->x, z1z1);
    fe_mul(s1, a->y, b->z);
    fe_mul(s1, s1, z2z2);
    fe_mul(s2, b->y, a->z);
    fe_mul(s2, s2, z1z1);
    fe_sub(h, u2, u1);
    fe_sub(rr, s2, s1);
    if (fe_is_zero(h)) {
        if (fe_is_zero(rr))
            pt_dbl(r, a);
        else
            set_infinity(r);
        return;
    }
    fe_add(rr, rr, rr);
    fe_add(i, h, h);
    fe_sqr(i, i);
    fe_mul(j, h, i);
    fe_mul(v, u1, i);
    fe_sqr(x3, rr);
    fe_sub(x3, x3, j);
    fe_sub(x3, x3, v);
    fe_sub(x3, x3, v);
    fe_sub(t, v, x3);
    fe_mul(y3, rr, t);
    fe_mul(t, s1, j);
    fe_add(t, t, t);
    fe_sub(y3, y3, t);
    fe_add(z3, a->z, b->z);
    fe_sqr(z3, z3);
    fe_sub(z3, z3, z1z1);
    fe_sub(z3, z3, z2z2);
    fe_mul(z3, z3, h);
    memcpy(r->x, x3, sizeof(fe));
    memcpy(r->y, y3, sizeof(fe));
    memcpy(r->z, z3, sizeof(fe));
}

/* Affine forms of n finite Jacobian points with one inversion. */
static void batch_to_affine(p256_point *out, const jac *in, int n, fe *scratch)
{
    memcpy(scratch[0], in[0].z, sizeof(fe));
    for (int i = 1; i < n; i++)
        fe_mul(scratch[i], scratch[i - 1], in[i].z);
    fe inv, zi, zi2;
    fe_inv(inv, scratch[n - 1]);
    for (int i = n - 1; i >= 0; i--) {
        if (i > 0) {
            fe_mul(zi, inv, scratch[i - 1]); /* 1/z_i */
            fe_mul(inv, inv, in[i].z);
        } else {
            memcpy(zi, inv, sizeof(fe));
        }
        fe_sqr(zi2, zi);
        fe_mul(out[i].x, in[i].x, zi2);
        fe_mul(zi2, zi2, zi);
        fe_mul(out[i].y, in[i].y, zi2);
    }
}

static int on_curve(const fe x, const fe y)
{
    fe l, r, t;
    fe_sqr(l, y);
    fe_sqr(r, x);
    fe_mul(r, r, x);
    fe_add(t, x, x);
    fe_add(t, t, x);
    fe_sub(r, r, t);
    fe_add(r, r, g_b);
    return fe_eq(l, r);
}

/* Fill t for the point x: 0 on allocation failure. */
static int table_fill(p256_table *t, const p256_point *x)
{
    jac *j = malloc(sizeof(jac) * SPLITS * TN);
    fe *scratch = malloc(sizeof(fe) * SPLITS * TN);
    if (!j || !scratch) {
        free(j);
        free(scratch);
        return 0;
    }
    jac base, twice;
    memcpy(base.x, x->x, sizeof(fe));
    memcpy(base.y, x->y, sizeof(fe));
    memcpy(base.z, g_one, sizeof(fe));
    for (int k = 0; k < SPLITS; k++) {
        jac *row = j + k * TN;
        if (k > 0)
            for (int i = 0; i < 32; i++)
                pt_dbl(&base, &base);
        row[0] = base;
        pt_dbl(&twice, &base);
        for (int i = 1; i < TN; i++)
            pt_add(&row[i], &row[i - 1], &twice);
    }
    batch_to_affine(t->p, j, SPLITS * TN, scratch);
    free(j);
    free(scratch);
    return 1;
}

static void init(void)
{
    fe t;
    (void)be_to_limbs(t, B_BE, P);
    fe_to_mont(g_b, t);
    static const fe one = {1, 0, 0, 0};
    fe_to_mont(g_one, one);
    (void)be_to_limbs(t, GXY_BE, P);
    fe_to_mont(g_G.x, t);
    (void)be_to_limbs(t, GXY_BE + 32, P);
    fe_to_mont(g_G.y, t);

    g_ready = table_fill(&g_tab, &g_G);
}

int p256_point_from_xy(p256_point *pt, const uint8_t xy[64])
{
    pthread_once(&g_once, init);
    fe x, y;
    if (!be_to_limbs(x, xy, P) || !be_to_limbs(y, xy + 32, P))
        return 0;
    fe_to_mont(pt->x, x);
    fe_to_mont(pt->y, y);
    /* (0, 0) is not on the curve either (b != 0), so infinity cannot pass */
    return on_curve(pt->x, pt->y);
}

/* Width-w NAF of a scalar k < 2^256: digits odd or 0, |d| < 2^(w-1), at most
 * one nonzero in any w consecutive. Returns the number of digits (<= 257). */
static int wnaf(int8_t out[257], const fe k, int w)
{
    uint64_t t[5] = {k[0], k[1], k[2], k[3], 0};
    int len = 0;
    const int full = 1 << w, half = 1 << (w - 1);
    memset(out, 0, 257);
    while (t[0] | t[1] | t[2] | t[3] | t[4]) {
        int d = 0;
        if (t[0] & 1) {
            d = (int)(t[0] & (uint64_t)(full - 1));
            if (d >= half)
                d -= full;
            uint8_t c;
            if (d > 0) {
                c = sbb(0, t[0], (uint64_t)d, &t[0]);
                for (int i = 1; i < 5; i++)
                    c = sbb(c, t[i], 0, &t[i]);
            } else {
                c = adc(0, t[0], (uint64_t)-d, &t[0]);
                for (int i = 1; i < 5; i++)
                    c = adc(c, t[i], 0, &t[i]);
            }
        }
        out[len++] = (int8_t)d;
        for (int i = 0; i < 4; i++)
            t[i] = (t[i] >> 1) | (t[i + 1] << 63);
        t[4] >>= 1;
    }
    return len;
}

static void neg_y(fe r, const fe y)
{
    static const fe zero = {0, 0, 0, 0};
    fe_sub(r, zero, y);
}

static void madd_digit(jac *acc, const p256_point *row, int d)
{
    if (d > 0) {
        pt_madd(acc, acc, &row[d >> 1]);
    } else {
        p256_point m;
        memcpy(m.x, row[-d >> 1].x, sizeof(fe));
        neg_y(m.y, row[-d >> 1].y);
        pt_madd(acc, acc, &m);
    }
}

/* u1*G + u2*Q with Q's odd multiples built here (Q used once) */
static void ladder_plain(jac *acc, const fe u1, const fe u2, const p256_point *q)
{
    jac tq[8], q2; /* Q, 3Q, ..., 15Q */
    memcpy(tq[0].x, q->x, sizeof(fe));
    memcpy(tq[0].y, q->y, sizeof(fe));
    memcpy(tq[0].z, g_one, sizeof(fe));
    pt_dbl(&q2, &tq[0]);
    for (int i = 1; i < 8; i++)
        pt_add(&tq[i], &tq[i - 1], &q2);

    int8_t d1[257], d2[257];
    int n1 = wnaf(d1, u1, TW), n2 = wnaf(d2, u2, 5);
    set_infinity(acc);
    for (int i = (n1 > n2 ? n1 : n2) - 1; i >= 0; i--) {
        pt_dbl(acc, acc);
        if (d1[i])
            madd_digit(acc, g_tab.p, d1[i]);
        if (d2[i]) {
            const jac *t = &tq[(d2[i] < 0 ? -d2[i] : d2[i]) >> 1];
            if (d2[i] > 0) {
                pt_add(acc, acc, t);
            } else {
                jac m = *t;
                neg_y(m.y, t->y);
                pt_add(acc, acc, &m);
            }
        }
    }
}

/* u1*G + u2*Q with both tables: 33 shared doublings */
static void ladder_tables(jac *acc, const fe u1, const fe u2, const p256_table *qt)
{
    int8_t d[2][SPLITS][257];
    int len = 0;
    for (int k = 0; k < SPLITS; k++) {
        const fe c1 = {(u1[k / 2] >> (32 * (k % 2))) & 0xffffffffu, 0, 0, 0};
        const fe c2 = {(u2[k / 2] >> (32 * (k % 2))) & 0xffffffffu, 0, 0, 0};
        int a = wnaf(d[0][k], c1, TW), b = wnaf(d[1][k], c2, TW);
        len = a > len ? a : len;
        len = b > len ? b : len;
    }
    set_infinity(acc);
    for (int i = len - 1; i >= 0; i--) {
        pt_dbl(acc, acc);
        for (int k = 0; k < SPLITS; k++) {
            if (d[0][k][i])
                madd_digit(acc, g_tab.p + k * TN, d[0][k][i]);
            if (d[1][k][i])
                madd_digit(acc, qt->p + k * TN, d[1][k][i]);
        }
    }
}

int p256_ecdsa_verify_digest(const p256_point *q, const p256_table *qt, const uint8_t digest[32], const uint8_t sig[64])
{
    pthread_once(&g_once, init);
    fe r, s, e;
    if (!g_ready || !be_to_limbs(r, sig, N) || !be_to_limbs(s, sig + 32, N) || fe_is_zero(r) || fe_is_zero(s))
        return 0;
    /* e = digest mod n: digest < 2^256 < 2n, so one subtraction at most */
    if (!be_to_limbs(e, digest, N)) {
        uint8_t bw = sbb(0, e[0], N[0], &e[0]);
        bw = sbb(bw, e[1], N[1], &e[1]);
        bw = sbb(bw, e[2], N[2], &e[2]);
        (void)sbb(bw, e[3], N[3], &e[3]);
    }

    /* w = s^-1; with w in Montgomery form, u1 = e*w and u2 = r*w come out in
     * normal form */
    fe w, wm, u1, u2;
    if (!sc_inv_var(w, s))
        return 0;
    sc_mul(wm, w, RR_N);
    sc_mul(u1, e, wm);
    sc_mul(u2, r, wm);

    jac acc;
    if (qt)
        ladder_tables(&acc, u1, u2, qt);
    else
        ladder_plain(&acc, u1, u2, q);
    if (fe_is_zero(acc.z))
        return 0;

    /* x(acc) mod n == r  <=>  X == r*Z^2 or (r + n < p and X == (r+n)*Z^2) */
    fe z2, rm, t;
    fe_sqr(z2, acc.z);
    fe_to_mont(rm, r);
    fe_mul(t, rm, z2);
    if (fe_eq(t, acc.x))
        return 1;
    fe rn;
    uint8_t c = adc(0, r[0], N[0], &rn[0]);
    c = adc(c, r[1], N[1], &rn[1]);
    c = adc(c, r[2], N[2], &rn[2]);
    c = adc(c, r[3], N[3], &rn[3]);
    if (c || !limbs_lt(rn, P)) /* r + n >= p: no second candidate */
        return 0;
    fe_to_mont(rm, rn);
    fe_mul(t, rm, z2);
    return fe_eq(t, acc.x);
}

p256_table *p256_table_new(const p256_point *q)
{
    pthread_once(&g_once, init);
    p256_table *t = malloc(sizeof *t);
    if (t && (!g_ready || !table_fill(t, q))) {
        free(t);
        return NULL;
    }
    if (t)
        atomic_init(&t->refs, 1);
    return t;
}

p256_table *p256_table_ref(p256_table *t)
{
    atomic_fetch_add(&t->refs, 1);
    return t;
}

void p256_table_free(p256_table *t)
{
    if (t && atomic_fetch_sub(&t->refs, 1) == 1)
        free(t);
}
