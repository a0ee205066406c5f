#!/usr/bin/python3
"""Loopback stand-in for Intel PCS v4 / a PCCS, used by ratls tests.

Serves DCAP collateral taken byte-exactly from QuoteCollateralV3 JSON bundles
(the format written by `ratls sim generate`), and lets tests count requests
and inject faults.  Standard library only; runs under /usr/bin/python3.

Usage: pcs_standin.py [--port N] [--bundle PATH ...] [--log]
  Binds 127.0.0.1:N (N=0, the default, picks a free port), prints
  "PORT <n>\\n" on stdout, and serves until stdin reaches EOF or it gets
  SIGTERM/SIGINT.  --log writes one line per request on stderr.

Routes (route name in brackets, used by /__stats and /__fault):
  GET /tdx/certification/v4/tcb?fmspc=HEX[&update=standard|early]   [tcb]
  GET /tdx/certification/v4/qe/identity                              [qe]
  GET /sgx/certification/v4/pckcrl?ca=platform|processor[&encoding=der]
                                                                     [pckcrl]
  GET /sgx/certification/v4/rootcacrl  (hex text, like a PCCS)       [rootcacrl]
  GET /IntelSGXRootCA.der              (DER, like Intel's CDP)       [rootcrl_der]
  anything else -> 404                                               [other]

Control API (not counted):
  GET /__stats   JSON {route: n, "tcb:<FMSPC>": n, "pckcrl:<ca>": n, ...}
  GET /__reset   clear counters and faults
  GET /__fault?route=R&mode=M[&count=N][&arg=A]
      R: a route name or "all"; N: requests affected (default 1, 0 = until
      reset).  Faults are queued FIFO per route; a request consumes at most
      one, taken from its own route's queue first, then from "all".
      M: 404 | 500 | 503 | 429 (Retry-After: A, default 1) | slow (sleep A s,
      default 5) | garbage | truncated | short | badsig | nochain |
      huge (A bytes, default 8 MiB) | redirect (302 to the same URL)
  GET /__load?path=ABS_PATH   load another bundle (replaces entries)
"""
import argparse
import base64
import json
import os
import sys
import time
import urllib.parse

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
import standin_common  # noqa: E402
from standin_common import GARBAGE, query_dict  # noqa: E402

ROUTES = ("tcb", "qe", "pckcrl", "rootcacrl", "rootcrl_der", "other")
MODES = ("404", "500", "503", "429", "slow", "garbage", "truncated", "short",
         "badsig", "nochain", "huge", "redirect")
FIELDS = ("pck_crl_issuer_chain", "root_ca_crl", "pck_crl",
          "tcb_info_issuer_chain", "tcb_info", "tcb_info_signature",
          "qe_identity_issuer_chain", "qe_identity", "qe_identity_signature")
PATHS = {
    "/tdx/certification/v4/tcb": "tcb",
    "/tdx/certification/v4/qe/identity": "qe",
    "/sgx/certification/v4/pckcrl": "pckcrl",
    "/sgx/certification/v4/rootcacrl": "rootcacrl",
    "/IntelSGXRootCA.der": "rootcrl_der",
}


class State(standin_common.State):
    """Collateral index, request counters and fault queues (one lock)."""

    def __init__(self):
        self.tcb = {}        # FMSPC (upper) -> (tcb_info, signature, chain)
        self.qe = None       # (qe_identity, signature, chain)
        self.pckcrl = {}     # "platform"/"processor" -> (der, chain)
        self.rootcrl = None  # der
        super().__init__(ROUTES)

    def load(self, path):
        with open(path, encoding="utf-8") as f:
            b = json.load(f)
        if not isinstance(b, dict):
            raise ValueError("bundle is not a JSON object")
        missing = [k for k in FIELDS if not isinstance(b.get(k), str)]
        if missing:
            raise ValueError("bundle lacks string field(s): " + ", ".join(missing))
        fmspc = json.loads(b["tcb_info"])["fmspc"].upper()
        pck_der = bytes.fromhex(b["pck_crl"])
        root_der = bytes.fromhex(b["root_ca_crl"])
        bytes.fromhex(b["tcb_info_signature"])  # validate early
        bytes.fromhex(b["qe_identity_signature"])
        kind = ("platform" if b"Platform CA" in pck_der else
                "processor" if b"Processor CA" in pck_der else None)
        with self.lock:
            self.tcb[fmspc] = (b["tcb_info"], b["tcb_info_signature"],
                               b["tcb_info_issuer_chain"])
            self.qe = (b["qe_identity"], b["qe_identity_signature"],
                       b["qe_identity_issuer_chain"])
            if kind:
                self.pckcrl[kind] = (pck_der, b["pck_crl_issuer_chain"])
            self.rootcrl = root_der


STATE = State()


def damage_hex(sig):
    """Replace one hex digit in the middle of sig by a different one."""
    i = len(sig) // 2
    return sig[:i] + ("1" if sig[i] == "0" else "0") + sig[i + 1:]


def damage_der(der):
    return der[:-1] + bytes([der[-1] ^ 0x01]) if der else der


def crl_pem(der):
    b64 = base64.b64encode(der).decode()
    lines = [b64[i:i + 64] for i in range(0, len(b64), 64)]
    return ("-----BEGIN X509 CRL-----\n" + "\n".join(lines) +
            "\n-----END X509 CRL-----\n").encode()


def chain_header(name, pem):
    return (name, urllib.parse.quote(pem, safe=""))


class Handler(standin_common.Handler, name="pcs_standin", state=STATE, modes=MODES):

    def serve_url(self, url):
        q = query_dict(url.query)
        route = PATHS.get(url.path, "other")
        keys = [route]
        if route == "tcb" and "fmspc" in q:
            keys.append("tcb:" + q["fmspc"].upper())
        if route == "pckcrl" and "ca" in q:
            keys.append("pckcrl:" + q["ca"].lower())
        STATE.count(*keys)
        mode, arg = STATE.take_fault(route)
        self.serve(route, q, mode, arg)

    def check_fault_arg(self, mode, arg):
        if arg is not None and mode in ("slow", "huge"):
            float(arg) if mode == "slow" else int(arg)

    def ctl_load(self, q):
        try:
            STATE.load(q["path"])
        except Exception as e:  # report any load problem to the test
            return self.reply(400, ("load failed: %r\n" % e).encode())
        return self.reply(200, b"ok")

    def normal(self, route, q, badsig):
        """Build (status, content_type, body, chain_header_or_None)."""
        with STATE.lock:
            tcb, qe = dict(STATE.tcb), STATE.qe
            pck, root = dict(STATE.pckcrl), STATE.rootcrl
        if route == "tcb":
            if q.get("update", "standard") not in ("standard", "early"):
                return 400, "text/plain", b"bad update parameter\n", None
            entry = tcb.get(q.get("fmspc", "").upper())
            if not entry:
                return 404, "text/plain", b"no TCB info for this fmspc\n", None
            text, sig, chain = entry
            sig = damage_hex(sig) if badsig else sig
            body = '{"tcbInfo":' + text + ',"signature":"' + sig + '"}'
            return (200, "application/json", body.encode(),
                    chain_header("TCB-Info-Issuer-Chain", chain))
        if route == "qe":
            if not qe:
                return 404, "text/plain", b"no QE identity loaded\n", None
            text, sig, chain = qe
            sig = damage_hex(sig) if badsig else sig
            body = '{"enclaveIdentity":' + text + ',"signature":"' + sig + '"}'
            return (200, "application/json", body.encode(),
                    chain_header("SGX-Enclave-Identity-Issuer-Chain", chain))
        if route == "pckcrl":
            ca = q.get("ca", "").lower()
            if ca not in ("platform", "processor"):
                return 400, "text/plain", b"bad ca parameter\n", None
            if ca not in pck:
                return 404, "text/plain", b"no CRL for this CA\n", None
            der, chain = pck[ca]
            der = damage_der(der) if badsig else der
            hdr = chain_header("SGX-PCK-CRL-Issuer-Chain", chain)
            if q.get("encoding", "").lower() == "der":
                return 200, "application/pkix-crl", der, hdr
            return 200, "application/x-pem-file", crl_pem(der), hdr
        if route in ("rootcacrl", "rootcrl_der"):
            if root is None:
                return 404, "text/plain", b"no root CA CRL loaded\n", None
            der = damage_der(root) if badsig else root
            if route == "rootcacrl":
                return 200, "text/plain", der.hex().encode(), None
            return 200, "application/pkix-crl", der, None
        return 404, "text/plain", b"not found\n", None

    def serve(self, route, q, mode, arg):
        if mode in ("404", "500", "503"):
            return self.reply(int(mode), ("injected %s\n" % mode).encode())
        if mode == "429":
            return self.reply(429, b"injected 429\n", headers=[("Retry-After", arg or "1")])
        if mode == "redirect":
            loc = "http://127.0.0.1:%d%s" % (self.server.server_address[1], self.path)
            return self.reply(302, b"redirect\n", headers=[("Location", loc)])
        if mode == "huge":
            return self.send_huge(int(arg) if arg else 8 << 20)
        if mode == "slow":
            time.sleep(float(arg) if arg else 5.0)
        status, ctype, body, chain = self.normal(route, q, mode == "badsig")
        headers = [chain] if chain and mode != "nochain" else []
        if mode == "garbage":
            return self.reply(200, GARBAGE, ctype, headers)
        if mode == "short":
            return self.reply(status, body[:len(body) // 2], ctype, headers)
        if mode == "truncated":
            return self.reply(status, body[:len(body) // 2], ctype, headers, length=len(body))
        return self.reply(status, body, ctype, headers)

    def send_huge(self, size):
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(size))
        self.send_header("Connection", "close")
        self.end_headers()
        chunk = b"A" * 65536
        while size > 0:
            self.wfile.write(chunk[:size])
            size -= len(chunk)
        self.wfile.flush()


def main():
    ap = argparse.ArgumentParser(description="Intel PCS v4 / PCCS stand-in")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--bundle", action="append", default=[])
    ap.add_argument("--log", action="store_true")
    args = ap.parse_args()
    Handler.log = args.log
    for path in args.bundle:
        try:
            STATE.load(path)
        except Exception as e:
            sys.exit("pcs_standin: cannot load %s: %r" % (path, e))

    standin_common.run(args.port, Handler)


if __name__ == "__main__":
    main()
