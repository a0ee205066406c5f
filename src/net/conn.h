/* Attested connections (internal parts shared with the libcurl hook). */
#ifndef RATLS_NET_CONN_H
#define RATLS_NET_CONN_H

#include <stddef.h>
#include <stdint.h>

#include "ratls/ratls.h"

/* The server certificate (DER) the connection saw, or NULL. Borrowed. */
const uint8_t *conn_cert_der(const ratls_conn *c, size_t *len);

#endif
