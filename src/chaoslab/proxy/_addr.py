"""host:port parsing, loopback checks and listening sockets."""

from __future__ import annotations

import socket

from chaoslab._net import is_loopback_host
from chaoslab.errors import ConfigError

__all__ = ["bind_listener", "check_upstream", "format_address", "parse_address"]


def parse_address(text: object, field: str, *, allow_port_zero: bool) -> tuple[str, int]:
    """Split `host:port` (`[v6]:port` too); ConfigError naming `field` if bad."""
    if not isinstance(text, str):
        raise ConfigError([(field, f"must be a host:port string, got {type(text).__name__}")])
    host, sep, port_text = text.rpartition(":")
    if not sep:
        raise ConfigError([(field, f"missing port in address {text!r}")])
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    try:
        port = int(port_text)
    except ValueError:
        raise ConfigError([(field, f"invalid port in address {text!r}")]) from None
    low = 0 if allow_port_zero else 1
    if not low <= port <= 65535:
        raise ConfigError([(field, f"port must be in {low}..65535, got {port}")])
    return host, port


def format_address(host: str, port: int) -> str:
    """`host:port`, with brackets around IPv6 hosts."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def check_upstream(upstream: object, *, allow_remote: bool) -> tuple[str, int]:
    """Parse an upstream; refuse one outside loopback unless allowed."""
    host, port = parse_address(upstream, "upstream", allow_port_zero=False)
    if not host:
        raise ConfigError([("upstream", f"missing host in address {upstream!r}")])
    if not allow_remote and not is_loopback_host(host):
        raise ConfigError(
            [
                (
                    "upstream",
                    (
                        f"{upstream} is outside the loopback range (127.0.0.0/8, ::1); "
                        "chaoslab only proxies to this machine unless the server is started "
                        "with allow_remote_upstreams=True (CLI: --allow-remote-upstreams)"
                    ),
                )
            ]
        )
    return host, port


def bind_listener(host: str, port: int, *, backlog: int = 4096) -> socket.socket:
    """A non-blocking listening TCP socket (OSError if the bind fails)."""
    infos = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE | socket.AI_NUMERICSERV
    )
    infos.sort(key=lambda i: i[0] != socket.AF_INET)  # prefer IPv4, as Toxiproxy's users do
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(backlog)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock
