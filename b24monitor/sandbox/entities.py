"""CRM items, tasks and other objects the sandbox portal holds, so events point at real records.

Only what the traffic generator creates exists; read methods (`crm.deal.get`, ...) return it.
Simplified: a few fields per object and no permissions beyond the app's scopes.
"""

from __future__ import annotations

from typing import Any

FIRST_IDS = {
    "deal": 3187,
    "lead": 1240,
    "contact": 221,
    "company": 84,
    "task": 905,
    "task_comment": 4410,
    "calendar": 1414,
    "dynamic": 22,
    "post": 209,
}
"""Where each kind's IDs start, so a fresh sandbox looks like a portal in use."""


class EntityStore:
    """Objects by kind and ID; IDs grow per kind and are never reused, like database keys."""

    def __init__(self) -> None:
        self._items: dict[str, dict[int, dict[str, Any]]] = {}
        self._next: dict[str, int] = dict(FIRST_IDS)

    def add(self, kind: str, fields: dict[str, Any]) -> int:
        """Store a new object and return its ID (also put into fields["ID"] as a string)."""
        item_id = self._next.get(kind, 1)
        self._next[kind] = item_id + 1
        self._items.setdefault(kind, {})[item_id] = {"ID": str(item_id), **fields}
        return item_id

    def update(self, kind: str, item_id: int, fields: dict[str, Any]) -> None:
        """Change fields of an existing object."""
        self._items.setdefault(kind, {}).setdefault(item_id, {"ID": str(item_id)}).update(fields)

    def delete(self, kind: str, item_id: int) -> None:
        """Forget an object."""
        self._items.get(kind, {}).pop(item_id, None)

    def get(self, kind: str, item_id: int) -> dict[str, Any] | None:
        """A copy of the object, or None."""
        item = self._items.get(kind, {}).get(item_id)
        return dict(item) if item is not None else None

    def ids(self, kind: str) -> list[int]:
        """IDs of the objects of one kind that exist now."""
        return list(self._items.get(kind, {}))
