"""When the public path needs proving again: a probe schedule that spends few tunnel requests.

ngrok's free plan allows 20,000 requests a month, and past that it blocks every request,
Bitrix24's deliveries included (ERR_NGROK_727). A probe every minute would spend ~43,000. So a
delivery that arrived through the public URL counts as proof just like a probe, and a probe is
only due when nothing proved the path for `idle` seconds (default 30 min: at most two requests
an hour from an idle listener, none from a busy one), right away at start, after a wake and
after a URL change, and with growing pauses while probes fail. The clock is injectable so a test
can let an hour pass in a moment.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

IDLE_PROBE_INTERVAL = 1800.0  # seconds without any proof before a probe is sent
FIRST_RETRY = 30.0  # the first retry after a failed probe; doubles up to the idle interval


@dataclass(frozen=True)
class Clock:
    """The tunnel's sense of time: monotonic and wall clocks, and how it waits."""

    mono: Callable[[], float] = time.monotonic
    wall: Callable[[], float] = time.time
    sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep)


class ProbeSchedule:
    """Decides when the next probe is due; every proof (probe or delivery) pushes it back."""

    def __init__(self, idle: float, clock: Clock) -> None:
        self._idle = idle
        self._clock = clock
        self._due = clock.mono()  # the first probe goes out at once
        self._failures = 0
        self.last_proof: float | None = None  # wall time of the last proof of the public path

    @property
    def failures(self) -> int:
        return self._failures

    def due(self) -> bool:
        return self._clock.mono() >= self._due

    def now(self) -> None:
        """Probe at the next tick (start, wake, new URL)."""
        self._due = self._clock.mono()

    def proved(self) -> None:
        """The public path worked (a probe came back, or a delivery arrived through it)."""
        self._failures = 0
        self.last_proof = self._clock.wall()
        self._due = self._clock.mono() + self._idle

    def failed(self) -> None:
        """A probe failed: retry after 30 s, 60 s, … but never later than the idle interval."""
        self._failures += 1
        pause = min(FIRST_RETRY * 2 ** (self._failures - 1), self._idle)
        self._due = self._clock.mono() + pause


class PublicArrivals:
    """Counts handler requests that came in through the public URL (the receiver's thread calls).

    ngrok forwards the public Host header unchanged (and adds X-Forwarded-Host), so a request
    whose host is the public URL's host came through the tunnel; one sent to 127.0.0.1 did not.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._host: str | None = None
        self._count = 0

    def watch(self, public_url: str | None) -> None:
        with self._lock:
            self._host = urlsplit(public_url).netloc.lower() if public_url else None

    def note(self, host: str | None, forwarded_host: str | None) -> None:
        with self._lock:
            if self._host and self._host in ((host or "").lower(), (forwarded_host or "").lower()):
                self._count += 1

    @property
    def count(self) -> int:
        with self._lock:
            return self._count
