"""Cache: TTL, stale-if-error, LRU bound, events, decorator and pipeline use."""

from __future__ import annotations

import asyncio
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chaoslab.clock import VirtualClock
from chaoslab.errors import ConfigError
from chaoslab.observe import EventBus, EventRecorder
from chaoslab.resilience import (
    Cache,
    CacheBackend,
    CacheHit,
    CacheMiss,
    CacheResult,
    CacheStaleServed,
    MemoryBackend,
)


def boom() -> str:
    raise ConnectionError("source down")


def test_fresh_within_ttl_then_recomputed_after() -> None:
    clock = VirtualClock()
    cache = Cache(ttl=10.0, clock=clock)
    calls: list[float] = []

    def source() -> float:
        calls.append(clock.now())
        return clock.now()

    assert cache.lookup("k", source) == CacheResult(0.0, stale=False, age=0.0)
    clock.advance(9.999)
    assert cache.lookup("k", source) == CacheResult(0.0, stale=False, age=9.999)
    clock.advance(0.001)  # exactly ttl: no longer fresh
    assert cache.lookup("k", source).value == 10.0
    assert calls == [0.0, 10.0]


def test_serves_stale_and_says_so_when_the_source_fails() -> None:
    clock, bus, recorder = VirtualClock(), EventBus(), EventRecorder()
    bus.subscribe(recorder)
    cache = Cache(ttl=60.0, stale_ttl=600.0, clock=clock, events=bus, name="users")
    cache.get("u1", lambda: "Ada")
    clock.advance(90.0)
    result = cache.lookup("u1", boom)
    assert (result.value, result.stale, result.age) == ("Ada", True, 90.0)
    assert isinstance(result.error, ConnectionError)
    assert recorder.of_type(CacheStaleServed) == [
        CacheStaleServed(at=90.0, source="users", key="u1", age=90.0, error="ConnectionError")
    ]
    assert cache.stats.stale_served == 1
    # the stale entry is still there; a recovered source refreshes it
    assert cache.lookup("u1", lambda: "Ada v2") == CacheResult("Ada v2", stale=False, age=0.0)


def test_stale_window_ends_at_ttl_plus_stale_ttl() -> None:
    clock = VirtualClock()
    cache = Cache(ttl=60.0, stale_ttl=600.0, clock=clock)
    cache.get("k", lambda: "v")
    clock.advance(659.0)
    assert cache.lookup("k", boom).stale
    clock.advance(1.0)  # age 660 = 60 + 600: gone
    with pytest.raises(ConnectionError):
        cache.lookup("k", boom)


def test_no_stale_value_means_the_error_propagates() -> None:
    cache = Cache(ttl=1.0, clock=VirtualClock())
    with pytest.raises(ConnectionError):
        cache.get("k", boom)
    assert cache.stats.errors == 1


def test_errors_outside_stale_on_propagate_even_with_a_stale_value() -> None:
    clock = VirtualClock()
    cache = Cache(ttl=1.0, clock=clock, stale_on=(ConnectionError,))
    cache.get("k", lambda: "v")
    clock.advance(2.0)
    with pytest.raises(KeyError):
        cache.get("k", lambda: dict[str, str]()["missing"])
    assert cache.get("k", boom) == "v"


async def test_stopping_is_never_answered_stale_even_with_stale_on_base_exception() -> None:
    clock = VirtualClock()
    cache = Cache(ttl=1.0, clock=clock, stale_on=BaseException)
    cache.get("k", lambda: "v")
    clock.advance(2.0)

    def interrupted() -> str:
        raise KeyboardInterrupt

    async def cancelled() -> str:
        raise asyncio.CancelledError

    with pytest.raises(KeyboardInterrupt):
        cache.get("k", interrupted)
    with pytest.raises(asyncio.CancelledError):
        await cache.get_async("k", cancelled)
    assert (cache.stats.errors, cache.stats.stale_served) == (0, 0)
    assert cache.get("k", boom) == "v"  # a real failure is still answered stale


def test_default_stale_ttl_keeps_values_forever() -> None:
    clock = VirtualClock()
    cache = Cache(ttl=1.0, clock=clock)
    assert cache.keep_for == math.inf
    cache.get("k", lambda: "v")
    clock.advance(1e9)
    assert cache.lookup("k", boom).stale


def test_hit_and_miss_events_and_stats() -> None:
    clock, bus, recorder = VirtualClock(), EventBus(), EventRecorder()
    bus.subscribe(recorder)
    cache = Cache(ttl=5.0, clock=clock, events=bus)
    cache.get("a", lambda: 1)
    clock.advance(1.0)
    cache.get("a", lambda: 2)
    assert recorder.events == [
        CacheMiss(at=0.0, source="cache", key="a", has_stale=False),
        CacheHit(at=1.0, source="cache", key="a", age=1.0),
    ]
    assert (cache.stats.hits, cache.stats.misses, cache.stats.computes) == (1, 1, 1)


def test_invalidate() -> None:
    cache = Cache(ttl=5.0, clock=VirtualClock())
    cache.get("a", lambda: 1)
    assert cache.invalidate("a")
    assert not cache.invalidate("a")
    assert cache.get("a", lambda: 2) == 2


def test_bad_configuration_is_reported_with_field_names() -> None:
    with pytest.raises(ConfigError) as caught:
        Cache(ttl=0.0, stale_ttl=-1.0)
    assert [p for p, _ in caught.value.problems] == ["ttl", "stale_ttl"]
    with pytest.raises(ConfigError):
        MemoryBackend(0)


def test_decorator_keys_by_arguments_sync_and_async() -> None:
    cache = Cache(ttl=5.0, clock=VirtualClock())
    calls: list[int] = []

    @cache.cached()
    def square(x: int) -> int:
        calls.append(x)
        return x * x

    assert [square(2), square(3), square(2)] == [4, 9, 4]
    assert calls == [2, 3]


async def test_async_decorator_with_custom_key() -> None:
    cache = Cache(ttl=5.0, clock=VirtualClock())
    calls: list[str] = []

    @cache.cached(key=lambda user, **_: f"user:{user}")
    async def load(user: str, *, verbose: bool = False) -> str:
        calls.append(user)
        return user.upper()

    assert await load("ada") == "ADA"
    assert await load("ada", verbose=True) == "ADA"
    assert calls == ["ada"]
    assert cache.backend.get("user:ada") is not None


async def test_keyed_cache_is_a_strategy_sync_and_async() -> None:
    clock = VirtualClock()
    cache = Cache(ttl=5.0, clock=clock)
    keyed = cache.keyed("config")
    assert keyed.call(lambda: "v1") == "v1"
    clock.advance(6.0)

    async def down() -> str:
        raise OSError("down")

    assert await keyed.call_async(down) == "v1"  # stale


def test_memory_backend_satisfies_the_protocol() -> None:
    assert isinstance(MemoryBackend(), CacheBackend)


def test_lru_evicts_the_least_recently_used() -> None:
    backend = MemoryBackend(max_entries=2, clock=VirtualClock())
    cache = Cache(ttl=100.0, backend=backend)
    cache.get("a", lambda: 1)
    cache.get("b", lambda: 2)
    cache.get("a", lambda: 0)  # touch a: b is now the oldest
    cache.get("c", lambda: 3)
    assert backend.keys() == ["a", "c"]
    assert backend.evictions == 1


@settings(max_examples=200, deadline=None)
@given(
    capacity=st.integers(1, 8),
    ops=st.lists(st.tuples(st.sampled_from("gsd"), st.integers(0, 12)), max_size=80),
)
def test_memory_backend_is_an_lru_model(capacity: int, ops: list[tuple[str, int]]) -> None:
    """Against a plain list model: bound, contents and recency order always match."""
    backend = MemoryBackend(max_entries=capacity, clock=VirtualClock())
    model: list[str] = []  # least recently used first
    for op, n in ops:
        key = f"k{n}"
        if op == "s":
            backend.set(key, n, fresh_for=10.0, keep_for=10.0)
            if key in model:
                model.remove(key)
            model.append(key)
            del model[: max(0, len(model) - capacity)]
        elif op == "g":
            entry = backend.get(key)
            assert (entry is not None) == (key in model)
            if entry is not None:
                assert entry.value == n
                model.remove(key)
                model.append(key)
        else:
            assert backend.delete(key) == (key in model)
            if key in model:
                model.remove(key)
        assert len(backend) <= capacity
        assert backend.keys() == model


def test_memory_backend_drops_entries_past_keep_for() -> None:
    clock = VirtualClock()
    backend = MemoryBackend(clock=clock)
    backend.set("k", "v", fresh_for=1.0, keep_for=3.0)
    clock.advance(2.999)
    entry = backend.get("k")
    assert entry is not None
    assert not entry.is_fresh
    clock.advance(0.001)
    assert backend.get("k") is None
    assert len(backend) == 0


async def test_memory_backend_async_methods() -> None:
    backend = MemoryBackend(clock=VirtualClock())
    await backend.set_async("k", 1, fresh_for=1.0, keep_for=1.0)
    entry = await backend.get_async("k")
    assert entry is not None
    assert entry.value == 1
    assert await backend.delete_async("k")
    assert await backend.get_async("k") is None
