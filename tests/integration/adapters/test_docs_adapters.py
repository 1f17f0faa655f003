"""The examples of docs/adapters.md and of the "Redis backends" section of
docs/resilience.md run against real servers, so the guides cannot rot."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[3] / "docs"


def _blocks(text: str, fence: str) -> list[str]:
    return re.findall(rf"^```{fence}\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)


def test_adapters_guide_runs_in_order(redis_url: str, postgres_url: str) -> None:
    blocks = _blocks((DOCS / "adapters.md").read_text(encoding="utf-8"), "python")
    assert len(blocks) >= 8
    namespace: dict[str, object] = {"redis_url": redis_url, "postgres_url": postgres_url}
    for number, code in enumerate(blocks, 1):
        exec(compile(code, f"docs/adapters.md:block{number}", "exec"), namespace)


def test_resilience_redis_backends_section_runs(redis_url: str) -> None:
    text = (DOCS / "resilience.md").read_text(encoding="utf-8")
    section = text[text.index("\n## Redis backends\n") :]
    blocks = _blocks(section, "py")
    assert len(blocks) == 2
    namespace: dict[str, object] = {"redis_url": redis_url}
    for number, code in enumerate(blocks, 1):
        exec(compile(code, f"docs/resilience.md:redis-backends:{number}", "exec"), namespace)


@pytest.mark.parametrize("page", ["adapters.md", "resilience.md"])
def test_links_to_the_other_guides_resolve(page: str) -> None:
    text = (DOCS / page).read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([a-z]+\.md)", text):
        assert (DOCS / target).exists(), target
