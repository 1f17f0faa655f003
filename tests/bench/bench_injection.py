"""Benchmark: the cost of an injection point that injects nothing.

Run: python tests/bench/bench_injection.py [--calls N] [--repeat R]

Compares, per call, sync and async:

- a bare call;
- a plain pass-through decorator (a `functools.wraps` wrapper), the reference;
- an `@injectable` point with no injector active;
- the same point with an active injector that has no injections;
- the same point with an active injector whose injection targets another point.

Prints ns/call (best of R repeats) and the ratio to the plain decorator,
measured in the same run. Not collected by pytest (bench_*.py).
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import time
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar

from chaoslab.faults import Latency
from chaoslab.inject import FaultInjector, injectable
from chaoslab.observe import EventBus

P = ParamSpec("P")
R = TypeVar("R")


def passthrough(fn: Callable[P, R]) -> Callable[P, R]:
    """The reference: the cheapest honest decorator."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        return fn(*args, **kwargs)

    return wrapper


def apassthrough(fn: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """The async reference."""

    @functools.wraps(fn)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        return await fn(*args, **kwargs)

    return wrapper


def bare(x: int) -> int:
    return x


async def abare(x: int) -> int:
    return x


plain = passthrough(bare)
aplain = apassthrough(abare)
point = injectable("bench.sync")(bare)
apoint = injectable("bench.async")(abare)


def time_sync(fn: Callable[[int], int], calls: int, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter_ns()
        for i in range(calls):
            fn(i)
        best = min(best, (time.perf_counter_ns() - start) / calls)
    return best


def time_async(fn: Callable[[int], Awaitable[int]], calls: int, repeat: int) -> float:
    async def run() -> float:
        best = float("inf")
        for _ in range(repeat):
            start = time.perf_counter_ns()
            for i in range(calls):
                await fn(i)
            best = min(best, (time.perf_counter_ns() - start) / calls)
        return best

    return asyncio.run(run())


Timer = Callable[[Callable[[int], Any], int, int], float]


def _cases(
    mode: str, timer: Timer, fns: tuple[Callable[[int], Any], ...], calls: int, repeat: int
) -> list[tuple[str, str, float]]:
    raw, ref, inj = fns
    rows = [
        (mode, "bare call", timer(raw, calls, repeat)),
        (mode, "plain decorator (reference)", timer(ref, calls, repeat)),
        (mode, "injectable, no injector", timer(inj, calls, repeat)),
    ]
    idle = FaultInjector(seed=1, events=EventBus())
    with idle.activate():
        rows.append((mode, "injectable, injector, no injections", timer(inj, calls, repeat)))
        with idle.inject("elsewhere.*", Latency(1.0)):
            label = "injectable, injector, injection elsewhere"
            rows.append((mode, label, timer(inj, calls, repeat)))
    return rows


def measure(calls: int, repeat: int) -> list[tuple[str, str, float]]:
    return [
        *_cases("sync", time_sync, (bare, plain, point), calls, repeat),
        *_cases("async", time_async, (abare, aplain, apoint), calls, repeat),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    started = time.perf_counter()
    rows = measure(args.calls, args.repeat)
    reference = {mode: ns for mode, name, ns in rows if name.startswith("plain")}
    print(f"{'mode':<6} {'case':<44} {'ns/call':>9} {'x plain':>8}")
    for mode, name, ns in rows:
        print(f"{mode:<6} {name:<44} {ns:9.1f} {ns / reference[mode]:8.2f}")
    print(
        f"({args.calls} calls x {args.repeat} repeats, best repeat; "
        f"{time.perf_counter() - started:.1f} s)"
    )


if __name__ == "__main__":
    main()
