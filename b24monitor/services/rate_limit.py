"""Client-side leaky bucket that keeps REST calls under the portal's limit (spec §5.4).

The portal adds 1 per request to a per-portal counter that drains by 2/s; above 50 it answers
503 QUERY_LIMIT_EXCEEDED. Mirroring that bucket here means a burst of 50 goes out at once and
the rest at 2/s, so a well-behaved client never trips the limit. Each caller reserves its slot
synchronously (no lock; FIFO by call order) and then sleeps until the slot is due.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

Sleep = Callable[[float], Awaitable[None]]

STANDARD_RATE = 2.0
STANDARD_BURST = 50.0


class LeakyBucket:
    """Pace requests to `rate` per second sustained with bursts of up to `burst`."""

    def __init__(
        self,
        rate: float = STANDARD_RATE,
        burst: float = STANDARD_BURST,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._sleep = sleep
        self._level = 0.0
        self._updated = clock()

    @property
    def level(self) -> float:
        """Requests currently counted in the bucket (may exceed `burst` while callers wait)."""
        self._drain()
        return self._level

    def reserve(self) -> float:
        """Count one request now and return how long its sender must wait first (seconds)."""
        self._drain()
        wait = max(0.0, (self._level + 1.0 - self.burst) / self.rate)
        self._level += 1.0
        return wait

    async def acquire(self) -> None:
        """Wait until one more request fits into the bucket."""
        wait = self.reserve()
        if wait > 0:
            await self._sleep(wait)

    def fill(self) -> None:
        """The portal said QUERY_LIMIT_EXCEEDED: its bucket is full (other clients share it)."""
        self._drain()
        self._level = max(self._level, self.burst)

    def _drain(self) -> None:
        now = self._clock()
        elapsed = max(0.0, now - self._updated)
        self._updated = now
        self._level = max(0.0, self._level - elapsed * self.rate)
