"""Events of managed services: one frozen type per thing a service does (`service.*`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from chaoslab.observe import Event

__all__ = [
    "ServiceEvent",
    "ServiceKilled",
    "ServicePaused",
    "ServiceResumed",
    "ServiceStarted",
    "ServiceStopped",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class ServiceEvent(Event):
    """Base of every service event; `source` is the service's name, `pid` its process."""

    kind: ClassVar[str] = "service"
    pid: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ServiceStarted(ServiceEvent):
    """The service started and answered its readiness check after `seconds`.

    Example:
        >>> ServiceStarted(at=0.0, source="redis", pid=42, url="redis://127.0.0.1:1/0",
        ...                seconds=0.05).kind
        'service.started'
    """

    kind: ClassVar[str] = "service.started"
    url: str
    seconds: float


@dataclass(frozen=True, slots=True, kw_only=True)
class ServiceStopped(ServiceEvent):
    """The service was asked to stop and exited with `returncode`."""

    kind: ClassVar[str] = "service.stopped"
    returncode: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ServiceKilled(ServiceEvent):
    """The service's whole process group got SIGKILL, as in a crash."""

    kind: ClassVar[str] = "service.killed"


@dataclass(frozen=True, slots=True, kw_only=True)
class ServicePaused(ServiceEvent):
    """The service's process group got SIGSTOP: it holds connections but answers nothing."""

    kind: ClassVar[str] = "service.paused"


@dataclass(frozen=True, slots=True, kw_only=True)
class ServiceResumed(ServiceEvent):
    """The service's process group got SIGCONT after a pause."""

    kind: ClassVar[str] = "service.resumed"
