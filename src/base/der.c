#include <stdlib.h>
#include <string.h>

#include "base/der.h"
#include "base/util.h"

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

int der_read_tlv(der_t *in, uint8_t *tag, der_t *val, der_t *tlv)
{
    if (in->len < 2)
        return -1;
    uint8_t t = in->p[0];
    /* multi-byte tags never occur in the structures we read */
    if ((t & 0x1f) == 0x1f)
        return -1;
    const uint8_t *start = in->p;
    if (der_read(in, t, val) != 0)
        return -1;
    *tag = t;
    if (tlv) {
        tlv->p = start;
        tlv->len = (size_t)(in->p - start);
    }
    return 0;
}

int der_peek(const der_t *in) { return in->len ? in->p[0] : -1; }

static int dd(const uint8_t *p, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        v = v * 10 + (p[i] - '0');
    }
    return v;
}

int der_time(uint8_t tag, const der_t *val, int64_t *out)
{
    const uint8_t *p = val->p;
    int year;
    if (tag == DER_UTCTIME) {
        if (val->len != 13 || p[12] != 'Z')
            return -1;
        int yy = dd(p, 2);
        if (yy < 0)
            return -1;
        year = yy < 50 ? 2000 + yy : 1900 + yy; /* RFC 5280 4.1.2.5.1 */
        p += 2;
    } else if (tag == DER_GENTIME) {
        if (val->len != 15 || p[14] != 'Z')
            return -1;
        year = dd(p, 4);
        if (year < 0)
            return -1;
        p += 4;
    } else {
        return -1;
    }
    int mon = dd(p, 2), day = dd(p + 2, 2), h = dd(p + 4, 2), mi = dd(p + 6, 2), s = dd(p + 8, 2);
    if (mon < 1 || mon > 12 || day < 1 || day > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 59)
        return -1;
    static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (day > mdays[mon - 1] || (mon == 2 && day == 29 && !((year % 4 == 0 && year % 100 != 0) || year % 400 == 0)))
        return -1;
    *out = utc_from_fields(year, mon, day, h, mi, s);
    return 0;
}

int der_read_oid(der_t *in, der_t *val)
{
    der_t v;
    der_t save = *in;
    if (der_read(in, DER_OID, &v) || v.len == 0 || (v.p[v.len - 1] & 0x80)) {
        *in = save;
        return -1;
    }
    for (size_t i = 0; i < v.len; i++) {
        int starts = i == 0 || !(v.p[i - 1] & 0x80);
        if (starts && v.p[i] == 0x80) {
            *in = save;
            return -1;
        }
    }
    *val = v;
    return 0;
}

int utf8_valid(const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = p[i];
        size_t k;
        uint32_t cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            k = 1;
            cp = c & 0x1fu;
        } else if ((c & 0xf0) == 0xe0) {
            k = 2;
            cp = c & 0x0fu;
        } else if ((c & 0xf8) == 0xf0) {
            k = 3;
            cp = c & 0x07u;
        } else {
            return 0;
        }
        if (n - i <= k)
            return 0;
        for (size_t j = 1; j <= k; j++) {
            if ((p[i + j] & 0xc0) != 0x80)
                return 0;
            cp = (cp << 6) | (p[i + j] & 0x3fu);
        }
        static const uint32_t min[4] = {0, 0x80, 0x800, 0x10000};
        if (cp < min[k] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += k + 1;
    }
    return 1;
}
