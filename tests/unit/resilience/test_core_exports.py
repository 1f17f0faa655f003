"""The core strategies' public names are what `chaoslab.resilience` gives users."""

from __future__ import annotations

import chaoslab.resilience
from chaoslab.errors import ResilienceError

CORE = {
    "BreakerRejected", "BreakerSnapshot", "BreakerStateChanged", "BreakerStore", "Bulkhead",
    "BulkheadFullError", "BulkheadRejected", "CircuitBreaker", "CircuitOpenError",
    "CircuitState", "LimitAlgorithm", "MemoryBreakerStore", "RateLimitRejected",
    "RateLimitWaited", "RateLimitedError", "RateLimiter", "Retry", "RetriesExhausted",
    "RetryBudget", "RetryGaveUp", "RetryScheduled", "SlidingWindowLog", "Stop",
    "StopAfterAttempt", "StopAfterDelay", "StopAll", "StopAny", "StopNever", "Timeout",
    "TimeoutExpired", "TimeoutRejected", "TokenBucket", "Wait", "WaitConstant",
    "WaitDecorrelatedJitter", "WaitEqualJitter", "WaitExponential", "WaitFullJitter", "WaitSum",
    "abandoned_threads", "call_with_timeout", "call_with_timeout_async", "retry_after_of",
}  # fmt: skip


def test_core_names_are_exported() -> None:
    assert CORE - set(chaoslab.resilience.__all__) == set()


def test_every_rejection_is_a_resilience_error() -> None:
    for name in ("CircuitOpenError", "RetriesExhausted", "TimeoutRejected",
                 "BulkheadFullError", "RateLimitedError"):  # fmt: skip
        assert issubclass(getattr(chaoslab.resilience, name), ResilienceError)
    assert issubclass(chaoslab.resilience.TimeoutRejected, TimeoutError)
