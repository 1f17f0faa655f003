"""Activities: providers, tolerances, pauses, refs (Chaos Toolkit's keys, typed).

Keys Chaos Toolkit knows but chaoslab does not act on (activity `controls`,
`configuration`, `secrets`) are accepted and ignored with a warning; any
other unknown key inside an activity is an error naming the allowed keys.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    Discriminator,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    Tag,
    field_validator,
)

from chaoslab.experiment._base import Frozen

__all__ = [
    "Activity",
    "ChaoslabProvider",
    "HttpProvider",
    "JsonPathTolerance",
    "MethodItem",
    "NonEmpty",
    "Pauses",
    "ProbeTolerance",
    "ProcessProvider",
    "Provider",
    "PythonProvider",
    "RangeTolerance",
    "Ref",
    "RegexTolerance",
    "Tolerance",
]

NonEmpty = Annotated[str, Field(min_length=1)]
Seconds = Annotated[float, Field(ge=0)]


# -- providers ---------------------------------------------------------------


class PythonProvider(Frozen):
    """Chaos Toolkit's python provider: call `module.func(**arguments)`."""

    type: Literal["python"]
    module: NonEmpty
    func: NonEmpty
    arguments: dict[str, Any] = Field(default_factory=dict)
    secrets: list[str] | None = None


class ProcessProvider(Frozen):
    """Chaos Toolkit's process provider: run `path` with `arguments`."""

    type: Literal["process"]
    path: NonEmpty
    arguments: list[Any] | str | dict[str, Any] | None = None
    timeout: Annotated[float, Field(gt=0)] | None = None


class HttpProvider(Frozen):
    """Chaos Toolkit's http provider: one request; output `{status, headers, body}`.

    `expected_status`, which Chaos Toolkit ignores, is honoured: another
    status fails the activity.
    """

    type: Literal["http"]
    url: NonEmpty
    method: Annotated[str, Field(pattern=r"^[A-Za-z]+$")] = "GET"
    headers: dict[str, str] = Field(default_factory=dict)
    arguments: dict[str, Any] | None = None
    timeout: Annotated[float, Field(gt=0)] | tuple[float, float] | None = None
    verify_tls: bool = True
    max_retries: Annotated[int, Field(ge=0, le=10)] = 0
    expected_status: Annotated[int, Field(ge=100, le=599)] | None = None
    secrets: list[str] | None = None


class ChaoslabProvider(Frozen):
    """chaoslab's own provider: `module` and `func` from the provider registry.

    Its `arguments` are checked against the function's typed argument model
    when the file is validated.
    """

    type: Literal["chaoslab"]
    module: NonEmpty
    func: NonEmpty
    arguments: dict[str, Any] = Field(default_factory=dict)


Provider = Annotated[
    PythonProvider | ProcessProvider | HttpProvider | ChaoslabProvider,
    Field(discriminator="type"),
]

# -- tolerances --------------------------------------------------------------


class RangeTolerance(Frozen):
    """Inclusive numeric range over the output (or `output[target]`)."""

    type: Literal["range"]
    range: tuple[float, float]
    target: str | None = None

    @field_validator("range")
    @classmethod
    def _ordered(cls, value: tuple[float, float]) -> tuple[float, float]:
        if value[0] > value[1]:
            raise ValueError(f"the lower bound {value[0]} is above the upper bound {value[1]}")
        return value


class RegexTolerance(Frozen):
    """`re.search(pattern, output or output[target])`."""

    type: Literal["regex"]
    pattern: str
    target: str | None = None

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a regular expression: {exc}") from None
        return value


class JsonPathTolerance(Frozen):
    """JSONPath over the output: at least one match, or `count`, or `expect`."""

    type: Literal["jsonpath"]
    path: NonEmpty
    target: str | None = None
    count: Annotated[int, Field(ge=0)] | None = None
    expect: Any = None

    @field_validator("path")
    @classmethod
    def _parses(cls, value: str) -> str:
        try:
            import jsonpath
        except ImportError:  # an optional dependency: say how to get it
            raise ValueError(
                "jsonpath tolerances need python-jsonpath: pip install 'chaoslab[experiment]'"
            ) from None
        try:
            jsonpath.compile(value)
        except jsonpath.JSONPathError as exc:
            raise ValueError(f"not a JSONPath: {str(exc).splitlines()[0]}") from None
        return value


class ProbeTolerance(Frozen):
    """Another probe judges the output (passed to it as argument `value`)."""

    type: Literal["probe"]
    name: NonEmpty
    provider: Provider


def _tolerance_tag(value: Any) -> str | None:
    if isinstance(value, Frozen):  # serialising a parsed model
        return str(getattr(value, "type", None))
    if isinstance(value, dict):
        kind = value.get("type")
        return kind if kind in ("range", "regex", "jsonpath", "probe") else None
    for tag, kind in (("bool", bool), ("int", int), ("float", float), ("str", str)):
        if isinstance(value, kind):
            return tag
    return "list" if isinstance(value, list) else None


Tolerance = Annotated[
    Annotated[StrictBool, Tag("bool")]
    | Annotated[StrictInt, Tag("int")]
    | Annotated[StrictFloat, Tag("float")]
    | Annotated[StrictStr, Tag("str")]
    | Annotated[list[Any], Tag("list")]
    | Annotated[RangeTolerance, Tag("range")]
    | Annotated[RegexTolerance, Tag("regex")]
    | Annotated[JsonPathTolerance, Tag("jsonpath")]
    | Annotated[ProbeTolerance, Tag("probe")],
    Discriminator(
        _tolerance_tag,
        custom_error_type="tolerance",
        custom_error_message=(
            "a tolerance is a boolean, number, string, list, or a mapping with "
            "type range, regex, jsonpath or probe"
        ),
    ),
]

# -- activities --------------------------------------------------------------


class Pauses(Frozen):
    """Seconds to wait before and after an activity (on the run's clock)."""

    before: Seconds = 0.0
    after: Seconds = 0.0


class Activity(Frozen):
    """A probe or an action."""

    type: Literal["probe", "action"]
    name: NonEmpty
    provider: Provider
    background: bool = False
    pauses: Pauses | None = None
    tolerance: Tolerance | None = None
    timeout: Annotated[float, Field(gt=0)] | None = None
    # Accepted for compatibility, not acted on (a warning says so).
    controls: list[Any] | None = None
    configuration: dict[str, Any] | None = None
    secrets: Any = None


class Ref(Frozen):
    """`{ref: name}`: run the method activity or hypothesis probe of that name."""

    ref: NonEmpty


def _method_tag(value: Any) -> str:
    if isinstance(value, Ref):
        return "ref"
    return "ref" if isinstance(value, dict) and "ref" in value else "activity"


MethodItem = Annotated[
    Annotated[Activity, Tag("activity")] | Annotated[Ref, Tag("ref")],
    Discriminator(_method_tag),
]
