"""The portal link of an attached window: every REST call goes through the engine's `rest` op.

Two processes must never race on one refresh token (spec §5.2: a refresh invalidates the old
pair), so a window attached to another process's engine never calls the portal itself: its
PortalClient sends each call over the control channel and the engine's own client answers
(pacing, refresh and rename handling included). The rest of PortalLink — the offline queue,
the subscriptions ledger in subscriptions.json, ping's ONAPPTEST waiter — works unchanged on
top of it. What only one process may do stays with the engine: adopting installs, following
the handler URL, reconciling. A tick is remembered in the shared desired set here and then
carried out by the engine (`reconcile` op), whose report comes back to every window as notice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import httpx

from b24monitor.core.model import CapturedEvent
from b24monitor.core.portal_errors import from_envelope
from b24monitor.core.subscriptions import Mode
from b24monitor.services.portal_client import PortalClient, RestResponse
from b24monitor.services.portal_link import Notice, PortalLink
from b24monitor.services.profiles import ProfileStore

Rest = Callable[[str, Mapping[str, Any]], Awaitable[Any]]
"""(method, params) → {"result", "total", "next"}, through the engine (`rest_page` op)."""
Ask = Callable[[str, dict[str, Any]], Awaitable[Any]]
"""(op, fields) → the engine's result: the window's intents (set_wanted, ping, …)."""


class EngineRestError(Exception):
    """The engine answered a `rest` request with an error: the portal's code and its text."""

    def __init__(self, code: str, message: str, description: str = "") -> None:
        super().__init__(message)
        self.code, self.message, self.description = code, message, description


class RemotePortalClient(PortalClient):
    """A PortalClient whose calls run in the engine; `batch` and `call_all` build on it."""

    def __init__(
        self, profile_name: str, store: ProfileStore, http: httpx.AsyncClient, rest: Rest
    ) -> None:
        super().__init__(profile_name, store, http)
        self._rest = rest

    async def request(self, method: str, params: Mapping[str, Any] | None = None) -> RestResponse:
        """The engine's client makes the call; its answer keeps the paging fields (§5.6)."""
        try:
            answer = await self._rest(method, dict(params or {}))
        except EngineRestError as exc:
            subject = str((params or {}).get("event", "")).upper()
            body = {"error": exc.code, "error_description": exc.description or exc.message}
            error = from_envelope(method, 0, body, subject)  # the type the panes expect …
            error.args = (exc.message,)  # … saying the engine's sentence, not wrapped again
            raise error from None
        if not isinstance(answer, dict) or "result" not in answer:
            raise from_envelope(method, 0, {"error": "bad_answer"}, "")
        return RestResponse(
            result=answer["result"], total=_int(answer.get("total")), next=_int(answer.get("next"))
        )

    async def refresh_now(self) -> None:
        """The engine owns the tokens; a window asks nothing to be refreshed."""


class RemotePortalLink(PortalLink):
    """PortalLink over a RemotePortalClient; bindings are the engine's to reconcile."""

    def __init__(
        self,
        profile_name: str,
        profiles: ProfileStore,
        data_dir: Path,
        http: httpx.AsyncClient,
        *,
        rest: Rest,
        ask: Ask,
        notify: Callable[[Notice], None],
    ) -> None:
        client = RemotePortalClient(profile_name, profiles, http, rest)
        super().__init__(profile_name, profiles, data_dir, http, notify=notify, client=client)
        self._ask = ask

    async def attach(self, handler_url: str, *, public: bool) -> None:
        """Know the engine's handler URL (ping, warnings); the engine binds, not this window."""
        self._handler_url, self._public = handler_url, public

    async def set_wanted(self, event: str, mode: Mode, wanted: bool) -> None:
        """The engine remembers the choice and binds it; its report comes back as news."""
        await self.set_wanted_many([(event, mode)], wanted)

    async def set_wanted_many(
        self, subscriptions: Iterable[tuple[str, Mode]], wanted: bool
    ) -> None:
        """The engine remembers the choices, then reconciles once (one batch)."""
        self._require_app()
        pairs = [[event, mode] for event, mode in subscriptions]
        await self._ask("set_wanted", {"subscriptions": pairs, "wanted": wanted})

    async def ping(self, within: float = 30.0, *, source: str = "b24monitor ping") -> float:
        """The engine sends event.test and hears its ONAPPTEST (spec §2.5): the seconds."""
        answer = await self._ask("ping", {"within": within})
        return float(answer["seconds"]) if isinstance(answer, dict) else 0.0

    async def authorization_url(self, portal_url: str, redirect_uri: str) -> str:
        """The engine's: its link checks the state the redirect brings back (spec §5.2)."""
        return str(await self._ask("authorize_url", {"portal_url": portal_url}))

    async def on_deliveries(self, events: list[CapturedEvent]) -> None:
        """Installs, uninstalls and pings are the engine's to handle."""

    async def close(self, *, keep_bindings: bool) -> None:
        """The bindings belong to the engine: detaching leaves them in place."""


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
