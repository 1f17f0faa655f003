"""The examples in the adapters' docstrings run (none of them needs a server)."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "chaoslab.adapters._psycopg",
    "chaoslab.adapters._psycopg_conn",
    "chaoslab.adapters._psycopg_pool",
    "chaoslab.adapters._redis",
    "chaoslab.adapters._redis_plan",
    "chaoslab.adapters._redis_backends",
    "chaoslab.adapters._redis_breaker_store",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_pass(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
