"""The adapters under the pytest plugin's `chaos` fixture: no injector passed anywhere."""

from __future__ import annotations

import psycopg_pool
import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from chaoslab.adapters import PG_CONNECT_POINT, ChaosPgPool, ChaosRedisPool
from chaoslab.clock import VirtualClock
from chaoslab.faults import ConnectionRefused, Timeout, Window
from chaoslab.inject import FaultInjector

from ._app import CheckpointStore


def test_checkpoint_restore_returns_none_when_redis_times_out(
    chaos: FaultInjector, virtual_clock: VirtualClock, redis_url: str
) -> None:
    """The pool is built without an injector and follows the `chaos` fixture, whose
    clock is the test's virtual clock: the 30 s timeout costs no wall time."""
    pool = ChaosRedisPool.from_url(redis_url, retry=Retry(NoBackoff(), 0))
    store = CheckpointStore(redis.Redis(connection_pool=pool))
    assert store.save("1", {"step": 1})
    with chaos.inject("redis.GET session:*", Timeout(after=30)):
        assert store.restore("1") is None
    assert virtual_clock.now() == pytest.approx(30)
    assert store.restore("1") == {"step": 1}
    pool.disconnect()


def test_postgres_refuses_new_connections_clear_error_not_a_hang_pool_recovers(
    chaos: FaultInjector, virtual_clock: VirtualClock, pg_url: str
) -> None:
    """PostgreSQL refuses new connections for the first virtual second: a checkout fails
    within its own short timeout with PoolTimeout (not a hang); once the window is over,
    the pool's own reconnect (psycopg_pool's backoff, about 1 s) fills it and queries work."""
    refusing = chaos.inject(PG_CONNECT_POINT, ConnectionRefused(), Window(0, 1))
    with refusing, ChaosPgPool(pg_url, min_size=1, max_size=1, open=True) as pool:
        with pytest.raises(psycopg_pool.PoolTimeout):
            _checkout(pool, timeout=0.2)
        virtual_clock.advance(1)  # the server accepts connections again
        pool.wait(timeout=10)
        assert _checkout(pool, timeout=1) == (1,)
        stats = pool.get_stats()
    assert stats["connections_errors"] >= 1
    assert chaos.stats(PG_CONNECT_POINT).faults["connection_refused"] >= 1


def _checkout(pool: ChaosPgPool, *, timeout: float) -> object:
    with pool.connection(timeout=timeout) as conn:
        return conn.execute("SELECT 1").fetchone()
