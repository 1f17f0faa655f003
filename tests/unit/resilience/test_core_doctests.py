"""The examples in the docstrings of every resilience module run as tests."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import chaoslab.resilience

# Internal helpers with no public API, hence no example to run.
NO_EXAMPLES = {"_queue_journal", "_support"}
MODULES = sorted(m.name for m in pkgutil.iter_modules(chaoslab.resilience.__path__))


def test_the_list_covers_the_package() -> None:
    # Discovered, not listed by hand: a new module's examples run without anyone adding it.
    assert {"_breaker", "_retry", "_cache", "_fallback_queue", "_hedging"} <= set(MODULES)
    assert set(MODULES) >= NO_EXAMPLES


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(f"chaoslab.resilience.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    if name not in NO_EXAMPLES:
        assert result.attempted > 0
