"""The safety net's pure half: what a queue row is about, and what a missed delivery looks like.

Spec §3.1a: a queue row of an offline twin is covered when an online delivery of the same event
and object carries `ts` ≥ the row's TIMESTAMP_X − a few seconds (both are the portal's clock;
TIMESTAMP_X carries the portal's offset). A row that is not covered is a missed delivery: its
EVENT_DATA is what the handler would have got in `data`, without an `auth` block.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from b24monitor.core.decoding import family_of

TOLERANCE_S = 2.0
"""How much earlier than TIMESTAMP_X a covering delivery's `ts` may be (seconds, spec §3.1a)."""

SOURCE_METHOD = "event.offline.get"
ORIGIN_HEADER = "X-B24Monitor-Origin"
QUEUED_AT_HEADER = "X-B24Monitor-Queued-At"
MESSAGE_ID_HEADER = "X-B24Monitor-Message-Id"


@dataclass(frozen=True, slots=True)
class QueueRow:
    """One reserved queue row, reduced to what matching and storing need."""

    event: str
    data: Any
    timestamp_x: str
    message_id: str
    user_id: str = ""

    @property
    def queued_at(self) -> float | None:
        """TIMESTAMP_X as Unix seconds (its offset applied); None when it does not parse."""
        return parse_timestamp(self.timestamp_x)

    @property
    def payload(self) -> dict[str, Any]:
        """The delivery the handler would have got: event, data, ts — no auth (spec §3.1a)."""
        at = self.queued_at
        ts = str(int(at)) if at is not None else ""
        return {"event": self.event, "data": self.data, "ts": ts}

    @property
    def object_id(self) -> str | None:
        """The object the row is about (FIELDS.ID for CRM and tasks, id for calendar, …)."""
        return family_of(self.event).extract(self.payload)[0]

    @property
    def source_key(self) -> str:
        """What makes a recovered event unique: the same row read twice is stored once."""
        return f"{self.message_id}|{self.timestamp_x}"

    def earliest_covering_ts(self, tolerance: float = TOLERANCE_S) -> int | None:
        """The smallest delivery `ts` that covers this row; None: no usable time."""
        at = self.queued_at
        return None if at is None else math.floor(at - tolerance)


def parse_timestamp(text: str) -> float | None:
    """ISO-8601 with offset → Unix seconds; a naive value is read as local time."""
    try:
        return datetime.fromisoformat(text.strip()).timestamp()
    except (ValueError, OverflowError, OSError):
        return None


def queue_row(record: Mapping[str, Any]) -> QueueRow:
    """A row of event.offline.get (spec §2.6, §3.3) as a QueueRow."""
    additional = record.get("EVENT_ADDITIONAL")
    user = additional.get("user_id") if isinstance(additional, Mapping) else None
    return QueueRow(
        event=str(record.get("EVENT_NAME", "")).upper(),
        data=record.get("EVENT_DATA"),
        timestamp_x=str(record.get("TIMESTAMP_X", "")),
        message_id=str(record.get("MESSAGE_ID", "")),
        user_id="" if user is None else str(user),
    )
