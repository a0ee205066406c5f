/*
 * libFuzzer target: the strict PEM certificate-chain parser (at most 8
 * certificates, as for the quote's PCK chain). What parses must survive a
 * round trip through OpenSSL's own PEM writer.
 */
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "fuzz_common.h"
#include "tdx/pem_chain.h"

#define MAX_CERTS 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    STACK_OF(X509) *sk = NULL;
    char err[256] = "";
    ratls_status s = pem_chain_parse(data, size, MAX_CERTS, &sk, err, sizeof err);
    FUZZ_CHECK(memchr(err, 0, sizeof err) != NULL);
    if (s != RATLS_OK) {
        FUZZ_CHECK(sk == NULL);
        FUZZ_CHECK((s == RATLS_ERR_PEM_CHAIN || s == RATLS_ERR_TOO_LARGE) && err[0] != '\0');
        ERR_clear_error();
        return 0;
    }
    FUZZ_CHECK(sk != NULL && sk_X509_num(sk) >= 1 && sk_X509_num(sk) <= MAX_CERTS);

    BIO *b = BIO_new(BIO_s_mem());
    FUZZ_CHECK(b != NULL);
    int written = 1;
    for (int i = 0; written && i < sk_X509_num(sk); i++)
        written = PEM_write_bio_X509(b, sk_X509_value(sk, i)) == 1;
    if (written) {
        char *pem = NULL;
        long len = BIO_get_mem_data(b, &pem);
        STACK_OF(X509) *sk2 = NULL;
        FUZZ_CHECK(len > 0 && pem_chain_parse((const uint8_t *)pem, (size_t)len, MAX_CERTS, &sk2, err, sizeof err) ==
                                  RATLS_OK);
        FUZZ_CHECK(sk_X509_num(sk2) == sk_X509_num(sk));
        for (int i = 0; i < sk_X509_num(sk); i++)
            FUZZ_CHECK(X509_cmp(sk_X509_value(sk, i), sk_X509_value(sk2, i)) == 0);
        sk_X509_pop_free(sk2, X509_free);
    }
    BIO_free(b);
    sk_X509_pop_free(sk, X509_free);
    ERR_clear_error();
    return 0;
}
