"""The runnable examples of docs/services.md run, so the guide cannot rot."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

GUIDE = Path(__file__).parents[3] / "docs" / "services.md"
BLOCKS = re.findall(r"```python\n(.*?)```", GUIDE.read_text(), flags=re.DOTALL)
# The standalone scripts: Redis, PostgreSQL, ProcessService (the rest are pytest tests).
RUNNABLE = {"redis": BLOCKS[0], "postgres": BLOCKS[1], "process": BLOCKS[2]}


@pytest.mark.parametrize("name", sorted(RUNNABLE))
def test_guide_example_runs(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Each standalone example of the services guide runs as written."""
    exec(compile(RUNNABLE[name], f"docs/services.md:{name}", "exec"), {})
    if name == "process":
        assert "running" in capsys.readouterr().out
