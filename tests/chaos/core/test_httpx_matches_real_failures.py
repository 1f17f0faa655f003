"""Differential: each injected failure is what httpx raises for the real one.

A raw TCP server on 127.0.0.1 resets the connection, or cuts a body short;
a closed port refuses. httpx's exception for each real failure must be the
class the seam's injected exception derives from.
"""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Callable

import httpx
import pytest

from chaoslab.adapters import ChaosTransport
from chaoslab.errors import InjectedFault
from chaoslab.faults import ConnectionRefused, ConnectionReset, DropMidStream, Fault
from chaoslab.inject import FaultInjector
from chaoslab.services import free_port

pytestmark = pytest.mark.chaos_network

HEAD = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
EVENT = b"data: token 0\n\n"


def _reset(conn: socket.socket) -> None:
    # SO_LINGER with a zero timeout makes close() send RST, as a crashed peer does.
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()


def _cut_mid_body(conn: socket.socket) -> None:
    conn.sendall(HEAD + f"{len(EVENT):x}\r\n".encode() + EVENT + b"\r\n")
    conn.close()


def _one_shot_server(behaviour: Callable[[socket.socket], None]) -> tuple[str, threading.Thread]:
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(10)

    def serve() -> None:
        with listener:
            conn, _ = listener.accept()
            conn.recv(65536)
            behaviour(conn)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return f"http://127.0.0.1:{listener.getsockname()[1]}/v1/stream", thread


def _closed_port_url() -> str:
    return f"http://127.0.0.1:{free_port()}/v1/stream"


def _read(client: httpx.Client, url: str) -> BaseException:
    try:
        with client.stream("GET", url) as response:
            for _ in response.iter_raw():
                pass
    except httpx.HTTPError as exc:
        return exc
    raise AssertionError("no failure")


@pytest.mark.parametrize(
    ("behaviour", "fault"),
    [
        (_reset, ConnectionReset()),
        (_cut_mid_body, DropMidStream(after_events=1)),
        (None, ConnectionRefused()),
    ],
    ids=["reset", "cut-mid-body", "refused"],
)
def test_injected_failure_has_the_real_failures_class(
    behaviour: Callable[[socket.socket], None] | None, fault: Fault
) -> None:
    thread = None
    if behaviour is None:
        url = _closed_port_url()
    else:
        url, thread = _one_shot_server(behaviour)
    with httpx.Client(timeout=5) as client:
        real = _read(client, url)
    if thread is not None:
        thread.join(5)

    # The injected twin, through the seam, against a server that would answer fully.
    def full_stream(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=EVENT * 3)

    chaos = FaultInjector(seed=1)
    chaos.inject("http.*", fault)
    transport = ChaosTransport(httpx.MockTransport(full_stream), injector=chaos)
    with httpx.Client(transport=transport) as client:
        injected = _read(client, "http://127.0.0.1:9/v1/stream")

    assert isinstance(injected, InjectedFault)
    assert isinstance(injected, type(real))
    assert type(injected).__mro__[2] is type(real)  # Injected*, InjectedFault, then httpx's
