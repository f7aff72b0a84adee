"""A Bitrix24 portal and OAuth server behind httpx.MockTransport, answering in the spec's shapes.

Only the network is faked: requests go through the real PortalClient and httpx. Wire shapes
follow ../shared/spec/bitrix24-events.md (§2 methods, §5.2 tokens, §5.3 errors, §5.5 batch).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from b24monitor.core.phpform import parse_form
from b24monitor.services.profiles import Profile, ProfileStore
from b24monitor.services.secrets import FileSecrets

DOMAIN = "acme.bitrix24.com"
CLIENT_ENDPOINT = f"https://{DOMAIN}/rest/"
SERVER_ENDPOINT = "https://oauth.bitrix.info/rest/"
MEMBER_ID = "0c4f5e9a8b7d6c5e4f3a2b1c0d9e8f7a"
APP_TOKEN = "9e7d1c2b3a4f5e6d7c8b9a0f1e2d3c4b"
CLIENT_ID = "local.5f0c2d6b9a1e4c.12345678"
CLIENT_SECRET = "Zx9Secret0ClientValue1234567890abcdef"
TIME = {
    "start": 1764338590.11,
    "finish": 1764338590.15,
    "duration": 0.04,
    "processing": 0.002,
    "date_start": "2025-11-28T14:03:10+03:00",
    "date_finish": "2025-11-28T14:03:10+03:00",
    "operating": 0,
}


class RestFault(Exception):
    """Raised by a fake method: becomes the error envelope `{error, error_description}`."""

    def __init__(self, status: int, code: str, description: str = "") -> None:
        super().__init__(code)
        self.status, self.code, self.description = status, code, description

    def envelope(self) -> dict[str, Any]:
        return {"error": self.code, "error_description": self.description}


Method = Callable[[dict[str, Any]], Any]


class FakePortal:
    """Scriptable portal: `methods[name](params) -> result` or raise RestFault."""

    def __init__(self) -> None:
        self.generation = 1
        self.access_token = "at-0001-7d1b3a6a006d8c5f0071e2a4"
        self.refresh_token = "rt-0001-5c6d7e8f9a0b1c2d3e4f5a6b"
        self.expired: set[str] = set()
        self.refresh_dead = False
        self.methods: dict[str, Method] = {}
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.http_methods: list[str] = []
        self.token_requests: list[dict[str, str]] = []
        self.on_token_request: Callable[[], None] | None = None
        self.bindings: list[dict[str, Any]] = []
        self.methods.update(
            {"event.get": self._event_get, "event.bind": self._bind, "event.unbind": self._unbind}
        )

    # --- plumbing -------------------------------------------------------------------------
    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self.handle))

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == "oauth.bitrix.info" and request.url.path == "/oauth/token/":
            return self._token(request)
        method = request.url.path.removeprefix("/rest/")
        params = json.loads(request.content or b"{}")
        token = params.pop("auth", None)
        self.http_methods.append(method)
        if token in self.expired:
            return _error(401, "expired_token", "The access token provided has expired.")
        if token != self.access_token:
            return _error(401, "invalid_token", "The access token provided is invalid.")
        try:
            result = self.dispatch(method, params)
        except RestFault as fault:
            return httpx.Response(fault.status, json=fault.envelope())
        if isinstance(result, httpx.Response):
            return result
        return httpx.Response(200, json={"result": result, "time": TIME})

    def dispatch(self, method: str, params: dict[str, Any]) -> Any:
        self.calls.append((method, params))
        if method == "batch":
            return self._batch(params)
        if method not in self.methods:
            raise RestFault(404, "ERROR_METHOD_NOT_FOUND", "Method not found!")
        return self.methods[method](params)

    def _batch(self, params: dict[str, Any]) -> dict[str, Any]:
        results: dict[str, Any] = {}
        errors: dict[str, Any] = {}
        for key, command in params["cmd"].items():
            name, _, query = command.partition("?")
            try:
                results[key] = self.dispatch(name, parse_form(query.encode()))
            except RestFault as fault:
                errors[key] = fault.envelope()
                if str(params.get("halt")) == "1":
                    break
        return {
            "result": results or [],  # PHP: an empty array is `[]`
            "result_error": errors or [],
            "result_total": [],
            "result_next": [],
            "result_time": {k: TIME for k in results},
        }

    # --- OAuth (spec §5.2) ------------------------------------------------------------------
    def expire_access_token(self) -> None:
        self.expired.add(self.access_token)

    def _token(self, request: httpx.Request) -> httpx.Response:
        query = dict(request.url.params)
        self.token_requests.append(query)
        if self.on_token_request is not None:
            self.on_token_request()
        if query.get("client_id") != CLIENT_ID or query.get("client_secret") != CLIENT_SECRET:
            return _error(401, "invalid_client", "Invalid client credentials")
        if self.refresh_dead or query.get("refresh_token") != self.refresh_token:
            return _error(400, "invalid_grant", "Invalid authorization code or refresh token")
        self.rotate()
        return httpx.Response(200, json=self.token_answer())

    def rotate(self) -> None:
        """Issue a new pair; the old one stops working (rotation, spec §7.7)."""
        self.expired.add(self.access_token)
        self.generation += 1
        self.access_token = f"at-{self.generation:04d}-7d1b3a6a006d8c5f0071e2a4"
        self.refresh_token = f"rt-{self.generation:04d}-5c6d7e8f9a0b1c2d3e4f5a6b"

    def token_answer(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token,
            "expires": 1764342192 + self.generation * 3600,
            "expires_in": 3600,
            "scope": "crm,task,user",
            "domain": "oauth.bitrix.info",
            "server_endpoint": SERVER_ENDPOINT,
            "status": "L",
            "client_endpoint": CLIENT_ENDPOINT,
            "member_id": MEMBER_ID,
            "user_id": 1,
            "refresh_token": self.refresh_token,
        }

    def install_auth(self) -> dict[str, str]:
        """An ONAPPINSTALL `auth` block as parsed from the form body (spec §6.1)."""
        answer = self.token_answer()
        return {
            "access_token": self.access_token,
            "expires": str(answer["expires"]),
            "expires_in": "3600",
            "scope": "crm,task,user",
            "domain": DOMAIN,
            "server_endpoint": SERVER_ENDPOINT,
            "status": "L",
            "client_endpoint": CLIENT_ENDPOINT,
            "member_id": MEMBER_ID,
            "refresh_token": self.refresh_token,
            "application_token": APP_TOKEN,
        }

    # --- event.get / bind / unbind (spec §2.2–2.4) -----------------------------------------
    def _event_get(self, _params: dict[str, Any]) -> list[dict[str, Any]]:
        return [dict(row) for row in self.bindings]

    def _bind(self, params: dict[str, Any]) -> bool:
        event = str(params["event"]).upper()
        if str(params.get("event_type", "online")) == "offline":
            if event == "ONOFFLINEEVENT":
                raise RestFault(400, "ERROR_ARGUMENT", "Offline event cannot be registered.")
            row: dict[str, Any] = {"event": event, "connector_id": "", "offline": 1}
        else:
            row = {"event": event, "handler": params["handler"], "auth_type": "0", "offline": 0}
        if row in self.bindings:
            raise RestFault(
                400, "ERROR_CORE", "Unable to set event handler: Handler already binded"
            )
        self.bindings.append(row)
        return True

    def _unbind(self, params: dict[str, Any]) -> dict[str, int]:
        event = str(params["event"]).upper()
        offline = str(params.get("event_type", "online")) == "offline"
        keep = [
            r
            for r in self.bindings
            if not (
                r["event"] == event
                and r["offline"] == (1 if offline else 0)
                and (offline or r.get("handler") == params.get("handler"))
            )
        ]
        count = len(self.bindings) - len(keep)
        self.bindings = keep
        return {"count": count}


def _error(status: int, code: str, description: str) -> httpx.Response:
    return httpx.Response(status, json={"error": code, "error_description": description})


def make_store(tmp_path: Path) -> ProfileStore:
    return ProfileStore(tmp_path / "data", FileSecrets(tmp_path / "config" / "secrets.json"))


def installed_store(tmp_path: Path, portal: FakePortal, name: str = "acme") -> ProfileStore:
    """A store holding an app profile installed with the fake portal's current pair."""
    store = make_store(tmp_path)
    store.add(Profile(name, "app", client_id=CLIENT_ID, client_secret=CLIENT_SECRET))
    assert store.apply_install(name, portal.install_auth())
    return store


class FakeClock:
    """Monotonic time that only moves when someone sleeps; records every sleep."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)
