"""Readiness checks: when is a started process actually ready to serve?

A check is a small frozen object with one method, `probe(service) -> bool`,
called repeatedly until it returns True or the start timeout passes. Probes
are cheap and bounded (short socket timeouts); they never raise for "not yet".
"""

from __future__ import annotations

import http.client
import re
import socket
import struct
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

__all__ = ["HttpOk", "LogLine", "PgAcceptsConnections", "PortOpen", "Readiness", "RedisPong"]

_PROBE_TIMEOUT = 0.5


class Probed(Protocol):
    """What a readiness check may look at: the address and the log of this start."""

    @property
    def host(self) -> str:
        """The loopback address the service listens on."""
        ...

    @property
    def port(self) -> int | None:
        """The service's port, if it has one."""
        ...

    def logs(self, *, since_start: bool = False) -> str:
        """The captured output (of the current start only, if asked)."""
        ...


@runtime_checkable
class Readiness(Protocol):
    """One readiness check."""

    def probe(self, service: Probed) -> bool:
        """True when the service is ready; False (never an exception) when not yet."""
        ...


def _port(own: int | None, service: Probed) -> int:
    port = own if own is not None else service.port
    if port is None:
        raise ValueError("this readiness check needs a port: give one or start with a port")
    return port


@dataclass(frozen=True, slots=True)
class PortOpen:
    """Ready when a TCP connection to the port succeeds (the service's port by default).

    Example:
        >>> PortOpen(8080)
        PortOpen(port=8080)
    """

    port: int | None = None

    def probe(self, service: Probed) -> bool:
        """Try one connection."""
        try:
            with socket.create_connection(
                (service.host, _port(self.port, service)), timeout=_PROBE_TIMEOUT
            ):
                return True
        except OSError:
            return False


@dataclass(frozen=True, slots=True)
class LogLine:
    """Ready when the output of the current start matches the regular expression.

    Example:
        >>> LogLine(r"listening on port \\d+").pattern
        'listening on port \\\\d+'
    """

    pattern: str

    def probe(self, service: Probed) -> bool:
        """Search the log written since the process started."""
        return re.search(self.pattern, service.logs(since_start=True)) is not None


@dataclass(frozen=True, slots=True)
class HttpOk:
    """Ready when `GET path` answers `status` (200 by default) over plain HTTP.

    Example:
        >>> HttpOk("/health")
        HttpOk(path='/health', status=200, port=None)
    """

    path: str = "/"
    status: int = 200
    port: int | None = None

    def probe(self, service: Probed) -> bool:
        """Send one GET."""
        conn = http.client.HTTPConnection(
            service.host, _port(self.port, service), timeout=_PROBE_TIMEOUT
        )
        try:
            conn.request("GET", self.path)
            return conn.getresponse().status == self.status
        except (OSError, http.client.HTTPException):
            return False
        finally:
            conn.close()


@dataclass(frozen=True, slots=True)
class RedisPong:
    """Ready when Redis answers PING with PONG (not LOADING while it replays its AOF)."""

    def probe(self, service: Probed) -> bool:
        """Send one inline PING."""
        try:
            with socket.create_connection(
                (service.host, _port(None, service)), timeout=_PROBE_TIMEOUT
            ) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(64).startswith(b"+PONG")
        except OSError:
            return False


@dataclass(frozen=True, slots=True)
class PgAcceptsConnections:
    """Ready when PostgreSQL answers a startup message with an authentication request.

    While it starts up or recovers, the server answers with an error message
    ('E') instead; a ready one asks for (or skips) authentication ('R').
    """

    user: str = "postgres"
    database: str = "postgres"

    def probe(self, service: Probed) -> bool:
        """Send one protocol-3.0 startup message and read the first byte back."""
        params = f"user\0{self.user}\0database\0{self.database}\0\0".encode()
        message = struct.pack("!ii", len(params) + 8, 196608) + params
        try:
            with socket.create_connection(
                (service.host, _port(None, service)), timeout=_PROBE_TIMEOUT
            ) as sock:
                sock.sendall(message)
                return sock.recv(1) == b"R"
        except OSError:
            return False
