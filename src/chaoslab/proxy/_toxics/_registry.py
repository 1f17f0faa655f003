"""Toxic types and the `Toxic` configuration object."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chaoslab.errors import ConfigError
from chaoslab.proxy._toxics import _attrs as a
from chaoslab.proxy._toxics import _http as h
from chaoslab.proxy._toxics import _stages as s
from chaoslab.proxy._toxics._base import Stage

__all__ = ["STREAMS", "TOXIC_TYPES", "Toxic", "ToxicType", "parse_stream", "parse_toxicity"]

STREAMS = ("upstream", "downstream")


@dataclass(frozen=True, slots=True)
class ToxicType:
    """A kind of toxic: its name, attribute model and per-link runtime.

    `toxiproxy` is True for the types Toxiproxy itself knows; `streams` are the
    streams the type may be put on.
    """

    name: str
    attributes: type[a.ToxicAttributes]
    stage: type[Stage]
    summary: str
    toxiproxy: bool = True
    streams: tuple[str, ...] = STREAMS


def _types(*types: ToxicType) -> dict[str, ToxicType]:
    return {t.name: t for t in types}


_DOWN = ("downstream",)

TOXIC_TYPES: dict[str, ToxicType] = _types(
    ToxicType("noop", a.NoopAttributes, Stage, "passes everything through"),
    ToxicType("latency", a.LatencyAttributes, s.LatencyStage, "delay each chunk"),
    ToxicType("bandwidth", a.BandwidthAttributes, s.BandwidthStage, "limit KB/s"),
    ToxicType("slow_close", a.SlowCloseAttributes, s.SlowCloseStage, "delay the close"),
    ToxicType("timeout", a.TimeoutAttributes, s.TimeoutStage, "drop data, then close"),
    ToxicType("reset_peer", a.ResetPeerAttributes, s.ResetPeerStage, "reset (RST)"),
    ToxicType("slicer", a.SlicerAttributes, s.SlicerStage, "cut data in small pieces"),
    ToxicType("limit_data", a.LimitDataAttributes, s.LimitDataStage, "close after N bytes"),
    ToxicType("blackhole", a.BlackholeAttributes, s.BlackholeStage, "read and drop", False),
    ToxicType("corrupt", a.CorruptAttributes, s.CorruptStage, "flip bits", False),
    ToxicType("drop", a.DropAttributes, s.DropStage, "reset after N bytes or ms", False),
    ToxicType(
        "http_status",
        a.HttpStatusAttributes,
        h.HttpStatusStage,
        "answer with a status",
        False,
        _DOWN,
    ),
    ToxicType(
        "http_delay",
        a.HttpDelayAttributes,
        h.HttpDelayStage,
        "delay the first byte",
        False,
        _DOWN,
    ),
    ToxicType("sse_cut", a.SseCutAttributes, h.SseCutStage, "cut after N events", False, _DOWN),
)


def parse_stream(value: Any) -> str:
    """Toxiproxy's stream rule: upstream or downstream, any case."""
    if isinstance(value, str) and value.lower() in STREAMS:
        return value.lower()
    raise ConfigError([("stream", "stream was invalid, can be either upstream or downstream")])


def parse_toxicity(value: Any) -> float:
    """A probability in [0, 1] (Toxiproxy does not check; chaoslab does)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise ConfigError([("toxicity", f"must be a number in [0, 1], got {value!r}")])
    if not 0.0 <= value <= 1.0:
        raise ConfigError([("toxicity", f"must be in [0, 1], got {value!r}")])
    return float(value)


def toxic_type(name: Any) -> ToxicType:
    """The type of this name, or a ConfigError listing the known ones."""
    if name == "down":
        raise ConfigError(
            [("type", "invalid toxic type: 'down' is not a toxic, disable the proxy instead")]
        )
    found = TOXIC_TYPES.get(name) if isinstance(name, str) else None
    if found is None:
        known = ", ".join(TOXIC_TYPES)
        raise ConfigError([("type", f"invalid toxic type {name!r}; known types: {known}")])
    return found


@dataclass(frozen=True, slots=True)
class Toxic:
    """One toxic on a proxy: configuration only (frozen; updates make a new one).

    Example:
        >>> t = Toxic.build("latency", attributes={"latency": 100})
        >>> t.name, t.stream, t.attributes
        ('latency_downstream', 'downstream', {'latency': 100, 'jitter': 0})
    """

    name: str
    type: str
    stream: str
    toxicity: float
    config: a.ToxicAttributes

    @property
    def attributes(self) -> dict[str, Any]:
        """The attributes as plain data, every field included."""
        return self.config.model_dump()

    @property
    def kind(self) -> ToxicType:
        """The toxic's type object."""
        return TOXIC_TYPES[self.type]

    @classmethod
    def build(
        cls,
        type: str,  # noqa: A002 - Toxiproxy's field name
        *,
        name: str | None = None,
        stream: str = "downstream",
        toxicity: float = 1.0,
        attributes: Mapping[str, Any] | None = None,
    ) -> Toxic:
        """Validate everything, then build; ConfigError names each bad field."""
        kind = toxic_type(type)
        stream = parse_stream(stream)
        if stream not in kind.streams:
            raise ConfigError(
                [("stream", f"{kind.name} acts on responses to the client: use 'downstream'")]
            )
        toxicity = parse_toxicity(toxicity)
        if name is not None and (not isinstance(name, str) or not name):
            raise ConfigError([("name", "must be a non-empty string")])
        data = dict(attributes) if isinstance(attributes, Mapping) else attributes
        config = a.parse_attributes(kind.attributes, data)
        return cls(name or f"{kind.name}_{stream}", kind.name, stream, toxicity, config)

    def updated(
        self, *, toxicity: float | None = None, attributes: Mapping[str, Any] | None = None
    ) -> Toxic:
        """A copy with new toxicity and attributes merged over the current ones."""
        new_toxicity = self.toxicity if toxicity is None else parse_toxicity(toxicity)
        config = self.config
        if attributes is not None:
            data = dict(attributes) if isinstance(attributes, Mapping) else attributes
            config = a.parse_attributes(self.kind.attributes, data, base=self.config)
        return Toxic(self.name, self.type, self.stream, new_toxicity, config)

    def to_dict(self) -> dict[str, Any]:
        """Toxiproxy's JSON shape."""
        return {
            "attributes": self.attributes,
            "name": self.name,
            "type": self.type,
            "stream": self.stream,
            "toxicity": self.toxicity,
        }
