"""Tolerances: does a probe's output meet the steady state? (Chaos Toolkit's rules.)

- bool: `output == tolerance` (no unwrapping);
- number: compared with `output["status"]` when the output has one, else equality;
- string: equality;
- list: with a `status` output, membership; otherwise two numbers are an
  inclusive range, anything else membership;
- `range`: inclusive, over `output` or `output[target]`; non-numbers fail;
- `regex`: `re.search` over `output` or `output[target]`;
- `jsonpath`: at least one match; `count` → exactly that many; `expect` →
  the matches equal `[expect]` (a scalar) or `expect` (a list);
- `probe`: another probe gets the output as argument `value`; it passes
  when it returns something truthy and does not fail.

Example:
    >>> import asyncio
    >>> asyncio.run(tolerance_met(200, {"status": 200, "body": ""}))
    True
    >>> asyncio.run(tolerance_met([1, 5], 3))
    True
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from chaoslab.experiment._model import (
    JsonPathTolerance,
    ProbeTolerance,
    RangeTolerance,
    RegexTolerance,
)

__all__ = ["tolerance_met"]

ProbeRunner = Callable[[ProbeTolerance, Any], Awaitable[bool]]


def _target(output: Any, target: str | None) -> Any:
    if target is None:
        return output
    if isinstance(output, dict):
        return output.get(target)
    return None


def _in_range(tolerance: RangeTolerance, output: Any) -> bool:
    value = _target(output, tolerance.target)
    if isinstance(value, bool) or value is None:
        return False
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return False
    low, high = tolerance.range
    return Decimal(str(low)) <= number <= Decimal(str(high))


def _regex(tolerance: RegexTolerance, output: Any) -> bool:
    value = _target(output, tolerance.target)
    if value is None:
        return False
    return re.search(tolerance.pattern, value if isinstance(value, str) else str(value)) is not None


def _jsonpath(tolerance: JsonPathTolerance, output: Any) -> bool:
    import jsonpath

    value = _target(output, tolerance.target)
    if isinstance(value, str | bytes):
        try:
            value = json.loads(value)
        except ValueError:
            return False
    matches = jsonpath.findall(tolerance.path, value)
    if "expect" in tolerance.model_fields_set:
        expected = tolerance.expect if isinstance(tolerance.expect, list) else [tolerance.expect]
        return list(matches) == expected
    if tolerance.count is not None:
        return len(matches) == tolerance.count
    return len(matches) > 0


def _scalar(tolerance: Any, output: Any) -> bool:  # noqa: PLR0911 - one rule per kind
    if isinstance(tolerance, bool):
        return bool(output == tolerance and type(output) is bool)
    if isinstance(tolerance, int | float):
        if isinstance(output, dict) and "status" in output:
            return bool(output["status"] == tolerance)
        return bool(output == tolerance) and not isinstance(output, bool)
    if isinstance(tolerance, str):
        return bool(output == tolerance)
    if isinstance(output, dict) and "status" in output:
        return output["status"] in tolerance
    if len(tolerance) == 2 and all(
        isinstance(x, int | float) and not isinstance(x, bool) for x in tolerance
    ):
        if isinstance(output, int | float) and not isinstance(output, bool):
            return bool(tolerance[0] <= output <= tolerance[1])
        return False
    return output in tolerance


async def tolerance_met(tolerance: Any, output: Any, run_probe: ProbeRunner | None = None) -> bool:
    """Whether `output` meets `tolerance` (a model tolerance or a literal)."""
    if isinstance(tolerance, RangeTolerance):
        return _in_range(tolerance, output)
    if isinstance(tolerance, RegexTolerance):
        return _regex(tolerance, output)
    if isinstance(tolerance, JsonPathTolerance):
        return _jsonpath(tolerance, output)
    if isinstance(tolerance, ProbeTolerance):
        if run_probe is None:
            raise ValueError("a probe tolerance needs a probe runner")
        return await run_probe(tolerance, output)
    return _scalar(tolerance, output)
