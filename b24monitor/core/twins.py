"""Recent deliveries by content, to tell a delivery sent twice from a change sent to two handlers.

A delivery's content here is its portal, event code, `ts` and `data` block: the queue server
sends one POST per handler per change (spec §1.1), so the same content again within a couple of
seconds is either the same delivery twice (same `event_handler_id`) or the same change reaching
two registrations of ours (different `event_handler_id`).
"""

from __future__ import annotations

from collections import deque

from b24monitor.core.model import CapturedEvent

KEEP_PER_KEY = 8  # a burst of identical deliveries compares with the newest few, not all

Key = tuple[str | None, str | None, int | None, str | None]


class TwinWindow:
    """Keeps the last `window_s` seconds of deliveries; `twins_of` answers and remembers."""

    def __init__(self, window_s: float) -> None:
        self._window_s = window_s
        self._order: deque[tuple[float, Key]] = deque()
        self._by_key: dict[Key, list[CapturedEvent]] = {}

    def twins_of(self, ev: CapturedEvent) -> list[CapturedEvent]:
        """Earlier deliveries with the same content within the window; then `ev` is remembered."""
        self._expire(ev.received_at)
        if ev.data is None or ev.event is None:
            return []
        # Keyed on cheap fields; the data blocks are compared only when those agree (rarely).
        key: Key = (ev.member_id, ev.event, ev.ts, ev.entity_id)
        earlier = self._by_key.setdefault(key, [])
        data = ev.payload_data
        found = [
            t
            for t in earlier
            if ev.received_at - t.received_at <= self._window_s and t.payload_data == data
        ]
        earlier.append(ev)
        if len(earlier) > KEEP_PER_KEY:
            del earlier[0]
        self._order.append((ev.received_at, key))
        return found

    def _expire(self, now: float) -> None:
        while self._order and now - self._order[0][0] > self._window_s:
            _, key = self._order.popleft()
            kept = self._by_key.get(key)
            if kept is None:
                continue
            while kept and now - kept[0].received_at > self._window_s:
                kept.pop(0)
            if not kept:
                del self._by_key[key]
