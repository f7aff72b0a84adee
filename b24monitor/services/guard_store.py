"""What the capture guard keeps in the event database: canary round trips and coverage.

Own connection (WAL: never blocks the capture writer for long); thread-safe through one lock.
The coverage table holds one row per stretch of time the capture path was (not) covered; the
open stretch has no end yet, and a stretch left open by a crash is closed at its last sign of
life the next time a guard starts.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from b24monitor.core.coverage import Stretch
from b24monitor.services.store import connect

HEARTBEAT_KEY = "coverage_heartbeat"


class GuardStore:
    """Canary round trips, the coverage timeline and the last proof that deliveries arrive."""

    def __init__(self, path: Path) -> None:
        self._conn = connect(path)
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def add_trip(self, sent_at: float, latency_ms: float | None, nonce: str) -> None:
        with self._lock:
            self._conn.execute(
                "INSERT INTO canary_trips(sent_at, latency_ms, nonce) VALUES (?, ?, ?)",
                (sent_at, latency_ms, nonce),
            )

    def last_trips(self, count: int = 20) -> list[tuple[float, float | None]]:
        """The newest round trips, newest first: (sent_at, latency_ms or None when lost)."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT sent_at, latency_ms FROM canary_trips ORDER BY id DESC LIMIT ?", (count,)
            ).fetchall()
        return [(float(a), None if m is None else float(m)) for a, m in rows]

    def last_verified_delivery(self, ids: list[int]) -> float | None:
        """The newest received_at among these ids of a verified live delivery (proof of path)."""
        if not ids:
            return None
        marks = ",".join("?" * len(ids))
        with self._lock:
            row = self._conn.execute(
                f"SELECT max(received_at) FROM events WHERE id IN ({marks}) AND verified = 1 "
                "AND status = 'ok' AND origin = 'online'",
                ids,
            ).fetchone()
        return None if row is None or row[0] is None else float(row[0])

    def open_stretch(self, covered: bool, reason: str | None, at: float | None = None) -> None:
        """End the open stretch (if any) and start a new one."""
        now = time.time() if at is None else at
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                self._conn.execute(
                    "UPDATE coverage SET ended_at = ? WHERE ended_at IS NULL", (now,)
                )
                self._conn.execute(
                    "INSERT INTO coverage(started_at, covered, reason) VALUES (?, ?, ?)",
                    (now, int(covered), reason),
                )
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise

    def close_stretch(self, at: float | None = None) -> None:
        """Nothing watches any more (exit, or a crash found later): the open stretch ends."""
        now = time.time() if at is None else at
        with self._lock:
            self._conn.execute("UPDATE coverage SET ended_at = ? WHERE ended_at IS NULL", (now,))

    def heartbeat(self, at: float | None = None) -> None:
        """The guard is alive (so a crash's open stretch can be closed at the right time)."""
        self._set(HEARTBEAT_KEY, str(time.time() if at is None else at))

    def close_crashed(self) -> None:
        """A stretch left open by a process that died ends at its last heartbeat."""
        with self._lock:
            row = self._conn.execute(
                "SELECT value FROM settings WHERE key = ?", (HEARTBEAT_KEY,)
            ).fetchone()
        if row is not None:
            self.close_stretch(float(row[0]))

    def stretches(self, since: float = 0.0) -> list[Stretch]:
        """Stretches that end after `since` (or are open), oldest first."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT started_at, ended_at, covered, reason FROM coverage "
                "WHERE ended_at IS NULL OR ended_at >= ? ORDER BY started_at, id",
                (since,),
            ).fetchall()
        return [
            Stretch(float(a), None if b is None else float(b), bool(c), r) for a, b, c, r in rows
        ]

    def recovered_between(self, start: float, end: float) -> int:
        """Events recovered from the queue whose change happened in [start, end)."""
        with self._lock:
            row = self._conn.execute(
                "SELECT count(*) FROM events WHERE origin = 'recovered' AND received_at >= ? "
                "AND received_at < ?",
                (start, end),
            ).fetchone()
        return int(row[0])

    def _set(self, key: str, value: str) -> None:
        with self._lock:
            self._conn.execute(
                "INSERT INTO settings(key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )
