"""The Redis cache backend and breaker store when Redis dies, stalls and comes back."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Callable

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from chaoslab.adapters import (
    CacheBackendFailedOver,
    CacheBackendRestored,
    ChaosRedisPool,
    FallbackBackend,
    RedisBreakerStore,
    RedisCacheBackend,
)
from chaoslab.clock import VirtualClock
from chaoslab.faults import Timeout
from chaoslab.inject import FaultInjector
from chaoslab.observe import EventBus, EventRecorder
from chaoslab.resilience import (
    Cache,
    CircuitBreaker,
    CircuitOpenError,
    CircuitState,
    MemoryBackend,
)
from chaoslab.services import RedisServer

NO_RETRY = Retry(NoBackoff(), 0)


def _state(breaker: CircuitBreaker) -> CircuitState:
    return breaker.state  # a call: mypy must not narrow between two reads


def _using_primary(backend: FallbackBackend) -> bool:
    return backend.using_primary


def _fast(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5, retry=NO_RETRY)


def test_redis_cache_backend_redis_killed_memory_fallback_serves_redis_back_used_again(
    redis_factory: Callable[..., RedisServer],
) -> None:
    """Redis is killed (-9): cached values keep coming from memory and new ones are cached
    there, with one failover event and no exception for the caller; Redis comes back:
    after the cooldown the cache reads and writes Redis again."""
    server = redis_factory()
    client = _fast(server.url)
    clock = VirtualClock()
    bus, recorder = EventBus(), EventRecorder()
    bus.subscribe(recorder)
    backend = FallbackBackend(
        RedisCacheBackend(client),
        MemoryBackend(clock=clock),
        cooldown=2,
        clock=clock,
        events=bus,
    )
    cache = Cache(ttl=60, backend=backend, clock=clock)
    assert cache.get("user:1", lambda: "ada") == "ada"
    assert client.exists("chaoslab:cache:user:1") == 1

    server.kill()

    assert cache.get("user:1", lambda: "recomputed") == "ada"  # from memory
    assert cache.get("user:2", lambda: "bob") == "bob"
    assert cache.get("user:2", lambda: "recomputed") == "bob"
    assert not _using_primary(backend)
    assert len(recorder.of_type(CacheBackendFailedOver)) == 1

    server.start()
    clock.advance(2)

    assert cache.get("user:3", lambda: "cy") == "cy"
    assert _using_primary(backend)
    assert client.exists("chaoslab:cache:user:3") == 1  # written to Redis again
    restored = recorder.of_type(CacheBackendRestored)
    assert len(restored) == 1
    assert restored[0].down_for == pytest.approx(2)


def test_redis_get_timing_out_the_cache_serves_from_memory(redis_url: str) -> None:
    """Reads of the cache's keys time out at the seam (Timeout 1 s on the virtual clock):
    the fallback answers from memory, and no read waits on Redis during the cooldown."""
    chaos = FaultInjector(seed=4, clock=VirtualClock(autojump=True))
    pool = ChaosRedisPool.from_url(redis_url, injector=chaos, socket_timeout=1, retry=NO_RETRY)
    backend = FallbackBackend(
        RedisCacheBackend(redis.Redis(connection_pool=pool)),
        MemoryBackend(clock=chaos.clock),
        cooldown=30,
        clock=chaos.clock,
    )
    cache = Cache(ttl=300, backend=backend, clock=chaos.clock)
    assert cache.get("k", lambda: 1) == 1
    # The backend reads with MULTI/GET/PTTL/EXEC: each command of it is a point.
    with chaos.inject("redis.GET chaoslab:cache:*", Timeout(1)):
        assert [cache.get("k", lambda: 2) for _ in range(5)] == [1] * 5
    stats = chaos.stats("redis.GET chaoslab:cache:k")
    assert stats.faults == {"timeout": 1}  # one try, then the cooldown spares Redis
    assert chaos.clock.now() == pytest.approx(1)
    pool.disconnect()


_OTHER_PROCESS = textwrap.dedent(
    """
    import json, sys
    import redis
    from chaoslab.adapters import RedisBreakerStore
    from chaoslab.resilience import CircuitBreaker

    store = RedisBreakerStore(redis.Redis.from_url(sys.argv[1], socket_timeout=2))
    breaker = CircuitBreaker("payments", failure_threshold=3, recovery_timeout=60, store=store)
    for _ in range(3):
        try:
            breaker.call(lambda: 1 / 0)
        except ZeroDivisionError:
            pass
    print(json.dumps({"state": breaker.state.value, "errors": store.errors}))
    """
)


def test_two_breakers_in_two_processes_sharing_redis_store_one_opens_other_sees_it(
    redis_url: str,
) -> None:
    """Another process trips its `payments` breaker (3 failures): this process's breaker of
    the same name, on refresh, is open too, rejects calls without running them, and has
    the other's open period left (measured on Redis's clock, not on either process's)."""
    store = RedisBreakerStore(_fast(redis_url))
    clock = VirtualClock()
    breaker = CircuitBreaker(
        "payments", failure_threshold=3, recovery_timeout=60, store=store, clock=clock
    )
    assert _state(breaker) is CircuitState.CLOSED
    done = subprocess.run(
        [sys.executable, "-c", _OTHER_PROCESS, redis_url],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert json.loads(done.stdout) == {"state": "open", "errors": 0}

    breaker.refresh()

    assert _state(breaker) is CircuitState.OPEN
    calls = []
    with pytest.raises(CircuitOpenError):
        breaker.call(lambda: calls.append(1))
    assert calls == []
    remaining = breaker.remaining
    assert remaining is not None
    assert 50 < remaining <= 60


def test_two_breaker_instances_share_open_and_close(redis_url: str) -> None:
    """Two breakers on one store: forcing one open is seen by the other on refresh, and
    closing it again is seen too; the store's version counts the transitions."""
    store = RedisBreakerStore(_fast(redis_url))
    first = CircuitBreaker("search", store=store, clock=VirtualClock())
    second = CircuitBreaker("search", store=store, clock=VirtualClock())
    first.force_open()
    second.refresh()
    assert _state(second) is CircuitState.FORCED_OPEN
    first.close()
    second.refresh()
    assert _state(second) is CircuitState.CLOSED
    assert store.version("search") == 2


def test_redis_paused_cache_reads_time_out_once_memory_serves_resumed_redis_again(
    redis_factory: Callable[..., RedisServer],
) -> None:
    """Redis is frozen with SIGSTOP: the first cache read waits for the client's 0.3 s
    socket timeout (not forever), the memory copy answers it and every read after it
    during the cooldown without touching Redis; after SIGCONT and the cooldown, the
    cache reads Redis again."""
    server = redis_factory()
    client = redis.Redis.from_url(
        server.url, socket_timeout=0.3, socket_connect_timeout=0.3, retry=NO_RETRY
    )
    clock = VirtualClock()
    backend = FallbackBackend(
        RedisCacheBackend(client), MemoryBackend(clock=clock), cooldown=10, clock=clock
    )
    cache = Cache(ttl=60, backend=backend, clock=clock)
    assert cache.get("plan", lambda: "pro") == "pro"
    with server.paused():
        assert [cache.get("plan", lambda: "recomputed") for _ in range(20)] == ["pro"] * 20
        assert backend.failovers == 1
    clock.advance(10)
    assert cache.get("plan", lambda: "recomputed") == "pro"
    assert _using_primary(backend)
