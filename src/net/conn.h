/* Attested connections (internal parts shared with the libcurl hook). */
#ifndef RATLS_NET_CONN_H
#define RATLS_NET_CONN_H

#include <stddef.h>
#include <stdint.h>

#include "ratls/ratls.h"

/* A host name in the form the host map keys on: lower case, without a
 * trailing dot, IP literals in standard text without brackets; DNS names
 * only (internationalised names as xn--). 0 on success. */
int host_canon(const char *in, char *out, size_t n);

/* The server certificate (DER) the connection saw, or NULL. Borrowed. */
const uint8_t *conn_cert_der(const ratls_conn *c, size_t *len);

/* The attestation response reader over bytes in memory, delivered `step`
 * bytes at a time (tests and fuzzing). On success *body is malloc'd and
 * NUL-terminated. */
ratls_status conn_read_response_mem(const uint8_t *data, size_t len, size_t step, long *status, uint8_t **body,
                                    size_t *blen, char *err, size_t errlen);

#endif
