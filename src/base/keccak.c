/* Keccak-256 (the original Keccak padding, 0x01 — not SHA3-256's 0x06), as
 * dstack uses for MRCONFIGID format 2. OpenSSL 3.0 has no KECCAK-256. */
#include <string.h>

#include "base/util.h"

static const uint64_t k_rc[24] = {
    0x0000000000000001ull, 0x0000000000008082ull, 0x800000000000808Aull, 0x8000000080008000ull, 0x000000000000808Bull,
    0x0000000080000001ull, 0x8000000080008081ull, 0x8000000000008009ull, 0x000000000000008Aull, 0x0000000000000088ull,
    0x0000000080008009ull, 0x000000008000000Aull, 0x000000008000808Bull, 0x800000000000008Bull, 0x8000000000008089ull,
    0x8000000000008003ull, 0x8000000000008002ull, 0x8000000000000080ull, 0x000000000000800Aull, 0x800000008000000Aull,
    0x8000000080008081ull, 0x8000000000008080ull, 0x0000000080000001ull, 0x8000000080008008ull};
static const unsigned k_rot[25] = {0,  1,  62, 28, 27, 36, 44, 6,  55, 20, 3,  10, 43,
                                   25, 39, 41, 45, 15, 21, 8,  18, 2,  61, 56, 14};

static uint64_t rol(uint64_t x, unsigned n) { return n ? (x << n) | (x >> (64 - n)) : x; }

static void keccak_f(uint64_t s[25])
{
    for (int round = 0; round < 24; round++) {
        uint64_t c[5], b[25];
        for (int x = 0; x < 5; x++)
            c[x] = s[x] ^ s[x + 5] ^ s[x + 10] ^ s[x + 15] ^ s[x + 20];
        for (int x = 0; x < 5; x++) {
            uint64_t d = c[(x + 4) % 5] ^ rol(c[(x + 1) % 5], 1);
            for (int y = 0; y < 25; y += 5)
                s[y + x] ^= d;
        }
        for (int x = 0; x < 5; x++) /* rho and pi: b[y][2x+3y] = rot(s[x][y]) */
            for (int y = 0; y < 5; y++)
                b[((2 * x + 3 * y) % 5) * 5 + y] = rol(s[y * 5 + x], k_rot[y * 5 + x]);
        for (int y = 0; y < 25; y += 5) /* chi */
            for (int x = 0; x < 5; x++)
                s[y + x] = b[y + x] ^ (~b[y + (x + 1) % 5] & b[y + (x + 2) % 5]);
        s[0] ^= k_rc[round]; /* iota */
    }
}

void keccak256(const uint8_t *in, size_t len, uint8_t out[32])
{
    enum { RATE = 136 };
    uint64_t s[25];
    uint8_t block[RATE];
    memset(s, 0, sizeof s);
    for (;;) {
        size_t n = len < RATE ? len : RATE;
        memset(block, 0, RATE);
        memcpy(block, in, n);
        if (n < RATE) { /* the last, padded block: 0x01 ... 0x80 */
            block[n] ^= 0x01;
            block[RATE - 1] ^= 0x80;
        }
        for (int i = 0; i < RATE / 8; i++) {
            uint64_t w = 0;
            for (int k = 7; k >= 0; k--)
                w = (w << 8) | block[8 * i + k];
            s[i] ^= w;
        }
        keccak_f(s);
        if (n < RATE)
            break;
        in += n;
        len -= n;
    }
    for (int i = 0; i < 32; i++)
        out[i] = (uint8_t)(s[i / 8] >> (8 * (i % 8)));
}
