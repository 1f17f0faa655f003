"""Application-side code the chaos tests put under fault: what a service would write.

A checkpoint store that never lets a Redis failure escape, a cache that falls
back to memory, a pub/sub subscriber that reconnects and resubscribes, and a
publisher that notices when nobody listened. The tests prove these patterns
hold against a real Redis that is stopped, paused, killed and restarted.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

_log = logging.getLogger("chaoslab.tests.app")

REDIS_ERRORS = (redis.ConnectionError, redis.TimeoutError)


def fast_client(url: str, *, timeout: float = 0.5, retries: int = 0) -> redis.Redis:
    """A client that fails fast: short socket timeouts, `retries` immediate retries."""
    return redis.Redis.from_url(
        url,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        retry=Retry(NoBackoff(), retries),
    )


def wait_until(condition: Callable[[], bool], *, timeout: float = 10.0) -> None:
    """Poll `condition` until true; fail the test after `timeout` seconds (never hang)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(0.01)


class CheckpointStore:
    """Session checkpoints in Redis. Saving fails gracefully; restoring yields None on error."""

    def __init__(self, client: redis.Redis, *, prefix: str = "checkpoint:") -> None:
        self.client = client
        self.prefix = prefix
        self.errors: list[Exception] = []

    def save(self, session_id: str, state: dict[str, Any]) -> bool:
        """Store `state`; False (logged, counted) when Redis is unavailable."""
        try:
            self.client.set(self.prefix + session_id, json.dumps(state))
        except REDIS_ERRORS as exc:
            self.errors.append(exc)
            _log.warning("checkpoint save failed for %s: %s", session_id, exc)
            return False
        return True

    def restore(self, session_id: str) -> dict[str, Any] | None:
        """The saved state, or None when absent or when Redis is unavailable."""
        try:
            raw = self.client.get(self.prefix + session_id)
        except REDIS_ERRORS as exc:
            self.errors.append(exc)
            _log.warning("checkpoint restore failed for %s: %s", session_id, exc)
            return None
        return None if raw is None else dict(json.loads(raw))


class FallbackCache:
    """Redis first; an in-memory copy serves while Redis fails."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = client
        self.memory: dict[str, str] = {}
        self.served_from_memory = 0

    def set(self, key: str, value: str) -> None:
        self.memory[key] = value
        try:
            self.client.set(key, value)
        except REDIS_ERRORS:
            _log.warning("cache write to Redis failed; kept in memory: %s", key)

    def get(self, key: str) -> str | None:
        try:
            raw = self.client.get(key)
        except REDIS_ERRORS:
            self.served_from_memory += 1
            return self.memory.get(key)
        if raw is None:
            return None
        return raw.decode() if isinstance(raw, bytes) else str(raw)


class ResubscribingSubscriber:
    """Listens on channels in a thread; on a lost connection, reconnects and resubscribes."""

    def __init__(self, url: str, channels: list[str], *, retry_delay: float = 0.02) -> None:
        self.url = url
        self.channels = channels
        self.retry_delay = retry_delay
        self.messages: list[tuple[str, str]] = []
        self.confirmed_subscriptions = 0
        self.connection_errors = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="subscriber", daemon=True)

    def start(self) -> ResubscribingSubscriber:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        assert not self._thread.is_alive(), "subscriber thread did not stop"

    def _run(self) -> None:
        while not self._stop.is_set():
            client = fast_client(self.url)
            pubsub = client.pubsub()  # type: ignore[no-untyped-call]
            try:
                pubsub.subscribe(*self.channels)
                while not self._stop.is_set():
                    self._handle(pubsub.get_message(timeout=0.05))
            except REDIS_ERRORS:
                self.connection_errors += 1
                self._stop.wait(self.retry_delay)  # the server is down: try again shortly
            finally:
                pubsub.close()
                client.close()

    def _handle(self, message: dict[str, Any] | None) -> None:
        if message is None:
            return
        if message["type"] == "subscribe":
            self.confirmed_subscriptions += 1
        elif message["type"] == "message":
            self.messages.append((message["channel"].decode(), message["data"].decode()))


class Publisher:
    """Publishes events and records the ones no subscriber received (PUBLISH returned 0)."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = client
        self.undelivered: list[tuple[str, str]] = []

    def publish(self, channel: str, message: str) -> int:
        receivers = int(self.client.publish(channel, message))
        if receivers == 0:
            self.undelivered.append((channel, message))
            _log.warning("event on %s reached no subscriber: %s", channel, message)
        return receivers
