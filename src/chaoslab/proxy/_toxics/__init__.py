"""Toxics: attribute models, runtimes and the registry of types."""

from chaoslab.proxy._toxics._attrs import ToxicAttributes
from chaoslab.proxy._toxics._base import Chunk, LinkContext, Stage
from chaoslab.proxy._toxics._registry import (
    STREAMS,
    TOXIC_TYPES,
    Toxic,
    ToxicType,
    parse_stream,
    parse_toxicity,
    toxic_type,
)

__all__ = [
    "STREAMS",
    "TOXIC_TYPES",
    "Chunk",
    "LinkContext",
    "Stage",
    "Toxic",
    "ToxicAttributes",
    "ToxicType",
    "parse_stream",
    "parse_toxicity",
    "toxic_type",
]
