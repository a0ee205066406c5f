"""ratls: prove an HTTPS server runs in an Intel TDX TEE (dstack) before sending it a byte.

    from ratls import httpx, OpenAI
    from ratls.verifiers import DstackTDXVerifier

A pure-Python layer over libratls (ctypes): set RATLS_LIBRARY to libratls.so,
or put the library in this package's directory or on the system path.
DEBUG_RATLS=true turns on debug logging (logger "ratls").
"""

import logging
import os

__version__ = "0.1.0"

_log = logging.getLogger("ratls")
if os.environ.get("DEBUG_RATLS", "").lower() in ("1", "true", "yes", "on"):
    _log.setLevel(logging.DEBUG)
    if not _log.handlers:
        _h = logging.StreamHandler()
        _h.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        _log.addHandler(_h)

from .errors import RATLSVerificationError, find_verification_error  # noqa: E402
from ._openai import AsyncOpenAI, OpenAI  # noqa: E402


def __getattr__(name):
    # `from ratls import httpx` / `ratls.verifiers`: imported on first use, so that
    # the verifier works without httpx installed.
    if name in ("httpx", "verifiers"):
        import importlib

        return importlib.import_module("." + name, __name__)
    raise AttributeError("module 'ratls' has no attribute %r" % name)


__all__ = ["OpenAI", "AsyncOpenAI", "RATLSVerificationError", "find_verification_error", "httpx", "verifiers"]
