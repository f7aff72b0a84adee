"""A committed batch as the front ends hear of it: its ids and the writer's summaries of them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from b24monitor.core.model import CapturedEvent
from b24monitor.services.store import EventStore


@dataclass(frozen=True, slots=True)
class Batch:
    """`events`: the batch's events as the writer built them (findings attached, no raw
    request), in id order; None when they were stored outside the capture path (recovered
    ones), so they are read back."""

    ids: list[int]
    events: list[CapturedEvent] | None = None

    def select(
        self, store: EventStore, where: str = "", params: Sequence[object] = ()
    ) -> list[CapturedEvent]:
        """The batch's events that match the SQL filter `where`, as `store.fetch(raw=False)`
        returns them — without reading back and decoding what the writer already had."""
        if self.events is None:
            return store.fetch(self.ids, where, params, raw=False)
        if not where:
            return list(self.events)
        keep = set(store.ids_among(self.ids, where, params))  # ids only: no row is decoded
        return [ev for ev in self.events if ev.id in keep]
