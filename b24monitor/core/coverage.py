"""The coverage timeline: stretches the capture path was covered, and the gaps between them.

Pure data. A stretch is what the guard recorded (covered or not, and why not); time between
two stretches is a gap too — b24monitor was not running. Each gap carries how many events
the safety net recovered for it (changes whose queue time falls inside it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

NOT_RUNNING = "b24monitor was not running"
SLACK_S = 1.0  # a stop and the next start closer than this are one continuous watch
QUEUE_RESOLUTION_S = 1.0  # TIMESTAMP_X has whole seconds: a change may look this much earlier


@dataclass(frozen=True, slots=True)
class Stretch:
    """One recorded stretch; `ended_at` None: still going."""

    started_at: float
    ended_at: float | None
    covered: bool
    reason: str | None


@dataclass(frozen=True, slots=True)
class Interval:
    """One line of the timeline: covered, or a gap with its cause and what came back."""

    start: float
    end: float | None  # None: up to now
    covered: bool
    reason: str | None = None
    recovered: int = 0


def timeline(
    stretches: Sequence[Stretch],
    recovered_between: Callable[[float, float], int],
    *,
    now: float,
    since: float = 0.0,
) -> list[Interval]:
    """Stretches in order with the not-running holes between them filled in as gaps."""
    out: list[Interval] = []
    previous_end: float | None = None
    for s in sorted(stretches, key=lambda s: s.started_at):
        if previous_end is not None and s.started_at - previous_end > SLACK_S:
            out.append(Interval(previous_end, s.started_at, False, NOT_RUNNING))
        out.append(Interval(max(s.started_at, since), s.ended_at, s.covered, s.reason))
        previous_end = s.ended_at if s.ended_at is not None else now
    if out and out[-1].end is not None and now - out[-1].end > SLACK_S:
        out.append(Interval(out[-1].end, None, False, NOT_RUNNING))
    merged = _merge([i for i in out if i.end is None or i.end > since])
    return [i if i.covered else _with_recovered(i, recovered_between, now) for i in merged]


def _merge(intervals: list[Interval]) -> list[Interval]:
    """Neighbours with the same verdict and cause become one line."""
    merged: list[Interval] = []
    for i in intervals:
        last = merged[-1] if merged else None
        if last is not None and (last.covered, last.reason) == (i.covered, i.reason):
            merged[-1] = Interval(last.start, i.end, i.covered, i.reason)
        else:
            merged.append(i)
    return merged


def _with_recovered(
    gap: Interval, recovered_between: Callable[[float, float], int], now: float
) -> Interval:
    end = gap.end if gap.end is not None else now
    count = recovered_between(gap.start - QUEUE_RESOLUTION_S, end)
    return Interval(gap.start, gap.end, False, gap.reason, count)
