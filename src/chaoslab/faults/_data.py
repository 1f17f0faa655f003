"""Faults, schedules and targets from plain data (dicts from JSON or YAML).

Every problem is reported with the path of the field and what is allowed,
all at once, as one `ConfigError`.

Example:
    >>> fault_from_data({"type": "latency", "seconds": 0.1})
    Latency(seconds=0.1, jitter=0.0, distribution='uniform')
    >>> schedule_from_data({"first": 3})
    FirstN(n=3)
    >>> fault_from_data({"type": "latency", "seconds": -1})
    Traceback (most recent call last):
    ...
    chaoslab.errors.ConfigError: fault.seconds: Input should be greater than or equal to 0
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import TypeAdapter, ValidationError

from chaoslab.errors import ConfigError
from chaoslab.faults._faults import FAULT_TYPES, Fault
from chaoslab.faults._schedules import (
    AfterN,
    AllOf,
    Always,
    AnyOf,
    EveryNth,
    FirstN,
    Not,
    Probability,
    Ramp,
    Schedule,
    Window,
)
from chaoslab.faults._targets import Target

__all__ = ["fault_from_data", "schedule_from_data", "target_from_data"]


def _join(path: str, loc: Sequence[int | str]) -> str:
    out = path
    for part in loc:
        out = f"{out}[{part}]" if isinstance(part, int) else f"{out}.{part}" if out else str(part)
    return out


def _validate(cls: type[Any], data: Mapping[str, Any], path: str) -> Any:
    try:
        return TypeAdapter(cls).validate_python(dict(data))
    except ValidationError as exc:
        problems = [(_join(path, e["loc"]), e["msg"]) for e in exc.errors()]
        raise ConfigError(problems) from None


def _resolve_exception(value: Any, path: str) -> Any:
    if not isinstance(value, str):
        return value
    module_name, _, attr = value.rpartition(".")
    try:
        found = getattr(importlib.import_module(module_name or "builtins"), attr)
    except (ImportError, AttributeError, ValueError):
        raise ConfigError(
            [
                (
                    path,
                    f"cannot import exception {value!r} (use e.g. 'builtins.OSError')",
                )
            ]
        ) from None
    if not (isinstance(found, type) and issubclass(found, BaseException)):
        raise ConfigError([(path, f"{value!r} is not an exception class")])
    return found


def fault_from_data(data: Mapping[str, Any] | Fault, path: str = "fault") -> Fault:
    """Build a fault from `{"type": KIND, ...fields}`.

    Kinds: latency, error, http_status, timeout, hang, connection_refused,
    connection_reset, malformed, drop_mid_stream. For `error`, `exception`
    is a dotted class path such as `"builtins.ConnectionError"`.
    """
    if isinstance(data, Fault):
        return data
    if not isinstance(data, Mapping):
        raise ConfigError([(path, f"must be a mapping with a 'type', got {type(data).__name__}")])
    fields = dict(data)
    kind = fields.pop("type", None)
    if not isinstance(kind, str) or kind not in FAULT_TYPES:  # a list is unhashable
        allowed = ", ".join(sorted(FAULT_TYPES))
        raise ConfigError([(f"{path}.type", f"unknown fault type {kind!r}; allowed: {allowed}")])
    if kind == "error" and "exception" in fields:
        fields["exception"] = _resolve_exception(fields["exception"], f"{path}.exception")
    fault: Fault = _validate(FAULT_TYPES[kind], fields, path)
    return fault


_SIMPLE: dict[str, tuple[type[Schedule], str]] = {
    "probability": (Probability, "p"),
    "first": (FirstN, "n"),
    "after": (AfterN, "n"),
    "every": (EveryNth, "n"),
}
_STRUCTURED: dict[str, type[Schedule]] = {"window": Window, "ramp": Ramp}
_ALLOWED = "always, probability, first, after, every, window, ramp, all, any, not"


def _one(key: str, value: Any, path: str) -> Schedule:
    where = f"{path}.{key}"
    if key in _SIMPLE:
        cls, field = _SIMPLE[key]
        try:
            built: Schedule = _validate(cls, {field: value}, "")
        except ConfigError as exc:
            raise ConfigError([(where, msg) for _, msg in exc.problems]) from None
        return built
    if key in _STRUCTURED:
        if not isinstance(value, Mapping):
            raise ConfigError([(where, "must be a mapping")])
        structured: Schedule = _validate(_STRUCTURED[key], value, where)
        return structured
    if key in ("all", "any"):
        if not isinstance(value, list) or not value:
            raise ConfigError([(where, "must be a non-empty list of schedules")])
        parts = tuple(schedule_from_data(v, f"{where}[{i}]") for i, v in enumerate(value))
        return AllOf(parts) if key == "all" else AnyOf(parts)
    if key == "not":
        return Not(schedule_from_data(value, where))
    if key == "always":
        return Always()
    raise ConfigError([(where, f"unknown schedule {key!r}; allowed: {_ALLOWED}")])


def schedule_from_data(data: Any, path: str = "schedule") -> Schedule:
    """Build a schedule from data.

    `None` or `"always"` is every call; a mapping such as
    `{"probability": 0.3}`, `{"first": 3}`, `{"after": 5}`, `{"every": 2}`,
    `{"window": {"start": 5, "end": 10}}`,
    `{"ramp": {"start": 0, "end": 1, "over": 60}}`, `{"all": [...]}`,
    `{"any": [...]}` or `{"not": {...}}`; several keys in one mapping must
    all hold.
    """
    if isinstance(data, Schedule):
        return data
    if data is None or data == "always":
        return Always()
    if not isinstance(data, Mapping) or not data:
        raise ConfigError([(path, f"must be 'always' or a mapping with one of: {_ALLOWED}")])
    problems: list[tuple[str, str]] = []
    parts: list[Schedule] = []
    for key, value in data.items():
        try:
            parts.append(_one(str(key), value, path))
        except ConfigError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ConfigError(problems)
    return parts[0] if len(parts) == 1 else AllOf(tuple(parts))


def target_from_data(data: Any, path: str = "target") -> Target:
    """Build a target from a pattern or a list of patterns."""
    if isinstance(data, Target):
        return data
    patterns = [data] if isinstance(data, str) else data
    if not isinstance(patterns, list) or not patterns:
        raise ConfigError([(path, "must be a glob pattern or a non-empty list of them")])
    for i, p in enumerate(patterns):
        if not isinstance(p, str) or not p:
            raise ConfigError([(f"{path}[{i}]", "must be a non-empty string")])
    return Target(*patterns)
