"""The safety net: read the offline twins' queue, clear what arrived live, recover what did not.

Spec §3.1a. A sweep reserves queue rows (event.offline.get clear=0, spec §2.6), matches each
against the stored online deliveries (services/recovery_store.py), stores the uncovered ones as
`recovered` events and then clears exactly those rows by message_id[] (§2.8) — a change made
during the sweep makes a fresh unreserved row and survives. Rows younger than `grace` are left
reserved for the next sweep: their live POST may still be on its way. The reservations in use
are saved in the store first, so after a crash the next sweep re-reads them (never lost);
storing is idempotent by MESSAGE_ID+TIMESTAMP_X (never stored twice).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from b24monitor.core.errors import PortalAccessDenied, PortalCallError, PortalError
from b24monitor.core.offline_match import QueueRow, queue_row
from b24monitor.core.tasks import spawn
from b24monitor.services.offline_queue import EXTENDED_FEATURE
from b24monitor.services.portal_client import PortalClient
from b24monitor.services.recovery_store import RecoveryStore

log = logging.getLogger(__name__)
Notice = dict[str, Any]
BATCH = 50
GRACE_S = 10.0
"""Rows queued less than this long ago wait: their online POST may not have arrived yet."""

NEEDS_ADMIN = (
    "the safety net needs a portal administrator's token: offline bindings and the offline "
    "queue are admin-only (spec §2.0) — reinstall the app as an administrator; live capture "
    "goes on"
)
NEEDS_EXTENDED = (
    "the safety net needs the plan feature rest_offline_extended (reserve, then clear, spec "
    "§2.10) and this portal lacks it; live capture goes on without it"
)


class SafetyNet:
    """Sweeps one profile's offline queue every `interval` seconds and whenever kicked."""

    def __init__(
        self,
        client: PortalClient,
        db_path: Path,
        *,
        profile_name: str,
        member_id: Callable[[], str | None],
        domain: Callable[[], str],
        on_recovered: Callable[[list[int]], None],
        notify: Callable[[Notice], None],
        scope: Callable[[], list[str] | None] = lambda: None,
        interval: float = 30.0,
        grace: float = GRACE_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self._db_path = db_path
        self._key = f"safety_net_reservations:{profile_name}"
        self._sender = profile_name
        self._member_id = member_id
        self._domain = domain
        self._on_recovered = on_recovered
        self._notify = notify
        # None: every queued row is a twin's; else only these events' rows are ours to take.
        self._scope = scope
        self.interval = interval
        self._grace = grace
        self._clock = clock
        self._store: RecoveryStore | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._told: str | None = None  # the last problem told, so it is told once
        self._first_seen: dict[str, float] = {}
        self._has_extended = False
        self._stopping = False

    async def start(self) -> None:
        self._store = await asyncio.to_thread(RecoveryStore, self._db_path)
        self._task = spawn(self._run(), name="safety-net")

    async def stop(self, *, grace_s: float = 15.0) -> None:
        """Let a sweep in flight finish: cancelled inside event.offline.get, its rows would stay
        reserved under a process_id nobody knows (the portal frees them after ~30 days)."""
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            await asyncio.wait([self._task], timeout=grace_s)
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        async with self._lock:  # a sweep in flight finishes its transaction first
            if self._store is not None:
                await asyncio.to_thread(self._store.close)
                self._store = None

    def kick(self) -> None:
        """Sweep soon (ONOFFLINEEVENT arrived, the tunnel came back, a wake)."""
        self._wake.set()

    async def _run(self) -> None:
        while not self._stopping:
            self._wake.clear()
            await self._sweep_guarded()
            try:
                async with asyncio.timeout(self.interval):
                    await self._wake.wait()
            except TimeoutError:
                pass

    async def _sweep_guarded(self) -> None:
        try:
            await self.sweep()
        except PortalAccessDenied:
            self._tell("NEEDS_ADMIN", NEEDS_ADMIN)
        except PortalError as exc:
            self._tell(getattr(exc, "code", None) or type(exc).__name__, str(exc))
        except Exception as exc:  # one bad sweep must not end the safety net for the session
            log.exception("safety-net sweep failed")
            message = (
                f"a safety-net sweep failed ({exc}); it is retried at the next interval — "
                "run with --debug and report it if it persists"
            )
            self._tell(type(exc).__name__, message)

    def _tell(self, code: str, message: str) -> None:
        if self._told != code:
            self._told = code
            self._notify({"type": "error", "where": "safety-net", "code": code,
                          "message": message})  # fmt: skip

    async def sweep(self) -> tuple[int, int]:
        """One pass over the queue; returns (rows matched to live deliveries, recovered)."""
        async with self._lock:
            if self._store is None:
                return 0, 0
            if not await self._extended():
                self._tell("NEEDS_EXTENDED", NEEDS_EXTENDED)
                return 0, 0
            totals = [0, 0]
            for process_id in self._saved():  # reservations left from earlier sweeps or a crash
                await self._drain(process_id, totals)
            codes = self._scope()
            filters = [{}] if codes is None else [{"=EVENT_NAME": code} for code in codes]
            for flt in filters:
                await self._reserve_new(flt, totals)
            self._told = None
            if totals[0] or totals[1]:
                self._notify({"type": "safety-net", "covered": totals[0],
                              "recovered": totals[1]})  # fmt: skip
            return totals[0], totals[1]

    async def _reserve_new(self, flt: dict[str, str], totals: list[int]) -> None:
        """Reserve and work through fresh rows (of one event when the queue is shared)."""
        params: dict[str, Any] = {"clear": 0, "limit": BATCH}
        if flt:
            params["filter"] = flt
        while not self._stopping:
            reserved, records = _reservation(await self._client.call("event.offline.get", params))
            if not records or reserved is None:
                return
            self._save([*self._saved(), reserved])
            done = await self._handle(reserved, records, totals)
            if not done or len(records) < BATCH:
                return  # the rest of the queue is younger still: next sweep

    async def _drain(self, process_id: str, totals: list[int]) -> bool:
        """Work through a saved reservation; True once it is empty."""
        while True:
            params = {"clear": 0, "limit": BATCH, "process_id": process_id}
            _, records = _reservation(await self._client.call("event.offline.get", params))
            if not records:
                self._save([p for p in self._saved() if p != process_id])
                return True
            if not await self._handle(process_id, records, totals):
                return False

    async def _handle(
        self, process_id: str, records: Sequence[Mapping[str, Any]], totals: list[int]
    ) -> bool:
        """Match, store and clear the ripe rows; True when none had to wait."""
        rows = [queue_row(r) for r in records]
        ripe = [r for r in rows if self._ripe(r)]
        if ripe:
            assert self._store is not None
            covered = await asyncio.to_thread(self._store.covered, ripe)
            missed = [r for i, r in enumerate(ripe) if i not in covered]
            ids = await asyncio.to_thread(
                self._store.store_recovered, missed, member_id=self._member_id(),
                portal=self._domain(), sender=self._sender,
            )  # fmt: skip
            if ids:
                self._on_recovered(ids)
            await self._clear(process_id, ripe)
            totals[0] += len(covered)
            totals[1] += len(ids)
            for row in ripe:
                self._first_seen.pop(row.source_key, None)
        if len(ripe) == len(rows):
            self._save([p for p in self._saved() if p != process_id])
            return True
        return False

    def _ripe(self, row: QueueRow) -> bool:
        now = self._clock()
        at = row.queued_at
        first = self._first_seen.setdefault(row.source_key, now)
        return (at is not None and at <= now - self._grace) or first <= now - self._grace

    async def _clear(self, process_id: str, rows: Sequence[QueueRow]) -> None:
        # By message_id[] only: rows still waiting stay reserved, a fresh twin stays queued.
        ids = sorted({r.message_id for r in rows if len(r.message_id) == 32})
        if ids:
            params = {"process_id": process_id, "message_id": ids}
            await self._client.call("event.offline.clear", params)

    async def _extended(self) -> bool:
        if self._has_extended:
            return True
        try:
            answer = await self._client.call("feature.get", {"CODE": EXTENDED_FEATURE})
        except PortalCallError:
            return False
        value = str(answer.get("value", "")) if isinstance(answer, Mapping) else ""
        # Self-hosted portals answer e.g. "ru_selfhosted": available (spec §2.10).
        self._has_extended = value.upper() not in ("", "N")
        return self._has_extended

    def _saved(self) -> list[str]:
        assert self._store is not None
        text = self._store.setting(self._key)
        try:
            saved = json.loads(text) if text else []
        except ValueError:
            saved = []
        return [str(p) for p in saved] if isinstance(saved, list) else []

    def _save(self, process_ids: list[str]) -> None:
        assert self._store is not None
        unique = list(dict.fromkeys(process_ids))
        self._store.set_setting(self._key, json.dumps(unique) if unique else None)


def _reservation(answer: Any) -> tuple[str | None, list[Mapping[str, Any]]]:
    if not isinstance(answer, Mapping):
        return None, []
    events = answer.get("events")
    rows = [r for r in events if isinstance(r, Mapping)] if isinstance(events, list) else []
    process_id = answer.get("process_id")
    return (str(process_id) if process_id else None), rows
