"""IdRows: the ids shown in the event table and their row numbers, without Qt.

Ids are kept ascending in an `array('q')` (8 bytes a row: a million rows cost 8 MB) and shown
oldest or newest first. Every change is announced to observers before and after, the way the Qt
model's begin/end calls need it (napari `_qt/containers/_base_item_model.py`).
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

FEW = 64  # up to this many single-row changes; beyond, one reset is cheaper


class ListObserver(Protocol):
    """Before/after notifications, mapped by the Qt model onto begin/end calls."""

    def about_to_insert(self, first: int, last: int) -> None: ...
    def inserted(self) -> None: ...
    def about_to_remove(self, first: int, last: int) -> None: ...
    def removed(self) -> None: ...
    def about_to_reset(self) -> None: ...
    def reset(self) -> None: ...
    def rows_changed(self, ids: Sequence[int]) -> None: ...
    def state_changed(self) -> None: ...  # paused, pending count or filtering changed


class IdRows:
    """Ascending ids, displayed oldest first or (`newest_first`) newest first."""

    def __init__(self) -> None:
        self._observers: list[ListObserver] = []
        self._ids: array[int] = array("q")
        self.newest_first = False

    def add_observer(self, observer: ListObserver) -> None:
        self._observers.append(observer)

    # -- reading ---------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._ids)

    def id_at(self, row: int) -> int:
        return self._ids[len(self._ids) - 1 - row] if self.newest_first else self._ids[row]

    def ids_at(self, first: int, last: int) -> list[int]:
        """Ids of display rows first..last (inclusive, clipped)."""
        last = min(last, len(self._ids) - 1)
        return [self.id_at(row) for row in range(max(first, 0), last + 1)]

    def row_of(self, event_id: int) -> int | None:
        index = bisect_left(self._ids, event_id)
        if index == len(self._ids) or self._ids[index] != event_id:
            return None
        return self._display_row(index, len(self._ids))

    def snapshot(self) -> array[int]:
        """A copy of the ids in the view, ascending (what "export the filtered view" writes)."""
        return array("q", self._ids)

    def _display_row(self, index: int, size: int) -> int:
        return size - 1 - index if self.newest_first else index

    # -- changes ---------------------------------------------------------------------------

    def set_newest_first(self, newest_first: bool) -> None:
        if newest_first != self.newest_first:
            self._reset(self._ids, lambda: setattr(self, "newest_first", newest_first))

    def _append(self, ids: array[int]) -> None:
        """Add ids that are all newer than every id shown (one insertion, one view update)."""
        if not ids:
            return
        size, count = len(self._ids), len(ids)
        first = 0 if self.newest_first else size
        for observer in self._observers:
            observer.about_to_insert(first, first + count - 1)
        self._ids.extend(ids)
        for observer in self._observers:
            observer.inserted()

    def _insert(self, ids: Sequence[int]) -> None:
        """Put ids back at their places (undo of a deletion)."""
        if len(ids) > FEW:
            self._reset(array("q", sorted({*self._ids, *ids})))
            return
        for event_id in ids:
            index = bisect_left(self._ids, event_id)
            if index < len(self._ids) and self._ids[index] == event_id:
                continue
            row = len(self._ids) - index if self.newest_first else index
            for observer in self._observers:
                observer.about_to_insert(row, row)
            self._ids.insert(index, event_id)
            for observer in self._observers:
                observer.inserted()

    def _remove(self, doomed: set[int]) -> None:
        if len(doomed) > FEW:
            self._reset(array("q", (i for i in self._ids if i not in doomed)))
            return
        for event_id in sorted(doomed):
            index = bisect_left(self._ids, event_id)
            if index == len(self._ids) or self._ids[index] != event_id:
                continue
            row = self._display_row(index, len(self._ids))
            for observer in self._observers:
                observer.about_to_remove(row, row)
            del self._ids[index]
            for observer in self._observers:
                observer.removed()

    def _reset(self, ids: array[int], change: Callable[[], None] | None = None) -> None:
        for observer in self._observers:
            observer.about_to_reset()
        self._ids = ids
        if change is not None:
            change()
        for observer in self._observers:
            observer.reset()

    def refresh(self, ids: Iterable[int]) -> None:
        """These events changed in the store (pinned): views must re-read them."""
        changed = list(ids)
        for observer in self._observers:
            observer.rows_changed(changed)

    def _notify_state(self) -> None:
        for observer in self._observers:
            observer.state_changed()
