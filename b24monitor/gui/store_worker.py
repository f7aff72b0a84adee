"""StoreWorker: the window's one reader of the event database, on its own thread and connection.

Every read the window makes — the ids a filter matches, the rows a view shows, the event in the
detail pane, its forward attempts, the notifier's matches — and its few edits (pin, delete, a
replay's attempt) run here, on one dedicated
thread (a one-thread executor: `asyncio.to_thread` with thread affinity) through an `EventStore`
only this thread touches. So no SQL runs on the GUI thread, and an SQLite connection is never used
by two threads at once. Callers pass a core `Filter`, never SQL: the store's dialect stays here.
"""

from __future__ import annotations

import asyncio
import time
from array import array
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from b24monitor.core.filters import Filter
from b24monitor.core.model import CapturedEvent
from b24monitor.core.replay import Attempt
from b24monitor.services.attempts_store import AttemptStore
from b24monitor.services.groups import ObjectGroup, group_members, object_groups
from b24monitor.services.stats import EventStats, per_minute, traffic_stats
from b24monitor.services.store import EventStore

T = TypeVar("T")


class StoreWorker:
    """Runs store calls on its own thread and connection; each method is awaited on the GUI loop."""

    def __init__(self, db_path: Path) -> None:
        self.db_path = db_path
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="b24monitor-query")
        self._store: AttemptStore | None = None

    async def open(self) -> None:
        self._store = await self._run(lambda: AttemptStore(self.db_path))

    async def close(self) -> None:
        store, self._store = self._store, None
        if store is not None:
            await self._run(store.close)
        self._executor.shutdown(wait=True)

    async def _call(self, fn: Callable[[AttemptStore], T]) -> T:
        """Run `fn(store)` on the worker thread."""
        store = self._store
        if store is None:
            raise RuntimeError("the query worker is closed")
        return await self._run(lambda: fn(store))

    async def _run(self, fn: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn)

    # -- ids -------------------------------------------------------------------------------------

    async def query_ids(self, flt: Filter, *, min_id: int) -> array[int]:
        """Ids matching `flt` with id >= min_id, ascending."""

        def query(store: EventStore) -> array[int]:
            where, params = flt.to_sql(time.time())
            return store.query_ids(where, params, min_id=min_id)

        return await self._call(query)

    async def newest_ids(self, flt: Filter, *, count: int, min_id: int) -> array[int]:
        """The newest `count` ids matching `flt` (with id >= min_id), ascending."""

        def query(store: EventStore) -> array[int]:
            where, params = flt.to_sql(time.time())
            return store.newest_ids(where, params, count=count, min_id=min_id)

        return await self._call(query)

    async def match(self, flt: Filter, ids: Sequence[int]) -> array[int]:
        """Those of `ids` (a committed batch) that match `flt`, ascending."""
        wanted = list(ids)

        def query(store: EventStore) -> array[int]:
            where, params = flt.to_sql(time.time())
            return store.ids_among(wanted, where, params)

        return await self._call(query)

    # -- rows ------------------------------------------------------------------------------------

    async def rows(self, ids: Sequence[int], shape: Callable[[CapturedEvent], T]) -> dict[int, T]:
        """`shape(event)` by id for those of `ids` still stored, read without their raw request
        (what list rows show). The shaping (cell texts) runs on this thread too: the GUI thread
        gets rows ready to paint, however many a live update brings."""
        wanted = list(ids)
        return await self._call(lambda s: {ev.id: shape(ev) for ev in s.fetch(wanted, raw=False)})

    async def matching_events(self, flt: Filter, ids: Sequence[int]) -> list[CapturedEvent]:
        """Those of `ids` that match `flt`, without their raw request, in the order given."""
        wanted = list(ids)

        def query(store: EventStore) -> list[CapturedEvent]:
            where, params = flt.to_sql(time.time())
            return store.fetch(wanted, where, params, raw=False)

        return await self._call(query)

    async def event(self, event_id: int) -> CapturedEvent | None:
        """One whole event (raw request included), for the detail pane."""
        return await self._call(lambda s: s.get(event_id))

    async def events(self, ids: Sequence[int]) -> list[CapturedEvent]:
        """Whole events (raw requests included), in the order given: replay, curl, compare."""
        wanted = list(ids)
        return await self._call(lambda s: s.fetch(wanted))

    async def attempts_for(self, event_id: int) -> list[Attempt]:
        """Every forward and replay attempt of one event, oldest first."""
        return await self._call(lambda s: s.attempts_for(event_id))

    async def last_attempt_id(self, event_id: int) -> int | None:
        return await self._call(lambda s: s.last_attempt_id(event_id))

    async def add_attempt(self, attempt: Attempt) -> int:
        """Record a replay's attempt; returns its id."""
        return (await self._call(lambda s: s.add_attempts([attempt])))[0]

    async def previous_delivery(self, ev: CapturedEvent) -> CapturedEvent | None:
        """The entity's earlier delivery of the same family (compare with the previous)."""
        return await self._call(lambda s: s.previous_delivery(ev))

    async def event_codes(self, ids: Sequence[int]) -> list[tuple[int, float, str | None]]:
        """`(id, received_at, event)` of these events (the rate chart), in id order."""
        wanted = list(ids)
        return await self._call(lambda s: s.event_codes(wanted))

    async def count(self) -> int:
        return await self._call(lambda s: s.count())

    # -- figures and groups (the Stats tab, "Group by object") -----------------------------------

    async def traffic(self, flt: Filter, now: float) -> tuple[list[EventStats], list[int]]:
        """The `stats` figures per event code and the per-minute counts of `flt`'s events."""
        where, params = flt.to_sql(now=now)
        return await self._call(lambda s: s.read(
            lambda c: (traffic_stats(c, where, params), per_minute(c, where, params, now=now))
        ))  # fmt: skip

    async def object_groups(self, flt: Filter) -> list[ObjectGroup]:
        """One group per (event, object) of `flt`'s events, most recently active first."""
        where, params = flt.to_sql(now=time.time())
        return await self._call(lambda s: s.read(lambda c: object_groups(c, where, params)))

    async def group_events(self, flt: Filter, group: ObjectGroup) -> list[CapturedEvent]:
        """The group's deliveries that match `flt`, newest first (without raw bodies)."""
        where, params = flt.to_sql(now=time.time())

        def query(store: EventStore) -> list[CapturedEvent]:
            ids = store.read(lambda c: group_members(c, group, where, params))
            return store.fetch(ids, raw=False)

        return await self._call(query)

    # -- edits -----------------------------------------------------------------------------------

    async def delete(self, ids: Sequence[int]) -> None:
        await self._call(lambda s: s.delete(list(ids)))

    async def set_pinned(self, ids: Sequence[int], pinned: bool) -> None:
        await self._call(lambda s: s.set_pinned(list(ids), pinned))
