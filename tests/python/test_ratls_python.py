#!/usr/bin/env python3
"""The Python package (python/ratls) against the simulated dstack TEE server.

Run by ctest (tests/CMakeLists.txt) with RATLS_LIBRARY, RATLS_CLI and
PYTHONPATH set; by hand:
  RATLS_LIBRARY=build/libratls.so RATLS_CLI=build/tools/ratls/ratls \
  PYTHONPATH=python /usr/bin/python3 tests/python/test_ratls_python.py
"""

import asyncio
import importlib.util
import json
import logging
import os
import re
import shutil
import ssl
import subprocess
import sys
import tempfile
import unittest
import urllib.request

# test_python_current runs this file again on httpx 0.28 / httpcore 1.x from
# Debian 13 (scripts/py-current.sh); RATLS_EXPECT_HTTPCORE_MAJOR says which.
_want_major = os.environ.get("RATLS_EXPECT_HTTPCORE_MAJOR")
_current = os.environ.get("RATLS_PY_CURRENT")
if _current is not None and not os.path.isdir(os.path.join(_current, "httpcore")):
    print("SKIP: %s is missing; run scripts/py-current.sh (scripts/deps.sh does)" % _current)
    sys.exit(77)

import httpcore  # noqa: E402
import httpx as real_httpx  # noqa: E402

import ratls  # noqa: E402
from ratls import RATLSVerificationError, find_verification_error, httpx
from ratls.verifiers import DstackTDXVerifier

CLI = os.environ.get("RATLS_CLI", "ratls")
if not os.environ.get("DEBUG_RATLS"):  # the INSECURE test root warning, once per verifier, is expected here
    logging.getLogger("ratls").setLevel(logging.ERROR)
TMP = tempfile.mkdtemp(prefix="ratls-py-")
SIMS = {}


class Sim:
    """`ratls sim` on a free port; stops when its stdin closes."""

    def __init__(self, name, *args):
        self.dir = os.path.join(TMP, name)
        self.proc = subprocess.Popen(
            [CLI, "sim", "--port", "0", "--state-dir", self.dir, "--exit-on-stdin-eof", *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        line = self.proc.stdout.readline()
        m = re.search(r"listening on https://127\.0\.0\.1:(\d+)", line)
        if not m:
            raise RuntimeError("ratls sim %s did not start: %r" % (name, line))
        self.port = int(m.group(1))
        self.url = "https://127.0.0.1:%d" % self.port
        self.policy_file = os.path.join(self.dir, "policy.json")
        self.root = os.path.join(self.dir, "root.pem")

    def plain(self, path, method="GET"):
        """A request outside ratls (no verification): the sim's control routes."""
        ctx = ssl._create_unverified_context()
        req = urllib.request.Request(self.url + path, method=method, data=b"" if method == "POST" else None)
        with urllib.request.urlopen(req, context=ctx, timeout=15) as r:
            return json.loads(r.read() or b"null")

    def stats(self):
        return self.plain("/__sim/stats")

    def verifier(self, **kw):
        opts = dict(
            policy_file=self.policy_file,
            insecure_test_root=self.root,
            pccs_url=self.url,
            pccs_tls_verify=False,
            cache_collateral=False,
        )
        opts.update(kw)
        return DstackTDXVerifier(**opts)

    def stop(self):
        self.proc.stdin.close()
        self.proc.stdout.close()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def sim(name, *args):
    if name not in SIMS:
        SIMS[name] = Sim(name, *args)
    return SIMS[name]


def tearDownModule():
    for s in SIMS.values():
        s.stop()
    shutil.rmtree(TMP, ignore_errors=True)


class Honest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sim = sim("good")
        cls.v = cls.sim.verifier()

    def client(self, **kw):
        return httpx.Client(ratls_verifier_per_hostname={"127.0.0.1": self.v}, **kw)

    def test_sync_pass(self):
        before = self.sim.stats()
        with self.client() as c:
            r = c.get(self.sim.url + "/v1/models")
            self.assertEqual(r.status_code, 200)
            chat = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
            r = c.post(self.sim.url + "/v1/chat/completions", json=chat)
            self.assertEqual(r.status_code, 200)
            self.assertIn("hi", r.text)
        after = self.sim.stats()
        self.assertEqual(after["quote_requests"] - before["quote_requests"], 1)
        self.assertEqual(after["app_requests"] - before["app_requests"], 2)

    def test_async_pass(self):
        async def go():
            async with httpx.AsyncClient(ratls_verifier_per_hostname={"127.0.0.1": self.v}) as c:
                r1 = await c.get(self.sim.url + "/v1/models")
                r2 = await c.get(self.sim.url + "/v1/models")
                return r1.status_code, r2.status_code

        before = self.sim.stats()
        self.assertEqual(asyncio.run(go()), (200, 200))
        self.assertEqual(self.sim.stats()["quote_requests"] - before["quote_requests"], 1)

    def test_pooled_reuse(self):
        with self.client() as c:
            c.get(self.sim.url + "/v1/models")  # collateral now in the verifier's memory cache
        before = self.sim.stats()
        with self.client() as c:
            c.get(self.sim.url + "/v1/models")
            c.get(self.sim.url + "/v1/models")
        after = self.sim.stats()
        self.assertEqual(after["quote_requests"] - before["quote_requests"], 1)
        self.assertEqual(after["app_requests"] - before["app_requests"], 2)
        # one client connection plus the second stats request's own
        self.assertEqual(after["connections"] - before["connections"], 2)

    def test_rotation(self):
        s = sim("rotation")
        v = s.verifier()
        with httpx.Client(ratls_verifier_per_hostname={"127.0.0.1": v}) as c:
            self.assertEqual(c.get(s.url + "/v1/models").status_code, 200)
        first = s.stats()
        s.plain("/__sim/rotate", "POST")
        with httpx.Client(ratls_verifier_per_hostname={"127.0.0.1": v}) as c:
            self.assertEqual(c.get(s.url + "/v1/models").status_code, 200)
        second = s.stats()
        self.assertNotEqual(first["tls_cert_sha256"], second["tls_cert_sha256"])
        self.assertEqual(second["quote_requests"] - first["quote_requests"], 1)

    def test_host_outside_map(self):
        other = "https://localhost:%d/v1/models" % self.sim.port
        before = self.sim.stats()
        with self.client() as c:  # web PKI: the sim's self-signed certificate fails
            with self.assertRaises(real_httpx.ConnectError) as cm:
                c.get(other)
            self.assertIsNone(find_verification_error(cm.exception))
        ctx = ssl.create_default_context(cafile=os.path.join(self.sim.dir, "cert.pem"))
        with self.client(verify=ctx) as c:
            self.assertEqual(c.get(other).status_code, 200)
        self.assertEqual(self.sim.stats()["quote_requests"], before["quote_requests"])

    def test_plain_http_to_mapped_host_refused(self):
        with self.client() as c:
            with self.assertRaises(real_httpx.ConnectError) as cm:
                c.get("http://127.0.0.1:%d/v1/models" % self.sim.port)
        self.assertIsNotNone(find_verification_error(cm.exception))

    def test_option_mapping(self):
        with open(self.sim.policy_file) as f:
            p = json.load(f)
        v = self.sim.verifier(
            policy_file=None,
            app_compose=p["app_compose"],
            expected_bootchain=p["bootchain"],
            os_image_hash=p["os_image_hash"],
            allowed_tcb_status=["UpToDate", "SWHardeningNeeded"],
            key_provider=p.get("key_provider"),
        )
        self.assertEqual(v.policy_dict["tcb"]["allowed_statuses"], ["UpToDate", "SWHardeningNeeded"])
        with httpx.Client(ratls_verifier_per_hostname={"127.0.0.1": v}) as c:
            self.assertEqual(c.get(self.sim.url + "/v1/models").status_code, 200)
        # the seed's overrides on a base app compose
        base = dict(p["app_compose"], docker_compose_file="services: {}\n", allowed_envs=["OTHER"])
        v = self.sim.verifier(
            app_compose=base,
            app_compose_docker_compose_file=p["app_compose"]["docker_compose_file"],
            app_compose_allowed_envs=p["app_compose"].get("allowed_envs", []),
        )
        with httpx.Client(ratls_verifier_per_hostname={"127.0.0.1": v}) as c:
            self.assertEqual(c.get(self.sim.url + "/v1/models").status_code, 200)
        with self.assertRaisesRegex(ValueError, "base"):
            DstackTDXVerifier(app_compose_docker_compose_file="services: {}\n")

    def test_wrong_os_image_and_error_fields(self):
        v = self.sim.verifier(os_image_hash="00" * 32)  # policy_file + an option overriding it
        before = self.sim.stats()
        with httpx.Client(ratls_verifier_per_hostname={"127.0.0.1": v}) as c:
            with self.assertRaises(real_httpx.ConnectError) as cm:
                c.get(self.sim.url + "/v1/models")
        err = find_verification_error(cm.exception)
        self.assertIsInstance(err, RATLSVerificationError)
        self.assertEqual((err.failed_check, err.status), ("os_image", "os_image"))
        self.assertIs(err.result["verified"], False)
        self.assertEqual(err.result["status"], "os_image")
        self.assertTrue(err.reason)
        self.assertEqual(err.host, "127.0.0.1")
        self.assertIn("os_image", str(err))
        self.assertEqual(self.sim.stats()["app_requests"], before["app_requests"])

    def test_disable_runtime_verification(self):
        v = self.sim.verifier(policy_file=None, disable_runtime_verification=True, os_image_hash="00" * 32)
        self.assertTrue(v.policy_dict["insecure"]["skip_runtime_verification"])
        with httpx.Client(ratls_verifier_per_hostname={"127.0.0.1": v}) as c:
            self.assertEqual(c.get(self.sim.url + "/v1/models").status_code, 200)

    def test_caller_collateral_and_disk_cache(self):
        with open(os.path.join(self.sim.dir, "collateral.json")) as f:
            coll = json.load(f)
        before = self.sim.stats()
        v = self.sim.verifier(collateral=coll, pccs_url="https://127.0.0.1:1")  # no PCCS reachable
        with httpx.Client(ratls_verifier_per_hostname={"127.0.0.1": v}) as c:
            self.assertEqual(c.get(self.sim.url + "/v1/models").status_code, 200)
        self.assertEqual(self.sim.stats()["collateral_requests"], before["collateral_requests"])
        cache = os.path.join(TMP, "xdg")
        old = os.environ.get("XDG_CACHE_HOME")
        os.environ["XDG_CACHE_HOME"] = cache
        try:
            v = self.sim.verifier(cache_collateral=True)
        finally:
            os.environ.pop("XDG_CACHE_HOME") if old is None else os.environ.__setitem__("XDG_CACHE_HOME", old)
        with httpx.Client(ratls_verifier_per_hostname={"127.0.0.1": v}) as c:
            self.assertEqual(c.get(self.sim.url + "/v1/models").status_code, 200)
        self.assertTrue(os.listdir(os.path.join(cache, "ratls")))

    def test_openai_import_error(self):
        if importlib.util.find_spec("openai") is not None:
            self.skipTest("openai is installed")
        with self.assertRaisesRegex(ImportError, "install the `openai` package"):
            ratls.OpenAI(base_url=self.sim.url + "/v1", ratls_verifier_per_hostname={"127.0.0.1": self.v})
        with self.assertRaisesRegex(ImportError, "openai"):
            ratls.AsyncOpenAI(ratls_verifier_per_hostname={"127.0.0.1": self.v})


# mode -> (failed check, status, expected httpx exception)
MISBEHAVIOURS = {
    "wrong-compose": ("app_compose", "compose_hash"),
    "stale-quote": ("nonce", "nonce_mismatch"),
    "cert-not-in-log": ("cert.binding", "cert_binding"),
    "debug-td": ("td.attributes", "td_debug"),
    "out-of-date": ("tdx.tcb", "tcb_status_rejected"),
    "slow": ("attestation.request", "timeout"),
    "oversized": ("attestation.request", "too_large"),
}


class Misbehaving(unittest.TestCase):
    def check(self, mode, use_async=False):
        check_id, status = MISBEHAVIOURS[mode]
        s = sim(mode, "--misbehave", mode, *(["--delay-ms", "4000"] if mode == "slow" else []))
        v = s.verifier()
        kw = dict(ratls_verifier_per_hostname={"127.0.0.1": v}, timeout=1.0 if mode == "slow" else 10.0)
        want = real_httpx.ConnectTimeout if mode == "slow" else real_httpx.ConnectError
        if use_async:

            async def go():
                async with httpx.AsyncClient(**kw) as c:
                    await c.get(s.url + "/v1/models")

            with self.assertRaises(want) as cm:
                asyncio.run(go())
        else:
            with httpx.Client(**kw) as c:
                with self.assertRaises(want) as cm:
                    c.get(s.url + "/v1/models")
        err = find_verification_error(cm.exception)
        self.assertIsNotNone(err, "no RATLSVerificationError behind %r" % cm.exception)
        self.assertEqual((err.failed_check, err.status), (check_id, status), str(err))
        self.assertEqual(s.stats()["app_requests"], 0, "application requests reached the server")

    def test_wrong_compose(self):
        self.check("wrong-compose")

    def test_wrong_compose_async(self):
        self.check("wrong-compose", use_async=True)

    def test_stale_quote(self):
        self.check("stale-quote")

    def test_cert_not_in_log(self):
        self.check("cert-not-in-log")

    def test_debug_td(self):
        self.check("debug-td")

    def test_out_of_date(self):
        self.check("out-of-date")

    def test_slow(self):
        self.check("slow")

    def test_oversized(self):
        self.check("oversized")


class Install(unittest.TestCase):
    def test_pip_install_no_index(self):
        """pip install --no-index --no-build-isolation, then libratls found inside the package."""
        if subprocess.run([sys.executable, "-m", "pip", "--version"], capture_output=True).returncode != 0:
            self.skipTest("no pip for %s (apt install python3-pip python3-setuptools)" % sys.executable)
        src = os.path.join(TMP, "src")  # a copy: the build writes next to its sources
        skip = shutil.ignore_patterns("__pycache__", "build", "*.egg-info", "*.so*")
        shutil.copytree(os.path.join(os.path.dirname(ratls.__file__), ".."), src, ignore=skip)
        target = os.path.join(TMP, "site")
        pip = [sys.executable, "-m", "pip", "install", "-q", "--no-index", "--no-build-isolation"]
        r = subprocess.run(pip + ["--target", target, src], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        shutil.copy(os.environ["RATLS_LIBRARY"], os.path.join(target, "ratls", "libratls.so"))
        env = dict(os.environ, PYTHONPATH=target)
        env.pop("RATLS_LIBRARY")
        code = "import ratls, ratls._lib as l, ratls.httpx; print(ratls.__file__); print(l.lib._name)"
        r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        pkg = os.path.join(target, "ratls")
        self.assertEqual(r.stdout.split(), [os.path.join(pkg, "__init__.py"), os.path.join(pkg, "libratls.so")])


class Unit(unittest.TestCase):
    def test_canonical_host(self):
        self.assertEqual(httpx.canonical_host("Example.COM."), "example.com")
        self.assertEqual(httpx.canonical_host("[::1]"), httpx.canonical_host("0:0::1"))

    def test_response_reader(self):
        from ratls._exchange import ResponseReader

        r = ResponseReader("h")
        self.assertFalse(r.feed(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n"))
        self.assertTrue(r.feed(b"0\r\n\r\n"))
        self.assertEqual(r.body, b"abc")
        with self.assertRaises(RATLSVerificationError) as cm:
            ResponseReader("h").feed(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nab")
        self.assertIn("unrequested", cm.exception.reason)
        with self.assertRaises(RATLSVerificationError) as cm:
            ResponseReader("h").feed(b"HTTP/1.1 200 OK\r\nContent-Length: 99999999\r\n\r\n")
        self.assertEqual(cm.exception.status, "too_large")

    def test_unhookable_transport_refused(self):
        mock = real_httpx.MockTransport(lambda request: real_httpx.Response(200))
        with self.assertRaisesRegex(TypeError, "cannot attest"):
            httpx.Client(ratls_verifier_per_hostname={"127.0.0.1": None}, transport=mock)

    def test_bad_policy_file(self):
        path = os.path.join(TMP, "bad-policy.json")
        with open(path, "w") as f:
            json.dump({"version": 1, "no_such_key": 1}, f)
        with self.assertRaisesRegex(ValueError, "policy"):
            DstackTDXVerifier(policy_file=path)


if __name__ == "__main__":
    print("httpx %s, httpcore %s (%s)" % (real_httpx.__version__, httpcore.__version__, os.path.dirname(httpcore.__file__)))
    if _want_major is not None and not httpcore.__version__.startswith(_want_major + "."):
        sys.exit("expected httpcore %s.x, found %s" % (_want_major, httpcore.__version__))
    unittest.main(verbosity=2)
