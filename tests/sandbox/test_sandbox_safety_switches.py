"""The sandbox behaviours the safety net is tested against: twins, a dead handler, app updates."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from aiohttp import web

from b24monitor.sandbox import SandboxPortal


async def handler() -> tuple[web.AppRunner, str, list[bytes]]:
    got: list[bytes] = []

    async def take(request: web.Request) -> web.Response:
        got.append(await request.read())
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/h", take)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}/h", got


@pytest.mark.asyncio
async def test_online_and_offline_twins_both_see_one_change_and_a_dead_handler_gets_nothing() -> (
    None
):
    runner, url, got = await handler()
    try:
        async with SandboxPortal(rate_limit=False) as portal:
            await portal.install(url)
            portal.state.registry.bind("ONCRMDEALUPDATE", handler=url, owner=portal.client_id)
            portal.state.registry.bind("ONCRMDEALUPDATE", offline=True, owner=portal.client_id)
            [post] = await portal.fire("ONCRMDEALUPDATE", {"FIELDS": {"ID": "7"}})
            assert post.ok and len(portal.state.queue) == 1  # both the POST and the row

            async with httpx.AsyncClient() as client:
                dead = await client.post(portal.base_url + "/sandbox/dead-handler?on=1")
                assert dead.json() == {"result": True}
                before = len(got)
                [lost] = await portal.fire("ONCRMDEALUPDATE", {"FIELDS": {"ID": "8"}})
                assert (lost.status, len(got)) == (None, before)  # logged, dropped, not sent
                assert "dead" in (lost.error or "")
                assert len(portal.state.queue) == 2  # the twin still queues the change
                await client.post(portal.base_url + "/sandbox/dead-handler?on=0")
                [back] = await portal.fire("ONCRMDEALUPDATE", {"FIELDS": {"ID": "9"}})
                assert back.ok

                update = await client.post(portal.base_url + "/sandbox/simulate-app-update")
                assert update.json() == {"result": True}
            assert portal.bindings() == []  # every handler of the app is gone (spec §1.1)
            records: Any = await portal.fire("ONCRMDEALUPDATE", {"FIELDS": {"ID": "10"}})
            assert records == [] and len(portal.state.queue) == 3
    finally:
        await runner.cleanup()
