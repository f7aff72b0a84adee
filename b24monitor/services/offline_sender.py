"""Hands offline-queue rows to the developer's own handler, one form POST per row (§3.1a, §3.2).

A row's `EVENT_DATA` is what an online delivery would have carried in `data`, so each row goes
out the way Bitrix24 posts an event: a PHP `http_build_query` form (core/phpform.py, spec §1.3)
with `event`, `data`, `ts` (the row's TIMESTAMP_X as Unix time) and an `auth` block holding only
the portal's public identity — a queue row comes from an authenticated REST call, not from the
portal's sender, so there are no tokens to pass on. The header `X-B24Monitor-Offline-Row` carries
the row's MESSAGE_ID, so a handler can tell a replayed row from a live delivery. 2xx means done;
any other answer, or none, means the row failed and is flagged (event.offline.error).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from b24monitor.core.phpform import build_form
from b24monitor.services.offline_queue import Handler, OfflineRecord
from b24monitor.services.profiles import Profile

ROW_HEADER = "X-B24Monitor-Offline-Row"
_FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True, slots=True)
class SendOutcome:
    """What the handler answered for one row: an HTTP status, or why there was none."""

    record: OfflineRecord
    status: int | None
    reason: str = ""

    @property
    def ok(self) -> bool:
        """True for a 2xx answer: the row can be cleared."""
        return self.status is not None and 200 <= self.status < 300

    @property
    def answer(self) -> str:
        """`HTTP 500`, or the transport failure, for one status line."""
        return f"HTTP {self.status}" if self.status is not None else (self.reason or "no answer")


def row_form(record: OfflineRecord, profile: Profile | None) -> str:
    """The form body for one row, shaped like an online delivery of its event (spec §1.4)."""
    body: dict[str, Any] = {"event": record.event, "data": record.data}
    body["ts"] = _unix(record.timestamp)
    if profile is not None:
        public = ("domain", "client_endpoint", "server_endpoint", "member_id")
        auth = {key: getattr(profile, key) for key in public if getattr(profile, key)}
        body["auth"] = auth or None
    return build_form(body)


class OfflineSender:
    """POSTs rows to `url`; `handler()` plugs it into OfflineQueue.consume_safely."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        url: str,
        *,
        profile: Profile | None = None,
        timeout: float = 30.0,
        on_outcome: Callable[[SendOutcome], None] | None = None,
    ) -> None:
        self._http = http
        self.url = url
        self._profile = profile
        self._timeout = timeout
        self._on_outcome = on_outcome

    async def send(self, record: OfflineRecord) -> SendOutcome:
        """POST one row and report the answer; never raises for a failing handler."""
        headers = {"Content-Type": _FORM, ROW_HEADER: record.message_id}
        try:
            response = await self._http.post(
                self.url,
                content=row_form(record, self._profile).encode("utf-8"),
                headers=headers,
                timeout=self._timeout,
            )
        except httpx.HTTPError as exc:
            outcome = SendOutcome(record, None, type(exc).__name__)
        else:
            outcome = SendOutcome(record, response.status_code)
        if self._on_outcome is not None:
            self._on_outcome(outcome)
        return outcome

    def handler(self) -> Handler:
        """A consume handler: sends rows in queue order, returns the MESSAGE_IDs that failed."""

        async def handle(records: Sequence[OfflineRecord]) -> list[str]:
            failed = []
            for record in records:  # one at a time, in order: a handler sees the queue's order
                if not (await self.send(record)).ok:
                    failed.append(record.message_id)
            return failed

        return handle


def _unix(timestamp: str) -> int | None:
    """TIMESTAMP_X is ISO-8601 with the portal's offset (spec §3.3); None if it is not."""
    try:
        return int(datetime.fromisoformat(timestamp).timestamp())
    except ValueError:
        return None
