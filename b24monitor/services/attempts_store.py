"""Forward and replay attempts in the event database: record them, list them per event.

An `AttemptStore` is an `EventStore` (it reads the events it sends) with its own connection, so
the forwarder's reads and writes never share a connection with the GUI or the capture writer.
Its calls are serialized by a lock: callers run them on worker threads (asyncio.to_thread).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

from b24monitor.core.model import CapturedEvent
from b24monitor.core.replay import Attempt, Kind, Variant
from b24monitor.services.store import EventStore

_COLUMNS = (
    "event_id, kind, variant, replay_of, target, started_at, status, latency_ms, "
    "response_headers, response_body, truncated, error, request_body"
)
_INSERT = f"INSERT INTO attempts({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)"


class AttemptStore(EventStore):
    """Event reads plus the attempts table; thread-safe through one lock."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.lock = threading.Lock()

    def codes_of(self, ids: Sequence[int]) -> list[tuple[int, str | None]]:
        """`(id, event code)` of the stored events among `ids`, in id order (no bodies)."""
        found: list[tuple[int, str | None]] = []
        with self.lock:
            for start in range(0, len(ids), 500):
                chunk = list(ids[start : start + 500])
                marks = ",".join("?" * len(chunk))
                rows = self._conn.execute(
                    f"SELECT id, event FROM events WHERE id IN ({marks})", chunk
                )
                found.extend((int(i), code) for i, code in rows)
        return sorted(found)

    def add_attempts(self, attempts: Sequence[Attempt]) -> list[int]:
        """Store attempts in one transaction; returns their new ids in order."""
        with self.lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                ids = [int(self._conn.execute(_INSERT, _row(a)).lastrowid or 0) for a in attempts]
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
        return ids

    def attempts_for(self, event_id: int) -> list[Attempt]:
        """Every attempt of one event, oldest first."""
        with self.lock:
            rows = self._conn.execute(
                f"SELECT id, {_COLUMNS} FROM attempts WHERE event_id = ? ORDER BY id", (event_id,)
            ).fetchall()
        return [_attempt(row) for row in rows]

    def last_attempt_id(self, event_id: int) -> int | None:
        """The newest attempt of an event, which a replay links to as the one it repeats."""
        with self.lock:
            row = self._conn.execute(
                "SELECT max(id) FROM attempts WHERE event_id = ?", (event_id,)
            ).fetchone()
        return None if row is None or row[0] is None else int(row[0])

    def events(self, ids: Sequence[int]) -> list[CapturedEvent]:
        """`fetch` under the lock, for calls from worker threads."""
        with self.lock:
            return self.fetch(ids)


def _row(a: Attempt) -> tuple[Any, ...]:
    return (
        a.event_id, a.kind, a.variant, a.replay_of, a.target, a.started_at, a.status,
        a.latency_ms, json.dumps(a.response_headers), a.response_body, int(a.truncated), a.error,
        a.request_body,
    )  # fmt: skip


def _attempt(row: sqlite3.Row | Sequence[Any]) -> Attempt:
    return Attempt(
        id=row[0], event_id=row[1], kind=cast(Kind, row[2]), variant=cast(Variant, row[3]),
        replay_of=row[4], target=row[5], started_at=row[6], status=row[7], latency_ms=row[8],
        response_headers=tuple((h[0], h[1]) for h in json.loads(row[9])),
        response_body=bytes(row[10]), truncated=bool(row[11]), error=row[12],
        request_body=None if row[13] is None else bytes(row[13]),
    )  # fmt: skip
