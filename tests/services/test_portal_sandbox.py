"""The portal services against the sandbox portal over real loopback HTTP (no mocks at all).

Install → profile, bindings in one batch (and a stale URL moved), refresh on expiry with rotating
pairs, a QUERY_LIMIT_EXCEEDED storm that loses no call, the invalid_grant state, the offline
queue round trip and ping.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web

from b24monitor.core.errors import ReauthorizationNeeded
from b24monitor.core.phpform import parse_form
from b24monitor.core.subscriptions import Subscription
from b24monitor.sandbox import SandboxPortal
from b24monitor.services.offline_queue import OfflineQueue, OfflineRecord
from b24monitor.services.ping import NONCE_PARAM, ping
from b24monitor.services.portal_client import PortalClient
from b24monitor.services.profiles import Profile, ProfileStore
from b24monitor.services.secrets import FileSecrets
from b24monitor.services.subscriptions import DesiredStore, SubscriptionManager

HANDLER_PATH = "/b24/Zq8c1VvKpN3xR0aTsLm2Yw/events"


@dataclass
class Handler:
    """A loopback handler that records parsed deliveries and resolves ping waiters."""

    url: str = ""
    bodies: list[dict[str, Any]] = field(default_factory=list)
    waiters: dict[str, asyncio.Future[None]] = field(default_factory=dict)
    arrived: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def handle(self, request: web.Request) -> web.Response:
        body = parse_form(await request.read())
        self.bodies.append(body)
        nonce = body.get("data", {}).get("QUERY", {}).get(NONCE_PARAM)
        if body.get("event") == "ONAPPTEST" and nonce in self.waiters:
            self.waiters.pop(nonce).set_result(None)
        async with self.arrived:
            self.arrived.notify_all()
        return web.Response(text="ok")

    def wait_for_delivery(self, nonce: str) -> asyncio.Future[None]:
        self.waiters[nonce] = asyncio.get_running_loop().create_future()
        return self.waiters[nonce]

    async def next_event(self, code: str, within: float = 5.0) -> dict[str, Any]:
        async def found() -> dict[str, Any]:
            async with self.arrived:
                while True:
                    for body in self.bodies:
                        if body.get("event") == code:
                            self.bodies.remove(body)
                            return body
                    await self.arrived.wait()

        return await asyncio.wait_for(found(), within)


INSTALL_ROW = {"event": "ONAPPINSTALL", "auth_type": "0", "offline": 0}


@dataclass
class Env:
    portal: SandboxPortal
    handler: Handler
    store: ProfileStore
    client: PortalClient
    http: httpx.AsyncClient
    data_dir: Path
    responses: list[httpx.Response] = field(default_factory=list)

    def manager(self, url: str | None = None, **kwargs: Any) -> SubscriptionManager:
        desired = DesiredStore(self.data_dir, "sandbox")
        return SubscriptionManager(self.client, desired, url or self.handler.url, **kwargs)

    def token_requests(self) -> int:
        return sum(1 for r in self.responses if r.request.url.path == "/oauth/token/")


@contextlib.asynccontextmanager
async def installed(
    tmp_path: Path, *, rate_limit: bool = False, rate: str = "standard", **portal_options: Any
) -> AsyncIterator[Env]:
    """A sandbox portal with the app installed into a fresh profile via its ONAPPINSTALL."""
    handler = Handler()
    app = web.Application()
    app.router.add_post(HANDLER_PATH, handler.handle)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    handler.url = f"http://127.0.0.1:{runner.addresses[0][1]}{HANDLER_PATH}"
    responses: list[httpx.Response] = []

    async def record(response: httpx.Response) -> None:
        responses.append(response)

    try:
        async with (
            SandboxPortal(seed=11, rate_limit=rate_limit, **portal_options) as portal,
            httpx.AsyncClient(timeout=10, event_hooks={"response": [record]}) as http,
        ):
            store = ProfileStore(tmp_path / "data", FileSecrets(tmp_path / "secrets.json"))
            store.add(Profile("sandbox", "app", portal.client_id, portal.client_secret, rate=rate))
            await portal.install(handler.url)
            install = await handler.next_event("ONAPPINSTALL")
            assert store.apply_install("sandbox", install["auth"])
            client = PortalClient("sandbox", store, http)
            yield Env(portal, handler, store, client, http, tmp_path / "data", responses)
    finally:
        await runner.cleanup()


@pytest.mark.asyncio
async def test_bindings_in_one_batch_and_a_stale_url_moved(tmp_path: Path) -> None:
    async with installed(tmp_path) as env:
        manager = env.manager(ping=False)
        desired = DesiredStore(env.data_dir, "sandbox")
        for sub in (Subscription("ONCRMDEALADD"), Subscription("ONTASKADD")):
            desired.set(sub, True)
        report = await manager.reconcile()
        assert {(r.event, r.state, r.role) for r in report.rows} == {
            ("ONAPPINSTALL", "foreign", "install"),
            ("ONCRMDEALADD", "bound", ""),
            ("ONTASKADD", "bound", ""),
        }
        install = ("ONAPPINSTALL", env.handler.url)  # the portal's, at the installation path
        assert sorted((b.event, b.handler) for b in env.portal.bindings()) == [
            install,
            ("ONCRMDEALADD", env.handler.url),
            ("ONTASKADD", env.handler.url),
        ]
        await env.portal.fire("ONCRMDEALADD", {"FIELDS": {"ID": "3187"}})
        delivered = await env.handler.next_event("ONCRMDEALADD")
        assert delivered["data"] == {"FIELDS": {"ID": "3187"}}
        # The tunnel URL changed (same secret path, other host): bindings move there.
        new_url = env.handler.url.replace("127.0.0.1", "localhost")
        report = await manager.set_handler_url(new_url)
        assert report.state_of("ONTASKADD") == "stale-moved"
        assert {(b.event, b.handler) for b in env.portal.bindings()} == {
            install,
            ("ONCRMDEALADD", new_url),
            ("ONTASKADD", new_url),
        }
        assert report.install_handler == env.handler.url and report.install_warning
        await manager.unbind_session_bindings()
        assert [(b.event, b.handler) for b in env.portal.bindings()] == [install]
        assert desired.load().wanted == {Subscription("ONCRMDEALADD"), Subscription("ONTASKADD")}


@pytest.mark.asyncio
async def test_refresh_on_expiry_with_rotating_pairs(tmp_path: Path) -> None:
    async with installed(tmp_path) as env:
        first = env.store.get("sandbox")
        env.portal.expire_access_tokens()
        results = await asyncio.gather(*(env.client.call("event.get") for _ in range(5)))
        assert results == [[INSTALL_ROW | {"handler": env.handler.url}]] * 5
        assert env.token_requests() == 1
        second = env.store.get("sandbox")
        assert second.refresh_token != first.refresh_token
        assert second.access_token != first.access_token
        # The next expiry uses the rotated refresh token (the first one is spent).
        env.portal.expire_access_tokens()
        assert len(await env.client.call("event.get")) == 1
        assert env.token_requests() == 2
        assert env.store.get("sandbox").refresh_token not in (
            first.refresh_token,
            second.refresh_token,
        )


@pytest.mark.asyncio
async def test_query_limit_storm_loses_no_call(tmp_path: Path) -> None:
    async with installed(tmp_path, rate_limit=True) as env:
        token = env.store.get("sandbox").access_token
        # Another app on the same portal fills the bucket (threshold 50, spec §5.4).
        for _ in range(60):
            await env.http.post(env.portal.client_endpoint + "event.get", json={"auth": token})
        assert any(r.status_code == 503 for r in env.responses)
        before = len(env.responses)
        events = ["ONCRMDEALADD", "ONCRMDEALUPDATE", "ONCRMLEADADD", "ONTASKADD", "ONTASKUPDATE"]
        results = await asyncio.gather(
            *(
                env.client.call("event.bind", {"event": e, "handler": env.handler.url})
                for e in events
            )
        )
        assert results == [True] * 5
        assert sorted(b.event for b in env.portal.bindings()) == sorted(["ONAPPINSTALL", *events])
        ours = env.responses[before:]
        assert any(r.status_code == 503 for r in ours)  # the storm really hit our calls


@pytest.mark.asyncio
async def test_dead_refresh_token_needs_reauthorization_until_reinstalled(
    tmp_path: Path,
) -> None:
    async with installed(tmp_path) as env:
        env.portal.expire_access_tokens()
        env.portal.revoke_refresh_tokens()
        with pytest.raises(ReauthorizationNeeded, match="invalid_grant"):
            await env.client.call("event.get")
        assert env.client.needs_reauthorization
        await env.portal.install(env.handler.url, update=True)
        update = await env.handler.next_event("ONAPPUPDATE")
        assert env.store.apply_install("sandbox", update["auth"])
        assert [r["event"] for r in await env.client.call("event.get")] == ["ONAPPINSTALL"]
        assert not env.client.needs_reauthorization


@pytest.mark.asyncio
async def test_offline_round_trip(tmp_path: Path) -> None:
    async with installed(tmp_path) as env:
        manager = env.manager(ping=False, min_timeout=0)
        report = await manager.set_wanted("ONCRMDEALUPDATE", "offline")
        assert report.state_of("ONCRMDEALUPDATE", "offline") == "bound"
        assert report.state_of("ONOFFLINEEVENT") == "bound"
        for deal in ("3187", "3188"):
            await env.portal.fire("ONCRMDEALUPDATE", {"FIELDS": {"ID": deal}})
        await env.handler.next_event("ONOFFLINEEVENT")
        queue = OfflineQueue(env.client)
        listed = await queue.list_all()
        assert sorted(r.data["FIELDS"]["ID"] for r in listed) == ["3187", "3188"]
        assert {(r.process_id, r.error) for r in listed} == {("", False)}

        async def handle(records: Sequence[OfflineRecord]) -> list[str]:
            return [r.message_id for r in records if r.data["FIELDS"]["ID"] == "3188"]

        result = await queue.consume_safely(handle)
        assert len(result.records) == 2 and len(result.failed) == 1
        left = await queue.list_all()
        assert [(r.data["FIELDS"]["ID"], r.error, r.process_id) for r in left] == [
            ("3188", True, "")
        ]

        async def succeed(records: Sequence[OfflineRecord]) -> list[str]:
            return []

        retried = await queue.consume_safely(succeed, errors=True)
        assert [r.data["FIELDS"]["ID"] for r in retried.records] == ["3188"]
        assert await queue.list_all() == []


@pytest.mark.asyncio
async def test_ping_round_trip(tmp_path: Path) -> None:
    async with installed(tmp_path) as env:
        report = await env.manager(ping=True).reconcile()
        assert report.state_of("ONAPPTEST") == "bound"
        latency = await ping(env.client, env.handler.wait_for_delivery, within=5)
        assert 0 <= latency < 5
