"""The portal's offline event queue: read it, and consume it without losing rows (spec §2.6–3).

`list_all` is read-only (event.offline.list shows normal, reserved and errored rows). The safe
consumer reserves rows (`clear=0` → process_id), hands them to the caller, then clears the
processed ones and flags the failed ones with event.offline.error — which needs the plan feature
rest_offline_extended (on self-hosted portals feature.get answers `<lang>_selfhosted` for it,
which means available, spec §2.10). Without it the only way is the destructive default `clear=1`,
which this module runs only when the caller confirmed it.

Processed rows are cleared by `message_id[]`, never by a bare process_id: event.offline.error
leaves rows that were already flagged reserved under the reservation (spec §2.9 errata), so a
bare clear after reprocessing flagged rows would delete the ones that failed again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from b24monitor.core.errors import DestructiveReadRefused
from b24monitor.services.portal_client import PortalClient

EXTENDED_FEATURE = "rest_offline_extended"


@dataclass(frozen=True, slots=True)
class OfflineRecord:
    """One queue row (spec §3.3); `process_id`/`error` are only known from event.offline.list."""

    id: int
    event: str
    timestamp: str
    message_id: str
    data: Any = None
    additional: Mapping[str, Any] = field(default_factory=dict)
    process_id: str = ""
    error: bool = False

    @property
    def user_id(self) -> str:
        """The user whose action queued the row ("0" for robots and agents)."""
        return str(self.additional.get("user_id", ""))


@dataclass(frozen=True, slots=True)
class ConsumeResult:
    """What one consume round did."""

    records: tuple[OfflineRecord, ...] = ()
    process_id: str | None = None
    destructive: bool = False
    cleared: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()
    """MESSAGE_IDs the handler reported failed: flagged ERROR=1, or lost if destructive."""


Handler = Callable[[Sequence[OfflineRecord]], Awaitable[Iterable[str]]]
"""Processes a reserved batch and returns the MESSAGE_IDs that failed (empty: all done)."""


class OfflineQueue:
    """Offline-queue operations of one app profile (portal administrator only, spec §2.0)."""

    def __init__(self, client: PortalClient) -> None:
        self._client = client

    async def list_all(self, filter: Mapping[str, Any] | None = None) -> list[OfflineRecord]:
        """Every row, all pages, without changing the queue (event.offline.list, spec §2.7)."""
        params = {"filter": dict(filter)} if filter else {}
        rows = await self._client.call_all("event.offline.list", params)
        return [_record(row) for row in rows if isinstance(row, Mapping)]

    async def extended_available(self) -> bool:
        """Whether `clear=0` reservations are available (feature.get, spec §2.10)."""
        answer = await self._client.call("feature.get", {"CODE": EXTENDED_FEATURE})
        return isinstance(answer, Mapping) and feature_available(answer.get("value"))

    async def consume_safely(
        self,
        handle: Handler,
        *,
        confirm_destructive: bool = False,
        limit: int = 50,
        errors: bool = False,
    ) -> ConsumeResult:
        """Reserve up to `limit` rows, let `handle` process them, then clear or flag them.

        `errors=True` reprocesses rows flagged earlier (spec §3.2 step 4). If `handle` raises,
        every reserved row is flagged as failed (so none stays hidden in a reservation) and the
        exception propagates. Without rest_offline_extended, raises DestructiveReadRefused
        unless `confirm_destructive` is set.
        """
        if not await self.extended_available():
            if not confirm_destructive:
                raise DestructiveReadRefused()
            return await self._consume_destructively(handle, limit, errors)
        get_params = {"clear": 0, "limit": limit, "error": 1 if errors else 0}
        answer = await self._client.call("event.offline.get", get_params)
        return await self._process(*_reservation(answer), handle)

    async def reprocess_reserved(
        self, process_id: str, handle: Handler, *, limit: int = 50
    ) -> ConsumeResult:
        """Process again the flagged rows still reserved under `process_id` (spec §2.9 errata).

        A flagged row that fails again is not released by event.offline.error; re-reading its
        reservation (`process_id=`, spec §2.6) is the only way to retry it before the
        reservation lapses.
        """
        params = {"clear": 0, "limit": limit, "error": 1, "process_id": process_id}
        answer = await self._client.call("event.offline.get", params)
        _, records = _reservation(answer)
        return await self._process(process_id, records, handle)

    async def _process(
        self, process_id: str | None, records: tuple[OfflineRecord, ...], handle: Handler
    ) -> ConsumeResult:
        """Hand a reservation to `handle`, flag what failed, clear exactly what succeeded."""
        if not records or process_id is None:
            return ConsumeResult(records, process_id)
        try:
            failed = _known(records, await handle(records))
        except Exception:
            await self.mark_error(process_id, [r.message_id for r in records])
            raise
        # Flag failures first: if that call fails, nothing is cleared and nothing is lost.
        await self.mark_error(process_id, failed)
        cleared = tuple(r.message_id for r in records if r.message_id not in failed)
        await self.clear(process_id, cleared)
        return ConsumeResult(records, process_id, False, cleared, tuple(failed))

    async def clear(self, process_id: str, message_ids: Sequence[str]) -> None:
        """Delete exactly these rows of a reservation (§2.8; §2.9 errata: never a bare clear)."""
        if message_ids:
            params = {"process_id": process_id, "message_id": list(message_ids)}
            await self._client.call("event.offline.clear", params)

    async def mark_error(self, process_id: str, message_ids: Sequence[str]) -> None:
        """Flag reserved rows as failed (ERROR=1); un-flagged ones leave the reservation (§2.9).

        Rows that were flagged already stay as they are, reserved under `process_id`: they
        come back after the reservation lifetime (spec §2.9 errata, §3.2).
        """
        if message_ids:
            params = {"process_id": process_id, "message_id": list(message_ids)}
            await self._client.call("event.offline.error", params)

    async def _consume_destructively(
        self, handle: Handler, limit: int, errors: bool
    ) -> ConsumeResult:
        params = {"clear": 1, "limit": limit, "error": 1 if errors else 0}
        _, records = _reservation(await self._client.call("event.offline.get", params))
        if not records:
            return ConsumeResult(destructive=True)
        failed = _known(records, await handle(records))
        cleared = tuple(r.message_id for r in records if r.message_id not in failed)
        return ConsumeResult(records, None, True, cleared, tuple(failed))


def feature_available(value: Any) -> bool:
    """A feature.get value: "N", empty or missing is off; "Y" or `ru_selfhosted` is on (§2.10)."""
    text = str(value or "").strip()
    return bool(text) and text.upper() != "N"


def _reservation(answer: Any) -> tuple[str | None, tuple[OfflineRecord, ...]]:
    if not isinstance(answer, Mapping):
        return None, ()
    process_id = answer.get("process_id")
    events = answer.get("events")
    rows = events if isinstance(events, list) else []
    records = tuple(_record(r) for r in rows if isinstance(r, Mapping))
    return (str(process_id) if process_id else None), records


def _known(records: Sequence[OfflineRecord], failed: Iterable[str]) -> list[str]:
    """The failed MESSAGE_IDs that belong to this batch, in record order, without repeats."""
    wanted = set(failed)
    return list(dict.fromkeys(r.message_id for r in records if r.message_id in wanted))


def _record(row: Mapping[str, Any]) -> OfflineRecord:
    additional = row.get("EVENT_ADDITIONAL")
    raw_id = str(row.get("ID", "0"))
    return OfflineRecord(
        id=int(raw_id) if raw_id.isdigit() else 0,
        event=str(row.get("EVENT_NAME", "")).upper(),
        timestamp=str(row.get("TIMESTAMP_X", "")),
        message_id=str(row.get("MESSAGE_ID", "")),
        data=row.get("EVENT_DATA"),
        additional=additional if isinstance(additional, Mapping) else {},
        process_id=str(row.get("PROCESS_ID") or ""),
        error=str(row.get("ERROR", "0")) == "1",
    )
