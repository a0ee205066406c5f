"""A TLS server that answers every request one byte at a time, slowly: a
client with a per-read timeout only would wait for ever.

usage: /usr/bin/python3 trickle_server.py --cert C.pem --key K.pem [--interval S]
Prints "PORT <n>" once listening on 127.0.0.1; exits when stdin closes.
"""
import argparse
import os
import socket
import ssl
import sys
import threading
import time


def serve(conn, ctx, interval):
    try:
        tls = ctx.wrap_socket(conn, server_side=True)
        tls.recv(65536)
        for b in b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + b"x" * 100000:
            tls.sendall(bytes([b]))
            time.sleep(interval)
    except (OSError, ssl.SSLError):
        pass
    finally:
        conn.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--interval", type=float, default=0.5)
    a = ap.parse_args()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(16)
    print("PORT %d" % ls.getsockname()[1], flush=True)

    def accept_loop():
        while True:
            try:
                c, _ = ls.accept()
            except OSError:
                return
            threading.Thread(target=serve, args=(c, ctx, a.interval), daemon=True).start()

    threading.Thread(target=accept_loop, daemon=True).start()
    while os.read(0, 4096):
        pass
    sys.exit(0)


if __name__ == "__main__":
    main()
