"""Latency and error metrics sliced per second, from HDR histograms.

`SeriesRecorder` is pure: it is told when each request was meant to start,
when it ended and whether it failed, as readings of a clock, and never
reads time itself. So the slicing and the live window are tested with
made-up times, and the load generator feeds it real ones.

- A request's latency and outcome go to the slice of its *intended* start
  (open loop: its scheduled time; closed loop: when it was sent). A stall
  therefore shows in the slices of the requests that should have been sent
  during it, not as a spike after it.
- `throughput` counts completions in the slice's own second.
- Latencies of failed requests are recorded too (a timeout is a latency);
  percentiles are `None` when nothing that started in the slice completed.
- Every latency is in seconds; histograms hold microseconds (1 us .. 1 h,
  2 significant digits per slice, so a slice costs ~26 kB).

Example:
    >>> rec = SeriesRecorder(origin=100.0)
    >>> rec.record(100.2, 100.25)
    >>> rec.record(100.7, 100.8, error="HTTP 503")
    >>> [(s.t, s.requests, s.errors) for s in rec.slices()]
    [(0.0, 2, 1)]
    >>> round(rec.slices()[0].p50, 3)
    0.05
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from typing import Any

from hdrh.histogram import HdrHistogram
from pydantic import BaseModel, ConfigDict

__all__ = ["LatencyStats", "SeriesRecorder", "Slice", "Snapshot"]

_HIGHEST_US = 3_600_000_000  # one hour: longer latencies are clamped to it
_DIGITS = 2


def _histogram() -> HdrHistogram:
    return HdrHistogram(1, _HIGHEST_US, _DIGITS)


def _to_us(seconds: float) -> int:
    # HdrHistogram.record_value silently drops values out of range: clamp.
    return min(max(round(seconds * 1_000_000), 1), _HIGHEST_US)


class LatencyStats(BaseModel):
    """Counts, rates and latency percentiles (seconds) over some stretch of time."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    requests: int
    errors: int
    throughput: float
    error_rate: float
    p50: float | None
    p90: float | None
    p95: float | None
    p99: float | None
    max: float | None
    errors_by_kind: dict[str, int] = {}


class Slice(LatencyStats):
    """One slice (a second by default) of a load run; `t` = its start, seconds from the origin.

    `to_dict()` gives the journal's `MetricSlice` keys plus `errors_by_kind`.
    """

    t: float

    def to_dict(self) -> dict[str, Any]:
        """Plain data for the journal: every field, `t` first for a person reading it."""
        return {"t": self.t, **self.model_dump(exclude={"t"})}


class Snapshot(LatencyStats):
    """The live metrics over the last `window` seconds, for guard rails and displays.

    Requests still waiting count in the percentiles with their age so far,
    so a hang pushes p99 up before any request times out. `throughput` is
    completions per second over the part of the window the run has lived.
    """

    at: float
    window: float
    in_flight: int
    oldest_in_flight: float | None


@dataclass(slots=True)
class _Acc:
    hist: HdrHistogram | None = None
    requests: int = 0
    errors: int = 0
    completed: int = 0  # completions that happened during this slice
    by_kind: dict[str, int] = field(default_factory=dict)


def _stats(hist: HdrHistogram | None) -> dict[str, float | None]:
    if hist is None or hist.get_total_count() == 0:
        return {"p50": None, "p90": None, "p95": None, "p99": None, "max": None}
    out: dict[str, float | None] = {
        f"p{int(p)}": hist.get_value_at_percentile(p) / 1e6 for p in (50.0, 90.0, 95.0, 99.0)
    }
    out["max"] = hist.get_max_value() / 1e6
    return out


class SeriesRecorder:
    """Collects per-request outcomes into per-slice histograms (thread-safe).

    Times are clock readings; `origin` is the reading at which the load
    started (slice 0 begins there).
    """

    def __init__(self, origin: float, *, slice_width: float = 1.0) -> None:
        if slice_width <= 0:
            raise ValueError(f"slice_width must be > 0, got {slice_width!r}")
        self.origin = origin
        self.slice_width = slice_width
        self._accs: list[_Acc] = []
        self._lock = threading.Lock()
        # token -> (intended start, when its latency counts from)
        self._in_flight: dict[int, tuple[float, float]] = {}
        self._next_token = 0
        self.unsent = 0

    # -- recording ----------------------------------------------------------

    def _acc(self, at: float) -> _Acc:
        index = max(int((at - self.origin) / self.slice_width), 0)
        accs = self._accs
        while len(accs) <= index:
            accs.append(_Acc())
        return accs[index]

    def begin(self, intended: float, sent: float | None = None) -> int:
        """Note a request due at `intended` (and sent at `sent`); returns a token for `end`.

        Its latency counts from the earlier of the two: from `intended` when it
        went out late (the wait is the system's doing), from `sent` when the
        generator sent it a little early.
        """
        start = intended if sent is None else min(intended, sent)
        with self._lock:
            token = self._next_token
            self._next_token += 1
            self._in_flight[token] = (intended, start)
            return token

    def end(self, token: int, done: float, error: str | None = None) -> None:
        """Record the request of `token` as finished at `done`."""
        with self._lock:
            intended, start = self._in_flight.pop(token)
            self._record(intended, start, done, error)

    def record(self, intended: float, done: float, error: str | None = None) -> None:
        """Record one request meant to start at `intended`, finished at `done`."""
        with self._lock:
            self._record(intended, intended, done, error)

    def record_unsent(self, intended: float, reason: str) -> None:
        """Count a request the schedule wanted but the generator could not send."""
        with self._lock:
            acc = self._acc(intended)
            acc.requests += 1
            acc.errors += 1
            acc.by_kind[reason] = acc.by_kind.get(reason, 0) + 1
            self.unsent += 1

    def _record(self, intended: float, start: float, done: float, error: str | None) -> None:
        acc = self._acc(intended)
        if acc.hist is None:
            acc.hist = _histogram()
        acc.hist.record_value(_to_us(done - start))
        acc.requests += 1
        if error is not None:
            acc.errors += 1
            acc.by_kind[error] = acc.by_kind.get(error, 0) + 1
        self._acc(done).completed += 1

    # -- reading ------------------------------------------------------------

    @property
    def in_flight(self) -> int:
        """Requests begun and not yet ended."""
        return len(self._in_flight)

    def slices(self) -> list[Slice]:
        """Every slice from the origin to the last one touched, gaps included."""
        with self._lock:
            return [self._slice(i, acc) for i, acc in enumerate(self._accs)]

    def _slice(self, index: int, acc: _Acc) -> Slice:
        return Slice(
            t=round(index * self.slice_width, 9),
            requests=acc.requests,
            errors=acc.errors,
            throughput=acc.completed / self.slice_width,
            error_rate=acc.errors / acc.requests if acc.requests else 0.0,
            errors_by_kind=dict(acc.by_kind),
            **_stats(acc.hist),
        )

    def summary(self, elapsed: float) -> LatencyStats:
        """Everything recorded, as one set of numbers; `elapsed` = run length in seconds."""
        with self._lock:
            return self._merge(self._accs, elapsed, [])

    def snapshot(self, now: float, window: float = 5.0) -> Snapshot:
        """The last `window` seconds before `now` (whole slices), with requests in flight."""
        with self._lock:
            # Whole slices: from the one holding `now - window` to the newest.
            first = max(math.floor((now - window - self.origin) / self.slice_width), 0)
            last = math.floor((now - self.origin) / self.slice_width)
            accs = self._accs[first : last + 1]
            lived = max(now - (self.origin + first * self.slice_width), 0.0)
            ages = [now - start for _, start in self._in_flight.values()]
            stats = self._merge(accs, lived, ages)
            return Snapshot(
                at=now,
                window=window,
                in_flight=len(ages),
                oldest_in_flight=max(ages) if ages else None,
                **stats.model_dump(),
            )

    @staticmethod
    def _merge(accs: list[_Acc], elapsed: float, ages: list[float]) -> LatencyStats:
        hist: HdrHistogram | None = None
        requests = errors = completed = 0
        by_kind: dict[str, int] = {}
        for acc in accs:
            requests += acc.requests
            errors += acc.errors
            completed += acc.completed
            for kind, n in acc.by_kind.items():
                by_kind[kind] = by_kind.get(kind, 0) + n
            if acc.hist is not None:
                if hist is None:
                    hist = _histogram()
                hist.add(acc.hist)
        if ages:
            if hist is None:
                hist = _histogram()
            for age in ages:
                hist.record_value(_to_us(age))
        return LatencyStats(
            requests=requests,
            errors=errors,
            throughput=completed / elapsed if elapsed > 0 else 0.0,
            error_rate=errors / requests if requests else 0.0,
            errors_by_kind=by_kind,
            **_stats(hist),
        )
