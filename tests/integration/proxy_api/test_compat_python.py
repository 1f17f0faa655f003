"""toxiproxy-python and chaostoolkit-toxiproxy drive `chaoslab proxy serve` unchanged.

Each call is checked by traffic through the proxy to a real echo server on
127.0.0.1, not only by the API's answer.
"""

from __future__ import annotations

import socket
import time
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.proxy_api._support import (
    ServerProcess,
    chaoslab_serve,
    echo_server,
    read_until_closed,
    refuses,
    round_trip,
)

with warnings.catch_warnings():
    # toxiproxy-python imports the `future` compatibility package, which may warn.
    warnings.simplefilter("ignore")
    from toxiproxy import Toxiproxy
    from toxiproxy.exceptions import NotFound, ProxyExists

from chaostoxi.proxy import actions as proxy_actions
from chaostoxi.proxy import probes as proxy_probes
from chaostoxi.toxic import actions as toxic_actions


@pytest.fixture(scope="module")
def echo() -> Iterator[int]:
    with echo_server() as port:
        yield port


@pytest.fixture(scope="module")
def other_echo() -> Iterator[int]:
    with echo_server(upper=True) as port:
        yield port


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    with chaoslab_serve("--seed", "2") as process:
        yield process
    code, output = process.stop()
    assert code == 0, output  # a graceful stop on SIGTERM
    assert "stopped" in output


@pytest.fixture
def toxiproxy(server: ServerProcess) -> Iterator[Toxiproxy]:
    client = Toxiproxy()
    host, port = server.url.removeprefix("http://").rsplit(":", 1)
    client.update_api_consumer(host, int(port))
    yield client
    client.destroy_all()


def test_toxiproxy_python_create_list_toxics_disable_destroy(
    toxiproxy: Toxiproxy, echo: int
) -> None:
    proxy = toxiproxy.create(upstream=f"127.0.0.1:{echo}", name="py_echo")
    port = int(proxy.listen.rsplit(":", 1)[1])
    assert round_trip(port)[0] == b"ping"
    assert set(toxiproxy.proxies()) == {"py_echo"}
    with pytest.raises(ProxyExists):
        toxiproxy.create(upstream=f"127.0.0.1:{echo}", name="py_echo")

    proxy.add_toxic(type="latency", attributes={"latency": 200})
    assert list(proxy.toxics()) == ["latency_downstream"]
    echoed, seconds = round_trip(port)
    assert (echoed, seconds >= 0.2) == (b"ping", True)

    proxy.destroy_toxic("latency_downstream")
    assert proxy.toxics() == {}
    assert round_trip(port)[1] < seconds

    proxy.disable()
    assert refuses(port)
    proxy.enable()
    assert round_trip(port)[0] == b"ping"
    with proxy.down():
        assert refuses(port)
    assert round_trip(port)[0] == b"ping"

    proxy.add_toxic(type="limit_data", attributes={"bytes": 3})
    assert read_until_closed(port, b"hello")[0] == b"hel"
    toxiproxy.reset()
    assert round_trip(port, b"hello")[0] == b"hello"

    assert "2.12.0" in toxiproxy.version().decode()
    toxiproxy.destroy(proxy)
    assert refuses(port)
    assert toxiproxy.get_proxy("py_echo") is None
    with pytest.raises(NotFound):
        proxy.destroy_toxic("latency_downstream")


@pytest.fixture
def configuration(server: ServerProcess) -> Iterator[dict[str, Any]]:
    config: dict[str, Any] = {"toxiproxy_url": server.url}
    yield config
    proxy_actions.reset(configuration=config)
    for name in ("ctk_echo",):
        proxy_actions.delete_proxy(name, configuration=config)


def _ctk_port(config: dict[str, Any]) -> int:
    return int(config["ctk_echo_PORT"])


def test_chaostoolkit_proxy_actions_and_probes(
    configuration: dict[str, Any], echo: int, other_echo: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # create_proxy also exports <name>_PORT to os.environ; keep the test's env clean.
    monkeypatch.delenv("ctk_echo_PORT", raising=False)
    assert proxy_actions.create_proxy(
        "ctk_echo", "127.0.0.1", echo, listen_host="127.0.0.1", configuration=configuration
    )
    port = _ctk_port(configuration)
    assert round_trip(port)[0] == b"ping"
    assert proxy_probes.proxy_exist("ctk_echo", configuration=configuration)
    assert not proxy_probes.proxy_exist("nope", configuration=configuration)
    assert proxy_probes.get_proxy_attribute("ctk_echo", "upstream", configuration) == (
        f"127.0.0.1:{echo}"
    )

    assert proxy_actions.disable_proxy("ctk_echo", configuration=configuration)
    assert refuses(port)
    assert proxy_actions.enable_proxy("ctk_echo", configuration=configuration)
    assert round_trip(port)[0] == b"ping"

    # Point the proxy at the other echo server, which answers in capitals.
    assert proxy_actions.modify_proxy(
        "ctk_echo", upstream_address=f"127.0.0.1:{other_echo}", configuration=configuration
    )
    port = _ctk_port(configuration)
    assert proxy_probes.get_proxy_attribute("ctk_echo", "upstream", configuration) == (
        f"127.0.0.1:{other_echo}"
    )
    assert round_trip(port)[0] == b"PING"

    proxy_actions.delete_proxy("ctk_echo", configuration=configuration)
    assert refuses(port)
    assert not proxy_probes.proxy_exist("ctk_echo", configuration=configuration)


def test_chaostoolkit_toxic_actions(
    configuration: dict[str, Any], echo: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ctk_echo_PORT", raising=False)
    proxy_actions.create_proxy(
        "ctk_echo", "127.0.0.1", echo, listen_host="127.0.0.1", configuration=configuration
    )
    port = _ctk_port(configuration)
    cfg = configuration

    assert toxic_actions.create_latency_toxic("ctk_echo", "lat", 200, 0, configuration=cfg)
    assert round_trip(port)[1] >= 0.2
    assert toxic_actions.delete_toxic("ctk_echo", "lat", configuration=cfg)

    assert toxic_actions.create_bandwith_degradation_toxic("ctk_echo", "bw", 500, configuration=cfg)
    echoed, seconds = round_trip(port, b"x" * 200_000)
    # 200 kB at 500 KB/s: 0.4 s; even a generous first burst leaves well over 0.15 s.
    assert (len(echoed), seconds >= 0.15) == (200_000, True)
    assert toxic_actions.delete_toxic("ctk_echo", "bw", configuration=cfg)

    assert toxic_actions.create_slicer_toxic("ctk_echo", "sl", 10, 2, 1000, configuration=cfg)
    echoed, seconds = round_trip(port, b"y" * 1000)
    assert (echoed, seconds >= 0.09) == (b"y" * 1000, True)  # ~100 pieces, 1 ms apart
    assert toxic_actions.delete_toxic("ctk_echo", "sl", configuration=cfg)

    assert toxic_actions.create_limiter_toxic("ctk_echo", "lim", 4, configuration=cfg)
    assert read_until_closed(port, b"hello world")[0] == b"hell"
    assert toxic_actions.delete_toxic("ctk_echo", "lim", configuration=cfg)

    assert toxic_actions.create_timeout_toxic("ctk_echo", "to", 300, configuration=cfg)
    got, seconds = read_until_closed(port, b"hello")
    assert (got, seconds >= 0.3) == (b"", True)
    assert toxic_actions.delete_toxic("ctk_echo", "to", configuration=cfg)

    assert toxic_actions.create_slow_connection_close_toxic(
        "ctk_echo", "sc", 300, configuration=cfg
    )
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(b"bye")
        assert sock.recv(16) == b"bye"
        sock.shutdown(socket.SHUT_WR)
        start = time.perf_counter()
        assert sock.recv(16) == b""
        assert time.perf_counter() - start >= 0.29
    assert toxic_actions.delete_toxic("ctk_echo", "sc", configuration=cfg)

    assert toxic_actions.create_toxic(
        "ctk_echo", "any", "latency", attributes=None, configuration=cfg
    )
    assert proxy_actions.reset(configuration=cfg)
    assert proxy_probes.get_proxy_attribute("ctk_echo", "toxics", cfg) == []
    assert round_trip(port)[0] == b"ping"
