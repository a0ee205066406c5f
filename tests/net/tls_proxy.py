"""A man in the middle for the tests: a TLS server with its own certificate
that relays every connection to a TLS upstream (verifying nothing), so a
client that checks only "is it TLS" would be fooled.

usage: /usr/bin/python3 tls_proxy.py --cert C.pem --key K.pem --upstream HOST:PORT
Prints "PORT <n>" once listening on 127.0.0.1; exits when stdin closes.
"""
import argparse
import os
import select
import socket
import ssl
import sys
import threading


def relay(a, b):
    """Copy both ways between two TLS sockets from one thread (an SSL object
    must not be read and written from two threads at once)."""
    socks = [a, b]
    peer = {a: b, b: a}
    for s in socks:
        s.setblocking(False)
    try:
        while True:
            ready = [s for s in socks if s.pending()]
            if not ready:
                ready, _, _ = select.select(socks, [], [], 60)
                if not ready:
                    return
            for s in ready:
                try:
                    data = s.recv(65536)
                except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
                    continue
                if not data:
                    return
                out = peer[s]
                out.setblocking(True)
                out.sendall(data)
                out.setblocking(False)
    except (OSError, ssl.SSLError):
        pass
    finally:
        for s in socks:
            try:
                s.close()
            except OSError:
                pass


def serve(conn, server_ctx, up_host, up_port):
    try:
        tls = server_ctx.wrap_socket(conn, server_side=True)
        client_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        client_ctx.check_hostname = False
        client_ctx.verify_mode = ssl.CERT_NONE
        up = client_ctx.wrap_socket(socket.create_connection((up_host, up_port), timeout=30))
    except (OSError, ssl.SSLError):
        conn.close()
        return
    relay(tls, up)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--upstream", required=True)
    a = ap.parse_args()
    host, port = a.upstream.rsplit(":", 1)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(64)
    print("PORT %d" % ls.getsockname()[1], flush=True)

    def accept_loop():
        while True:
            try:
                c, _ = ls.accept()
            except OSError:
                return
            threading.Thread(target=serve, args=(c, ctx, host, int(port)), daemon=True).start()

    threading.Thread(target=accept_loop, daemon=True).start()
    while os.read(0, 4096):
        pass
    sys.exit(0)


if __name__ == "__main__":
    main()
