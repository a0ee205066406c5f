/* Strict PEM certificate-chain parser (the quote's type-5 certification data
 * and the collateral's issuer chains). */
#ifndef RATLS_TDX_PEM_CHAIN_H
#define RATLS_TDX_PEM_CHAIN_H

#include <openssl/x509.h>
#include <stddef.h>
#include <stdint.h>

#include "ratls/ratls.h"

#define TDX_PEM_MAX (64u * 1024u)

/* Parse 1..max_certs "CERTIFICATE" PEM blocks. Only ASCII whitespace may stand
 * between and around blocks; trailing NUL bytes are tolerated. Every block
 * must decode to exactly one DER certificate with no trailing bytes.
 * On success *out holds the certificates in input order (caller frees with
 * sk_X509_pop_free(out, X509_free)). */
ratls_status pem_chain_parse(const uint8_t *buf, size_t len, size_t max_certs, STACK_OF(X509) **out,
                             char *err, size_t errlen);

#endif
