"""Store queries off the GUI thread: one worker thread that owns its own database connection.

Filtering a million rows, deleting, pinning and counting must not stall the GUI loop, and an
SQLite connection must not be used by two threads at once. So every such call runs on one
dedicated thread (a one-thread executor — `asyncio.to_thread` with thread affinity) through an
`EventStore` that only this thread touches. The GUI thread keeps the Session's own store for
the small page reads of the table model.
"""

from __future__ import annotations

import asyncio
from array import array
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from b24monitor.services.store import EventStore

T = TypeVar("T")


class StoreWorker:
    """Runs store calls on its own thread and connection; each method is awaited on the GUI loop."""

    def __init__(self, db_path: Path) -> None:
        self.db_path = db_path
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="b24monitor-query")
        self._store: EventStore | None = None

    async def open(self) -> None:
        self._store = await self._run(lambda: EventStore(self.db_path))

    async def close(self) -> None:
        store, self._store = self._store, None
        if store is not None:
            await self._run(store.close)
        self._executor.shutdown(wait=True)

    async def call(self, fn: Callable[[EventStore], T]) -> T:
        """Run `fn(store)` on the worker thread."""
        store = self._store
        if store is None:
            raise RuntimeError("the query worker is closed")
        return await self._run(lambda: fn(store))

    async def _run(self, fn: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn)

    async def query_ids(self, where: str, params: Sequence[object], *, min_id: int) -> array[int]:
        """Ids matching `where` with id >= min_id, ascending."""
        return await self.call(lambda s: s.query_ids(where, params, min_id=min_id))

    async def newest_ids(
        self, where: str, params: Sequence[object], *, count: int, min_id: int
    ) -> array[int]:
        """The newest `count` ids matching `where` (with id >= min_id), ascending."""
        return await self.call(lambda s: s.newest_ids(where, params, count=count, min_id=min_id))

    async def match(
        self, where: str, params: Sequence[object], after: int, upto: int
    ) -> array[int]:
        """Ids in (after, upto] that match `where`, ascending."""
        bounded = f"({where}) AND id <= ?"
        return await self.call(lambda s: s.query_ids(bounded, [*params, upto], min_id=after + 1))

    async def delete(self, ids: Sequence[int]) -> None:
        await self.call(lambda s: s.delete(list(ids)))

    async def set_pinned(self, ids: Sequence[int], pinned: bool) -> None:
        await self.call(lambda s: s.set_pinned(list(ids), pinned))

    async def count(self) -> int:
        return await self.call(lambda s: s.count())

    async def event_codes(self, after: int, upto: int) -> list[tuple[int, float, str | None]]:
        return await self.call(lambda s: s.event_codes(after, upto))
