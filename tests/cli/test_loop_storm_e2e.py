"""Loops and storms end to end: sandbox portal, `listen --portal … --json`, a real forward target.

The forward target is a handler of the kind that loops on a real portal: on every
ONCRMDEALUPDATE it writes the deal back through the portal's REST API with a stored token, so
the portal's guard never stops it (spec §1.1); the loop alert must come by the 5th delivery.
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web
from cli_run import cli

from b24monitor.core.phpform import parse_form
from b24monitor.sandbox import SandboxPortal

MAX_WRITES = 12  # the handler gives up at some point, so a failing test still ends


@pytest.fixture(autouse=True)
def private_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


async def start_listen(portal: SandboxPortal, data: Path, monitor: Any, *args: str) -> Any:
    added = await asyncio.to_thread(
        cli,
        data,
        "portal",
        "add",
        "acme",
        "--client-id",
        portal.client_id,
        "--client-secret",
        portal.client_secret,
    )
    assert added.returncode == 0, added.stderr  # fmt: skip
    m = monitor("--portal", "acme", "--bind", "ONCRMDEALUPDATE", *args)
    hello = await asyncio.to_thread(m.next_json)
    m.handler_url = hello["handler_url"]
    await portal.install(hello["handler_url"])
    while (await asyncio.to_thread(m.next_of_type, "bound"))["event"] != "ONCRMDEALUPDATE":
        pass
    return m


async def next_of_type(m: Any, kind: str) -> dict[str, Any]:
    return await asyncio.to_thread(m.next_of_type, kind, 30.0)


@pytest.mark.asyncio
async def test_a_handler_that_writes_back_raises_one_loop_alert_by_the_fifth_delivery(
    tmp_path: Path, monitor: Any
) -> None:
    async with SandboxPortal(rate_limit=False, seed=11) as portal, httpx.AsyncClient() as http:
        deal = portal.state.entities.add("deal", {"TITLE": "Поставка"})
        stored_token = portal.issue_tokens()["access_token"]  # saved at install, not the event's
        writes = 0

        async def handler(request: web.Request) -> web.Response:
            nonlocal writes
            body = parse_form(await request.read())
            if body.get("event") == "ONCRMDEALUPDATE" and writes < MAX_WRITES:
                writes += 1
                await http.post(portal.client_endpoint + "crm.deal.update", json={
                    "auth": stored_token, "id": body["data"]["FIELDS"]["ID"],
                    "fields": {"COMMENTS": "synced"}})  # fmt: skip
            return web.Response(text="ok")

        app = web.Application()
        app.router.add_post("/hook", handler)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        target = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
        try:
            m = await start_listen(portal, tmp_path / "data", monitor, "--forward-to", target)
            await portal.fire("ONCRMDEALUPDATE", {"FIELDS": {"ID": str(deal)}})
            updates: list[dict[str, Any]] = []
            alert = None
            while alert is None or len(updates) < 5:
                line = await asyncio.to_thread(m.next_json, 30.0)
                if line["type"] == "event" and line["event"] == "ONCRMDEALUPDATE":
                    updates.append(line)
                if line["type"] == "alert":
                    assert alert is None, "one alert per object"
                    assert len(updates) <= 5, "the alert came after the 5th delivery"
                    alert = line
            assert alert["kind"] == "loop"
            assert (alert["event"], alert["entity_id"], alert["count"]) == (
                "ONCRMDEALUPDATE", str(deal), 5)  # fmt: skip
            assert alert["event_ids"] == [u["id"] for u in updates[:5]]
            assert alert["reason"] == "forwarded" and "compare FIELDS" in alert["advice"]
            later = await next_of_type(m, "event")  # the loop goes on: later events are flagged
            assert "loop" in [f["code"] for f in later["findings"]]
            assert writes >= 5
            m.proc.send_signal(signal.SIGTERM)
            assert await asyncio.to_thread(m.proc.wait, 30) == 0
            exported = await asyncio.to_thread(cli, tmp_path / "data", "export", "--format",
                                               "jsonl", "--filter", "finding:loop")  # fmt: skip
            assert len(exported.stdout.splitlines()) >= 5
        finally:
            await runner.cleanup()


@pytest.mark.asyncio
async def test_a_storm_of_500_events_raises_exactly_one_storm_alert(
    tmp_path: Path, monitor: Any
) -> None:
    async with SandboxPortal(rate_limit=False, seed=12) as portal, httpx.AsyncClient() as http:
        m = await start_listen(portal, tmp_path / "data", monitor)
        answer = await http.post(portal.base_url + "/sandbox/storm", timeout=120,
                                 json={"event": "ONCRMDEALUPDATE", "count": 500})  # fmt: skip
        assert answer.json()["delivered"] == 500
        alerts = []
        events = 0
        while not alerts:
            line = await asyncio.to_thread(m.next_json, 60.0)
            events += line["type"] == "event"
            if line["type"] == "alert":
                alerts.append(line)
        assert events == 500
        assert (alerts[0]["kind"], alerts[0]["event"], alerts[0]["count"]) == (
            "storm", "ONCRMDEALUPDATE", 500)  # fmt: skip
        m.proc.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(m.proc.wait, 30) == 0
        rest = []
        while (line := m._lines.get(timeout=5)) is not None:
            rest.append(line)
        assert not any('"type": "alert"' in line for line in rest)  # exactly one


@pytest.mark.asyncio
async def test_forged_updates_are_no_storm_of_the_portals(
    tmp_path: Path, monitor: Any, make_delivery: Any
) -> None:
    """500 forged updates (✖, a wrong token for the portal) are refused and listed, but they
    are not the portal's traffic: the genuine storm that follows is one storm of 500, and no
    alert comes before it."""
    async with SandboxPortal(rate_limit=False, seed=13) as portal, httpx.AsyncClient() as http:
        m = await start_listen(portal, tmp_path / "data", monitor)
        forged = make_delivery(member_id=portal.member_id, token="f" * 32)
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        for _ in range(500):
            answer = await http.post(m.handler_url, content=forged, headers=headers, timeout=60)
            assert answer.status_code == 403
        answer = await http.post(portal.base_url + "/sandbox/storm", timeout=120,
                                 json={"event": "ONCRMDEALUPDATE", "count": 500})  # fmt: skip
        assert answer.json()["delivered"] == 500
        refused = genuine = 0
        alert = None
        while alert is None:
            line = await asyncio.to_thread(m.next_json, 60.0)
            if line["type"] == "event":
                refused += line["status"] == "rejected"
                genuine += line["status"] == "ok"
            elif line["type"] == "alert":
                alert = line
        assert (refused, genuine) == (500, 500)  # the alert came after all of them
        assert (alert["kind"], alert["event"], alert["count"]) == ("storm", "ONCRMDEALUPDATE", 500)
        m.proc.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(m.proc.wait, 30) == 0
