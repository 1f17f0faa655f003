"""The demo's pure parts: traffic, phases and the summary, the bundled experiment, exports."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from chaoslab import demo
from chaoslab.cli._demo import summary_table
from chaoslab.demo import (
    GAMEDAY_PATH,
    Answered,
    DemoResult,
    DemoSettings,
    Traffic,
    current_traffic,
    demo_overrides,
    phase_rows,
    phases,
    use_traffic,
)
from chaoslab.experiment import load_experiment


def test_exports_resolve() -> None:
    # (Their order is ruff's RUF022: constants, classes, functions.)
    assert len(set(demo.__all__)) == len(demo.__all__)
    for name in demo.__all__:
        assert getattr(demo, name) is not None
    with pytest.raises(AttributeError):
        _ = demo.NoSuchThing


def test_traffic_is_seeded_and_skewed() -> None:
    def draw(seed: int) -> list[str]:
        traffic = Traffic("http://127.0.0.1:1", seed=seed, questions=100)
        return [traffic.next_question() for _ in range(5000)]

    assert draw(1) == draw(1)
    assert draw(1) != draw(2)
    counts = Counter(draw(1))
    ranked = [q for q, _ in counts.most_common()]
    assert ranked[0] == Traffic("http://127.0.0.1:1", questions=100)._catalogue[0]
    # Weights 1/(i+1): the most asked question is asked about 1/H(100) ~ 19 % of the time,
    # and most of the catalogue is still asked (the misses that reach the upstream).
    assert 0.15 < counts[ranked[0]] / 5000 < 0.24
    assert len(counts) > 80


def test_traffic_needs_opening_and_a_current_one() -> None:
    traffic = Traffic("http://127.0.0.1:1")
    with pytest.raises(RuntimeError, match="open"):
        asyncio.run(traffic.ask())
    with pytest.raises(RuntimeError, match="no demo traffic"):
        current_traffic()
    other = Traffic("http://127.0.0.1:2")
    with use_traffic(traffic):
        assert current_traffic() is traffic
        with use_traffic(other):
            assert current_traffic() is other
        assert current_traffic() is traffic
    with pytest.raises(RuntimeError):
        current_traffic()
    with pytest.raises(ValueError, match="questions"):
        Traffic("http://127.0.0.1:1", questions=0)


def _journal() -> dict[str, Any]:
    slices = [
        {"t": float(t), "requests": 100, "errors": 5 if t in (4, 5) else 0, "p50": 0.01,
         "p99": 1.0 if t in (4, 5) else 0.02 + t / 1000}
        for t in range(12)
    ]  # fmt: skip
    return {
        "chaoslab": {
            "duration": 12.5,
            "timeline": [
                {"name": "fault", "phase": "method", "start": 3.9},
                {"name": "health", "phase": "hypothesis-after", "start": 10.0},
                {"name": "undo", "phase": "rollback", "start": 10.2},
            ],
            "fault_windows": [
                {"name": "proxy:llm:x", "activity": "llm-fault", "start": 4.0, "end": 6.0},
            ],
            "loads": [{"name": "users", "slices": slices}],
            "recovery": {
                "windows": [
                    {"fault": "proxy:llm:x", "recovery_time": 1.5, "criteria": "p99 < 0.25s"}
                ]
            },
        }
    }


def test_phases_cut_the_method_into_baseline_faults_and_recoveries() -> None:
    cut = [(p.name, p.start, p.end, p.fault) for p in phases(_journal())]
    assert cut == [
        ("baseline", 0.0, 4.0, None),
        ("llm-fault", 4.0, 6.0, "proxy:llm:x"),
        ("after llm-fault", 6.0, 10.0, None),  # ends where the after-hypothesis begins
    ]
    journal = _journal()
    journal["chaoslab"]["fault_windows"] = []
    journal["chaoslab"]["timeline"] = []
    assert [(p.name, p.end) for p in phases(journal)] == [("baseline", 12.5)]


def test_phase_rows_sum_slices_and_sources_per_phase() -> None:
    answers = [Answered(100.0 + t / 10, s) for t, s in enumerate(["redis"] * 30 + ["llm"] * 10)]
    answers += [Answered(104.5, "stale"), Answered(104.6, "error"), Answered(104.7, "llm")]
    base, fault, after = phase_rows(_journal(), answers, origin=100.0)
    assert (base.requests, base.error_rate) == (400, 0.0)
    assert base.p99 == pytest.approx(0.023)  # the worst second of the baseline
    assert base.sources == {"redis": 30, "llm": 10}
    assert base.share("redis") == 0.75
    assert (base.recovery_time, base.recovered) == (None, None)
    assert (fault.requests, fault.error_rate, fault.p99) == (200, 0.05, 1.0)
    assert fault.sources == {"stale": 1, "error": 1, "llm": 1}
    assert (fault.recovery_time, fault.recovered) == (1.5, True)
    assert after.requests == 400
    assert after.sources == {}
    assert after.share("redis") == 0.0


def test_the_summary_table_fits_80_columns() -> None:
    journal = _journal()
    rows = phase_rows(journal, [Answered(0.5, "redis")])
    result = DemoResult(journal, Path("j.json"), Path("r.html"), rows=rows)  # type: ignore[arg-type]
    console = Console(width=80, record=True)
    console.print(summary_table(result))
    text = console.export_text()
    assert "…" not in text
    assert "llm-fault" in text
    assert "1.5 s" in text  # the recovery time, on the fault's row
    assert "100%" in text  # the baseline's one answer came from Redis


def test_the_bundled_game_day_validates_as_documented() -> None:
    assert GAMEDAY_PATH.is_file()
    experiment = load_experiment(GAMEDAY_PATH)
    names = [getattr(a, "name", None) for a in experiment.method]
    assert names == ["baseline-p99", "redis-latency", "redis-reset", "upstream-429"]
    settings = experiment.chaoslab
    assert [r.name for r in settings.guard_rails] == ["error-budget", "latency-ceiling"]
    assert settings.blast_radius.proxies == ["redis", "llm"]
    [load] = settings.loads
    assert load.target == "chaoslab.demo:ask"
    assert load.mode == "open"


def test_quick_overrides_shorten_every_window() -> None:
    urls = {"service_url": "http://127.0.0.1:9", "proxy_api": "http://127.0.0.1:10"}
    overrides = demo_overrides(DemoSettings(Path("o"), quick=True), urls)
    assert overrides.configuration["service_url"] == "http://127.0.0.1:9"
    quick = load_experiment(GAMEDAY_PATH, overrides=overrides)
    assert quick.chaoslab.proxy_url == "http://127.0.0.1:10"
    assert quick.chaoslab.warmup == 3
    full = demo_overrides(DemoSettings(Path("o")), urls)
    assert "fault" not in full.configuration


def test_a_slice_touching_a_fault_counts_for_the_fault() -> None:
    journal = _journal()
    journal["chaoslab"]["fault_windows"][0].update(start=4.5, end=6.5)
    base, fault, after = phase_rows(journal)
    # Slices 4, 5 and 6 overlap [4.5, 6.5); 0-3 are the baseline, 7-9 the recovery.
    assert (base.requests, fault.requests, after.requests) == (400, 300, 300)
    assert fault.error_rate == pytest.approx(10 / 300)
