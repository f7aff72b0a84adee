"""`listen --forward-to` end to end: a real subprocess forwards to a real handler after each 200.

Skipped until `listen` has the --forward-to flag (the wiring into session/headless/listen).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from aiohttp import web

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.mark.asyncio
async def test_listen_forwards_each_event_and_prints_the_attempt(
    monitor: Any, make_delivery: Callable[..., bytes]
) -> None:
    got: list[tuple[bytes, str]] = []

    async def handle(request: web.Request) -> web.Response:
        got.append((await request.read(), request.headers["X-B24Monitor-Event-Id"]))
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hook", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    target = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    try:
        m = monitor("--forward-to", target)
        hello = await asyncio.to_thread(m.next_of_type, "listening")
        bodies = [make_delivery(data={"FIELDS": {"ID": str(i)}}) for i in range(3)]
        async with httpx.AsyncClient() as client:
            for body in bodies:
                response = await client.post(hello["handler_url"], content=body, headers=FORM)
                assert response.status_code == 200
        lines = [await asyncio.to_thread(m.next_of_type, "forward") for _ in bodies]
    finally:
        await runner.cleanup()
    assert [(line["event_id"], line["status"], line["target"]) for line in lines] == [
        (1, 200, target), (2, 200, target), (3, 200, target),
    ]  # fmt: skip
    assert got == [(body, str(i)) for i, body in enumerate(bodies, start=1)]
