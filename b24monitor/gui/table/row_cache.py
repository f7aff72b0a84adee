"""A small LRU cache of table rows, made (off the GUI thread) a page at a time."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from b24monitor.core.model import CapturedEvent, Status, Verified
from b24monitor.core.portal_links import event_record_url
from b24monitor.gui.table.columns import COLUMNS


@dataclass(frozen=True, slots=True)
class Row:
    """What the table shows of one event: the cell texts and the flags that colour the row."""

    texts: tuple[str, ...]
    received_at: float
    verified: Verified
    status: Status
    error: str | None
    pinned: bool
    gone: bool = False  # removed from the store (retention) since the view was filled
    loading: bool = False  # not read yet: a placeholder until its page arrives
    link: str | None = None  # the record's portal page (the entity cell is a link to it)
    sender: str | None = None  # the app or webhook whose token matched (spec §4)

    @classmethod
    def of(cls, ev: CapturedEvent) -> Row:
        texts = tuple(column.text(ev) for column in COLUMNS)
        link = event_record_url(ev)  # the scheme of the delivery's own client_endpoint
        return cls(texts, ev.received_at, ev.verified, ev.status, ev.error, ev.pinned, link=link,
                   sender=ev.sender)  # fmt: skip


GONE = Row(("",) * len(COLUMNS), 0.0, None, "ok", None, False, gone=True)
LOADING = Row(("",) * len(COLUMNS), 0.0, None, "ok", None, False, loading=True)


class RowCache:
    """Rows by event id; `put` adds the rows of a page read elsewhere (ids not found: GONE)."""

    def __init__(self, capacity: int = 5000) -> None:
        self.capacity = capacity
        self._rows: OrderedDict[int, Row] = OrderedDict()

    def get(self, event_id: int) -> Row | None:
        row = self._rows.get(event_id)
        if row is not None:
            self._rows.move_to_end(event_id)
        return row

    def missing(self, ids: Iterable[int]) -> list[int]:
        return [i for i in ids if i not in self._rows]

    def put(self, ids: Iterable[int], found: Mapping[int, Row]) -> None:
        """The rows of `ids`, made off the GUI thread; an id not found was removed."""
        for event_id in ids:
            self._rows[event_id] = found.get(event_id, GONE)
        while len(self._rows) > self.capacity:
            self._rows.popitem(last=False)

    def drop(self, ids: Iterable[int]) -> None:
        for event_id in ids:
            self._rows.pop(event_id, None)

    def clear(self) -> None:
        self._rows.clear()
