"""The dstack exchange, without I/O: the request bytes and an incremental
parser for the one HTTP/1.1 response (mirrors src/net/conn.c)."""

import json
import os
import time

from .errors import RATLSVerificationError

RESPONSE_MAX = 16 * 1024 * 1024
HEADER_MAX = 64 * 1024
DEFAULT_TIMEOUT = 10.0


def new_nonce():
    return os.urandom(64)


def request_bytes(host, port, nonce):
    body = json.dumps({"report_data_hex": nonce.hex()}).encode()
    hosthdr = "[%s]" % host if ":" in host else host
    if port and int(port) != 443:
        hosthdr += ":%d" % int(port)
    head = (
        "POST /tdx_quote HTTP/1.1\r\nHost: %s\r\nUser-Agent: ratls-python\r\n"
        "Content-Type: application/json\r\nAccept: application/json\r\nContent-Length: %d\r\n\r\n"
        % (hosthdr, len(body))
    )
    return head.encode("ascii") + body


def failure(host, reason, status="attestation_response"):
    return RATLSVerificationError(reason, status=status, failed_check="attestation.request", host=host)


class ResponseReader:
    """Feed bytes; `done()` gives the body once the whole response is in.
    Content-Length or chunked; nothing may follow the response, since any
    further bytes would pass as the application's."""

    def __init__(self, host):
        self.host = host
        self.buf = b""
        self.body = None

    def feed(self, data):
        if not data:
            raise failure(self.host, "the server closed the connection during the attestation exchange")
        self.buf += data
        if len(self.buf) > RESPONSE_MAX + HEADER_MAX:
            raise failure(self.host, "the attestation response exceeds %d bytes" % RESPONSE_MAX, "too_large")
        return self._parse()

    def _parse(self):
        end = self.buf.find(b"\r\n\r\n")
        if end < 0:
            if len(self.buf) > HEADER_MAX:
                raise failure(self.host, "response headers over %d bytes" % HEADER_MAX)
            return False
        lines = self.buf[:end].decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
            raise failure(self.host, "the attestation response is not HTTP/1.x")
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        rest = self.buf[end + 4 :]
        if headers.get("transfer-encoding", "").lower() == "chunked" and "content-length" not in headers:
            body, used = self._chunked(rest)
            if body is None:
                return False
        elif "transfer-encoding" in headers or not headers.get("content-length", "").isdigit():
            raise failure(self.host, "the attestation response has no valid Content-Length")
        else:
            want = int(headers["content-length"])
            if want > RESPONSE_MAX:
                raise failure(self.host, "the attestation response announces %d bytes" % want, "too_large")
            if len(rest) < want:
                return False
            body, used = rest[:want], want
        if len(rest) > used:
            raise failure(self.host, "the attestation response is followed by unrequested bytes")
        if parts[1] != "200":
            raise failure(self.host, "POST /tdx_quote: HTTP %s" % parts[1])
        self.body = body
        return True

    def _chunked(self, data):
        out, pos = [], 0
        while True:
            crlf = data.find(b"\r\n", pos)
            if crlf < 0:
                return None, 0
            size = data[pos:crlf].split(b";")[0].strip()
            try:
                n = int(size, 16)
            except ValueError:
                raise failure(self.host, "the attestation response has a malformed chunk size")
            if n > RESPONSE_MAX - sum(map(len, out)):
                raise failure(self.host, "the attestation response exceeds %d bytes" % RESPONSE_MAX, "too_large")
            if len(data) < crlf + 2 + n + 2:
                return None, 0
            if data[crlf + 2 + n : crlf + 4 + n] != b"\r\n":
                raise failure(self.host, "the attestation response has a chunk without its CRLF or has trailers")
            if n == 0:
                return b"".join(out), crlf + 4
            out.append(data[crlf + 2 : crlf + 2 + n])
            pos = crlf + 4 + n


class Deadline:
    """One time budget for the whole exchange (each read gets what is left)."""

    def __init__(self, timeout, host):
        self.end = time.monotonic() + (timeout if timeout is not None else DEFAULT_TIMEOUT)
        self.host = host

    def left(self):
        left = self.end - time.monotonic()
        if left <= 0:
            raise self.expired()
        return left

    def expired(self):
        return failure(self.host, "the attestation exchange timed out", "timeout")
