/* Strict X.509 v3 certificate and v2 CRL parsing for ECDSA-P256/SHA-256
 * PKIs (Intel SGX/TDX). Anything outside that profile is rejected. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/der.h"
#include "base/util.h"
#include "crypto/crypto.h"

#define OID_ECDSA_SHA256 "1.2.840.10045.4.3.2"
#define OID_EC_PUBKEY "1.2.840.10045.2.1"
#define OID_P256 "1.2.840.10045.3.1.7"
#define OID_CN "2.5.4.3"
#define OID_O "2.5.4.10"
#define OID_BASIC_CONSTRAINTS "2.5.29.19"
#define OID_KEY_USAGE "2.5.29.15"
#define OID_SKID "2.5.29.14"
#define OID_AKID "2.5.29.35"
#define OID_SGX "1.2.840.113741.1.13.1"
#define MAX_CERT_DER (16u * 1024u)
#define MAX_CRL_DER (512u * 1024u)
#define MAX_CRL_ENTRIES 20000

#define BAD(...)                                                                                                       \
    do {                                                                                                               \
        set_err(err, errlen, RATLS_ERR_CERT_CHAIN, __VA_ARGS__);                                                       \
        goto fail;                                                                                                     \
    } while (0)

/* AlgorithmIdentifier that must be exactly { ecdsa-with-SHA256 } (no parameters). */
static int alg_is_ecdsa_sha256(der_t *in, der_t *tlv)
{
    der_t alg, oid;
    const uint8_t *start = in->p;
    if (der_read(in, DER_SEQUENCE, &alg) || der_read_oid(&alg, &oid) || alg.len != 0 ||
        !der_oid_equals(&oid, OID_ECDSA_SHA256))
        return 0;
    if (tlv) {
        tlv->p = start;
        tlv->len = (size_t)(in->p - start);
    }
    return 1;
}

/* BIT STRING (no unused bits) holding DER Ecdsa-Sig-Value -> raw r || s. */
static int sig_from_bitstring(der_t *in, uint8_t out[64])
{
    der_t bs, seq, r, s;
    if (der_read(in, DER_BIT_STRING, &bs) || bs.len < 1 || bs.p[0] != 0)
        return -1;
    bs.p++;
    bs.len--;
    if (der_read(&bs, DER_SEQUENCE, &seq) || bs.len != 0 || der_read(&seq, DER_INTEGER, &r) ||
        der_read(&seq, DER_INTEGER, &s) || seq.len != 0)
        return -1;
    der_t *v[2] = {&r, &s};
    memset(out, 0, 64);
    for (int i = 0; i < 2; i++) {
        const uint8_t *p = v[i]->p;
        size_t n = v[i]->len;
        if (n == 0 || (p[0] & 0x80))
            return -1; /* empty or negative */
        if (n > 1 && p[0] == 0 && !(p[1] & 0x80))
            return -1; /* non-minimal */
        if (p[0] == 0) {
            p++;
            n--;
        }
        if (n > 32)
            return -1;
        memcpy(out + 32 * i + (32 - n), p, n);
    }
    return 0;
}

/* SIGNED{T} ::= SEQUENCE { T, AlgorithmIdentifier, BIT STRING }: the signed
 * part (its contents and whole encoding), the outer algorithm's encoding (to
 * compare with the one inside T) and the signature as raw r || s. */
static int split_signed(const uint8_t *p, size_t len, der_t *tbs, der_t *tbs_tlv, der_t *outer_alg, uint8_t sig[64])
{
    der_t in = {p, len}, body;
    uint8_t tag;
    if (der_read(&in, DER_SEQUENCE, &body) || in.len != 0 || der_read_tlv(&body, &tag, tbs, tbs_tlv) ||
        tag != DER_SEQUENCE || !alg_is_ecdsa_sha256(&body, outer_alg) || sig_from_bitstring(&body, sig) ||
        body.len != 0)
        return -1;
    return 0;
}

static uint8_t *dup_bytes(const uint8_t *p, size_t n)
{
    uint8_t *d = malloc(n);
    if (d)
        memcpy(d, p, n);
    return d;
}

/* DirectoryString-like values: UTF8String (valid UTF-8), PrintableString
 * (its character set), IA5String (ASCII); no NULs. */
static int string_ok(uint8_t tag, const der_t *v)
{
    if (memchr(v->p, 0, v->len))
        return 0;
    if (tag == DER_UTF8)
        return utf8_valid(v->p, v->len);
    for (size_t i = 0; i < v->len; i++) {
        uint8_t c = v->p[i];
        if (tag == DER_IA5 && c >= 0x80)
            return 0;
        if (tag == DER_PRINTABLE &&
            !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr(" '()+,-./:=?", c)))
            return 0;
    }
    return tag == DER_IA5 || tag == DER_PRINTABLE;
}

/* INTEGER serial: positive, minimal, at most 20 octets of value (RFC 5280). */
static int serial_ok(const der_t *v)
{
    if (v->len == 0 || v->len > 21 || (v->p[0] & 0x80))
        return 0;
    if (v->len > 1 && v->p[0] == 0 && !(v->p[1] & 0x80))
        return 0;
    return v->len < 21 || v->p[0] == 0;
}

/* Name: SEQUENCE OF SET OF AttributeTypeAndValue. Extracts CN and O and
 * rejects a second CN (the CN checks must not be satisfiable two ways). */
static int parse_name(const der_t *name_tlv_contents, char *cn, size_t cnlen, char *org, size_t orglen)
{
    der_t seq = *name_tlv_contents, set, atv, oid, val;
    int ncn = 0;
    cn[0] = org[0] = 0;
    while (seq.len) {
        if (der_read(&seq, DER_SET, &set) || set.len == 0)
            return -1;
        while (set.len) {
            uint8_t tag;
            if (der_read(&set, DER_SEQUENCE, &atv) || der_read_oid(&atv, &oid) ||
                der_read_tlv(&atv, &tag, &val, NULL) || atv.len != 0)
                return -1;
            /* every attribute value must be a well-formed string */
            if (!string_ok(tag, &val))
                return -1;
            int is_cn = der_oid_equals(&oid, OID_CN), is_o = der_oid_equals(&oid, OID_O);
            if (!is_cn && !is_o)
                continue;
            if (tag != DER_UTF8 && tag != DER_PRINTABLE && tag != DER_IA5)
                return -1;
            char *dst = is_cn ? cn : org;
            size_t dlen = is_cn ? cnlen : orglen;
            if (val.len >= dlen || memchr(val.p, 0, val.len))
                return -1;
            if (is_cn && ++ncn > 1)
                return -1;
            memcpy(dst, val.p, val.len);
            dst[val.len] = 0;
        }
    }
    return 0;
}

void rcert_free(rcert *c)
{
    if (!c)
        return;
    ec_pub_free(c->key);
    free(c->der);
    free(c);
}

static int parse_extensions(der_t exts, rcert *c, char *err, size_t errlen)
{
    int seen_bc = 0, seen_ku = 0, seen_skid = 0, seen_akid = 0;
    der_t list;
    if (der_read(&exts, DER_SEQUENCE, &list) || exts.len != 0 || list.len == 0) {
        set_err(err, errlen, RATLS_ERR_CERT_CHAIN, "malformed extensions");
        return -1;
    }
    while (list.len) {
        der_t ext, oid, crit, val;
        int critical = 0;
        if (der_read(&list, DER_SEQUENCE, &ext) || der_read_oid(&ext, &oid)) {
            set_err(err, errlen, RATLS_ERR_CERT_CHAIN, "malformed extension");
            return -1;
        }
        if (der_peek(&ext) == DER_BOOLEAN) {
            /* DER: the DEFAULT FALSE value is never encoded */
            if (der_read(&ext, DER_BOOLEAN, &crit) || crit.len != 1 || crit.p[0] != 0xff) {
                set_err(err, errlen, RATLS_ERR_CERT_CHAIN, "malformed extension criticality");
                return -1;
            }
            critical = 1;
        }
        if (der_read(&ext, DER_OCTET_STRING, &val) || ext.len != 0) {
            set_err(err, errlen, RATLS_ERR_CERT_CHAIN, "malformed extension value");
            return -1;
        }
        if (der_oid_equals(&oid, OID_BASIC_CONSTRAINTS)) {
            der_t bc = val, seq, b;
            if (seen_bc++ || der_read(&bc, DER_SEQUENCE, &seq) || bc.len != 0)
                goto bad;
            if (der_peek(&seq) == DER_BOOLEAN) {
                if (der_read(&seq, DER_BOOLEAN, &b) || b.len != 1 || b.p[0] != 0xff)
                    goto bad;
                c->is_ca = 1;
            }
            if (seq.len) {
                uint64_t pl;
                if (der_read(&seq, DER_INTEGER, &b) || der_uint(&b, 255, &pl) || seq.len != 0 || !c->is_ca)
                    goto bad;
            }
        } else if (der_oid_equals(&oid, OID_KEY_USAGE)) {
            der_t ku = val, bs;
            if (seen_ku++ || der_read(&ku, DER_BIT_STRING, &bs) || ku.len != 0 || bs.len < 2 || bs.len > 3 ||
                bs.p[0] > 7)
                goto bad;
            c->has_key_usage = 1;
            c->key_usage = 0;
            for (size_t i = 1; i < bs.len; i++)
                for (int bit = 0; bit < 8; bit++)
                    if (bs.p[i] & (0x80 >> bit))
                        c->key_usage |= 1u << ((i - 1) * 8 + (size_t)bit);
        } else if (der_oid_equals(&oid, OID_SKID)) {
            der_t s = val, id;
            if (seen_skid++ || der_read(&s, DER_OCTET_STRING, &id) || s.len != 0 || id.len == 0)
                goto bad;
            c->skid = id.p;
            c->skid_len = id.len;
        } else if (der_oid_equals(&oid, OID_AKID)) {
            der_t a = val, seq, id;
            if (seen_akid++ || der_read(&a, DER_SEQUENCE, &seq) || a.len != 0)
                goto bad;
            if (der_peek(&seq) == 0x80) { /* [0] IMPLICIT keyIdentifier */
                if (der_read(&seq, 0x80, &id) || id.len == 0)
                    goto bad;
                c->akid = id.p;
                c->akid_len = id.len;
            }
        } else if (der_oid_equals(&oid, OID_SGX)) {
            c->sgx_ext_count++;
            c->sgx_ext = val.p;
            c->sgx_ext_len = val.len;
        } else if (critical) {
            set_err(err, errlen, RATLS_ERR_CERT_CHAIN, "unknown critical extension");
            return -1;
        }
        continue;
    bad:
        set_err(err, errlen, RATLS_ERR_CERT_CHAIN, "malformed or repeated standard extension");
        return -1;
    }
    return 0;
}

ratls_status rcert_parse(const uint8_t *der, size_t len, rcert **out, char *err, size_t errlen)
{
    *out = NULL;
    if (!der || len == 0 || len > MAX_CERT_DER)
        return set_err(err, errlen, RATLS_ERR_CERT_CHAIN, "certificate is empty or larger than %u bytes", MAX_CERT_DER);
    rcert *c = calloc(1, sizeof *c);
    if (!c || !(c->der = dup_bytes(der, len))) {
        free(c);
        return RATLS_ERR_NO_MEMORY;
    }
    c->der_len = len;
    der_t tbs, tbs_tlv, v, t, tbs_alg, outer_alg;
    uint8_t tag;
    if (split_signed(c->der, len, &tbs, &tbs_tlv, &outer_alg, c->sig))
        BAD("not a DER certificate signed with ECDSA-P256/SHA-256");
    c->tbs = tbs_tlv.p;
    c->tbs_len = tbs_tlv.len;
    /* version: [0] EXPLICIT INTEGER 2 (v3) */
    der_t ver;
    uint64_t vn;
    if (der_read(&tbs, 0xa0, &ver) || der_read(&ver, DER_INTEGER, &v) || ver.len != 0 || der_uint(&v, 2, &vn) ||
        vn != 2)
        BAD("certificate is not X.509 v3");
    if (der_read(&tbs, DER_INTEGER, &v) || !serial_ok(&v))
        BAD("certificate serial number malformed");
    c->serial = v.p;
    c->serial_len = v.len;
    if (!alg_is_ecdsa_sha256(&tbs, &tbs_alg) || tbs_alg.len != outer_alg.len ||
        memcmp(tbs_alg.p, outer_alg.p, tbs_alg.len) != 0)
        BAD("certificate signature algorithm is not ECDSA-P256/SHA-256 or differs from the signed one");
    der_t name, name_tlv;
    char dummy_cn[128], dummy_o[128];
    if (der_read_tlv(&tbs, &tag, &name, &name_tlv) || tag != DER_SEQUENCE ||
        parse_name(&name, dummy_cn, sizeof dummy_cn, dummy_o, sizeof dummy_o))
        BAD("certificate issuer name malformed");
    c->issuer = name_tlv.p;
    c->issuer_len = name_tlv.len;
    der_t validity;
    if (der_read(&tbs, DER_SEQUENCE, &validity) || der_read_tlv(&validity, &tag, &t, NULL) ||
        der_time(tag, &t, &c->not_before) || der_read_tlv(&validity, &tag, &t, NULL) ||
        der_time(tag, &t, &c->not_after) || validity.len != 0)
        BAD("certificate validity malformed");
    if (der_read_tlv(&tbs, &tag, &name, &name_tlv) || tag != DER_SEQUENCE ||
        parse_name(&name, c->cn, sizeof c->cn, c->org, sizeof c->org))
        BAD("certificate subject name malformed");
    c->subject = name_tlv.p;
    c->subject_len = name_tlv.len;
    der_t spki, alg, oid, bs;
    if (der_read(&tbs, DER_SEQUENCE, &spki) || der_read(&spki, DER_SEQUENCE, &alg) || der_read_oid(&alg, &oid) ||
        !der_oid_equals(&oid, OID_EC_PUBKEY) || der_read_oid(&alg, &oid) || !der_oid_equals(&oid, OID_P256) ||
        alg.len != 0 || der_read(&spki, DER_BIT_STRING, &bs) || spki.len != 0 || bs.len != 66 || bs.p[0] != 0 ||
        bs.p[1] != 0x04)
        BAD("certificate key is not an uncompressed P-256 key");
    memcpy(c->point, bs.p + 1, 65);
    /* no unique IDs; extensions [3] required (v3) */
    der_t exts;
    if (der_read(&tbs, 0xa3, &exts) || tbs.len != 0)
        BAD("certificate has no extensions or unexpected fields");
    if (parse_extensions(exts, c, err, errlen))
        goto fail;
    c->key = ec_pub_from_point(c->point);
    if (!c->key)
        BAD("certificate key is not a point on P-256");
    *out = c;
    return RATLS_OK;
fail:
    rcert_free(c);
    return RATLS_ERR_CERT_CHAIN;
}

int rcert_same(const rcert *a, const rcert *b)
{
    return a->der_len == b->der_len && memcmp(a->der, b->der, a->der_len) == 0;
}

int rcert_cn_contains(const rcert *c, const char *needle) { return c->cn[0] && strstr(c->cn, needle) != NULL; }

void rcert_describe(const rcert *c, char *buf, size_t n)
{
    snprintf(buf, n, "CN=%s%s%s", c->cn[0] ? c->cn : "(none)", c->org[0] ? ", O=" : "", c->org);
}

ratls_status rcert_verify_issued(const rcert *child, const rcert *issuer, char *err, size_t errlen)
{
    if (child->issuer_len != issuer->subject_len || memcmp(child->issuer, issuer->subject, child->issuer_len) != 0)
        return set_err(err, errlen, RATLS_ERR_CERT_CHAIN, "\"%s\" names another issuer than \"%s\"", child->cn,
                       issuer->cn);
    if (!issuer->is_ca)
        return set_err(err, errlen, RATLS_ERR_CERT_CHAIN, "issuer \"%s\" is not a CA certificate", issuer->cn);
    if (issuer->has_key_usage && !(issuer->key_usage & (1u << 5)))
        return set_err(err, errlen, RATLS_ERR_CERT_CHAIN, "issuer \"%s\" may not sign certificates", issuer->cn);
    if (child->akid && issuer->skid &&
        (child->akid_len != issuer->skid_len || memcmp(child->akid, issuer->skid, child->akid_len) != 0))
        return set_err(err, errlen, RATLS_ERR_CERT_CHAIN, "\"%s\" names another issuer key than \"%s\"'s", child->cn,
                       issuer->cn);
    if (!ecdsa_verify_ca(issuer->key, child->tbs, child->tbs_len, child->sig))
        return set_err(err, errlen, RATLS_ERR_CERT_CHAIN, "signature on \"%s\" does not verify with \"%s\"'s key",
                       child->cn, issuer->cn);
    return RATLS_OK;
}

ratls_status rcert_check_time(const rcert *c, int64_t now, const char *what, char *err, size_t errlen)
{
    char t[32];
    if (now < c->not_before) {
        format_iso8601_utc(c->not_before, t);
        return set_err(err, errlen, RATLS_ERR_CERT_NOT_YET_VALID, "%s is not valid before %s", what, t);
    }
    if (now > c->not_after) {
        format_iso8601_utc(c->not_after, t);
        return set_err(err, errlen, RATLS_ERR_CERT_EXPIRED, "%s expired at %s", what, t);
    }
    return RATLS_OK;
}

/* ---- CRLs ---- */

void rcrl_free(rcrl *c)
{
    if (!c)
        return;
    free(c->revoked);
    free(c->revoked_len);
    free(c->der);
    free(c);
}

#undef BAD
#define BAD(...)                                                                                                       \
    do {                                                                                                               \
        set_err(err, errlen, RATLS_ERR_CRL_FORMAT, __VA_ARGS__);                                                       \
        goto fail;                                                                                                     \
    } while (0)

static int skip_crl_extensions(der_t exts)
{
    der_t list;
    if (der_read(&exts, DER_SEQUENCE, &list) || exts.len != 0)
        return -1;
    while (list.len) {
        der_t ext, oid, crit, val;
        if (der_read(&list, DER_SEQUENCE, &ext) || der_read_oid(&ext, &oid))
            return -1;
        if (der_peek(&ext) == DER_BOOLEAN) {
            if (der_read(&ext, DER_BOOLEAN, &crit) || crit.len != 1 || crit.p[0] != 0xff)
                return -1;
            /* a critical CRL or entry extension we do not understand (e.g. an
             * indirect CRL's certificateIssuer) changes what the list means */
            return -1;
        }
        if (der_read(&ext, DER_OCTET_STRING, &val) || ext.len != 0)
            return -1;
    }
    return 0;
}

ratls_status rcrl_parse(const uint8_t *der, size_t len, rcrl **out, char *err, size_t errlen)
{
    *out = NULL;
    if (!der || len == 0 || len > MAX_CRL_DER)
        return set_err(err, errlen, RATLS_ERR_CRL_FORMAT, "CRL is empty or larger than %u bytes", MAX_CRL_DER);
    rcrl *c = calloc(1, sizeof *c);
    if (!c || !(c->der = dup_bytes(der, len))) {
        free(c);
        return RATLS_ERR_NO_MEMORY;
    }
    c->der_len = len;
    der_t tbs, tbs_tlv, v, t, tbs_alg, outer_alg;
    uint8_t tag;
    uint64_t vn;
    if (split_signed(c->der, len, &tbs, &tbs_tlv, &outer_alg, c->sig))
        BAD("not a DER CRL signed with ECDSA-P256/SHA-256");
    c->tbs = tbs_tlv.p;
    c->tbs_len = tbs_tlv.len;
    if (der_read(&tbs, DER_INTEGER, &v) || der_uint(&v, 1, &vn) || vn != 1)
        BAD("CRL is not version 2");
    if (!alg_is_ecdsa_sha256(&tbs, &tbs_alg) || tbs_alg.len != outer_alg.len ||
        memcmp(tbs_alg.p, outer_alg.p, tbs_alg.len) != 0)
        BAD("CRL signature algorithm differs from the signed one");
    der_t name, name_tlv;
    char cn[128], org[128];
    if (der_read_tlv(&tbs, &tag, &name, &name_tlv) || tag != DER_SEQUENCE ||
        parse_name(&name, cn, sizeof cn, org, sizeof org))
        BAD("CRL issuer name malformed");
    c->issuer = name_tlv.p;
    c->issuer_len = name_tlv.len;
    if (der_read_tlv(&tbs, &tag, &t, NULL) || der_time(tag, &t, &c->this_update))
        BAD("CRL thisUpdate malformed");
    /* nextUpdate is optional in X.509 but a CRL without it never expires: refuse it */
    if (der_read_tlv(&tbs, &tag, &t, NULL) || der_time(tag, &t, &c->next_update))
        BAD("CRL has no (or a malformed) nextUpdate");
    if (der_peek(&tbs) == DER_SEQUENCE) {
        der_t list = {NULL, 0};
        if (der_read(&tbs, DER_SEQUENCE, &list))
            BAD("CRL revokedCertificates malformed");
        size_t cap = 0;
        while (list.len) {
            der_t e, serial;
            int64_t rev_date;
            if (c->nrevoked >= MAX_CRL_ENTRIES)
                BAD("CRL has more than %u entries", MAX_CRL_ENTRIES);
            if (der_read(&list, DER_SEQUENCE, &e) || der_read(&e, DER_INTEGER, &serial) || !serial_ok(&serial) ||
                der_read_tlv(&e, &tag, &t, NULL) || der_time(tag, &t, &rev_date))
                BAD("CRL entry malformed");
            if (e.len && skip_crl_extensions(e))
                BAD("CRL entry extension malformed or critical");
            if (c->nrevoked == cap) {
                cap = cap ? cap * 2 : 64;
                const uint8_t **nr = realloc(c->revoked, cap * sizeof *nr);
                size_t *nl = nr ? realloc(c->revoked_len, cap * sizeof *nl) : NULL;
                if (nr)
                    c->revoked = nr;
                if (!nr || !nl) {
                    rcrl_free(c);
                    return RATLS_ERR_NO_MEMORY;
                }
                c->revoked_len = nl;
            }
            c->revoked[c->nrevoked] = serial.p;
            c->revoked_len[c->nrevoked] = serial.len;
            c->nrevoked++;
        }
    }
    if (der_peek(&tbs) == 0xa0) {
        der_t exts;
        if (der_read(&tbs, 0xa0, &exts) || skip_crl_extensions(exts))
            BAD("CRL extension malformed or critical");
    }
    if (tbs.len != 0)
        BAD("CRL has unexpected fields");
    *out = c;
    return RATLS_OK;
fail:
    rcrl_free(c);
    return RATLS_ERR_CRL_FORMAT;
}

ratls_status rcrl_check(const rcrl *crl, const rcert *issuer, int64_t now, const char *what, char *err, size_t errlen)
{
    char t[32];
    if (crl->issuer_len != issuer->subject_len || memcmp(crl->issuer, issuer->subject, crl->issuer_len) != 0)
        return set_err(err, errlen, RATLS_ERR_CRL_ISSUER, "%s is not issued by \"%s\"", what, issuer->cn);
    if (issuer->has_key_usage && !(issuer->key_usage & (1u << 6)))
        return set_err(err, errlen, RATLS_ERR_CRL_ISSUER, "\"%s\" may not sign CRLs", issuer->cn);
    if (!ecdsa_verify_ca(issuer->key, crl->tbs, crl->tbs_len, crl->sig))
        return set_err(err, errlen, RATLS_ERR_CRL_SIGNATURE, "%s signature does not verify", what);
    if (now < crl->this_update) {
        format_iso8601_utc(crl->this_update, t);
        return set_err(err, errlen, RATLS_ERR_CRL_NOT_YET_VALID, "%s is not valid before %s", what, t);
    }
    if (now > crl->next_update) {
        format_iso8601_utc(crl->next_update, t);
        return set_err(err, errlen, RATLS_ERR_CRL_EXPIRED, "%s expired at %s (nextUpdate)", what, t);
    }
    return RATLS_OK;
}

/* Serials compared as numbers: leading zero octets do not count, so a
 * non-minimal encoding in either place cannot hide a revocation. */
static void strip_zeros(const uint8_t **p, size_t *n)
{
    while (*n > 1 && (*p)[0] == 0) {
        (*p)++;
        (*n)--;
    }
}

int rcrl_lists(const rcrl *crl, const rcert *c)
{
    const uint8_t *cs = c->serial;
    size_t cn = c->serial_len;
    strip_zeros(&cs, &cn);
    for (size_t i = 0; i < crl->nrevoked; i++) {
        const uint8_t *rs = crl->revoked[i];
        size_t rn = crl->revoked_len[i];
        strip_zeros(&rs, &rn);
        if (rn == cn && memcmp(rs, cs, cn) == 0)
            return 1;
    }
    return 0;
}

int asn1_time_unix(const ASN1_TIME *t, int64_t *out)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
        return -1;
    *out = utc_from_fields(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return 0;
}
