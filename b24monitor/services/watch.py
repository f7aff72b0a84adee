"""Watch a data dir that a running `listen` writes to: new events, cheaply, from another process.

A WAL reader polls `PRAGMA data_version`, which changes only when another connection committed,
so an idle store costs one tiny statement per poll. Events count as new once the writer has also
stored their findings (the `findings_checked_upto` mark, services/findings.py): a filter on
`finding:` must see them complete.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path

from b24monitor.core.model import CapturedEvent
from b24monitor.services.store import (
    CHECKED_MARK,
    EVENT_COLUMNS,
    connect,
    load_findings,
    row_to_event,
)

POLL_S = 0.05


class StoreWatcher:
    """Yields events committed after a starting id that match an SQL condition."""

    def __init__(self, path: Path, where: str = "", params: Sequence[object] = ()) -> None:
        self._conn: sqlite3.Connection = connect(path, readonly=True)
        self._where = f"({where}) AND " if where else ""
        self._params = list(params)
        self._version: int | None = None
        self.after_id = 0

    def close(self) -> None:
        self._conn.close()

    def newest_id(self) -> int:
        return int(self._conn.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()[0])

    def poll(self) -> list[CapturedEvent]:
        """Matching events committed since the last call (none when nothing was committed)."""
        version = int(self._conn.execute("PRAGMA data_version").fetchone()[0])
        if version == self._version:
            return []
        self._version = version
        upto = self._checked_upto()
        if upto <= self.after_id:
            return []
        rows = self._conn.execute(
            f"SELECT {EVENT_COLUMNS} FROM events WHERE {self._where}id > ? AND id <= ? ORDER BY id",
            [*self._params, self.after_id, upto],
        ).fetchall()
        self.after_id = upto
        events = [row_to_event(r) for r in rows]
        found = load_findings(self._conn, [ev.id for ev in events])
        for ev in events:
            ev.findings = found.get(ev.id, ())
        return events

    def _checked_upto(self) -> int:
        row = self._conn.execute("SELECT value FROM settings WHERE key = ?", (CHECKED_MARK,))
        mark = row.fetchone()
        return int(mark[0]) if mark else self.newest_id()


def wait_for_database(path: Path, deadline: float) -> bool:
    """Wait until `listen` has created the database (True) or the deadline passed (False)."""
    while not path.exists():
        if time.monotonic() >= deadline:
            return False
        time.sleep(POLL_S)
    return True
