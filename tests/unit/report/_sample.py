"""A journal in the experiment's schema, built in code for the report tests and the docs picture.

A 60-second game day: 15 s of baseline, Redis latency from 15 s to 30 s,
Redis connection resets from 35 s to 40 s, recovery, with a p99 guard rail
that optionally trips at 38 s. Numbers follow a fixed formula (no randomness).
"""

from typing import Any


def _slice(t: int, *, p50: float, p99: float, error_rate: float, rps: float) -> dict[str, Any]:
    requests = round(rps)
    errors = round(requests * error_rate)
    return {
        "t": float(t),
        "requests": requests,
        "errors": errors,
        "throughput": float(requests - (errors if error_rate > 0.5 else 0)),
        "error_rate": errors / requests if requests else 0.0,
        "p50": p50,
        "p90": p50 + (p99 - p50) * 0.5,
        "p95": p50 + (p99 - p50) * 0.75,
        "p99": p99,
        "max": p99 * 1.4,
    }


def sample_slices(*, worse: float = 1.0, length: int = 60) -> list[dict[str, Any]]:
    """Per-second slices; `worse` scales the damage of the faults (a baseline run uses less)."""
    out = []
    for t in range(length):
        wobble = 1 + 0.08 * ((t * 7) % 5) / 4
        if 15 <= t < 30:  # Redis latency: the cache path slows, the breaker sheds some
            ramp = min((t - 14) / 4, 1.0)
            out.append(
                _slice(
                    t,
                    p50=0.012 + 0.09 * ramp * worse,
                    p99=0.03 + 0.35 * ramp * worse,
                    error_rate=0.004 * worse,
                    rps=200,
                )
            )
        elif 30 <= t < 33:  # recovering
            out.append(_slice(t, p50=0.015, p99=0.06 * worse, error_rate=0.0, rps=200))
        elif 35 <= t < 40:  # Redis resets: errors until the fallback kicks in
            out.append(
                _slice(t, p50=0.02, p99=0.2 * worse, error_rate=0.3 * worse / (t - 34), rps=200)
            )
        else:
            out.append(_slice(t, p50=0.011 * wobble, p99=0.028 * wobble, error_rate=0.0, rps=200))
    return out


def _record(
    name: str,
    kind: str,
    start: str,
    *,
    duration: float,
    output: Any,
    status: str = "succeeded",
    **extra: Any,
) -> dict[str, Any]:
    return {
        "activity": {"type": kind, "name": name, "provider": {"type": "chaoslab"}},
        "output": output,
        "start": start,
        "status": status,
        "end": start,
        "duration": duration,
        **extra,
    }


def sample_journal(
    *,
    tripped: bool = False,
    worse: float = 1.0,
    title: str = "Redis degradation keeps the API answering",
) -> dict[str, Any]:
    """The whole journal: Chaos Toolkit keys plus the `chaoslab` section."""
    t0 = "2026-11-26T01:00:00.000000+00:00"
    probe = _record(
        "api-p99-under-250ms", "probe", t0, duration=0.002, output=0.031, tolerance_met=True
    )
    state = {"steady_state_met": True, "probes": [probe]}
    after_probe = _record(
        "api-p99-under-250ms", "probe", t0, duration=0.002, output=0.029, tolerance_met=True
    )
    windows = [
        {
            "name": "redis-latency",
            "kind": "proxy.toxic",
            "target": "redis",
            "start": 15.0,
            "end": 30.0,
            "activity": "add-redis-latency",
            "details": {"latency": 200},
        },
        {
            "name": "redis-reset",
            "kind": "proxy.toxic",
            "target": "redis",
            "start": 35.0,
            "end": 40.0,
            "activity": "reset-redis",
            "details": {},
        },
    ]
    events = (
        [
            {
                "at": 38.0,
                "rail": "error-rate",
                "condition": "error_rate > 5% for 2s",
                "value": 0.075,
                "threshold": 0.05,
                "message": "error_rate = 7.5% > 5% for 2 s",
            }
        ]
        if tripped
        else []
    )
    return {
        "chaoslib-version": "chaoslab 0.1.0",
        "platform": "Linux",
        "node": "ci",
        "experiment": {
            "title": title,
            "description": "Latency, then resets, on the API's Redis.",
            "method": [],
        },
        "start": t0,
        "status": "interrupted" if tripped else "completed",
        "deviated": False,
        "steady_states": {
            "before": state,
            "after": {"steady_state_met": True, "probes": [after_probe]},
            "during": [],
        },
        "run": [
            _record(
                "add-redis-latency",
                "action",
                t0,
                duration=0.004,
                output={"toxic": "latency", "ms": 200},
            ),
            _record("pause-15s", "action", t0, duration=15.0, output=None),
            _record(
                "reset-redis",
                "action",
                t0,
                duration=0.003,
                output=None,
                status="failed",
                exception=["Traceback ...\n", "chaoslib.exceptions.ActivityFailed: boom\n"],
            ),
        ],
        "rollbacks": [
            _record("remove-all-toxics", "action", t0, duration=0.002, output={"removed": 2})
        ],
        "end": "2026-11-26T01:01:00.000000+00:00",
        "duration": 60.0,
        "chaoslab": {
            "schema": 1,
            "version": "0.1.0",
            "seed": 1234,
            "started_at": t0,
            "duration": 60.0,
            "dry": None,
            "interrupted_by": None,
            "strategies": {
                "hypothesis": "default",
                "rollbacks": "always",
                "hypothesis_frequency": 1.0,
                "fail_fast": False,
            },
            "timeline": [
                {
                    "name": "api-p99-under-250ms",
                    "type": "probe",
                    "phase": "hypothesis-before",
                    "start": 0.0,
                    "end": 0.3,
                    "status": "succeeded",
                    "background": False,
                },
                {
                    "name": "add-redis-latency",
                    "type": "action",
                    "phase": "method",
                    "start": 15.0,
                    "end": 30.0,
                    "status": "succeeded",
                    "background": False,
                },
                {
                    "name": "reset-redis",
                    "type": "action",
                    "phase": "method",
                    "start": 35.0,
                    "end": 40.0,
                    "status": "failed",
                    "background": False,
                },
                {
                    "name": "api-p99-under-250ms",
                    "type": "probe",
                    "phase": "hypothesis-after",
                    "start": 59.5,
                    "end": 59.8,
                    "status": "succeeded",
                    "background": False,
                },
                {
                    "name": "remove-all-toxics",
                    "type": "action",
                    "phase": "rollback",
                    "start": 59.8,
                    "end": 60.0,
                    "status": "succeeded",
                    "background": False,
                },
            ],
            "loads": [
                {
                    "name": "api",
                    "target": "GET http://127.0.0.1:8080/items",
                    "mode": "open loop, 200 req/s",
                    "slices": sample_slices(worse=worse),
                }
            ],
            "fault_windows": windows,
            "guard_rails": [
                {
                    "name": "error-rate",
                    "condition": "error_rate > 5% for 2s",
                    "checks": 120,
                    "tripped": tripped,
                },
                {"name": "p99", "condition": "p99 > 5s", "checks": 120, "tripped": False},
            ],
            "guard_events": events,
            "recovery": {
                "baseline": {
                    "start": 0.0,
                    "end": 15.0,
                    "requests": 3000,
                    "throughput": 200.0,
                    "error_rate": 0.0,
                    "p50": 0.0115,
                    "p95": 0.02,
                    "p99": 0.029,
                },
                "windows": [
                    {
                        "fault": "redis-latency",
                        "fault_start": 15.0,
                        "fault_end": 30.0,
                        "recovered_at": 33.0,
                        "recovery_time": 3.0,
                        "criteria": "p99 <= 2x baseline",
                        "degradation": {"p99_ratio": 13.1, "error_rate_delta": 0.004},
                    },
                    {
                        "fault": "redis-reset",
                        "fault_start": 35.0,
                        "fault_end": 40.0,
                        "recovered_at": 40.0,
                        "recovery_time": 0.0,
                        "criteria": "error_rate <= baseline + 1%",
                        "degradation": {"p99_ratio": 6.9, "error_rate_delta": 0.3},
                    },
                ],
            },
            "events": [],
        },
    }
