"""A real HTTP server on 127.0.0.1, started by the tests (stdlib, in a thread)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

SSE_EVENTS = 5


class LocalServer:
    """The server's address and the requests it really received."""

    def __init__(self, server: ThreadingHTTPServer) -> None:
        self.server = server
        host, port = server.server_address[:2]
        self.url = f"http://{host!s}:{port}"
        self.requests: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    def record(self, method: str, path: str) -> None:
        with self.lock:
            self.requests.append((method, path))

    def reset(self) -> None:
        with self.lock:
            self.requests.clear()


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib's name
        return  # keep test output clean

    def _answer(self) -> None:
        self.server.local.record(self.command, self.path)
        length = int(self.headers.get("content-length") or 0)
        if length:
            self.rfile.read(length)
        if self.path.startswith("/v1/stream"):
            self._stream()
            return
        body = json.dumps({"text": "hello from the real server"}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _stream(self) -> None:
        # HTTP/1.0 without a length: the body ends when the connection closes.
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.end_headers()
        for i in range(SSE_EVENTS):
            self.wfile.write(f'data: {{"n": {i}}}\n\n'.encode())
            self.wfile.flush()

    do_GET = _answer  # noqa: N815 - the names http.server dispatches to
    do_POST = _answer  # noqa: N815


class _Server(ThreadingHTTPServer):
    local: LocalServer
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        # Clients that drop a stream mid-way on purpose make the handler's
        # writes fail; that is the scenario, not a server error to print.
        return


@pytest.fixture(scope="module")
def _running_server() -> Iterator[LocalServer]:
    server = _Server(("127.0.0.1", 0), _Handler)
    server.local = LocalServer(server)
    # shutdown() waits for the serve loop's next poll: the default 0.5 s poll
    # cost half a second of teardown per module.
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.01}, name="local-http", daemon=True
    )
    thread.start()
    try:
        yield server.local
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def local_server(_running_server: LocalServer) -> LocalServer:
    """A real HTTP server on 127.0.0.1 (shared per module, request log reset per test)."""
    _running_server.reset()
    return _running_server
