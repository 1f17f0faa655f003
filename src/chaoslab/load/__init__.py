"""Load generation: open loop (a rate, no coordinated omission) or closed loop (N users).

Latencies go into HDR histograms sliced per second; `LoadRun.snapshot()`
gives live throughput, error rate and percentiles for guard rails and
displays; `LoadResult` holds the per-second series for the journal.

Example:
    >>> from chaoslab.load import ClosedLoop, HttpTarget, LoadGenerator
    >>> gen = LoadGenerator(HttpTarget("http://127.0.0.1:8080/"), ClosedLoop(users=10),
    ...                     duration=5.0, max_requests=10_000)
    >>> gen.mode.describe()
    'closed loop, 10 users'
"""

from chaoslab.load._generator import ClosedLoop, LoadGenerator, LoadRun, OpenLoop
from chaoslab.load._rate import ConstantRate, RampRate, RateProfile
from chaoslab.load._result import LoadFinished, LoadResult, LoadStarted
from chaoslab.load._series import LatencyStats, SeriesRecorder, Slice, Snapshot
from chaoslab.load._targets import Call, CallableTarget, HttpTarget, Target, error_kind
from chaoslab.load._thread import LoadThread

__all__ = [
    "Call",
    "CallableTarget",
    "ClosedLoop",
    "ConstantRate",
    "HttpTarget",
    "LatencyStats",
    "LoadFinished",
    "LoadGenerator",
    "LoadResult",
    "LoadRun",
    "LoadStarted",
    "LoadThread",
    "OpenLoop",
    "RampRate",
    "RateProfile",
    "SeriesRecorder",
    "Slice",
    "Snapshot",
    "Target",
    "error_kind",
]
