"""Reading journals, the summary and the baseline comparison."""

import copy
import json
from pathlib import Path

import pytest

from chaoslab.errors import ConfigError
from chaoslab.report import ReportData, compare, load_journal, load_stats, summarize
from chaoslab.report._data import MetricSlice
from tests.unit.report._sample import sample_journal


def test_a_chaoslab_journal_reads_into_typed_parts() -> None:
    data = ReportData.from_journal(sample_journal(tripped=True))
    assert data.title == "Redis degradation keeps the API answering"
    assert data.status == "interrupted"
    assert [w.name for w in data.metrics.fault_windows] == ["redis-latency", "redis-reset"]
    assert data.metrics.guard_events[0].rail == "error-rate"
    assert len(data.metrics.loads[0].slices) == 60
    assert data.run[2].error == "chaoslib.exceptions.ActivityFailed: boom"
    assert data.run_length == 60.0  # the last slice starts at 59 s
    assert data.has_metrics


def test_a_chaos_toolkit_journal_without_our_section_still_reads() -> None:
    journal = sample_journal()
    del journal["chaoslab"]
    data = ReportData.from_journal(journal)
    assert data.metrics.loads == []
    assert not data.has_metrics
    assert data.steady_states.before is not None
    assert data.steady_states.before.steady_state_met is True
    assert len(data.run) == 3


def test_bad_fields_are_reported_with_their_paths_all_at_once() -> None:
    journal = sample_journal()
    journal["chaoslab"]["loads"][0]["slices"][3]["p99"] = "slow"
    journal["chaoslab"]["fault_windows"][1]["start"] = None
    with pytest.raises(ConfigError) as info:
        ReportData.from_journal(journal)
    paths = [p for p, _ in info.value.problems]
    assert paths == ["chaoslab.loads.0.slices.3.p99", "chaoslab.fault_windows.1.start"]
    with pytest.raises(ConfigError, match="JSON object"):
        ReportData.from_journal([1, 2])


def test_load_journal_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such journal file"):
        load_journal(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(ConfigError, match="not a JSON journal"):
        load_journal(bad)
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({"chaoslab": {"seed": "x"}}), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"wrong\.json: chaoslab\.seed"):
        load_journal(wrong)


def test_load_stats_are_exact_sums_and_labelled_percentiles() -> None:
    slices = [
        MetricSlice(t=0, requests=100, errors=0, throughput=100, p50=0.01, p99=0.02, max=0.03),
        MetricSlice(t=1),  # an idle second counts in neither sums nor means
        MetricSlice(t=2, requests=100, errors=50, throughput=80, p50=0.2, p99=0.9, max=1.5),
        MetricSlice(t=3, requests=100, errors=10, throughput=120, p50=0.01, p99=0.03, max=0.04),
        # Only the last completions: trimmed, or throughput would seem to collapse.
        MetricSlice(t=4, throughput=3),
    ]
    stats = load_stats(slices)
    assert (stats.requests, stats.errors, stats.seconds) == (300, 60, 4)
    assert stats.error_rate == pytest.approx(0.2)
    assert stats.throughput == pytest.approx(100.0)
    assert stats.p50_median == 0.01
    assert stats.p99_median == 0.03
    assert stats.p99_worst == 0.9
    assert stats.max == 1.5
    empty = load_stats([])
    assert (empty.requests, empty.p99_worst, empty.throughput) == (0, None, 0.0)


def test_summary_is_plain_json() -> None:
    summary = summarize(ReportData.from_journal(sample_journal(tripped=True)))
    assert json.loads(json.dumps(summary)) == summary
    assert summary["status"] == "interrupted"
    assert summary["hypothesis"]["before"] is True
    assert summary["loads"][0]["requests"] == 12_000
    assert summary["guard_trips"][0]["rail"] == "error-rate"
    assert [a["status"] for a in summary["activities"]] == [
        "succeeded",
        "succeeded",
        "failed",
        "succeeded",
    ]
    assert summary["recovery"]["windows"][0]["recovery_time"] == 3.0
    assert "baseline" not in summary


def test_comparison_with_a_baseline_run() -> None:
    current = ReportData.from_journal(sample_journal())
    baseline = ReportData.from_journal(sample_journal(worse=0.3))
    rows = {c.metric: c for c in compare(current, baseline)}
    worst = rows["p99 (worst second)"]
    assert worst.current == pytest.approx(0.38)
    assert worst.baseline == pytest.approx(0.03 + 0.35 * 0.3)
    assert worst.worse is True
    assert rows["throughput"].worse is None  # same throughput
    assert rows["error rate"].worse is True
    assert rows["recovery: redis-latency"].ratio == 1.0
    summary = summarize(current, baseline)
    assert len(summary["baseline"]["comparison"]) == len(rows)


def test_comparison_direction_and_noise() -> None:
    better = sample_journal(worse=0.3)
    worse = sample_journal()
    rows = {
        c.metric: c
        for c in compare(ReportData.from_journal(better), ReportData.from_journal(worse))
    }
    assert rows["p99 (worst second)"].worse is False
    # Within 5 %: not called better or worse.
    same = copy.deepcopy(worse)
    for s in same["chaoslab"]["loads"][0]["slices"]:
        s["max"] = s["max"] * 1.01
    rows = {
        c.metric: c for c in compare(ReportData.from_journal(same), ReportData.from_journal(worse))
    }
    assert rows["max latency"].worse is None
