"""ProxyClient and AsyncProxyClient against a running server, checked by traffic."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from chaoslab.errors import ConfigError
from chaoslab.faults import Latency
from chaoslab.proxy import ProxyExists, ProxyNotFound, ToxicExists, ToxicNotFound
from chaoslab.proxy._client import AsyncProxyClient, ProxyClient
from tests.integration.proxy_api._support import (
    api_in_thread,
    echo_server,
    read_until_closed,
    refuses,
    round_trip,
)


@pytest.fixture(scope="module")
def echo() -> Iterator[int]:
    with echo_server() as port:
        yield port


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with api_in_thread(seed=9) as base:
        yield base


@pytest.fixture
def client(url: str) -> Iterator[ProxyClient]:
    with ProxyClient(url) as c:
        yield c
        for name in c.proxies():
            c.delete(name)


def test_create_get_list_update_delete(client: ProxyClient, echo: int) -> None:
    proxy = client.create("echo", upstream=f"127.0.0.1:{echo}")
    assert proxy.host == "127.0.0.1"
    assert proxy.port > 0
    assert round_trip(proxy.port)[0] == b"ping"
    assert client.get("echo").listen == proxy.listen
    assert list(client.proxies()) == ["echo"]
    with pytest.raises(ProxyExists):
        client.create("echo", upstream=f"127.0.0.1:{echo}")
    assert client.update("echo", enabled=False).enabled is False
    assert refuses(proxy.port)
    assert proxy.refresh().enabled is False
    proxy.enable()
    assert round_trip(proxy.port)[0] == b"ping"
    proxy.delete()
    assert refuses(proxy.port)
    with pytest.raises(ProxyNotFound):
        client.get("echo")


def test_toxic_context_managers_act_on_traffic(client: ProxyClient, echo: int) -> None:
    proxy = client.create("echo", upstream=f"127.0.0.1:{echo}")
    with proxy.latency(150) as toxic:
        assert toxic.name == "latency_downstream"
        assert [t.name for t in proxy.list_toxics()] == ["latency_downstream"]
        assert round_trip(proxy.port)[1] >= 0.15
    assert proxy.list_toxics() == []
    with proxy.limit_data(3):
        assert read_until_closed(proxy.port, b"hello")[0] == b"hel"
    with proxy.down():
        assert refuses(proxy.port)
    with proxy.apply(Latency(0.15)):
        assert round_trip(proxy.port)[1] >= 0.15
    assert round_trip(proxy.port, b"hello")[0] == b"hello"


def test_toxic_methods_and_errors(client: ProxyClient, echo: int) -> None:
    proxy = client.create("echo", upstream=f"127.0.0.1:{echo}")
    added = proxy.add_toxic("latency", stream="upstream", attributes={"latency": 5})
    assert (added.name, added.stream, added.attributes) == (
        "latency_upstream", "upstream", {"latency": 5, "jitter": 0},
    )  # fmt: skip
    updated = proxy.update_toxic("latency_upstream", attributes={"jitter": 2}, toxicity=0.5)
    assert (updated.attributes, updated.toxicity) == ({"latency": 5, "jitter": 2}, 0.5)
    assert proxy.get_toxic("latency_upstream") == updated
    with pytest.raises(ToxicExists):
        proxy.add_toxic("latency", stream="upstream")
    with pytest.raises(ConfigError, match=r"attributes\.latency"):
        proxy.add_toxic("latency", name="bad", attributes={"latency": -1})
    proxy.remove_toxic("latency_upstream")
    with pytest.raises(ToxicNotFound):
        proxy.remove_toxic("latency_upstream")
    stats = proxy.stats()
    assert stats["name"] == "echo"
    assert stats["connections_total"] == 0
    kinds = [e["kind"] for e in client.events("proxy.toxic")]
    assert kinds[-3:] == ["proxy.toxic_added", "proxy.toxic_updated", "proxy.toxic_removed"]


def test_populate_reset_version(client: ProxyClient, echo: int) -> None:
    made = client.populate([{"name": "p1", "upstream": f"127.0.0.1:{echo}"}])
    assert [p.name for p in made] == ["p1"]
    made[0].add_toxic("timeout")
    client.reset()
    assert client.get("p1").toxics == ()
    assert round_trip(made[0].port)[0] == b"ping"
    assert "chaoslab" in client.version()


def test_a_shortcut_whose_toxic_was_reset_leaves_quietly(client: ProxyClient, echo: int) -> None:
    proxy = client.create("gone", upstream=f"127.0.0.1:{echo}")
    with proxy.latency(5) as toxic:
        client.reset()  # removes the toxic under the block, as with the embedded Proxy
    assert toxic.name == "latency_downstream"
    assert client.get("gone").toxics == ()
    with pytest.raises(ToxicNotFound):
        proxy.remove_toxic(toxic.name)


def test_unreachable_server_is_a_clear_error() -> None:
    import httpx

    with ProxyClient("http://127.0.0.1:9", timeout=2) as c, pytest.raises(httpx.ConnectError):
        c.proxies()


async def test_async_client_mirrors_the_sync_one(url: str, echo: int) -> None:
    async with AsyncProxyClient(url) as client:
        proxy = await client.create("aecho", upstream=f"127.0.0.1:{echo}")
        try:
            async with proxy.latency(150):
                _, seconds = await asyncio.to_thread(round_trip, proxy.port)
                assert seconds >= 0.15
            async with proxy.down():
                assert await asyncio.to_thread(refuses, proxy.port)
            assert (await client.get("aecho")).enabled
            assert list(await client.proxies()) == ["aecho"]
            async with proxy.bandwidth(1):
                await client.reset()  # the toxic is gone before the block ends: no error
            toxic = await proxy.add_toxic("slicer", attributes={"average_size": 2})
            assert (await proxy.update_toxic(toxic.name, toxicity=0.0)).toxicity == 0.0
            await client.reset()
            assert await proxy.list_toxics() == []
            assert (await proxy.stats())["connections_total"] >= 1
        finally:
            await client.delete("aecho")
        with pytest.raises(ProxyNotFound):
            await client.get("aecho")


async def test_an_embedded_server_can_be_given_an_api(echo: int) -> None:
    from chaoslab.proxy import ProxyServer
    from chaoslab.proxy._serve import serve

    async with ProxyServer(seed=1) as server:
        stop = asyncio.Event()
        url: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        task = asyncio.create_task(serve(port=0, server=server, ready=url.set_result, stop=stop))
        async with AsyncProxyClient(await asyncio.wait_for(url, 10)) as client:
            remote = await client.create("emb", upstream=f"127.0.0.1:{echo}")
            assert server.get("emb").listen == remote.listen  # one registry, two views
            with server.get("emb").latency(150):
                assert [t.name for t in (await remote.refresh()).toxics] == ["latency_downstream"]
        stop.set()
        await task
        assert list(server.proxies) == ["emb"]  # the API stopped; the server it was given did not
        assert (await asyncio.to_thread(round_trip, remote.port))[0] == b"ping"
