"""The redis-py seam against a real Redis: point names, each fault, pools, asyncio."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest
import redis
import redis.asyncio
from redis.backoff import NoBackoff
from redis.retry import Retry

from chaoslab.adapters import (
    REDIS_POOL_POINT,
    AsyncChaosRedisBlockingPool,
    AsyncChaosRedisPool,
    ChaosRedisBlockingPool,
    ChaosRedisPool,
    redis_point_name,
)
from chaoslab.clock import VirtualClock
from chaoslab.errors import InjectedFault, UnsupportedFaultError
from chaoslab.faults import (
    ConnectionRefused,
    ConnectionReset,
    Error,
    FirstN,
    Hang,
    HTTPStatus,
    Latency,
    Malformed,
    Timeout,
)
from chaoslab.inject import FaultInjector


@pytest.fixture
def chaos() -> FaultInjector:
    return FaultInjector(seed=3, clock=VirtualClock(autojump=True))


@pytest.fixture
def client(redis_url: str, chaos: FaultInjector) -> Iterator[redis.Redis]:
    pool = ChaosRedisPool.from_url(
        redis_url, injector=chaos, socket_timeout=2, retry=Retry(NoBackoff(), 0)
    )
    with redis.Redis(connection_pool=pool) as client:
        yield client
    pool.disconnect()


@pytest.fixture
async def aclient(redis_url: str, chaos: FaultInjector) -> AsyncIterator[redis.asyncio.Redis]:
    pool = AsyncChaosRedisPool.from_url(
        redis_url, injector=chaos, socket_timeout=2, retry=Retry(NoBackoff(), 0)
    )
    client = redis.asyncio.Redis(connection_pool=pool)
    yield client
    await client.aclose()
    await pool.disconnect()


def test_point_names_are_command_and_first_argument() -> None:
    assert redis_point_name(["get", b"session:42"]) == "redis.GET session:42"
    assert redis_point_name(("HSET", "h", "f", "v")) == "redis.HSET h"
    assert redis_point_name(["PING"]) == "redis.PING"
    assert redis_point_name(["SET", "x" * 500, "v"]) == "redis.SET " + "x" * 200


def test_each_command_is_counted_at_its_point_and_the_handshake_is_not(
    client: redis.Redis, chaos: FaultInjector
) -> None:
    client.set("session:1", "a")
    assert client.get("session:1") == b"a"
    client.ping()
    stats = chaos.all_stats()
    assert stats["redis.SET session:1"].calls == 1
    assert stats["redis.GET session:1"].calls == 1
    assert stats["redis.PING"].calls == 1
    assert stats[REDIS_POOL_POINT].calls == 3
    assert not [name for name in stats if "CLIENT" in name or "HELLO" in name]


def test_connection_refused_hits_only_the_targeted_keys(
    client: redis.Redis, chaos: FaultInjector
) -> None:
    client.set("session:1", "a")
    client.set("user:1", "b")
    with chaos.inject("redis.GET session:*", ConnectionRefused()):
        with pytest.raises(redis.exceptions.ConnectionError) as caught:
            client.get("session:1")
        assert client.get("user:1") == b"b"
        assert client.set("session:1", "c")  # other commands on the same key pass
    assert isinstance(caught.value, InjectedFault)
    assert "Error 111 connecting to" in str(caught.value)
    assert "Connection refused." in str(caught.value)
    assert client.get("session:1") == b"c"


def test_timeout_waits_on_the_clock_and_the_command_reached_the_server(
    client: redis.Redis, chaos: FaultInjector
) -> None:
    clock = chaos.clock
    before = clock.now()
    # redis-py sends INCR as INCRBY: points name what goes on the wire.
    timeout = chaos.inject("redis.INCRBY counter", Timeout(after=1.5))
    with timeout, pytest.raises(redis.exceptions.TimeoutError, match="Timeout reading from socket"):
        client.incr("counter")
    assert clock.now() - before == pytest.approx(1.5)
    # As with a real read timeout, the reply was lost, not the command.
    assert client.get("counter") == b"1"


def test_hang_waits_the_socket_timeout_then_times_out(
    client: redis.Redis, chaos: FaultInjector
) -> None:
    before = chaos.clock.now()
    with chaos.inject("redis.GET *", Hang()), pytest.raises(redis.exceptions.TimeoutError):
        client.get("k")
    assert chaos.clock.now() - before == pytest.approx(2.0)  # the client's socket_timeout


def test_latency_delays_and_the_command_still_answers(
    client: redis.Redis, chaos: FaultInjector
) -> None:
    client.set("k", "v")
    before = chaos.clock.now()
    with chaos.inject("redis.GET k", Latency(0.25)):
        assert client.get("k") == b"v"
    assert chaos.clock.now() - before == pytest.approx(0.25)


def test_connection_reset_drops_the_connection_and_the_next_command_reconnects(
    client: redis.Redis, chaos: FaultInjector
) -> None:
    client.set("k", "v")
    with chaos.inject("redis.GET k", ConnectionReset(), FirstN(1)):
        with pytest.raises(redis.exceptions.ConnectionError, match="Connection reset by peer"):
            client.get("k")
        assert client.get("k") == b"v"
    clients = client.client_list()
    assert len(clients) == 1  # the reset connection was closed, not leaked


def test_error_raises_the_given_redis_error(client: redis.Redis, chaos: FaultInjector) -> None:
    readonly = redis.exceptions.ReadOnlyError("You can't write against a read only replica.")
    with (
        chaos.inject("redis.SET *", Error(readonly)),
        pytest.raises(redis.exceptions.ReadOnlyError),
    ):
        client.set("k", "v")
    assert client.get("k") is None  # the command never reached the server


def test_redis_own_retry_absorbs_a_single_dropped_connection(
    redis_url: str, chaos: FaultInjector
) -> None:
    pool = ChaosRedisPool.from_url(redis_url, injector=chaos, retry=Retry(NoBackoff(), 2))
    reset = chaos.inject("redis.GET *", ConnectionReset(), FirstN(1))
    with redis.Redis(connection_pool=pool) as client, reset:
        assert client.get("missing") is None
    assert chaos.stats("redis.GET missing").calls == 2  # the failed try and the retry
    pool.disconnect()


def test_pipeline_commands_are_points_and_a_fault_fails_the_pipeline(
    client: redis.Redis, chaos: FaultInjector
) -> None:
    with chaos.inject("redis.SET b", ConnectionReset()):
        pipe = client.pipeline(transaction=True)
        pipe.set("a", 1)
        pipe.set("b", 2)
        with pytest.raises(redis.exceptions.ConnectionError):
            pipe.execute()
    assert client.mget("a", "b") == [None, None]  # nothing of the transaction was sent
    assert chaos.stats("redis.SET a").calls == 1


def test_pool_point_timeout_raises_what_each_pool_raises_when_exhausted(
    redis_url: str, chaos: FaultInjector
) -> None:
    plain = ChaosRedisPool.from_url(redis_url, injector=chaos)
    blocking = ChaosRedisBlockingPool.from_url(redis_url, injector=chaos, timeout=0.5)
    with chaos.inject(REDIS_POOL_POINT, Timeout(0)):
        with pytest.raises(redis.exceptions.MaxConnectionsError, match="Too many connections"):
            redis.Redis(connection_pool=plain).get("k")
        before = chaos.clock.now()
        with pytest.raises(redis.exceptions.ConnectionError, match="No connection available"):
            redis.Redis(connection_pool=blocking).get("k")
        assert chaos.clock.now() == before  # Timeout(0): no wait
    with chaos.inject(REDIS_POOL_POINT, Hang()), pytest.raises(redis.exceptions.ConnectionError):
        redis.Redis(connection_pool=blocking).get("k")
    assert chaos.clock.now() - before == pytest.approx(0.5)  # Hang: the pool's own timeout
    plain.disconnect()
    blocking.disconnect()


def test_faults_the_seam_cannot_apply_fail_at_inject(chaos: FaultInjector) -> None:
    with pytest.raises(UnsupportedFaultError, match="redis"):
        chaos.inject("redis.GET *", HTTPStatus(503))
    with pytest.raises(UnsupportedFaultError):
        chaos.inject("redis.*", Malformed())


def test_without_an_injector_the_pool_follows_the_current_one(redis_url: str) -> None:
    chaos = FaultInjector(seed=1)
    pool = ChaosRedisPool.from_url(redis_url, retry=Retry(NoBackoff(), 0))
    client = redis.Redis(connection_pool=pool)
    assert client.ping()  # no injector active: passes straight through
    with (
        chaos.activate(),
        chaos.inject("redis.PING", ConnectionRefused()),
        pytest.raises(redis.exceptions.ConnectionError),
    ):
        client.ping()
    assert client.ping()
    pool.disconnect()


async def test_async_faults_match_the_sync_ones(
    aclient: redis.asyncio.Redis, chaos: FaultInjector
) -> None:
    await aclient.set("session:1", "a")
    with chaos.inject("redis.GET session:*", ConnectionRefused(), FirstN(1)):
        with pytest.raises(redis.exceptions.ConnectionError, match="Connection refused"):
            await aclient.get("session:1")
        assert await aclient.get("session:1") == b"a"
    before = chaos.clock.now()
    with chaos.inject("redis.GET *", Timeout(3)), pytest.raises(redis.exceptions.TimeoutError):
        await aclient.get("session:1")
    assert chaos.clock.now() - before == pytest.approx(3)
    assert await aclient.get("session:1") == b"a"


async def test_async_pipeline_faults_apply_when_sent(
    aclient: redis.asyncio.Redis, chaos: FaultInjector
) -> None:
    with chaos.inject("redis.SET b", ConnectionReset()):
        pipe = aclient.pipeline(transaction=True)
        pipe.set("a", 1)
        pipe.set("b", 2)
        with pytest.raises(redis.exceptions.ConnectionError):
            await pipe.execute()
    assert await aclient.mget("a", "b") == [None, None]
    assert await aclient.set("a", 1)


async def test_async_blocking_pool_exhausted(redis_url: str, chaos: FaultInjector) -> None:
    pool = AsyncChaosRedisBlockingPool.from_url(redis_url, injector=chaos, timeout=1)
    client = redis.asyncio.Redis(connection_pool=pool)
    with chaos.inject(REDIS_POOL_POINT, Timeout(0.5), FirstN(1)):
        with pytest.raises(redis.exceptions.ConnectionError, match="No connection available"):
            await client.get("k")
        assert await client.get("k") is None
    await client.aclose()
    await pool.disconnect()


async def test_async_hang_waits_the_client_socket_timeout_or_until_cancelled(
    redis_url: str, chaos: FaultInjector
) -> None:
    default = AsyncChaosRedisPool.from_url(redis_url, injector=chaos, retry=Retry(NoBackoff(), 0))
    endless = AsyncChaosRedisPool.from_url(
        redis_url, injector=chaos, retry=Retry(NoBackoff(), 0), socket_timeout=None
    )
    before = chaos.clock.now()
    with chaos.inject("redis.GET *", Hang()):
        with pytest.raises(redis.exceptions.TimeoutError):
            await redis.asyncio.Redis(connection_pool=default).get("k")
        assert chaos.clock.now() - before == pytest.approx(5)  # redis-py's default timeout
        client = redis.asyncio.Redis(connection_pool=endless)
        task = asyncio.ensure_future(client.get("k"))
        done, _ = await asyncio.wait([task], timeout=0.05)
        assert not done  # hanging, as a client without a socket timeout does
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert await client.ping()
    await client.aclose()
    for pool in (default, endless):
        await pool.disconnect()
