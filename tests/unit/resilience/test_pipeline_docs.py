"""The python examples of the second half of docs/resilience.md run and pass."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest

from chaoslab.resilience import set_test_mode

DOC = Path(__file__).parents[3] / "docs" / "resilience.md"
MARKER = "<!-- Sections below: fallback, cache, hedging"


def examples() -> list[str]:
    text = DOC.read_text(encoding="utf-8")
    ours = text[text.index(MARKER) :]
    return re.findall(r"```python\n(.*?)```", ours, flags=re.DOTALL)


def test_the_sections_have_examples() -> None:
    assert len(examples()) >= 8


@pytest.mark.parametrize("index", range(len(examples())))
def test_example_runs(index: int) -> None:
    code = examples()[index]
    previous = set_test_mode(no_wait=False)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            exec(compile(code, f"{DOC.name}[example {index}]", "exec"), {})
    finally:
        set_test_mode(no_wait=previous.no_wait)
