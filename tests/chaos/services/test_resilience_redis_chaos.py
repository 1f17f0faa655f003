"""chaoslab's resilience strategies in front of a real Redis that goes down and comes back."""

from __future__ import annotations

from collections.abc import Callable

from chaoslab.clock import VirtualClock
from chaoslab.resilience import (
    CircuitBreaker,
    CircuitOpenError,
    CircuitState,
    Fallback,
    Pipeline,
)
from chaoslab.services import RedisServer

from ._app import REDIS_ERRORS, fast_client


def _state(breaker: CircuitBreaker) -> CircuitState:
    return breaker.state  # a function: no type narrowing between two reads


def test_redis_down_breaker_opens_fails_fast_fallback_serves_then_closes_when_back(
    redis_factory: Callable[..., RedisServer],
) -> None:
    """Redis refuses connections: after 3 failures the circuit opens, later reads fail fast
    without touching the network and the fallback answers; once Redis is back and the
    recovery timeout has passed (on a virtual clock), one probe read closes the circuit."""
    server = redis_factory()
    client = fast_client(server.url)
    client.set("greeting", "hello")
    clock = VirtualClock()
    breaker = CircuitBreaker(
        "redis", failure_threshold=3, recovery_timeout=30, failure_on=REDIS_ERRORS, clock=clock
    )
    fallback = Fallback(b"from memory", on=(*REDIS_ERRORS, CircuitOpenError), clock=clock)
    pipeline = Pipeline(fallback, breaker, order="strict")
    network_calls = 0

    def read() -> bytes | None:
        nonlocal network_calls
        network_calls += 1
        value = client.get("greeting")
        assert value is None or isinstance(value, bytes)
        return value

    assert pipeline.call(read) == b"hello"

    server.stop()

    assert [pipeline.call(read) for _ in range(10)] == [b"from memory"] * 10
    assert network_calls == 1 + 3  # the breaker stopped calling after the third failure
    assert _state(breaker) is CircuitState.OPEN

    server.start()

    assert pipeline.call(read) == b"from memory"  # still open: recovery timeout not over
    assert network_calls == 4
    clock.advance(30)
    assert pipeline.call(read) == b"hello"  # the half-open probe reached the real server
    assert _state(breaker) is CircuitState.CLOSED
    assert network_calls == 5
    assert fallback.used == 11
