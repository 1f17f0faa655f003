"""The demo's stack: everything on loopback, everything stopped, also on an error."""

from __future__ import annotations

import socket
from collections.abc import Mapping
from pathlib import Path

import httpx
import pytest

from chaoslab.demo import DemoSettings, DemoStack, run_demo_async


def _listening(hostport: str) -> bool:
    host, _, port = hostport.rpartition(":")
    with socket.socket() as probe:
        probe.settimeout(2)
        return probe.connect_ex((host, int(port))) == 0


def _hostports(urls: Mapping[str, str]) -> list[str]:
    return [u.split("//")[-1].split("/")[0] for u in urls.values()]


async def test_the_stack_serves_through_its_proxies_and_stops_everything() -> None:
    async with DemoStack(seed=3) as stack:
        urls = stack.configuration()
        assert all(h.startswith("127.0.0.1:") for h in _hostports(urls))
        async with httpx.AsyncClient() as client:
            proxies = (await client.get(f"{stack.proxy_api_url}/proxies")).json()
            answer = (await client.get(f"{stack.service_url}/answer", params={"q": "x"})).json()
        assert proxies["redis"]["upstream"] == f"127.0.0.1:{stack.redis.port}"  # type: ignore[union-attr]
        assert proxies["llm"]["upstream"] == stack.upstream_url.split("//")[1]
        assert answer["source"] == "llm"
        assert stack.proxy is not None
        assert stack.proxy.get("llm").stats.connections_total >= 1  # the service went through it
        redis = stack.redis
    assert redis is not None
    assert not redis.running
    assert not any(_listening(h) for h in _hostports(urls))


async def test_an_error_once_started_stops_everything(tmp_path: Path) -> None:
    seen: dict[str, str] = {}

    def boom(urls: Mapping[str, str]) -> None:
        seen.update(urls)
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await run_demo_async(DemoSettings(tmp_path, quick=True), on_ready=boom)
    assert len(seen) == 6
    assert not any(_listening(h) for h in _hostports(seen))
