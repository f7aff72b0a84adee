"""TrafficGenerator: realistic activity on a sandbox portal, at a steady rate or as a burst.

Like a real portal, it only produces events somebody bound (online or offline): each step picks
one activity whose event is registered, weighted as in `scenarios.ACTIVITIES`. At a rate, gaps are
exponential (a Poisson stream), and deliveries run concurrently so a slow handler does not slow
the portal down — Bitrix24 does not wait for handlers either (spec §1.1).
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from typing import TYPE_CHECKING

from b24monitor.sandbox.scenarios import ACTIVITIES, Activity
from b24monitor.sandbox.world import Event, World

if TYPE_CHECKING:
    from b24monitor.sandbox.portal import SandboxPortal

DEFAULT_RATE = 2.0
"""Events per second when no rate is given."""

IDLE_POLL = 0.2
"""Seconds between looks at the registrations while nothing relevant is bound."""


class TrafficGenerator:
    """Fires a realistic mix of bound events on a SandboxPortal."""

    def __init__(
        self, portal: SandboxPortal, *, rate: float | None = None, seed: int | None = None
    ):
        if rate is not None and rate <= 0:
            raise ValueError("rate must be positive (events per second)")
        self.portal = portal
        self.rate = rate or DEFAULT_RATE
        self.fired: Counter[str] = Counter()  # events fired so far, by code
        rng = random.Random(seed)
        state = portal.state
        self._world = World(state.entities, state.users, rng)
        self._rng = rng

    def _candidates(self) -> list[Activity]:
        bound = self.portal.state.registry.bound_events()
        return [a for a in ACTIVITIES if a.reaches(bound)]

    def next_event(self) -> Event | None:
        """Carry out one activity whose event is bound; None when nothing suitable is bound."""
        candidates = self._candidates()
        if not candidates:
            return None
        activity = self._rng.choices(candidates, weights=[a.weight for a in candidates])[0]
        event = activity.action(self._world)
        self.fired[event[0]] += 1
        return event

    async def _fire(self, event: Event) -> None:
        code, data, user_id = event
        await self.portal.fire(code, data, user_id=user_id)

    async def run(self, duration: float | None = None, count: int | None = None) -> int:
        """Fire events at `rate` until `duration` seconds passed or `count` events went out.

        Without either it runs until cancelled. Returns the number of events fired; waits for
        their deliveries before returning.
        """
        loop = asyncio.get_running_loop()
        deadline = None if duration is None else loop.time() + duration
        fired = 0
        async with asyncio.TaskGroup() as group:
            while (count is None or fired < count) and (deadline is None or loop.time() < deadline):
                event = self.next_event()
                if event is None:
                    await asyncio.sleep(IDLE_POLL)
                    continue
                group.create_task(self._fire(event))
                fired += 1
                if count is None or fired < count:
                    await asyncio.sleep(self._rng.expovariate(self.rate))
        return fired

    async def burst(self, n: int, *, concurrency: int = 50) -> int:
        """Fire `n` events as fast as the portal can, at most `concurrency` at a time.

        Returns the number fired (0 when no generated event is bound).
        """
        gate = asyncio.Semaphore(max(1, concurrency))
        events = [e for e in (self.next_event() for _ in range(n)) if e is not None]

        async def one(event: Event) -> None:
            async with gate:
                await self._fire(event)

        async with asyncio.TaskGroup() as group:
            for event in events:
                group.create_task(one(event))
        return len(events)
