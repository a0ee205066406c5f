/*
 * ECDSA verification. A P-256 key used once goes through OpenSSL's EC_KEY
 * API; a key that verifies often gets a precomputed table from a key-table
 * cache and our own arithmetic (p256.c), which then costs about half of
 * OpenSSL's verification.
 *
 * OpenSSL's EC_KEY API It is deprecated in 3.0, but the
 * EVP route costs ~75 us more per key here (provider fetches for
 * EVP_PKEY_fromdata and EVP_PKEY_public_check) and ~10 us more per
 * verification, which is most of a warm verification's budget. The
 * arithmetic is the same (OpenSSL's nistz256 code either way).
 */
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/obj_mac.h>
#include <openssl/sha.h>

#include "crypto/crypto.h"
#include "crypto/p256.h"

struct ec_pub {
    /* OpenSSL's form. A P-256 key builds it on its first verification
     * without a table (~4 us that a key with a table never needs), so it is
     * set once, atomically, possibly while other threads use the key. */
    _Atomic(EC_KEY *) k;
    int p256;      /* pt and xy are set */
    p256_point pt; /* our form of a P-256 key, checked on the curve */
    uint8_t xy[64];
};

static EC_GROUP *g_p256, *g_p384;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void init_group(void)
{
    g_p256 = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
    g_p384 = EC_GROUP_new_by_curve_name(NID_secp384r1);
}

/* An uncompressed point (04 || X || Y) on g's curve as an EC_KEY, or NULL. */
static EC_KEY *key_from_point(EC_GROUP *g, const uint8_t *pt, size_t len)
{
    if (!g)
        return NULL;
    EC_KEY *k = EC_KEY_new();
    EC_POINT *p = EC_POINT_new(g);
    /* oct2point rejects points that are not on the curve */
    if (!k || !p || EC_KEY_set_group(k, g) != 1 || EC_POINT_oct2point(g, p, pt, len, NULL) != 1 ||
        EC_POINT_is_at_infinity(g, p) || EC_KEY_set_public_key(k, p) != 1) {
        EC_KEY_free(k);
        k = NULL;
    }
    EC_POINT_free(p);
    return k;
}

/* k's EC_KEY, built on first use for a P-256 key; NULL on failure */
static EC_KEY *openssl_key(const ec_pub *k)
{
    EC_KEY *ek = atomic_load(&((ec_pub *)k)->k);
    if (ek || !k->p256)
        return ek;
    uint8_t pt[65];
    pt[0] = 0x04;
    memcpy(pt + 1, k->xy, 64);
    EC_KEY *fresh = key_from_point(g_p256, pt, sizeof pt);
    if (!fresh)
        return NULL;
    if (atomic_compare_exchange_strong(&((ec_pub *)k)->k, &ek, fresh))
        return fresh;
    EC_KEY_free(fresh); /* another thread was first: ek holds its key */
    return ek;
}

ec_pub *ec_pub_from_point(const uint8_t pt[65])
{
    if (pt[0] != 0x04)
        return NULL;
    pthread_once(&g_once, init_group);
    ec_pub *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    atomic_init(&e->k, NULL);
    /* x, y < p and on the curve (tested and fuzzed against OpenSSL's check) */
    if (!p256_point_from_xy(&e->pt, pt + 1)) {
        free(e);
        return NULL;
    }
    e->p256 = 1;
    memcpy(e->xy, pt + 1, 64);
    return e;
}

ec_pub *ec_pub_p384_from_point(const uint8_t pt[97])
{
    if (pt[0] != 0x04)
        return NULL;
    pthread_once(&g_once, init_group);
    EC_KEY *k = key_from_point(g_p384, pt, 97);
    ec_pub *e = k ? calloc(1, sizeof *e) : NULL;
    if (!e) {
        EC_KEY_free(k);
        return NULL;
    }
    atomic_init(&e->k, k);
    return e;
}

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
    EC_KEY_free(atomic_load(&k->k));
    free(k);
}

int ecdsa_verify_raw(const ec_pub *k, const uint8_t *msg, size_t len, const uint8_t sig[64])
{
    EC_KEY *ek = k ? openssl_key(k) : NULL;
    if (!ek)
        return 0;
    uint8_t d[32];
    if (!SHA256(msg, len, d))
        return 0;
    ECDSA_SIG *es = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(sig, 32, NULL), *s = BN_bin2bn(sig + 32, 32, NULL);
    int ok = 0;
    if (es && r && s && ECDSA_SIG_set0(es, r, s) == 1) {
        r = s = NULL; /* owned by es */
        ok = ECDSA_do_verify(d, 32, es, ek) == 1;
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
        ok = ECDSA_do_verify(d, 48, es, openssl_key(k)) == 1;
    }
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(es);
    return ok;
}

/* ---- key tables ---- */

#define KEYTAB_SLOTS 16

struct keytab_cache {
    pthread_mutex_t mu;
    unsigned threshold;
    uint64_t tick;
    struct {
        int used, building;
        uint8_t xy[64];
        unsigned uses;
        p256_table *t;
        uint64_t tick;
    } e[KEYTAB_SLOTS];
};

keytab_cache *keytab_cache_new(unsigned threshold)
{
    keytab_cache *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    if (pthread_mutex_init(&c->mu, NULL) != 0) {
        free(c);
        return NULL;
    }
    c->threshold = threshold ? threshold : 1;
    return c;
}

void keytab_cache_free(keytab_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < KEYTAB_SLOTS; i++)
        p256_table_free(c->e[i].t);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

/* A reference to k's table when it has one or has now earned one (its
 * threshold-th use), else NULL. The table is built outside the lock. */
static p256_table *keytab_get(keytab_cache *c, const ec_pub *k)
{
    pthread_mutex_lock(&c->mu);
    size_t slot = KEYTAB_SLOTS, victim = 0;
    for (size_t i = 0; i < KEYTAB_SLOTS; i++) {
        if (c->e[i].used && memcmp(c->e[i].xy, k->xy, 64) == 0) {
            slot = i;
            break;
        }
        if (!c->e[i].used || (c->e[victim].used && c->e[i].tick < c->e[victim].tick))
            victim = i;
    }
    if (slot == KEYTAB_SLOTS) { /* first sight: take the least recently used slot */
        if (c->e[victim].building) {
            pthread_mutex_unlock(&c->mu);
            return NULL;
        }
        slot = victim;
        p256_table_free(c->e[slot].t);
        memset(&c->e[slot], 0, sizeof c->e[slot]);
        c->e[slot].used = 1;
        memcpy(c->e[slot].xy, k->xy, 64);
    }
    c->e[slot].tick = ++c->tick;
    p256_table *t = NULL;
    if (c->e[slot].t) {
        t = p256_table_ref(c->e[slot].t);
    } else if (++c->e[slot].uses >= c->threshold && !c->e[slot].building) {
        c->e[slot].building = 1;
        pthread_mutex_unlock(&c->mu);
        t = p256_table_new(&k->pt);
        pthread_mutex_lock(&c->mu);
        /* the slot cannot be reused while building is set */
        c->e[slot].building = 0;
        if (t)
            c->e[slot].t = p256_table_ref(t);
        else
            c->e[slot].uses = 0; /* out of memory: earn it again rather than retry on every use */
    }
    pthread_mutex_unlock(&c->mu);
    return t;
}

int ecdsa_verify_cached(keytab_cache *c, const ec_pub *k, const uint8_t *msg, size_t len, const uint8_t sig[64])
{
    if (!k || !k->p256)
        return 0;
    p256_table *t = c ? keytab_get(c, k) : NULL;
    if (!t)
        return ecdsa_verify_raw(k, msg, len, sig);
    uint8_t d[32];
    int ok = SHA256(msg, len, d) != NULL && p256_ecdsa_verify_digest(&k->pt, t, d, sig);
    p256_table_free(t);
    return ok;
}

static keytab_cache *g_ca_tabs;
static pthread_once_t g_ca_once = PTHREAD_ONCE_INIT;

static void ca_init(void) { g_ca_tabs = keytab_cache_new(4); }

int ecdsa_verify_ca(const ec_pub *k, const uint8_t *msg, size_t len, const uint8_t sig[64])
{
    pthread_once(&g_ca_once, ca_init);
    return ecdsa_verify_cached(g_ca_tabs, k, msg, len, sig);
}
