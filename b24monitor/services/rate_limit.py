"""Client-side leaky bucket that keeps REST calls under the portal's limit (spec §5.4).

The portal adds 1 per request to a per-portal counter that drains by 2/s; above 50 it answers
503 QUERY_LIMIT_EXCEEDED. Mirroring that bucket here means a burst of 50 goes out at once and
the rest at 2/s, so a well-behaved client never trips the limit. Each caller reserves its slot
synchronously (no lock; FIFO by call order) and then sleeps until the slot is due.

The numbers are a per-profile setting (`RATE_PLANS`): cloud Enterprise drains 5/s with a
threshold of 250; a self-hosted portal has no limit unless its administrator configured one, so
plan "none" sends unpaced until the portal first answers QUERY_LIMIT_EXCEEDED, and paces at the
standard numbers from then on (spec §5.4, §2.10).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

Sleep = Callable[[float], Awaitable[None]]

STANDARD_RATE = 2.0
STANDARD_BURST = 50.0

RATE_PLANS: dict[str, tuple[float, float, bool]] = {
    "standard": (STANDARD_RATE, STANDARD_BURST, True),
    "enterprise": (5.0, 250.0, True),
    "none": (STANDARD_RATE, STANDARD_BURST, False),  # paced only once the portal objects
}
"""Plan name → (drain per second, burst threshold, paced from the start)."""


class LeakyBucket:
    """Pace requests to `rate` per second sustained with bursts of up to `burst`."""

    def __init__(
        self,
        rate: float = STANDARD_RATE,
        burst: float = STANDARD_BURST,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        paced: bool = True,
    ) -> None:
        self.rate = rate
        self.burst = burst
        self.paced = paced
        self._clock = clock
        self._sleep = sleep
        self._level = 0.0
        self._updated = clock()

    @property
    def level(self) -> float:
        """Requests currently counted in the bucket (may exceed `burst` while callers wait)."""
        self._drain()
        return self._level

    @classmethod
    def for_plan(
        cls, plan: str, *, clock: Callable[[], float] = time.monotonic, sleep: Sleep = asyncio.sleep
    ) -> LeakyBucket:
        """The bucket of a `RATE_PLANS` entry; an unknown name gets the standard numbers."""
        rate, burst, paced = RATE_PLANS.get(plan, RATE_PLANS["standard"])
        return cls(rate, burst, clock=clock, sleep=sleep, paced=paced)

    def reserve(self) -> float:
        """Count one request now and return how long its sender must wait first (seconds)."""
        self._drain()
        if not self.paced:
            return 0.0
        wait = max(0.0, (self._level + 1.0 - self.burst) / self.rate)
        self._level += 1.0
        return wait

    async def acquire(self) -> None:
        """Wait until one more request fits into the bucket."""
        wait = self.reserve()
        if wait > 0:
            await self._sleep(wait)

    def fill(self) -> None:
        """The portal said QUERY_LIMIT_EXCEEDED: its bucket is full (other clients share it).

        An unpaced bucket (plan "none") starts pacing here: the portal does have a limit.
        """
        self.paced = True
        self._drain()
        self._level = max(self._level, self.burst)

    def _drain(self) -> None:
        now = self._clock()
        elapsed = max(0.0, now - self._updated)
        self._updated = now
        self._level = max(0.0, self._level - elapsed * self.rate)
