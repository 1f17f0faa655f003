"""Application-side code the adapter chaos tests put under fault: what a service writes."""

from __future__ import annotations

import json
import logging
from typing import Any

import redis

_log = logging.getLogger("chaoslab.tests.adapters")


class CheckpointStore:
    """Session checkpoints in Redis that never let a Redis failure escape.

    `save` says whether the checkpoint was stored; `restore` answers None when
    there is none *or* Redis cannot be reached: the session then starts over.
    """

    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    def save(self, session: str, state: dict[str, Any]) -> bool:
        try:
            self.client.set(f"session:{session}", json.dumps(state))
        except redis.RedisError as exc:
            _log.warning("checkpoint save failed for %s: %r", session, exc)
            return False
        return True

    def restore(self, session: str) -> dict[str, Any] | None:
        try:
            data = self.client.get(f"session:{session}")
        except redis.RedisError as exc:
            _log.warning("checkpoint restore failed for %s: %r", session, exc)
            return None
        if not isinstance(data, bytes | str):
            return None
        loaded = json.loads(data)
        return loaded if isinstance(loaded, dict) else None
