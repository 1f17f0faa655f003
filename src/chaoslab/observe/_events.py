"""Events: one frozen type per kind of thing that happens, one dispatcher.

Every layer of chaoslab reports what it does (a fault injected, a breaker
opened, a retry attempted, a toxic added, a guard rail tripped) by emitting an
`Event` on an `EventBus`. Hooks subscribe to a bus: the in-memory
`EventRecorder` for assertions, a JSON log hook, and later OpenTelemetry or
Prometheus hooks.

Each kind of event is a subclass of `Event` with its own typed fields and a
`kind` string; `Event.to_dict()` flattens it for logs and journals.

Example:
    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True, slots=True, kw_only=True)
    ... class Pinged(Event):
    ...     kind = "demo.pinged"
    ...     count: int
    >>> bus = EventBus()
    >>> recorder = EventRecorder()
    >>> unsubscribe = bus.subscribe(recorder)
    >>> bus.emit(Pinged(at=1.5, source="demo", count=3))
    >>> recorder.events[0].to_dict()
    {'kind': 'demo.pinged', 'at': 1.5, 'source': 'demo', 'count': 3}
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

__all__ = [
    "Event",
    "EventBus",
    "EventHook",
    "EventRecorder",
    "JsonLogHook",
    "default_bus",
    "use_bus",
]

_log = logging.getLogger("chaoslab.events")

E = TypeVar("E", bound="Event")


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """Something that happened, at `at` seconds on the emitter's clock.

    `source` names the emitter: an injection point, a breaker, a proxy.
    """

    kind: ClassVar[str] = "event"
    at: float
    source: str

    def to_dict(self) -> dict[str, Any]:
        """The event as plain data: kind, at, source, then its own fields."""
        data: dict[str, Any] = {"kind": self.kind, "at": self.at, "source": self.source}
        for f in dataclasses.fields(self):
            if f.name not in ("at", "source"):
                data[f.name] = _plain(getattr(self, f.name))
        return data


def _plain(value: Any) -> Any:
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return repr(value)


EventHook = Callable[[Event], None]


class EventBus:
    """Dispatches events to subscribed hooks, in subscription order.

    A hook that raises does not stop the others; its error is logged at
    WARNING with the traceback (never swallowed silently).
    """

    __slots__ = ("_hooks", "_lock")

    def __init__(self) -> None:
        self._hooks: tuple[EventHook, ...] = ()
        self._lock = threading.Lock()

    def subscribe(self, hook: EventHook) -> Callable[[], None]:
        """Add `hook`; return a function that removes it again."""
        with self._lock:
            self._hooks = (*self._hooks, hook)

        def unsubscribe() -> None:
            with self._lock:
                self._hooks = tuple(h for h in self._hooks if h is not hook)

        return unsubscribe

    @contextlib.contextmanager
    def subscribed(self, hook: EventHook) -> Iterator[EventHook]:
        """Subscribe `hook` for the duration of a `with` block."""
        unsubscribe = self.subscribe(hook)
        try:
            yield hook
        finally:
            unsubscribe()

    @property
    def active(self) -> bool:
        """True when at least one hook listens (emitters may skip building events)."""
        return bool(self._hooks)

    def emit(self, event: Event) -> None:
        """Send `event` to every hook."""
        for hook in self._hooks:  # a snapshot: the tuple is replaced, never mutated
            try:
                hook(event)
            except Exception:  # noqa: BLE001 - one bad hook must not silence the others
                _log.warning("event hook %r failed on %s", hook, event.kind, exc_info=True)


class EventRecorder:
    """An in-memory hook that keeps every event, for assertions and timelines.

    Example:
        >>> recorder = EventRecorder()
        >>> recorder.events
        []
    """

    __slots__ = ("_events", "_lock")

    def __init__(self) -> None:
        self._events: list[Event] = []
        self._lock = threading.Lock()

    def __call__(self, event: Event) -> None:
        with self._lock:
            self._events.append(event)

    @property
    def events(self) -> list[Event]:
        """A copy of the events recorded so far, oldest first."""
        with self._lock:
            return list(self._events)

    def of_type(self, event_type: type[E]) -> list[E]:
        """The recorded events of one type."""
        return [e for e in self.events if isinstance(e, event_type)]

    def of_kind(self, prefix: str) -> list[Event]:
        """The recorded events whose kind starts with `prefix`."""
        return [e for e in self.events if e.kind.startswith(prefix)]

    def clear(self) -> None:
        """Forget everything recorded."""
        with self._lock:
            self._events.clear()


class JsonLogHook:
    """Writes each event as one JSON object to a `logging.Logger`."""

    __slots__ = ("level", "logger")

    def __init__(self, logger: logging.Logger | None = None, level: int = logging.INFO) -> None:
        self.logger = logger or _log
        self.level = level

    def __call__(self, event: Event) -> None:
        if self.logger.isEnabledFor(self.level):
            self.logger.log(self.level, json.dumps(event.to_dict(), sort_keys=True))


_default_lock = threading.Lock()
_default: EventBus = EventBus()


def default_bus() -> EventBus:
    """The process-wide bus used by anything not given a bus of its own."""
    return _default


@contextlib.contextmanager
def use_bus(bus: EventBus) -> Iterator[EventBus]:
    """Make `bus` the process-wide default for a block, then restore the old one."""
    global _default  # noqa: PLW0603 - one documented default, swapped under a lock
    with _default_lock:
        previous, _default = _default, bus
    try:
        yield bus
    finally:
        with _default_lock:
            _default = previous
