"""Traffic statistics per event code, computed by SQLite: counts, rates, delay and handler figures.

Nothing is loaded row by row: counts come from aggregates, percentiles from window functions
(row_number over each code's rows ordered by the value, nearest rank), so a million stored events
cost one sort inside SQLite. The queue delay is received − `ts` (spec §1.1: the queue hop adds a
variable lag and throttles slow handlers); handler figures come from forward attempts.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

PERCENTILES = (50, 95)


@dataclass(frozen=True, slots=True)
class EventStats:
    """The figures of one event code over the selected events."""

    event: str
    count: int
    per_minute: float
    delay_p50: float | None  # seconds; None when no event carried a ts
    delay_p95: float | None
    delay_max: float | None
    rejected_share: float  # share of ✖ (token mismatch)
    forwarded: int  # forward attempts of these events
    answer_p50_ms: float | None  # the handler's answer time
    answer_p95_ms: float | None
    failure_share: float | None  # no answer or an HTTP error; None without forwards

    def record(self) -> dict[str, Any]:
        return asdict(self)


_PERCENTILES = ", ".join(
    f"max(CASE WHEN rn = (n * {p} + 99) / 100 THEN value END)" for p in PERCENTILES
)  # nearest rank: the row numbered ceil(n·p/100) in value order (integer arithmetic)


def _delays(where: str) -> str:
    return (
        "SELECT event, received_at - ts AS value, row_number() OVER ("
        "PARTITION BY event ORDER BY received_at - ts) AS rn, count(*) OVER (PARTITION BY event) "
        f"AS n FROM events WHERE ts IS NOT NULL AND event IS NOT NULL AND ({where})"
    )


def _answers(where: str) -> str:
    return (
        "SELECT e.event AS event, a.latency_ms AS value, row_number() OVER ("
        "PARTITION BY e.event ORDER BY a.latency_ms) AS rn, count(*) OVER (PARTITION BY e.event) "
        "AS n FROM attempts a JOIN events e ON e.id = a.event_id WHERE a.kind = 'forward' "
        "AND a.status IS NOT NULL AND a.latency_ms IS NOT NULL AND e.event IS NOT NULL "
        f"AND a.event_id IN (SELECT id FROM events WHERE {where})"
    )


def traffic_stats(
    conn: sqlite3.Connection,
    where: str = "",
    params: Sequence[object] = (),
    *,
    period_s: float | None = None,
) -> list[EventStats]:
    """Figures per event code (most frequent first) for the events matching `where`.

    period_s: the length of the selected period (for rates); None = first to last event.
    """
    cond = where or "1"
    args = list(params)
    base = conn.execute(
        "SELECT event, count(*), sum(verified = 0), max(received_at - ts), min(received_at), "
        f"max(received_at) FROM events WHERE event IS NOT NULL AND ({cond}) GROUP BY event",
        args,
    ).fetchall()
    if not base:
        return []
    span = period_s
    if span is None:
        span = max(r[5] for r in base) - min(r[4] for r in base)
    minutes = max(span, 1.0) / 60
    delays = _by_event(conn, f"SELECT event, {_PERCENTILES} FROM ({_delays(cond)}) GROUP BY event",
                       args)  # fmt: skip
    answers = _by_event(conn, f"SELECT event, {_PERCENTILES} FROM ({_answers(cond)}) "
                        "GROUP BY event", args)  # fmt: skip
    forwards = _forwards(conn, cond, args)
    stats = []
    for event, count, rejected, delay_max, _, _ in base:
        sent, failed = forwards.get(event, (0, 0))
        d, a = delays.get(event, (None, None)), answers.get(event, (None, None))
        stats.append(EventStats(
            event, count, round(count / minutes, 2), d[0], d[1], delay_max, (rejected or 0) / count,
            sent, a[0], a[1], failed / sent if sent else None,
        ))  # fmt: skip
    return sorted(stats, key=lambda s: (-s.count, s.event))


def _by_event(
    conn: sqlite3.Connection, sql: str, args: list[object]
) -> dict[str, tuple[float | None, float | None]]:
    return {row[0]: (row[1], row[2]) for row in conn.execute(sql, args)}


def _forwards(
    conn: sqlite3.Connection, cond: str, args: list[object]
) -> dict[str, tuple[int, int]]:
    """Forward attempts per event code and how many failed (no answer, or an HTTP error)."""
    rows = conn.execute(
        "SELECT e.event, count(*), sum(a.status IS NULL OR a.status >= 400) FROM attempts a "
        "JOIN events e ON e.id = a.event_id WHERE a.kind = 'forward' "
        f"AND a.event_id IN (SELECT id FROM events WHERE {cond}) GROUP BY e.event",
        args,
    )
    return {event: (int(n), int(failed or 0)) for event, n, failed in rows}


HEADER = ("event", "count", "/min", "delay p50", "p95", "max", "✖", "fwd p50", "p95", "fail")


def format_row(s: EventStats) -> tuple[str, ...]:
    """The figures as table cells under HEADER (`stats` and the app's Stats tab)."""
    return (s.event, str(s.count), f"{s.per_minute:g}", _seconds(s.delay_p50),
            _seconds(s.delay_p95), _seconds(s.delay_max), _share(s.rejected_share),
            _ms(s.answer_p50_ms), _ms(s.answer_p95_ms), _share(s.failure_share))  # fmt: skip


def _seconds(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.0f} s" if abs(value) >= 10 else f"{value:.1f} s"


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f} ms"


def _share(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.0f}%"


def per_minute(
    conn: sqlite3.Connection,
    where: str,
    params: Sequence[object],
    *,
    now: float,
    minutes: int = 60,
) -> list[int]:
    """Events per minute over the last `minutes` minutes, oldest first (the Stats tab's chart)."""
    start = now - minutes * 60
    counts = [0] * minutes
    for minute, count in conn.execute(
        "SELECT CAST((received_at - ?) / 60 AS INTEGER), count(*) FROM events "
        f"WHERE received_at >= ? AND ({where or '1'}) GROUP BY 1",
        [start, start, *params],
    ):
        if 0 <= minute < minutes:
            counts[minute] = int(count)
    return counts
