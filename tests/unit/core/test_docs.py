"""The Python examples of the guide pages run, so that the docs stay true."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from chaoslab.inject import _points

DOCS = Path(__file__).resolve().parents[3] / "docs"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)
FILE = re.compile(r"\A# file: (\S+\.py)\n")


def python_blocks(page: str) -> list[str]:
    return BLOCK.findall((DOCS / page).read_text(encoding="utf-8"))


@pytest.fixture
def _restore_declared_points() -> Iterator[None]:
    # The examples decorate functions, which declares points process-wide.
    declared, families = dict(_points._declared), dict(_points._families)
    yield
    _points._declared.clear()
    _points._declared.update(declared)
    _points._families.clear()
    _points._families.update(families)


@pytest.mark.usefixtures("_restore_declared_points")
@pytest.mark.parametrize("page", ["faults.md", "injection.md", "httpx.md"])
def test_page_examples_run_in_order(page: str) -> None:
    blocks = python_blocks(page)
    assert len(blocks) >= 3
    namespace: dict[str, object] = {"__name__": f"docs_{page.removesuffix('.md')}"}
    for number, code in enumerate(blocks, 1):
        compiled = compile(code, f"{DOCS / page}:block{number}", "exec")
        exec(compiled, namespace)


def test_pytest_page_examples_pass_as_tests(pytester: pytest.Pytester) -> None:
    files = {}
    for code in python_blocks("pytest.md"):
        match = FILE.match(code)
        assert match, f"every python block of pytest.md names its file: {code[:60]!r}"
        files[match.group(1).removesuffix(".py")] = code
    assert len(files) >= 3
    pytester.makepyfile(**files)
    result = pytester.runpytest(
        "-o",
        "asyncio_mode=auto",
        "-o",
        "asyncio_default_fixture_loop_scope=function",
        "--strict-markers",
        "--chaos-seed=7",
    )
    failing = [name for name in files if "fails_on_purpose" in name]
    result.assert_outcomes(passed=len(files) - len(failing), failed=len(failing))
    result.stdout.fnmatch_lines(
        [
            "*chaoslab: fault timeline (call)*",
            (
                "injector seed=* (session: replay with --chaos-seed=7 "
                "test_fails_on_purpose.py::test_no_retry_fails)"
            ),
            "*fault.injected*llm.complete*fault=http 503*injection=llm-outage*call=1",
        ]
    )


def test_index_page_example_passes_as_a_test(pytester: pytest.Pytester) -> None:
    # The landing page's first example was the only guide block nothing ran.
    (block,) = python_blocks("index.md")
    pytester.makepyfile(test_index=block)
    result = pytester.runpytest(
        "-o", "asyncio_default_fixture_loop_scope=function", "--strict-markers"
    )
    result.assert_outcomes(passed=1)
