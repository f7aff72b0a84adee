"""Events per second over the last minutes, by event code: the numbers behind the rate chart."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

OTHER = ""  # the series of every code outside the top ones (and of deliveries without a code)


@dataclass(frozen=True, slots=True)
class RateSnapshot:
    """Counts per second, oldest first, split into the top codes (+ OTHER)."""

    start: int  # Unix second of counts[0]
    codes: tuple[str, ...]  # the series, most frequent first; OTHER last if present
    counts: tuple[tuple[int, ...], ...]  # counts[second][series]

    def total(self, second: int) -> int:
        return sum(self.counts[second])


class RateHistory:
    """Per-second counters for the last `seconds` seconds (older seconds are dropped)."""

    def __init__(self, seconds: int = 600, top: int = 5) -> None:
        self.seconds = seconds
        self.top = top
        self._bins: dict[int, Counter[str]] = {}
        # The sum of the bins, kept as they come and go: a snapshot once a second must not
        # re-add ten minutes of bins (a stall that grew with the session, issue 14's soak).
        self._overall: Counter[str] = Counter()

    def add(self, received_at: float, event: str | None) -> None:
        code = event or OTHER
        self._bins.setdefault(math.floor(received_at), Counter())[code] += 1
        self._overall[code] += 1

    def per_second(self, now: float, window: int = 5) -> float:
        """Average rate over the last `window` complete seconds."""
        last = math.floor(now) - 1
        seconds = range(last - window + 1, last + 1)
        total = sum(sum(self._bins[s].values()) for s in seconds if s in self._bins)
        return total / window

    def snapshot(self, now: float) -> RateSnapshot:
        end = math.floor(now)
        start = end - self.seconds + 1
        for second in [s for s in self._bins if s < start]:
            self._overall.subtract(self._bins.pop(second))
        self._overall += Counter()  # drops the codes whose count fell to zero
        codes = [code for code, _ in self._overall.most_common() if code != OTHER][: self.top]
        rest = self._overall.keys() - set(codes)
        series = (*codes, OTHER) if rest else tuple(codes)
        empty = (0,) * len(series)
        counts = []
        for second in range(start, end + 1):
            counter = self._bins.get(second)
            if counter is None:
                counts.append(empty)
                continue
            row = [counter[code] for code in codes]
            if rest:
                row.append(counter.total() - sum(row))
            counts.append(tuple(row))
        return RateSnapshot(start, series, tuple(counts))
