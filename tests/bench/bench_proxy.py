"""Benchmark: chaoslab's proxy against a direct connection, Toxiproxy and socat.

Run: python tests/bench/bench_proxy.py [--conns 9000] [--loop uvloop|asyncio]

Everything on 127.0.0.1. The upstream server, chaoslab's proxy and Toxiproxy
each run in their own process; the client runs here with blocking sockets.
Rows: bulk throughput (MB/s), small round trips (p50/p99 µs), latency toxic
accuracy at 10 and 100 ms, and idle connections held with memory per
connection. `chaoslab` is the embedded ProxyServer on uvloop in its own
process; `serve` is `chaoslab proxy serve` driven through its HTTP API, like
`toxiproxy` (the real toxiproxy-server). Ratios are printed against the
direct connection and Toxiproxy, measured in the same run. Bounded: about a
minute. The machine is shared: run it 2-3 times and take the median.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

TOXIPROXY = Path(os.environ.get("TOXIPROXY_SERVER", "/work/shared/bin/toxiproxy-server"))
HERE = Path(__file__).resolve()
BULK_SECONDS = 1.5
BULK_BLOCK = 64 * 1024
RR_COUNT = 4000
RR_SIZE = 64


def _raise_nofile() -> int:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


# -- roles run in child processes ---------------------------------------------


class _ServerProtocol(asyncio.Protocol):
    """Echo, except a connection whose first byte is b'S' is a sink.

    The sink answers one byte per MiB received (Toxiproxy does not pass a
    half-close through, so the client cannot signal the end with a FIN).
    """

    def __init__(self) -> None:
        self.mode = b""
        self.count = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        if not self.mode:
            self.mode = data[:1]
        if self.mode == b"S":
            before = self.count >> 20
            self.count += len(data)
            if (self.count >> 20) > before:
                self.transport.write(b"A" * ((self.count >> 20) - before))
        else:
            self.transport.write(data)


def role_server() -> None:
    _raise_nofile()
    from chaoslab.proxy._sync import new_event_loop

    async def main() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(_ServerProtocol, "127.0.0.1", 0, backlog=4096)
        print(server.sockets[0].getsockname()[1], flush=True)
        await loop.run_in_executor(None, sys.stdin.read)

    new_event_loop().run_until_complete(main())  # uvloop when installed


def role_chaoslab(upstream: int, loop_kind: str) -> None:
    _raise_nofile()
    from chaoslab.proxy import ProxyServer
    from chaoslab.proxy._sync import new_event_loop

    async def main() -> None:
        loop = asyncio.get_running_loop()
        async with ProxyServer(seed=1) as server:
            proxy = await server.create("bench", upstream=f"127.0.0.1:{upstream}")
            print(proxy.listen.rsplit(":", 1)[1], flush=True)
            while line := await loop.run_in_executor(None, sys.stdin.readline):
                cmd = line.split()
                if cmd[0] == "latency":
                    proxy.add_toxic("latency", attributes={"latency": int(cmd[1])})
                elif cmd[0] == "clear":
                    proxy.remove_all_toxics()
                print("ok", flush=True)

    loop = new_event_loop(use_uvloop=loop_kind == "uvloop")
    loop.run_until_complete(main())


# -- helpers ------------------------------------------------------------------


class Child:
    def __init__(self, args: list[str]) -> None:
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        self.port = int(self.proc.stdout.readline())

    def command(self, line: str) -> None:
        assert self.proc.stdin is not None
        assert self.proc.stdout is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        assert self.proc.stdout.readline().strip() == "ok"

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            assert self.proc.stdin is not None
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class HttpProxy:
    """A proxy server driven through Toxiproxy's HTTP API, in its own process."""

    def __init__(self, command: list[str], upstream: int) -> None:
        self.api = free_port()
        self.proc = subprocess.Popen(
            [*command, "-host" if command[0] == str(TOXIPROXY) else "--host", "127.0.0.1",
             "-port" if command[0] == str(TOXIPROXY) else "--port", str(self.api)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env={**os.environ, "LOG_LEVEL": "error"},
        )  # fmt: skip
        deadline = time.monotonic() + 20
        while True:
            try:
                self.call("GET", "/version")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        self.port = free_port()
        self.call("POST", "/proxies", {"name": "bench", "listen": f"127.0.0.1:{self.port}",
                                        "upstream": f"127.0.0.1:{upstream}"})  # fmt: skip

    def call(self, method: str, path: str, body: Any = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(f"http://127.0.0.1:{self.api}{path}", data, method=method)
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.read()

    def command(self, line: str) -> None:
        cmd = line.split()
        if cmd[0] == "latency":
            self.call("POST", "/proxies/bench/toxics",
                      {"type": "latency", "attributes": {"latency": int(cmd[1])}})  # fmt: skip
        elif cmd[0] == "clear":
            self.call("DELETE", "/proxies/bench/toxics/latency_downstream")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


@contextlib.contextmanager
def socat(upstream: int) -> Iterator[int | None]:
    exe = shutil.which("socat")
    if exe is None:
        yield None
        return
    port = free_port()
    proc = subprocess.Popen(
        [exe, f"TCP-LISTEN:{port},bind=127.0.0.1,reuseaddr,fork", f"TCP:127.0.0.1:{upstream}"]
    )
    try:
        deadline = time.monotonic() + 5
        while True:
            try:
                socket.create_connection(("127.0.0.1", port)).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)


# -- measurements -------------------------------------------------------------


def bulk(port: int) -> float:
    """MB/s of a one-way transfer to the sink, for about BULK_SECONDS."""
    block = b"S" + os.urandom((1 << 20) - 1)
    with socket.create_connection(("127.0.0.1", port)) as s:
        sent = 0
        start = time.perf_counter()
        while time.perf_counter() - start < BULK_SECONDS:
            for _ in range(16):
                s.sendall(block)
            sent += 16
        acks = 0
        while acks < sent:
            part = s.recv(4096)
            assert part, "the connection closed before every MiB was acknowledged"
            acks += len(part)
        elapsed = time.perf_counter() - start
    return sent * (1 << 20) / elapsed / 1e6


def round_trips(port: int, count: int = RR_COUNT, size: int = RR_SIZE) -> list[float]:
    """Round-trip times in µs of `size`-byte messages, one at a time."""
    msg = b"E" * size
    out: list[float] = []
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for _ in range(50):  # warm-up
            s.sendall(msg)
            got = 0
            while got < size:
                got += len(s.recv(size - got))
        for _ in range(count):
            t = time.perf_counter()
            s.sendall(msg)
            got = 0
            while got < size:
                got += len(s.recv(size - got))
            out.append((time.perf_counter() - t) * 1e6)
    return out


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def idle(port: int, pid: int, count: int) -> tuple[int, float]:
    """Open `count` idle connections through a proxy; (held, KiB per connection)."""
    before = rss_kib(pid)
    socks: list[socket.socket] = []
    try:
        for _ in range(count):
            try:
                socks.append(socket.create_connection(("127.0.0.1", port), timeout=5))
            except OSError:
                break
        time.sleep(0.5)  # let the proxy dial the upstream for the last accepts
        alive = 0
        for s in socks[:: max(1, len(socks) // 200)]:  # every connection can't be pinged fast
            s.sendall(b"E")
            with contextlib.suppress(OSError):
                alive += s.recv(1) == b"E"
        after = rss_kib(pid)
        sampled = len(socks[:: max(1, len(socks) // 200)])
        held = len(socks) if alive == sampled else alive
        return held, (after - before) / max(len(socks), 1)
    finally:
        for s in socks:
            s.close()
        time.sleep(0.5)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--role", default="bench")
    parser.add_argument("--upstream", type=int, default=0)
    parser.add_argument("--loop", default="uvloop", choices=["uvloop", "asyncio"])
    parser.add_argument("--conns", type=int, default=9000)
    args = parser.parse_args()
    if args.role == "server":
        role_server()
        return
    if args.role == "chaoslab":
        role_chaoslab(args.upstream, args.loop)
        return
    run(args)


def run(args: argparse.Namespace) -> None:
    limit = _raise_nofile()
    # The proxy holds two sockets per connection; keep under the fd limit.
    conns = min(args.conns, (limit - 200) // 2)
    started = time.monotonic()
    server = Child([sys.executable, str(HERE), "--role", "server"])
    chaos = Child([sys.executable, str(HERE), "--role", "chaoslab", "--loop", args.loop,
                   "--upstream", str(server.port)])  # fmt: skip
    toxi = HttpProxy([str(TOXIPROXY)], server.port) if TOXIPROXY.exists() else None
    cli = shutil.which("chaoslab") or str(Path(sys.executable).with_name("chaoslab"))
    serve = HttpProxy([cli, "proxy", "serve"], server.port) if Path(cli).exists() else None
    results: dict[str, dict[str, Any]] = {}
    try:
        with socat(server.port) as socat_port:
            targets: dict[str, int | None] = {
                "direct": server.port,
                "chaoslab": chaos.port,
                "serve": serve.port if serve else None,
                "toxiproxy": toxi.port if toxi else None,
                "socat": socat_port,
            }
            for name, port in targets.items():
                if port is None:
                    continue
                rtt = round_trips(port)
                results[name] = {"mbps": bulk(port), "p50": pct(rtt, 0.5), "p99": pct(rtt, 0.99)}
        for name, target, pid in (
            ("chaoslab", chaos, chaos.proc.pid),
            ("serve", serve, serve.proc.pid if serve else 0),
            ("toxiproxy", toxi, toxi.proc.pid if toxi else 0),
        ):
            if target is None:
                continue
            for ms, n in ((10, 300), (100, 30)):
                target.command(f"latency {ms}")
                rtt = [v / 1000 for v in round_trips(target.port, count=n)]
                target.command("clear")
                results[name][f"lat{ms}"] = (pct(rtt, 0.5), pct(rtt, 0.99))
            results[name]["idle"] = idle(target.port, pid, conns)
    finally:
        chaos.stop()
        for proc in (toxi, serve):
            if proc is not None:
                proc.stop()
        server.stop()
    report(results, conns, args.loop, time.monotonic() - started)


def report(results: dict[str, dict[str, Any]], conns: int, loop: str, took: float) -> None:
    direct, toxi = results["direct"], results.get("toxiproxy")
    print(f"\nchaoslab proxy benchmark (127.0.0.1, loop={loop}, {os.cpu_count()} CPUs)")
    print(f"{'target':<10} {'MB/s':>8} {'x direct':>9} {'x toxi':>7} "
          f"{'p50 µs':>8} {'+p50 µs':>8} {'p99 µs':>8}")  # fmt: skip
    for name, r in results.items():
        vs_toxi = f"{r['mbps'] / toxi['mbps']:.2f}" if toxi else "-"
        print(f"{name:<10} {r['mbps']:>8.0f} {r['mbps'] / direct['mbps']:>9.2f} {vs_toxi:>7} "
              f"{r['p50']:>8.1f} {r['p50'] - direct['p50']:>8.1f} {r['p99']:>8.1f}")  # fmt: skip
    if "socat" not in results:
        print("socat: not installed (apt-get install socat), row skipped")
    print("\nlatency toxic (downstream), round trip in ms: requested -> p50 / p99 (p99 overshoot)")
    for name in ("chaoslab", "serve", "toxiproxy"):
        row = results.get(name)
        if row is None:
            continue
        for ms in (10, 100):
            p50, p99 = row[f"lat{ms}"]
            print(f"{name:<10} {ms:>4} ms -> {p50:7.2f} / {p99:7.2f}  (+{p99 - ms:.2f} ms)")
    print(f"\nidle connections (asked {conns}; fd limit allows 2 per connection in the proxy)")
    for name in ("chaoslab", "serve", "toxiproxy"):
        row = results.get(name)
        if row is not None:
            held, kib = row["idle"]
            print(f"{name:<10} held {held:>6}  memory {kib:6.1f} KiB/connection")
    print(f"\n(took {took:.0f} s)")


if __name__ == "__main__":
    main()
