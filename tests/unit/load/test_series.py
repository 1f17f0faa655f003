"""Slicing and windows, with made-up clock readings: the pure half of the load generator."""

import pytest

from chaoslab.load import SeriesRecorder


def test_latency_goes_to_the_slice_of_the_intended_start() -> None:
    rec = SeriesRecorder(origin=10.0)
    # Meant for t = 0.5, answered at t = 2.5: a 2 s latency shown at second 0.
    rec.record(10.5, 12.5)
    rec.record(11.2, 11.21)
    slices = rec.slices()
    assert [s.t for s in slices] == [0.0, 1.0, 2.0]
    assert [s.requests for s in slices] == [1, 1, 0]
    assert slices[0].p50 == pytest.approx(2.0, rel=0.01)
    assert slices[1].p50 == pytest.approx(0.01, rel=0.01)
    # Throughput counts completions in their own second.
    assert [s.throughput for s in slices] == [0.0, 1.0, 1.0]
    assert slices[2].p50 is None


def test_percentiles_errors_and_kinds_per_slice() -> None:
    rec = SeriesRecorder(origin=0.0)
    for ms in range(1, 101):  # 1..100 ms, all meant for second 0
        rec.record(0.0, ms / 1000, error="HTTP 503" if ms % 10 == 0 else None)
    rec.record(0.5, 0.6, error="timeout")
    (s,) = rec.slices()
    assert s.requests == 101
    assert s.errors == 11
    assert s.error_rate == pytest.approx(11 / 101)
    assert s.errors_by_kind == {"HTTP 503": 10, "timeout": 1}
    assert s.p50 == pytest.approx(0.051, rel=0.01)  # the 51st of 101
    assert s.p90 == pytest.approx(0.091, rel=0.01)
    assert s.p99 == pytest.approx(0.100, rel=0.01)
    assert s.max == pytest.approx(0.100, rel=0.01)
    assert s.to_dict()["errors_by_kind"] == {"HTTP 503": 10, "timeout": 1}
    assert set(s.to_dict()) >= {
        "t",
        "requests",
        "errors",
        "throughput",
        "error_rate",
        "p50",
        "p90",
        "p95",
        "p99",
        "max",
    }


def test_slice_width_and_summary() -> None:
    rec = SeriesRecorder(origin=0.0, slice_width=0.5)
    rec.record(0.1, 0.2)
    rec.record(0.6, 0.9, error="boom")
    rec.record(1.1, 1.2)
    assert [s.t for s in rec.slices()] == [0.0, 0.5, 1.0]
    total = rec.summary(elapsed=1.5)
    assert (total.requests, total.errors) == (3, 1)
    assert total.throughput == pytest.approx(2.0)
    assert total.max == pytest.approx(0.3, rel=0.01)


def test_latencies_beyond_the_histogram_are_clamped_not_lost() -> None:
    rec = SeriesRecorder(origin=0.0)
    rec.record(0.0, 7200.0)  # two hours
    rec.record(0.0, 0.0)  # zero
    (first, *_) = rec.slices()
    assert first.requests == 2
    assert first.max == pytest.approx(3600.0, rel=0.01)


def test_snapshot_covers_the_last_window_of_whole_slices() -> None:
    rec = SeriesRecorder(origin=0.0)
    for second in range(10):
        for k in range(10):
            start = second + k / 10
            failed = second >= 8
            rec.record(start, start + (0.5 if failed else 0.01), error="x" if failed else None)
    snap = rec.snapshot(now=10.0, window=2.0)
    # Slices 8 and 9: 20 requests, all failed, 0.5 s each.
    assert (snap.requests, snap.errors, snap.error_rate) == (20, 20, 1.0)
    assert snap.p99 == pytest.approx(0.5, rel=0.01)
    assert snap.in_flight == 0
    assert snap.oldest_in_flight is None
    # From the slice holding now - window (5) to the one holding now (7).
    earlier = rec.snapshot(now=7.5, window=2.0)
    assert (earlier.requests, earlier.errors) == (30, 0)
    assert earlier.p99 == pytest.approx(0.01, rel=0.01)


def test_snapshot_counts_requests_still_waiting_with_their_age() -> None:
    rec = SeriesRecorder(origin=0.0)
    for k in range(10):
        rec.record(k / 10, k / 10 + 0.01)
    hung = rec.begin(1.0)
    snap = rec.snapshot(now=6.0, window=10.0)
    assert snap.in_flight == 1
    assert snap.oldest_in_flight == pytest.approx(5.0)
    assert snap.max == pytest.approx(5.0, rel=0.01)  # the hang shows before any timeout
    rec.end(hung, 6.5, error="timeout")
    assert rec.in_flight == 0
    assert rec.slices()[1].errors_by_kind == {"timeout": 1}


def test_unsent_requests_are_errors_without_latency() -> None:
    rec = SeriesRecorder(origin=0.0)
    rec.record_unsent(0.5, "unsent")
    (s,) = rec.slices()
    assert (s.requests, s.errors, s.p50, rec.unsent) == (1, 1, None, 1)


def test_snapshot_throughput_over_the_life_of_a_young_run() -> None:
    rec = SeriesRecorder(origin=100.0)
    for k in range(50):
        rec.record(100.0 + k / 100, 100.0 + k / 100 + 0.001)
    snap = rec.snapshot(now=100.5, window=5.0)
    assert snap.throughput == pytest.approx(100.0)  # 50 completions in 0.5 s lived


def test_bad_slice_width() -> None:
    with pytest.raises(ValueError, match="slice_width"):
        SeriesRecorder(origin=0.0, slice_width=0)


def test_latency_counts_from_the_due_time_when_late_and_the_send_when_early() -> None:
    rec = SeriesRecorder(origin=0.0)
    late = rec.begin(1.0, sent=1.5)  # a worker got to it late: the wait counts
    rec.end(late, 1.6)
    early = rec.begin(2.0, sent=1.999)  # sent a millisecond early: from the send
    rec.end(early, 2.009)
    s1, s2 = rec.slices()[1:3]
    assert s1.max == pytest.approx(0.6, rel=0.01)
    assert s2.max == pytest.approx(0.010, rel=0.01)
