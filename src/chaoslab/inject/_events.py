"""Events emitted by the fault injector."""

from __future__ import annotations

from dataclasses import dataclass

from chaoslab.observe import Event

__all__ = ["FaultInjected", "InjectionAdded", "InjectionRemoved"]


@dataclass(frozen=True, slots=True, kw_only=True)
class FaultInjected(Event):
    """A fault fired at an injection point (`source` is the point's name)."""

    kind = "fault.injected"
    fault: str
    fault_kind: str
    injection: str
    call: int


@dataclass(frozen=True, slots=True, kw_only=True)
class InjectionAdded(Event):
    """An injection began (`source` is the injection's name)."""

    kind = "fault.injection_added"
    target: str
    fault: str
    schedule: str


@dataclass(frozen=True, slots=True, kw_only=True)
class InjectionRemoved(Event):
    """An injection ended, having seen `calls` matching calls and fired `fired` times."""

    kind = "fault.injection_removed"
    calls: int
    fired: int
