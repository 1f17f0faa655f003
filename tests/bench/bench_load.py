"""Maximum request rate of chaoslab's load generator on one core, next to Locust, in the same run.

A local HTTP server runs on one CPU (nginx when installed, else an aiohttp
server on uvloop); each client runs in its own process pinned to another
CPU, 50 concurrent users, keep-alive, for a few seconds, against the same
URL. Printed: requests/s and the ratio to Locust's FastHttpUser. The clients
take turns for `--rounds` rounds and each keeps its best round, so that a
burst of other work on the machine does not decide the ranking.

Run:
    python tests/bench/bench_load.py [--seconds 4] [--rounds 2] [--users 50]
                                     [--server auto|nginx|aiohttp]

Clients:
- chaoslab closed loop (uvloop when installed, and plain asyncio): the whole
  generator, HDR histograms, slices and all;
- aiohttp alone (same session settings, no measurement): the ceiling of the
  chosen client, so the generator's own overhead shows;
- Locust FastHttpUser and HttpUser (its library API, measured once all
  users are spawned).

Ranked by requests per second of the client's own CPU time, which is its
rate on one dedicated core even when other work shares the machine; the
wall-clock rate and CPU share are printed beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

CLIENT_CPU, SERVER_CPU = 0, 1
NGINX_CONF = """
worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {dir}/body; proxy_temp_path {dir}/proxy;
  fastcgi_temp_path {dir}/fcgi; uwsgi_temp_path {dir}/uwsgi; scgi_temp_path {dir}/scgi;
  keepalive_requests 10000000;
  server {{ listen 127.0.0.1:{port}; location / {{ return 200 "ok\\n"; }} }}
}}
"""


def _pin(cpu: int) -> None:
    if hasattr(os, "sched_setaffinity") and cpu in os.sched_getaffinity(0):
        os.sched_setaffinity(0, {cpu})


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"the server did not listen on port {port}")


def start_server(kind: str, folder: Path) -> tuple[subprocess.Popen[bytes], str, str]:
    """Start the server pinned to SERVER_CPU; returns the process, its URL and its name."""
    port = _free_port()
    nginx = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if kind == "nginx" or (kind == "auto" and nginx):
        if nginx is None:
            raise SystemExit("nginx is not installed")
        conf = folder / "nginx.conf"
        conf.write_text(NGINX_CONF.format(dir=folder, port=port), encoding="utf-8")
        cmd = [nginx, "-c", str(conf), "-e", str(folder / "error.log")]
        name = "nginx (1 worker)"
    else:
        cmd = [sys.executable, __file__, "--serve", str(port)]
        name = "aiohttp on uvloop"
    proc = subprocess.Popen(cmd, preexec_fn=lambda: _pin(SERVER_CPU))  # noqa: PLW1509
    _wait_for(port)
    return proc, f"http://127.0.0.1:{port}/", name


def serve(port: int) -> None:
    """The fallback server: aiohttp on uvloop, one process."""
    from aiohttp import web

    async def ok(_: web.Request) -> web.Response:
        return web.Response(text="ok\n")

    app = web.Application()
    app.router.add_get("/", ok)
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


# -- clients, each run in a child process pinned to CLIENT_CPU -------------------


def client_chaoslab(url: str, users: int, seconds: float, use_uvloop: bool) -> dict[str, Any]:
    from chaoslab.load import ClosedLoop, HttpTarget, LoadGenerator

    gen = LoadGenerator(
        HttpTarget(url), ClosedLoop(users=users), duration=seconds, max_requests=100_000_000
    )
    cpu = time.process_time()
    result = gen.run(use_uvloop=use_uvloop)
    cpu = time.process_time() - cpu
    o = result.overall
    return {
        "requests": o.requests,
        "errors": o.errors,
        "seconds": result.duration,
        "cpu": cpu,
        "p50": o.p50,
        "p99": o.p99,
    }


def client_aiohttp(url: str, users: int, seconds: float) -> dict[str, Any]:
    import asyncio

    import aiohttp
    import uvloop
    from yarl import URL

    async def main() -> dict[str, Any]:
        target, count = URL(url), 0
        connector = aiohttp.TCPConnector(limit=users, limit_per_host=0, ttl_dns_cache=None)
        async with aiohttp.ClientSession(connector=connector) as session:
            start, cpu = time.monotonic(), time.process_time()
            end = start + seconds

            async def user() -> None:
                nonlocal count
                while time.monotonic() < end:
                    async with session.get(target) as response:
                        await response.read()
                    count += 1

            await asyncio.gather(*(user() for _ in range(users)))
            return {
                "requests": count,
                "errors": 0,
                "seconds": time.monotonic() - start,
                "cpu": time.process_time() - cpu,
            }

    return uvloop.run(main())


def client_locust(url: str, users: int, seconds: float, fast: bool) -> dict[str, Any]:
    """Locust through its library API, measured once every user is spawned."""
    import gevent
    from locust import HttpUser, task
    from locust.contrib.fasthttp import FastHttpUser
    from locust.env import Environment

    base: Any = FastHttpUser if fast else HttpUser

    class User(base):  # type: ignore[misc]
        host = url.rstrip("/")

        @task  # type: ignore[untyped-decorator,unused-ignore]  # locust is absent in CI
        def get(self) -> None:
            self.client.get("/")

    env = Environment(user_classes=[User])
    runner = env.create_local_runner()
    runner.start(users, spawn_rate=users)
    while runner.user_count < users:
        gevent.sleep(0.05)
    gevent.sleep(0.2)
    stats = env.stats.total
    n0, f0, t0, c0 = stats.num_requests, stats.num_failures, time.monotonic(), time.process_time()
    gevent.sleep(seconds)
    n1, f1, t1, c1 = stats.num_requests, stats.num_failures, time.monotonic(), time.process_time()
    runner.quit()
    return {
        "requests": n1 - n0,
        "errors": f1 - f0,
        "seconds": t1 - t0,
        "cpu": c1 - c0,
        "p50": None,
        "p99": None,
    }


def run_child(name: str, url: str, users: int, seconds: float) -> dict[str, Any]:
    cmd = [
        sys.executable,
        __file__,
        "--child",
        name,
        "--url",
        url,
        "--users",
        str(users),
        "--seconds",
        str(seconds),
    ]
    out = subprocess.run(
        cmd,
        capture_output=True,
        check=True,
        timeout=seconds + 30,
        preexec_fn=lambda: _pin(CLIENT_CPU),
    )
    result: dict[str, Any] = json.loads(out.stdout.decode().strip().splitlines()[-1])
    return result


def child(name: str, url: str, users: int, seconds: float) -> None:
    _pin(CLIENT_CPU)
    if name == "chaoslab-uvloop":
        result = client_chaoslab(url, users, seconds, use_uvloop=True)
    elif name == "chaoslab-asyncio":
        result = client_chaoslab(url, users, seconds, use_uvloop=False)
    elif name.startswith("locust"):
        result = client_locust(url, users, seconds, fast=name == "locust-fast")
    else:
        result = client_aiohttp(url, users, seconds)
    print(json.dumps(result))


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value * 1000:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--server", choices=["auto", "nginx", "aiohttp"], default="auto")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return
    if args.child:
        child(args.child, args.url, args.users, args.seconds)
        return
    if len(os.sched_getaffinity(0)) < 2:
        print("warning: fewer than 2 CPUs: server and client share one", file=sys.stderr)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        server, url, server_name = start_server(args.server, folder)
        try:
            rounds = [measure(url, args.users, args.seconds) for _ in range(args.rounds)]
            rows = best(rounds)
        finally:
            server.terminate()
            server.wait(timeout=10)
    report(rows, server_name, args.users, args.seconds)


def measure(url: str, users: int, seconds: float) -> list[tuple[str, dict[str, Any]]]:
    rows: list[tuple[str, dict[str, Any]]] = []
    try:
        import uvloop  # noqa: F401

        rows.append(("chaoslab, uvloop", run_child("chaoslab-uvloop", url, users, seconds)))
        rows.append(("aiohttp alone, uvloop (ceiling)", run_child("aiohttp", url, users, seconds)))
    except ImportError:
        print("uvloop not installed: pip install 'chaoslab[fast]'", file=sys.stderr)
    rows.append(("chaoslab, asyncio", run_child("chaoslab-asyncio", url, users, seconds)))
    rows.append(("Locust FastHttpUser", run_child("locust-fast", url, users, seconds)))
    rows.append(("Locust HttpUser", run_child("locust-http", url, users, seconds)))
    return rows


def _rate(r: dict[str, Any]) -> float:
    # Requests per second of the client's own CPU time: what one dedicated core
    # would send, whatever else the machine was doing meanwhile.
    return float(r["requests"] / max(r["cpu"], 1e-9))


def best(rounds: list[list[tuple[str, dict[str, Any]]]]) -> list[tuple[str, dict[str, Any]]]:
    """Per client, the round with the highest rate."""
    out = []
    for i, (name, _) in enumerate(rounds[0]):
        tries = [r[i][1] for r in rounds]
        out.append((name, max(tries, key=_rate)))
    return out


def report(rows: list[tuple[str, dict[str, Any]]], server: str, users: int, seconds: float) -> None:
    reference = _rate(dict(rows)["Locust FastHttpUser"])
    print(
        f"\nserver: {server} on CPU {SERVER_CPU}; clients on CPU {CLIENT_CPU}; "
        f"{users} users, keep-alive, {seconds:g} s per round, best round"
    )
    print("req/CPU-s = requests per second of the client's CPU time (its rate on one whole core)\n")
    print(
        f"{'client':32} {'requests':>9} {'errors':>6} {'req/s':>7} {'CPU %':>6} "
        f"{'req/CPU-s':>9} {'vs FastHttpUser':>15} {'p50 ms':>7} {'p99 ms':>7}"
    )
    for name, r in rows:
        print(
            f"{name:32} {r['requests']:9d} {r['errors']:6d} {r['requests'] / r['seconds']:7.0f} "
            f"{100 * r['cpu'] / r['seconds']:5.0f}% {_rate(r):9.0f} "
            f"{_rate(r) / reference:14.2f}x {_ms(r.get('p50')):>7} {_ms(r.get('p99')):>7}"
        )


if __name__ == "__main__":
    main()
