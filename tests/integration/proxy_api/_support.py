"""Real processes and sockets for the proxy API tests: servers, an echo peer, probes."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import socketserver
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from chaoslab.services import PortOpen, ProcessService

REPO = Path(__file__).resolve().parents[3]

# `chaoslab proxy serve` as a child process, through the real console entry point.
SERVE = [sys.executable, "-c", "from chaoslab.cli import main; main()", "proxy", "serve"]
# The same server behind toxiproxy-server's Go-style flags (`chaoslab-toxiproxy-server`).
GO_FLAGS_SERVE = [
    sys.executable, "-c", "from chaoslab.cli._proxy import toxiproxy_server; toxiproxy_server()"
]  # fmt: skip


def toxiproxy_binary(name: str = "toxiproxy-server") -> Path | None:
    """`<repo>/../shared/bin/<name>`, else $TOXIPROXY_SERVER's folder, else None."""
    candidates = [REPO.parent / "shared" / "bin" / name]
    if os.environ.get("TOXIPROXY_SERVER"):
        server = Path(os.environ["TOXIPROXY_SERVER"])
        candidates.append(server if name == "toxiproxy-server" else server.parent / name)
    return next((c for c in candidates if c.is_file() and os.access(c, os.X_OK)), None)


@dataclass
class ServerProcess:
    """A running API server process and its base URL."""

    process: subprocess.Popen[str]
    url: str
    result: tuple[int, str] | None = None
    preamble: str = ""  # what it printed up to the "listening on" line

    def wait_exit(self, timeout: float = 10) -> tuple[int, str]:
        """Wait for the process to exit by itself; (exit code, remaining output)."""
        if self.result is None:
            out, _ = self.process.communicate(timeout=timeout)
            self.result = (self.process.returncode, out or "")
        return self.result

    def stop(self) -> tuple[int, str]:
        """SIGTERM (once), wait; (exit code, remaining output), remembered."""
        if self.result is not None:
            return self.result
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.wait_exit()
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.wait_exit()


@contextlib.contextmanager
def chaoslab_serve(*args: str, command: tuple[str, ...] = ()) -> Iterator[ServerProcess]:
    """`chaoslab proxy serve --port 0 ...`; the URL is read from its first line."""
    process = subprocess.Popen(
        [*(command or SERVE), "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1"},
    )
    server = ServerProcess(process, "")
    try:
        assert process.stdout is not None
        seen = ""
        for _ in range(10):  # notes may come before the "listening on" line
            line = process.stdout.readline()
            seen += line
            if "listening on" in line or not line:
                break
        if "listening on" not in line:
            code, rest = server.stop()
            raise RuntimeError(f"chaoslab proxy serve failed ({code}): {seen}{rest}")
        server.url = line.split("listening on ", 1)[1].split()[0]
        server.preamble = seen
        yield server
    finally:
        server.stop()


class _Toxiproxy(ProcessService):
    scheme = "http"


@contextlib.contextmanager
def toxiproxy_serve(binary: Path) -> Iterator[ProcessService]:
    """The real toxiproxy-server on a free loopback port, up once the port accepts."""
    command = [str(binary), "-host", "127.0.0.1", "-port", "{port}"]
    with _Toxiproxy(command, name="toxiproxy", ready=PortOpen()) as server:
        yield server


class _Echo(socketserver.BaseRequestHandler):
    upper = False

    def handle(self) -> None:
        sock: socket.socket = self.request
        sock.settimeout(10)
        with contextlib.suppress(OSError):
            while data := sock.recv(65536):
                sock.sendall(data.upper() if self.upper else data)


class _UpperEcho(_Echo):
    upper = True


class _EchoServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = True


@contextlib.contextmanager
def echo_server(*, upper: bool = False) -> Iterator[int]:
    """A threaded TCP echo server on 127.0.0.1 (`upper`: answers in capitals); yields its port."""
    server = _EchoServer(("127.0.0.1", 0), _UpperEcho if upper else _Echo)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def round_trip(port: int, payload: bytes = b"ping", timeout: float = 5.0) -> tuple[bytes, float]:
    """Send `payload` through 127.0.0.1:port, read it back; (echo, seconds)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        start = time.perf_counter()
        sock.sendall(payload)
        got = b""
        while len(got) < len(payload):
            chunk = sock.recv(65536)
            if not chunk:
                break
            got += chunk
        return got, time.perf_counter() - start


def read_until_closed(port: int, payload: bytes, timeout: float = 5.0) -> tuple[bytes, float]:
    """Send `payload`, read until the proxy closes; (bytes read, seconds until EOF)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        start = time.perf_counter()
        sock.sendall(payload)
        got = b""
        with contextlib.suppress(ConnectionResetError):
            while chunk := sock.recv(65536):
                got += chunk
        return got, time.perf_counter() - start


def refuses(port: int) -> bool:
    """True if 127.0.0.1:port refuses connections (or closes at once without data)."""
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=2)
    except ConnectionRefusedError:
        return True
    with sock:
        return False


@contextlib.contextmanager
def api_in_thread(**kwargs: object) -> Iterator[str]:
    """`chaoslab.proxy._serve.serve` on a background thread's loop; yields the API URL.

    Faster than a child process for tests that send many requests; stopped and
    joined on exit, so no listener, task or thread is left behind.
    """
    import asyncio

    from chaoslab.proxy._serve import serve
    from chaoslab.proxy._sync import new_event_loop

    loop = new_event_loop()  # the loop `chaoslab proxy serve` runs on (uvloop when installed)
    stop = asyncio.Event()
    ready = threading.Event()
    box: dict[str, object] = {}

    def on_ready(url: str) -> None:
        box["url"] = url
        ready.set()

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(serve(port=0, ready=on_ready, stop=stop, **kwargs))  # type: ignore[arg-type]
        except BaseException as exc:  # handed to the test thread below
            box["error"] = exc
            ready.set()

    thread = threading.Thread(target=run, name="proxy-api")
    thread.start()
    try:
        assert ready.wait(10), "the API did not start within 10 s"
        if "error" in box:
            raise RuntimeError("the API failed to start") from box["error"]  # type: ignore[misc]
        yield str(box["url"])
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(10)
        assert not thread.is_alive()
        leftover = [t for t in asyncio.all_tasks(loop) if not t.done()]
        loop.close()
        assert not leftover, f"tasks left running after the API stopped: {leftover}"
