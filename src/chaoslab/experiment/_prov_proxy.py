"""`module: proxy`: toxics on a chaoslab or Toxiproxy server, through its HTTP API.

- `add_toxic`: `proxy`, `type`, `name`, `stream`, `toxicity`, `attributes`,
  optional `duration` (hold, then remove) and `ramp` (move one attribute
  from `from` to `to` over `over` seconds in `steps` updates);
- `remove_toxic`: `proxy`, `name`.

Calls go through `chaoslab.proxy`'s `AsyncProxyClient`, over Toxiproxy's
HTTP API, which the chaoslab proxy serves too (so a real Toxiproxy works
as well); `url` defaults to the experiment's `proxy-url`. When the runner
is given an embedded server (`Runner(..., proxy_server=server)`), its
proxies are used directly, without HTTP.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field, model_validator

from chaoslab.errors import ConfigError, ExperimentError
from chaoslab.experiment._context import RunContext
from chaoslab.experiment._registry import ProviderRegistry, Touch

__all__ = ["AddToxic", "RemoveToxic", "register"]


class _Args(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class ToxicRamp(_Args):
    """Move `attribute` from `start` to `end` over `over` seconds."""

    attribute: str
    start: float = Field(alias="from")
    end: float = Field(alias="to")
    over: Annotated[float, Field(gt=0)]
    steps: Annotated[int, Field(ge=1, le=1000)] = 10


class AddToxic(_Args):
    """Arguments of `proxy.add_toxic`."""

    proxy: Annotated[str, Field(min_length=1)]
    type: Annotated[str, Field(min_length=1)]
    name: str | None = None
    stream: Literal["upstream", "downstream"] = "downstream"
    toxicity: Annotated[float, Field(ge=0, le=1)] = 1.0
    # Checked against the type's attribute model (numbers, and http_status's body/headers).
    attributes: dict[str, Any] = Field(default_factory=dict)
    duration: Annotated[float, Field(gt=0)] | None = None
    ramp: ToxicRamp | None = None
    url: str | None = None

    @model_validator(mode="after")
    def _known_attributes(self) -> AddToxic:
        _check_toxic(self)
        if self.ramp and self.duration is not None and self.ramp.over > self.duration:
            raise ValueError(f"ramp.over ({self.ramp.over}) exceeds duration ({self.duration})")
        return self

    @property
    def toxic_name(self) -> str:
        """The toxic's name (Toxiproxy's default: `<type>_<stream>`)."""
        return self.name or f"{self.type}_{self.stream}"


def _check_toxic(args: AddToxic) -> None:
    """Type, stream and attributes checked against the proxy's own table of toxics.

    Imported here, not at the top: it loads the proxy package, which only
    files that use proxy toxics need.
    """
    from chaoslab.proxy._toxics._attrs import parse_attributes
    from chaoslab.proxy._toxics._registry import TOXIC_TYPES

    kind = TOXIC_TYPES.get(args.type)
    if kind is None:
        raise ValueError(f"unknown toxic type {args.type!r}; known: {', '.join(TOXIC_TYPES)}")
    if args.stream not in kind.streams:
        raise ValueError(f"{args.type} toxics go on the {' or '.join(kind.streams)} stream only")
    allowed = tuple(kind.attributes.model_fields)
    names = list(args.attributes) + ([args.ramp.attribute] if args.ramp else [])
    unknown = [a for a in names if a not in allowed]
    if unknown:
        raise ValueError(
            f"{args.type} toxics have no attribute {', '.join(unknown)}; "
            f"allowed: {', '.join(allowed) or 'none'}"
        )
    for value in (args.ramp.start, args.ramp.end) if args.ramp else (None,):
        try:
            parse_attributes(kind.attributes, _attrs(args, value))
        except ConfigError as exc:
            raise ValueError("; ".join(f"{p}: {m}" for p, m in exc.problems)) from None


class RemoveToxic(_Args):
    """Arguments of `proxy.remove_toxic`."""

    proxy: Annotated[str, Field(min_length=1)]
    name: Annotated[str, Field(min_length=1)]
    url: str | None = None


def _attrs(args: AddToxic, ramp_value: float | None) -> dict[str, Any]:
    attributes = {k: _number(v) if isinstance(v, float) else v for k, v in args.attributes.items()}
    if args.ramp is not None and ramp_value is not None:
        attributes[args.ramp.attribute] = _number(ramp_value)
    return attributes


def _number(value: float) -> int | float:
    # Toxiproxy's attributes are integers; keep fractions only where given.
    return int(value) if float(value).is_integer() else value


class _Embedded:
    """An in-process proxy (`ProxyServer.get(name)`) with the remote client's async methods."""

    def __init__(self, server: Any, name: str) -> None:
        self._server = server
        self._proxy = server.get(name)

    def _call(self, fn: Any) -> Any:
        run_sync = getattr(self._server, "run_sync", None)
        return run_sync(fn) if run_sync is not None else fn()

    async def add_toxic(self, type: str, **kwargs: Any) -> Any:  # noqa: A002 - Toxiproxy's name
        """Add a toxic."""
        return self._call(lambda: self._proxy.add_toxic(type, **kwargs))

    async def update_toxic(self, name: str, **kwargs: Any) -> Any:
        """Update a toxic's attributes."""
        return self._call(lambda: self._proxy.update_toxic(name, **kwargs))

    async def remove_toxic(self, name: str) -> None:
        """Remove a toxic."""
        self._call(lambda: self._proxy.remove_toxic(name))


@contextlib.asynccontextmanager
async def _proxy(url: str, name: str, server: Any = None) -> AsyncIterator[Any]:
    """The named proxy: embedded when the runner has a server, else over the HTTP API."""
    from chaoslab.proxy._client import AsyncProxyClient

    if server is not None:
        yield _Embedded(server, name)
        return
    try:
        async with AsyncProxyClient(url, timeout=5.0) as client:
            yield await client.get(name)
    except httpx.HTTPError as exc:
        raise ExperimentError(f"proxy API at {url}: {exc}") from exc


async def _remove(ctx: RunContext, base: str, proxy: str, name: str) -> None:
    async with _proxy(base, proxy, ctx.proxy_server) as remote:
        await remote.remove_toxic(name)
    ctx.faults.close(f"proxy:{proxy}:{name}")


async def add_toxic(ctx: RunContext, args: AddToxic) -> Any:
    """Add a toxic; with `duration`, hold it (ramping if asked), then remove it."""
    base = (args.url or ctx.proxy_url).rstrip("/")
    name = args.toxic_name
    attributes = _attrs(args, args.ramp.start if args.ramp else None)
    key = f"proxy:{args.proxy}:{name}"
    details = {
        "type": args.type,
        "stream": args.stream,
        "toxicity": args.toxicity,
        "attributes": attributes,
    }
    ctx.faults.open(key, "proxy.toxic", args.proxy, ctx.activity, details)
    try:
        async with _proxy(base, args.proxy, ctx.proxy_server) as remote:
            created = await remote.add_toxic(
                args.type,
                name=name,
                stream=args.stream,
                toxicity=args.toxicity,
                attributes=attributes,
            )
    except BaseException:
        ctx.faults.discard(key)
        raise
    ctx.faults.undo[key] = lambda: _remove(ctx, base, args.proxy, name)
    if args.duration is not None or args.ramp is not None:
        await _hold(ctx, args, base, name)
    return _plain(created)


def _plain(toxic: Any) -> Any:
    to_dict = getattr(toxic, "to_dict", None)
    if to_dict is not None:
        return to_dict()
    if dataclasses.is_dataclass(toxic) and not isinstance(toxic, type):
        return dataclasses.asdict(toxic)
    return repr(toxic)


async def _hold(ctx: RunContext, args: AddToxic, base: str, name: str) -> None:
    try:
        if args.ramp is not None:
            await _ramp(ctx, args, base, name)
        held = (args.duration or 0.0) - (args.ramp.over if args.ramp else 0.0)
        await ctx.clock.sleep_async(held)
    finally:
        if args.duration is not None:
            await _remove(ctx, base, args.proxy, name)


async def _ramp(ctx: RunContext, args: AddToxic, base: str, name: str) -> None:
    assert args.ramp is not None
    ramp = args.ramp
    for step in range(1, ramp.steps + 1):
        await ctx.clock.sleep_async(ramp.over / ramp.steps)
        value = ramp.start + (ramp.end - ramp.start) * step / ramp.steps
        if float(ramp.start).is_integer() and float(ramp.end).is_integer():
            # Integer ends, integer steps: the proxy's attributes are strict integers.
            value = round(value)
        async with _proxy(base, args.proxy, ctx.proxy_server) as remote:
            await remote.update_toxic(name, attributes=_attrs(args, value))


async def remove_toxic(ctx: RunContext, args: RemoveToxic) -> None:
    """Remove a toxic by name."""
    await _remove(ctx, (args.url or ctx.proxy_url).rstrip("/"), args.proxy, args.name)


def register(registry: ProviderRegistry) -> None:
    """Register `proxy.add_toxic` and `proxy.remove_toxic`."""
    registry.register(
        "proxy",
        "add_toxic",
        AddToxic,
        touches=lambda a: [Touch("proxy", a.proxy, f"toxic:{a.toxic_name}", a.duration)],
    )(add_toxic)
    registry.register(
        "proxy",
        "remove_toxic",
        RemoveToxic,
        touches=lambda a: [Touch("proxy", a.proxy, f"toxic:{a.name}", removes=True)],
    )(remove_toxic)
