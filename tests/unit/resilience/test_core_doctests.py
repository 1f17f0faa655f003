"""The examples in the breaker/retry/timeout/bulkhead/limiter docstrings run as tests."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "chaoslab.resilience._breaker",
    "chaoslab.resilience._breaker_state",
    "chaoslab.resilience._breaker_store",
    "chaoslab.resilience._budget",
    "chaoslab.resilience._bulkhead",
    "chaoslab.resilience._errors",
    "chaoslab.resilience._events",
    "chaoslab.resilience._ratelimit",
    "chaoslab.resilience._retry",
    "chaoslab.resilience._retry_after",
    "chaoslab.resilience._stop",
    "chaoslab.resilience._timeout",
    "chaoslab.resilience._wait",
    "chaoslab.resilience._windows",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0
