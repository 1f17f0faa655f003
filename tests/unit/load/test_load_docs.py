"""The self-contained example of docs/load.md runs as written."""

import re
from pathlib import Path

DOC = Path(__file__).parents[3] / "docs" / "load.md"


def test_virtual_time_example_runs() -> None:
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## In virtual time", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match is not None
    namespace: dict[str, object] = {}
    exec(compile(match.group(1), str(DOC), "exec"), namespace)
    assert "result" in namespace
