"""Redis under chaos, against a real redis-server: refused, timing out, killed, restarted."""

from __future__ import annotations

import threading
from collections.abc import Callable

import redis

from chaoslab.services import RedisServer

from ._app import CheckpointStore, FallbackCache, fast_client, wait_until

RedisFactory = Callable[..., RedisServer]


def test_redis_refused_checkpoint_save_fails_gracefully_restore_returns_none_then_resumes(
    redis_factory: RedisFactory,
) -> None:
    """Redis refuses connections: save returns False, restore returns None (no exception),
    the cache falls back to memory; when Redis is back the session resumes from its
    last checkpoint."""
    server = redis_factory()
    store = CheckpointStore(fast_client(server.url))
    cache = FallbackCache(fast_client(server.url))
    assert store.save("session-1", {"step": 3, "messages": ["hi"]})
    cache.set("profile:1", "alice")

    server.stop()  # the port is closed: connections are refused

    assert store.save("session-1", {"step": 4}) is False
    assert store.restore("session-1") is None
    assert all(isinstance(e, redis.ConnectionError) for e in store.errors)
    assert len(store.errors) == 2
    assert cache.get("profile:1") == "alice"
    assert cache.served_from_memory == 1

    server.start()

    assert store.restore("session-1") == {"step": 3, "messages": ["hi"]}
    assert store.save("session-1", {"step": 4})
    assert store.restore("session-1") == {"step": 4}
    assert cache.get("profile:1") == "alice"
    assert cache.served_from_memory == 1  # served by Redis again, not from memory


def test_redis_timing_out_when_paused_restore_returns_none_instead_of_hanging(
    redis_factory: RedisFactory,
) -> None:
    """Redis stops answering (SIGSTOP: the socket stays open): the client times out,
    restore returns None and save returns False instead of hanging; once Redis resumes,
    the same client works again."""
    server = redis_factory()
    store = CheckpointStore(fast_client(server.url, timeout=0.2))
    assert store.save("session-2", {"step": 1})

    with server.paused():
        assert store.restore("session-2") is None
        assert store.save("session-2", {"step": 2}) is False

    assert [type(e) for e in store.errors] == [redis.TimeoutError, redis.TimeoutError]
    # The timed-out connections were dropped; the next call opens a fresh one. The save
    # that timed out may still have landed once Redis resumed: its outcome is unknown to
    # the client, so either state is legitimate here (but never None, never an error).
    assert store.restore("session-2") in ({"step": 1}, {"step": 2})
    assert len(store.errors) == 2


def test_redis_killed_and_restarted_no_acknowledged_write_lost_and_client_resumes(
    redis_factory: RedisFactory,
) -> None:
    """Redis is killed (-9) under a steady stream of writes and restarted: every write
    it acknowledged is still there (AOF, fsync always), and the writer, using the same
    client throughout, resumes writing after the restart."""
    server = redis_factory()
    client = fast_client(server.url, retries=1)
    acked: list[int] = []
    failed: list[int] = []
    stop = threading.Event()

    def writer() -> None:
        for i in range(100_000):  # bounded; stops long before on `stop`
            if stop.is_set():
                return
            try:
                client.set(f"order:{i}", i)
                acked.append(i)
            except (redis.ConnectionError, redis.TimeoutError):
                failed.append(i)
                stop.wait(0.005)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        wait_until(lambda: len(acked) >= 300)
        server.kill()
        wait_until(lambda: len(failed) >= 1)  # the writer saw the outage
        acked_before_restart = len(acked)
        server.start()
        wait_until(lambda: len(acked) >= acked_before_restart + 300)  # resumed
    finally:
        stop.set()
        thread.join(timeout=10)

    assert not thread.is_alive()
    stored = client.mget([f"order:{i}" for i in acked])
    missing = [i for i, value in zip(acked, stored, strict=True) if value != str(i).encode()]
    assert missing == []
    assert failed, "the kill must have been observed by the writer"


def test_redis_restart_keeps_data_in_the_same_folder(redis_factory: RedisFactory) -> None:
    """A graceful restart reuses the server's folder and port: data and URL stay."""
    server = redis_factory()
    url, folder = server.url, server.workdir
    fast_client(server.url).set("k", "v")
    server.restart()
    assert (server.url, server.workdir) == (url, folder)
    assert fast_client(server.url).get("k") == b"v"
