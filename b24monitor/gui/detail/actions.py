"""EventActions: replay stored events to the forward target, list their attempts, copy as curl.

Replays go through the same services code as `b24monitor replay` (post_event + the attempts
table), on the GUI's loop but never blocking it: store calls go through the window's store
worker, the HTTP request is asynchronous on the session's client.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from PySide6.QtCore import QObject, Signal

from b24monitor.core.curl import DEFAULT_TARGET, curl_command
from b24monitor.core.model import CapturedEvent
from b24monitor.core.replay import Attempt, OutgoingRequest
from b24monitor.gui.store_worker import StoreWorker
from b24monitor.services.forwarder import post_event
from b24monitor.services.session_view import SessionView


class EventActions(QObject):
    """`attempt_recorded(Attempt)` after each stored replay; `message(text)` for the status bar."""

    attempt_recorded = Signal(object)
    message = Signal(str)

    def __init__(
        self, session: SessionView, worker: StoreWorker, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.session = session
        self._worker = worker
        self.timeout_s = 10.0

    def target_for(self, ev: CapturedEvent) -> str | None:
        """The forward target the settings route this event to (None: forwarding is off)."""
        routes = self.session.config.forward
        return routes.target_for(ev.event) if routes is not None else None

    def curl_text(self, ev: CapturedEvent, *, reveal: bool) -> str:
        """The event as a curl command to its forward target (masked unless `reveal`)."""
        target = self.target_for(ev) or DEFAULT_TARGET
        return curl_command(ev, target, reveal_secrets=reveal)

    async def attempts_for(self, event_id: int) -> list[Attempt]:
        """Every forward and replay attempt of one event, oldest first."""
        return await self._worker.attempts_for(event_id)

    async def events(self, ids: Sequence[int]) -> list[CapturedEvent]:
        """The stored events with their raw bodies, in id order."""
        return await self._worker.events(sorted(ids))

    async def replay(self, requests: Sequence[tuple[OutgoingRequest, str]]) -> list[Attempt]:
        """POST each (request, target), record every attempt, and announce it."""
        done: list[Attempt] = []
        for request, target in requests:
            replay_of = await self._worker.last_attempt_id(request.event_id)
            attempt = await post_event(
                self.session.http, request, target, kind="replay", timeout_s=self.timeout_s,
                replay_of=replay_of,
            )  # fmt: skip
            new_id = await self._worker.add_attempt(attempt)
            attempt = replace(attempt, id=new_id)
            done.append(attempt)
            self.attempt_recorded.emit(attempt)
        return done
