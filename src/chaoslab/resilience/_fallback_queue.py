"""Fallback queue: keep work for a dependency that is down, deliver it in order when it returns.

Three tiers, in order:

1. **memory**: the first `memory_capacity` items, held in RAM;
2. **disk**: once memory is full, further items stay on disk only (RAM holds
   their file offset), up to `disk_capacity` items;
3. **dead letter**: items that find both tiers full, and items the handler
   failed `max_failures` times, go to an append-only dead-letter file.

Durability: every item is appended to a journal file (`queue.jsonl`, JSON
lines) and `fsync`'d before `put` returns, whatever its tier, so a process
killed at any moment loses nothing: a new `FallbackQueue` on the same
directory replays the journal and drains the same items in the same order.
Deliveries are acknowledged in the journal without fsync, so delivery is
*at least once*: an item handed over just before a crash may be handed over
again. A torn last line (a kill mid-write) is ignored. One process at a time
may own a directory (an advisory `flock`).

Example:
    >>> import tempfile
    >>> directory = tempfile.mkdtemp()
    >>> queue = FallbackQueue(directory, memory_capacity=2, disk_capacity=10)
    >>> [queue.put({"job": n}) for n in range(3)]
    ['memory', 'memory', 'disk']
    >>> sent = []
    >>> queue.drain(sent.append).delivered, sent
    (3, [{'job': 0}, {'job': 1}, {'job': 2}])
    >>> queue.close()
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import threading
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal

from chaoslab.clock import Clock
from chaoslab.errors import ConfigError
from chaoslab.observe import EventBus
from chaoslab.resilience._events_b import QueueDeadLettered, QueueDrained, QueueSpilled
from chaoslab.resilience._queue_journal import compact, replay, take_directory
from chaoslab.resilience._queue_journal import encode as _encode
from chaoslab.resilience._support import bus_of, resolve_clock

__all__ = ["DeadLetter", "DrainResult", "FallbackQueue"]

Tier = Literal["memory", "disk", "dead_letter"]


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """An item given up on: `reason` is "overflow" (tiers full) or "failures"."""

    seq: int
    item: Any
    reason: str
    failures: int
    error: str | None


@dataclass(frozen=True, slots=True)
class DrainResult:
    """What one drain did; `error` is the handler error that stopped it, if any."""

    delivered: int
    dead_lettered: int
    remaining: int
    error: BaseException | None = None


@dataclass(slots=True)
class _Entry:
    seq: int
    item: Any
    failures: int = 0


class FallbackQueue:
    """A durable FIFO of JSON-serialisable items; see the module docstring.

    Args:
        directory: where `queue.jsonl`, `dead_letter.jsonl` and the lock live.
        memory_capacity: items held in RAM.
        disk_capacity: items beyond that, kept on disk only.
        max_failures: handler failures after which an item is dead-lettered.
        fsync: fsync every `put` (default); turn off only for throwaway queues.
        name: the `source` of events.

    Events: `QueueSpilled`, `QueueDeadLettered`, `QueueDrained`.
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        memory_capacity: int = 1000,
        disk_capacity: int = 100_000,
        max_failures: int = 3,
        fsync: bool = True,
        name: str = "fallback-queue",
        clock: Clock | None = None,
        events: EventBus | None = None,
    ) -> None:
        problems = [
            (field, f"must be >= {low}, got {value!r}")
            for field, value, low in (
                ("memory_capacity", memory_capacity, 1),
                ("disk_capacity", disk_capacity, 0),
                ("max_failures", max_failures, 1),
            )
            if value < low
        ]
        if problems:
            raise ConfigError(problems)
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.memory_capacity = memory_capacity
        self.disk_capacity = disk_capacity
        self.max_failures = max_failures
        self.fsync = fsync
        self.name = name
        self.clock = resolve_clock(clock)
        self._events = events
        self._lock = threading.Lock()
        self._drain_lock = threading.Lock()
        self._memory: deque[_Entry] = deque()
        self._disk: deque[tuple[int, int, int]] = deque()  # (seq, offset, length) in the journal
        self._failures: dict[int, int] = {}  # recovered failure counts of disk items
        self._journal_path = self.directory / "queue.jsonl"
        self._dead_path = self.directory / "dead_letter.jsonl"
        self._lockfile = take_directory(self.directory)
        try:
            self._seq = self._recover()
            self._journal: IO[bytes] = self._journal_path.open("a+b")
        except BaseException:
            self._lockfile.close()  # release the directory: nothing was opened
            raise

    def __repr__(self) -> str:
        return f"FallbackQueue({str(self.directory)!r}, pending={len(self)})"

    def __len__(self) -> int:
        return len(self._memory) + len(self._disk)

    @property
    def memory_size(self) -> int:
        """Items held in RAM."""
        return len(self._memory)

    @property
    def disk_size(self) -> int:
        """Items on disk only."""
        return len(self._disk)

    def __enter__(self) -> FallbackQueue:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the files and release the directory (pending items stay on disk)."""
        with self._lock:
            for handle in (self._journal, self._lockfile):
                if not handle.closed:
                    handle.close()

    # -- putting ---------------------------------------------------------------------

    def put(self, item: Any) -> Tier:
        """Enqueue `item` durably; return the tier it went to.

        Raises `TypeError` if `item` is not JSON-serialisable. What is delivered
        later is the JSON round-trip of `item` (tuples come back as lists).
        """
        try:
            line = _encode({"put": 0, "item": item})  # validate before taking a number
        except (TypeError, ValueError) as exc:
            raise TypeError(f"fallback queue items must be JSON-serialisable: {exc}") from exc
        stored = json.loads(line)["item"]
        with self._lock:
            self._seq += 1
            seq = self._seq
            if not self._disk and len(self._memory) < self.memory_capacity:
                tier: Tier = "memory"
                self._write(_encode({"put": seq, "item": stored}), durable=True)
                self._memory.append(_Entry(seq, stored))
            elif len(self._disk) < self.disk_capacity:
                tier = "disk"
                line = _encode({"put": seq, "item": stored})
                self._disk.append((seq, self._write(line, durable=True), len(line)))
            else:
                tier = "dead_letter"
                buried = self._bury(_Entry(seq, stored), "overflow", None)
        if tier != "memory":
            self._emit(QueueSpilled(at=self.clock.now(), source=self.name, seq=seq, to=tier))
        if tier == "dead_letter":
            self._emit(buried)
        return tier

    async def put_async(self, item: Any) -> Tier:
        """`put` in a worker thread, so the fsync does not block the event loop."""
        return await asyncio.to_thread(self.put, item)

    # -- draining --------------------------------------------------------------------

    def drain(self, handler: Callable[[Any], object], *, limit: int | None = None) -> DrainResult:
        """Hand items to `handler` oldest first until empty, `limit`, or a handler error.

        A failing item stays at the head (order is kept) and the drain stops;
        after `max_failures` failures it is dead-lettered and the drain goes on.
        """
        with self._draining(limit) as run:
            while (entry := run.next()) is not None:
                try:
                    handler(entry.item)
                except Exception as exc:  # noqa: BLE001 - recorded, counted, maybe dead-lettered
                    run.failed(entry, exc)
                else:
                    run.succeeded(entry)
            return run.result()

    async def drain_async(
        self, handler: Callable[[Any], Awaitable[object]], *, limit: int | None = None
    ) -> DrainResult:
        """`drain` with an async handler."""
        with self._draining(limit) as run:
            while (entry := run.next()) is not None:
                try:
                    await handler(entry.item)
                except Exception as exc:  # noqa: BLE001 - recorded, counted, maybe dead-lettered
                    run.failed(entry, exc)
                else:
                    run.succeeded(entry)
            return run.result()

    @contextlib.contextmanager
    def _draining(self, limit: int | None) -> Iterator[_Drain]:
        if not self._drain_lock.acquire(blocking=False):
            raise RuntimeError(f"{self.name}: another drain is running")
        try:
            yield _Drain(self, limit)
        finally:
            self._drain_lock.release()

    async def run(
        self,
        handler: Callable[[Any], Awaitable[object]],
        *,
        interval: float,
        rounds: int | None = None,
    ) -> None:
        """Try a drain every `interval` seconds of the clock, `rounds` times (None = until
        cancelled): while the dependency is down each try stops at the first failure;
        once it is back the queue empties, in order.
        """
        if not interval > 0:
            raise ConfigError([("interval", f"must be > 0 seconds, got {interval!r}")])
        done = 0
        while rounds is None or done < rounds:
            if len(self):
                await self.drain_async(handler)
            done += 1
            if rounds is None or done < rounds:
                await self.clock.sleep_async(interval)

    def dead_letters(self) -> list[DeadLetter]:
        """Every dead-lettered item so far, oldest first."""
        if not self._dead_path.exists():
            return []
        letters = []
        for line in self._dead_path.read_bytes().splitlines():
            with contextlib.suppress(ValueError):  # a torn last line
                data = json.loads(line)
                letters.append(
                    DeadLetter(
                        data["seq"], data["item"], data["reason"], data["failures"], data["error"]
                    )
                )
        return letters

    # -- internals -------------------------------------------------------------------

    def _emit(self, event: QueueSpilled | QueueDeadLettered | QueueDrained) -> None:
        # Always called without the lock held: a hook may look at the queue.
        bus = bus_of(self._events)
        if bus.active:
            bus.emit(event)

    def _write(self, line: bytes, *, durable: bool) -> int:
        """Append to the journal (lock held); return the line's offset."""
        offset = self._journal.tell()
        self._journal.write(line)
        self._journal.flush()  # in the OS after this: survives a killed process
        if durable and self.fsync:
            os.fsync(self._journal.fileno())  # on the disk after this: survives a crash
        return offset

    def _bury(self, entry: _Entry, reason: str, error: str | None) -> QueueDeadLettered:
        """Append `entry` to the dead-letter file, fsync'd (lock held); return the event."""
        record = {
            "seq": entry.seq,
            "item": entry.item,
            "reason": reason,
            "failures": entry.failures,
            "error": error,
            "at": self.clock.now(),
        }
        with self._dead_path.open("ab") as dead:
            dead.write(_encode(record))
            dead.flush()
            if self.fsync:
                os.fsync(dead.fileno())
        return QueueDeadLettered(
            at=self.clock.now(),
            source=self.name,
            seq=entry.seq,
            reason=reason,
            failures=entry.failures,
        )

    def _head(self) -> _Entry | None:
        with self._lock:
            if not self._memory:
                self._refill()
            return self._memory[0] if self._memory else None

    def _refill(self) -> None:
        """Move the oldest disk items back to memory, in order (lock held)."""
        while self._disk and len(self._memory) < self.memory_capacity:
            seq, offset, length = self._disk.popleft()
            # pread: no buffered reader that could serve bytes from before a truncation
            item = json.loads(os.pread(self._journal.fileno(), length, offset))["item"]
            self._memory.append(_Entry(seq, item, self._failures.pop(seq, 0)))

    def _delivered(self, entry: _Entry) -> None:
        with self._lock:
            self._write(_encode({"ack": entry.seq}), durable=False)
            self._memory.popleft()

    def _failed(self, entry: _Entry, exc: BaseException) -> bool:
        """Count a handler failure; True if the item was dead-lettered."""
        error = f"{type(exc).__name__}: {exc}"
        with self._lock:
            entry.failures += 1
            if entry.failures < self.max_failures:
                self._write(_encode({"fail": entry.seq, "n": entry.failures}), durable=False)
                return False
            buried = self._bury(entry, "failures", error)
            self._write(_encode({"ack": entry.seq}), durable=True)
            self._memory.popleft()
        self._emit(buried)
        return True

    def _drained(self, delivered: int, buried: int, error: BaseException | None) -> DrainResult:
        with self._lock:
            remaining = len(self)
            if remaining == 0 and self._journal.tell() > 0:
                # Everything delivered: start the journal afresh (offsets restart at 0).
                self._journal.truncate(0)
                self._journal.seek(0)
                if self.fsync:
                    os.fsync(self._journal.fileno())
        self._emit(
            QueueDrained(
                at=self.clock.now(),
                source=self.name,
                delivered=delivered,
                dead_lettered=buried,
                remaining=remaining,
            )
        )
        return DrainResult(delivered, buried, remaining, error)

    def _recover(self) -> int:
        """Replay and compact the journal, fill the tiers; return the last sequence number."""
        pending, last = replay(self._journal_path, self.name)
        for stored in compact(self._journal_path, pending):
            if len(self._memory) < self.memory_capacity and not self._disk:
                self._memory.append(_Entry(stored.seq, stored.item, stored.failures))
            else:
                self._disk.append((stored.seq, stored.offset, stored.length))
                if stored.failures:
                    self._failures[stored.seq] = stored.failures
        return max([last, *(letter.seq for letter in self.dead_letters())])


class _Drain:
    """One drain's progress and decisions, shared by `drain` and `drain_async`:
    they only call the handler and report how it went."""

    __slots__ = ("buried", "delivered", "error", "limit", "queue")

    def __init__(self, queue: FallbackQueue, limit: int | None) -> None:
        self.queue = queue
        self.limit = limit
        self.delivered = 0
        self.buried = 0
        self.error: BaseException | None = None

    def next(self) -> _Entry | None:
        """The item to hand over next, or None: empty, `limit` reached, or a failure kept."""
        if self.error is not None or (self.limit is not None and self.delivered >= self.limit):
            return None
        return self.queue._head()

    def succeeded(self, entry: _Entry) -> None:
        self.queue._delivered(entry)
        self.delivered += 1

    def failed(self, entry: _Entry, exc: Exception) -> None:
        if self.queue._failed(entry, exc):
            self.buried += 1  # dead-lettered: the drain goes on with the next item
        else:
            self.error = exc  # kept at the head: the drain stops, order is kept

    def result(self) -> DrainResult:
        return self.queue._drained(self.delivered, self.buried, self.error)
