"""In-process injection: the injector, injection points, and applying faults."""

from chaoslab.inject._apply import GENERIC_FAULTS, apply_async, apply_sync, exception_for
from chaoslab.inject._events import FaultInjected, InjectionAdded, InjectionRemoved
from chaoslab.inject._injector import FaultInjector, Injection, PointStats
from chaoslab.inject._points import (
    Block,
    InjectionPoint,
    current_injector,
    declare_family,
    injectable,
)

__all__ = [
    "GENERIC_FAULTS",
    "Block",
    "FaultInjected",
    "FaultInjector",
    "Injection",
    "InjectionAdded",
    "InjectionPoint",
    "InjectionRemoved",
    "PointStats",
    "apply_async",
    "apply_sync",
    "current_injector",
    "declare_family",
    "exception_for",
    "injectable",
]
