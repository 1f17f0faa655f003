"""`chaoslab.load` and `chaoslab.report` export exactly their sorted `__all__`."""

import importlib

import pytest


@pytest.mark.parametrize("name", ["chaoslab.load", "chaoslab.report"])
def test_all_is_sorted_resolves_and_covers_the_public_names(name: str) -> None:
    module = importlib.import_module(name)
    assert module.__all__ == sorted(module.__all__)
    assert [n for n in module.__all__ if not hasattr(module, n)] == []
    public = {
        n
        for n, value in vars(module).items()
        if not n.startswith("_") and getattr(value, "__module__", "").startswith(name)
    }
    assert public <= set(module.__all__)
