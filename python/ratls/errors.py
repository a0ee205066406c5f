"""The exception every failed attestation raises."""


class RATLSVerificationError(Exception):
    """The server could not be attested (or did not pass the policy).

    Attributes:
      result       the parsed ratls_result_to_json() object, or None when the
                   exchange itself failed before there was evidence to verify
      status       the libratls status name ("compose_hash", "timeout", ...)
      failed_check the id of the first failing check ("app_compose", "nonce",
                   "attestation.request", ...), or None
      reason       a sentence
      host         the host being attested, when known
    """

    def __init__(self, reason, status=None, failed_check=None, result=None, host=None):
        self.reason = reason
        self.status = status
        self.failed_check = failed_check
        self.result = result
        self.host = host
        where = "%s: " % host if host else ""
        what = " [%s: %s]" % (failed_check, status) if failed_check else (" [%s]" % status if status else "")
        super().__init__("RA-TLS verification failed: %s%s%s" % (where, reason, what))

    @classmethod
    def from_result(cls, result, host=None):
        failed = next((c for c in result.get("checks", []) if c.get("result") == "fail"), None)
        return cls(
            result.get("error") or "not verified",
            status=result.get("status"),
            failed_check=failed["id"] if failed else None,
            result=result,
            host=host,
        )


def find_verification_error(exc):
    """The RATLSVerificationError behind an exception (e.g. an httpx.ConnectError), or None."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, RATLSVerificationError):
            return exc
        seen.add(id(exc))
        exc = getattr(exc, "ratls_error", None) or exc.__cause__ or exc.__context__
    return None
