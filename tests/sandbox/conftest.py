"""Fixtures for sandbox tests: a running portal, a loopback handler that records deliveries, and
a small REST client — all over real HTTP."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest_asyncio
from aiohttp import web

from b24monitor.core.phpform import build_form, parse_form
from b24monitor.sandbox import SandboxPortal


@dataclass
class Receiver:
    """A tiny aiohttp handler on loopback that stores every delivery it gets."""

    status: int = 200
    bodies: list[dict[str, Any]] = field(default_factory=list)
    raw: list[tuple[str, bytes]] = field(default_factory=list)  # (content type, body)
    url: str = ""
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.raw.append((request.headers.get("Content-Type", ""), body))
        self.bodies.append(parse_form(body))
        self.arrived.set()
        return web.Response(status=self.status, text="ok")

    def events(self, code: str) -> list[dict[str, Any]]:
        return [b for b in self.bodies if b.get("event") == code]

    async def wait_for(self, count: int, within: float = 5.0) -> None:
        async def until() -> None:
            while len(self.bodies) < count:
                self.arrived.clear()
                await self.arrived.wait()

        await asyncio.wait_for(until(), within)


@pytest_asyncio.fixture
async def receiver() -> AsyncIterator[Receiver]:
    rec = Receiver()
    app = web.Application()
    app.router.add_post("/hook/{tail:.*}", rec.handle)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    rec.url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook/events"
    yield rec
    await runner.cleanup()


@pytest_asyncio.fixture
async def portal() -> AsyncIterator[SandboxPortal]:
    async with SandboxPortal(seed=7, rate_limit=False) as p:
        yield p


@pytest_asyncio.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as client:
        yield client


@dataclass
class Rest:
    """Calls the sandbox REST API like an app would: POST form by default."""

    http: httpx.AsyncClient
    endpoint: str
    token: str

    async def __call__(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        as_json: bool = False,
        get: bool = False,
    ) -> tuple[int, dict[str, Any]]:
        payload = dict(params or {})
        payload["auth"] = self.token if token is None else token
        url = self.endpoint + method
        if get:
            response = await self.http.get(url + "?" + build_form(payload))
        elif as_json:
            response = await self.http.post(url, json=payload)
        else:
            headers = {"Content-Type": "application/x-www-form-urlencoded"}
            response = await self.http.post(url, content=build_form(payload), headers=headers)
        return response.status_code, json.loads(response.content)


@pytest_asyncio.fixture
async def installed(
    portal: SandboxPortal, receiver: Receiver, http: httpx.AsyncClient
) -> tuple[Rest, dict[str, Any]]:
    """The app installed (ONAPPINSTALL went to the receiver) and a REST client with its token."""
    record = await portal.install(receiver.url)
    assert record.ok
    auth = receiver.events("ONAPPINSTALL")[0]["auth"]
    receiver.bodies.clear()
    return Rest(http, portal.client_endpoint, auth["access_token"]), auth
