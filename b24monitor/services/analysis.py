"""Traffic analysis after the commit: loops and storms, flagged on events and raised as alerts.

Runs on the front end's loop, fed with each committed batch and each recorded forward attempt
(services/session.py wires it); the detectors are pure (core/traffic_patterns.py). Events of a
loop get the `loop` finding in the store; alerts go out through `alerts`, one per looping
object and one per storm when it ends. A one-second tick lets a storm end while nothing arrives.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

from b24monitor.core.replay import Attempt
from b24monitor.core.signals import Signal
from b24monitor.core.tasks import spawn
from b24monitor.core.traffic_patterns import Alert, LoopDetector, Seen, StormDetector
from b24monitor.services.store import EventStore

TICK_S = 1.0


class TrafficAnalysis:
    """Feeds the detectors from the store; `alerts` emits each Alert once."""

    def __init__(self, store: EventStore, alerts: Signal[Alert]) -> None:
        self._store = store
        self._loops = LoopDetector()
        self._storms = StormDetector()
        self.alerts = alerts
        self._ticker: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._ticker = spawn(self._tick_forever(), name="traffic-analysis-tick")

    async def stop(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            await asyncio.gather(self._ticker, return_exceptions=True)
            self._ticker = None
        self._emit(self._storms.tick(time.time() + 2 * self._storms.window_s))  # end what runs

    def on_batch(self, ids: Sequence[int]) -> None:
        """A committed batch (front end's loop)."""
        seen = [Seen(*row) for row in self._store.key_rows(ids)]
        flagged = []
        for ev in seen:
            self._loops.add(ev)
            self._storms.add(ev)
            if self._loops.still_looping(ev):
                flagged.append(ev.id)
        if flagged:
            self._store.add_findings([(i, "loop", "still looping") for i in flagged])
        keys = [k for k in (ev.object_key for ev in seen) if k is not None]
        self._raise_loops(self._loops.check(keys, self._forwarded))
        self._emit(self._storms.tick(time.time()))

    def on_attempt(self, attempt: Attempt) -> None:
        """A forward was answered: the loop evidence of its object may be complete now."""
        if attempt.kind == "forward" and attempt.answered:
            keys = self._loops.keys_of({attempt.event_id})
            self._raise_loops(self._loops.check(keys, self._forwarded))

    def _forwarded(self, ids: list[int]) -> dict[int, float]:
        return self._store.forward_answers(ids)

    def _raise_loops(self, alerts: list[Alert]) -> None:
        for alert in alerts:
            detail = f"{alert.count} updates in 30 s ({alert.reason})"
            self._store.add_findings([(i, "loop", detail) for i in alert.event_ids])
        self._emit(alerts)

    def _emit(self, alerts: list[Alert]) -> None:
        for alert in alerts:
            self.alerts.emit(alert)

    async def _tick_forever(self) -> None:
        while True:
            await asyncio.sleep(TICK_S)
            self._emit(self._storms.tick(time.time()))
