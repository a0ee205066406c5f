#!/usr/bin/python3
"""Loopback stand-in for AMD KDS, used by ratls tests.

Serves files at KDS paths, counts requests, and injects faults.  Standard
library only; runs under /usr/bin/python3.

Usage: kds_standin.py [--port N] [--dir DIR] [--map PATH=FILE[:der] ...] [--log]
  Binds 127.0.0.1:N (N=0, the default, picks a free port), prints
  "PORT <n>\\n" on stdout, and serves until stdin reaches EOF or it gets
  SIGTERM/SIGINT.  --log writes one line per request on stderr.  In --map
  the file is what follows the last '=' (a KDS query holds '=' itself).

What is served for GET PATH[?QUERY] (the query exactly as sent):
  1. a mapping of "PATH?QUERY" (or "PATH" when there is no query), set with
     --map or /__map; ":der" (der=1) turns a PEM file into the DER of its
     first block, as KDS serves VCEKs and CRLs;
  2. else DIR/PATH, or DIR/PATH?QUERY with a query (file names may hold '?');
  3. else 404.
KDS paths and route names (for /__stats and /__fault):
  /{vcek|vlek}/v1/{Milan|Genoa|Turin}/cert_chain                 [chain]
  /{vcek|vlek}/v1/{P}/crl                                        [crl]
  /vcek/v1/{P}/{hwid}?[fmcSPL=&]blSPL=&teeSPL=&snpSPL=&ucodeSPL=  [vcek]
  anything else                                                  [other]

Control API (not counted):
  GET /__stats   JSON {route: n, "PATH?QUERY": n, "total": n}
  GET /__reset   clear counters and faults (mappings stay)
  GET /__map?path=P&file=F[&der=1]   map P (URL-encoded, query included) to
      file F; an empty file= removes the mapping
  GET /__fault?route=R&mode=M[&count=N][&arg=A]
      R: a route name or "all"; N: requests affected (default 1, 0 = until
      reset).  Faults are queued FIFO per route; a request consumes at most
      one, taken from its own route's queue first, then from "all".
      M: 404 | 500 | 503 | 429 (Retry-After: A, default 1; A "none" sends no
      Retry-After) | slow (sleep A s, default 1, then serve) | garbage |
      truncated (half the body, full Content-Length) | file (serve file A
      instead: wrong content) | derfile (the same, PEM turned into DER)
"""
import argparse
import base64
import os
import re
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
import standin_common  # noqa: E402
from standin_common import GARBAGE  # noqa: E402

ROUTES = ("chain", "crl", "vcek", "other")
MODES = ("404", "500", "503", "429", "slow", "garbage", "truncated", "file", "derfile")
PRODUCT = r"(Milan|Genoa|Turin)"
ROUTE_RE = (
    ("chain", re.compile(r"^/(vcek|vlek)/v1/" + PRODUCT + r"/cert_chain$")),
    ("crl", re.compile(r"^/(vcek|vlek)/v1/" + PRODUCT + r"/crl$")),
    ("vcek", re.compile(r"^/vcek/v1/" + PRODUCT + r"/[0-9a-f]+$")),
)


def pem_to_der(data):
    """The DER of the first PEM block of data (data unchanged if not PEM)."""
    m = re.search(rb"-----BEGIN [^-]+-----(.*?)-----END [^-]+-----", data, re.S)
    return base64.b64decode(b"".join(m.group(1).split())) if m else data


def read_file(path, der):
    with open(path, "rb") as f:
        data = f.read()
    return pem_to_der(data) if der else data


class State(standin_common.State):
    """Mappings, request counters and fault queues (one lock)."""

    def __init__(self):
        self.maps = {}  # "PATH?QUERY" -> (file, der)
        self.dir = None
        super().__init__(ROUTES)

    def reset(self):
        super().reset()
        self.stats["total"] = 0

    def lookup(self, key, path, query):
        with self.lock:
            m = self.maps.get(key)
            base = self.dir
        if m:
            return read_file(m[0], m[1])
        if base:
            rel = path.lstrip("/") + ("?" + query if query else "")
            full = os.path.normpath(os.path.join(base, rel))
            if full.startswith(os.path.normpath(base) + os.sep) and os.path.isfile(full):
                return read_file(full, False)
        return None


STATE = State()


def route_of(path):
    for name, rx in ROUTE_RE:
        if rx.match(path):
            return name
    return "other"


class Handler(standin_common.Handler, name="kds_standin", state=STATE, modes=MODES):

    def serve_url(self, url):
        key = url.path + ("?" + url.query if url.query else "")
        route = route_of(url.path)
        STATE.count(route, key, "total")
        mode, arg = STATE.take_fault(route)
        self.serve(route, key, url.path, url.query, mode, arg)

    def check_fault_arg(self, mode, arg):
        if mode in ("file", "derfile") and not (arg and os.path.isfile(arg)):
            raise ValueError("file mode needs arg=an existing file")
        if mode == "slow" and arg is not None:
            float(arg)

    def ctl_map(self, q):
        p, f = q.get("path", ""), q.get("file", "")
        if not p.startswith("/"):
            return self.reply(400, b"bad path\n")
        with STATE.lock:
            if f:
                STATE.maps[p] = (f, q.get("der") == "1")
            else:
                STATE.maps.pop(p, None)
        return self.reply(200, b"ok")

    def serve(self, route, key, path, query, mode, arg):
        if mode in ("404", "500", "503"):
            return self.reply(int(mode), ("injected %s\n" % mode).encode())
        if mode == "429":
            hdr = [] if arg == "none" else [("Retry-After", arg or "1")]
            return self.reply(429, b"injected 429\n", headers=hdr)
        if mode == "slow":
            time.sleep(float(arg) if arg else 1.0)
        if mode in ("file", "derfile"):
            body = read_file(arg, mode == "derfile")
        else:
            body = STATE.lookup(key, path, query)
        if body is None:
            return self.reply(404, b"not found\n")
        ctype = "application/x-pem-file" if route == "chain" else "application/octet-stream"
        if mode == "garbage":
            return self.reply(200, GARBAGE, ctype)
        if mode == "truncated":
            return self.reply(200, body[:len(body) // 2], ctype, length=len(body))
        return self.reply(200, body, ctype)


def main():
    ap = argparse.ArgumentParser(description="AMD KDS stand-in")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--dir")
    ap.add_argument("--map", action="append", default=[])
    ap.add_argument("--log", action="store_true")
    args = ap.parse_args()
    Handler.log = args.log
    STATE.dir = args.dir
    for m in args.map:
        p, _, f = m.rpartition("=")  # the query holds '=' too; file names here do not
        der = f.endswith(":der")
        f = f[:-4] if der else f
        if not p.startswith("/") or not os.path.isfile(f):
            sys.exit("kds_standin: bad --map %s" % m)
        STATE.maps[p] = (f, der)

    standin_common.run(args.port, Handler)


if __name__ == "__main__":
    main()
