"""docs/demo.md shows the bundled experiment file as it is."""

from __future__ import annotations

import re
from pathlib import Path

from chaoslab.demo import GAMEDAY_PATH

DOC = Path(__file__).parents[3] / "docs" / "demo.md"


def test_the_documented_experiment_is_the_bundled_file() -> None:
    blocks = re.findall(r"```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert blocks, "docs/demo.md shows no yaml block"
    assert blocks[0] == GAMEDAY_PATH.read_text(encoding="utf-8")


def test_the_documented_options_are_the_commands() -> None:
    from typer.main import get_command

    from chaoslab.cli._app import _register_commands, app

    _register_commands()
    demo = get_command(app).commands["demo"]  # type: ignore[attr-defined]
    options = {opt for param in demo.params for opt in param.opts}
    text = DOC.read_text(encoding="utf-8")
    for option in ("--out", "--seed", "--quick"):
        assert option in options
        assert f"`{option}" in text
