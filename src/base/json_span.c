#include <string.h>

#include "base/json_span.h"

typedef struct scan {
    const char *p;
    size_t len, off;
} scan;

static void ws(scan *s)
{
    while (s->off < s->len) {
        char c = s->p[s->off];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            break;
        s->off++;
    }
}

static int hexd(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

/* A string starting at its opening quote; [*b, *e) is its raw contents (escapes kept). */
static int str(scan *s, size_t *b, size_t *e)
{
    if (s->off >= s->len || s->p[s->off] != '"')
        return -1;
    s->off++;
    *b = s->off;
    while (s->off < s->len) {
        unsigned char c = (unsigned char)s->p[s->off];
        if (c == '"') {
            *e = s->off;
            s->off++;
            return 0;
        }
        if (c < 0x20)
            return -1;
        if (c == '\\') {
            if (s->off + 1 >= s->len)
                return -1;
            char n = s->p[s->off + 1];
            if (n == 'u') {
                if (s->off + 5 >= s->len || !hexd(s->p[s->off + 2]) || !hexd(s->p[s->off + 3]) ||
                    !hexd(s->p[s->off + 4]) || !hexd(s->p[s->off + 5]))
                    return -1;
                s->off += 6;
                continue;
            }
            if (!strchr("\"\\/bfnrt", n) || n == 0)
                return -1;
            s->off += 2;
            continue;
        }
        s->off++;
    }
    return -1;
}

static int lit(scan *s, const char *w)
{
    size_t n = strlen(w);
    if (s->len - s->off < n || memcmp(s->p + s->off, w, n) != 0)
        return -1;
    s->off += n;
    return 0;
}

static int num(scan *s)
{
    size_t st = s->off;
    if (s->off < s->len && s->p[s->off] == '-')
        s->off++;
    if (s->off >= s->len)
        return -1;
    if (s->p[s->off] == '0') {
        s->off++;
    } else if (s->p[s->off] >= '1' && s->p[s->off] <= '9') {
        while (s->off < s->len && s->p[s->off] >= '0' && s->p[s->off] <= '9')
            s->off++;
    } else {
        return -1;
    }
    if (s->off < s->len && s->p[s->off] == '.') {
        s->off++;
        size_t d = s->off;
        while (s->off < s->len && s->p[s->off] >= '0' && s->p[s->off] <= '9')
            s->off++;
        if (s->off == d)
            return -1;
    }
    if (s->off < s->len && (s->p[s->off] == 'e' || s->p[s->off] == 'E')) {
        s->off++;
        if (s->off < s->len && (s->p[s->off] == '+' || s->p[s->off] == '-'))
            s->off++;
        size_t d = s->off;
        while (s->off < s->len && s->p[s->off] >= '0' && s->p[s->off] <= '9')
            s->off++;
        if (s->off == d)
            return -1;
    }
    return s->off > st ? 0 : -1;
}

static int value(scan *s, int depth);

static int container(scan *s, int depth, int obj)
{
    if (depth > JSON_SPAN_MAX_DEPTH)
        return -1;
    s->off++; /* '{' or '[' */
    ws(s);
    char close = obj ? '}' : ']';
    if (s->off < s->len && s->p[s->off] == close) {
        s->off++;
        return 0;
    }
    for (;;) {
        if (obj) {
            size_t b, e;
            if (str(s, &b, &e))
                return -1;
            ws(s);
            if (s->off >= s->len || s->p[s->off] != ':')
                return -1;
            s->off++;
            ws(s);
        }
        if (value(s, depth + 1))
            return -1;
        ws(s);
        if (s->off >= s->len)
            return -1;
        if (s->p[s->off] == ',') {
            s->off++;
            ws(s);
            continue;
        }
        if (s->p[s->off] == close) {
            s->off++;
            return 0;
        }
        return -1;
    }
}

static int value(scan *s, int depth)
{
    if (s->off >= s->len)
        return -1;
    size_t b, e;
    switch (s->p[s->off]) {
    case '{':
        return container(s, depth, 1);
    case '[':
        return container(s, depth, 0);
    case '"':
        return str(s, &b, &e);
    case 't':
        return lit(s, "true");
    case 'f':
        return lit(s, "false");
    case 'n':
        return lit(s, "null");
    default:
        return num(s);
    }
}

int json_member_span(const char *json, size_t len, const char *key, const char **val, size_t *vlen)
{
    scan s = {json, len, 0};
    size_t klen = strlen(key);
    int found = 0;
    ws(&s);
    if (s.off >= s.len || s.p[s.off] != '{')
        return -1;
    s.off++;
    ws(&s);
    if (s.off < s.len && s.p[s.off] == '}') {
        s.off++;
    } else {
        for (;;) {
            size_t b, e;
            if (str(&s, &b, &e))
                return -1;
            ws(&s);
            if (s.off >= s.len || s.p[s.off] != ':')
                return -1;
            s.off++;
            ws(&s);
            size_t vb = s.off;
            if (value(&s, 1))
                return -1;
            /* keys are compared raw: an escaped spelling of the key is a
             * different key to us, and then the member counts as absent */
            if (e - b == klen && memcmp(json + b, key, klen) == 0) {
                if (found++)
                    return -1;
                *val = json + vb;
                *vlen = s.off - vb;
            }
            ws(&s);
            if (s.off >= s.len)
                return -1;
            if (s.p[s.off] == ',') {
                s.off++;
                ws(&s);
                continue;
            }
            if (s.p[s.off] == '}') {
                s.off++;
                break;
            }
            return -1;
        }
    }
    ws(&s);
    if (s.off != s.len)
        return -1;
    return found ? 0 : -1;
}
