"""Where a stored event came from: a live POST, the offline queue, a replay, or the canary.

The canary's ONAPPTEST is told apart by the parameters event.test echoes into `data.QUERY`
(spec §2.5), so the health check's own round trips stay out of the default view.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from b24monitor.core.model import Origin

ORIGINS: tuple[Origin, ...] = ("online", "recovered", "replayed", "canary")
CANARY_SOURCE = "b24monitor canary"
"""The `source` parameter the canary passes to event.test; comes back as data.QUERY.source."""
TEST_EVENT = "ONAPPTEST"


def origin_of(event: str | None, payload: Mapping[str, Any] | None) -> Origin:
    """`canary` for the canary's own ONAPPTEST, else `online` (a POST to the receiver)."""
    if event != TEST_EVENT or payload is None:
        return "online"
    data = payload.get("data")
    query = data.get("QUERY") if isinstance(data, Mapping) else None
    if isinstance(query, Mapping) and query.get("source") == CANARY_SOURCE:
        return "canary"
    return "online"
