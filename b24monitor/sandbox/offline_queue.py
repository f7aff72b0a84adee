"""The portal's offline event queue (`b_rest_event_offline`, spec §3) for the sandbox app.

Latest state, not history: a row's key is (MESSAGE_ID, connector, PROCESS_ID) with
MESSAGE_ID = md5(EVENT_NAME + "|" + JSON(data)), so repeated changes of one object move one row's
TIMESTAMP_X forward, while a change during a reservation makes a fresh unreserved row (spec §3.1).
Simplified: the JSON inside the md5 is Python's compact JSON, not PHP's (IDs differ from a real
portal's, the coalescing does not); reservations never time out (real: ~30 days, spec §7.13); REST
changes made by the app itself are never skipped, since the sandbox REST API changes no CRM data.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from b24monitor.sandbox.offline_filter import Predicate, parse_order, sort_records

GET_FIELDS = ("ID", "TIMESTAMP_X", "EVENT_NAME", "EVENT_DATA", "EVENT_ADDITIONAL", "MESSAGE_ID")
LIST_FIELDS = (*GET_FIELDS, "PROCESS_ID", "ERROR")


@dataclass(slots=True)
class OfflineRow:
    """One queued event."""

    id: int
    timestamp: float
    event_name: str
    data: Any
    user_id: int
    message_id: str
    connector: str = ""
    process_id: str = ""
    error: bool = False

    def record(self) -> dict[str, Any]:
        """The row as event.offline.list shows it (spec §3.3); get drops PROCESS_ID and ERROR."""
        return {
            "ID": str(self.id),
            "TIMESTAMP_X": datetime.fromtimestamp(self.timestamp)
            .astimezone()
            .isoformat("T", "seconds"),
            "EVENT_NAME": self.event_name,
            "EVENT_DATA": self.data,
            "EVENT_ADDITIONAL": {"user_id": str(self.user_id)},
            "MESSAGE_ID": self.message_id,
            "PROCESS_ID": self.process_id,
            "ERROR": "1" if self.error else "0",
        }


def message_id(event_name: str, data: Any) -> str:
    """The dedupe key of spec §3.1: md5 of the event name and the JSON of its data."""
    text = event_name + "|" + json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


class OfflineQueue:
    """Queued rows of every connector partition."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._rows: dict[int, OfflineRow] = {}
        self._next_id = 1
        self._clock = clock

    def __len__(self) -> int:
        return len(self._rows)

    def push(self, event_name: str, data: Any, user_id: int, connector: str = "") -> OfflineRow:
        """Upsert the row for this change: an unreserved twin is refreshed, not duplicated."""
        mid = message_id(event_name, data)
        for row in self._rows.values():
            if row.message_id == mid and row.connector == connector and not row.process_id:
                row.timestamp, row.user_id = self._clock(), user_id
                return row
        row = OfflineRow(self._next_id, self._clock(), event_name, data, user_id, mid, connector)
        self._rows[row.id] = row
        self._next_id += 1
        return row

    def select(
        self,
        connector: str,
        where: Predicate,
        order: list[tuple[str, bool]],
        *,
        limit: int | None = None,
        scope: Callable[[OfflineRow], bool] = lambda row: True,
    ) -> list[OfflineRow]:
        """Rows of one partition passing `scope` and the filter, sorted, at most `limit`."""
        candidates = [r for r in self._rows.values() if r.connector == connector and scope(r)]
        records = [r.record() for r in candidates]
        records = [rec for rec in records if where(rec)]
        sort_records(records, order)
        chosen = [self._rows[int(rec["ID"])] for rec in records]
        return chosen if limit is None else chosen[:limit]

    def reserve(self, rows: list[OfflineRow], process_id: str) -> None:
        """Put rows under a reservation so other consumers do not see them (spec §3.2)."""
        for row in rows:
            row.process_id = process_id

    def delete(self, rows: Collection[OfflineRow]) -> None:
        """Remove rows."""
        for row in rows:
            self._rows.pop(row.id, None)

    def reserved(self, connector: str, process_id: str) -> list[OfflineRow]:
        """Rows of a partition held under one reservation, oldest first."""
        order = parse_order(None, LIST_FIELDS, {"TIMESTAMP_X": "ASC"})
        return self.select(
            connector, lambda r: True, order, scope=lambda r: r.process_id == process_id
        )

    def mark_error(self, rows: list[OfflineRow]) -> None:
        """Flag rows failed and release them; other unflagged copies of their messages go (§2.9).

        Like the core's markError (`WHERE … AND ERROR=0`), rows already flagged are left as they
        are: still reserved under the process_id of the `get?error=1` that fetched them (§2.9
        errata), so a bare clear of that reservation would delete them.
        """
        rows = [row for row in rows if not row.error]
        flagged = {row.id for row in rows}
        for row in rows:
            row.error, row.process_id = True, ""
            twins = [
                r
                for r in self._rows.values()
                if r.message_id == row.message_id
                and r.connector == row.connector
                and r.id not in flagged
                and (not r.error or not r.process_id)
            ]
            self.delete(twins)

    def all_rows(self) -> list[OfflineRow]:
        """Every row of every partition, by ID."""
        return [self._rows[key] for key in sorted(self._rows)]
