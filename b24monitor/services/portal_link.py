"""One portal profile attached to a running session: install capture, bindings, offline, ping.

The session hands it every committed lifecycle delivery (ONAPPINSTALL, ONAPPUPDATE,
ONAPPUNINSTALL, ONAPPTEST, ONOFFLINEEVENT) and every change of the handler URL; it keeps the
profile's tokens and the portal's bindings in step and tells the front end what happened as
plain dicts ({"type": "installed" | "pending_install" | "uninstalled" | "bound" | "unbound" |
"error" | "offline" | "portal_moved" | "app_settings_stale", …}), which the headless front end
prints as JSON lines and the GUI turns into widget updates. Install tokens come from the
pending-install store, never from the event row (services/pending_installs.py); the profile takes
an install only when it is proved to be its app's (services/adoption.py, spec §4 step 2).

The app's settings in the portal keep the handler and installation URL they were saved with
(spec §1.1): the profile remembers the handler URL current when ONAPPINSTALL arrived, or the
installation path the portal's own ONAPPINSTALL row shows in event.get (`app_url`); when the
session's URL differs, bindings still move but the user is told once per URL, by the one
`app_settings_stale` notice and the one sentence of core/app_settings.py.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx

from b24monitor.core.app_settings import app_settings_warning, is_stale
from b24monitor.core.errors import B24MonitorError, PortalError
from b24monitor.core.model import CapturedEvent
from b24monitor.core.portal_errors import is_already_bound
from b24monitor.core.subscriptions import PING_EVENT, Mode, ReconcileReport
from b24monitor.core.verification import Sender
from b24monitor.services.adoption import adopt
from b24monitor.services.oauth import exchange_code
from b24monitor.services.offline_queue import OfflineQueue
from b24monitor.services.pending_installs import PendingInstall, PendingInstalls
from b24monitor.services.ping import NONCE_PARAM, ping
from b24monitor.services.portal_client import PortalClient
from b24monitor.services.profiles import Profile, ProfileStore
from b24monitor.services.subscriptions import DesiredStore, SubscriptionManager
from b24monitor.services.twin_switch import TwinSwitch

log = logging.getLogger(__name__)

LIFECYCLE_EVENTS = ("ONAPPINSTALL", "ONAPPUPDATE", "ONAPPUNINSTALL", "ONAPPTEST", "ONOFFLINEEVENT")
Notice = dict[str, Any]


class PortalLink:
    """Ties one profile to the session's handler URL; `notify` receives every state change."""

    def __init__(
        self,
        profile_name: str,
        profiles: ProfileStore,
        data_dir: Path,
        http: httpx.AsyncClient,
        *,
        notify: Callable[[Notice], None],
        pending: PendingInstalls | None = None,
        on_sender: Callable[[Sender], None] | None = None,
        client: PortalClient | None = None,
    ) -> None:
        """`client`: how REST calls go out (an attached window's go through the engine)."""
        self.profile_name = profile_name
        self._profiles = profiles
        self._notify = notify
        self._pending = pending
        self._on_sender = on_sender
        self.client = client or PortalClient(profile_name, profiles, http, on_moved=self._on_moved)
        self._stale_told: tuple[str, str] | None = None  # (saved URL, handler URL) told
        self.offline = OfflineQueue(self.client)
        self._handler_url: str | None = None
        self._public = False
        self._pings: dict[str, asyncio.Future[float]] = {}
        self._state = secrets.token_urlsafe(16)  # ties an OAuth redirect to our request
        self._bound: set[tuple[str, Mode]] = set()
        self.report = ReconcileReport()
        self.subscriptions: SubscriptionManager | None = None
        self.twins = TwinSwitch(data_dir, profile_name)  # the safety net's offline twins
        if self.profile.kind == "app":
            self.subscriptions = SubscriptionManager(
                self.client, DesiredStore(data_dir, profile_name), None,
                on_report=self._on_report, adjust=self.twins.adjust,
            )  # fmt: skip

    @property
    def profile(self) -> Profile:
        """Re-read each time: another process (GUI, CLI) may have refreshed the tokens."""
        return self._profiles.get(self.profile_name)

    async def attach(self, handler_url: str, *, public: bool) -> None:
        """Follow `handler_url`; binds what is wanted once installed and reachable."""
        self._handler_url, self._public = handler_url, public
        if self.subscriptions is not None and not self.profile.installed:
            await self._adopt(self.profile_name)  # the install may have come before the profile
        if self._can_bind():
            self._tell_if_stale(handler_url)
        if self.subscriptions is not None and self._can_bind():
            await self._reconcile(handler_url)

    def app_settings_stale(self, handler_url: str | None) -> bool:
        """True when the app's saved URL in the portal is not `handler_url` (spec §1.1)."""
        return is_stale(self.profile.app_url, handler_url)

    def _tell_if_stale(self, handler_url: str) -> None:
        saved = self.profile.app_url
        message = app_settings_warning(saved, handler_url)
        if message is None or self._stale_told == (saved, handler_url):
            return
        self._stale_told = (saved, handler_url)
        install = self.report.install_handler if self.report is not None else None
        # `install_handler`/`warning`: the fields issue 16's install_handler notice carried.
        self._notify({"type": "app_settings_stale", "app_url": saved, "handler_url": handler_url,
                      "install_handler": install, "message": message,
                      "warning": message})  # fmt: skip

    def _on_moved(self, name: str, old_domain: str, new_domain: str) -> None:
        """The portal was renamed and the profile follows it (spec §5.1): say so once."""
        self._notify({"type": "portal_moved", "portal": name, "from": old_domain,
                      "to": new_domain, "client_endpoint": self.profile.client_endpoint,
                      "message": moved_sentence(name, new_domain)})  # fmt: skip

    def _can_bind(self) -> bool:
        """Installed, and Bitrix24 can reach the URL: public, or a portal on this machine."""
        profile = self.profile
        if not profile.installed or self._handler_url is None:
            return False
        host = urlsplit(profile.client_endpoint).hostname or ""
        return self._public or host in ("127.0.0.1", "localhost", "::1")  # spec §1.1

    async def set_wanted(self, event: str, mode: Mode, wanted: bool) -> None:
        """Persist the user's choice, then reconcile (if the app can bind yet)."""
        manager = self._require_app()
        if self._can_bind():
            await self._guard("event.bind", manager.set_wanted(event, mode, wanted))
        else:
            manager.remember(event, mode, wanted)  # bound as soon as the app is installed

    async def set_wanted_many(
        self, subscriptions: Iterable[tuple[str, Mode]], wanted: bool
    ) -> None:
        """Persist many choices ("select all in scope"), then reconcile once: one batch."""
        manager = self._require_app()
        for event, mode in subscriptions:
            manager.remember(event, mode, wanted)
        if self._can_bind():
            await self._guard("event.bind", manager.reconcile())

    def authorize_url(self, portal_url: str, redirect_uri: str) -> str:
        """Where the user approves the app when ONAPPINSTALL does not come (spec §5.2)."""
        base = portal_url.rstrip("/")
        if "://" not in base:
            base = "https://" + base
        query = urlencode({"client_id": self.profile.client_id, "state": self._state,
                           "redirect_uri": redirect_uri})  # fmt: skip
        return f"{base}/oauth/authorize/?{query}"

    async def authorization_url(self, portal_url: str, redirect_uri: str) -> str:
        """authorize_url() for callers that may be attached to another process's engine."""
        return self.authorize_url(portal_url, redirect_uri)

    async def complete_authorization(self, params: dict[str, str], *, redirect_uri: str) -> bool:
        """Exchange the redirect's `code` at the OAuth server and store the pair."""
        if params.get("state") != self._state:
            self._notify({"type": "error", "where": "oauth", "code": "BAD_STATE",
                          "message": "an authorization code arrived with an unknown state and "
                          "was ignored: start the authorization again"})  # fmt: skip
            return False
        try:
            answer = await exchange_code(self.client.http, self.profile, params, redirect_uri)
            self._profiles.apply_authorization(self.profile_name, answer)
        except B24MonitorError as exc:
            self._error("oauth", exc)
            return False
        self._notify({"type": "installed", "member_id": answer.get("member_id"),
                      "domain": self.profile.domain, "via": "oauth"})  # fmt: skip
        return True

    async def on_deliveries(self, events: list[CapturedEvent]) -> None:
        """React to lifecycle deliveries that were committed (never to rejected ones)."""
        for ev in events:
            if ev.status != "ok" or ev.data is None:
                continue
            if ev.event in ("ONAPPINSTALL", "ONAPPUPDATE"):
                await self._on_install(ev)
            elif ev.event == "ONAPPUNINSTALL" and ev.verified and ev.sender == self.profile_name:
                self._on_uninstall(ev)  # only our own app's token proves it (spec §4 step 3)
            elif ev.event == "ONAPPTEST":
                self._on_test(ev)
            elif ev.event == "ONOFFLINEEVENT":
                self._notify({"type": "offline", "member_id": ev.member_id})

    async def ping(self, within: float = 30.0, *, source: str = "b24monitor ping") -> float:
        """Seconds from event.test to its ONAPPTEST delivery at our receiver (spec §2.5)."""
        return await ping(self.client, self._wait_for_test, within=within, source=source)

    def can_bind(self) -> bool:
        """Installed and reachable by the portal: reconcile can run (the watchdog asks)."""
        return self.subscriptions is not None and self._can_bind()

    async def ping_once(self, handler_url: str, within: float = 30.0) -> float:
        """Ping from a one-off process: bind ONAPPTEST here only, ping, unbind it again.

        A full reconcile would move every binding of a listener that is running right now
        (our rows at another URL = "stale") to this short-lived process. The row is in the
        ledger while it exists, so a crash in between leaves it to the next reconcile.
        """
        binding = {"event": PING_EVENT, "handler": handler_url}
        if self.subscriptions is not None:
            self.subscriptions.note_bound(PING_EVENT, handler_url)
        try:
            await self.client.call("event.bind", binding)
        except PortalError as exc:
            if not is_already_bound(exc):
                raise
        try:
            return await self.ping(within)
        finally:
            await self.client.call("event.unbind", binding)
            if self.subscriptions is not None:
                self.subscriptions.note_unbound(PING_EVENT, handler_url)

    async def close(self, *, keep_bindings: bool) -> None:
        """On exit: unbind this session's online bindings unless the user keeps them."""
        if keep_bindings or self.subscriptions is None or not self.profile.installed:
            return
        await self._guard("event.unbind", self.subscriptions.unbind_session_bindings())

    async def _on_install(self, ev: CapturedEvent) -> None:
        entry = await asyncio.to_thread(self._pending.get, ev.id) if self._pending else None
        if entry is None:
            return  # no tokens in it, or another process took it already
        # Proved by the writer for some profile: that one takes it; else try ours (a refresh).
        taken = await self._adopt(entry.profile or self.profile_name)
        if taken is not None:
            if taken.profile == self.profile_name and self._handler_url and self._can_bind():
                # ONAPPUPDATE wipes the app's bindings (spec §2.0): bind everything again.
                await self._reconcile(self._handler_url)
            return
        if self._pending is None or await asyncio.to_thread(self._pending.get, ev.id) is None:
            return  # taken meanwhile (attach adopts too, and so may `portal add`)
        self._notify({"type": "pending_install", "member_id": ev.member_id,
                      "domain": ev.domain, "message": pending_sentence(entry)})  # fmt: skip

    async def _adopt(self, name: str) -> PendingInstall | None:
        """Let profile `name` take its pending install; says so and teaches verification."""
        if self._pending is None:
            return None
        try:
            taken = await adopt(name, self._profiles, self._pending, self.client.http)
        except B24MonitorError as exc:
            self._error("install", exc)
            return None
        if taken is not None:
            token = taken.text("application_token")
            if self._on_sender is not None and taken.member_id and token:
                self._on_sender(Sender(taken.member_id, token, name))
            if name == self.profile_name and self._handler_url is not None:
                # The URL the administrator saved in the app's settings (spec §1.1).
                self._profiles.set_app_url(name, self._handler_url)
                self._stale_told = None
            self._notify({"type": "installed", "member_id": taken.member_id,
                          "domain": taken.domain, "profile": name})  # fmt: skip
        return taken

    def _on_uninstall(self, ev: CapturedEvent) -> None:
        """The app was removed: the profile is marked, its bindings are gone (spec §1.1)."""
        self._profiles.reset_install(self.profile_name)
        handler = self._handler_url
        for event, mode in sorted(self._bound):
            self._notify({"type": "unbound", "event": event, "event_type": mode,
                          "handler": handler})  # fmt: skip
        self._bound = set()
        self.report = ReconcileReport(handler_url=handler)
        self._notify({"type": "subscriptions", "report": self.report})
        self._notify({"type": "uninstalled", "member_id": ev.member_id, "domain": ev.domain,
                      "profile": self.profile_name,
                      "message": f"the app of profile “{self.profile_name}” was uninstalled from "
                      f"{ev.domain or 'its portal'}: its bindings are gone; install it again "
                      "to resume"})  # fmt: skip

    def _on_test(self, ev: CapturedEvent) -> None:
        query = ev.payload_data.get("QUERY")
        nonce = query.get(NONCE_PARAM) if isinstance(query, dict) else None
        waiter = self._pings.pop(str(nonce), None) if nonce else None
        if waiter is not None and not waiter.done():
            waiter.set_result(ev.received_at)

    def _wait_for_test(self, nonce: str) -> asyncio.Future[float]:
        waiter: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._pings[nonce] = waiter
        return waiter

    async def _reconcile(self, handler_url: str) -> None:
        manager = self._require_app()
        await self._guard("reconcile", manager.set_handler_url(handler_url))

    async def _guard(self, where: str, call: Any) -> None:
        """Run a portal call; a failure becomes an error notice, never a crash."""
        try:
            await call
        except PortalError as exc:
            self._error(where, exc)

    def _error(self, where: str, exc: BaseException) -> None:
        code = getattr(exc, "code", None) or type(exc).__name__
        self._notify({"type": "error", "where": where, "code": code, "message": str(exc)})

    def _on_report(self, report: ReconcileReport) -> None:
        self.report = report
        bound = {(r.event, r.mode) for r in report.rows if r.state in ("bound", "stale-moved")}
        handler = report.handler_url
        for event, mode in sorted(bound - self._bound):
            self._notify({"type": "bound", "event": event, "event_type": mode, "handler": handler})
        if not any(r.state == "pending" for r in report.rows):
            for event, mode in sorted(self._bound - bound):
                self._notify(
                    {"type": "unbound", "event": event, "event_type": mode, "handler": handler}
                )
            self._bound = bound
        for row in report.errors:
            self._notify({"type": "error", "where": "event.bind", "code": row.event,
                          "message": row.detail})  # fmt: skip
        self._remember_install_handler(report)
        self._notify({"type": "subscriptions", "report": report})

    def _remember_install_handler(self, report: ReconcileReport) -> None:
        """The portal's own ONAPPINSTALL row is the truth about the app's saved installation
        path (spec §1.1): remember it, so staleness is judged from what the portal says."""
        if report.install_handler is None:
            return
        self._profiles.set_app_url(self.profile_name, report.install_handler)
        if report.handler_url is not None:
            self._tell_if_stale(report.handler_url)

    def _require_app(self) -> SubscriptionManager:
        if self.subscriptions is None:
            raise PortalError(
                f"profile {self.profile_name!r} is a webhook profile: event.bind needs a local "
                "application; incoming webhooks cannot bind events — add an app profile with "
                "--client-id/--client-secret"
            )
        return self.subscriptions


def moved_sentence(profile_name: str, new_domain: str) -> str:
    """What the user reads once a rename was followed (spec §5.1)."""
    return (
        f"portal {profile_name} moved to {new_domain}; the profile now uses the new address "
        "and bindings carry on"
    )


def pending_sentence(entry: PendingInstall) -> str:
    """What to do with an install no profile could take yet."""
    where = entry.domain or "a portal"
    return (f"an install from {where} is kept as pending (its tokens are stored like profile "
            "secrets): add its profile with `b24monitor portal add NAME --client-id … "
            "--client-secret …` and it is taken over without reinstalling")  # fmt: skip
