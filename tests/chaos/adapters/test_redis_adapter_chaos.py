"""Redis faults injected at the redis-py seam, against a real Redis, as the seeds describe them.

Where a real failure can be produced cheaply (a stopped server, a full pool),
the test puts the injected fault next to it: the application must not be able
to tell them apart.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import redis
import redis.asyncio
from redis.backoff import NoBackoff
from redis.retry import Retry

from chaoslab.adapters import (
    REDIS_POOL_POINT,
    AsyncChaosRedisPool,
    ChaosRedisBlockingPool,
    ChaosRedisPool,
)
from chaoslab.clock import VirtualClock
from chaoslab.errors import InjectedFault
from chaoslab.faults import ConnectionRefused, FirstN, Timeout, Window
from chaoslab.inject import FaultInjector
from chaoslab.resilience import Retry as RetryStrategy
from chaoslab.resilience import WaitConstant
from chaoslab.services import RedisServer

from ._app import CheckpointStore

NO_RETRY = Retry(NoBackoff(), 0)


def _chaos() -> FaultInjector:
    return FaultInjector(seed=11, clock=VirtualClock(autojump=True))


def test_redis_get_session_times_out_restore_returns_none_other_commands_unaffected(
    redis_url: str,
) -> None:
    """Every `GET session:*` times out after 2 s: restore returns None instead of raising,
    saves (SET) and reads of other keys keep working, and once the fault is gone the
    checkpoint saved during the outage is restored."""
    chaos = _chaos()
    pool = ChaosRedisPool.from_url(redis_url, injector=chaos, socket_timeout=2, retry=NO_RETRY)
    client = redis.Redis(connection_pool=pool)
    store = CheckpointStore(client)
    client.set("config:mode", "fast")
    with chaos.inject("redis.GET session:*", Timeout(after=2)):
        assert store.save("42", {"step": 3}) is True
        assert store.restore("42") is None
        assert client.get("config:mode") == b"fast"
    assert store.restore("42") == {"step": 3}
    stats = chaos.stats("redis.GET session:42")
    assert (stats.calls, stats.faults) == (2, {"timeout": 1})
    assert chaos.clock.now() == pytest.approx(2.0)  # the one timeout, on the virtual clock
    pool.disconnect()


def test_redis_refuses_for_3_seconds_save_fails_gracefully_session_resumes_after(
    redis_url: str,
) -> None:
    """Redis refuses connections for the first 3 s of the run (a time window on the
    injector's clock): saves report failure, restores return None, and the session
    resumes from the last good checkpoint as soon as the window has passed."""
    clock = VirtualClock()
    chaos = FaultInjector(seed=2, clock=clock)
    pool = ChaosRedisPool.from_url(redis_url, injector=chaos, retry=NO_RETRY)
    store = CheckpointStore(redis.Redis(connection_pool=pool))
    assert store.save("7", {"step": 1})
    with chaos.inject("redis.*", ConnectionRefused(), Window(0, 3)):
        assert store.save("7", {"step": 2}) is False
        clock.advance(2.9)
        assert store.restore("7") is None
        clock.advance(0.2)
        assert store.restore("7") == {"step": 1}  # the acknowledged checkpoint survived
        assert store.save("7", {"step": 2}) is True
    pool.disconnect()


def test_injected_refusal_reads_like_a_stopped_redis(
    redis_factory: Callable[..., RedisServer],
) -> None:
    """The same client call against a really stopped Redis and under an injected
    ConnectionRefused raises the same class with the same message."""
    server = redis_factory()
    real_client = redis.Redis.from_url(server.url, retry=NO_RETRY, socket_connect_timeout=1)
    chaos = _chaos()
    pool = ChaosRedisPool.from_url(server.url, injector=chaos, retry=NO_RETRY)
    with chaos.inject("redis.GET *", ConnectionRefused()), pytest.raises(redis.RedisError) as fake:
        redis.Redis(connection_pool=pool).get("k")
    server.stop()
    with pytest.raises(redis.RedisError) as real:
        real_client.get("k")
    assert type(real.value) in type(fake.value).__mro__
    assert str(fake.value) == str(real.value)
    assert isinstance(fake.value, InjectedFault)
    assert not isinstance(real.value, InjectedFault)
    pool.disconnect()


def test_pool_exhausted_the_caller_sees_the_same_error_redis_py_raises(redis_url: str) -> None:
    """A really exhausted pool (its one connection held) and an injected exhaustion at
    `redis.pool.get_connection` raise the same class and message, for both pool kinds."""
    real_plain = redis.ConnectionPool.from_url(redis_url, max_connections=1)
    real_blocking = redis.BlockingConnectionPool.from_url(
        redis_url, max_connections=1, timeout=0.05
    )
    # redis-py leaves the blocking pool's methods unannotated.
    held = [real_plain.get_connection(), real_blocking.get_connection()]  # type: ignore[no-untyped-call]
    reals = []
    for pool in (real_plain, real_blocking):
        with pytest.raises(redis.ConnectionError) as caught:
            redis.Redis(connection_pool=pool).get("k")
        reals.append(caught.value)
    chaos = _chaos()
    fakes = []
    fake_pools = [
        ChaosRedisPool.from_url(redis_url, injector=chaos),
        ChaosRedisBlockingPool.from_url(redis_url, injector=chaos, timeout=0.05),
    ]
    with chaos.inject(REDIS_POOL_POINT, Timeout(0.05)):
        for pool in fake_pools:
            with pytest.raises(redis.ConnectionError) as caught:
                redis.Redis(connection_pool=pool).get("k")
            fakes.append(caught.value)
    for real, fake in zip(reals, fakes, strict=True):
        assert type(real) in type(fake).__mro__
        assert str(real) == str(fake)
    assert isinstance(fakes[0], redis.exceptions.MaxConnectionsError)
    real_plain.release(held[0])
    real_blocking.release(held[1])  # type: ignore[no-untyped-call]
    for pool in (real_plain, real_blocking, *fake_pools):
        pool.disconnect()


async def test_async_client_survives_a_burst_of_refusals_with_a_retry_strategy(
    redis_url: str,
) -> None:
    """Three refused `GET session:*` in a row: the application's retry (constant 100 ms
    waits on the virtual clock) recovers on the fourth try and returns the checkpoint."""
    chaos = _chaos()
    pool = AsyncChaosRedisPool.from_url(redis_url, injector=chaos, retry=NO_RETRY)
    client = redis.asyncio.Redis(connection_pool=pool)
    await client.set("session:1", "state")
    retry = RetryStrategy(
        attempts=5, wait=WaitConstant(0.1), retry_on=redis.ConnectionError, clock=chaos.clock
    )
    with chaos.inject("redis.GET session:*", ConnectionRefused(), FirstN(3)):
        value = await retry.call_async(lambda: client.get("session:1"))
    assert value == b"state"
    assert chaos.stats("redis.GET session:1").calls == 4
    assert chaos.clock.now() == pytest.approx(0.3)
    await client.aclose()
    await pool.disconnect()
