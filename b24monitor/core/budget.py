"""How much hostile traffic is kept: a budget for the bodies of rejected and malformed requests.

Whoever learns the handler URL can send forged (✖) or malformed bodies as fast as the network
allows; stored in full, they fill the disk. Their bodies are kept up to a rate and a total
(`StoreLimits`); past either, only the row's metadata is kept and a counter goes up. Verified
deliveries never pass through the budget: they are what the monitor is for.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

MB = 1000 * 1000
MiB = 1024 * 1024
GiB = 1024 * MiB


@dataclass(frozen=True, slots=True)
class StoreLimits:
    """The budget for hostile bodies and the disk guard's thresholds (settings and flags)."""

    hostile_per_minute: int = 200
    hostile_total_bytes: int = 100 * MB
    disk_warn_bytes: int = 1 * GiB  # below this much free space the user is warned
    disk_floor_bytes: int = 100 * MiB  # below this only verified deliveries are stored


class HostileBudget:
    """Says whether one more hostile body may be stored (a sliding minute and a running total)."""

    def __init__(self, limits: StoreLimits, used_bytes: int = 0) -> None:
        self._per_minute = limits.hostile_per_minute
        self._total = limits.hostile_total_bytes
        self.used_bytes = used_bytes  # already stored, counted when the store was opened
        self._recent: deque[float] = deque()

    def spent(self, now: float) -> bool:
        """True when no body at all fits now: the caller may skip preparing one (issue 15)."""
        self._forget_before(now)
        return len(self._recent) >= self._per_minute or self.used_bytes >= self._total

    def admit(self, size: int, now: float) -> bool:
        """True (and the body is counted) when a body of `size` bytes fits the budget."""
        self._forget_before(now)
        if len(self._recent) >= self._per_minute or self.used_bytes + size > self._total:
            return False
        self._recent.append(now)
        self.used_bytes += size
        return True

    def _forget_before(self, now: float) -> None:
        while self._recent and now - self._recent[0] >= 60.0:
            self._recent.popleft()
