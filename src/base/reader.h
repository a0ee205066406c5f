/* Bounds-checked little-endian cursor: every byte of untrusted input is read
 * through it. All functions return 0 on success, -1 when the input is short,
 * and never advance past the end. */
#ifndef RATLS_BASE_READER_H
#define RATLS_BASE_READER_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct rd {
    const uint8_t *buf;
    size_t len;
    size_t off;
} rd_t;

static inline void rd_init(rd_t *r, const uint8_t *buf, size_t len)
{
    r->buf = buf;
    r->len = len;
    r->off = 0;
}

static inline size_t rd_left(const rd_t *r) { return r->len - r->off; }

static inline int rd_ptr(rd_t *r, size_t n, const uint8_t **out)
{
    if (rd_left(r) < n)
        return -1;
    *out = r->buf + r->off;
    r->off += n;
    return 0;
}

static inline int rd_copy(rd_t *r, void *dst, size_t n)
{
    const uint8_t *p;
    if (rd_ptr(r, n, &p) != 0)
        return -1;
    if (n)
        memcpy(dst, p, n);
    return 0;
}

static inline int rd_skip(rd_t *r, size_t n)
{
    const uint8_t *p;
    return rd_ptr(r, n, &p);
}

static inline int rd_u8(rd_t *r, uint8_t *v)
{
    const uint8_t *p;
    if (rd_ptr(r, 1, &p) != 0)
        return -1;
    *v = p[0];
    return 0;
}

static inline int rd_u16le(rd_t *r, uint16_t *v)
{
    const uint8_t *p;
    if (rd_ptr(r, 2, &p) != 0)
        return -1;
    *v = (uint16_t)(p[0] | (uint16_t)(p[1] << 8));
    return 0;
}

static inline int rd_u32le(rd_t *r, uint32_t *v)
{
    const uint8_t *p;
    if (rd_ptr(r, 4, &p) != 0)
        return -1;
    *v = (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
    return 0;
}

static inline uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | (uint16_t)(p[1] << 8)); }
static inline uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline void put_le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static inline void put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

#endif
