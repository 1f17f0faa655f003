"""The python examples of the core-strategy sections of docs/resilience.md run and pass."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest

DOC = Path(__file__).parents[3] / "docs" / "resilience.md"
START = "<!-- Sections of the core strategies"
END = "<!-- Sections below: fallback, cache, hedging"


def examples() -> list[str]:
    text = DOC.read_text(encoding="utf-8")
    ours = text[text.index(START) : text.index(END)]
    return re.findall(r"```python\n(.*?)```", ours, flags=re.DOTALL)


def test_every_core_section_has_an_example() -> None:
    text = DOC.read_text(encoding="utf-8")
    ours = text[text.index(START) : text.index(END)]
    for heading in ("Circuit breaker", "Retry", "Timeout", "Bulkhead", "Rate limiter"):
        assert f"## {heading}\n" in ours
    assert len(examples()) == 5


@pytest.mark.parametrize("index", range(len(examples())))
def test_example_runs(index: int) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        exec(compile(examples()[index], f"{DOC.name}[core example {index}]", "exec"), {})
