"""Every tolerance kind, with Chaos Toolkit's rules."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import TypeAdapter

from chaoslab.clock import VirtualClock
from chaoslab.experiment import Runner, load_experiment
from chaoslab.experiment._model import Tolerance
from chaoslab.experiment._tolerance import tolerance_met

adapter: TypeAdapter[Any] = TypeAdapter(Tolerance)


async def met(tolerance: Any, output: Any) -> bool:
    return await tolerance_met(adapter.validate_python(tolerance), output)


HTTP_OK = {"status": 200, "headers": {}, "body": '{"cache": {"up": true}, "n": [1, 2]}'}
PROC = {"status": 0, "stdout": "hello world\n", "stderr": ""}


@pytest.mark.parametrize(
    ("tolerance", "output", "expected"),
    [
        (True, True, True),
        (True, 1, False),  # no unwrapping, no truthiness
        (False, False, True),
        (True, HTTP_OK, False),
        (200, HTTP_OK, True),
        (404, HTTP_OK, False),
        (0, PROC, True),
        (3, 3, True),
        (0.5, 0.5, True),
        ("ok", "ok", True),
        ("ok", "OK", False),
        ([200, 503], HTTP_OK, True),  # status membership, even for two items
        ([1, 5], 3, True),  # two numbers: an inclusive range
        ([1, 5], 6, False),
        (["a", "b"], "b", True),
        ([1, 2, 3], 2, True),
    ],
)
async def test_literal_tolerances(tolerance: Any, output: Any, expected: bool) -> None:
    assert await met(tolerance, output) is expected


@pytest.mark.parametrize(
    ("tolerance", "output", "expected"),
    [
        ({"type": "range", "range": [0, 0.05]}, 0.05, True),
        ({"type": "range", "range": [0, 0.05]}, 0.051, False),
        ({"type": "range", "range": [100, 300], "target": "status"}, HTTP_OK, True),
        ({"type": "range", "range": [0, 1]}, "not a number", False),
        ({"type": "range", "range": [0, 1]}, None, False),
        ({"type": "regex", "pattern": "^hel+o", "target": "stdout"}, PROC, True),
        ({"type": "regex", "pattern": "bye", "target": "stdout"}, PROC, False),
        ({"type": "regex", "pattern": "up"}, "it is up", True),
        ({"type": "jsonpath", "path": "$.cache.up", "target": "body"}, HTTP_OK, True),
        (
            {"type": "jsonpath", "path": "$.cache.up", "expect": True, "target": "body"},
            HTTP_OK,
            True,
        ),
        (
            {"type": "jsonpath", "path": "$.cache.up", "expect": False, "target": "body"},
            HTTP_OK,
            False,
        ),
        ({"type": "jsonpath", "path": "$.n[*]", "count": 2, "target": "body"}, HTTP_OK, True),
        ({"type": "jsonpath", "path": "$.n[*]", "expect": [1, 2], "target": "body"}, HTTP_OK, True),
        ({"type": "jsonpath", "path": "$.n[*]", "expect": 1, "target": "body"}, HTTP_OK, False),
        ({"type": "jsonpath", "path": "$.missing"}, {"a": 1}, False),
    ],
)
async def test_structured_tolerances(tolerance: Any, output: Any, expected: bool) -> None:
    assert await met(tolerance, output) is expected


def test_probe_tolerance_gets_the_output_as_value() -> None:
    def probe(name: str, tolerance: Any, value: Any) -> dict[str, Any]:
        return {
            "type": "probe",
            "name": name,
            "tolerance": tolerance,
            "provider": {
                "type": "python",
                "module": "tests.unit.experiment._system",
                "func": "echo",
                "arguments": {"value": value},
            },
        }

    judge = {
        "type": "probe",
        "name": "positive",
        "provider": {
            "type": "python",
            "module": "tests.unit.experiment._system",
            "func": "is_positive",
        },
    }
    doc = {
        "title": "t",
        "description": "d",
        "method": [],
        "steady-state-hypothesis": {
            "title": "h",
            "probes": [
                probe("five", judge, 5),
                probe("minus", judge, -1),
            ],
        },
    }
    journal = Runner(load_experiment(doc), clock=VirtualClock(autojump=True)).run()
    before = journal["steady_states"]["before"]
    assert [p["tolerance_met"] for p in before["probes"]] == [True, False]
    assert before["steady_state_met"] is False
    assert journal["status"] == "completed"  # a miss, not a failure: Chaos Toolkit's rule


def test_invalid_tolerances_are_rejected() -> None:
    for bad in (
        {"type": "nope"},
        {"type": "range", "range": [2, 1]},
        {"type": "regex", "pattern": "("},
        {"type": "jsonpath", "path": "$[[["},
        None,
    ):
        with pytest.raises(ValueError):  # noqa: PT011 - pydantic's ValidationError
            adapter.validate_python(bad)
