"""pytest fixtures of chaoslab.proxy (registered through the pytest11 entry point).

- `chaos_proxy_server`: one embedded proxy server for the whole session,
  running on a background thread (so sync and async tests share it, whatever
  their event loop), closed at the end of the session.
- `chaos_proxy`: a `ChaosProxy` helper per test: `chaos_proxy("127.0.0.1:6379")`
  puts a proxy in front of any host:port. After the test its proxies are
  deleted and the server reset (every toxic removed, every proxy enabled);
  before it, the server's generator is reseeded from the session seed and
  the test's id, so toxicity rolls replay with `--chaos-seed`.

Example (a test file):

    def test_slow_redis(chaos_proxy, redis_server):
        proxy = chaos_proxy(f"127.0.0.1:{redis_server.port}")
        with proxy.latency(100):
            ...  # a client connected to proxy.listen sees +100 ms per reply
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from chaoslab.proxy import Proxy, SyncProxyServer

__all__ = ["ChaosProxy", "chaos_proxy", "chaos_proxy_server"]


class ChaosProxy:
    """Per-test access to the session's proxy server.

    Call it with an upstream (`"host:port"` or `(host, port)`) to get a new
    proxy in front of it; `server` is the `SyncProxyServer` itself.
    """

    _numbers = itertools.count(1)

    def __init__(self, server: SyncProxyServer) -> None:
        self.server = server
        self.created: list[str] = []

    def __call__(
        self, upstream: str | tuple[str, int], *, name: str | None = None, listen: str | None = None
    ) -> Proxy:
        """A new proxy in front of `upstream`, listening on 127.0.0.1 (ephemeral port)."""
        if isinstance(upstream, tuple):
            upstream = f"{upstream[0]}:{upstream[1]}"
        name = name or f"proxy{next(self._numbers)}"
        proxy = self.server.create(name, upstream=upstream, listen=listen)
        self.created.append(name)
        return proxy

    def front(self, host: str, port: int, *, name: str | None = None) -> Proxy:
        """A new proxy in front of `host:port`."""
        return self(f"{host}:{port}", name=name)

    def cleanup(self) -> None:
        """Delete the proxies this test created and reset the rest."""
        from chaoslab.proxy import ProxyNotFound

        for name in self.created:
            with contextlib.suppress(ProxyNotFound):
                self.server.delete(name)
        self.created.clear()
        self.server.reset()


@pytest.fixture(scope="session")
def chaos_proxy_server(chaos_seed: int) -> Iterator[SyncProxyServer]:
    """The session's embedded proxy server, on a background thread."""
    from chaoslab.proxy import SyncProxyServer

    server = SyncProxyServer(seed=chaos_seed)
    server.start()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def chaos_proxy(
    chaos_proxy_server: SyncProxyServer, chaos_seed: int, request: pytest.FixtureRequest
) -> Iterator[ChaosProxy]:
    """A helper that puts proxies in front of any host:port; cleaned after the test."""
    from chaoslab.pytest_plugin import test_seed

    chaos_proxy_server.server.reseed(test_seed(chaos_seed, request.node.nodeid))
    helper = ChaosProxy(chaos_proxy_server)
    try:
        yield helper
    finally:
        helper.cleanup()
