"""A faulty S3 endpoint: an HTTP proxy on 127.0.0.1 in front of the local S3 server that fails
requests on a fixed schedule, as a throttled or restarting S3 does.

Faults, by the proxy's own request count (deterministic for a given order of requests):

- ``503``: ``SlowDown`` with S3's XML error body (the request never reaches the server);
- ``500``: ``InternalError`` with S3's XML error body (never reaches the server);
- ``drop``: the connection is reset before the request is forwarded;
- and once, on the first request whose ``METHOD /path`` starts with ``down_on``, the server
  goes down for ``down_seconds``: the listening socket is closed (connections are refused)
  and open connections are reset, then it listens again on the same port, as a stopped and
  restarted server would.

Every client retry after a fault is seen here as the same method and path arriving again;
``stats`` counts them. A process of its own (``proxy()``): in a thread of the test process it
would wait on the GIL that a blocking delta-rs call holds (see s3_server.py). Its counters are
read from a control port that stays up while the proxy is down.
"""

from __future__ import annotations

import argparse
import http.client
import json
import select
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from healthcare_dataops_tests.loopback import free_port, listening

KINDS = ("503", "500", "drop")
_ERRORS = {
    "503": (503, "SlowDown", "Please reduce your request rate."),
    "500": (500, "InternalError", "We encountered an internal error. Please try again."),
}
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "te", "upgrade"}


@dataclass
class Schedule:
    every: int = 7  # every n-th request is failed, the kinds in turn
    kinds: tuple[str, ...] = KINDS
    down_on: str | None = None  # "GET /bucket/prefix": the first such request takes the server down
    down_seconds: float = 0.0


class _State:
    def __init__(self, upstream: str, schedule: Schedule):
        host, _, port = upstream.removeprefix("http://").rstrip("/").partition(":")
        self.upstream = (host, int(port or 80))
        self.schedule = schedule
        self.lock = threading.Lock()
        self.requests = 0
        self.forwarded = 0
        self.faults: Counter[str] = Counter()
        self.failed_keys: Counter[str] = Counter()  # method and path of failed requests not yet retried
        self.retried = 0  # requests that repeat a failed one: client retries
        self.retried_by_kind: Counter[str] = Counter()
        self.failed_kind: dict[str, str] = {}
        self.methods: Counter[str] = Counter()
        self.down_until = 0.0
        self.down_periods = 0
        self.down_used = False
        self.connections: set[socket.socket] = set()

    def decide(self, method: str, path: str) -> str | None:
        """The fault for this request, or None to forward it; counts the request."""
        key = f"{method} {path}"
        with self.lock:
            self.requests += 1
            self.methods[method] += 1
            if self.failed_keys[key] > 0:
                self.failed_keys[key] -= 1
                self.retried += 1
                self.retried_by_kind[self.failed_kind.get(key, "?")] += 1
            schedule = self.schedule
            kind = None
            if time.monotonic() < self.down_until:
                kind = "down"  # accepted just before the listener closed
            elif schedule.down_on and not self.down_used and key.startswith(schedule.down_on):
                self.down_used, kind = True, "down"
                self.down_until = time.monotonic() + schedule.down_seconds
                self.down_periods += 1
            elif schedule.every and self.requests % schedule.every == 0:
                kind = schedule.kinds[(self.requests // schedule.every) % len(schedule.kinds)]
            if kind:
                self.faults[kind] += 1
                self.failed_keys[key] += 1
                self.failed_kind[key] = kind
            else:
                self.forwarded += 1
            return kind

    def stats(self) -> dict:
        with self.lock:
            return {"requests": self.requests, "forwarded": self.forwarded, "faults": dict(self.faults),
                    "retried": self.retried, "retried_by_kind": dict(self.retried_by_kind),
                    "methods": dict(self.methods), "down_periods": self.down_periods,
                    "down_now": time.monotonic() < self.down_until}


def _reset(connection: socket.socket) -> None:
    """Close with RST, as a crashed server's kernel would."""
    try:
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        connection.close()
    except OSError:
        pass


class _ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 120  # an idle keep-alive connection is closed after this
    state: _State

    def log_message(self, format, *args):
        pass

    def _body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _handle(self) -> None:
        body = self._body()
        kind = self.state.decide(self.command, self.path)
        if kind in ("drop", "down"):
            self.close_connection = True
            _reset(self.connection)
            if kind == "down":
                _take_down(self.state)
            return
        if kind in _ERRORS:
            status, code, message = _ERRORS[kind]
            payload = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
                       f"<Message>{message}</Message><Resource>{self.path.split('?')[0]}</Resource>"
                       f"<RequestId>faulty-proxy-{self.state.requests}</RequestId></Error>").encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)
            return
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            headers["Content-Length"] = str(len(body))
        upstream = http.client.HTTPConnection(*self.state.upstream, timeout=60)
        try:
            upstream.request(self.command, self.path, body=body, headers=headers)
            response = upstream.getresponse()
            data = response.read()
        finally:
            upstream.close()
        self.send_response_only(response.status, response.reason)
        for name, value in response.getheaders():
            if name.lower() not in _HOP_BY_HOP and name.lower() != "content-length":
                self.send_header(name, value)
        if self.command == "HEAD":
            self.send_header("Content-Length", response.getheader("Content-Length") or "0")
        else:
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _handle


def _take_down(state: _State) -> None:
    with state.lock:
        open_connections = list(state.connections)
    for connection in open_connections:
        _reset(connection)


def _serve_connection(state: _State, connection: socket.socket, address) -> None:
    with state.lock:
        state.connections.add(connection)
    # The handler writes a response's head and body in two sends: with Nagle's algorithm on,
    # the body waits for the client's delayed ACK of the head, 40 ms on Linux, at each request.
    connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        _ProxyHandler(connection, address, None)
    except (OSError, ValueError):
        pass
    finally:
        with state.lock:
            state.connections.discard(connection)
        try:
            connection.close()
        except OSError:
            pass


def _listen(port: int) -> socket.socket:
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    deadline = time.monotonic() + 10
    while True:
        try:
            server.bind(("127.0.0.1", port))
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    server.listen(128)
    return server


def serve(port: int, control_port: int, upstream: str, schedule: Schedule) -> None:
    state = _State(upstream, schedule)
    _ProxyHandler.state = state

    class Control(BaseHTTPRequestHandler):
        def log_message(self, format, *args):
            pass

        def do_GET(self):
            payload = json.dumps(state.stats()).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    control = ThreadingHTTPServer(("127.0.0.1", control_port), Control)
    threading.Thread(target=control.serve_forever, daemon=True).start()
    server: socket.socket | None = _listen(port)
    while True:
        if time.monotonic() < state.down_until:
            if server is not None:
                server.close()  # connection refused from now on
                server = None
            time.sleep(0.02)
            continue
        if server is None:
            server = _listen(port)
        ready, _, _ = select.select([server], [], [], 0.05)
        if ready:
            connection, address = server.accept()
            threading.Thread(target=_serve_connection, args=(state, connection, address), daemon=True).start()


@dataclass
class FaultyProxy:
    endpoint: str
    control: str

    def stats(self) -> dict:
        with urllib.request.urlopen(f"{self.control}/stats", timeout=10) as response:
            return json.loads(response.read())


@contextmanager
def proxy(upstream: str, schedule: Schedule) -> Iterator[FaultyProxy]:
    """The faulty endpoint in front of ``upstream`` while the block runs."""
    port, control_port = free_port(), free_port()
    argv = [sys.executable, "-m", "healthcare_dataops_tests.s3_faults", "--upstream", upstream,
            "--port", str(port), "--control-port", str(control_port), "--every", str(schedule.every),
            "--kinds", ",".join(schedule.kinds), "--down-seconds", str(schedule.down_seconds)]
    if schedule.down_on:
        argv += ["--down-on", schedule.down_on]
    server = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while not (listening(port) and listening(control_port)):
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the faulty S3 proxy did not start: {server.stderr.read().decode()[-2000:]}")
            time.sleep(0.05)
        yield FaultyProxy(f"http://127.0.0.1:{port}", f"http://127.0.0.1:{control_port}")
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--control-port", type=int, required=True)
    parser.add_argument("--every", type=int, default=7)
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--down-on", default=None)
    parser.add_argument("--down-seconds", type=float, default=0.0)
    args = parser.parse_args(argv)
    kinds = tuple(k for k in args.kinds.split(",") if k)
    unknown = set(kinds) - set(KINDS)
    if unknown:
        parser.error(f"unknown fault kinds {sorted(unknown)}; known: {KINDS}")
    serve(args.port, args.control_port, args.upstream,
          Schedule(every=args.every, kinds=kinds, down_on=args.down_on, down_seconds=args.down_seconds))


if __name__ == "__main__":
    main()
