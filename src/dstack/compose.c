/* The dstack app-compose hash, byte for byte as dstack-sdk (Python)
 * `get_compose_hash(app_compose, normalize=False)` computes it:
 *
 *   AppCompose.from_dict(d)   top-level NaN/±Infinity -> None; `runner`
 *                             popped (KeyError if absent) and passed through
 *                             str(); docker_config / requirements (when not
 *                             None) rebuilt through their classes, which drop
 *                             their own known fields when None;
 *   AppCompose.to_dict()      keeps the attributes from dir(self) that do not
 *                             start with "_" and are not None;
 *   sort_object + json.dumps  keys sorted by code point at every level,
 *                             separators (",", ":"), ensure_ascii=False,
 *                             nested NaN/±Infinity -> null;
 *   sha256(text.encode("utf-8")).
 *
 * The JSON is parsed here rather than with jansson because Python keeps what
 * jansson cannot: integers of any size, NaN/Infinity literals, overflowing
 * floats (-> inf), "\u0000" in keys. Floats are printed as Python's repr
 * (shortest round-trip digits). Inputs on which the SDK raises are rejected
 * with a sentence saying why. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "base/util.h"

/* Python's default int_max_str_digits: int() of a longer literal raises. */
#define PY_INT_MAX_DIGITS 4300

typedef enum cv_type {
    CV_NULL,
    CV_FALSE,
    CV_TRUE,
    CV_NUMBER,    /* text: Python's str() of the int or float */
    CV_NONFINITE, /* NaN, Infinity, -Infinity or an overflowing float */
    CV_STRING,    /* text: UTF-8, may hold NUL */
    CV_ARRAY,
    CV_OBJECT,
} cv_type;

typedef struct cv cv;

typedef struct cv_member {
    char *key; /* NULL in arrays */
    size_t klen;
    cv *val;
} cv_member;

struct cv {
    cv_type type;
    char *text;
    size_t tlen;
    cv_member *m; /* array items or object members (objects sorted by key) */
    size_t n, cap;
};

typedef struct parser {
    const uint8_t *p;
    size_t len, pos;
    char *err;
    size_t errlen;
} parser;

static void cv_free(cv *v)
{
    if (!v)
        return;
    for (size_t i = 0; i < v->n; i++) {
        free(v->m[i].key);
        cv_free(v->m[i].val);
    }
    free(v->m);
    free(v->text);
    free(v);
}

/* The error helpers return their status as a constant, which also lets the
 * static analyser see that no failure path returns RATLS_OK. */
static ratls_status perr(parser *ps, const char *what)
{
    (void)set_err(ps->err, ps->errlen, RATLS_ERR_APP_COMPOSE, "app compose: invalid JSON at byte %zu: %s", ps->pos,
                  what);
    return RATLS_ERR_APP_COMPOSE;
}

static ratls_status oom(parser *ps)
{
    (void)set_err(ps->err, ps->errlen, RATLS_ERR_NO_MEMORY, "out of memory");
    return RATLS_ERR_NO_MEMORY;
}

static void skip_ws(parser *ps)
{
    while (ps->pos < ps->len &&
           (ps->p[ps->pos] == ' ' || ps->p[ps->pos] == '\t' || ps->p[ps->pos] == '\n' || ps->p[ps->pos] == '\r'))
        ps->pos++;
}

static int lit(parser *ps, const char *word)
{
    size_t n = strlen(word);
    if (ps->len - ps->pos < n || memcmp(ps->p + ps->pos, word, n) != 0)
        return 0;
    ps->pos += n;
    return 1;
}

/* Growable byte buffer with a hard cap. */
typedef struct sbuf {
    char *b;
    size_t n, cap, max;
    int failed; /* 1 = out of memory, 2 = over max */
} sbuf;

static void sb_put(sbuf *s, const void *d, size_t n)
{
    if (s->failed)
        return;
    if (n > s->max - s->n) {
        s->failed = 2;
        return;
    }
    if (s->n + n + 1 > s->cap) {
        size_t c = s->cap ? s->cap : 256;
        while (c < s->n + n + 1)
            c *= 2;
        char *nb = realloc(s->b, c);
        if (!nb) {
            s->failed = 1;
            return;
        }
        s->b = nb;
        s->cap = c;
    }
    memcpy(s->b + s->n, d, n);
    s->n += n;
    s->b[s->n] = 0;
}

static void sb_str(sbuf *s, const char *z) { sb_put(s, z, strlen(z)); }

static void sb_utf8(sbuf *s, uint32_t c)
{
    uint8_t u[4];
    size_t n;
    if (c < 0x80) {
        u[0] = (uint8_t)c;
        n = 1;
    } else if (c < 0x800) {
        u[0] = (uint8_t)(0xC0 | (c >> 6));
        u[1] = (uint8_t)(0x80 | (c & 0x3F));
        n = 2;
    } else if (c < 0x10000) {
        u[0] = (uint8_t)(0xE0 | (c >> 12));
        u[1] = (uint8_t)(0x80 | ((c >> 6) & 0x3F));
        u[2] = (uint8_t)(0x80 | (c & 0x3F));
        n = 3;
    } else {
        u[0] = (uint8_t)(0xF0 | (c >> 18));
        u[1] = (uint8_t)(0x80 | ((c >> 12) & 0x3F));
        u[2] = (uint8_t)(0x80 | ((c >> 6) & 0x3F));
        u[3] = (uint8_t)(0x80 | (c & 0x3F));
        n = 4;
    }
    sb_put(s, u, n);
}

/* Length of the well-formed UTF-8 sequence at p (strict: no overlongs, no
 * surrogates, at most U+10FFFF), or 0. */
static size_t utf8_len(const uint8_t *p, size_t avail)
{
    uint8_t c = p[0];
    size_t n;
    uint32_t cp, min;
    if (c < 0x80)
        return 1;
    if ((c & 0xE0) == 0xC0) {
        n = 2;
        cp = c & 0x1Fu;
        min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        n = 3;
        cp = c & 0x0Fu;
        min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
        n = 4;
        cp = c & 0x07u;
        min = 0x10000;
    } else {
        return 0;
    }
    if (avail < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3Fu);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

static int hex4(const uint8_t *p, uint32_t *out)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        uint8_t c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (uint32_t)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

/* A JSON string (at the opening quote) decoded to UTF-8. Lone surrogates are
 * refused: Python's json.loads keeps them but .encode("utf-8") raises. */
static ratls_status parse_string(parser *ps, char **out, size_t *olen)
{
    sbuf s = {NULL, 0, 0, RATLS_COMPOSE_MAX_LEN, 0};
    ps->pos++; /* the quote */
    for (;;) {
        if (ps->pos >= ps->len) {
            free(s.b);
            return perr(ps, "unterminated string");
        }
        uint8_t c = ps->p[ps->pos];
        if (c == '"') {
            ps->pos++;
            break;
        }
        if (c < 0x20) {
            free(s.b);
            return perr(ps, "control character inside a string (must be escaped)");
        }
        if (c != '\\') {
            size_t n = utf8_len(ps->p + ps->pos, ps->len - ps->pos);
            if (!n) {
                free(s.b);
                return perr(ps, "invalid UTF-8");
            }
            sb_put(&s, ps->p + ps->pos, n);
            ps->pos += n;
            continue;
        }
        if (ps->pos + 1 >= ps->len) {
            free(s.b);
            return perr(ps, "unterminated escape");
        }
        uint8_t e = ps->p[ps->pos + 1];
        const char *simple = NULL;
        switch (e) {
        case '"':
            simple = "\"";
            break;
        case '\\':
            simple = "\\";
            break;
        case '/':
            simple = "/";
            break;
        case 'b':
            simple = "\b";
            break;
        case 'f':
            simple = "\f";
            break;
        case 'n':
            simple = "\n";
            break;
        case 'r':
            simple = "\r";
            break;
        case 't':
            simple = "\t";
            break;
        default:
            break;
        }
        if (simple) {
            sb_put(&s, simple, 1);
            ps->pos += 2;
            continue;
        }
        uint32_t cp;
        if (e != 'u' || ps->len - ps->pos < 6 || hex4(ps->p + ps->pos + 2, &cp)) {
            free(s.b);
            return perr(ps, "invalid escape sequence");
        }
        ps->pos += 6;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            uint32_t lo;
            if (ps->len - ps->pos < 6 || ps->p[ps->pos] != '\\' || ps->p[ps->pos + 1] != 'u' ||
                hex4(ps->p + ps->pos + 2, &lo) || lo < 0xDC00 || lo > 0xDFFF) {
                free(s.b);
                return perr(ps, "unpaired UTF-16 surrogate escape (cannot be encoded as UTF-8)");
            }
            ps->pos += 6;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            free(s.b);
            return perr(ps, "unpaired UTF-16 surrogate escape (cannot be encoded as UTF-8)");
        }
        sb_utf8(&s, cp);
    }
    if (s.failed) {
        free(s.b);
        return s.failed == 1 ? oom(ps) : perr(ps, "string too long");
    }
    if (!s.b) {
        s.b = calloc(1, 1);
        if (!s.b)
            return oom(ps);
    }
    *out = s.b;
    *olen = s.n;
    return RATLS_OK;
}

/* Round-trips: the double nearest to digits[0..n) x 10^e equals v. */
static int digits_round_trip(const char *digits, int n, int e, double v)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%.*se%d", n, digits, e);
    return strtod(buf, NULL) == v;
}

/* Python's repr of a finite double: the shortest digit string that reads
 * back to v (nearest to v among the shortest), then fixed notation when the
 * decimal exponent is in [-4, 16), scientific otherwise. */
static void py_float_repr(double v, char out[40])
{
    char *o = out;
    if (signbit(v)) {
        *o++ = '-';
        v = -v;
    }
    if (v == 0) {
        memcpy(o, "0.0", 4);
        return;
    }
    char dig[24];
    int nd = 0, e10 = 0;
    for (int p = 1; p <= 17; p++) {
        char buf[48];
        snprintf(buf, sizeof buf, "%.*e", p - 1, v);
        /* digits before 'e' (whatever the locale's decimal point), exponent after */
        const char *x = strchr(buf, 'e');
        nd = 0;
        for (const char *c = buf; c < x; c++)
            if (*c >= '0' && *c <= '9')
                dig[nd++] = *c;
        dig[nd] = 0;
        e10 = (int)strtol(x + 1, NULL, 10);
        int scale = e10 - (nd - 1);
        if (digits_round_trip(dig, nd, scale, v))
            break;
        /* Just above a power of two the rounding interval below v is half as
         * wide as above it: the nearest p-digit string may miss it while its
         * neighbour on the other side of v reads back to v. */
        char nb[24];
        memcpy(nb, dig, (size_t)nd + 1);
        int ne = e10;
        char tmp[64];
        snprintf(tmp, sizeof tmp, "%se%d", dig, scale);
        if (strtod(tmp, NULL) > v) {
            int i = nd - 1;
            while (i >= 0 && nb[i] == '0')
                nb[i--] = '9';
            if (i < 0) /* cannot happen: dig is not all zeros */
                continue;
            nb[i]--;
            if (nb[0] == '0') {
                /* 10..0 - 1 = 99..9 one decade down, keeping p digits */
                memset(nb, '9', (size_t)nd);
                ne--;
            }
        } else {
            int i = nd - 1;
            while (i >= 0 && nb[i] == '9')
                nb[i--] = '0';
            if (i < 0) {
                nb[0] = '1';
                ne++;
            } else {
                nb[i]++;
            }
        }
        if (p < 17 && digits_round_trip(nb, nd, ne - (nd - 1), v)) {
            memcpy(dig, nb, (size_t)nd + 1);
            e10 = ne;
            break;
        }
    }
    while (nd > 1 && dig[nd - 1] == '0')
        dig[--nd] = 0;
    if (e10 < -4 || e10 >= 16) {
        *o++ = dig[0];
        if (nd > 1) {
            *o++ = '.';
            memcpy(o, dig + 1, (size_t)nd - 1);
            o += nd - 1;
        }
        char eb[16]; /* |e10| <= 324 */
        snprintf(eb, sizeof eb, "e%c%02d", e10 < 0 ? '-' : '+', e10 < 0 ? -e10 : e10);
        memcpy(o, eb, strlen(eb) + 1);
    } else if (e10 < 0) {
        *o++ = '0';
        *o++ = '.';
        for (int i = 0; i < -e10 - 1; i++)
            *o++ = '0';
        memcpy(o, dig, (size_t)nd + 1);
    } else if (e10 + 1 >= nd) {
        memcpy(o, dig, (size_t)nd);
        o += nd;
        for (int i = 0; i < e10 + 1 - nd; i++)
            *o++ = '0';
        memcpy(o, ".0", 3);
    } else {
        memcpy(o, dig, (size_t)e10 + 1);
        o += e10 + 1;
        *o++ = '.';
        memcpy(o, dig + e10 + 1, (size_t)(nd - e10 - 1) + 1);
    }
}

static ratls_status set_text(parser *ps, cv *v, const char *t, size_t n)
{
    v->text = malloc(n + 1);
    if (!v->text)
        return oom(ps);
    memcpy(v->text, t, n);
    v->text[n] = 0;
    v->tlen = n;
    return RATLS_OK;
}

/* A JSON number -> Python's str() of what json.loads makes of it. */
static ratls_status parse_number(parser *ps, cv *v)
{
    const uint8_t *p = ps->p;
    size_t start = ps->pos, i = ps->pos;
    int neg = 0;
    if (i < ps->len && p[i] == '-') {
        neg = 1;
        i++;
    }
    size_t int_start = i;
    if (i < ps->len && p[i] == '0') {
        i++;
    } else if (i < ps->len && p[i] >= '1' && p[i] <= '9') {
        while (i < ps->len && p[i] >= '0' && p[i] <= '9')
            i++;
    } else {
        return perr(ps, "invalid number");
    }
    size_t int_end = i, frac_start = i, frac_end = i;
    int is_float = 0;
    if (i < ps->len && p[i] == '.') {
        frac_start = ++i;
        while (i < ps->len && p[i] >= '0' && p[i] <= '9')
            i++;
        frac_end = i;
        /* Python's scanner stops at "1." and then finds junk; either way an error */
        if (frac_end == frac_start) {
            ps->pos = i;
            return perr(ps, "invalid number (no digit after the decimal point)");
        }
        is_float = 1;
    }
    long exp = 0;
    if (i < ps->len && (p[i] == 'e' || p[i] == 'E')) {
        size_t save = i;
        i++;
        int eneg = 0;
        if (i < ps->len && (p[i] == '+' || p[i] == '-'))
            eneg = p[i++] == '-';
        if (i >= ps->len || p[i] < '0' || p[i] > '9') {
            ps->pos = save;
            return perr(ps, "invalid number (no digit in the exponent)");
        }
        while (i < ps->len && p[i] >= '0' && p[i] <= '9') {
            if (exp < 1000000000L) /* saturate: beyond this the value is 0 or inf anyway */
                exp = exp * 10 + (p[i] - '0');
            i++;
        }
        if (eneg)
            exp = -exp;
        is_float = 1;
    }
    ps->pos = i;
    if (!is_float) {
        v->type = CV_NUMBER;
        if (int_end - int_start > PY_INT_MAX_DIGITS) {
            (void)set_err(ps->err, ps->errlen, RATLS_ERR_APP_COMPOSE,
                          "app compose: integer at byte %zu has more than %d digits (Python's json.loads refuses it)",
                          start, PY_INT_MAX_DIGITS);
            return RATLS_ERR_APP_COMPOSE;
        }
        if (neg && int_end - int_start == 1 && p[int_start] == '0') /* int("-0") is 0 */
            return set_text(ps, v, "0", 1);
        return set_text(ps, v, (const char *)p + start, i - start);
    }
    /* float(): mantissa digits without the decimal point (locale-proof). */
    size_t nint = int_end - int_start, nfrac = frac_end - frac_start;
    char *buf = malloc(nint + nfrac + 32);
    if (!buf)
        return oom(ps);
    size_t o = 0;
    if (neg)
        buf[o++] = '-';
    memcpy(buf + o, p + int_start, nint);
    o += nint;
    memcpy(buf + o, p + frac_start, nfrac);
    o += nfrac;
    snprintf(buf + o, 24, "e%ld", exp - (long)nfrac);
    double d = strtod(buf, NULL);
    free(buf);
    if (!isfinite(d)) {
        v->type = CV_NONFINITE; /* float("1e400") is inf */
        return RATLS_OK;
    }
    char r[40];
    py_float_repr(d, r);
    v->type = CV_NUMBER;
    return set_text(ps, v, r, strlen(r));
}

static int member_cmp(const void *a, const void *b)
{
    const cv_member *x = a, *y = b;
    size_t n = x->klen < y->klen ? x->klen : y->klen;
    int c = memcmp(x->key, y->key, n);
    if (c)
        return c;
    return x->klen < y->klen ? -1 : x->klen > y->klen;
}

static ratls_status add_member(parser *ps, cv *v, char *key, size_t klen, cv *val)
{
    if (v->n == v->cap) {
        size_t c = v->cap ? v->cap * 2 : 8;
        cv_member *nm = realloc(v->m, c * sizeof *nm);
        if (!nm)
            return oom(ps);
        v->m = nm;
        v->cap = c;
    }
    v->m[v->n].key = key;
    v->m[v->n].klen = klen;
    v->m[v->n].val = val;
    v->n++;
    return RATLS_OK;
}

static ratls_status parse_value(parser *ps, unsigned depth, cv **out)
{
    skip_ws(ps);
    if (ps->pos >= ps->len)
        return perr(ps, "unexpected end of input");
    cv *v = calloc(1, sizeof *v);
    if (!v)
        return oom(ps);
    ratls_status s = RATLS_OK;
    uint8_t c = ps->p[ps->pos];
    if (c == '{' || c == '[') {
        if (depth >= RATLS_COMPOSE_MAX_DEPTH) {
            free(v);
            (void)set_err(ps->err, ps->errlen, RATLS_ERR_TOO_LARGE,
                          "app compose: nested deeper than %u levels at byte %zu", (unsigned)RATLS_COMPOSE_MAX_DEPTH,
                          ps->pos);
            return RATLS_ERR_TOO_LARGE;
        }
        int obj = c == '{';
        uint8_t close = obj ? '}' : ']';
        v->type = obj ? CV_OBJECT : CV_ARRAY;
        ps->pos++;
        skip_ws(ps);
        if (ps->pos < ps->len && ps->p[ps->pos] == close) {
            ps->pos++;
            *out = v;
            return RATLS_OK;
        }
        for (;;) {
            char *key = NULL;
            size_t klen = 0;
            if (obj) {
                skip_ws(ps);
                if (ps->pos >= ps->len || ps->p[ps->pos] != '"') {
                    s = perr(ps, "expected a string key");
                    break;
                }
                if ((s = parse_string(ps, &key, &klen)) != RATLS_OK)
                    break;
                skip_ws(ps);
                if (ps->pos >= ps->len || ps->p[ps->pos] != ':') {
                    free(key);
                    s = perr(ps, "expected ':' after a key");
                    break;
                }
                ps->pos++;
            }
            cv *item = NULL;
            if ((s = parse_value(ps, depth + 1, &item)) != RATLS_OK) {
                free(key);
                break;
            }
            if ((s = add_member(ps, v, key, klen, item)) != RATLS_OK) {
                free(key);
                cv_free(item);
                break;
            }
            skip_ws(ps);
            if (ps->pos < ps->len && ps->p[ps->pos] == ',') {
                ps->pos++;
                continue;
            }
            if (ps->pos < ps->len && ps->p[ps->pos] == close) {
                ps->pos++;
                break;
            }
            s = perr(ps, obj ? "expected ',' or '}'" : "expected ',' or ']'");
            break;
        }
        if (s == RATLS_OK && obj && v->n > 1) {
            qsort(v->m, v->n, sizeof *v->m, member_cmp);
            for (size_t i = 1; i < v->n; i++) {
                if (member_cmp(&v->m[i - 1], &v->m[i]) == 0) {
                    s = set_err(ps->err, ps->errlen, RATLS_ERR_APP_COMPOSE,
                                "app compose: duplicate key \"%.*s\" in an object ending at byte %zu",
                                (int)(v->m[i].klen > 64 ? 64 : v->m[i].klen), v->m[i].key, ps->pos);
                    break;
                }
            }
        }
    } else if (c == '"') {
        v->type = CV_STRING;
        s = parse_string(ps, &v->text, &v->tlen);
    } else if (c == '-' || (c >= '0' && c <= '9')) {
        if (lit(ps, "-Infinity"))
            v->type = CV_NONFINITE;
        else
            s = parse_number(ps, v);
    } else if (lit(ps, "null")) {
        v->type = CV_NULL;
    } else if (lit(ps, "true")) {
        v->type = CV_TRUE;
    } else if (lit(ps, "false")) {
        v->type = CV_FALSE;
    } else if (lit(ps, "NaN") || lit(ps, "Infinity")) {
        v->type = CV_NONFINITE; /* Python's json.loads accepts these */
    } else {
        s = perr(ps, "unexpected character");
    }
    if (s != RATLS_OK) {
        cv_free(v);
        return s;
    }
    *out = v;
    return RATLS_OK;
}

/* Python's json.dumps string: only '"', '\\' and controls escaped. */
static void emit_string(sbuf *b, const char *s, size_t n)
{
    sb_put(b, "\"", 1);
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = (uint8_t)s[i];
        const char *e = NULL;
        char u[8];
        if (c == '"')
            e = "\\\"";
        else if (c == '\\')
            e = "\\\\";
        else if (c == '\n')
            e = "\\n";
        else if (c == '\r')
            e = "\\r";
        else if (c == '\t')
            e = "\\t";
        else if (c == '\b')
            e = "\\b";
        else if (c == '\f')
            e = "\\f";
        else if (c < 0x20) {
            snprintf(u, sizeof u, "\\u%04x", c);
            e = u;
        }
        if (!e)
            continue;
        sb_put(b, s + run, i - run);
        sb_str(b, e);
        run = i + 1;
    }
    sb_put(b, s + run, n - run);
    sb_put(b, "\"", 1);
}

static void emit_value(sbuf *b, const cv *v)
{
    switch (v->type) {
    case CV_NULL:
    case CV_NONFINITE:
        sb_str(b, "null");
        break; /* SDK: nested NaN/Infinity -> None */
    case CV_FALSE:
        sb_str(b, "false");
        break;
    case CV_TRUE:
        sb_str(b, "true");
        break;
    case CV_NUMBER:
        sb_put(b, v->text, v->tlen);
        break;
    case CV_STRING:
        emit_string(b, v->text, v->tlen);
        break;
    case CV_ARRAY:
    case CV_OBJECT:
        sb_put(b, v->type == CV_OBJECT ? "{" : "[", 1);
        for (size_t i = 0; i < v->n; i++) {
            if (i)
                sb_put(b, ",", 1);
            if (v->type == CV_OBJECT) {
                emit_string(b, v->m[i].key, v->m[i].klen);
                sb_put(b, ":", 1);
            }
            emit_value(b, v->m[i].val);
        }
        sb_put(b, v->type == CV_OBJECT ? "}" : "]", 1);
        break;
    }
}

static int key_is(const cv_member *m, const char *k) { return m->klen == strlen(k) && memcmp(m->key, k, m->klen) == 0; }

/* docker_config / requirements: rebuilt through DockerConfig(**d) /
 * Requirements(**d), whose to_dict drops its own known fields when None. */
static ratls_status emit_sub(sbuf *b, const cv_member *top, const char *const *known, char *err, size_t errlen)
{
    const cv *v = top->val;
    if (v->type != CV_OBJECT)
        return set_err(err, errlen, RATLS_ERR_APP_COMPOSE,
                       "app compose: \"%s\" must be an object (dstack-sdk raises TypeError on %s)", top->key,
                       v->type == CV_NULL ? "null" : "anything else");
    emit_string(b, top->key, top->klen);
    sb_str(b, ":{");
    int first = 1;
    for (size_t i = 0; i < v->n; i++) {
        const cv_member *m = &v->m[i];
        if (key_is(m, "self"))
            return set_err(err, errlen, RATLS_ERR_APP_COMPOSE,
                           "app compose: \"%s\" has a key \"self\" (dstack-sdk raises TypeError on it)", top->key);
        int drop = 0;
        for (size_t k = 0; known[k]; k++)
            drop |= key_is(m, known[k]) && m->val->type == CV_NULL;
        if (drop)
            continue;
        if (!first)
            sb_put(b, ",", 1);
        first = 0;
        emit_string(b, m->key, m->klen);
        sb_put(b, ":", 1);
        emit_value(b, m->val);
    }
    sb_put(b, "}", 1);
    return RATLS_OK;
}

/* The AppCompose.from_dict -> to_dict -> sort -> dumps pipeline over the
 * (already key-sorted) parsed object. */
static ratls_status emit_compose(sbuf *b, const cv *root, char *err, size_t errlen)
{
    static const char *const docker_known[] = {"registry", "username", "token_key", NULL};
    static const char *const req_known[] = {"os_version",        "platforms",  "tdx_measure_acpi_tables",
                                            "launch_token_hash", "gpu_policy", NULL};
    /* Attribute names on which AppCompose(**d) or to_dict() raises. */
    static const char *const fatal[] = {"self", "to_dict", "__class__", "__dict__", "__weakref__", NULL};
    if (root->type != CV_OBJECT)
        return set_err(err, errlen, RATLS_ERR_APP_COMPOSE, "app compose: the top level must be a JSON object");
    int have_runner = 0;
    for (size_t i = 0; i < root->n; i++)
        have_runner |= key_is(&root->m[i], "runner");
    if (!have_runner)
        return set_err(err, errlen, RATLS_ERR_APP_COMPOSE,
                       "app compose: the \"runner\" field is missing (dstack-sdk requires it)");
    sb_put(b, "{", 1);
    int first = 1;
    for (size_t i = 0; i < root->n; i++) {
        const cv_member *m = &root->m[i];
        const cv *v = m->val;
        for (size_t k = 0; fatal[k]; k++)
            if (key_is(m, fatal[k]))
                return set_err(err, errlen, RATLS_ERR_APP_COMPOSE,
                               "app compose: a top-level field may not be named \"%s\" (dstack-sdk raises on it)",
                               fatal[k]);
        int is_docker = key_is(m, "docker_config"), is_req = key_is(m, "requirements");
        int is_runner = key_is(m, "runner");
        if (!is_docker && !is_req && !is_runner) {
            /* to_dict skips private-looking attributes and None (NaN/Infinity became None) */
            if ((m->klen && m->key[0] == '_') || v->type == CV_NULL || v->type == CV_NONFINITE)
                continue;
        }
        if (!first)
            sb_put(b, ",", 1);
        first = 0;
        if (is_docker || is_req) {
            ratls_status s = emit_sub(b, m, is_docker ? docker_known : req_known, err, errlen);
            if (s != RATLS_OK)
                return s;
            continue;
        }
        emit_string(b, m->key, m->klen);
        sb_put(b, ":", 1);
        if (!is_runner) {
            emit_value(b, v);
            continue;
        }
        /* runner = str(value) */
        switch (v->type) {
        case CV_STRING:
        case CV_NUMBER:
            emit_string(b, v->text, v->tlen);
            break;
        case CV_NULL:
        case CV_NONFINITE:
            sb_str(b, "\"None\"");
            break;
        case CV_TRUE:
            sb_str(b, "\"True\"");
            break;
        case CV_FALSE:
            sb_str(b, "\"False\"");
            break;
        case CV_ARRAY:
        case CV_OBJECT:
            return set_err(err, errlen, RATLS_ERR_APP_COMPOSE,
                           "app compose: \"runner\" is a list or object; dstack-sdk would hash its Python repr, which "
                           "is not reproduced here");
        }
    }
    sb_put(b, "}", 1);
    return RATLS_OK;
}

ratls_status ratls_compose_canonical(const uint8_t *json, size_t len, char **out, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = 0;
    if (!out || (!json && len))
        return set_err(err, errlen, RATLS_ERR_INVALID_ARGUMENT, "ratls_compose_canonical: NULL argument");
    *out = NULL;
    if (len > RATLS_COMPOSE_MAX_LEN)
        return set_err(err, errlen, RATLS_ERR_TOO_LARGE, "app compose: %zu bytes exceed the limit of %u", len,
                       (unsigned)RATLS_COMPOSE_MAX_LEN);
    parser ps = {json, len, 0, err, errlen};
    if (len >= 3 && json[0] == 0xEF && json[1] == 0xBB && json[2] == 0xBF)
        return perr(&ps, "starts with a UTF-8 byte-order mark");
    cv *root = NULL;
    ratls_status s = parse_value(&ps, 0, &root);
    if (s != RATLS_OK)
        return s;
    skip_ws(&ps);
    if (ps.pos != len) {
        cv_free(root);
        return perr(&ps, "extra data after the JSON value");
    }
    /* every byte may grow into a 6-byte escape */
    sbuf b = {NULL, 0, 0, 6 * (size_t)RATLS_COMPOSE_MAX_LEN + 64, 0};
    s = emit_compose(&b, root, err, errlen);
    cv_free(root);
    if (s == RATLS_OK && b.failed)
        s = b.failed == 1 ? set_err(err, errlen, RATLS_ERR_NO_MEMORY, "out of memory")
                          : set_err(err, errlen, RATLS_ERR_TOO_LARGE, "app compose: canonical form too large");
    if (s != RATLS_OK) {
        free(b.b);
        return s;
    }
    *out = b.b;
    return RATLS_OK;
}

ratls_status ratls_compose_hash(const uint8_t *json, size_t len, uint8_t out[32], char *err, size_t errlen)
{
    if (!out)
        return set_err(err, errlen, RATLS_ERR_INVALID_ARGUMENT, "ratls_compose_hash: NULL output");
    char *text = NULL;
    ratls_status s = ratls_compose_canonical(json, len, &text, err, errlen);
    if (s != RATLS_OK)
        return s;
    if (!text)
        return set_err(err, errlen, RATLS_ERR_INTERNAL, "app compose: no canonical text");
    unsigned int mdlen = 0;
    int ok = EVP_Digest(text, strlen(text), out, &mdlen, EVP_sha256(), NULL) == 1 && mdlen == 32;
    free(text);
    if (!ok)
        return set_err(err, errlen, RATLS_ERR_INTERNAL, "SHA-256 failed");
    return RATLS_OK;
}
