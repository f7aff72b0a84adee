"""Pieces of every REST answer: the `time` block (spec §5.7) and PHP-style JSON arrays.

Simplified: `operating` is always 0, because the resource limit is not modelled (§5.4).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

OPERATING_WINDOW = 600
"""Seconds the operating-time buckets span (ten 1-minute buckets, spec §5.4)."""


def _iso(stamp: float) -> str:
    return datetime.fromtimestamp(stamp).astimezone().isoformat("T", "seconds")


def time_block(start: float, finish: float, processing: float) -> dict[str, Any]:
    """The `time` map: Unix floats, duration, processing, ISO dates, operating (spec §5.7)."""
    return {
        "start": round(start, 6),
        "finish": round(finish, 6),
        "duration": round(finish - start, 6),
        "processing": round(processing, 6),
        "date_start": _iso(start),
        "date_finish": _iso(finish),
        "operating_reset_at": int(start) + OPERATING_WINDOW,
        "operating": 0,
    }


def php_array(mapping: dict[str, Any]) -> Any:
    """Encode a map the way PHP's json_encode would: keys 0..n-1 in order (or none) → a list."""
    keys = list(mapping)
    if keys == [str(i) for i in range(len(keys))]:
        return list(mapping.values())
    return mapping
