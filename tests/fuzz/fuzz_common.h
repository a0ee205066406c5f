/*
 * Shared by the fuzz targets and the seed-corpus generator. TEST ONLY.
 *
 * The fuzzed quotes must chain to the same test PKI as the fixed collateral a
 * target verifies them against, or the verifier would stop at the root check
 * and nothing deeper would ever be fuzzed. The test PKI draws its keys, serials
 * and ECDSA nonces from OpenSSL's RNG, so both programs swap in a seeded
 * generator while they call tp_generate(): the generator's seeds and the
 * targets' fixtures then come from the same keys and the same CA certificates.
 */
#ifndef RATLS_FUZZ_COMMON_H
#define RATLS_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "testpki/testpki.h"

/* The scenarios' `now` and the time every target verifies at (2025-10-09). */
#define FUZZ_NOW INT64_C(1760000000)

/* Size caps passed to libFuzzer by scripts/fuzz.sh (-max_len); the corpus
 * generator refuses to write a seed larger than its target's cap. */
#define FUZZ_MAX_LEN_QUOTE 8192
#define FUZZ_MAX_LEN_COLLATERAL 32768
#define FUZZ_MAX_LEN_SGX_EXT 1024
#define FUZZ_MAX_LEN_PEM_CHAIN 12288
#define FUZZ_MAX_LEN_PCS_BODY 16384
#define FUZZ_MAX_LEN_DSTACK_RESPONSE 32768
#define FUZZ_MAX_LEN_COMPOSE 8192
#define FUZZ_MAX_LEN_POLICY 8192
#define FUZZ_MAX_LEN_COLLATERAL_ITEM 16384
#define FUZZ_MAX_LEN_HTTP_RESPONSE 8192
#define FUZZ_MAX_LEN_SNP_REPORT 2048
#define FUZZ_MAX_LEN_SNP_JSON 16384
#define FUZZ_MAX_LEN_SNP_VCEK 4096
#define FUZZ_MAX_LEN_SNP_POLICY 8192
#define FUZZ_MAX_LEN_P256 512

typedef enum fuzz_scenario {
    FZ_V4 = 0, /* tp_scenario_default: verifies as UpToDate */
    FZ_V5_TD10,
    FZ_V5_TD15,
    FZ_PROCESSOR_CA,
    FZ_TRAILING,     /* 16 zero bytes after the signature data */
    FZ_DEBUG_TD,     /* DEBUG attribute: rejected by the appraisal */
    FZ_MODULE_OLD,   /* module SVN below the UpToDate level: OutOfDate */
    FZ_QE_OLD,       /* QE ISVSVN 6: OutOfDate QE */
    FZ_NO_MODULE_ID, /* TEE_TCB_SVN[1] = 0: the tdxModule path */
    FZ_REVOKED_PCK,  /* the PCK CRL lists the leaf (a collateral change) */
    FZ_EXPIRED_TCB,  /* TCB Info nextUpdate before `now` */
    FZ_SCENARIO_COUNT_
} fuzz_scenario;

/* Short file-name-friendly name of a scenario ("v4", "v5_td15", ...). */
const char *fuzz_scenario_name(fuzz_scenario sc);

/* Generate one scenario at FUZZ_NOW with the seeded RNG. Deterministic for a
 * given OpenSSL build: the same bytes in every process. 0 on success. */
int fuzz_generate(fuzz_scenario sc, tp_output *out);

/* What the verifying targets share: a verifier trusting the test root, a
 * policy, and the FZ_V4 scenario's collateral and quote, which verify. */
typedef struct fuzz_fixture {
    ratls_verifier *verifier;
    ratls_policy *policy;
    ratls_collateral *collateral;
    ratls_evidence *evidence;
    uint8_t *root_der; /* the test root certificate */
    size_t root_der_len;
} fuzz_fixture;

/* Build it once (aborts on failure, including when the fixture's own quote
 * does not verify). Lives until the process exits. */
const fuzz_fixture *fuzz_fixture_get(void);

/* ratls_verify twice at FUZZ_NOW, with the verifier's caches cold and then
 * warm, aborting if the two verdicts differ in anything a caller can see;
 * then empties the caches so every input runs the same way. Exercises the
 * result accessors and ratls_result_to_json. Returns the verdict. */
ratls_status fuzz_verify_twice(const fuzz_fixture *fx, const ratls_evidence *ev, const ratls_collateral *coll);

/* Fill the next 8 KiB of stack below the caller with 0xA5, so a parser
 * reading an uninitialized local sees garbage (huge lengths, wild pointers)
 * and crashes at once instead of by luck: a poor man's MemorySanitizer. */
void fuzz_poison_stack(void);

/* The libFuzzer entry point every target defines (declared for -Wmissing-prototypes). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Report a broken invariant and abort, so libFuzzer keeps the input. */
void fuzz_fail(const char *file, int line, const char *what) __attribute__((noreturn));
#define FUZZ_CHECK(cond)                                                                                               \
    do {                                                                                                               \
        if (!(cond))                                                                                                   \
            fuzz_fail(__FILE__, __LINE__, #cond);                                                                      \
    } while (0)

#endif
