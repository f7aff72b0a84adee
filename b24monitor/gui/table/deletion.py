"""Delete with undo: rows leave the view at once, the store forgets them only after a grace time."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from b24monitor.core.signals import Signal
from b24monitor.core.tasks import spawn
from b24monitor.gui.store_worker import StoreWorker
from b24monitor.gui.table.event_list import EventList

UNDO_SECONDS = 6.0


class PendingDeletion:
    """One undoable deletion at a time; a newer one commits the older at once."""

    def __init__(
        self,
        events: EventList,
        worker: StoreWorker,
        *,
        undo_seconds: float = UNDO_SECONDS,
        on_error: Callable[[str, BaseException], None] | None = None,
    ) -> None:
        self._events = events
        self._worker = worker
        self.undo_seconds = undo_seconds
        self._on_error = on_error
        self._ids: list[int] = []
        self._token = 0
        self._timer: asyncio.TimerHandle | None = None
        # `pending(n)`: n events wait for their undo window to pass (0: nothing to undo).
        self.pending: Signal[int] = Signal("pending deletion")

    @property
    def count(self) -> int:
        return len(self._ids)

    def request(self, ids: Sequence[int]) -> None:
        """Hide `ids` now; delete them from the store when the undo window passes."""
        if not ids:
            return
        self._commit_now()
        self._ids = list(ids)
        self._token = self._events.hide(self._ids)
        self._timer = asyncio.get_running_loop().call_later(self.undo_seconds, self._commit_now)
        self._notify()

    def undo(self) -> None:
        if not self._ids:
            return
        self._cancel_timer()
        ids, self._ids = self._ids, []
        self._events.unhide(ids, self._token)
        self._notify()

    async def flush(self) -> None:
        """Commit a waiting deletion now (at shutdown: the user did ask for it)."""
        self._cancel_timer()
        ids, self._ids = self._ids, []
        if ids:
            await self._delete(ids)

    def _commit_now(self) -> None:
        self._cancel_timer()
        ids, self._ids = self._ids, []
        if ids:
            spawn(self._delete(ids), name="delete-events", on_error=self._on_error)
            self._notify()

    async def _delete(self, ids: list[int]) -> None:
        await self._worker.delete(ids)
        self._events.forget(ids)

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _notify(self) -> None:
        self.pending.emit(len(self._ids))
