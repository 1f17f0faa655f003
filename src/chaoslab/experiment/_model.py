"""The typed, frozen model of an experiment file (Chaos Toolkit's keys).

Built by `load_experiment` after configuration and `${name}` substitution;
nothing downstream looks at raw dicts. Activities, providers and
tolerances are in `_activities` (re-exported here); the hypothesis, the
runtime block, the `chaoslab` extension and the experiment itself are here.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    field_validator,
    model_validator,
)

from chaoslab.experiment._activities import (
    Activity,
    ChaoslabProvider,
    HttpProvider,
    JsonPathTolerance,
    MethodItem,
    NonEmpty,
    Pauses,
    ProbeTolerance,
    ProcessProvider,
    Provider,
    PythonProvider,
    RangeTolerance,
    Ref,
    RegexTolerance,
    Tolerance,
)
from chaoslab.experiment._base import Frozen
from chaoslab.experiment._conditions import Condition, parse_condition
from chaoslab.experiment._prov_load import StartLoad
from chaoslab.experiment._stack import ProxySpec, ServiceSpec

__all__ = [
    "HYPOTHESIS_STRATEGIES",
    "ROLLBACK_STRATEGIES",
    "Activity",
    "BlastRadius",
    "ChaoslabProvider",
    "ChaoslabSettings",
    "Experiment",
    "GuardRailSpec",
    "HttpProvider",
    "Hypothesis",
    "HypothesisProbe",
    "JsonPathTolerance",
    "MethodItem",
    "Pauses",
    "ProbeTolerance",
    "ProcessProvider",
    "Provider",
    "PythonProvider",
    "RangeTolerance",
    "Ref",
    "RegexTolerance",
    "Runtime",
    "Tolerance",
]

HYPOTHESIS_STRATEGIES = (
    "default",
    "before-method-only",
    "after-method-only",
    "during-method-only",
    "continuously",
)
ROLLBACK_STRATEGIES = ("default", "always", "never", "deviated")


def _dashed(name: str) -> str:
    return name.replace("_", "-")


class HypothesisProbe(Activity):
    """A hypothesis probe: an activity whose tolerance is required."""

    tolerance: Tolerance


class Hypothesis(Frozen):
    """The steady-state hypothesis: probes, each with a tolerance."""

    title: NonEmpty
    probes: list[HypothesisProbe] = Field(default_factory=list)
    controls: list[Any] | None = None


# -- runtime -----------------------------------------------------------------


class RollbackRuntime(Frozen):
    """`runtime.rollbacks`."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    strategy: Literal["default", "always", "never", "deviated"] = "default"


class HypothesisRuntime(Frozen):
    """`runtime.hypothesis`; `continously` (Chaos Toolkit's old spelling) is accepted."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)
    strategy: Literal[
        "default",
        "before-method-only",
        "after-method-only",
        "during-method-only",
        "continuously",
    ] = "default"
    frequency: Annotated[float, Field(gt=0)] = 1.0
    fail_fast: bool = Field(default=False, alias="fail-fast")

    @model_validator(mode="before")
    @classmethod
    def _old_spelling(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("strategy") == "continously":
            return {**data, "strategy": "continuously"}
        return data


class Runtime(Frozen):
    """`runtime`: the default strategies (the CLI options win)."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    rollbacks: RollbackRuntime = Field(default_factory=RollbackRuntime)
    hypothesis: HypothesisRuntime = Field(default_factory=HypothesisRuntime)


# -- chaoslab extension --------------------------------------------------------


class GuardRailSpec(Frozen):
    """An abort condition: a metric `condition`, or a `probe` that must pass."""

    model_config = ConfigDict(frozen=True, extra="forbid", alias_generator=_dashed)
    name: NonEmpty
    condition: str | None = None
    probe: Activity | None = None
    every: Annotated[float, Field(gt=0, le=0.25)] = 0.25

    @field_validator("condition")
    @classmethod
    def _parses(cls, value: str | None) -> str | None:
        if value is not None:
            parse_condition(value)
        return value

    @model_validator(mode="after")
    def _one_kind(self) -> GuardRailSpec:
        if (self.condition is None) == (self.probe is None):
            raise ValueError("a guard rail has exactly one of 'condition' or 'probe'")
        return self

    @property
    def parsed(self) -> Condition | None:
        """The parsed condition, if this is a metric rail."""
        return parse_condition(self.condition) if self.condition else None


class BlastRadius(Frozen):
    """What the experiment may touch, checked when the file is validated.

    `None` lists mean "anything"; injection points are glob patterns.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", alias_generator=_dashed)
    proxies: list[str] | None = None
    services: list[str] | None = None
    injection_points: list[str] | None = None
    max_concurrent_faults: Annotated[int, Field(ge=1)] | None = None
    max_fault_duration: Annotated[float, Field(gt=0)] | None = None


class ChaoslabSettings(Frozen):
    """The `extensions` entry named `chaoslab`: guard rails, blast radius, recovery."""

    model_config = ConfigDict(frozen=True, extra="forbid", alias_generator=_dashed)
    name: Literal["chaoslab"] = "chaoslab"
    seed: int | None = None
    max_duration: Annotated[float, Field(gt=0)] | None = None
    guard_rails: list[GuardRailSpec] = Field(default_factory=list)
    blast_radius: BlastRadius = Field(default_factory=BlastRadius)
    recovery: list[str] = Field(default_factory=list)
    proxy_url: str = "http://127.0.0.1:8474"
    loads: list[StartLoad] = Field(default_factory=list)
    warmup: Annotated[float, Field(ge=0)] = 0.0
    services: list[ServiceSpec] = Field(default_factory=list)
    proxies: list[ProxySpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_stack_names(self) -> ChaoslabSettings:
        for what, names in (
            ("service", [s.name for s in self.services]),
            ("proxy", [p.name for p in self.proxies]),
        ):
            doubled = sorted({n for n in names if names.count(n) > 1})
            if doubled:
                raise ValueError(f"{what} names must be unique: {', '.join(doubled)}")
        return self

    @field_validator("recovery")
    @classmethod
    def _criteria(cls, values: list[str]) -> list[str]:
        for value in values:
            parse_condition(value)
        return values


def _named(extension: dict[str, Any]) -> dict[str, Any]:
    name = extension.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ValueError("an extension needs a non-blank 'name'")
    return extension


class Experiment(Frozen):
    """A whole experiment, as Chaos Toolkit's format has it."""

    # Unknown top-level keys are kept (Chaos Toolkit copies them to the journal).
    model_config = ConfigDict(frozen=True, extra="allow", populate_by_name=True)
    version: str | None = None
    title: NonEmpty
    description: NonEmpty
    tags: list[NonEmpty] = Field(default_factory=list)
    contributions: dict[str, str] | None = None
    configuration: dict[str, Any] = Field(default_factory=dict)
    secrets: dict[str, dict[str, Any]] = Field(default_factory=dict)
    steady_state_hypothesis: Hypothesis | None = Field(
        default=None, alias="steady-state-hypothesis"
    )
    method: list[MethodItem]
    rollbacks: list[Activity] = Field(default_factory=list)
    runtime: Runtime = Field(default_factory=Runtime)
    extensions: list[Annotated[dict[str, Any], AfterValidator(_named)]] = Field(
        default_factory=list
    )
    controls: list[Any] | None = None
    chaoslab: ChaoslabSettings = Field(default_factory=ChaoslabSettings, exclude=True)
    _raw: dict[str, Any] = PrivateAttr(default_factory=dict)
    _notes: list[str] = PrivateAttr(default_factory=list)

    @property
    def raw(self) -> dict[str, Any]:
        """The document as read (before substitution), for the journal."""
        return self._raw

    @property
    def notes(self) -> list[str]:
        """Warnings from loading (keys Chaos Toolkit knows that chaoslab ignores)."""
        return list(self._notes)

    def activity(self, name: str) -> Activity | None:
        """The method activity or hypothesis probe a `ref` names (probes win)."""
        if self.steady_state_hypothesis:
            for probe in self.steady_state_hypothesis.probes:
                if probe.name == name:
                    return probe
        for item in self.method:
            if isinstance(item, Activity) and item.name == name:
                return item
        return None

    def resolve(self, item: Activity | Ref) -> Activity:
        """`item` itself, or the activity its `ref` names."""
        if isinstance(item, Activity):
            return item
        found = self.activity(item.ref)
        if found is None:
            raise LookupError(f"referenced activity {item.ref!r} could not be found")
        return found
