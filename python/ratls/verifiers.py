"""Verifiers: one object owns one libratls verifier, policy and collateral source,
shared by every connection it attests (the C objects are thread-safe)."""

import ctypes
import json
import logging
import os
import threading
import time

from . import _lib
from ._lib import lib
from .errors import RATLSVerificationError

log = logging.getLogger("ratls")

_C_LEVELS = {0: logging.DEBUG, 1: logging.INFO, 2: logging.WARNING}


@_lib.LOG_FN
def _c_log(_arg, level, msg):
    log.log(_C_LEVELS.get(level, logging.DEBUG), "libratls: %s", msg.decode("utf-8", "replace"))


def _read(path):
    with open(path, "rb") as f:
        return f.read()


def _default_cache_dir():
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and os.path.isabs(xdg):
        return os.path.join(xdg, "ratls")
    return os.path.join(os.path.expanduser("~"), ".cache", "ratls")


def _check(status, what, err=None):
    if status != 0:
        detail = err.value.decode("utf-8", "replace") if err is not None and err.value else _lib.status_str(status)
        raise ValueError("ratls: %s: %s (%s)" % (what, detail, _lib.status_name(status)))


class DstackTDXVerifier:
    """Attest a dstack TD (Intel TDX) under a policy built from the seed's options.

    The options map onto a policy file (docs/policy.md), which libratls loads
    with ratls_policy_from_json: `policy_file` is the base, the keyword
    options override its keys. Insecure switches are named as such.
    """

    def __init__(
        self,
        disable_runtime_verification=False,
        app_compose=None,
        app_compose_docker_compose_file=None,
        app_compose_allowed_envs=None,
        expected_bootchain=None,
        os_image_hash=None,
        allowed_tcb_status=None,
        cache_collateral=True,
        collateral=None,
        policy_file=None,
        insecure_test_root=None,
        pccs_url=None,
        pccs_tls_verify=True,
        key_provider=None,
    ):
        self.policy_dict = self._policy_dict(
            policy_file,
            disable_runtime_verification,
            app_compose,
            app_compose_docker_compose_file,
            app_compose_allowed_envs,
            expected_bootchain,
            os_image_hash,
            allowed_tcb_status,
            key_provider,
        )
        self._lock = threading.Lock()
        self._verifier = self._policy = self._source = self._collateral = None
        try:
            self._build(insecure_test_root, pccs_url, pccs_tls_verify, cache_collateral, collateral)
        except BaseException:
            self.close()
            raise

    @staticmethod
    def _policy_dict(policy_file, skip_runtime, app_compose, dcf, envs, bootchain, os_image, tcb, key_provider):
        pol = json.loads(_read(policy_file)) if policy_file else {"version": 1}
        if not isinstance(pol, dict):
            raise ValueError("ratls: policy file %s is not a JSON object" % policy_file)
        if skip_runtime:
            pol.setdefault("insecure", {})["skip_runtime_verification"] = True
        if app_compose is not None:
            pol["app_compose"] = json.loads(app_compose) if isinstance(app_compose, (str, bytes)) else app_compose
            pol.pop("app_compose_hash", None)
        overrides = {}
        if dcf is not None:
            overrides["docker_compose_file"] = dcf
        if envs is not None:
            overrides["allowed_envs"] = list(envs)
        if overrides:
            if "app_compose" not in pol:
                # The seed falls back to its built-in default app compose; it is not
                # shipped here, because a guessed base would silently verify the wrong thing.
                raise ValueError(
                    "ratls: app_compose_docker_compose_file / app_compose_allowed_envs override fields of a "
                    "base app compose: pass the base as app_compose=... (or in policy_file); "
                    "no default app compose is built in"
                )
            pol["app_compose_overrides"] = overrides
        if bootchain is not None:
            pol["bootchain"] = dict(bootchain)
        if os_image is not None:
            pol["os_image_hash"] = os_image
        if tcb is not None:
            pol.setdefault("tcb", {})["allowed_statuses"] = list(tcb)
        if key_provider is not None:
            pol["key_provider"] = dict(key_provider)
        return pol

    def _build(self, root_path, pccs_url, pccs_tls_verify, cache_collateral, collateral):
        err = ctypes.create_string_buffer(512)
        debug = log.isEnabledFor(logging.DEBUG)
        # policy (one source of truth: the policy-file format)
        text = json.dumps(self.policy_dict).encode()
        out = ctypes.c_void_p()
        _check(lib.ratls_policy_from_json(*_lib.buf(text), ctypes.byref(out), err, len(err)), "policy", err)
        self._policy = out.value
        # verifier
        self._verifier = lib.ratls_verifier_new()
        if not self._verifier:
            raise MemoryError("ratls_verifier_new")
        if debug:
            lib.ratls_verifier_set_log(self._verifier, _c_log, None)
        if root_path:
            log.warning("ratls: INSECURE test root %s: the evidence proves nothing about real hardware", root_path)
            _check(lib.ratls_verifier_set_tdx_root_insecure(self._verifier, *_lib.buf(_read(root_path))), "test root")
        # collateral source: memory cache always, disk cache when cache_collateral
        self._source = lib.ratls_collateral_source_new()
        if not self._source:
            raise MemoryError("ratls_collateral_source_new")
        if pccs_url:
            _check(lib.ratls_collateral_source_set_pccs_url(self._source, pccs_url.encode()), "pccs_url " + pccs_url)
        lib.ratls_collateral_source_set_tls_verify(self._source, 1 if pccs_tls_verify else 0)
        if cache_collateral:
            d = _default_cache_dir()
            _check(lib.ratls_collateral_source_set_cache_dir(self._source, d.encode()), "cache dir " + d)
        if debug:
            lib.ratls_collateral_source_set_log(self._source, _c_log, None)
        lib.ratls_verifier_set_collateral_source(self._verifier, self._source)
        # caller-supplied collateral (QuoteCollateralV3): still verified in full by libratls
        if collateral is not None:
            if isinstance(collateral, dict):
                collateral = json.dumps(collateral)
            if isinstance(collateral, str):
                collateral = collateral.encode()
            out = ctypes.c_void_p()
            st = lib.ratls_collateral_from_json(*_lib.buf(collateral), ctypes.byref(out), err, len(err))
            _check(st, "collateral", err)
            self._collateral = out.value

    def verify(self, response, tls_cert_der, nonce, host=None, now=None):
        """Verify a /tdx_quote response body for the connection that presented
        `tls_cert_der` and was challenged with `nonce`. Returns the parsed
        result object; raises RATLSVerificationError when not verified."""
        if self._verifier is None:
            raise RuntimeError("ratls: verifier is closed")
        err = ctypes.create_string_buffer(512)
        ev = lib.ratls_evidence_new()
        if not ev:
            raise MemoryError("ratls_evidence_new")
        res = ctypes.c_void_p()
        try:
            st = lib.ratls_evidence_set_dstack_response(ev, *_lib.buf(response), err, len(err))
            if st != 0:
                raise RATLSVerificationError(
                    "the /tdx_quote response: %s" % (err.value.decode("utf-8", "replace") or _lib.status_str(st)),
                    status="attestation_response",
                    failed_check="attestation.request",  # as ratls_connect names it
                    host=host,
                )
            for st in (
                lib.ratls_evidence_set_tls_cert(ev, *_lib.buf(tls_cert_der)),
                lib.ratls_evidence_set_nonce(ev, *_lib.buf(nonce)),
            ):
                if st != 0:
                    raise RATLSVerificationError(
                        "cannot bind the evidence to the connection: " + _lib.status_str(st),
                        status=_lib.status_name(st),
                        host=host,
                    )
            now = int(time.time()) if now is None else int(now)
            st = lib.ratls_verify(self._verifier, ev, self._collateral, self._policy, now, ctypes.byref(res))
            if not res.value:
                raise RATLSVerificationError(_lib.status_str(st), status=_lib.status_name(st), host=host)
            js = ctypes.c_void_p()
            if lib.ratls_result_to_json(res.value, ctypes.byref(js)) != 0:
                raise MemoryError("ratls_result_to_json")
            result = json.loads(_lib.take_string(js.value))
        finally:
            lib.ratls_result_free(res.value)
            lib.ratls_evidence_free(ev)
        if st != 0 or not result.get("verified"):
            raise RATLSVerificationError.from_result(result, host=host)
        log.debug("ratls: %s verified (tcb %s)", host, result.get("tcb_status"))
        return result

    def close(self):
        """Free the C objects (also done when the object is collected)."""
        with getattr(self, "_lock", threading.Lock()):
            lib.ratls_collateral_free(getattr(self, "_collateral", None))
            lib.ratls_verifier_free(getattr(self, "_verifier", None))
            lib.ratls_collateral_source_free(getattr(self, "_source", None))
            lib.ratls_policy_free(getattr(self, "_policy", None))
            self._verifier = self._policy = self._source = self._collateral = None

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass
