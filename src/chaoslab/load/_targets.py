"""What the load hits: an HTTP endpoint or any async callable.

A target opens a *session* for a run (a shared aiohttp `ClientSession` with
a connection pool sized to the run's concurrency, or nothing for a
callable) that yields one `Call`: an async function sending one request and
returning `None` on success or a short error kind (`"HTTP 503"`,
`"timeout"`, `"ConnectionRefusedError"`) on failure.

aiohttp was chosen by measurement (see docs/load.md): on one core against a
local server with 50 concurrent users, an aiohttp session on uvloop sent
about 21,000 requests/s, above Locust's FastHttpUser, where httpx reaches
hundreds.

Example:
    >>> HttpTarget("http://127.0.0.1:8080/health").name
    'GET http://127.0.0.1:8080/health'
    >>> HttpTarget("http://example.com/").check()
    Traceback (most recent call last):
    ...
    chaoslab.errors.ConfigError: target.url: host 'example.com' is not a loopback address; \
load goes to loopback only unless allowed with allow_remote=True (CLI: --allow-remote)
"""

from __future__ import annotations

import contextlib
import errno
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import urlsplit

from chaoslab._net import is_loopback_host
from chaoslab.clock import Clock
from chaoslab.errors import ConfigError

__all__ = ["Call", "CallableTarget", "HttpTarget", "Target", "error_kind"]

Call = Callable[[], Awaitable[str | None]]

_ALLOW_HINT = (
    "load goes to loopback only unless allowed with allow_remote=True (CLI: --allow-remote)"
)


class Target(Protocol):
    """Something to send load to."""

    @property
    def name(self) -> str:
        """A short label for displays and journals."""
        ...

    def check(self, *, allow_remote: bool = False) -> None:
        """Raise `ConfigError` if the target may not receive load."""
        ...

    def session(
        self, *, concurrency: int, request_timeout: float, clock: Clock
    ) -> contextlib.AbstractAsyncContextManager[Call]:
        """Open what the run needs and yield the function that sends one request."""
        ...


_ERRNO_NAMES = {
    errno.ECONNREFUSED: "ConnectionRefusedError",
    errno.ECONNRESET: "ConnectionResetError",
    errno.ECONNABORTED: "ConnectionAbortedError",
    errno.EPIPE: "BrokenPipeError",
    errno.ETIMEDOUT: "timeout",
}


def error_kind(exc: BaseException) -> str:
    """A short, stable label for a failure.

    Example:
        >>> error_kind(TimeoutError())
        'timeout'
        >>> error_kind(ConnectionRefusedError(111, "refused"))
        'ConnectionRefusedError'
        >>> import errno
        >>> class ClientOSError(OSError): ...
        >>> error_kind(ClientOSError(errno.ECONNRESET, "Connection reset by peer"))
        'ConnectionResetError'
    """
    if isinstance(exc, TimeoutError):
        return "timeout"
    # aiohttp wraps OS errors (ClientConnectorError.os_error) or subclasses
    # OSError itself (ClientOSError): name the socket error, as Python would.
    cause = getattr(exc, "os_error", exc)
    if isinstance(cause, OSError) and cause.errno in _ERRNO_NAMES:
        return _ERRNO_NAMES[cause.errno]
    if isinstance(cause, OSError):
        return type(cause).__name__
    return type(exc).__name__


@dataclass(frozen=True, slots=True)
class HttpTarget:
    """An HTTP endpoint; a response status in `ok_statuses` is a success.

    The body of every response is read in full, so that the connection is
    reused and the latency covers the whole answer.

    Example:
        >>> t = HttpTarget("http://127.0.0.1:8080/items", method="POST", body=b"{}",
        ...                headers={"Content-Type": "application/json"})
        >>> t.method
        'POST'
    """

    url: str
    method: str = "GET"
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | None = None
    ok_statuses: frozenset[int] = frozenset(range(200, 400))

    @property
    def name(self) -> str:
        """`METHOD url`."""
        return f"{self.method} {self.url}"

    def check(self, *, allow_remote: bool = False) -> None:
        """Refuse non-HTTP URLs, and non-loopback hosts unless `allow_remote`."""
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError([("target.url", f"must be an http(s) URL, got {self.url!r}")])
        if not allow_remote and not is_loopback_host(parts.hostname):
            raise ConfigError(
                [
                    (
                        "target.url",
                        f"host {parts.hostname!r} is not a loopback address; {_ALLOW_HINT}",
                    )
                ]
            )

    @contextlib.asynccontextmanager
    async def session(
        self, *, concurrency: int, request_timeout: float, clock: Clock
    ) -> AsyncIterator[Call]:
        """A shared `aiohttp.ClientSession` with `concurrency` pooled keep-alive connections."""
        import aiohttp
        from yarl import URL

        url = URL(self.url)  # parsed once, not per request
        connector = aiohttp.TCPConnector(limit=concurrency, limit_per_host=0, ttl_dns_cache=None)
        async with aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(total=request_timeout),
            headers=dict(self.headers),
        ) as client:
            method, body, ok = self.method, self.body, self.ok_statuses

            async def call() -> str | None:
                try:
                    async with client.request(method, url, data=body) as response:
                        await response.read()
                        status = response.status
                except Exception as exc:  # noqa: BLE001 - any failure of a request is data
                    return error_kind(exc)
                return None if status in ok else f"HTTP {status}"

            yield call


@dataclass(frozen=True, slots=True)
class CallableTarget:
    """Any async function of no arguments; an exception is a failure.

    The per-request timeout runs on the load's clock, so a callable that
    sleeps on a `VirtualClock` is timed out in virtual time.

    Example:
        >>> async def ping() -> None: ...
        >>> CallableTarget(ping).name
        'ping'
    """

    fn: Callable[[], Awaitable[object]]
    label: str | None = None

    @property
    def name(self) -> str:
        """`label`, or the function's name."""
        return self.label or str(getattr(self.fn, "__qualname__", repr(self.fn)))

    def check(self, *, allow_remote: bool = False) -> None:
        """In-process targets are always allowed."""

    @contextlib.asynccontextmanager
    async def session(
        self, *, concurrency: int, request_timeout: float, clock: Clock
    ) -> AsyncIterator[Call]:
        """Yield a wrapper that applies the timeout and turns exceptions into error kinds."""
        from chaoslab.observe import EventBus
        from chaoslab.resilience import call_with_timeout_async

        fn = self.fn
        # A request's timeout is a measurement, not a resilience strategy: its
        # expiries are counted in the slices, and emit no events to the run's bus.
        quiet = EventBus()

        async def call() -> str | None:
            try:
                await call_with_timeout_async(
                    fn, request_timeout, clock=clock, name="load.request", events=quiet
                )
            except Exception as exc:  # noqa: BLE001 - any failure of the target is data
                return error_kind(exc)
            return None

        yield call
