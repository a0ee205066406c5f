/* Small internal helpers: hex, base64, time, error buffers. */
#ifndef RATLS_BASE_UTIL_H
#define RATLS_BASE_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "ratls/ratls.h"

#if defined(__GNUC__)
#define RATLS_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define RATLS_PRINTF(a, b)
#endif

/* Write a message into err (if err && errlen) and return s. */
ratls_status set_err(char *err, size_t errlen, ratls_status s, const char *fmt, ...) RATLS_PRINTF(4, 5);
/* Format a line and hand it to an optional log callback (fn NULL: nothing). */
void log_emit(ratls_log_fn fn, void *arg, ratls_log_level lvl, const char *fmt, ...) RATLS_PRINTF(4, 5);

/* Strict hex: exactly 2*n hex digits of either case. 0 on success. */
int hex_decode_exact(const char *hex, size_t hexlen, uint8_t *out, size_t n);
/* Lower-case hex of n bytes into out (2n+1 bytes). */
void hex_encode(const uint8_t *in, size_t n, char *out);
void hex_encode_upper(const uint8_t *in, size_t n, char *out);
/* Strict hex of any even length into a malloc'd buffer, capped at maxlen bytes. */
int hex_decode_alloc(const char *hex, size_t hexlen, size_t maxlen, uint8_t **out, size_t *outlen);

/* Strict base64 (RFC 4648, with padding, no whitespace). 0 on success;
 * *outlen receives the decoded length (out must hold b64len/4*3 bytes). */
int b64_decode(const char *in, size_t inlen, uint8_t *out, size_t *outlen);

/* "YYYY-MM-DDTHH:MM:SSZ" (also accepts fractional seconds and "+00:00").
 * 0 on success. */
int parse_iso8601_utc(const char *s, int64_t *out);
void format_iso8601_utc(int64_t t, char out[32]);
/* Milliseconds of CLOCK_MONOTONIC: for deadlines and rate limits, never for
 * verification (time is an input there). */
int64_t mono_ms(void);
/* Days-from-civil conversion (no libc timezone state). */
int64_t utc_from_fields(int year, int mon, int day, int hour, int min, int sec);

/* Keccak-256 (Ethereum's, not SHA3-256). */
void keccak256(const uint8_t *in, size_t len, uint8_t out[32]);

/* Constant-time equality (0 = equal). */
int ct_memcmp(const void *a, const void *b, size_t n);

#endif
