"""SandboxPortal: one emulated Bitrix24 portal with its OAuth server, served on loopback.

Composition only: the portal host serves REST (`rest_server`), the authorize page (`oauth`) and
the sandbox's own control endpoints (`control`); a second port plays the OAuth server
(`server_endpoint`, token URL), because on Bitrix24 that is a different host (spec §1.4, §5.2).
The first app is a local "uses only API" app; `install()` plays the administrator adding it
(§5.2). More senders, each with its own application_token (§4): `save_app()` (a further local
app; with `install_on_save` its ONAPPINSTALL comes the moment it is saved, §1.1),
`add_outgoing_webhook()`, and `reinstall()` (a new token for the same app).
Simplified: `domain` defaults to `host:port`, so `https://<domain>/` is not the portal address
— clients must use `client_endpoint`, as the spec advises anyway. Self-hosted mode, renames, an
expired licence and the handler-host check are switches described in `edition`.
"""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from b24monitor.core.tasks import spawn
from b24monitor.sandbox import app_admin, app_lifecycle
from b24monitor.sandbox.app_admin import OutgoingWebhook
from b24monitor.sandbox.app_lifecycle import INSTALLING_USER
from b24monitor.sandbox.control import Control
from b24monitor.sandbox.delivery import Deliverer, DeliveryRecord
from b24monitor.sandbox.describe import describe
from b24monitor.sandbox.emitter import EventEmitter
from b24monitor.sandbox.events_registry import Binding
from b24monitor.sandbox.ids import IdSource, application_token_for
from b24monitor.sandbox.listeners import base_url, serve
from b24monitor.sandbox.oauth import OAuthServer
from b24monitor.sandbox.payloads import PortalIdentity, token_response
from b24monitor.sandbox.rate_limit import LeakyBucket
from b24monitor.sandbox.rest_server import RestServer
from b24monitor.sandbox.state import AppInfo, PortalState
from b24monitor.sandbox.tokens import TokenStore

DEFAULT_SCOPES = ("crm", "task", "user", "calendar", "log", "sonet_group", "telephony")
MAX_BODY = 16 * 1024 * 1024


class SandboxPortal:
    """An emulated portal: REST, OAuth, event deliveries and the offline queue on loopback."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        client_id: str | None = None,
        client_secret: str | None = None,
        member_id: str | None = None,
        domain: str | None = None,
        access_ttl: int = 3600,
        rate_limit: bool = True,
        seed: int | None = None,
        oauth_port: int = 0,
        scopes: tuple[str, ...] = DEFAULT_SCOPES,
        delivery_timeout: float = 10.0,
        delivery_delay: tuple[float, float] = (0.0, 0.0),
        self_hosted: str = "",
        check_handler_host: bool = False,
        install_on_save: bool = True,
        oauth_redirect: str = "saved",
    ) -> None:
        ids = IdSource(seed)
        app = AppInfo(client_id or ids.client_id(), client_secret or ids.client_secret(), scopes)
        member = member_id or ids.hex(32)
        app.application_token = application_token_for(member, app.client_id, app.client_secret)
        self.install_on_save = install_on_save
        identity = PortalIdentity(
            domain=domain or "",
            member_id=member,
            client_endpoint="",
            server_endpoint="",
            scope=",".join(scopes),
        )
        self.state = PortalState(
            identity,
            app,
            ids,
            TokenStore(ids, access_ttl=access_ttl),
            sink=self,
            bucket=LeakyBucket() if rate_limit else None,
            webhook_code=ids.alnum(16),
            apps={app.client_id: app},
        )
        self._host, self._port, self._oauth_port = host, port, oauth_port
        self._deliverer = Deliverer(timeout=delivery_timeout, delay=delivery_delay)
        self._emitter = EventEmitter(self.state, self._deliverer)
        self._oauth = OAuthServer(self.state, redirect=oauth_redirect)
        self._runners: list[web.AppRunner] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        self._base_url = self._oauth_base_url = ""
        self.state.edition.check_handler_host = check_handler_host
        if self_hosted:
            self.set_self_hosted(self_hosted)

    async def start(self) -> None:
        """Bind both ports and start serving; endpoints are known from here on.

        Raises PortalError when a port cannot be bound (e.g. already in use).
        """
        try:
            await self._deliverer.start()
            base = await self._serve(self._portal_app(), self._port)
            oauth_base = await self._serve(self._oauth_app(), self._oauth_port)
        except BaseException:
            await self.stop()
            raise
        self._base_url, self._oauth_base_url = base, oauth_base
        identity = self.state.identity
        identity.domain = identity.domain or base.removeprefix("http://")
        identity.client_endpoint = f"{base}/rest/"
        identity.server_endpoint = f"{oauth_base}/rest/"
        self.state.oauth_host = oauth_base.removeprefix("http://")

    def _portal_app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY)
        app.add_routes(RestServer(self.state).routes())
        app.add_routes(self._oauth.portal_routes())
        app.add_routes(Control(self).routes())
        return app

    def _oauth_app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY)
        app.add_routes(self._oauth.server_routes())
        return app

    async def _serve(self, app: web.Application, port: int) -> str:
        runner, bound = await serve(app, self._host, port)
        self._runners.append(runner)
        return base_url(self._host, bound)

    async def stop(self) -> None:
        """Cancel background deliveries still running, then close the ports and the HTTP client."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for runner in reversed(self._runners):
            await runner.cleanup()
        self._runners.clear()
        await self._deliverer.close()

    async def __aenter__(self) -> SandboxPortal:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """The portal's address, e.g. `http://127.0.0.1:8090`."""
        return self._base_url

    @property
    def client_endpoint(self) -> str:
        """The REST base URL, `<base>/rest/`."""
        return self.state.identity.client_endpoint

    @property
    def server_endpoint(self) -> str:
        """The OAuth server's REST URL, `<oauth base>/rest/`."""
        return self.state.identity.server_endpoint

    @property
    def token_url(self) -> str:
        """Where tokens are refreshed or codes exchanged (spec §5.2)."""
        return f"{self._oauth_base_url}/oauth/token/"

    @property
    def webhook_url(self) -> str:
        """The incoming webhook of user 1 (REST works, event methods are refused, spec §2.0)."""
        return f"{self._base_url}/rest/1/{self.state.webhook_code}/"

    @property
    def client_id(self) -> str:
        return self.state.app.client_id

    @property
    def client_secret(self) -> str:
        return self.state.app.client_secret

    @property
    def member_id(self) -> str:
        return self.state.identity.member_id

    @property
    def domain(self) -> str:
        return self.state.identity.domain

    @property
    def application_token(self) -> str:
        """The first app's current token (a reinstall changes it, spec §4)."""
        return self.state.app.application_token

    @property
    def delivery_log(self) -> list[DeliveryRecord]:
        """Every delivery attempt, oldest first (failures included; nothing is retried)."""
        return self._deliverer.log

    def bindings(self, app: AppInfo | None = None) -> list[Binding]:
        """The event registrations of an app (default: the first one's)."""
        return self.state.registry.all((app or self.state.app).client_id)

    def describe(self) -> str:
        """What a user needs to connect b24monitor to this sandbox."""
        return describe(self)

    async def install(
        self,
        handler_url: str,
        *,
        update: bool = False,
        app: AppInfo | None = None,
        by: int = INSTALLING_USER,
    ) -> DeliveryRecord:
        """Install (or update) an app (default: the first) as user `by` (default: the
        administrator): wipe its registrations, POST ONAPPINSTALL/ONAPPUPDATE."""
        return await app_lifecycle.install(
            self.state, self._emitter, self._deliverer, handler_url, update=update, app=app,
            by=by,
        )  # fmt: skip

    def edit_install_path(self, url: str, *, app: AppInfo | None = None) -> None:
        """Edit an app's "Initial installation path": its ONAPPINSTALL registration moves."""
        app_lifecycle.edit_install_path(self.state, url, app)

    async def uninstall(
        self, *, clean: bool = True, app: AppInfo | None = None
    ) -> list[DeliveryRecord]:
        """Remove an app: ONAPPUNINSTALL (no tokens) to its handlers, then forget its tokens."""
        return await app_lifecycle.uninstall(self.state, self._emitter, clean=clean, app=app)

    async def reinstall(self, handler_url: str, *, app: AppInfo | None = None) -> DeliveryRecord:
        """Remove and install again: the app gets a new application_token (spec §4)."""
        app = app or self.state.app
        await self.uninstall(app=app)
        app_lifecycle.renew_row(self.state, app)
        return await self.install(handler_url, app=app)

    async def save_app(
        self, install_url: str, *, handler_url: str = "", app: AppInfo | None = None
    ) -> tuple[AppInfo, DeliveryRecord | None]:
        """The administrator saves a local app (default: a new one) with these paths; with
        `install_on_save` its ONAPPINSTALL is POSTed at once (spec §1.1)."""
        if app is None:
            app = app_admin.new_app(self.state)
        app.install_url, app.handler_url = install_url, handler_url or install_url
        if not self.install_on_save:
            return app, None
        return app, await self.install(install_url, app=app)

    def add_outgoing_webhook(self, handler_url: str, events: list[str]) -> OutgoingWebhook:
        """An outgoing webhook (portal UI) posting `events` with its own token (spec §4)."""
        return app_admin.add_outgoing_webhook(self.state, handler_url, events)

    def issue_tokens(self, user_id: int = INSTALLING_USER) -> dict[str, Any]:
        """Tokens for a user as the token URL would answer (the app counts as installed)."""
        self.state.app.installed = True
        pair = self.state.tokens.issue(user_id, app=self.state.app.client_id)
        ttl = self.state.tokens.access_ttl
        return token_response(self.state.identity, pair, self.state.oauth_host, ttl)

    def set_dead_handler(self, dead: bool) -> None:
        """Online deliveries fail silently (the queue server logs and drops them, spec §1.1);
        offline twins still queue their rows."""
        self._deliverer.dead = dead

    def simulate_app_update(self) -> None:
        """An app update or reinstall deletes every handler of the app (spec §1.1, §2.0);
        nothing tells the listener (here not even ONAPPUPDATE)."""
        self.state.registry.clear(self.state.app.client_id)
        self._emitter.forget_signals()

    def expire_access_tokens(self) -> None:
        """Every access token issued so far expires now (next call: 401 expired_token)."""
        self.state.tokens.expire_access_tokens()

    def revoke_refresh_tokens(self) -> None:
        """Every refresh token stops working (refresh: invalid_grant)."""
        self.state.tokens.revoke_refresh_tokens()

    def set_self_hosted(self, language: str = "ru") -> None:
        """Become an on-premise portal: `<language>_selfhosted` features, no rate limit (§2.10)."""
        self.state.edition.self_hosted = language
        self.state.app.features = {code: True for code in self.state.app.features}
        self.state.bucket = None

    def rename(self, new_host: str | None = None) -> str:
        """From now on the portal lives at `new_host` (default `localhost:PORT`); REST calls to
        the old name get 302 there (spec §5.1). Returns the new client_endpoint."""
        identity = self.state.identity
        old = urlsplit(identity.client_endpoint)
        host = new_host or f"localhost:{old.port}"
        self.state.edition.old_hosts.add(old.netloc.lower())
        self.state.edition.old_hosts.discard(host.lower())
        if identity.domain == old.netloc:
            identity.domain = host
        else:
            identity.domain = host.partition(":")[0]
        identity.client_endpoint = f"{old.scheme}://{host}{old.path}"
        self._base_url = f"{old.scheme}://{host}"
        return identity.client_endpoint

    def expire_licence(self, expired: bool = True) -> None:
        """A self-hosted portal whose licence ran out: REST answers 302 to its own page (§5.1)."""
        self.state.edition.licence_expired = expired

    async def fire(
        self, event_code: str, data: Any, *, user_id: int | None = 1, queued_for: float = 0.0
    ) -> list[DeliveryRecord]:
        """Trigger an event as the given user (None/0: a robot — no tokens); returns its POSTs.

        Nothing is sent while the app is not installed (spec §1.1). queued_for: a delayed
        delivery, its `ts` that many seconds back.
        """
        state = self.state
        if not state.webhook_tokens and not any(a.installed for a in state.apps.values()):
            return []
        return await self._emitter.emit(event_code, data, user_id or 0, queued_for=queued_for)

    def emit_soon(self, code: str, data: Any, user_id: int, session: int) -> None:
        """Fire an event in the background (REST-triggered events, e.g. event.test)."""
        task = spawn(self._emitter.emit(code, data, user_id, session), name=f"sandbox-{code}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait until every background delivery (event.test, control fires) has finished."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
