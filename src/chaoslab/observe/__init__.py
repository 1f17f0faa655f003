"""Observability: events, hooks and recorders."""

from chaoslab.observe._events import (
    Event,
    EventBus,
    EventHook,
    EventRecorder,
    JsonLogHook,
    default_bus,
    use_bus,
)

__all__ = [
    "Event",
    "EventBus",
    "EventHook",
    "EventRecorder",
    "JsonLogHook",
    "default_bus",
    "use_bus",
]
