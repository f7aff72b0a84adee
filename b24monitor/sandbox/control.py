"""The sandbox's own control endpoints under `/sandbox/` — not a Bitrix24 feature.

They let a user or a test in another process do what a portal administrator or employee would:
install the app, fire an event, expire tokens, and read what was delivered.

    GET  /sandbox/                      connection details as JSON
    POST /sandbox/install?handler=URL   install (update=1: update) the app
    POST /sandbox/install-path?url=URL  edit the app's installation path (its ONAPPINSTALL row)
    POST /sandbox/save-app?install_url=URL  save a new local app (install-on-save: it installs)
    POST /sandbox/fire                  JSON {"event", "data", "user_id", "queued_for"};
                                        user_id null = robot, queued_for: seconds of queue lag
    POST /sandbox/storm                 JSON {"event", "count", "user_id"}: a mass change
    POST /sandbox/expire-tokens         every access token expires
    POST /sandbox/revoke-refresh-tokens every refresh token stops working
    GET  /sandbox/deliveries            the delivery log as JSON (last 1000)
    POST /sandbox/self-hosted?language=ru   become a self-hosted portal (edition.py)
    POST /sandbox/rename?to=HOST:PORT   REST moves to a new host name; old one answers 302
    POST /sandbox/licence?expired=1     REST answers 302 to the licence page (0: renewed)
    POST /sandbox/check-handler-host?on=1   event.bind checks the handler's host (edition.py)
    POST /sandbox/dead-handler?on=1     online deliveries fail silently (on=0: deliver again)
    POST /sandbox/simulate-app-update   the app's handlers are deleted, as an update does
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from aiohttp import web

from b24monitor.sandbox.delivery import DeliveryRecord
from b24monitor.sandbox.storms import mass_change

if TYPE_CHECKING:
    from b24monitor.sandbox.portal import SandboxPortal


def _records(records: list[DeliveryRecord]) -> list[dict[str, Any]]:
    return [asdict(record) for record in records]


def _problem(text: str) -> web.Response:
    return web.json_response({"error": "SANDBOX_REQUEST", "error_description": text}, status=400)


class Control:
    """aiohttp handlers for the sandbox control endpoints of one portal."""

    def __init__(self, portal: SandboxPortal) -> None:
        self._portal = portal

    def routes(self) -> list[web.RouteDef]:
        """The control routes."""
        return [
            web.get("/sandbox/", self.info),
            web.post("/sandbox/install", self.install),
            web.post("/sandbox/install-path", self.install_path),
            web.post("/sandbox/save-app", self.save_app),
            web.post("/sandbox/fire", self.fire),
            web.post("/sandbox/storm", self.storm),
            web.post("/sandbox/expire-tokens", self.expire),
            web.post("/sandbox/revoke-refresh-tokens", self.revoke),
            web.get("/sandbox/deliveries", self.deliveries),
            web.post("/sandbox/self-hosted", self.self_hosted),
            web.post("/sandbox/rename", self.rename),
            web.post("/sandbox/licence", self.licence),
            web.post("/sandbox/check-handler-host", self.check_handler_host),
            web.post("/sandbox/dead-handler", self.dead_handler),
            web.post("/sandbox/simulate-app-update", self.app_update),
        ]

    async def info(self, request: web.Request) -> web.Response:
        """Connection details for clients and tests."""
        p = self._portal
        return web.json_response(
            {
                "base_url": p.base_url,
                "client_endpoint": p.client_endpoint,
                "server_endpoint": p.server_endpoint,
                "token_url": p.token_url,
                "webhook_url": p.webhook_url,
                "client_id": p.client_id,
                "client_secret": p.client_secret,
                "member_id": p.member_id,
                "domain": p.domain,
                "application_token": p.application_token,
            }
        )

    async def install(self, request: web.Request) -> web.Response:
        """Install or update the app, delivering ONAPPINSTALL/ONAPPUPDATE to `handler`."""
        handler = request.query.get("handler", "")
        if not handler.startswith(("http://", "https://")):
            return _problem("Pass handler=<http(s) URL of your handler>")
        update = request.query.get("update", "0") not in ("", "0")
        record = await self._portal.install(handler, update=update)
        return web.json_response(asdict(record))

    async def install_path(self, request: web.Request) -> web.Response:
        """Edit the installation path, as the administrator does on the app's page."""
        url = request.query.get("url", "")
        if not url.startswith(("http://", "https://")):
            return _problem("Pass url=<http(s) URL of the new installation path>")
        self._portal.edit_install_path(url)
        return web.json_response({"result": True})

    async def save_app(self, request: web.Request) -> web.Response:
        """Save a new local app with this installation path; its credentials come back."""
        url = request.query.get("install_url", "")
        if not url.startswith(("http://", "https://")):
            return _problem("Pass install_url=<http(s) URL of your handler>")
        app, record = await self._portal.save_app(url)
        return web.json_response({"client_id": app.client_id, "client_secret": app.client_secret,
                                  "delivery": asdict(record) if record else None})  # fmt: skip

    async def fire(self, request: web.Request) -> web.Response:
        """Fire one event described by a JSON body."""
        try:
            body = json.loads(await request.read())
        except ValueError:
            return _problem('The body must be JSON: {"event": ..., "data": ..., "user_id": ...}')
        if not isinstance(body, dict) or not isinstance(body.get("event"), str):
            return _problem('The JSON body needs an "event" code')
        user_id = body.get("user_id", 1)
        if user_id is not None and not isinstance(user_id, int):
            return _problem("user_id must be a number or null")
        queued_for = body.get("queued_for", 0)
        if not isinstance(queued_for, int | float) or queued_for < 0:
            return _problem("queued_for must be a number of seconds (0 or more)")
        records = await self._portal.fire(
            body["event"], body.get("data", {}), user_id=user_id, queued_for=float(queued_for)
        )
        return web.json_response(_records(records))

    async def storm(self, request: web.Request) -> web.Response:
        """A mass change: `count` events of one code, one per object, as fast as possible."""
        try:
            body = json.loads(await request.read())
        except ValueError:
            return _problem('The body must be JSON: {"event": ..., "count": ...}')
        if not isinstance(body, dict) or not isinstance(body.get("event"), str):
            return _problem('The JSON body needs an "event" code')
        count, user_id = body.get("count", 100), body.get("user_id", 1)
        if not isinstance(count, int) or not 0 < count <= 100_000:
            return _problem("count must be a number from 1 to 100000")
        if user_id is not None and not isinstance(user_id, int):
            return _problem("user_id must be a number or null")
        delivered = await mass_change(self._portal, body["event"], count, user_id=user_id)
        return web.json_response({"fired": count, "delivered": delivered})

    async def expire(self, request: web.Request) -> web.Response:
        """Expire every access token."""
        self._portal.expire_access_tokens()
        return web.json_response({"result": True})

    async def revoke(self, request: web.Request) -> web.Response:
        """Revoke every refresh token."""
        self._portal.revoke_refresh_tokens()
        return web.json_response({"result": True})

    async def self_hosted(self, request: web.Request) -> web.Response:
        """Switch to self-hosted mode in the given language."""
        language = request.query.get("language", "ru")
        if not language.isalpha() or len(language) > 5:
            return _problem("Pass language=<two-letter portal language>, e.g. ru")
        self._portal.set_self_hosted(language)
        return web.json_response({"result": True})

    async def rename(self, request: web.Request) -> web.Response:
        """Rename the portal; the answer holds the new client_endpoint."""
        target = request.query.get("to") or None
        if target is not None and ("/" in target or not target.strip()):
            return _problem("Pass to=<host:port> (a name of this machine, e.g. localhost:8090)")
        return web.json_response({"client_endpoint": self._portal.rename(target)})

    async def licence(self, request: web.Request) -> web.Response:
        """Let the licence expire (expired=1) or renew it (expired=0)."""
        self._portal.expire_licence(request.query.get("expired", "1") not in ("", "0"))
        return web.json_response({"result": True})

    async def check_handler_host(self, request: web.Request) -> web.Response:
        """Switch event.bind's handler-host check on (on=1) or off (on=0)."""
        on = request.query.get("on", "1") not in ("", "0")
        self._portal.state.edition.check_handler_host = on
        return web.json_response({"result": True})

    async def deliveries(self, request: web.Request) -> web.Response:
        """The most recent delivery attempts."""
        return web.json_response(_records(self._portal.delivery_log[-1000:]))

    async def dead_handler(self, request: web.Request) -> web.Response:
        """Switch silent delivery failures on (on=1, default) or off (on=0)."""
        self._portal.set_dead_handler(request.query.get("on", "1") not in ("", "0"))
        return web.json_response({"result": True})

    async def app_update(self, request: web.Request) -> web.Response:
        """Delete the app's handlers the way an app update does."""
        self._portal.simulate_app_update()
        return web.json_response({"result": True})
