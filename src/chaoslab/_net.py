"""Is a host on the loopback range? One answer for every safety check.

The proxy refuses remote upstreams, the load generator remote targets, and
the CLI warns when an API listens beyond loopback; all three ask this.
"""

from __future__ import annotations

import ipaddress
import socket

__all__ = ["is_loopback_host"]


def is_loopback_host(host: str) -> bool:
    """True when every address `host` stands for is on the loopback range.

    A name is resolved, and all its addresses must be loopback, or a
    connection could go elsewhere; a name that does not resolve is not.

    Example:
        >>> is_loopback_host("127.0.0.2"), is_loopback_host("[::1]"), is_loopback_host("10.0.0.1")
        (True, True, False)
    """
    host = host.strip("[]")
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError:
        return False
    return bool(infos) and all(ipaddress.ip_address(i[4][0]).is_loopback for i in infos)
