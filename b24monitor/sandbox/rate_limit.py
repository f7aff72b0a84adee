"""The cloud's leaky-bucket request limit (spec §5.4): +1 per request, drains Y per second.

Standard plans: threshold X = 50, drain Y = 2/s; a request arriving while the bucket holds X or
more fails with 503 QUERY_LIMIT_EXCEEDED and is not counted. Simplified: one bucket per sandbox
portal (the real one is per portal and source IP); the 429 OPERATION_TIME_LIMIT resource limit is
not modelled (`time.operating` stays 0).
"""

from __future__ import annotations

import time
from collections.abc import Callable

STANDARD_LIMIT = 50
STANDARD_DRAIN = 2.0


class LeakyBucket:
    """Admits a request while the level is under `limit`; the level drains `drain` per second."""

    def __init__(
        self,
        limit: int = STANDARD_LIMIT,
        drain: float = STANDARD_DRAIN,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.drain = drain
        self._clock = clock
        self._level = 0.0
        self._last = clock()

    def admit(self) -> bool:
        """Count one request; False when the bucket is full (the request must be refused)."""
        now = self._clock()
        self._level = max(0.0, self._level - (now - self._last) * self.drain)
        self._last = now
        if self._level >= self.limit:
            return False
        self._level += 1
        return True
