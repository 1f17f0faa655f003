"""Errors that name the field, also for objects built from Python.

Pydantic reports a bad positional argument by its index (`0`); users wrote
`Latency(-1)` and should read `Latency.seconds: ...`. Data parsed from YAML
or JSON goes through `_data.py`, which names the path itself.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any, TypeVar

from pydantic import ValidationError

from chaoslab.errors import ConfigError

__all__ = ["name_fields_in_errors"]

C = TypeVar("C", bound=type)


def _field(loc: tuple[int | str, ...], names: list[str]) -> str:
    parts = [
        names[p] if isinstance(p, int) and p < len(names) and i == 0 else str(p)
        for i, p in enumerate(loc)
    ]
    return ".".join(parts)


def name_fields_in_errors(cls: C) -> C:
    """Make `cls(...)` raise `ConfigError` naming each bad field (a ValueError still)."""
    init = vars(cls)["__init__"]
    names = [f.name for f in dataclasses.fields(cls) if f.init]

    @functools.wraps(init)
    def init_naming_fields(self: Any, *args: Any, **kwargs: Any) -> None:
        try:
            init(self, *args, **kwargs)
        except ValidationError as exc:
            problems = [
                (f"{cls.__name__}.{_field(tuple(e['loc']), names)}".rstrip("."), e["msg"])
                for e in exc.errors()
            ]
            raise ConfigError(problems) from None

    cls.__init__ = init_naming_fields  # type: ignore[misc]
    return cls
