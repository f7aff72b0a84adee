"""The canary: an ONAPPTEST round trip through portal → queue server → tunnel → receiver.

Every `interval` seconds, unless a verified live delivery arrived within the interval (that is
proof enough, and costs the portal nothing), event.test goes out with a fresh nonce (spec §2.5)
and its delivery is awaited for up to `interval` seconds. Each round trip is recorded. Two lost
in a row turn health `broken`, with the first broken part of the path named
(services/diagnosis.py); one lost is `degraded`; a round trip or a live delivery is `ok`.
Each cycle also runs the bindings watchdog.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from b24monitor.core.errors import PingTimeout, PortalError
from b24monitor.core.origin import CANARY_SOURCE
from b24monitor.core.tasks import spawn

log = logging.getLogger(__name__)
HealthState = Literal["ok", "degraded", "broken"]
WATCHDOG_AT_LEAST_S = 300.0


@dataclass(frozen=True, slots=True)
class Health:
    """What the user sees: ok, degraded or broken; why; the last round trip in ms."""

    state: HealthState
    reason: str | None = None
    canary_ms: float | None = None

    def notice(self) -> dict[str, Any]:
        return {"type": "health", "state": self.state, "reason": self.reason,
                "canary_ms": self.canary_ms}  # fmt: skip


class Canary:
    """Runs the canary and watchdog cycles; publishes every change of health."""

    def __init__(
        self,
        *,
        interval: float,
        ping: Callable[[float, str], Awaitable[float]],
        diagnose: Callable[[], Awaitable[str]],
        watchdog: Callable[[], Awaitable[object]],
        record: Callable[[float, float | None], Awaitable[None]],
        on_health: Callable[[Health], None],
        ready: Callable[[], bool] = lambda: True,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.interval = interval  # 0: no canary, the watchdog alone every 5 minutes
        self._ping = ping
        self._diagnose = diagnose
        self._watchdog = watchdog
        self._record = record
        self._on_health = on_health
        self._ready = ready  # installed and reachable: before that a lost canary means nothing
        self._clock = clock
        self._last_proof = 0.0
        self._lost = 0
        self.health: Health | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = spawn(self._run(), name="canary")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    def saw_delivery(self, at: float) -> None:
        """A verified live delivery arrived: the path works (and no canary is needed now)."""
        self._last_proof = max(self._last_proof, at)
        if self.health is not None and self.health.state != "ok":
            self._lost = 0
            self._set(Health("ok", "deliveries are arriving again"))

    async def _run(self) -> None:
        period = self.interval if self.interval > 0 else WATCHDOG_AT_LEAST_S
        period = min(period, WATCHDOG_AT_LEAST_S)
        while True:
            started = self._clock()
            try:
                await self._watchdog()
                if self.interval > 0:
                    await self.cycle()
            except Exception:  # one failed cycle must not end the canary for the session
                log.exception("canary cycle failed")
            await asyncio.sleep(max(0.0, period - (self._clock() - started)))

    async def cycle(self) -> None:
        """One canary cycle: skipped when a live delivery proved the path within the interval."""
        sent = self._clock()
        if not self._ready():
            return
        if sent - self._last_proof < self.interval:
            if self.health is None or self.health.state != "ok":
                self._lost = 0
                self._set(Health("ok", "deliveries are arriving"))
            return
        try:
            seconds: float | None = await self._ping(self.interval, CANARY_SOURCE)
        except PingTimeout:
            seconds = None
        except PortalError:
            seconds = None  # event.test itself failed: the diagnosis names why
        ms = None if seconds is None else round(seconds * 1000, 1)
        await self._record(sent, ms)
        if ms is not None:
            self._lost = 0
            self._set(Health("ok", None, ms))
            return
        self._lost += 1
        if self._lost == 1:
            self._set(Health("degraded", "one canary round trip was lost", None))
        else:
            self._set(Health("broken", await self._diagnose(), None))

    def _set(self, health: Health) -> None:
        previous = self.health
        self.health = health
        # A new latency alone is not news; a new state or a new cause is.
        if previous is None or (previous.state, previous.reason) != (health.state, health.reason):
            self._on_health(health)
