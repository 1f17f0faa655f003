"""Benchmark: the proxy's control plane, chaoslab vs the real toxiproxy-server, same run.

Run: python tests/bench/bench_proxy_api.py [--requests N]

Starts `chaoslab proxy serve` and `../shared/bin/toxiproxy-server` (or
$TOXIPROXY_SERVER) on free loopback ports, then sends the same requests to
each over one keep-alive connection, one at a time:

- GET /proxies with 10 proxies;
- POST a latency toxic, then DELETE it (a test's typical add/remove cycle);
- PATCH a toxic's attributes.

Prints p50/p99 per request in microseconds and the ratio chaoslab/Toxiproxy.
Not collected by pytest (bench_*.py).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.integration.proxy_api._support import (
    chaoslab_serve,
    toxiproxy_binary,
    toxiproxy_serve,
)


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return statistics.median(ordered) * 1e6, p99 * 1e6


def measure(fn: Callable[[], None], n: int) -> list[float]:
    for _ in range(min(50, n)):  # warm-up: connections, caches
        fn()
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


def scenario(url: str, n: int) -> dict[str, tuple[float, float]]:
    with httpx.Client(base_url=url, timeout=10, trust_env=False) as http:
        for i in range(10):
            body = {"name": f"p{i}", "upstream": "127.0.0.1:9", "listen": "127.0.0.1:0"}
            http.post("/proxies", json=body).raise_for_status()
        http.post("/proxies/p0/toxics", json={"type": "latency", "name": "held"})

        def list_proxies() -> None:
            http.get("/proxies").raise_for_status()

        def add_remove() -> None:
            toxic = {"type": "latency", "name": "t", "attributes": {"latency": 10}}
            http.post("/proxies/p1/toxics", json=toxic).raise_for_status()
            http.delete("/proxies/p1/toxics/t").raise_for_status()

        def update() -> None:
            http.patch("/proxies/p0/toxics/held", json={"attributes": {"jitter": 1}})

        return {
            "GET /proxies (10 proxies)": percentiles(measure(list_proxies, n)),
            "POST + DELETE a toxic": percentiles(measure(add_remove, n)),
            "PATCH a toxic": percentiles(measure(update, n)),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=1000)
    args = parser.parse_args()
    binary = toxiproxy_binary()
    if binary is None:
        sys.exit("toxiproxy-server not found at <repo>/../shared/bin/ nor $TOXIPROXY_SERVER")
    with chaoslab_serve("--seed", "1") as chaoslab:
        ours = scenario(chaoslab.url, args.requests)
    with toxiproxy_serve(binary) as toxiproxy:
        theirs = scenario(toxiproxy.url, args.requests)
    print(f"{args.requests} requests each, one keep-alive connection, 127.0.0.1")
    print(
        f"{'request':28} {'chaoslab p50/p99 µs':>22} {'toxiproxy p50/p99 µs':>22} {'ratio p50':>10}"
    )
    for name, (p50, p99) in ours.items():
        t50, t99 = theirs[name]
        print(f"{name:28} {p50:>10.0f} / {p99:<9.0f} {t50:>10.0f} / {t99:<9.0f} {p50 / t50:>9.2f}x")


if __name__ == "__main__":
    main()
