#include <stdlib.h>
#include <string.h>

#include "base/der.h"

int der_read(der_t *in, uint8_t tag, der_t *val)
{
    if (in->len < 2 || in->p[0] != tag)
        return -1;
    size_t off = 2, n = in->p[1];
    if (n & 0x80) {
        size_t k = n & 0x7f;
        if (k == 0 || k > 3 || in->len < 2 + k)
            return -1;
        n = 0;
        for (size_t i = 0; i < k; i++)
            n = (n << 8) | in->p[2 + i];
        /* DER: long form only when needed, no leading zero octets */
        if (n < 0x80 || in->p[2] == 0)
            return -1;
        off += k;
    }
    if (in->len - off < n)
        return -1;
    val->p = in->p + off;
    val->len = n;
    in->p += off + n;
    in->len -= off + n;
    return 0;
}

int der_uint(const der_t *val, uint64_t max, uint64_t *out)
{
    if (val->len == 0 || val->len > 9)
        return -1;
    if (val->p[0] & 0x80) /* negative */
        return -1;
    if (val->len > 1 && val->p[0] == 0 && !(val->p[1] & 0x80)) /* non-minimal */
        return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < val->len; i++) {
        if (v >> 56)
            return -1;
        v = (v << 8) | val->p[i];
    }
    if (v > max)
        return -1;
    *out = v;
    return 0;
}

int der_oid_equals(const der_t *val, const char *dotted)
{
    uint8_t enc[64];
    size_t n = 0;
    unsigned long arcs[32];
    size_t na = 0;
    const char *s = dotted;
    while (*s && na < 32) {
        char *end;
        arcs[na++] = strtoul(s, &end, 10);
        s = *end == '.' ? end + 1 : end;
    }
    if (na < 2)
        return 0;
    unsigned long first = arcs[0] * 40 + arcs[1];
    for (size_t i = 1; i < na; i++) {
        unsigned long a = i == 1 ? first : arcs[i];
        uint8_t tmp[10];
        size_t k = 0;
        do {
            tmp[k++] = (uint8_t)(a & 0x7f);
            a >>= 7;
        } while (a && k < sizeof tmp);
        while (k) {
            if (n >= sizeof enc)
                return 0;
            k--;
            enc[n++] = (uint8_t)(tmp[k] | (k ? 0x80 : 0));
        }
    }
    return val->len == n && memcmp(val->p, enc, n) == 0;
}
