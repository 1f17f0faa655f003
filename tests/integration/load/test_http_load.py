"""The load generator against a real aiohttp server on 127.0.0.1, in real time."""

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from chaoslab.load import ClosedLoop, HttpTarget, LoadGenerator, OpenLoop


class Server:
    """/slow answers in 20 ms, /fail with 503, /gate holds a stretch of arrivals (see `hold`)."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.gate.set()
        self.arrived = 0
        self.hold = range(0)  # arrivals (0-based) kept waiting ...
        self.release_at = 0  # ... until this arrival opens the gate
        self.url = ""

    async def slow(self, _: web.Request) -> web.Response:
        await asyncio.sleep(0.020)
        return web.Response(text="ok")

    async def fail(self, _: web.Request) -> web.Response:
        return web.Response(status=503, text="busy")

    async def gated(self, _: web.Request) -> web.Response:
        index = self.arrived
        self.arrived += 1
        if index in self.hold:
            self.gate.clear()
        elif index >= self.release_at:
            self.gate.set()
        await self.gate.wait()
        return web.Response(text="ok")


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    srv = Server()
    app = web.Application()
    app.router.add_get("/slow", srv.slow)
    app.router.add_get("/fail", srv.fail)
    app.router.add_get("/gate", srv.gated)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    srv.url = f"http://127.0.0.1:{port}"
    yield srv
    await runner.cleanup()


async def test_percentiles_match_a_known_server_latency(server: Server) -> None:
    gen = LoadGenerator(
        HttpTarget(f"{server.url}/slow"), ClosedLoop(users=10), duration=1.0, max_requests=5_000
    )
    result = await gen.run_async()
    overall = result.overall
    assert overall.errors == 0
    assert overall.requests > 100
    assert overall.p50 is not None
    assert overall.p99 is not None
    # 20 ms of server sleep plus loopback and timer slack.
    assert 0.019 <= overall.p50 <= 0.040
    assert overall.p99 < 0.2
    assert result.slices[0].requests > 0


async def test_open_loop_shows_a_real_stall_in_the_requests_due_during_it(server: Server) -> None:
    gen = LoadGenerator(
        HttpTarget(f"{server.url}/gate"), OpenLoop(rate=100), duration=3.0, max_requests=10_000
    )
    # The stall follows the run's own progress, not the test's timers: at
    # 100 req/s the requests due in the second second are arrivals 100-199;
    # the server holds them until arrival 200 (due at 2.0 s) opens the gate.
    server.hold = range(100, 200)
    server.release_at = 200
    result = await gen.run_async()
    s0, s1, s2 = result.slices[:3]
    assert s0.p99 is not None
    assert s0.p99 < 0.1
    # Due from 1.0 to 2.0 s, all answered at about 2.0 s: latencies 1.0 .. 0 s.
    assert s1.requests == 100
    assert s1.p50 == pytest.approx(0.5, abs=0.1)
    assert s1.max == pytest.approx(1.0, abs=0.1)
    assert s2.p50 is not None
    assert s2.p50 < 0.1
    assert result.overall.errors == 0


async def test_statuses_and_refused_connections_are_error_kinds(server: Server) -> None:
    gen = LoadGenerator(
        HttpTarget(f"{server.url}/fail"), OpenLoop(rate=200), duration=0.25, max_requests=50
    )
    result = await gen.run_async()
    assert result.overall.errors_by_kind == {"HTTP 503": 50}
    assert result.overall.error_rate == 1.0

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    gen = LoadGenerator(
        HttpTarget(f"http://127.0.0.1:{port}/"), ClosedLoop(users=1), duration=0.2, max_requests=5
    )
    result = await gen.run_async()
    assert result.overall.errors_by_kind == {"ConnectionRefusedError": 5}


async def test_thread_runner_gives_live_snapshots_and_stops(server: Server) -> None:
    gen = LoadGenerator(
        HttpTarget(f"{server.url}/slow"), OpenLoop(rate=100), duration=30.0, max_requests=100_000
    )
    thread = gen.start_in_thread()  # its own loop (uvloop when installed), in a thread
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10.0
    while (snap := thread.snapshot(window=5.0)).requests <= 20:
        assert loop.time() < deadline, "the live snapshot saw no traffic in 10 s"
        await asyncio.sleep(0.05)  # polling the condition, bounded by the deadline
    assert snap.p50 is not None
    # The server takes 20 ms; how much more depends on the machine's load, so
    # only the bound that cannot move is asserted (accuracy: test above).
    assert snap.p50 >= 0.019
    assert snap.error_rate == 0.0
    assert not thread.wait(0)
    thread.stop()
    assert await asyncio.to_thread(thread.wait, 5.0)
    result = await asyncio.to_thread(thread.join, 5.0)
    assert result.duration < 3.0
    assert result.overall.errors == 0
