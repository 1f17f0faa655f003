"""Targets: where a fault applies, as globs over injection point names.

Example:
    >>> t = Target("redis.*", "llm.complete")
    >>> t.matches("redis.GET"), t.matches("llm.complete"), t.matches("pg.query")
    (True, True, False)
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field

__all__ = ["Target"]


@dataclass(frozen=True, slots=True, init=False)
class Target:
    """One or more glob patterns (`*`, `?`, `[...]`), case-sensitive."""

    patterns: tuple[str, ...]
    _regex: re.Pattern[str] = field(repr=False, compare=False)

    def __init__(self, *patterns: str) -> None:
        if not patterns:
            raise ValueError("a target needs at least one pattern")
        for p in patterns:
            if not isinstance(p, str) or not p:
                raise ValueError(f"a target pattern must be a non-empty string, got {p!r}")
        object.__setattr__(self, "patterns", tuple(patterns))
        joined = "|".join(f"(?:{fnmatch.translate(p)})" for p in patterns)
        object.__setattr__(self, "_regex", re.compile(joined))

    @classmethod
    def of(cls, value: Target | str) -> Target:
        """A target from a target or a single pattern."""
        return value if isinstance(value, Target) else cls(value)

    def matches(self, name: str) -> bool:
        """Whether the injection point `name` is targeted."""
        return self._regex.match(name) is not None

    def __str__(self) -> str:
        return ", ".join(self.patterns)
