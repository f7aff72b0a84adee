"""What happens when an event fires on the sandbox portal: deliveries, queue rows, ONOFFLINEEVENT.

Spec §1.1: every online registration of the code gets one POST (with a fresh token for the
triggering user, or for the binding's auth_type user); every offline registration gets a queue row
(§3.1); after rows were queued, ONOFFLINEEVENT registrations are notified per their minTimeout
(§3.4: > 0 suppresses further signals for that many seconds, 0 sends one per portal hit — one
`emit` call is one hit here). Smart-process events also fire their type-specific variant.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from b24monitor.sandbox.catalog import NO_AUTH_EVENTS, dynamic_variant, sends_refresh_token
from b24monitor.sandbox.delivery import Deliverer, DeliveryRecord
from b24monitor.sandbox.events_registry import Binding
from b24monitor.sandbox.payloads import auth_block, delivery
from b24monitor.sandbox.state import PortalState
from b24monitor.sandbox.tokens import HANDLER_SESSION_TTL

OFFLINE_SIGNAL = "ONOFFLINEEVENT"


class EventEmitter:
    """Turns one portal event into its deliveries and queue rows."""

    def __init__(
        self, state: PortalState, deliverer: Deliverer, clock: Callable[[], float] = time.time
    ) -> None:
        self._state = state
        self._deliverer = deliverer
        self._clock = clock
        self._last_signal: dict[int, float] = {}  # ONOFFLINEEVENT binding ID → last sent

    async def emit(
        self,
        code: str,
        data: Any,
        user_id: int,
        session: int = HANDLER_SESSION_TTL,
        *,
        owner: str | None = None,
        queued_for: float = 0.0,
    ) -> list[DeliveryRecord]:
        """Fire one event; returns the outcome of every POST it caused.

        owner: only to this app's registrations (an app's own lifecycle event).
        queued_for: seconds the queue held it, so its `ts` lies that far back (spec §1.1).
        """
        if session <= 0:
            return []  # the event-chain guard of spec §1.1 stops here
        code = code.upper()
        codes = [code]
        variant = dynamic_variant(code, data)
        if variant is not None:
            codes.append(variant)
        ts = int(self._clock() + self._state.edition.clock_offset_s - queued_for)
        jobs: list[Awaitable[DeliveryRecord]] = []
        queued = False
        for each in codes:
            for binding in self._state.registry.online(each):
                if owner is not None and binding.owner != owner:
                    continue
                jobs.append(self._deliver(binding, each, data, user_id, ts, session))
            for binding in self._state.registry.offline(each):
                self._state.queue.push(each, data, user_id, binding.connector)
                queued = True
        if queued:
            jobs += [
                self._deliver(b, OFFLINE_SIGNAL, {}, user_id, ts, session)
                for b in self._due_signals()
            ]
        return list(await asyncio.gather(*jobs))

    def _due_signals(self) -> list[Binding]:
        """ONOFFLINEEVENT registrations whose minTimeout allows a signal now (spec §3.4)."""
        now = self._clock()
        due: list[Binding] = []
        for binding in self._state.registry.online(OFFLINE_SIGNAL):
            last = self._last_signal.get(binding.id)
            if binding.min_timeout > 0 and last is not None and now - last < binding.min_timeout:
                continue  # suppressed, not postponed
            self._last_signal[binding.id] = now
            due.append(binding)
        return due

    def _deliver(
        self, binding: Binding, code: str, data: Any, user_id: int, ts: int, session: int
    ) -> Awaitable[DeliveryRecord]:
        auth = self.auth_for(code, binding.auth_type or user_id, session, owner=binding.owner)
        payload = delivery(code, data, ts, auth, binding.id)
        return self._deliverer.post(binding.handler, payload, handler_id=binding.id)

    def auth_for(
        self, code: str, user_id: int, session: int = HANDLER_SESSION_TTL, *, owner: str = ""
    ) -> dict[str, Any]:
        """The auth block for a delivery of `code` on behalf of `user_id` (0: nobody, §1.4),
        from the sender `owner` (an app's client_id; outgoing webhooks never get tokens)."""
        state = self._state
        tokens = None
        app = state.app_by_id(owner)
        if user_id and code not in NO_AUTH_EVENTS and app is not None:
            refresh = sends_refresh_token(code)
            tokens = state.tokens.issue(user_id, refresh=refresh, session=session, app=owner)
        return auth_block(state.identity, tokens, state.tokens.access_ttl, state.token_of(owner))

    def forget_signals(self) -> None:
        """Reset ONOFFLINEEVENT throttling (registrations were wiped)."""
        self._last_signal.clear()
