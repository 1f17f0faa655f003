"""The data-path experiments behind chaoslab's proxy: which pass-through is fastest?

Run: python tests/bench/bench_proxy_datapath.py

Each candidate is a bare forwarder (no toxics, no registry) run in its own
process between the same client and server as bench_proxy.py:

- streams:        asyncio streams, read() -> write() + drain()
- protocol:       asyncio Protocols, data_received -> transport.write, pause/resume_reading
- recv_into:      loop.sock_recv_into a reused buffer -> loop.sock_sendall
- splice:         os.splice through a pipe, driven by loop readers/writers (Linux)
- *-uvloop:       the same on uvloop
- chaoslab:       the real chaoslab proxy (uvloop), for reference

Prints bulk MB/s and round-trip p50/p99 µs per candidate, against direct.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import os
import socket
import sys
from pathlib import Path
from typing import Any, cast

sys.path.insert(0, str(Path(__file__).resolve().parent))
bp: Any = importlib.import_module("bench_proxy")  # the shared client and server
_tasks: set[asyncio.Task[Any]] = set()  # keep background tasks referenced


def _spawn(loop: asyncio.AbstractEventLoop, coro: Any) -> None:
    task = loop.create_task(coro)
    _tasks.add(task)
    task.add_done_callback(_tasks.discard)


HERE = Path(__file__).resolve()
KINDS = ["streams", "protocol", "recv_into", "splice", "streams-uvloop", "protocol-uvloop",
         "recv_into-uvloop", "splice-uvloop"]  # fmt: skip


async def _streams(upstream: int) -> asyncio.AbstractServer:
    async def pipe(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        try:
            while data := await r.read(65536):
                w.write(data)
                await w.drain()
        except ConnectionError:
            pass
        finally:
            w.close()

    async def handle(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        ur, uw = await asyncio.open_connection("127.0.0.1", upstream)
        with contextlib.suppress(asyncio.CancelledError):  # the process is exiting
            await asyncio.gather(pipe(r, uw), pipe(ur, w))

    return await asyncio.start_server(handle, "127.0.0.1", 0)


class _Side(asyncio.Protocol):
    def __init__(self) -> None:
        self.peer: _Side | None = None
        self.transport: asyncio.Transport | None = None
        self.pending: list[bytes] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        if self.peer is not None and self.peer.transport is not None:
            self.peer.transport.write(data)
        else:
            self.pending.append(data)

    def pause_writing(self) -> None:
        if self.peer is not None and self.peer.transport is not None:
            self.peer.transport.pause_reading()

    def resume_writing(self) -> None:
        if self.peer is not None and self.peer.transport is not None:
            self.peer.transport.resume_reading()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.peer is not None and self.peer.transport is not None:
            self.peer.transport.close()


async def _protocol(upstream: int) -> asyncio.AbstractServer:
    loop = asyncio.get_running_loop()

    def factory() -> _Side:
        client = _Side()

        async def dial() -> None:
            up = _Side()
            await loop.create_connection(lambda: up, "127.0.0.1", upstream)
            client.peer, up.peer = up, client
            assert up.transport is not None
            for data in client.pending:
                up.transport.write(data)

        _spawn(loop, dial())
        return client

    return await loop.create_server(factory, "127.0.0.1", 0)


async def _recv_into(upstream: int) -> asyncio.AbstractServer:
    loop = asyncio.get_running_loop()

    async def pipe(src: socket.socket, dst: socket.socket) -> None:
        buf = bytearray(256 * 1024)
        view = memoryview(buf)
        try:
            while n := await loop.sock_recv_into(src, buf):
                await loop.sock_sendall(dst, view[:n])
        except OSError:
            pass
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_WR)

    async def both(client: socket.socket, up: socket.socket) -> None:
        await asyncio.gather(pipe(client, up), pipe(up, client))
        client.close()
        up.close()

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    listener.setblocking(False)

    async def accept() -> None:
        while True:
            client, _ = await loop.sock_accept(listener)
            client.setblocking(False)
            up = socket.socket()
            up.setblocking(False)
            await loop.sock_connect(up, ("127.0.0.1", upstream))
            for s in (client, up):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            _spawn(loop, both(client, up))

    _spawn(loop, accept())
    return cast(asyncio.AbstractServer, _Fake(listener))


class _Fake:
    def __init__(self, sock: socket.socket) -> None:
        self.sockets = [sock]


class _Splicer:
    """src -> pipe -> dst with os.splice; readers/writers give backpressure."""

    def __init__(self, loop: asyncio.AbstractEventLoop, src: socket.socket, dst: socket.socket):
        self.loop, self.src, self.dst = loop, src, dst
        self.r, self.w = os.pipe2(os.O_NONBLOCK)
        self.inpipe = 0
        loop.add_reader(src.fileno(), self.on_readable)

    def on_readable(self) -> None:
        try:
            n = os.splice(self.src.fileno(), self.w, 1 << 20, flags=os.SPLICE_F_MOVE | 1)
        except BlockingIOError:
            return
        except OSError:
            n = 0
        if n == 0:
            self.loop.remove_reader(self.src.fileno())
            with contextlib.suppress(OSError):
                self.dst.shutdown(socket.SHUT_WR)
            return
        self.inpipe += n
        self.flush()

    def flush(self) -> None:
        while self.inpipe:
            try:
                n = os.splice(self.r, self.dst.fileno(), self.inpipe, flags=os.SPLICE_F_MOVE | 1)
            except BlockingIOError:
                self.loop.remove_reader(self.src.fileno())
                self.loop.add_writer(self.dst.fileno(), self.on_writable)
                return
            self.inpipe -= n

    def on_writable(self) -> None:
        self.loop.remove_writer(self.dst.fileno())
        self.loop.add_reader(self.src.fileno(), self.on_readable)
        self.flush()


async def _splice(upstream: int) -> asyncio.AbstractServer:
    loop = asyncio.get_running_loop()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    listener.setblocking(False)
    keep: list[_Splicer] = []

    async def accept() -> None:
        while True:
            client, _ = await loop.sock_accept(listener)
            client.setblocking(False)
            up = socket.socket()
            up.setblocking(False)
            await loop.sock_connect(up, ("127.0.0.1", upstream))
            for s in (client, up):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            keep.extend([_Splicer(loop, client, up), _Splicer(loop, up, client)])

    _spawn(loop, accept())
    return cast(asyncio.AbstractServer, _Fake(listener))


def role_fwd(kind: str, upstream: int) -> None:
    base, _, flavour = kind.partition("-")
    start = {"streams": _streams, "protocol": _protocol, "recv_into": _recv_into,
             "splice": _splice}[base]  # fmt: skip

    async def main() -> None:
        server: Any = await start(upstream)
        print(server.sockets[0].getsockname()[1], flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)

    if flavour == "uvloop":
        import uvloop

        uvloop.run(main())
    else:
        asyncio.run(main())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--role", default="bench")
    parser.add_argument("--kind", default="")
    parser.add_argument("--upstream", type=int, default=0)
    args = parser.parse_args()
    if args.role == "fwd":
        role_fwd(args.kind, args.upstream)
        return
    server = bp.Child([sys.executable, str(bp.HERE), "--role", "server"])
    rows: dict[str, tuple[float, float, float]] = {}
    try:
        children = {k: [sys.executable, str(HERE), "--role", "fwd", "--kind", k,
                        "--upstream", str(server.port)] for k in KINDS}  # fmt: skip
        children["chaoslab"] = [sys.executable, str(bp.HERE), "--role", "chaoslab",
                                "--upstream", str(server.port)]  # fmt: skip
        rtt = bp.round_trips(server.port)
        rows["direct"] = (bp.bulk(server.port), bp.pct(rtt, 0.5), bp.pct(rtt, 0.99))
        for name, cmd in children.items():
            child = bp.Child(cmd)
            try:
                rtt = bp.round_trips(child.port)
                rows[name] = (bp.bulk(child.port), bp.pct(rtt, 0.5), bp.pct(rtt, 0.99))
            finally:
                child.stop()
    finally:
        server.stop()
    direct = rows["direct"]
    print(f"{'candidate':<18} {'MB/s':>7} {'x direct':>9} {'p50 µs':>8} {'p99 µs':>8}")
    for name, (mbps, p50, p99) in rows.items():
        print(f"{name:<18} {mbps:>7.0f} {mbps / direct[0]:>9.2f} {p50:>8.1f} {p99:>8.1f}")


if __name__ == "__main__":
    main()
