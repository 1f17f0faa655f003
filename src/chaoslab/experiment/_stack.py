"""What a run sets up around itself: declared services and proxies, signal handlers.

Services and proxies an experiment file starts for itself (`chaoslab run` alone).

In the `chaoslab` extension:

```yaml
services:
  - {name: redis, kind: redis, port: 16379}
  - {name: web, command: [python, -m, http.server, "{port}", --bind, 127.0.0.1], port: 18080}
proxies:
  - {name: redis, upstream: redis, listen: "127.0.0.1:26379"}
```

Services (`kind`: `redis`, `postgres` or `process` with a `command`, in
which `{port}` is replaced) start before the run, on 127.0.0.1, and stop
after it; `services.*` activities act on them by name. Proxies run on an
embedded chaoslab proxy in front of a service (by name) or of a
`host:port`; `proxy.*` activities use it directly. Give fixed ports when
the file itself must address them (a load target, an http probe).

Example:
    >>> spec = ServiceSpec.model_validate({"name": "db", "kind": "postgres"})
    >>> spec.kind, spec.command
    ('postgres', None)
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from chaoslab.errors import ExperimentError

__all__ = ["ProxySpec", "ServiceSpec", "Stack", "stop_on_signals"]

Port = Annotated[int, Field(ge=1, le=65535)]


class ServiceSpec(BaseModel):
    """A service the run starts: Redis, PostgreSQL, or any command."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    name: Annotated[str, Field(min_length=1)]
    kind: Literal["redis", "postgres", "process"] = "process"
    command: list[str] | None = None
    port: Port | None = None
    ready: Literal["port", "none"] = "port"

    @model_validator(mode="after")
    def _command(self) -> ServiceSpec:
        if self.kind == "process" and not self.command:
            raise ValueError("a process service needs a 'command' (a list; '{port}' is replaced)")
        if self.kind != "process" and self.command:
            raise ValueError(f"a {self.kind} service takes no 'command'")
        return self


class ProxySpec(BaseModel):
    """A proxy on the run's embedded chaoslab proxy server."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    name: Annotated[str, Field(min_length=1)]
    upstream: Annotated[str, Field(min_length=1)]
    listen: str = "127.0.0.1:0"


def _build(spec: ServiceSpec) -> Any:
    from chaoslab.services import PortOpen, PostgresServer, ProcessService, RedisServer

    if spec.kind == "redis":
        return RedisServer(port=spec.port, name=spec.name)
    if spec.kind == "postgres":
        return PostgresServer(port=spec.port, name=spec.name)
    assert spec.command is not None
    ready = (PortOpen(),) if spec.ready == "port" else ()
    return ProcessService(spec.command, name=spec.name, port=spec.port, ready=ready)


class Stack:
    """Starts the declared services and proxies; stops them on exit."""

    def __init__(self, services: list[ServiceSpec], proxies: list[ProxySpec]) -> None:
        self.specs = services
        self.proxy_specs = proxies
        self.services: dict[str, Any] = {}
        self.proxy_server: Any = None
        self._exit = contextlib.AsyncExitStack()

    async def __aenter__(self) -> Stack:
        try:
            await self._start()
        except BaseException:
            await self._exit.aclose()
            raise
        return self

    async def _start(self) -> None:
        for spec in self.specs:
            service = _build(spec)
            # Starting waits for the process to be ready: keep the loop free.
            await asyncio.to_thread(service.start)
            self._exit.push_async_callback(asyncio.to_thread, service.close)
            self.services[spec.name] = service
        if self.proxy_specs:
            from chaoslab.proxy import ProxyServer

            self.proxy_server = await self._exit.enter_async_context(ProxyServer())
            for proxy in self.proxy_specs:
                await self.proxy_server.create(
                    proxy.name, upstream=self._upstream(proxy.upstream), listen=proxy.listen
                )

    def _upstream(self, upstream: str) -> str:
        service = self.services.get(upstream)
        if service is None:
            return upstream
        if service.port is None:
            raise ExperimentError(f"service {upstream!r} has no port to proxy to")
        return f"127.0.0.1:{service.port}"

    def addresses(self) -> dict[str, str]:
        """`name: host:port` of each service and proxy (proxies as `proxy.<name>`)."""
        found = {n: f"127.0.0.1:{s.port}" for n, s in self.services.items() if s.port}
        if self.proxy_server is not None:
            for spec in self.proxy_specs:
                found[f"proxy.{spec.name}"] = self.proxy_server.get(spec.name).listen
        return found

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._exit.aclose()


@contextlib.contextmanager
def stop_on_signals(stop: Callable[[str], None]) -> Iterator[None]:
    """While inside, SIGINT and SIGTERM call `stop(name)` (main thread only; else no-op)."""
    loop = asyncio.get_running_loop()
    installed = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(signum, stop, signum.name)
            installed.append(signum)
        except (RuntimeError, ValueError, NotImplementedError):  # not the main thread
            pass
    try:
        yield
    finally:
        for signum in installed:
            loop.remove_signal_handler(signum)
