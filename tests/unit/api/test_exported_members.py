"""The public API is exactly what `chaoslab.__all__` says, and each subpackage's too."""

import importlib

import pytest

import chaoslab

SUBPACKAGES = [
    "adapters",
    "experiment",
    "faults",
    "inject",
    "load",
    "observe",
    "proxy",
    "report",
    "resilience",
    "services",
]


def test_every_exported_name_exists_and_all_is_sorted() -> None:
    missing = [name for name in chaoslab.__all__ if not hasattr(chaoslab, name)]
    assert missing == []
    # The order itself is kept by ruff (RUF022); here: no name twice.
    assert len(set(chaoslab.__all__)) == len(chaoslab.__all__)


def test_public_classes_and_functions_are_all_exported() -> None:
    public = {
        name
        for name, value in vars(chaoslab).items()
        if not name.startswith("_")
        and getattr(value, "__module__", "").startswith("chaoslab")
        and not isinstance(value, type(chaoslab))
    }
    assert public <= set(chaoslab.__all__)


@pytest.mark.parametrize("name", SUBPACKAGES)
def test_subpackage_exports_resolve(name: str) -> None:
    module = importlib.import_module(f"chaoslab.{name}")
    assert [n for n in module.__all__ if not hasattr(module, n)] == []
    assert len(set(module.__all__)) == len(module.__all__)
