"""Resilience strategies, sync and asyncio alike, every timing driven by a Clock.

Breaker, retry, timeout, bulkhead and rate limiter; fallback, cache with
stale fallback, hedging, the pipeline that composes them, the degradation
manager and the durable fallback queue. See the guide, docs/resilience.md.
"""

from chaoslab.resilience._breaker import CircuitBreaker
from chaoslab.resilience._breaker_state import BreakerSnapshot, CircuitState
from chaoslab.resilience._breaker_store import BreakerStore, MemoryBreakerStore
from chaoslab.resilience._budget import RetryBudget
from chaoslab.resilience._bulkhead import Bulkhead
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
from chaoslab.resilience._errors import (
    BulkheadFullError,
    CircuitOpenError,
    RateLimitedError,
    RetriesExhausted,
    TimeoutRejected,
)
from chaoslab.resilience._events import (
    BreakerRejected,
    BreakerStateChanged,
    BulkheadRejected,
    RateLimitRejected,
    RateLimitWaited,
    RetryGaveUp,
    RetryScheduled,
    TimeoutExpired,
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
from chaoslab.resilience._ratelimit import (
    LimitAlgorithm,
    RateLimiter,
    SlidingWindowLog,
    TokenBucket,
)
from chaoslab.resilience._retry import Retry
from chaoslab.resilience._retry_after import retry_after_of
from chaoslab.resilience._stop import (
    Stop,
    StopAfterAttempt,
    StopAfterDelay,
    StopAll,
    StopAny,
    StopNever,
)
from chaoslab.resilience._strategy import Strategy
from chaoslab.resilience._testmode import TestMode, current_test_mode, set_test_mode, testing
from chaoslab.resilience._timeout import (
    Timeout,
    abandoned_threads,
    call_with_timeout,
    call_with_timeout_async,
)
from chaoslab.resilience._wait import (
    Wait,
    WaitConstant,
    WaitDecorrelatedJitter,
    WaitEqualJitter,
    WaitExponential,
    WaitFullJitter,
    WaitSum,
)

__all__ = [
    "BreakerRejected",
    "BreakerSnapshot",
    "BreakerStateChanged",
    "BreakerStore",
    "Bulkhead",
    "BulkheadFullError",
    "BulkheadRejected",
    "Cache",
    "CacheBackend",
    "CacheEntry",
    "CacheHit",
    "CacheMiss",
    "CacheResult",
    "CacheStaleServed",
    "CacheStats",
    "Chaos",
    "CircuitBreaker",
    "CircuitOpenError",
    "CircuitState",
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
    "LimitAlgorithm",
    "MemoryBackend",
    "MemoryBreakerStore",
    "Outcome",
    "Pipeline",
    "PipelineOrderWarning",
    "QueueDeadLettered",
    "QueueDrained",
    "QueueSpilled",
    "RateLimitRejected",
    "RateLimitWaited",
    "RateLimitedError",
    "RateLimiter",
    "RetriesExhausted",
    "Retry",
    "RetryBudget",
    "RetryGaveUp",
    "RetryScheduled",
    "SlidingWindowLog",
    "Stop",
    "StopAfterAttempt",
    "StopAfterDelay",
    "StopAll",
    "StopAny",
    "StopNever",
    "Strategy",
    "TestMode",
    "Timeout",
    "TimeoutExpired",
    "TimeoutRejected",
    "TokenBucket",
    "Wait",
    "WaitConstant",
    "WaitDecorrelatedJitter",
    "WaitEqualJitter",
    "WaitExponential",
    "WaitFullJitter",
    "WaitSum",
    "abandoned_threads",
    "call_with_timeout",
    "call_with_timeout_async",
    "current_pipeline",
    "current_test_mode",
    "default_mode_policy",
    "retry_after_of",
    "set_test_mode",
    "testing",
]
