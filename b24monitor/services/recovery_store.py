"""The safety net's store side: which queue rows online deliveries covered, and storing the rest.

The match is one query over a temporary table of the rows, so every row is a SEARCH on the
(event, entity_id, ts) index (services/schema.py, issue 11), never a scan per row. Recovered
events are written on this connection with INSERT OR IGNORE on their source key, so reading
the same queue row twice (a crash between storing and clearing it) stores it once.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from b24monitor.core.decoding import key_fields
from b24monitor.core.offline_match import (
    MESSAGE_ID_HEADER,
    ORIGIN_HEADER,
    QUEUED_AT_HEADER,
    SOURCE_METHOD,
    TOLERANCE_S,
    QueueRow,
)
from b24monitor.core.phpform import build_form
from b24monitor.services.store import connect, index_fulltext

FORM_TYPE = "application/x-www-form-urlencoded"

_MATCH = """
SELECT q.idx FROM temp.safety_rows AS q WHERE EXISTS (
    SELECT 1 FROM events AS e INDEXED BY events_event_entity_ts
    WHERE e.event = q.event AND e.entity_id IS q.entity AND e.ts >= q.min_ts
      AND e.origin = 'online' AND e.status = 'ok'
      AND (q.entity IS NOT NULL OR json_extract(e.data, '$.data') IS q.data)
)
"""

_INSERT = (
    "INSERT OR IGNORE INTO events(received_at, event, member_id, domain, entity_id, "
    "entity_type_id, user_id, handler_id, ts, verified, status, error, http_status, method, path, "
    "peer, size, content_type, headers, body, data, origin, source_key, sender) "
    "VALUES (?,?,?,?,?,?,?,NULL,?,1,'ok',NULL,200,'REST',?,?,?,?,?,?,?,'recovered',?,?)"
)


class RecoveryStore:
    """Own connection to the event database; thread-safe through one lock."""

    def __init__(self, path: Path) -> None:
        self._conn = connect(path)
        self._lock = threading.Lock()
        self._conn.execute(
            "CREATE TEMP TABLE IF NOT EXISTS safety_rows "
            "(idx INTEGER PRIMARY KEY, event TEXT, entity TEXT, min_ts INTEGER, data TEXT)"
        )

    def close(self) -> None:
        self._conn.close()

    def covered(self, rows: Sequence[QueueRow], tolerance: float = TOLERANCE_S) -> set[int]:
        """Indexes of the rows an online delivery covers (spec §3.1a)."""
        params = []
        for idx, row in enumerate(rows):
            min_ts = row.earliest_covering_ts(tolerance)
            if min_ts is None:
                continue  # no usable time: keep it (recovering twice beats losing it)
            entity = row.object_id
            data = None if entity else json.dumps(row.data, ensure_ascii=False)
            params.append((idx, row.event, entity, min_ts, data))
        with self._lock:
            self._conn.execute("BEGIN")
            try:
                self._conn.execute("DELETE FROM temp.safety_rows")
                self._conn.executemany(
                    "INSERT INTO temp.safety_rows VALUES (?,?,?,?,json(?))", params
                )
                found = {int(r[0]) for r in self._conn.execute(_MATCH)}
                self._conn.execute("DELETE FROM temp.safety_rows")
            finally:
                self._conn.execute("COMMIT")
        return found

    def store_recovered(
        self,
        rows: Sequence[QueueRow],
        *,
        member_id: str | None,
        portal: str,
        sender: str | None = None,
    ) -> list[int]:
        """Store missed deliveries as events with origin `recovered`; returns the new ids.

        Rows stored before (same MESSAGE_ID and TIMESTAMP_X) are skipped, not duplicated.
        """
        # The sender is the profile whose token fetched the rows (spec §4: no token travels).
        values = [(*_row_values(row, member_id, portal), sender) for row in rows]
        ids: list[int] = []
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                for value in values:
                    cursor = self._conn.execute(_INSERT, value)
                    if cursor.rowcount == 1:
                        ids.append(int(cursor.lastrowid or 0))
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            if ids:
                index_fulltext(self._conn)  # searchable like the events the writer stored
        return ids

    def setting(self, key: str) -> str | None:
        with self._lock:
            row = self._conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_setting(self, key: str, value: str | None) -> None:
        with self._lock:
            if value is None:
                self._conn.execute("DELETE FROM settings WHERE key = ?", (key,))
            else:
                self._conn.execute(
                    "INSERT INTO settings(key, value) VALUES (?, ?) "
                    "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    (key, value),
                )


def _row_values(row: QueueRow, member_id: str | None, portal: str) -> tuple[Any, ...]:
    """The events row of one missed delivery: the row's data and time, fetched over REST."""
    payload = row.payload
    fields = key_fields(payload)
    body = build_form(payload).encode("utf-8")
    headers = [
        (ORIGIN_HEADER, "recovered"),
        (QUEUED_AT_HEADER, row.timestamp_x),
        (MESSAGE_ID_HEADER, row.message_id),
    ]
    domain = urlsplit(portal).hostname if "://" in portal else portal
    received_at = row.queued_at or 0.0
    return (
        received_at, fields.event, member_id, domain or None, fields.entity_id,
        fields.entity_type_id, row.user_id or None, fields.ts, SOURCE_METHOD, domain,
        len(body), FORM_TYPE, json.dumps(headers), body,
        json.dumps(payload, ensure_ascii=False), row.source_key,
    )  # fmt: skip
