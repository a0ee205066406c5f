"""Drop-in httpx with RA-TLS: `from ratls import httpx`.

`httpx.Client(ratls_verifier_per_hostname={host: verifier}, ...)` and
`httpx.AsyncClient(...)` attest every new TLS connection to a mapped host on
that connection, right after the handshake and before any request byte;
pooled connections are reused without a second attestation. Every other name
is the real httpx's.

The hook is httpcore's network backend: each pool's backend is wrapped, and
the wrapped stream's start_tls() performs the dstack exchange. Works with
httpcore 0.16 (httpx 0.23, Debian 12) and 1.x (httpx 0.28): both keep the
backend in `pool._network_backend` and call `connect_tcp()` then
`stream.start_tls(ssl_context, server_hostname, timeout)`.
"""

import ipaddress
import logging
import ssl

import httpcore
import httpx as _httpx
from httpx import *  # noqa: F401,F403  (drop-in: the rest is httpx's)

from . import _exchange
from .errors import RATLSVerificationError

try:  # httpcore >= 1.0
    from httpcore import AsyncNetworkBackend, AsyncNetworkStream, NetworkBackend, NetworkStream
except ImportError:  # httpcore 0.16 / 0.17
    from httpcore.backends.base import AsyncNetworkBackend, AsyncNetworkStream, NetworkBackend, NetworkStream

try:
    from anyio.to_thread import run_sync as _to_thread  # runs under asyncio and trio
except ImportError:  # pragma: no cover
    import asyncio
    import functools

    async def _to_thread(fn, *args):
        return await asyncio.to_thread(functools.partial(fn, *args))


log = logging.getLogger("ratls")


def __getattr__(name):  # anything httpx's star-export leaves out
    return getattr(_httpx, name)


def canonical_host(host):
    """Lower case, no trailing dot, IP literals in standard text ("[::1]" == "0:0::1")."""
    if isinstance(host, bytes):
        host = host.decode("ascii")
    host = host.strip().lower().rstrip(".")
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return host


def _attest_context():
    # The certificate of an attested host is authenticated by the attestation
    # (cert.binding: the TD logged its hash), not by web PKI. HTTP/1.1 only:
    # the exchange is HTTP/1.1 and the connection carries on as such.
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx


def _failure(err):
    """The httpcore exception httpx maps (ConnectTimeout / ConnectError), carrying err."""
    cls = httpcore.ConnectTimeout if err.status == "timeout" else httpcore.ConnectError
    exc = cls(str(err))
    exc.ratls_error = err
    return exc


class _Attest:
    """What the stream wrappers share: the host map and the TLS context."""

    def __init__(self, verifiers):
        self.verifiers = {canonical_host(h): v for h, v in (verifiers or {}).items()}
        self.ctx = _attest_context()

    def lookup(self, host):
        return self.verifiers.get(canonical_host(host)) if host else None

    def read_cert(self, stream, host):
        sslobj = stream.get_extra_info("ssl_object")
        cert = sslobj.getpeercert(True) if sslobj is not None else None
        if not cert:
            raise RATLSVerificationError("no TLS certificate", status="tls", failed_check="transport", host=host)
        return cert


class _SyncStream(NetworkStream):
    def __init__(self, inner, attest, host, port):
        self._inner, self._attest, self._host, self._port = inner, attest, host, port
        # plain http to a mapped host would send request bytes unattested: refuse
        self._plain_refused = attest.lookup(host) is not None

    def read(self, max_bytes, timeout=None):
        return self._inner.read(max_bytes, timeout)

    def write(self, buffer, timeout=None):
        if self._plain_refused and buffer:
            raise _failure(RATLSVerificationError("refusing plain http to an attested host", host=self._host))
        return self._inner.write(buffer, timeout)

    def close(self):
        return self._inner.close()

    def get_extra_info(self, info):
        return self._inner.get_extra_info(info)

    def start_tls(self, ssl_context, server_hostname=None, timeout=None):
        verifier = self._attest.lookup(server_hostname)
        if verifier is None:  # not attested: the caller's context, normal verification
            return _SyncStream(self._inner.start_tls(ssl_context, server_hostname, timeout), self._attest, None, None)
        tls = self._inner.start_tls(self._attest.ctx, server_hostname, timeout)
        try:
            self._exchange(tls, verifier, server_hostname, timeout)
        except RATLSVerificationError as err:
            tls.close()
            raise _failure(err) from err
        except BaseException:
            tls.close()
            raise
        return _SyncStream(tls, self._attest, None, None)

    def _exchange(self, tls, verifier, host, timeout):
        cert = self._attest.read_cert(tls, host)
        port = self._port if canonical_host(host) == canonical_host(self._host or "") else None
        nonce = _exchange.new_nonce()
        deadline = _exchange.Deadline(timeout, host)
        reader = _exchange.ResponseReader(host)
        try:
            tls.write(_exchange.request_bytes(host, port, nonce), deadline.left())
            while not reader.feed(tls.read(65536, deadline.left())):
                pass
        except (httpcore.ReadTimeout, httpcore.WriteTimeout):
            raise deadline.expired() from None
        except (httpcore.ReadError, httpcore.WriteError) as exc:
            raise _exchange.failure(host, "the attestation exchange failed: %s" % exc, "network") from exc
        verifier.verify(reader.body, cert, nonce, host=host)
        log.debug("ratls: %s attested", host)


class _AsyncStream(AsyncNetworkStream):
    def __init__(self, inner, attest, host, port):
        self._inner, self._attest, self._host, self._port = inner, attest, host, port
        self._plain_refused = attest.lookup(host) is not None

    async def read(self, max_bytes, timeout=None):
        return await self._inner.read(max_bytes, timeout)

    async def write(self, buffer, timeout=None):
        if self._plain_refused and buffer:
            raise _failure(RATLSVerificationError("refusing plain http to an attested host", host=self._host))
        return await self._inner.write(buffer, timeout)

    async def aclose(self):
        return await self._inner.aclose()

    def get_extra_info(self, info):
        return self._inner.get_extra_info(info)

    async def start_tls(self, ssl_context, server_hostname=None, timeout=None):
        verifier = self._attest.lookup(server_hostname)
        if verifier is None:
            tls = await self._inner.start_tls(ssl_context, server_hostname, timeout)
            return _AsyncStream(tls, self._attest, None, None)
        tls = await self._inner.start_tls(self._attest.ctx, server_hostname, timeout)
        try:
            await self._exchange(tls, verifier, server_hostname, timeout)
        except RATLSVerificationError as err:
            await tls.aclose()
            raise _failure(err) from err
        except BaseException:
            await tls.aclose()
            raise
        return _AsyncStream(tls, self._attest, None, None)

    async def _exchange(self, tls, verifier, host, timeout):
        cert = self._attest.read_cert(tls, host)
        port = self._port if canonical_host(host) == canonical_host(self._host or "") else None
        nonce = _exchange.new_nonce()
        deadline = _exchange.Deadline(timeout, host)
        reader = _exchange.ResponseReader(host)
        try:
            await tls.write(_exchange.request_bytes(host, port, nonce), deadline.left())
            while not reader.feed(await tls.read(65536, deadline.left())):
                pass
        except (httpcore.ReadTimeout, httpcore.WriteTimeout):
            raise deadline.expired() from None
        except (httpcore.ReadError, httpcore.WriteError) as exc:
            raise _exchange.failure(host, "the attestation exchange failed: %s" % exc, "network") from exc
        # libratls blocks (verification, maybe a collateral fetch): not on the event loop
        await _to_thread(verifier.verify, reader.body, cert, nonce, host)
        log.debug("ratls: %s attested", host)


class _SyncBackend(NetworkBackend):
    def __init__(self, inner, attest):
        self._inner, self._attest = inner, attest

    def connect_tcp(self, host, port, timeout=None, local_address=None, **kwargs):
        stream = self._inner.connect_tcp(host, port, timeout=timeout, local_address=local_address, **kwargs)
        return _SyncStream(stream, self._attest, host, port)

    def connect_unix_socket(self, path, timeout=None, **kwargs):
        # no host to look up: the TLS host name alone decides (start_tls)
        return _SyncStream(self._inner.connect_unix_socket(path, timeout=timeout, **kwargs), self._attest, None, None)

    def sleep(self, seconds):
        return self._inner.sleep(seconds)


class _AsyncBackend(AsyncNetworkBackend):
    def __init__(self, inner, attest):
        self._inner, self._attest = inner, attest

    async def connect_tcp(self, host, port, timeout=None, local_address=None, **kwargs):
        stream = await self._inner.connect_tcp(host, port, timeout=timeout, local_address=local_address, **kwargs)
        return _AsyncStream(stream, self._attest, host, port)

    async def connect_unix_socket(self, path, timeout=None, **kwargs):
        stream = await self._inner.connect_unix_socket(path, timeout=timeout, **kwargs)
        return _AsyncStream(stream, self._attest, None, None)

    async def sleep(self, seconds):
        return await self._inner.sleep(seconds)


def _install(transports, attest, backend_cls):
    """Wrap the network backend of every transport's httpcore pool. Fails
    closed: a transport we cannot hook would connect without attestation."""
    for transport in transports:
        if transport is None:
            continue
        pool = getattr(transport, "_pool", None)
        if pool is None or not hasattr(pool, "_network_backend"):
            raise TypeError(
                "ratls: cannot attest through transport %r (not an httpx HTTP transport over an httpcore pool)"
                % (transport,)
            )
        if not isinstance(pool._network_backend, backend_cls):
            pool._network_backend = backend_cls(pool._network_backend, attest)


def _transports(client):
    mounts = getattr(client, "_mounts", {}) or {}
    return [client._transport] + list(mounts.values())


class Client(_httpx.Client):
    """httpx.Client that attests the hosts in `ratls_verifier_per_hostname`."""

    def __init__(self, *args, ratls_verifier_per_hostname=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.ratls_verifiers = _Attest(ratls_verifier_per_hostname)
        _install(_transports(self), self.ratls_verifiers, _SyncBackend)


class AsyncClient(_httpx.AsyncClient):
    """httpx.AsyncClient that attests the hosts in `ratls_verifier_per_hostname`."""

    def __init__(self, *args, ratls_verifier_per_hostname=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.ratls_verifiers = _Attest(ratls_verifier_per_hostname)
        _install(_transports(self), self.ratls_verifiers, _AsyncBackend)
