"""Traffic analysis after the commit: loops and storms, flagged on events and raised as alerts.

Fed from the front end's loop with each committed batch and each recorded forward attempt
(services/session.py wires it), it does its reading and writing on one worker thread of its own
with its own connection: the front end's loop (the GUI thread in the window) never runs SQL. The
detectors are pure (core/traffic_patterns.py) and only touched on that thread, in the order the
news came. Events of a loop get the `loop` finding in the store; alerts go out through `alerts`
on the loop, one per looping object and one per storm when it ends. A one-second tick lets a
storm end while nothing arrives.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from b24monitor.core.model import CapturedEvent, Finding
from b24monitor.core.replay import Attempt
from b24monitor.core.signals import Signal
from b24monitor.core.tasks import spawn
from b24monitor.core.traffic_patterns import Alert, LoopDetector, Seen, StormDetector
from b24monitor.services.store import EventStore, finding_rank

log = logging.getLogger(__name__)

TICK_S = 1.0


class TrafficAnalysis:
    """Feeds the detectors from the store on its own thread; `alerts` emits each Alert once."""

    def __init__(self, db_path: Path, alerts: Signal[Alert]) -> None:
        self._db_path = db_path
        self._store: EventStore | None = None  # opened on the worker thread
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="b24monitor-analysis")
        self._loops = LoopDetector()
        self._storms = StormDetector()
        self.alerts = alerts
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ticker: asyncio.Task[None] | None = None
        # Jobs not delivered yet, each with what runs on the loop after its alerts.
        self._jobs: dict[Future[list[Alert]], Callable[[], None] | None] = {}

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._ticker = spawn(self._tick_forever(), name="traffic-analysis-tick")

    async def stop(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            await asyncio.gather(self._ticker, return_exceptions=True)
            self._ticker = None
        end = time.time() + 2 * self._storms.window_s
        self._submit(self._storms.tick, end)  # end the storm that runs, after what is queued
        await asyncio.to_thread(self._executor.shutdown, wait=True)
        for job in list(self._jobs):  # their alerts, now that every job has finished
            self._deliver(job)
        if self._store is not None:
            self._store.close()
            self._store = None

    def on_batch(
        self,
        ids: Sequence[int],
        then: Callable[[], None] | None = None,
        events: Sequence[CapturedEvent] | None = None,
    ) -> None:
        """A committed batch (front end's loop): analysed on the worker thread, then `then()`
        runs on the loop — so what the front ends show of the batch carries its loop flags.

        `events`: the writer's summaries of the batch; read instead of the store, and given
        the loop findings stored for them."""
        self._submit(self._analyse_batch, list(ids), events, then=then)

    def on_attempt(self, attempt: Attempt) -> None:
        """A forward was answered: the loop evidence of its object may be complete now."""
        if attempt.kind == "forward" and attempt.answered:
            self._submit(self._analyse_attempt, attempt.event_id)

    def _submit(
        self, work: Callable[..., list[Alert]], *args: Any, then: Callable[[], None] | None = None
    ) -> None:
        try:
            job = self._executor.submit(work, *args)
        except RuntimeError:  # stopped: the session is shutting down
            if then is not None:
                then()
            return
        self._jobs[job] = then
        job.add_done_callback(self._on_done)

    def _on_done(self, job: Future[list[Alert]]) -> None:
        # On the worker thread: hand the alerts to the loop, where listeners expect them.
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
            loop.call_soon_threadsafe(self._deliver, job)

    def _deliver(self, job: Future[list[Alert]]) -> None:
        if job not in self._jobs:
            return  # delivered already (stop() and the callback both may come)
        then = self._jobs.pop(job)
        try:
            self._emit(job.result())
        except Exception:  # a failing analysis must not keep the batch from the front ends
            log.exception("traffic analysis failed")
        if then is not None:
            then()

    def _store_here(self) -> EventStore:
        if self._store is None:
            self._store = EventStore(self._db_path)
        return self._store

    def _analyse_batch(
        self, ids: list[int], events: Sequence[CapturedEvent] | None = None
    ) -> list[Alert]:
        store = self._store_here()
        if events is None:
            seen = [Seen(*row) for row in store.key_rows(ids)]
        else:
            # Refused requests (forged ✖, malformed) say nothing of the portal's traffic: a
            # flood of forged updates is no loop of the user's handler, nor a storm of theirs.
            seen = [Seen(e.id, e.received_at, e.event, e.entity_id, e.member_id,
                         e.entity_type_id) for e in events
                    if e.event is not None and e.status == "ok"]  # fmt: skip
        flagged = []
        for ev in seen:
            self._loops.add(ev)
            self._storms.add(ev)
            if self._loops.still_looping(ev):
                flagged.append(ev.id)
        added = [(i, "loop", "still looping") for i in flagged]
        if added:
            store.add_findings(added)
        keys = [k for k in (ev.object_key for ev in seen) if k is not None]
        alerts = self._loop_alerts(self._loops.check(keys, store.forward_answers), added)
        if events is not None and added:
            _attach(events, added)
        return alerts + self._storms.tick(time.time())

    def _analyse_attempt(self, event_id: int) -> list[Alert]:
        store = self._store_here()
        keys = self._loops.keys_of({event_id})
        return self._loop_alerts(self._loops.check(keys, store.forward_answers))

    def _loop_alerts(
        self, alerts: list[Alert], added: list[tuple[int, str, str]] | None = None
    ) -> list[Alert]:
        """Flag each alert's events; `added` collects the (id, code, detail) rows stored."""
        store = self._store_here()
        for alert in alerts:
            detail = f"{alert.count} updates in 30 s ({alert.reason})"
            rows = [(i, "loop", detail) for i in alert.event_ids]
            store.add_findings(rows)
            if added is not None:
                added += rows
        return alerts

    def _emit(self, alerts: list[Alert]) -> None:
        for alert in alerts:
            self.alerts.emit(alert)

    async def _tick_forever(self) -> None:
        while True:
            await asyncio.sleep(TICK_S)
            self._submit(self._storms.tick, time.time())


def _attach(events: Sequence[CapturedEvent], rows: list[tuple[int, str, str]]) -> None:
    """Give the batch's summaries the findings just stored, as the store keeps them: the first
    of a code per event wins (INSERT OR IGNORE), in the check table's order."""
    by_id = {ev.id: ev for ev in events}
    for event_id, code, detail in rows:
        ev = by_id.get(event_id)
        if ev is not None and all(f.code != code for f in ev.findings):
            ev.findings = tuple(sorted((*ev.findings, Finding(code, detail)), key=finding_rank))
