"""Resilience strategies, sync and asyncio alike, every timing driven by a Clock.

Breaker, retry, timeout, bulkhead and rate limiter; fallback, cache with
stale fallback, hedging, the pipeline that composes them, the degradation
manager and the durable fallback queue. See the guide, docs/resilience.md.
"""

from chaoslab.resilience._cache import Cache, CacheResult, CacheStats, KeyedCache
from chaoslab.resilience._cache_backend import CacheBackend, CacheEntry, MemoryBackend
from chaoslab.resilience._chaos import Chaos
from chaoslab.resilience._degradation import (
    Criticality,
    DegradationManager,
    DegradationMode,
    DependencyStatus,
    HealthCheck,
    default_mode_policy,
)
from chaoslab.resilience._events_b import (
    CacheHit,
    CacheMiss,
    CacheStaleServed,
    DegradationModeChanged,
    DependencyHealthChanged,
    FallbackUsed,
    HedgeLaunched,
    HedgeWon,
    QueueDeadLettered,
    QueueDrained,
    QueueSpilled,
)
from chaoslab.resilience._fallback import Fallback, Outcome
from chaoslab.resilience._fallback_queue import DeadLetter, DrainResult, FallbackQueue
from chaoslab.resilience._hedging import Hedging
from chaoslab.resilience._pipeline import Pipeline, PipelineOrderWarning, current_pipeline
from chaoslab.resilience._strategy import Strategy
from chaoslab.resilience._testmode import TestMode, current_test_mode, set_test_mode, testing

__all__ = [
    "Cache",
    "CacheBackend",
    "CacheEntry",
    "CacheHit",
    "CacheMiss",
    "CacheResult",
    "CacheStaleServed",
    "CacheStats",
    "Chaos",
    "Criticality",
    "DeadLetter",
    "DegradationManager",
    "DegradationMode",
    "DegradationModeChanged",
    "DependencyHealthChanged",
    "DependencyStatus",
    "DrainResult",
    "Fallback",
    "FallbackQueue",
    "FallbackUsed",
    "HealthCheck",
    "HedgeLaunched",
    "HedgeWon",
    "Hedging",
    "KeyedCache",
    "MemoryBackend",
    "Outcome",
    "Pipeline",
    "PipelineOrderWarning",
    "QueueDeadLettered",
    "QueueDrained",
    "QueueSpilled",
    "Strategy",
    "TestMode",
    "current_pipeline",
    "current_test_mode",
    "default_mode_policy",
    "set_test_mode",
    "testing",
]
