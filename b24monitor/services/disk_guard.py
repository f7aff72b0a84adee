"""The disk guard: how much room is left where the database lives, checked at most once a second.

Below `disk_warn_bytes` the user is warned; below `disk_floor_bytes` the writer keeps only
verified deliveries, so a flood of forged bodies cannot take the last space a real one needs.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from b24monitor.core.budget import StoreLimits
from b24monitor.core.receiver_stats import DiskLevel


class DiskGuard:
    """`level()` is "ok", "low" (warn the user) or "floor" (store only verified deliveries)."""

    def __init__(self, folder: Path, limits: StoreLimits, *, every_s: float = 1.0) -> None:
        self._folder = folder
        self._limits = limits
        self._every_s = every_s
        self._checked_at = -float("inf")
        self.free_bytes: int | None = None
        self.current: DiskLevel = "ok"

    def level(self) -> DiskLevel:
        now = time.monotonic()
        if now - self._checked_at >= self._every_s:
            self._checked_at = now
            try:
                self.free_bytes = shutil.disk_usage(self._folder).free
            except OSError:
                self.free_bytes = None  # cannot tell: keep the last verdict
            else:
                self.current = _level(self.free_bytes, self._limits)
        return self.current


def _level(free: int, limits: StoreLimits) -> DiskLevel:
    if free < limits.disk_floor_bytes:
        return "floor"
    if free < limits.disk_warn_bytes:
        return "low"
    return "ok"
