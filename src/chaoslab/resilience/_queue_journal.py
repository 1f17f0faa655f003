"""The fallback queue's journal on disk: encoding, replay, compaction, directory lock.

The journal is JSON lines: `{"put": seq, "item": ...}` when an item is
queued, `{"ack": seq}` when it left the queue (delivered or dead-lettered),
`{"fail": seq, "n": count}` when the handler failed on it. Replaying it
gives the pending items in order with their failure counts; a torn last
line (a process killed mid-write) is ignored.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from chaoslab.errors import ConfigError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no advisory lock
    fcntl = None  # type: ignore[assignment]

__all__ = ["Stored", "compact", "encode", "replay", "take_directory"]

_log = logging.getLogger("chaoslab.resilience.queue")


@dataclass(frozen=True, slots=True)
class Stored:
    """A pending item and where its `put` line sits in the compacted journal."""

    seq: int
    item: Any
    failures: int
    offset: int
    length: int


def encode(record: dict[str, Any]) -> bytes:
    """One journal line (NaN and infinities refused: they are not JSON)."""
    return json.dumps(record, separators=(",", ":"), allow_nan=False).encode() + b"\n"


def replay(path: Path, name: str) -> tuple[dict[int, tuple[Any, int]], int]:
    """Pending items by sequence number, as (item, failures), and the last number seen."""
    pending: dict[int, Any] = {}
    failures: dict[int, int] = {}
    last = 0
    data = path.read_bytes() if path.exists() else b""
    for number, line in enumerate(data.split(b"\n")[:-1], start=1):  # [-1]: torn or empty
        try:
            record = json.loads(line)
        except ValueError:
            _log.warning("%s: skipping unreadable journal line %d", name, number)
            continue
        if "put" in record:
            pending[record["put"]] = record["item"]
            last = max(last, record["put"])
        elif "ack" in record:
            pending.pop(record["ack"], None)
        elif "fail" in record:
            failures[record["fail"]] = record["n"]
    return {seq: (item, failures.get(seq, 0)) for seq, item in pending.items()}, last


def compact(path: Path, pending: dict[int, tuple[Any, int]]) -> list[Stored]:
    """Replace the journal, atomically and durably, by one holding only `pending`."""
    stored: list[Stored] = []
    temporary = path.with_suffix(".tmp")
    with temporary.open("wb") as out:
        for seq in sorted(pending):
            item, count = pending[seq]
            offset = out.tell()
            line = encode({"put": seq, "item": item})
            out.write(line)
            if count:
                out.write(encode({"fail": seq, "n": count}))
            stored.append(Stored(seq, item, count, offset, len(line)))
        out.flush()
        os.fsync(out.fileno())
    temporary.replace(path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # make the rename itself durable
    finally:
        os.close(directory)
    return stored


def take_directory(directory: Path) -> IO[bytes]:
    """Lock `directory` for this process (advisory `flock`, released if the process dies)."""
    handle = (directory / "queue.lock").open("ab")
    if fcntl is not None:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            raise ConfigError(
                [("directory", f"{str(directory)!r} is used by another FallbackQueue")]
            ) from None
    return handle
