"""The event table's state without Qt: ids of the rows that match the filter, Live/Pause, updates.

Only ids are held (an `array('q')`, 8 bytes a row), so a million matching events cost 8 MB; the
model fetches what a visible row shows. New ids come once per committed batch; the batches'
own ids are matched against the filter on the store worker (never re-queried by id range) and
appended at most every `UPDATE_INTERVAL` seconds, so a burst costs the view at most ~10 updates
a second (../shared/guide/architecture.md).

Consistency without locks: `_seen` is the highest id already considered. A filter query returns
every matching id that was committed when it ran, so its largest id (or the view's floor) is a
correct `_seen`; later updates match only the notified ids above `_seen`. A generation number
drops the answer of any query that a newer filter, sort or clear made stale.
"""

from __future__ import annotations

import asyncio
import time
from array import array
from collections.abc import Awaitable, Callable, Iterable, Sequence

from b24monitor.core.filters import Filter, parse
from b24monitor.core.tasks import spawn
from b24monitor.gui.store_worker import StoreWorker
from b24monitor.gui.table.id_rows import IdRows, ListObserver

__all__ = ["EventList", "ListObserver"]

UPDATE_INTERVAL = 0.1  # seconds between two view updates at most ~10 a second
PREPARE = 100  # newest ids of an update whose rows are read ahead
FIRST_SCREEN = 2000  # ids shown while the full result of a filter is still being read
FIRST_SCREEN_AFTER = 0.15  # seconds: a full result that is in by then is shown at once


class EventList(IdRows):
    """Ids in the view (ascending; shown newest first if asked), the filter, and the pause state."""

    def __init__(
        self, worker: StoreWorker, *, on_error: Callable[[str, BaseException], None] | None = None
    ) -> None:
        super().__init__()
        self._worker = worker
        self._on_error = on_error
        self._prepare: Callable[[Sequence[int]], Awaitable[None]] | None = None
        self._pending: array[int] = array("q")  # matched while paused
        self._hidden: set[int] = set()  # deleted, waiting for the undo window to pass
        self.filter: Filter = parse("")
        self.paused = False
        self.filtering = False
        self._gen = 0
        self._seen = 0  # every id <= _seen has been matched (or deliberately skipped)
        self._floor = 0  # "clear view": ids <= _floor are never shown again
        self._latest = 0  # newest committed id notified by the session
        self._new: array[int] = array("q")  # notified ids not matched yet (ascending)
        self._timer: asyncio.TimerHandle | None = None
        self._flushing = False
        self._last_update = 0.0
        self._closed = False

    def set_preparer(self, prepare: Callable[[Sequence[int]], Awaitable[None]]) -> None:
        """`await prepare(ids)` runs before new ids are appended (a view reads their rows
        ahead, off the GUI thread, so that showing them costs no query on it)."""
        self._prepare = prepare

    @property
    def pending_count(self) -> int:
        return len(self._pending)

    # -- commands --------------------------------------------------------------------------

    def note_committed(self, ids: Sequence[int]) -> None:
        """Session listener: a batch was committed (on the GUI loop, once per batch)."""
        if ids:
            self._new.extend(ids)
            self._latest = max(self._latest, max(ids))
            self._schedule_flush()

    async def apply_filter(self, flt: Filter) -> None:
        """Replace the rows with the ids matching `flt` (queried off the GUI thread).

        The newest FIRST_SCREEN matches are read first: a million ids take a second, the last
        screenful a few milliseconds. They are shown only if the full list is not in within
        FIRST_SCREEN_AFTER seconds, so a quick filter still updates the view once.
        """
        self._gen += 1
        gen = self._gen
        self._cancel_timer()  # an update due now would match against the old filter
        self.filtering = True
        self._notify_state()
        try:
            ids = await self._worker.newest_ids(flt, count=FIRST_SCREEN, min_id=self._floor + 1)
            if len(ids) == FIRST_SCREEN and gen == self._gen and not self._closed:
                # Read the first screen's rows now, before the full query holds the worker.
                await self._prepare_ends(ids)
                full = spawn(
                    self._worker.query_ids(flt, min_id=self._floor + 1),
                    name="filter-query",
                )
                done, _ = await asyncio.wait({full}, timeout=FIRST_SCREEN_AFTER)
                if not done and gen == self._gen and not self._closed:
                    await self._show_result(flt, ids, gen)
                ids = await full
            if gen == self._gen and not self._closed:
                await self._show_result(flt, ids, gen)  # still "filtering": no update meanwhile
        finally:
            if gen == self._gen:
                self.filtering = False
                self._notify_state()
        if gen == self._gen and not self._closed:
            self._schedule_flush()

    async def _prepare_ends(self, ids: array[int]) -> None:
        """Read the rows at both ends of `ids`: the first screen in either sort order."""
        if self._prepare is not None:
            await self._prepare(sorted({*ids[:PREPARE], *ids[-PREPARE:]}))

    async def _show_result(self, flt: Filter, ids: array[int], gen: int) -> None:
        await self._prepare_ends(ids)
        if gen != self._gen or self._closed:
            return
        self.filter = flt
        self._seen = max(ids[-1] if ids else 0, self._floor)
        if self._hidden:
            ids = array("q", (i for i in ids if i not in self._hidden))
        self._pending = array("q")
        self._reset(ids)
        self._notify_state()

    async def reapply(self) -> None:
        await self.apply_filter(self.filter)

    def set_paused(self, paused: bool) -> None:
        if paused == self.paused:
            return
        self.paused = paused
        if not paused and self._pending:
            pending, self._pending = self._pending, array("q")
            self._append(pending)
        self._notify_state()

    def clear_view(self) -> None:
        """Empty the view (not the store); only events committed from now on will appear."""
        self._gen += 1
        self._floor = self._seen = max(self._seen, self._latest)
        self._pending = array("q")
        self._reset(array("q"))
        self._notify_state()

    def hide(self, ids: Iterable[int]) -> int:
        """Take ids out of the view (pending deletion); returns a token for `unhide`."""
        doomed = set(ids)
        self._hidden |= doomed
        if self._pending:
            self._pending = array("q", (i for i in self._pending if i not in doomed))
            self._notify_state()
        self._remove(doomed)
        return self._gen

    def unhide(self, ids: Iterable[int], token: int) -> None:
        """Undo `hide`: put the ids back where they were, or re-query if the filter changed."""
        back = sorted(set(ids) & self._hidden)
        self._hidden.difference_update(back)
        if token != self._gen:
            spawn(self.reapply(), name="event-list-reapply", on_error=self._on_error)
        else:
            self._insert(back)

    def forget(self, ids: Iterable[int]) -> None:
        """The hidden ids are gone from the store for good."""
        self._hidden.difference_update(ids)

    def close(self) -> None:
        self._closed = True
        self._cancel_timer()

    # -- updates ---------------------------------------------------------------------------

    def _schedule_flush(self) -> None:
        busy = self._timer is not None or self._flushing or self.filtering or self._closed
        if busy or self._gen == 0 or self._latest <= self._seen:
            return  # a running (or the first) filter query schedules the next update
        delay = max(0.0, self._last_update + UPDATE_INTERVAL - time.monotonic())
        self._timer = asyncio.get_running_loop().call_later(delay, self._start_flush)

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _start_flush(self) -> None:
        self._timer = None
        if self._latest > self._seen and not self._closed and not self.filtering:
            self._flushing = True
            # The filter and generation are taken now: a filter applied before the task's first
            # step must find this update stale, not lend it a new generation with the old filter.
            flush = self._flush(self._gen, self.filter)
            spawn(flush, name="event-list-update", on_error=self._on_error)

    async def _flush(self, gen: int, flt: Filter) -> None:
        seen, upto = self._seen, self._latest
        batch = array("q", (i for i in self._new if i > seen))
        self._new = array("q")
        try:
            ids = await self._worker.match(flt, batch)
            if ids and not self.paused and self._prepare is not None:
                await self._prepare(ids[-PREPARE:])  # the rows a following view will show
        except BaseException:
            self._new = array("q", sorted({*batch, *self._new}))  # the next update retries
            raise
        finally:
            self._flushing = False
        if gen == self._gen and not self._closed:
            self._seen = upto
            if self._hidden:
                ids = array("q", (i for i in ids if i not in self._hidden))
            if self.paused:
                if ids:
                    self._pending.extend(ids)
                    self._notify_state()
            else:
                self._append(ids)
            self._last_update = time.monotonic()
        self._schedule_flush()
