"""`RedisServer`: a real redis-server on a free loopback port, in a temporary folder."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from chaoslab.clock import Clock
from chaoslab.observe import EventBus
from chaoslab.services._binaries import find_redis_server
from chaoslab.services._process import ProcessService
from chaoslab.services._readiness import RedisPong

__all__ = ["RedisServer"]


class RedisServer(ProcessService):
    """A redis-server child process.

    With `durable=True` (the default) every acknowledged write survives kill -9:
    the server appends each write to its AOF and fsyncs before answering
    (`appendonly yes`, `appendfsync always`), in the same folder across restarts.
    `config` adds or overrides redis.conf directives (`{"maxmemory": "10mb"}`).

    Example:
        >>> import redis  # doctest: +SKIP
        >>> with RedisServer() as server:  # doctest: +SKIP
        ...     client = redis.Redis.from_url(server.url)
        ...     client.set("k", "v")
        ...     server.kill()
        ...     server.start()           # same port, AOF replayed
        ...     assert client.get("k") == b"v"
    """

    scheme = "redis"

    def __init__(
        self,
        *,
        binary: str | Path | None = None,
        port: int | None = None,
        workdir: str | Path | None = None,
        durable: bool = True,
        config: Mapping[str, str] | None = None,
        name: str = "redis",
        start_timeout: float = 10.0,
        stop_timeout: float = 5.0,
        events: EventBus | None = None,
        clock: Clock | None = None,
    ) -> None:
        directives = {
            "bind": "127.0.0.1",
            "dir": "{workdir}",
            "daemonize": "no",
            "save": "",  # no background RDB snapshots: the AOF is the durability story
            "appendonly": "yes" if durable else "no",
            "appendfsync": "always",
            **(config or {}),
        }
        command = [str(binary or find_redis_server()), "--port", "{port}"]
        for key, value in directives.items():
            command += [f"--{key}", value]
        super().__init__(
            command,
            name=name,
            ready=RedisPong(),
            port=port,
            workdir=workdir,
            start_timeout=start_timeout,
            stop_timeout=stop_timeout,
            events=events,
            clock=clock,
        )

    @property
    def url(self) -> str:
        """`redis://127.0.0.1:<port>/0`."""
        return self.url_for(0)

    def url_for(self, db: int) -> str:
        """The URL of one of the server's numbered databases."""
        return f"redis://{self.host}:{self.port}/{db}"
