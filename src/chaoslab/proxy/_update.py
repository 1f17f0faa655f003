"""Proxy updates and /populate: validate everything, then change, or change nothing."""

from __future__ import annotations

import socket
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from chaoslab.errors import ConfigError, ProxyError
from chaoslab.proxy._addr import parse_address
from chaoslab.proxy._proxy import Proxy

if TYPE_CHECKING:
    from chaoslab.proxy._server import ProxyServer

__all__ = ["apply_update", "populate"]


def _resolve(listen: str, default_host: str) -> tuple[str, int] | None:
    host, port = parse_address(listen, "listen", allow_port_zero=True)
    if port == 0:
        return None  # a fresh ephemeral port is always a change
    try:
        info = socket.getaddrinfo(host or default_host, port, type=socket.SOCK_STREAM)
    except OSError:
        return (host, port)
    return (str(info[0][4][0]), port)


def same_listen(current: str, wanted: str, default_host: str) -> bool:
    """True when both addresses resolve alike (`localhost:X` == `127.0.0.1:X`)."""
    a, b = _resolve(current, default_host), _resolve(wanted, default_host)
    return a is not None and a == b


def _check_update(
    server: ProxyServer, listen: object, upstream: object, enabled: object
) -> tuple[str, int] | None:
    problems: list[tuple[str, str]] = []
    new_addr = None
    if listen is not None:
        try:
            parse_address(listen, "listen", allow_port_zero=True)
        except ConfigError as exc:
            problems.extend(exc.problems)
    if upstream is not None:
        try:
            new_addr = server.check_upstream(upstream)
        except ConfigError as exc:
            problems.extend(exc.problems)
    if enabled is not None and not isinstance(enabled, bool):
        problems.append(("enabled", f"must be true or false, got {enabled!r}"))
    if problems:
        raise ConfigError(problems)
    return new_addr


def apply_update(
    server: ProxyServer,
    proxy: Proxy,
    listen: str | None,
    upstream: str | None,
    enabled: object,
) -> None:
    """Toxiproxy's merge: absent fields keep values; a listen/upstream change restarts.

    Unlike Toxiproxy, a bind failure puts the old listen address back (and the
    proxy back in its old state) before raising, so a failed update changes
    nothing.
    """
    new_addr = _check_update(server, listen, upstream, enabled)
    want_enabled = proxy.enabled if enabled is None else bool(enabled)
    listen_changed = listen is not None and not same_listen(proxy.listen, listen, server.host)
    upstream_changed = upstream is not None and upstream != proxy.upstream
    if not (listen_changed or upstream_changed):
        if want_enabled and not proxy.enabled:
            proxy._start()
        elif not want_enabled and proxy.enabled:
            proxy._stop()
        return
    old = (proxy.listen, proxy.upstream, proxy._upstream_addr, proxy.enabled)
    proxy._stop()
    if listen is not None and listen_changed:
        proxy.listen = listen
    if upstream is not None and new_addr is not None and upstream_changed:
        proxy.upstream, proxy._upstream_addr = upstream, new_addr
    if want_enabled:
        try:
            proxy._start()
        except ProxyError:
            proxy.listen, proxy.upstream, proxy._upstream_addr = old[0], old[1], old[2]
            if old[3]:
                proxy._start()
            raise


def _validate(server: ProxyServer, configs: object) -> list[dict[str, Any]]:
    if isinstance(configs, str | bytes) or not isinstance(configs, Sequence):
        raise ConfigError([("", "expected a JSON array of proxies")])
    items: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, item in enumerate(configs):
        if not isinstance(item, Mapping):
            raise ConfigError([(f"[{i}]", "expected an object")])
        name = item.get("name")
        if not isinstance(name, str) or not name:
            raise ConfigError([(f"[{i}].name", f"missing required field: name at proxy {i + 1}")])
        if not item.get("upstream"):
            raise ConfigError(
                [(f"[{i}].upstream", f"missing required field: upstream at proxy {i + 1}")]
            )
        if name in seen:
            raise ConfigError([(f"[{i}].name", f"duplicate proxy name {name!r}")])
        seen.add(name)
        listen = item.get("listen") or f"{server.host}:0"
        enabled = item.get("enabled", True)
        try:
            probe = server._build(name, item["upstream"], listen, enabled)
        except ConfigError as exc:
            raise ConfigError([(f"[{i}].{p}", m) for p, m in exc.problems]) from None
        items.append({"name": name, "upstream": probe.upstream, "listen": listen,
                      "enabled": enabled})  # fmt: skip
    return items


def _plan(
    server: ProxyServer, items: list[dict[str, Any]]
) -> tuple[list[Proxy | None], list[Proxy]]:
    """Which proxies are kept as they are (result slots) and which are replaced."""
    result: list[Proxy | None] = []
    replaced: list[Proxy] = []
    for item in items:
        old = server._proxies.get(item["name"])
        same = old is not None and old.upstream == item["upstream"]
        if old is not None and same and same_listen(old.listen, item["listen"], server.host):
            result.append(old)
            continue
        if old is not None:
            replaced.append(old)
        result.append(None)
    return result, replaced


def populate(server: ProxyServer, configs: Sequence[Mapping[str, Any]]) -> list[Proxy]:
    """Create or replace proxies from a list, all or nothing.

    An existing proxy with the same name, upstream and listen address is kept
    untouched (Toxiproxy); others of the same name are replaced. Unlike
    Toxiproxy, a failure part-way (a port in use) undoes the whole list.
    """
    items = _validate(server, configs)
    result, replaced = _plan(server, items)
    was_enabled = [p.enabled for p in replaced]
    for old in replaced:
        old._stop()
    created: list[Proxy] = []
    try:
        for item, kept in zip(items, result, strict=True):
            if kept is None:
                proxy = server._build(
                    item["name"], item["upstream"], item["listen"], item["enabled"]
                )
                created.append(proxy)
                if item["enabled"]:
                    proxy._start()
    except ProxyError:
        for proxy in created:
            proxy._stop()
        for old, enabled in zip(replaced, was_enabled, strict=True):
            if enabled:
                old._start()
        raise
    fresh = iter(created)
    out = [kept if kept is not None else next(fresh) for kept in result]
    for proxy in out:
        server._proxies[proxy.name] = proxy
    return out
