"""What the loopback stand-ins (pcs_standin.py, kds_standin.py) share.

Request counters and FIFO fault queues, the HTTP handler's skeleton with the
common control endpoints (/__stats, /__reset, /__fault), and the main loop:
bind 127.0.0.1, print "PORT <n>\\n" on stdout, serve until stdin reaches EOF
or SIGTERM/SIGINT.  Standard library only; runs under /usr/bin/python3.
"""
import collections
import json
import os
import signal
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

GARBAGE = (b"\x00\xffgarbage\x01\xfe" * 40)[:300]


def query_dict(query):
    """A query string as {name: first value}, blank values kept."""
    return {k: v[0] for k, v in urllib.parse.parse_qs(query, keep_blank_values=True).items()}


class State:
    """Request counters and fault queues per route (one lock)."""

    def __init__(self, routes):
        self.routes = routes
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        self.stats = collections.Counter({r: 0 for r in self.routes})
        self.faults = collections.defaultdict(collections.deque)

    def count(self, *keys):
        with self.lock:
            for k in keys:
                self.stats[k] += 1

    def add_fault(self, route, mode, count, arg):
        with self.lock:
            self.faults[route].append([mode, count or None, arg])

    def take_fault(self, route):
        """Consume one use of the oldest fault for route (or for "all")."""
        with self.lock:
            for key in (route, "all"):
                q = self.faults.get(key)
                if q:
                    fault = q[0]
                    if fault[1] is not None:  # None: persistent until reset
                        fault[1] -= 1
                        if fault[1] <= 0:
                            q.popleft()
                    return fault[0], fault[2]
        return None, None


class Handler(BaseHTTPRequestHandler):
    """A stand-in's handler.  A subclass names the stand-in and gives its
    State and fault modes as class arguments:
        class Handler(standin_common.Handler, name="kds_standin", state=STATE, modes=MODES)
    and defines serve_url(url) for what is counted.  GET /__NAME is answered
    by ctl_NAME(q) (404 when there is none): /__stats, /__reset and /__fault
    are here; check_fault_arg(mode, arg) (raising ValueError) checks what is
    peculiar to a stand-in's faults."""

    protocol_version = "HTTP/1.1"
    log = False  # --log: one line per request on stderr

    def __init_subclass__(cls, name, state, modes, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.name = name  # the prefix of its log lines
        cls.server_version = name.replace("_", "-") + "/1"
        cls.state = state
        cls.modes = modes

    def log_message(self, fmt, *args):
        if self.log:
            sys.stderr.write("%s: %s %s\n" % (self.name, self.address_string(), fmt % args))
            sys.stderr.flush()

    def reply(self, status, body, ctype="text/plain", headers=(), length=None):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def do_GET(self):
        try:
            self.dispatch()
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.close_connection = True

    def dispatch(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path.startswith("/__"):
            ctl = getattr(self, "ctl_" + url.path[3:], None)
            if ctl is None:
                return self.reply(404, b"unknown control endpoint\n")
            return ctl(query_dict(url.query))
        self.serve_url(url)

    def serve_url(self, url):
        raise NotImplementedError

    def check_fault_arg(self, mode, arg):
        pass

    def ctl_stats(self, q):
        with self.state.lock:
            body = json.dumps(dict(self.state.stats), sort_keys=True)
        return self.reply(200, body.encode(), "application/json")

    def ctl_reset(self, q):
        with self.state.lock:
            self.state.reset()
        return self.reply(200, b"ok")

    def ctl_fault(self, q):
        route, mode, arg = q.get("route"), q.get("mode"), q.get("arg")
        try:
            count = int(q.get("count", "1"))
            if route not in self.state.routes + ("all",) or mode not in self.modes or count < 0:
                raise ValueError("bad route, mode or count")
            self.check_fault_arg(mode, arg)
        except ValueError as e:
            return self.reply(400, ("bad fault: %s\n" % e).encode())
        self.state.add_fault(route, mode, count, arg)
        return self.reply(200, b"ok")


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


def run(port, handler):
    """Serve handler on 127.0.0.1:port until stdin reaches EOF or a signal."""
    server = Server(("127.0.0.1", port), handler)
    sys.stdout.write("PORT %d\n" % server.server_address[1])
    sys.stdout.flush()

    stop = threading.Event()

    def watch_stdin():
        try:
            while os.read(0, 65536):  # raw fd: no buffer lock at exit
                pass
        except OSError:
            pass
        stop.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    threading.Thread(target=watch_stdin, daemon=True).start()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    while not stop.wait(0.2):
        pass
    server.shutdown()
    server.server_close()
