"""The httpx seam: transports that wrap any httpx transport and inject faults.

The transport is httpx's own seam, so nothing is monkeypatched: give the
client a `ChaosTransport` (or `AsyncChaosTransport`) around the transport it
would have used. Each request is a call at an injection point named::

    http.<METHOD> <host>[:<port>]<path>

for example `http.GET api.example.com/v1/models` or
`http.POST 127.0.0.1:8080/v1/chat/completions`. The port appears only when
the URL gives one; the query string never does. Targets match these names
with globs, so `http.POST */v1/chat/*` is every chat POST to any host, and
`http.* api.example.com/*` is every request to one host.

How each fault is applied (details in docs/httpx.md):

- `Latency`: the real response, later (waits on the injector's clock);
- `HTTPStatus`: that status with `Retry-After` (whole seconds, rounded up),
  `retry-after-ms` and the body; no upstream call;
- `ConnectionRefused`: `httpx.ConnectError`; no upstream call;
- `ConnectionReset`: `httpx.ReadError`, what httpx raises on ECONNRESET;
- `Timeout(after)`: `httpx.ReadTimeout` after `after` seconds on the clock;
- `Hang`: `httpx.ReadTimeout` after the request's read timeout (async with
  no timeout: waits until cancelled; sync with none: `Hang.limit`);
- `Error`: the fault's exception;
- `Malformed`: the real response with the payload as its body (with
  `malformed_calls_upstream=False`, a synthetic 200 and no upstream call);
- `DropMidStream`: the real response, whose body stops after N bytes or N
  SSE events (each ending in a blank line, `\\n\\n`) with
  `httpx.RemoteProtocolError`, as when a server dies mid-body.

Injected exceptions are the httpx exceptions a real failure raises, and also
`chaoslab.errors.InjectedFault`. With no `injector` given, a transport
follows `chaoslab.inject.current_injector()` (set by the pytest `chaos`
fixture); with none active, requests pass straight through.

Example:
    >>> import httpx
    >>> from chaoslab.faults import FirstN, HTTPStatus
    >>> from chaoslab.inject import FaultInjector
    >>> def upstream(request: httpx.Request) -> httpx.Response:
    ...     return httpx.Response(200, json={"ok": True})
    >>> chaos = FaultInjector(seed=1)
    >>> transport = ChaosTransport(httpx.MockTransport(upstream), injector=chaos)
    >>> with httpx.Client(transport=transport) as client, chaos.inject(
    ...     "http.POST */v1/*", HTTPStatus(429, retry_after=2), FirstN(1)
    ... ):
    ...     first = client.post("https://api.example.com/v1/complete")
    ...     second = client.post("https://api.example.com/v1/complete")
    >>> first.status_code, first.headers["retry-after"], second.status_code
    (429, '2', 200)
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

import httpx

from chaoslab.errors import InjectedFault
from chaoslab.faults import (
    ConnectionRefused,
    ConnectionReset,
    DropMidStream,
    Error,
    Fault,
    Hang,
    HTTPStatus,
    Latency,
    Malformed,
    Timeout,
)
from chaoslab.inject import FaultInjector, current_injector, exception_for
from chaoslab.inject._points import declare_family

from ._httpx_streams import (
    AsyncCutStream,
    InjectedConnectError,
    InjectedReadError,
    InjectedReadTimeout,
    SyncCutStream,
)

__all__ = ["HTTPX_FAULTS", "AsyncChaosTransport", "ChaosTransport", "http_point_name"]

#: Every fault the httpx seam can apply.
HTTPX_FAULTS: frozenset[type[Fault]] = frozenset(
    {
        Latency,
        Error,
        HTTPStatus,
        Timeout,
        Hang,
        ConnectionRefused,
        ConnectionReset,
        Malformed,
        DropMidStream,
    }
)

# Point names are made per request, so the seam declares them as a family:
# injecting a fault it cannot apply at `http.*` fails at inject() time.
declare_family("http.", HTTPX_FAULTS)


def http_point_name(method: str, url: httpx.URL | str) -> str:
    """The injection point name of a request: `http.<METHOD> <host>[:<port>]<path>`.

    Example:
        >>> http_point_name("post", "https://api.example.com/v1/chat?x=1")
        'http.POST api.example.com/v1/chat'
        >>> http_point_name("GET", "http://127.0.0.1:8080/health")
        'http.GET 127.0.0.1:8080/health'
    """
    url = httpx.URL(url)
    port = f":{url.port}" if url.port is not None else ""
    return f"http.{method.upper()} {url.host}{port}{url.path}"


@dataclass(slots=True)
class _Plan:
    """What the transport does for one request, decided from the fired faults."""

    delay: float = 0.0
    error: BaseException | None = None
    response: httpx.Response | None = None
    wait_forever: bool = False
    malformed: Malformed | None = None
    drop: DropMidStream | None = None


def _injected(exc: InjectedFault, fault: Fault) -> InjectedFault:
    exc.fault = fault
    return exc


def _status_response(fault: HTTPStatus, request: httpx.Request) -> httpx.Response:
    headers = {"x-chaoslab-injected": fault.kind, **fault.headers}
    if fault.retry_after is not None:
        # Retry-After is whole seconds (RFC 9110); LLM SDKs also read retry-after-ms.
        headers.setdefault("retry-after", str(math.ceil(fault.retry_after)))
        headers.setdefault("retry-after-ms", str(round(fault.retry_after * 1000)))
    lowered = {k.lower() for k in headers}
    if fault.body and "content-type" not in lowered:
        looks_json = fault.body.lstrip()[:1] in (b"{", b"[")
        headers["content-type"] = "application/json" if looks_json else "text/plain"
    return httpx.Response(fault.status, headers=headers, content=fault.body, request=request)


def _read_timeout(request: httpx.Request) -> float | None:
    timeout = request.extensions.get("timeout", {})
    read = timeout.get("read") if isinstance(timeout, dict) else None
    return float(read) if read is not None else None


def _terminal(plan: _Plan, fault: Fault, request: httpx.Request) -> bool:
    """Fill the plan for a fault that ends the request; False if it does not."""
    if isinstance(fault, Timeout | Hang):
        if isinstance(fault, Timeout):
            plan.delay += fault.after
        else:
            read = _read_timeout(request)
            plan.wait_forever = read is None
            plan.delay += read if read is not None else fault.limit
        message = f"{fault.describe()} (injected)"
        plan.error = _injected(InjectedReadTimeout(message, request=request), fault)
    elif isinstance(fault, ConnectionRefused):
        message = "[Errno 111] Connection refused (injected)"
        plan.error = _injected(InjectedConnectError(message, request=request), fault)
    elif isinstance(fault, ConnectionReset):
        message = "[Errno 104] Connection reset by peer (injected)"
        plan.error = _injected(InjectedReadError(message, request=request), fault)
    elif isinstance(fault, Error):
        plan.error = exception_for(fault)  # as at generic points
    elif isinstance(fault, HTTPStatus):
        plan.response = _status_response(fault, request)
    else:
        return False
    return True


def _plan(faults: Sequence[Fault], request: httpx.Request) -> _Plan:
    plan = _Plan()
    ended = False
    for fault in faults:
        # Every fired latency is waited, also one fired after a fault that
        # ends the request (as at generic points: a slow upstream that also
        # fails is slow first); of the faults that end it, the first wins.
        if isinstance(fault, Latency):
            plan.delay += fault.seconds
        elif ended:
            continue
        elif isinstance(fault, Malformed):
            plan.malformed = fault
        elif isinstance(fault, DropMidStream):
            plan.drop = fault
        else:
            ended = _terminal(plan, fault, request)
    return plan


def _malformed_response(
    fault: Malformed, request: httpx.Request, upstream: httpx.Response | None
) -> httpx.Response:
    headers = httpx.Headers(upstream.headers if upstream is not None else {})
    for name in ("content-length", "content-encoding", "transfer-encoding"):
        headers.pop(name, None)
    headers["content-type"] = fault.content_type
    headers["x-chaoslab-injected"] = fault.kind
    status = upstream.status_code if upstream is not None else 200
    extensions = upstream.extensions if upstream is not None else None
    return httpx.Response(
        status, headers=headers, content=fault.payload, request=request, extensions=extensions
    )


def _decide(injector: FaultInjector, request: httpx.Request) -> _Plan | None:
    """Fire the request's point: the plan for it, or None to pass it through."""
    faults = injector.fire(http_point_name(request.method, request.url))
    return _plan(faults, request) if faults else None


def _finish(
    plan: _Plan, request: httpx.Request, upstream: httpx.Response | None, *, is_async: bool
) -> httpx.Response:
    """The response to hand back once upstream (if called) has answered."""
    response = upstream
    if plan.malformed is not None:
        response = _malformed_response(plan.malformed, request, upstream)
    assert response is not None  # upstream is skipped only for a synthetic Malformed
    if plan.drop is None:
        return response
    # The mode, not the stream's type, picks the twin: httpx.ByteStream is both.
    stream: httpx.SyncByteStream | httpx.AsyncByteStream
    if is_async:
        assert isinstance(response.stream, httpx.AsyncByteStream)
        stream = AsyncCutStream(response.stream, plan.drop, request)
    else:
        assert isinstance(response.stream, httpx.SyncByteStream)
        stream = SyncCutStream(response.stream, plan.drop, request)
    # Transports return responses without `request` set; the client sets it later.
    return httpx.Response(
        response.status_code,
        headers=response.headers,
        stream=stream,
        request=request,
        extensions=response.extensions,
    )


_Inner = TypeVar("_Inner", bound=httpx.BaseTransport | httpx.AsyncBaseTransport)


class _Seam(Generic[_Inner]):
    """What the sync and async transports share: their settings."""

    def __init__(
        self,
        inner: _Inner,
        injector: FaultInjector | None = None,
        *,
        malformed_calls_upstream: bool = True,
    ) -> None:
        self.inner: _Inner = inner
        self.injector = injector
        self.malformed_calls_upstream = malformed_calls_upstream

    def _calls_upstream(self, plan: _Plan) -> bool:
        return plan.malformed is None or self.malformed_calls_upstream


class ChaosTransport(_Seam[httpx.BaseTransport], httpx.BaseTransport):
    """A sync httpx transport that injects faults into the requests of `inner`.

    Args:
        inner: the transport that really sends requests
            (`httpx.HTTPTransport()`, a `MockTransport`, ...).
        injector: the injector to consult; None follows `current_injector()`.
        malformed_calls_upstream: whether `Malformed` replaces the body of a
            real upstream response (True) or answers a synthetic 200 (False).

    Example:
        >>> client = httpx.Client(transport=ChaosTransport(httpx.HTTPTransport()))
        >>> client.close()
    """

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send `request` through `inner`, applying the faults that fire."""
        # Inline, not in a helper: with no injector, this is the whole cost.
        injector = self.injector if self.injector is not None else current_injector()
        if injector is None:
            return self.inner.handle_request(request)
        plan = _decide(injector, request)
        if plan is None:
            return self.inner.handle_request(request)
        if plan.delay > 0:
            injector.clock.sleep(plan.delay)
        if plan.error is not None:
            raise plan.error
        if plan.response is not None:
            return plan.response
        upstream = self.inner.handle_request(request) if self._calls_upstream(plan) else None
        if plan.malformed is not None and upstream is not None:
            upstream.read()  # drained, so that the connection can be reused
            upstream.close()
        return _finish(plan, request, upstream, is_async=False)

    def close(self) -> None:
        """Close the inner transport."""
        self.inner.close()


class AsyncChaosTransport(_Seam[httpx.AsyncBaseTransport], httpx.AsyncBaseTransport):
    """The asyncio twin of `ChaosTransport` (same faults, same point names).

    Example:
        >>> client = httpx.AsyncClient(
        ...     transport=AsyncChaosTransport(httpx.AsyncHTTPTransport())
        ... )
    """

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send `request` through `inner`, applying the faults that fire."""
        # Inline, not in a helper: with no injector, this is the whole cost.
        injector = self.injector if self.injector is not None else current_injector()
        if injector is None:
            return await self.inner.handle_async_request(request)
        plan = _decide(injector, request)
        if plan is None:
            return await self.inner.handle_async_request(request)
        if plan.wait_forever:
            await asyncio.get_running_loop().create_future()  # only cancellation ends it
        if plan.delay > 0:
            await injector.clock.sleep_async(plan.delay)
        if plan.error is not None:
            raise plan.error
        if plan.response is not None:
            return plan.response
        upstream = None
        if self._calls_upstream(plan):
            upstream = await self.inner.handle_async_request(request)
        if plan.malformed is not None and upstream is not None:
            await upstream.aread()
            await upstream.aclose()
        return _finish(plan, request, upstream, is_async=True)

    async def aclose(self) -> None:
        """Close the inner transport."""
        await self.inner.aclose()
