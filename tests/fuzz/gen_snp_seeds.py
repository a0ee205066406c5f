#!/usr/bin/env python3
"""Seed corpora of the snp_json and snp_vcek fuzz targets (see README.md).

    tests/fuzz/gen_snp_seeds.py [tests/fuzz/corpus]

snp_vcek: self-signed certificates made here with the openssl CLI (fresh
P-384 keys each run), carrying AMD-style VCEK/VLEK extensions under
1.3.6.1.4.1.3704.1, plus malformed variants. snp_json: the synthetic
snp_report seeds (written by gen_corpus) in the blyss JSON form (virtee sev
1.x serde), with a VCEK from above, plus malformed variants. No third-party
data is used. Output is not byte-reproducible (keys are random); any seeds
of the same shapes do.
"""
import base64
import json
import os
import subprocess
import sys
import tempfile

AMD = "1.3.6.1.4.1.3704.1."
CONF = "[req]\ndistinguished_name = dn\n[dn]\n"


def der_int(v):
    b = v.to_bytes(max(1, (v.bit_length() + 8) // 8), "big")  # leading 00 when the top bit is set
    return bytes([0x02, len(b)]) + b


def der_ia5(s, tag=0x16):
    b = s.encode()
    return bytes([tag, len(b)]) + b


def hexcolon(b):
    return ":".join("%02x" % x for x in b)


def cert(tmp, exts):
    """A self-signed P-384 certificate (DER) with the given (oid, value bytes) extensions."""
    key = os.path.join(tmp, "k.pem")
    conf = os.path.join(tmp, "req.cnf")
    out = os.path.join(tmp, "c.der")
    with open(conf, "w") as f:
        f.write(CONF)
    subprocess.run(["openssl", "ecparam", "-name", "secp384r1", "-genkey", "-noout", "-out", key], check=True)
    cmd = ["openssl", "req", "-config", conf, "-x509", "-new", "-key", key, "-sha384", "-subj", "/CN=SEV-VCEK",
           "-days", "2555", "-outform", "DER", "-out", out]
    for oid, val in exts:
        cmd += ["-addext", "%s=DER:%s" % (oid, hexcolon(val))]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(out, "rb") as f:
        return f.read()


def vcek_exts(product, spl, hwid, struct_version=0, extra=()):
    e = [(AMD + "1", der_int(struct_version)), (AMD + "2", der_ia5(product))]
    e += [(AMD + "3." + k, der_int(v)) for k, v in spl]
    if hwid is not None:
        e.append((AMD + "4", hwid))
    return e + list(extra)


def blyss_json(r, vcek=None, padded=False):
    u = lambda o, n: int.from_bytes(r[o:o + n], "little")
    a = lambda o, n: list(r[o:o + n])
    tcb = lambda o: {"bootloader": r[o], "tee": r[o + 1], "_reserved": a(o + 2, 4), "snp": r[o + 6],
                     "microcode": r[o + 7]}
    d = {"version": u(0, 4), "guest_svn": u(4, 4), "policy": u(8, 8), "family_id": a(0x10, 16),
         "image_id": a(0x20, 16), "vmpl": u(0x30, 4), "sig_algo": u(0x34, 4), "current_tcb": tcb(0x38),
         "plat_info": u(0x40, 8), "_author_key_en": u(0x48, 4), "_reserved_0": u(0x4C, 4),
         "report_data": a(0x50, 64), "measurement": a(0x90, 48), "host_data": a(0xC0, 32),
         "id_key_digest": a(0xE0, 48), "author_key_digest": a(0x110, 48), "report_id": a(0x140, 32),
         "report_id_ma": a(0x160, 32), "reported_tcb": tcb(0x180), "_reserved_1": a(0x188, 24),
         "chip_id": a(0x1A0, 64), "committed_tcb": tcb(0x1E0), "current_build": r[0x1E8],
         "current_minor": r[0x1E9], "current_major": r[0x1EA], "_reserved_2": r[0x1EB],
         "committed_build": r[0x1EC], "committed_minor": r[0x1ED], "committed_major": r[0x1EE],
         "_reserved_3": r[0x1EF], "launch_tcb": tcb(0x1F0), "_reserved_4": a(0x1F8, 168),
         "signature": {"r": a(0x2A0, 72), "s": a(0x2E8, 72), "_reserved": a(0x330, 368)}}
    if vcek is not None:
        b = base64.b64encode(vcek).decode()
        d["vcek"] = b if padded else b.rstrip("=")
    d["launch"] = {"kernel_cli": "console=ttyS0 initrd=initrd", "num_vcpus": 4}
    return d


def dump(d):
    return json.dumps(d, separators=(",", ":")).encode()


def main():
    corpus = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus")
    jdir, vdir = os.path.join(corpus, "snp_json"), os.path.join(corpus, "snp_vcek")
    os.makedirs(jdir, exist_ok=True)
    os.makedirs(vdir, exist_ok=True)

    def put(d, name, data, cap):
        assert len(data) <= cap, (name, len(data))
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)

    vput = lambda n, b: put(vdir, n, b, 4096)
    jput = lambda n, b: put(jdir, n, b, 16384)
    hwid = bytes(range(1, 65))
    genoa_spl = [("1", 7), ("2", 0), ("4", 0), ("5", 0), ("6", 0), ("7", 0), ("3", 11), ("8", 62)]
    with tempfile.TemporaryDirectory() as tmp:
        genoa = cert(tmp, vcek_exts("Genoa", genoa_spl, hwid))
        vput("genoa", genoa)
        milan_spl = [("1", 4), ("2", 0), ("4", 0), ("5", 0), ("6", 0), ("7", 0), ("3", 24), ("8", 0xDB)]
        vput("milan_ucode_0xdb", cert(tmp, vcek_exts("Milan-B0", milan_spl, hwid)))
        turin_spl = [("9", 1), ("1", 1), ("2", 1), ("5", 0), ("6", 0), ("7", 0), ("3", 4), ("8", 0x51)]
        turin = cert(tmp, vcek_exts("Turin", turin_spl, hwid[:8], struct_version=1))
        vput("turin_hwid8", turin)
        vput("vlek_csp", cert(tmp, vcek_exts("Genoa", genoa_spl, None, extra=[(AMD + "5", der_ia5("AWS"))])))
        vput("hwid_tagged", cert(tmp, vcek_exts("Genoa", genoa_spl, bytes([0x04, 0x40]) + hwid)))
        vput("edge_hwid_and_csp", cert(tmp, vcek_exts("Genoa", genoa_spl, hwid, extra=[(AMD + "5", der_ia5("X"))])))
        vput("edge_hwid_32", cert(tmp, vcek_exts("Genoa", genoa_spl, hwid[:32])))
        vput("edge_spl_256", cert(tmp, vcek_exts("Genoa", [("1", 256)], hwid)))
        vput("edge_spl_negative", cert(tmp, vcek_exts("Genoa", [("8", 0)], hwid,
                                                       extra=[(AMD + "3.3", bytes([0x02, 0x01, 0xFF]))])))
        vput("edge_name_utf8", cert(tmp, [(AMD + "2", der_ia5("Genoa", tag=0x0C))]))
        vput("edge_name_control", cert(tmp, [(AMD + "2", der_ia5("Gen\x01a"))]))
        vput("edge_struct_trailing", cert(tmp, [(AMD + "1", der_int(0) + b"\x00")]))
        vput("edge_no_amd_ext", cert(tmp, []))
        vput("edge_truncated", genoa[:300])
        vput("edge_trailing_byte", genoa + b"\x00")
        vput("edge_empty", b"")

    reports = {}
    for name in ("v2", "v3_genoa", "v5_turin", "v3_milan"):
        with open(os.path.join(corpus, "snp_report", name), "rb") as f:
            reports[name] = f.read()
            assert len(reports[name]) == 1184
    base = blyss_json(reports["v2"], genoa)
    jput("v2", dump(base))
    jput("v3_genoa_response", dump({"cert_sha256_fingerprint": "00", "cpu_attestation":
                                    blyss_json(reports["v3_genoa"], genoa), "gpu_attestation": {"gpus": []}}))
    jput("v5_turin_padded", dump(blyss_json(reports["v5_turin"], turin, padded=True)))
    jput("v3_milan_no_vcek", json.dumps(blyss_json(reports["v3_milan"]), indent=1).encode())

    def variant(name, f):
        d = json.loads(json.dumps(base))
        f(d)
        jput(name, dump(d))

    variant("edge_reserved_0", lambda d: d.update(_reserved_0=1))
    variant("edge_byte_256", lambda d: d["measurement"].__setitem__(0, 256))
    variant("edge_float", lambda d: d.update(vmpl=1.0))
    variant("edge_negative", lambda d: d["current_tcb"].update(snp=-1))
    variant("edge_string", lambda d: d.update(guest_svn="0"))
    variant("edge_unknown_key", lambda d: d["signature"].update(extra=0))
    variant("edge_short_array", lambda d: d["chip_id"].pop())
    variant("edge_missing", lambda d: d.pop("launch_tcb"))
    variant("edge_bad_base64", lambda d: d.update(vcek=d["vcek"][:-1] + "!"))
    variant("edge_launch", lambda d: d["launch"].update(num_vcpus="4"))
    variant("edge_u64_overflow", lambda d: d.update(policy=2**64))
    jput("edge_truncated", dump(base)[:2000])
    jput("edge_not_object", b"[1,2,3]")
    jput("edge_empty_object", b" {}")


if __name__ == "__main__":
    main()
