"""ctypes bindings to the subset of libratls (include/ratls/ratls.h) the package uses.

Every function used has its argtypes/restype declared: handles are c_void_p so
that 64-bit pointers are never truncated to int.
"""

import ctypes
import ctypes.util
import os

_HERE = os.path.dirname(os.path.abspath(__file__))

c_void_p, c_char_p, c_size_t, c_int, c_int64 = (
    ctypes.c_void_p,
    ctypes.c_char_p,
    ctypes.c_size_t,
    ctypes.c_int,
    ctypes.c_int64,
)
c_uint8_p = ctypes.POINTER(ctypes.c_uint8)

# void (*ratls_log_fn)(void *arg, ratls_log_level level, const char *msg)
LOG_FN = ctypes.CFUNCTYPE(None, c_void_p, c_int, c_char_p)

_SIGNATURES = {
    "ratls_version": (c_char_p, []),
    "ratls_status_name": (c_char_p, [c_int]),
    "ratls_status_str": (c_char_p, [c_int]),
    # c_void_p, not c_char_p, so that the pointer can be handed back to ratls_free_string
    "ratls_free_string": (None, [c_void_p]),
    "ratls_verifier_new": (c_void_p, []),
    "ratls_verifier_free": (None, [c_void_p]),
    "ratls_verifier_set_log": (None, [c_void_p, LOG_FN, c_void_p]),
    "ratls_verifier_set_tdx_root_insecure": (c_int, [c_void_p, c_uint8_p, c_size_t]),
    "ratls_verifier_set_collateral_source": (None, [c_void_p, c_void_p]),
    "ratls_collateral_source_new": (c_void_p, []),
    "ratls_collateral_source_free": (None, [c_void_p]),
    "ratls_collateral_source_set_pccs_url": (c_int, [c_void_p, c_char_p]),
    "ratls_collateral_source_set_pcs_url": (c_int, [c_void_p, c_char_p]),
    "ratls_collateral_source_set_cache_dir": (c_int, [c_void_p, c_char_p]),
    "ratls_collateral_source_set_tls_verify": (None, [c_void_p, c_int]),
    "ratls_collateral_source_set_log": (None, [c_void_p, LOG_FN, c_void_p]),
    "ratls_collateral_from_json": (c_int, [c_uint8_p, c_size_t, ctypes.POINTER(c_void_p), c_char_p, c_size_t]),
    "ratls_collateral_free": (None, [c_void_p]),
    "ratls_policy_from_json": (c_int, [c_uint8_p, c_size_t, ctypes.POINTER(c_void_p), c_char_p, c_size_t]),
    "ratls_policy_free": (None, [c_void_p]),
    "ratls_evidence_new": (c_void_p, []),
    "ratls_evidence_free": (None, [c_void_p]),
    "ratls_evidence_set_dstack_response": (c_int, [c_void_p, c_uint8_p, c_size_t, c_char_p, c_size_t]),
    "ratls_evidence_set_tls_cert": (c_int, [c_void_p, c_uint8_p, c_size_t]),
    "ratls_evidence_set_nonce": (c_int, [c_void_p, c_uint8_p, c_size_t]),
    "ratls_verify": (c_int, [c_void_p, c_void_p, c_void_p, c_void_p, c_int64, ctypes.POINTER(c_void_p)]),
    "ratls_result_free": (None, [c_void_p]),
    "ratls_result_to_json": (c_int, [c_void_p, ctypes.POINTER(c_void_p)]),
}


def _candidates():
    env = os.environ.get("RATLS_LIBRARY")
    if env:
        yield env  # explicit choice: no fallback hides a wrong path
        return
    for name in ("libratls.so", "libratls.so.0", "libratls.dylib"):
        path = os.path.join(_HERE, name)
        if os.path.exists(path):
            yield path
    found = ctypes.util.find_library("ratls")
    if found:
        yield found


def _load():
    tried = []
    for path in _candidates():
        try:
            lib = ctypes.CDLL(path)
        except OSError as exc:
            tried.append("%s (%s)" % (path, exc))
            continue
        for name, (restype, argtypes) in _SIGNATURES.items():
            fn = getattr(lib, name)
            fn.restype, fn.argtypes = restype, argtypes
        return lib
    raise ImportError(
        "ratls: cannot load libratls; set RATLS_LIBRARY to the path of libratls.so, "
        "copy it into %s, or install it system-wide (tried: %s)" % (_HERE, ", ".join(tried) or "nothing found")
    )


lib = _load()


def buf(data):
    """(pointer, length) for bytes, as the C API's `const uint8_t *, size_t`."""
    arr = (ctypes.c_uint8 * len(data)).from_buffer_copy(data)  # a copy the C side may read
    return ctypes.cast(arr, c_uint8_p), len(data)


def status_name(status):
    return lib.ratls_status_name(status).decode()


def status_str(status):
    return lib.ratls_status_str(status).decode()


def take_string(ptr):
    """Copy a library-allocated string and free it."""
    try:
        return ctypes.string_at(ptr).decode("utf-8")
    finally:
        lib.ratls_free_string(ptr)
