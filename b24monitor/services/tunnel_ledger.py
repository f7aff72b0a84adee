"""This month's requests through the public URL, kept in the data dir: ours and the user's.

ngrok's free plan allows 20,000 HTTP requests a month and then blocks every request, Bitrix24's
deliveries included (ERR_NGROK_727). The ledger counts what b24monitor itself sent through the
tunnel (probes, canaries) apart from the deliveries that arrived through it, so `tunnel check`
and the GUI can show both, and warns before the month's total nears the quota. It only sees what
passed while b24monitor ran: other agents of the same ngrok account are not in it, and ngrok
resets its quota per billing cycle while the ledger counts calendar months — the dashboard's
Usage page is the authority, the ledger an early warning.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from b24monitor.services.filelock import locked, read_json, write_json

FREE_MONTHLY_REQUESTS = 20_000
WARN_SHARE = 0.8  # warn from 16,000 requests on
SAVE_EVERY = 60.0  # seconds: deliveries are saved at most this often (and at stop)


def month_of(wall: float) -> str:
    return time.strftime("%Y-%m", time.localtime(wall))


class TrafficLedger:
    """Counts per calendar month; `path` None keeps them in memory only."""

    def __init__(self, path: Path | None, wall: Callable[[], float] = time.time) -> None:
        self._path = path
        self._wall = wall
        self.month = month_of(wall())
        self.own = 0
        self.deliveries = 0
        self._saved_at = 0.0
        data = read_json(path) if path is not None else None
        if isinstance(data, dict) and data.get("month") == self.month:
            self.own = int(data.get("own_requests", 0))
            self.deliveries = int(data.get("deliveries", 0))

    def count_own(self, n: int = 1) -> None:
        """A request b24monitor itself sent through the tunnel (a probe, a canary)."""
        self._roll()
        self.own += n
        self.save()

    def count_deliveries(self, n: int) -> None:
        self._roll()
        self.deliveries += n
        if self._wall() - self._saved_at >= SAVE_EVERY:
            self.save()

    @property
    def total(self) -> int:
        return self.own + self.deliveries

    def warning(self) -> str | None:
        """One sentence once this month's requests near the free plan's quota, else None."""
        if self.total < FREE_MONTHLY_REQUESTS * WARN_SHARE:
            return None
        return (
            f"{self.total:,} requests went through the ngrok tunnel this month ({self.own:,} of "
            f"them b24monitor's own) of the {FREE_MONTHLY_REQUESTS:,} ngrok's free plan allows — "
            "past that ngrok blocks every request, Bitrix24's deliveries included (ERR_NGROK_727); "
            "consider a paid plan or --public-url"
        )

    def save(self) -> None:
        if self._path is None or (self.total == 0 and not self._path.exists()):
            return  # nothing went through the tunnel: leave no file behind
        self._saved_at = self._wall()
        data = {"month": self.month, "own_requests": self.own, "deliveries": self.deliveries}
        with locked(self._path):
            write_json(self._path, data)

    def _roll(self) -> None:
        month = month_of(self._wall())
        if month != self.month:
            self.month, self.own, self.deliveries = month, 0, 0
