"""Live figures for the status area: event rate by code and total stored, read off the GUI loop."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from b24monitor.core.signals import Signal
from b24monitor.core.tasks import spawn
from b24monitor.gui.status.rate_history import RateHistory
from b24monitor.gui.store_worker import StoreWorker

POLL_SECONDS = 1.0


class LiveStats:
    """Follows committed batches; once a second reads their codes and tells its listeners."""

    def __init__(
        self, worker: StoreWorker, *, on_error: Callable[[str, BaseException], None] | None = None
    ) -> None:
        self._worker = worker
        self._on_error = on_error
        self.history = RateHistory()
        self.stored = 0
        self._unread: list[int] = []  # committed ids whose codes the next poll reads
        self._task: asyncio.Task[None] | None = None
        self.updated: Signal[None] = Signal("live stats updated")  # after each poll

    def note_committed(self, ids: Sequence[int]) -> None:
        """Session listener: the batch's ids wait for the next poll, which reads their codes."""
        self._unread.extend(ids)

    def start(self) -> None:
        self._task = spawn(self._run(), name="live-stats", on_error=self._on_error)

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def _run(self) -> None:
        while True:
            await self.poll()
            await asyncio.sleep(POLL_SECONDS)

    async def poll(self) -> None:
        # count(*) walks the smallest index: a few ms over a million rows, on the worker thread.
        self.stored = await self._worker.count()
        unread, self._unread = self._unread, []
        if unread:
            for _, received_at, event in await self._worker.event_codes(unread):
                self.history.add(received_at, event)
        self.updated.emit(None)
