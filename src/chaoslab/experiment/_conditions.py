"""Metric conditions: `error_rate > 0.05 for 5s`, `p99 > 5s`, `throughput < 100`.

A condition compares one load metric with a threshold, optionally only
once it has held for a duration. Guard rails trip when their condition
holds; recovery criteria are met when theirs holds.

Grammar: `METRIC OP NUMBER[UNIT] [for NUMBER[UNIT]] [on LOAD]`

- METRIC: `error_rate`, `p50`, `p90`, `p95`, `p99`, `max`, `throughput`,
  `requests`;
- OP: `>`, `>=`, `<`, `<=`;
- UNIT: `ms`, `s`, `m` for latencies and durations (bare numbers are
  seconds), `%` for error rates (`5%` = 0.05);
- `on LOAD` names a load run (default: every load run together).

Example:
    >>> c = parse_condition("error_rate > 5% for 5s")
    >>> (c.metric, c.op, c.threshold, c.hold)
    ('error_rate', '>', 0.05, 5.0)
    >>> c.holds(0.2), c.holds(0.01)
    (True, False)
    >>> str(parse_condition("p99 > 500ms"))
    'p99 > 0.5s'
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["METRICS", "Condition", "parse_condition"]

METRICS = ("error_rate", "p50", "p90", "p95", "p99", "max", "throughput", "requests")
LATENCY_METRICS = frozenset({"p50", "p90", "p95", "p99", "max"})

_OPS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}
_NUMBER = r"[0-9]+(?:\.[0-9]+)?"
_PATTERN = re.compile(
    rf"^\s*(?P<metric>[a-z_0-9]+)\s*(?P<op>>=|<=|>|<)\s*(?P<value>{_NUMBER})\s*"
    rf"(?P<unit>ms|s|m|%)?"
    rf"(?:\s+for\s+(?P<hold>{_NUMBER})\s*(?P<hold_unit>ms|s|m)?)?"
    rf"(?:\s+on\s+(?P<load>[A-Za-z0-9_.-]+))?\s*$"
)
_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, None: 1.0}


@dataclass(frozen=True, slots=True)
class Condition:
    """A parsed metric condition (see the module docstring)."""

    metric: str
    op: str
    threshold: float
    hold: float = 0.0
    load: str | None = None

    def holds(self, value: float | None) -> bool:
        """Whether `value` satisfies the comparison (None, no data, never does)."""
        return value is not None and _OPS[self.op](value, self.threshold)

    def margin(self, value: float | None) -> float | None:
        """How far `value` is from tripping, as a fraction of the threshold."""
        if value is None or self.threshold == 0:
            return None
        if self.op in (">", ">="):
            return (self.threshold - value) / self.threshold
        return (value - self.threshold) / self.threshold

    def __str__(self) -> str:
        unit = "s" if self.metric in LATENCY_METRICS else ""
        text = f"{self.metric} {self.op} {self.threshold:g}{unit}"
        if self.hold:
            text += f" for {self.hold:g}s"
        if self.load:
            text += f" on {self.load}"
        return text


def parse_condition(text: str) -> Condition:
    """Parse a condition, raising ValueError that says what is allowed."""
    match = _PATTERN.match(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(
            f"cannot read condition {text!r}; write METRIC OP NUMBER[ms|s|%] "
            f"[for DURATION] [on LOAD], e.g. 'error_rate > 5% for 5s' or 'p99 > 500ms'"
        )
    metric = match["metric"]
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; allowed: {', '.join(METRICS)}")
    value = float(match["value"])
    unit = match["unit"]
    if unit == "%":
        if metric != "error_rate":
            raise ValueError(f"'%' only applies to error_rate, not {metric}")
        value /= 100.0
    elif unit is not None:
        if metric not in LATENCY_METRICS:
            raise ValueError(f"time unit {unit!r} only applies to latency metrics, not {metric}")
        value *= _SECONDS[unit]
    hold = float(match["hold"]) * _SECONDS[match["hold_unit"]] if match["hold"] else 0.0
    return Condition(metric, match["op"], value, hold, match["load"])
