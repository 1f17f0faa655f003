"""The README's pytest example passes as written, with the installed plugin."""

import re
from pathlib import Path

import pytest

README = Path(__file__).parents[3] / "README.md"


def _paste_block() -> str:
    text = README.read_text(encoding="utf-8")
    match = re.search(r"## A chaos test you can paste\n\n```python\n(.*?)```", text, re.S)
    assert match, "the README lost its pytest example"
    return match.group(1)


def test_readme_chaos_test_passes_when_pasted(pytester: pytest.Pytester) -> None:
    pytester.makeini(
        "[pytest]\nasyncio_default_fixture_loop_scope = function\nfilterwarnings = error\n"
    )
    pytester.makepyfile(test_pasted=_paste_block())
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_readme_names_the_install_and_test_commands() -> None:
    text = README.read_text(encoding="utf-8")
    assert 'pip install -e ".[all]" && chaoslab demo' in text
    assert 'pip install -e ".[test]" && pytest' in text
