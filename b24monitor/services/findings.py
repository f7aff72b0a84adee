"""Findings after the acknowledgement: run the check table on committed deliveries and store them.

The writer (services/writer.py) calls `check` on its own thread right after a batch's commit
and after the batch's HTTP answers were released, and stores the rows at its next idle moment
(or FINDINGS_LAG_S into a burst), before the front end hears of the batch — so `listen` lines
carry their findings, and no acknowledgement ever waits for a check.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from b24monitor.core.catalog import Catalog
from b24monitor.core.findings import (
    DEFAULT_DELAY_THRESHOLD_S,
    DUPLICATE_WINDOW_S,
    CheckContext,
    run_checks,
)
from b24monitor.core.model import CapturedEvent, Finding
from b24monitor.core.twins import TwinWindow
from b24monitor.services.store import CHECKED_MARK, EVENT_COLUMNS, insert_findings, row_to_event


class FindingsRecorder:
    """Checks each committed event once and inserts its findings in one transaction."""

    def __init__(
        self, catalog: Catalog | None = None, delay_threshold_s: float = DEFAULT_DELAY_THRESHOLD_S
    ) -> None:
        self._catalog = catalog or Catalog.load()
        self._threshold = delay_threshold_s
        self._twins = TwinWindow(DUPLICATE_WINDOW_S)

    def findings(self, ev: CapturedEvent) -> list[Finding]:
        """The checks that trip on `ev` (it is remembered for the duplicate checks)."""
        ctx = CheckContext(self._catalog, self._threshold, self._twins.twins_of(ev))
        return run_checks(ev, ctx)

    def check(self, events: Sequence[CapturedEvent]) -> list[tuple[int, str, str]]:
        """The (event id, code, detail) rows of `events`' findings, in id order (not stored)."""
        return [(ev.id, f.code, f.detail) for ev in events for f in self.findings(ev)]

    def record(self, conn: sqlite3.Connection, events: Sequence[CapturedEvent]) -> None:
        """Check `events` (in id order) and store their findings and the checked-up-to mark.

        The mark moves with every batch: `wait` (services/watch.py) reads an event only once
        its findings are final.
        """
        if events:
            insert_findings(conn, self.check(events), checked_upto=events[-1].id)

    def catch_up(self, conn: sqlite3.Connection) -> None:
        """Check events committed but never checked (a crash between the two)."""
        row = conn.execute("SELECT value FROM settings WHERE key = ?", (CHECKED_MARK,)).fetchone()
        done = int(row[0]) if row else 0
        while True:
            rows = conn.execute(
                f"SELECT {EVENT_COLUMNS} FROM events WHERE id > ? ORDER BY id LIMIT 500", (done,)
            ).fetchall()
            if not rows:
                return
            self.record(conn, [row_to_event(r) for r in rows])
            done = rows[-1][0]


def event_from_insert(
    event_id: int, row: Sequence[Any], payload: dict[str, Any] | None
) -> CapturedEvent:
    """The CapturedEvent of a row in the writer's INSERT column order, without reading it back.

    Headers are left out: no check reads them, and decoding their JSON again would cost time.
    """
    verified = None if row[9] is None else bool(row[9])
    return CapturedEvent(
        id=event_id, received_at=row[0], event=row[1], member_id=row[2], domain=row[3],
        entity_id=row[4], entity_type_id=row[5], user_id=row[6], handler_id=row[7], ts=row[8],
        verified=verified, status=row[10], error=row[11], http_status=row[12], method=row[13],
        path=row[14], peer=row[15], size=row[16], content_type=row[17],
        headers=(), body=row[19], data=payload, sender=row[21] if len(row) > 21 else None,
    )  # fmt: skip
