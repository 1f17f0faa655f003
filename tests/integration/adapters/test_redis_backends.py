"""RedisCacheBackend, FallbackBackend and RedisBreakerStore against a real Redis."""

from __future__ import annotations

import math

import pytest
import redis
import redis.asyncio
from redis.backoff import NoBackoff
from redis.retry import Retry

from chaoslab.adapters import (
    BreakerStoreFailed,
    FallbackBackend,
    RedisBreakerStore,
    RedisCacheBackend,
)
from chaoslab.clock import VirtualClock
from chaoslab.errors import ConfigError
from chaoslab.observe import EventBus, EventRecorder
from chaoslab.resilience import (
    BreakerSnapshot,
    Cache,
    CircuitBreaker,
    CircuitState,
    MemoryBackend,
)

_NO_RETRY = Retry(NoBackoff(), 0)


def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=1, retry=Retry(NoBackoff(), 0))


def test_entries_keep_value_lifetimes_and_an_age_from_the_ttl(redis_url: str) -> None:
    client = _client(redis_url)
    backend = RedisCacheBackend(client, prefix="t:")
    backend.set("user:1", {"name": "ada", "tags": [1, 2]}, fresh_for=10, keep_for=60)
    entry = backend.get("user:1")
    assert entry is not None
    assert entry.value == {"name": "ada", "tags": [1, 2]}
    assert (entry.fresh_for, entry.keep_for) == (10, 60)
    assert 0 <= entry.age < 1
    assert 59_000 < client.pttl("t:user:1") <= 60_000  # Redis keeps the expiry
    assert backend.delete("user:1")
    assert not backend.delete("user:1")
    assert backend.get("user:1") is None


def test_an_entry_kept_forever_has_no_expiry(redis_url: str) -> None:
    client = _client(redis_url)
    backend = RedisCacheBackend(client)
    backend.set("k", [1], fresh_for=1, keep_for=math.inf)
    assert client.pttl("chaoslab:cache:k") == -1
    entry = backend.get("k")
    assert entry is not None
    assert entry.keep_for == math.inf


def test_pickle_codec_takes_any_value(redis_url: str) -> None:
    backend = RedisCacheBackend(_client(redis_url), codec="pickle")
    backend.set("k", (1, {2}), fresh_for=5, keep_for=5)
    entry = backend.get("k")
    assert entry is not None
    assert entry.value == (1, {2})


def test_json_codec_refuses_what_json_cannot_hold(redis_url: str) -> None:
    backend = RedisCacheBackend(_client(redis_url))
    with pytest.raises(TypeError):
        backend.set("k", {1, 2}, fresh_for=5, keep_for=5)


def test_bad_configuration_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="client"):
        RedisCacheBackend()
    with pytest.raises(ConfigError, match="codec"):
        RedisCacheBackend(redis.Redis(), codec="yaml")  # type: ignore[arg-type]


def test_cache_on_redis_shares_values_between_two_caches(redis_url: str) -> None:
    first = Cache(ttl=30, backend=RedisCacheBackend(_client(redis_url)))
    second = Cache(ttl=30, backend=RedisCacheBackend(_client(redis_url)))
    assert first.get("answer", lambda: 42) == 42
    assert second.get("answer", lambda: 0) == 42  # served from Redis, not recomputed


async def test_async_backend(redis_url: str) -> None:
    client = redis.asyncio.Redis.from_url(redis_url)
    backend = RedisCacheBackend(async_client=client)
    cache = Cache(ttl=30, backend=backend)
    assert await cache.get_async("k", _forty_two) == 42
    entry = await backend.get_async("k")
    assert entry is not None
    assert entry.value == 42
    assert await backend.delete_async("k")
    with pytest.raises(ConfigError, match="sync client"):
        backend.get("k")
    await client.aclose()


async def _forty_two() -> int:
    return 42


def test_breaker_snapshot_round_trips_with_the_open_period_on_redis_clock(
    redis_url: str,
) -> None:
    store = RedisBreakerStore(_client(redis_url))
    assert store.load("db") is None
    assert store.version("db") == 0
    store.save("db", BreakerSnapshot(CircuitState.OPEN, 5, 30.0))
    loaded = store.load("db")
    assert loaded is not None
    assert (loaded.state, loaded.consecutive_failures) == (CircuitState.OPEN, 5)
    assert 29.0 < loaded.open_remaining <= 30.0
    store.save("db", BreakerSnapshot(CircuitState.CLOSED, 0, 0.0))
    assert store.load("db") == BreakerSnapshot(CircuitState.CLOSED, 0, 0.0)
    assert store.version("db") == 2
    assert 0 < _client(redis_url).pttl("chaoslab:breaker:db") <= 86_400_000


def test_breaker_store_failures_never_reach_the_breaker(redis_url: str) -> None:
    recorder = EventRecorder()
    bus = EventBus()
    bus.subscribe(recorder)
    dead = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2, retry=_NO_RETRY)
    store = RedisBreakerStore(dead, events=bus)
    breaker = CircuitBreaker("db", failure_threshold=1, store=store, clock=VirtualClock())
    breaker.open()
    assert breaker.state is CircuitState.OPEN  # the breaker works on its own state
    assert store.errors == 2  # the load when built, the save when opened
    assert [e.operation for e in recorder.of_type(BreakerStoreFailed)] == ["load", "save"]


def test_fallback_cooldown_is_on_the_clock(redis_url: str) -> None:
    clock = VirtualClock()
    dead = RedisCacheBackend(redis.Redis(host="127.0.0.1", port=1, retry=_NO_RETRY))
    fallback = FallbackBackend(dead, MemoryBackend(clock=clock), cooldown=5, clock=clock)
    fallback.set("k", 1, fresh_for=60, keep_for=60)
    assert not fallback.using_primary
    entry = fallback.get("k")
    assert entry is not None
    assert entry.value == 1
    assert fallback.failovers == 1
    clock.advance(5)
    assert fallback.get("k") is not None  # tried the primary again: still down
    assert fallback.failovers == 1  # one outage, however many failed tries
