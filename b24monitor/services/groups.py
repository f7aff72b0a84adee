"""Events grouped by the object they are about: one row per (event code, object) — for the GUI.

A handler author asks "what happened to deal 3187", not "what were the last 50 deliveries";
grouping is one GROUP BY over indexed columns, and a group's deliveries one more query.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

GROUP_LIMIT = 2000
MEMBER_LIMIT = 500


@dataclass(frozen=True, slots=True)
class ObjectGroup:
    """The deliveries of one event code about one object."""

    event: str
    entity_type_id: str | None
    entity_id: str
    count: int
    first_at: float
    last_at: float
    last_id: int

    @property
    def span_s(self) -> float:
        return self.last_at - self.first_at


def object_groups(
    conn: sqlite3.Connection, where: str = "", params: Sequence[object] = ()
) -> list[ObjectGroup]:
    """Groups of the events matching `where`, most recently active first."""
    rows = conn.execute(
        "SELECT event, entity_type_id, entity_id, count(*), min(received_at), max(received_at), "
        "max(id) FROM events WHERE entity_id IS NOT NULL AND event IS NOT NULL "
        f"AND ({where or '1'}) GROUP BY event, entity_type_id, entity_id ORDER BY max(id) DESC "
        "LIMIT ?",
        [*params, GROUP_LIMIT],
    )
    return [ObjectGroup(*row) for row in rows]


def group_members(
    conn: sqlite3.Connection, group: ObjectGroup, where: str = "", params: Sequence[object] = ()
) -> list[int]:
    """Ids of the group's deliveries that match `where`, newest first."""
    rows = conn.execute(
        "SELECT id FROM events WHERE event = ? AND entity_id = ? AND entity_type_id IS ? "
        f"AND ({where or '1'}) ORDER BY id DESC LIMIT ?",
        [group.event, group.entity_id, group.entity_type_id, *params, MEMBER_LIMIT],
    )
    return [int(r[0]) for r in rows]
