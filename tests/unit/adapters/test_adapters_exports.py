"""chaoslab.adapters exports what `__all__` says, and loads redis/psycopg only on use."""

from __future__ import annotations

import subprocess
import sys

import pytest

import chaoslab.adapters


def test_every_exported_name_resolves_once() -> None:
    names = chaoslab.adapters.__all__
    assert [name for name in names if not hasattr(chaoslab.adapters, name)] == []
    assert len(set(names)) == len(names)
    assert sorted(dir(chaoslab.adapters)) == sorted(names)


def test_importing_the_package_imports_neither_redis_nor_psycopg() -> None:
    code = (
        "import sys, chaoslab.adapters as a\n"
        "assert 'redis' not in sys.modules and 'psycopg' not in sys.modules\n"
        "a.ChaosRedisPool\n"
        "assert 'redis' in sys.modules and 'psycopg' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="NoSuchThing"):
        chaoslab.adapters.NoSuchThing  # noqa: B018 - the access is the test
