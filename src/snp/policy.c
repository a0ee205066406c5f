/* SEV-SNP appraisal policy: the object, its setters, its JSON form, and the
 * checks snp.policy and snp.measurement on an authentic report. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "base/json_util.h"
#include "base/result_int.h"
#include "snp/snp.h"

#define SNP_POLICY_CXL_ALLOW (1ull << 21)
#define SNP_POLICY_REQUIRABLE                                                                                          \
    (RATLS_SNP_GUEST_POLICY_SINGLE_SOCKET | RATLS_SNP_GUEST_POLICY_MEM_AES_256_XTS | RATLS_SNP_GUEST_POLICY_RAPL_DIS | \
     RATLS_SNP_GUEST_POLICY_CIPHERTEXT_HIDING | RATLS_SNP_GUEST_POLICY_PAGE_SWAP_DISABLE)
#define SNP_PLATFORM_SMT_EN 1ull
#define SNP_POLICY_JSON_MAX (64u * 1024u)

struct ratls_snp_policy {
    unsigned flags;
    unsigned vmpl;
    unsigned min_abi_major, min_abi_minor;
    uint64_t req_guest_policy;
    uint32_t min_guest_svn;
    int has_measurement, has_report_data, has_host_data, has_image_id, has_family_id, has_chip_id;
    uint8_t measurement[RATLS_SNP_MEASUREMENT_LEN];
    uint8_t report_data[RATLS_SNP_REPORT_DATA_LEN];
    uint8_t host_data[RATLS_SNP_HOST_DATA_LEN];
    uint8_t image_id[RATLS_SNP_ID_LEN];
    uint8_t family_id[RATLS_SNP_ID_LEN];
    uint8_t chip_id[RATLS_SNP_CHIP_ID_LEN];
    size_t n_id_keys, n_author_keys;
    uint8_t id_keys[RATLS_SNP_MAX_KEY_DIGESTS][RATLS_SNP_KEY_DIGEST_LEN];
    uint8_t author_keys[RATLS_SNP_MAX_KEY_DIGESTS][RATLS_SNP_KEY_DIGEST_LEN];
    int has_min_reported_tcb, has_min_launch_tcb;
    ratls_snp_tcb min_reported_tcb, min_launch_tcb;
    unsigned min_fw_major, min_fw_minor, min_fw_build;
    ratls_snp_signing_key signing_key;
    uint64_t req_launch_mit, req_current_mit;
};

/* The guest-policy bits a policy can require, by the names docs and JSON use. */
static const struct {
    const char *name;
    uint64_t bit;
    unsigned pos;
} guest_bits[] = {
    {"single_socket", RATLS_SNP_GUEST_POLICY_SINGLE_SOCKET, 20},
    {"mem_aes_256_xts", RATLS_SNP_GUEST_POLICY_MEM_AES_256_XTS, 22},
    {"rapl_dis", RATLS_SNP_GUEST_POLICY_RAPL_DIS, 23},
    {"ciphertext_hiding", RATLS_SNP_GUEST_POLICY_CIPHERTEXT_HIDING, 24},
    {"page_swap_disable", RATLS_SNP_GUEST_POLICY_PAGE_SWAP_DISABLE, 25},
};
#define N_GUEST_BITS (sizeof guest_bits / sizeof guest_bits[0])

ratls_snp_policy *ratls_snp_policy_new(void) { return calloc(1, sizeof(ratls_snp_policy)); }
void ratls_snp_policy_free(ratls_snp_policy *p) { free(p); }
void ratls_snp_policy_set_flags(ratls_snp_policy *p, unsigned flags)
{
    if (p)
        p->flags = flags;
}
unsigned ratls_snp_policy_flags(const ratls_snp_policy *p) { return p ? p->flags : 0; }
unsigned snp_policy_flags(const ratls_snp_policy *p) { return ratls_snp_policy_flags(p); }
ratls_status ratls_snp_policy_set_vmpl(ratls_snp_policy *p, unsigned vmpl)
{
    if (!p || vmpl > 3)
        return RATLS_ERR_INVALID_ARGUMENT;
    p->vmpl = vmpl;
    return RATLS_OK;
}
void ratls_snp_policy_set_min_abi(ratls_snp_policy *p, unsigned major, unsigned minor)
{
    if (p) {
        p->min_abi_major = major;
        p->min_abi_minor = minor;
    }
}
ratls_status ratls_snp_policy_require_guest_policy(ratls_snp_policy *p, uint64_t bits)
{
    if (!p || (bits & ~(uint64_t)SNP_POLICY_REQUIRABLE))
        return RATLS_ERR_INVALID_ARGUMENT;
    p->req_guest_policy = bits;
    return RATLS_OK;
}
void ratls_snp_policy_set_min_guest_svn(ratls_snp_policy *p, uint32_t svn)
{
    if (p)
        p->min_guest_svn = svn;
}

/* One expected byte value of exactly `want` bytes. */
static ratls_status expect(const uint8_t *d, size_t len, size_t want, uint8_t *dst, int *has)
{
    if (!d || len != want)
        return RATLS_ERR_INVALID_ARGUMENT;
    memcpy(dst, d, len);
    *has = 1;
    return RATLS_OK;
}
ratls_status ratls_snp_policy_expect_measurement(ratls_snp_policy *p, const uint8_t *m, size_t len)
{
    return p ? expect(m, len, RATLS_SNP_MEASUREMENT_LEN, p->measurement, &p->has_measurement)
             : RATLS_ERR_INVALID_ARGUMENT;
}
ratls_status ratls_snp_policy_expect_report_data(ratls_snp_policy *p, const uint8_t *d, size_t len)
{
    return p ? expect(d, len, RATLS_SNP_REPORT_DATA_LEN, p->report_data, &p->has_report_data)
             : RATLS_ERR_INVALID_ARGUMENT;
}
ratls_status ratls_snp_policy_expect_host_data(ratls_snp_policy *p, const uint8_t *d, size_t len)
{
    return p ? expect(d, len, RATLS_SNP_HOST_DATA_LEN, p->host_data, &p->has_host_data) : RATLS_ERR_INVALID_ARGUMENT;
}
ratls_status ratls_snp_policy_expect_image_id(ratls_snp_policy *p, const uint8_t *d, size_t len)
{
    return p ? expect(d, len, RATLS_SNP_ID_LEN, p->image_id, &p->has_image_id) : RATLS_ERR_INVALID_ARGUMENT;
}
ratls_status ratls_snp_policy_expect_family_id(ratls_snp_policy *p, const uint8_t *d, size_t len)
{
    return p ? expect(d, len, RATLS_SNP_ID_LEN, p->family_id, &p->has_family_id) : RATLS_ERR_INVALID_ARGUMENT;
}
ratls_status ratls_snp_policy_expect_chip_id(ratls_snp_policy *p, const uint8_t *d, size_t len)
{
    return p ? expect(d, len, RATLS_SNP_CHIP_ID_LEN, p->chip_id, &p->has_chip_id) : RATLS_ERR_INVALID_ARGUMENT;
}

static ratls_status accept_digest(uint8_t (*set)[RATLS_SNP_KEY_DIGEST_LEN], size_t *n, const uint8_t *d, size_t len)
{
    if (!d || len != RATLS_SNP_KEY_DIGEST_LEN)
        return RATLS_ERR_INVALID_ARGUMENT;
    if (*n >= RATLS_SNP_MAX_KEY_DIGESTS)
        return RATLS_ERR_TOO_LARGE;
    memcpy(set[*n], d, len);
    (*n)++;
    return RATLS_OK;
}
ratls_status ratls_snp_policy_accept_id_key_digest(ratls_snp_policy *p, const uint8_t *d, size_t len)
{
    return p ? accept_digest(p->id_keys, &p->n_id_keys, d, len) : RATLS_ERR_INVALID_ARGUMENT;
}
ratls_status ratls_snp_policy_accept_author_key_digest(ratls_snp_policy *p, const uint8_t *d, size_t len)
{
    return p ? accept_digest(p->author_keys, &p->n_author_keys, d, len) : RATLS_ERR_INVALID_ARGUMENT;
}

void ratls_snp_policy_set_min_reported_tcb(ratls_snp_policy *p, const ratls_snp_tcb *min)
{
    if (p) {
        p->has_min_reported_tcb = min != NULL;
        if (min)
            p->min_reported_tcb = *min;
    }
}
void ratls_snp_policy_set_min_launch_tcb(ratls_snp_policy *p, const ratls_snp_tcb *min)
{
    if (p) {
        p->has_min_launch_tcb = min != NULL;
        if (min)
            p->min_launch_tcb = *min;
    }
}
void ratls_snp_policy_set_min_firmware(ratls_snp_policy *p, unsigned major, unsigned minor, unsigned build)
{
    if (p) {
        p->min_fw_major = major;
        p->min_fw_minor = minor;
        p->min_fw_build = build;
    }
}
ratls_status ratls_snp_policy_set_signing_key(ratls_snp_policy *p, ratls_snp_signing_key k)
{
    if (!p || (k != RATLS_SNP_SIGNING_KEY_ANY && k != RATLS_SNP_SIGNING_KEY_VCEK && k != RATLS_SNP_SIGNING_KEY_VLEK))
        return RATLS_ERR_INVALID_ARGUMENT;
    p->signing_key = k;
    return RATLS_OK;
}
void ratls_snp_policy_require_mit_vectors(ratls_snp_policy *p, uint64_t launch, uint64_t current)
{
    if (p) {
        p->req_launch_mit = launch;
        p->req_current_mit = current;
    }
}

/* ---- the checks ---- */

/* A "; "-separated list of findings, truncated (never overflowing) when long. */
typedef struct notes {
    char buf[1000];
    size_t len;
    unsigned n;
} notes;

static void note(notes *n, const char *fmt, ...) RATLS_PRINTF(2, 3);
static void note(notes *n, const char *fmt, ...)
{
    if (n->len + 3 >= sizeof n->buf)
        return;
    if (n->n++) {
        memcpy(n->buf + n->len, "; ", 3);
        n->len += 2;
    }
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(n->buf + n->len, sizeof n->buf - n->len, fmt, ap);
    va_end(ap);
    if (w > 0)
        n->len += (size_t)w;
    if (n->len >= sizeof n->buf)
        n->len = sizeof n->buf - 1;
}

static int ver_cmp(unsigned a1, unsigned a2, unsigned a3, unsigned b1, unsigned b2, unsigned b3)
{
    if (a1 != b1)
        return a1 < b1 ? -1 : 1;
    if (a2 != b2)
        return a2 < b2 ? -1 : 1;
    if (a3 != b3)
        return a3 < b3 ? -1 : 1;
    return 0;
}

/* Names each component of `tcb` below `min` into a fail note. */
static void check_min_tcb(notes *fail, notes *pass, const char *what, uint64_t tcb, const ratls_snp_tcb *min,
                          ratls_snp_product product)
{
    snp_tcb t;
    snp_tcb_split(tcb, product, &t);
    char below[256] = "";
    size_t bl = 0;
    static const char *const names[] = {"bootloader", "tee", "snp", "microcode", "fmc"};
    const unsigned have[] = {t.bl, t.tee, t.snp, t.ucode, t.fmc};
    const unsigned want[] = {min->bootloader, min->tee, min->snp, min->microcode, min->fmc};
    unsigned n = product == RATLS_SNP_PRODUCT_TURIN ? 5 : 4;
    for (unsigned i = 0; i < n; i++) {
        if (have[i] >= want[i])
            continue;
        int w = snprintf(below + bl, sizeof below - bl, "%s%s %u < %u", bl ? ", " : "", names[i], have[i], want[i]);
        if (w > 0 && (size_t)w < sizeof below - bl)
            bl += (size_t)w;
    }
    if (bl)
        note(fail, "%s below the minimum (%s)", what, below);
    else
        note(pass, "%s >= minimum", what);
}

static int in_set(const uint8_t d[RATLS_SNP_KEY_DIGEST_LEN], const uint8_t (*set)[RATLS_SNP_KEY_DIGEST_LEN], size_t n)
{
    int found = 0;
    for (size_t i = 0; i < n; i++) /* no early exit: every entry is compared */
        found |= CRYPTO_memcmp(d, set[i], RATLS_SNP_KEY_DIGEST_LEN) == 0;
    return found;
}

static void check_bytes(notes *fail, notes *pass, const char *name, int has, const uint8_t *got, const uint8_t *want,
                        size_t n)
{
    if (!has)
        return;
    if (CRYPTO_memcmp(got, want, n) != 0)
        note(fail, "%s differs from the expected value", name);
    else
        note(pass, "%s as expected", name);
}

void snp_policy_check(ratls_result *r, const struct ratls_snp_report *rep, ratls_snp_product product,
                      const ratls_snp_policy *pol)
{
    notes fail, pass;
    memset(&fail, 0, sizeof fail);
    memset(&pass, 0, sizeof pass);
    uint64_t gp = rep->policy;
    unsigned fl = pol->flags;
    unsigned maj = (unsigned)((gp >> 8) & 0xff), min = (unsigned)(gp & 0xff);

    note(&pass, "guest policy 0x%llx", (unsigned long long)gp);
    if ((gp & SNP_POLICY_DEBUG) && !(fl & RATLS_SNP_ALLOW_DEBUG_INSECURE))
        note(&fail, "DEBUG (guest-policy bit 19) set: the host can read guest memory");
    else
        note(&pass, (gp & SNP_POLICY_DEBUG) ? "DEBUG allowed by an insecure switch" : "DEBUG off");
    if ((gp & SNP_POLICY_MIGRATE_MA) && !(fl & RATLS_SNP_ALLOW_MIGRATE_MA))
        note(&fail, "MIGRATE_MA (bit 18) set: a migration agent may move the guest");
    else
        note(&pass, (gp & SNP_POLICY_MIGRATE_MA) ? "MIGRATE_MA allowed" : "MIGRATE_MA off");
    if ((gp & SNP_POLICY_CXL_ALLOW) && !(fl & RATLS_SNP_ALLOW_CXL))
        note(&fail, "CXL_ALLOW (bit 21) is set and not allowed");
    else
        note(&pass, (gp & SNP_POLICY_CXL_ALLOW) ? "CXL_ALLOW allowed" : "CXL_ALLOW off");
    for (size_t i = 0; i < N_GUEST_BITS; i++) {
        if (!(pol->req_guest_policy & guest_bits[i].bit))
            continue;
        if (gp & guest_bits[i].bit)
            note(&pass, "%s set", guest_bits[i].name);
        else
            note(&fail, "required %s (bit %u) is not set", guest_bits[i].name, guest_bits[i].pos);
    }
    if (maj < pol->min_abi_major || (maj == pol->min_abi_major && min < pol->min_abi_minor))
        note(&fail, "ABI %u.%u is below the minimum %u.%u", maj, min, pol->min_abi_major, pol->min_abi_minor);
    else if (pol->min_abi_major || pol->min_abi_minor)
        note(&pass, "ABI %u.%u >= %u.%u", maj, min, pol->min_abi_major, pol->min_abi_minor);

    if (fl & RATLS_SNP_FORBID_SMT) {
        if (rep->platform_info & SNP_PLATFORM_SMT_EN)
            note(&fail, "SMT enabled (PLATFORM_INFO bit 0), forbidden by the policy");
        else
            note(&pass, "SMT off");
    }
    if (rep->vmpl != pol->vmpl)
        note(&fail, "VMPL is %u, the policy requires %u", rep->vmpl, pol->vmpl);
    else
        note(&pass, "VMPL %u", rep->vmpl);
    if (rep->guest_svn < pol->min_guest_svn)
        note(&fail, "GUEST_SVN %u is below the minimum %u", rep->guest_svn, pol->min_guest_svn);
    else if (pol->min_guest_svn)
        note(&pass, "GUEST_SVN %u >= %u", rep->guest_svn, pol->min_guest_svn);

    const char *key = rep->signing_key == SNP_SIGNING_KEY_VLEK ? "VLEK" : "VCEK";
    if ((pol->signing_key == RATLS_SNP_SIGNING_KEY_VCEK && rep->signing_key != SNP_SIGNING_KEY_VCEK) ||
        (pol->signing_key == RATLS_SNP_SIGNING_KEY_VLEK && rep->signing_key != SNP_SIGNING_KEY_VLEK))
        note(&fail, "signed by the %s, the policy requires the %s", key,
             pol->signing_key == RATLS_SNP_SIGNING_KEY_VCEK ? "VCEK" : "VLEK");
    else if (pol->signing_key != RATLS_SNP_SIGNING_KEY_ANY)
        note(&pass, "%s-signed", key);

    check_bytes(&fail, &pass, "REPORT_DATA", pol->has_report_data, rep->report_data, pol->report_data,
                RATLS_SNP_REPORT_DATA_LEN);
    check_bytes(&fail, &pass, "HOST_DATA", pol->has_host_data, rep->host_data, pol->host_data, RATLS_SNP_HOST_DATA_LEN);
    check_bytes(&fail, &pass, "IMAGE_ID", pol->has_image_id, rep->image_id, pol->image_id, RATLS_SNP_ID_LEN);
    check_bytes(&fail, &pass, "FAMILY_ID", pol->has_family_id, rep->family_id, pol->family_id, RATLS_SNP_ID_LEN);
    check_bytes(&fail, &pass, "CHIP_ID", pol->has_chip_id, rep->chip_id, pol->chip_id, RATLS_SNP_CHIP_ID_LEN);
    if (pol->n_id_keys) {
        if (in_set(rep->id_key_digest, pol->id_keys, pol->n_id_keys))
            note(&pass, "ID_KEY_DIGEST accepted");
        else
            note(&fail, "ID_KEY_DIGEST is not one of the %zu accepted", pol->n_id_keys);
    }
    if (pol->n_author_keys) {
        if (!rep->author_key_en)
            note(&fail, "AUTHOR_KEY_DIGEST required but no author key is enabled (AUTHOR_KEY_EN 0)");
        else if (in_set(rep->author_key_digest, pol->author_keys, pol->n_author_keys))
            note(&pass, "AUTHOR_KEY_DIGEST accepted");
        else
            note(&fail, "AUTHOR_KEY_DIGEST is not one of the %zu accepted", pol->n_author_keys);
    }

    if (pol->has_min_reported_tcb)
        check_min_tcb(&fail, &pass, "REPORTED_TCB", rep->reported_tcb, &pol->min_reported_tcb, product);
    if (pol->has_min_launch_tcb)
        check_min_tcb(&fail, &pass, "LAUNCH_TCB", rep->launch_tcb, &pol->min_launch_tcb, product);
    if (ver_cmp(rep->current_major, rep->current_minor, rep->current_build, pol->min_fw_major, pol->min_fw_minor,
                pol->min_fw_build) < 0)
        note(&fail, "firmware %u.%u.%u is below the minimum %u.%u.%u", rep->current_major, rep->current_minor,
             rep->current_build, pol->min_fw_major, pol->min_fw_minor, pol->min_fw_build);
    else if (pol->min_fw_major || pol->min_fw_minor || pol->min_fw_build)
        note(&pass, "firmware %u.%u.%u >= %u.%u.%u", rep->current_major, rep->current_minor, rep->current_build,
             pol->min_fw_major, pol->min_fw_minor, pol->min_fw_build);
    int ver_differs = ver_cmp(rep->current_major, rep->current_minor, rep->current_build, rep->committed_major,
                              rep->committed_minor, rep->committed_build) != 0;
    int tcb_differs = rep->current_tcb != rep->committed_tcb;
    if ((ver_differs || tcb_differs) && !(fl & RATLS_SNP_ALLOW_PROVISIONAL_FIRMWARE)) {
        if (ver_differs)
            note(&fail, "provisional firmware (CURRENT %u.%u.%u, COMMITTED %u.%u.%u)", rep->current_major,
                 rep->current_minor, rep->current_build, rep->committed_major, rep->committed_minor,
                 rep->committed_build);
        else
            note(&fail, "provisional firmware (CURRENT_TCB %016llx, COMMITTED_TCB %016llx)",
                 (unsigned long long)rep->current_tcb, (unsigned long long)rep->committed_tcb);
    } else {
        note(&pass, (ver_differs || tcb_differs) ? "provisional firmware allowed" : "firmware committed");
    }

    if (pol->req_launch_mit || pol->req_current_mit) {
        if (!rep->has_mit_vector)
            note(&fail, "mitigation vectors required but a version %u report carries none (v5+)", rep->version);
        else {
            uint64_t lm = pol->req_launch_mit & ~rep->launch_mit_vector;
            uint64_t cm = pol->req_current_mit & ~rep->current_mit_vector;
            if (lm)
                note(&fail, "LAUNCH_MIT_VECTOR lacks required bits 0x%llx", (unsigned long long)lm);
            if (cm)
                note(&fail, "CURRENT_MIT_VECTOR lacks required bits 0x%llx", (unsigned long long)cm);
            if (!lm && !cm)
                note(&pass, "mitigation vectors hold the required bits");
        }
    }

    if (fail.n)
        result_fail(r, RATLS_ERR_SNP_POLICY, "snp.policy", "%s", fail.buf);
    else
        result_check_add(r, "snp.policy", RATLS_CHECK_PASS, "%s", pass.buf);

    if (pol->has_measurement) {
        if (CRYPTO_memcmp(rep->measurement, pol->measurement, RATLS_SNP_MEASUREMENT_LEN) != 0)
            result_fail(r, RATLS_ERR_SNP_POLICY, "snp.measurement", "MEASUREMENT differs from the expected value");
        else
            result_check_add(r, "snp.measurement", RATLS_CHECK_PASS, "MEASUREMENT equals the expected value");
    } else {
        result_check_add(r, "snp.measurement", RATLS_CHECK_SKIP, "no expected measurement given");
    }
}

/* ---- the JSON form (docs/snp.md, "Policy file") ---- */

/* A JSON string without embedded NULs, else NULL. */
static const char *jstr(const json_t *v)
{
    if (!json_is_string(v))
        return NULL;
    const char *s = json_string_value(v);
    return strlen(s) == json_string_length(v) ? s : NULL;
}

static int juint(const json_t *v, uint64_t max, uint64_t *out)
{
    if (!json_is_integer(v) || json_integer_value(v) < 0 || (uint64_t)json_integer_value(v) > max)
        return -1;
    *out = (uint64_t)json_integer_value(v);
    return 0;
}

/* "1.55" or "1.55.29": n_min..n_max decimal parts, each 0..255. */
static int parse_version(const char *s, unsigned n_min, unsigned n_max, unsigned out[3])
{
    unsigned n = 0;
    out[0] = out[1] = out[2] = 0;
    if (!s)
        return -1;
    for (;;) {
        unsigned v = 0, digits = 0;
        while (*s >= '0' && *s <= '9' && digits < 4) {
            v = v * 10 + (unsigned)(*s++ - '0');
            digits++;
        }
        if (!digits || v > 255 || n >= n_max)
            return -1;
        out[n++] = v;
        if (*s == '\0')
            break;
        if (*s++ != '.')
            return -1;
    }
    return n >= n_min ? 0 : -1;
}

/* A version as a string or as an object of the given component keys. */
static int json_version(const json_t *v, const char *const *keys, unsigned nkeys, unsigned out[3])
{
    if (json_is_string(v))
        return parse_version(jstr(v), 2, nkeys, out);
    if (!json_is_object(v) || json_object_size(v) == 0)
        return -1;
    out[0] = out[1] = out[2] = 0;
    const char *k;
    json_t *x;
    json_object_foreach((json_t *)v, k, x)
    {
        unsigned i = 0;
        while (i < nkeys && strcmp(k, keys[i]) != 0)
            i++;
        uint64_t u;
        if (i == nkeys || juint(x, 255, &u))
            return -1;
        out[i] = (unsigned)u;
    }
    return 0;
}

static int json_tcb(const json_t *v, ratls_snp_tcb *t)
{
    static const char *const keys[] = {"bootloader", "tee", "snp", "microcode", "fmc"};
    if (!json_is_object(v) || json_object_size(v) == 0)
        return -1;
    memset(t, 0, sizeof *t);
    uint8_t *dst[] = {&t->bootloader, &t->tee, &t->snp, &t->microcode, &t->fmc};
    const char *k;
    json_t *x;
    json_object_foreach((json_t *)v, k, x)
    {
        unsigned i = 0;
        while (i < 5 && strcmp(k, keys[i]) != 0)
            i++;
        uint64_t u;
        if (i == 5 || juint(x, 255, &u))
            return -1;
        *dst[i] = (uint8_t)u;
    }
    return 0;
}

/* A non-negative integer or a "0x"-prefixed hex string of up to 16 digits. */
static int json_u64(const json_t *v, uint64_t *out)
{
    if (json_is_integer(v))
        return juint(v, UINT64_MAX, out);
    const char *s = jstr(v);
    if (!s || (strncmp(s, "0x", 2) != 0 && strncmp(s, "0X", 2) != 0) || strlen(s) < 3 || strlen(s) > 18)
        return -1;
    uint64_t x = 0;
    for (s += 2; *s; s++) {
        int d = (*s >= '0' && *s <= '9')   ? *s - '0'
                : (*s >= 'a' && *s <= 'f') ? *s - 'a' + 10
                : (*s >= 'A' && *s <= 'F') ? *s - 'A' + 10
                                           : -1;
        if (d < 0)
            return -1;
        x = x << 4 | (uint64_t)d;
    }
    *out = x;
    return 0;
}

static int json_hex_exact(const json_t *v, uint8_t *out, size_t n)
{
    return json_is_string(v) ? hex_decode_exact(json_string_value(v), json_string_length(v), out, n) : -1;
}

/* A string or a non-empty array of strings, each 48 bytes of hex. */
static ratls_status json_digests(const json_t *v, ratls_snp_policy *p, int author)
{
    uint8_t d[RATLS_SNP_KEY_DIGEST_LEN];
    if (json_is_string(v)) {
        if (json_hex_exact(v, d, sizeof d))
            return RATLS_ERR_INVALID_ARGUMENT;
        return author ? ratls_snp_policy_accept_author_key_digest(p, d, sizeof d)
                      : ratls_snp_policy_accept_id_key_digest(p, d, sizeof d);
    }
    if (!json_is_array(v) || json_array_size(v) == 0)
        return RATLS_ERR_INVALID_ARGUMENT;
    if (json_array_size(v) > RATLS_SNP_MAX_KEY_DIGESTS)
        return RATLS_ERR_TOO_LARGE;
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e)
    {
        ratls_status s = json_digests(json_is_string(e) ? e : NULL, p, author);
        if (s)
            return s;
    }
    return RATLS_OK;
}

static const struct {
    const char *key;
    unsigned flag;
} json_flags[] = {
    {"allow_debug_insecure", RATLS_SNP_ALLOW_DEBUG_INSECURE},
    {"allow_migrate_ma", RATLS_SNP_ALLOW_MIGRATE_MA},
    {"skip_revocation_insecure", RATLS_SNP_SKIP_REVOCATION_INSECURE},
    {"forbid_smt", RATLS_SNP_FORBID_SMT},
    {"allow_cxl", RATLS_SNP_ALLOW_CXL},
    {"allow_provisional_firmware", RATLS_SNP_ALLOW_PROVISIONAL_FIRMWARE},
};

typedef ratls_status (*expect_fn)(ratls_snp_policy *, const uint8_t *, size_t);
static const struct {
    const char *key;
    size_t len;
    expect_fn fn;
} json_bytes[] = {
    {"measurement", RATLS_SNP_MEASUREMENT_LEN, ratls_snp_policy_expect_measurement},
    {"report_data", RATLS_SNP_REPORT_DATA_LEN, ratls_snp_policy_expect_report_data},
    {"host_data", RATLS_SNP_HOST_DATA_LEN, ratls_snp_policy_expect_host_data},
    {"image_id", RATLS_SNP_ID_LEN, ratls_snp_policy_expect_image_id},
    {"family_id", RATLS_SNP_ID_LEN, ratls_snp_policy_expect_family_id},
    {"chip_id", RATLS_SNP_CHIP_ID_LEN, ratls_snp_policy_expect_chip_id},
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define KFAIL(...)                                                                                                     \
    do {                                                                                                               \
        s = set_err(err, errlen, RATLS_ERR_INVALID_ARGUMENT, "snp policy: " __VA_ARGS__);                              \
        goto fail;                                                                                                     \
    } while (0)

/* One key of the policy object into p. */
static ratls_status json_key(ratls_snp_policy *p, const char *k, const json_t *v, char *err, size_t errlen)
{
    ratls_status s = RATLS_ERR_INVALID_ARGUMENT;
    uint64_t u;
    unsigned ver[3];
    for (size_t i = 0; i < NELEM(json_flags); i++) {
        if (strcmp(k, json_flags[i].key) != 0)
            continue;
        if (!json_is_boolean(v))
            KFAIL("\"%s\" must be true or false", k);
        p->flags = json_is_true(v) ? p->flags | json_flags[i].flag : p->flags & ~json_flags[i].flag;
        return RATLS_OK;
    }
    for (size_t i = 0; i < NELEM(json_bytes); i++) {
        uint8_t b[RATLS_SNP_CHIP_ID_LEN];
        if (strcmp(k, json_bytes[i].key) != 0)
            continue;
        if (json_hex_exact(v, b, json_bytes[i].len) || json_bytes[i].fn(p, b, json_bytes[i].len) != RATLS_OK)
            KFAIL("\"%s\" must be a string of %zu hex digits (%zu bytes)", k, 2 * json_bytes[i].len, json_bytes[i].len);
        return RATLS_OK;
    }
    if (strcmp(k, "vmpl") == 0) {
        if (juint(v, 3, &u) || ratls_snp_policy_set_vmpl(p, (unsigned)u) != RATLS_OK)
            KFAIL("\"%s\" must be an integer 0..3", k);
    } else if (strcmp(k, "min_guest_svn") == 0) {
        if (juint(v, UINT32_MAX, &u))
            KFAIL("\"%s\" must be an integer 0..4294967295", k);
        p->min_guest_svn = (uint32_t)u;
    } else if (strcmp(k, "min_abi") == 0) {
        static const char *const keys[] = {"major", "minor"};
        if (json_version(v, keys, 2, ver))
            KFAIL("\"%s\" must be \"major.minor\" or {major, minor}, each 0..255", k);
        ratls_snp_policy_set_min_abi(p, ver[0], ver[1]);
    } else if (strcmp(k, "min_firmware") == 0) {
        static const char *const keys[] = {"major", "minor", "build"};
        if (json_version(v, keys, 3, ver))
            KFAIL("\"%s\" must be \"major.minor[.build]\" or {major, minor, build}, each 0..255", k);
        ratls_snp_policy_set_min_firmware(p, ver[0], ver[1], ver[2]);
    } else if (strcmp(k, "min_reported_tcb") == 0 || strcmp(k, "min_launch_tcb") == 0) {
        ratls_snp_tcb t;
        if (json_tcb(v, &t))
            KFAIL("\"%s\" must be an object of bootloader, tee, snp, microcode, fmc, each 0..255", k);
        if (strcmp(k, "min_reported_tcb") == 0)
            ratls_snp_policy_set_min_reported_tcb(p, &t);
        else
            ratls_snp_policy_set_min_launch_tcb(p, &t);
    } else if (strcmp(k, "require_guest_policy") == 0) {
        uint64_t bits = 0;
        size_t i;
        json_t *e;
        if (!json_is_array(v))
            KFAIL("\"%s\" must be an array of guest-policy bit names", k);
        json_array_foreach(v, i, e)
        {
            const char *name = jstr(e);
            size_t j = 0;
            while (name && j < N_GUEST_BITS && strcmp(name, guest_bits[j].name) != 0)
                j++;
            if (!name || j == N_GUEST_BITS)
                KFAIL("\"%s\"[%zu] is not one of single_socket, mem_aes_256_xts, rapl_dis, ciphertext_hiding, "
                      "page_swap_disable",
                      k, i);
            bits |= guest_bits[j].bit;
        }
        if (ratls_snp_policy_require_guest_policy(p, bits) != RATLS_OK)
            KFAIL("\"%s\" is invalid", k);
    } else if (strcmp(k, "signing_key") == 0) {
        const char *n = jstr(v);
        ratls_snp_signing_key sk = RATLS_SNP_SIGNING_KEY_ANY;
        if (n && strcmp(n, "vcek") == 0)
            sk = RATLS_SNP_SIGNING_KEY_VCEK;
        else if (n && strcmp(n, "vlek") == 0)
            sk = RATLS_SNP_SIGNING_KEY_VLEK;
        else if (n && strcmp(n, "any") == 0)
            sk = RATLS_SNP_SIGNING_KEY_ANY;
        else
            KFAIL("\"%s\" must be \"vcek\", \"vlek\" or \"any\"", k);
        if (ratls_snp_policy_set_signing_key(p, sk) != RATLS_OK)
            KFAIL("\"%s\" is invalid", k);
    } else if (strcmp(k, "id_key_digest") == 0 || strcmp(k, "author_key_digest") == 0) {
        s = json_digests(v, p, strcmp(k, "author_key_digest") == 0);
        if (s == RATLS_ERR_TOO_LARGE) {
            s = set_err(err, errlen, s, "snp policy: \"%s\" lists more than %d digests", k, RATLS_SNP_MAX_KEY_DIGESTS);
            goto fail;
        }
        if (s)
            KFAIL("\"%s\" must be 96 hex digits (48 bytes) or a non-empty array of them", k);
    } else if (strcmp(k, "require_launch_mit_vector") == 0 || strcmp(k, "require_current_mit_vector") == 0) {
        if (json_u64(v, &u))
            KFAIL("\"%s\" must be a non-negative integer or a \"0x\" hex string", k);
        if (strcmp(k, "require_launch_mit_vector") == 0)
            p->req_launch_mit = u;
        else
            p->req_current_mit = u;
    } else {
        KFAIL("unknown key \"%s\"", k);
    }
    return RATLS_OK;
fail:
    return s;
}

ratls_status ratls_snp_policy_from_json(const uint8_t *json, size_t len, ratls_snp_policy **out, char *err,
                                        size_t errlen)
{
    if (!out)
        return RATLS_ERR_INVALID_ARGUMENT;
    *out = NULL;
    if (!json)
        return RATLS_ERR_INVALID_ARGUMENT;
    if (len > SNP_POLICY_JSON_MAX)
        return set_err(err, errlen, RATLS_ERR_TOO_LARGE, "snp policy: over %u bytes", SNP_POLICY_JSON_MAX);
    json_error_t je;
    json_t *o = json_loadb((const char *)json, len, RATLS_JSON_FLAGS, &je);
    if (!o || !json_is_object(o)) {
        ratls_status s = set_err(err, errlen, RATLS_ERR_INVALID_ARGUMENT, "snp policy: not a JSON object (%s)",
                                 o ? "wrong type" : je.text);
        json_decref(o);
        return s;
    }
    ratls_snp_policy *p = ratls_snp_policy_new();
    if (!p) {
        json_decref(o);
        return RATLS_ERR_NO_MEMORY;
    }
    ratls_status s = RATLS_OK;
    const json_t *body = o;
    json_t *w = json_object_get(o, "snp");
    if (w) {
        if (json_object_size(o) != 1)
            KFAIL("\"snp\" must be the only key when it wraps the policy");
        if (!json_is_object(w))
            KFAIL("\"snp\" must be an object");
        body = w;
    }
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)body, k, v)
    {
        if ((s = json_key(p, k, v, err, errlen)) != RATLS_OK)
            goto fail;
    }
    json_decref(o);
    *out = p;
    return RATLS_OK;
fail:
    json_decref(o);
    ratls_snp_policy_free(p);
    return s;
}
