"""A small LRU cache of table rows, filled from the store a page at a time."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
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
    link: str | None = None  # the record's portal page (the entity cell is a link to it)
    sender: str | None = None  # the app or webhook whose token matched (spec §4)

    @classmethod
    def of(cls, ev: CapturedEvent) -> Row:
        texts = tuple(column.text(ev) for column in COLUMNS)
        link = event_record_url(ev)  # the scheme of the delivery's own client_endpoint
        return cls(texts, ev.received_at, ev.verified, ev.status, ev.error, ev.pinned, link=link,
                   sender=ev.sender)  # fmt: skip


GONE = Row(("",) * len(COLUMNS), 0.0, None, "ok", None, False, gone=True)


class RowCache:
    """Rows by event id; `fill` loads the missing ones of a page in one query."""

    def __init__(
        self, load: Callable[[Sequence[int]], list[CapturedEvent]], capacity: int = 5000
    ) -> None:
        self._load = load
        self.capacity = capacity
        self._rows: OrderedDict[int, Row] = OrderedDict()
        self.loads = 0  # store queries so far (tests check that scrolling pages, not rows)

    def get(self, event_id: int) -> Row | None:
        row = self._rows.get(event_id)
        if row is not None:
            self._rows.move_to_end(event_id)
        return row

    def fill(self, ids: Iterable[int]) -> None:
        missing = [i for i in ids if i not in self._rows]
        if not missing:
            return
        self.loads += 1
        found = {ev.id: Row.of(ev) for ev in self._load(missing)}
        for event_id in missing:
            self._rows[event_id] = found.get(event_id, GONE)
        while len(self._rows) > self.capacity:
            self._rows.popitem(last=False)

    def missing(self, ids: Iterable[int]) -> list[int]:
        return [i for i in ids if i not in self._rows]

    def put(self, events: Iterable[CapturedEvent]) -> None:
        """Rows read elsewhere (ahead of time, off the GUI thread)."""
        for ev in events:
            self._rows[ev.id] = Row.of(ev)
        while len(self._rows) > self.capacity:
            self._rows.popitem(last=False)

    def drop(self, ids: Iterable[int]) -> None:
        for event_id in ids:
            self._rows.pop(event_id, None)

    def clear(self) -> None:
        self._rows.clear()
