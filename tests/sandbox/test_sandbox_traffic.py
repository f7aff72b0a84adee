"""TrafficGenerator: a realistic mix at a rate, and a burst of 500 with every delivery made once."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from typing import TYPE_CHECKING

import httpx
import pytest

from b24monitor.sandbox import SandboxPortal, TrafficGenerator

if TYPE_CHECKING:
    pass

pytestmark = pytest.mark.asyncio

MIX = (
    "ONCRMDEALADD",
    "ONCRMDEALUPDATE",
    "ONCRMLEADADD",
    "ONCRMCONTACTADD",
    "ONCRMCOMPANYADD",
    "ONTASKADD",
    "ONTASKUPDATE",
    "ONCALENDARENTRYADD",
    "ONUSERADD",
    "ONCRMDYNAMICITEMADD_1032",
)


async def bind_all(rest, url: str, events=MIX) -> None:
    for event in events:
        status, _ = await rest("event.bind", {"event": event, "handler": url})
        assert status == 200, event


async def test_rate_produces_a_realistic_mix(portal: SandboxPortal, receiver, installed):
    rest, _ = installed
    await bind_all(rest, receiver.url)
    generator = TrafficGenerator(portal, rate=200, seed=1)

    started = time.monotonic()
    fired = await generator.run(count=150)
    elapsed = time.monotonic() - started

    assert fired == 150 == len(receiver.bodies)
    assert elapsed > 0.3  # paced: 150 events at 200/s cannot all go out at once (~0.75 s)
    seen = Counter(b["event"] for b in receiver.bodies)
    assert set(seen) <= set(MIX) and len(seen) >= 6
    assert seen["ONCRMDEALUPDATE"] > seen["ONUSERADD"]  # updates are common, hires rare
    robots = [b for b in receiver.bodies if "access_token" not in b["auth"]]
    assert robots  # robots and workflows change CRM items and tasks, never hire or plan
    assert not {b["event"] for b in robots} & {"ONUSERADD", "ONCALENDARENTRYADD", "ONTASKADD"}
    tasks = [b for b in receiver.bodies if b["event"] == "ONTASKADD"]
    assert tasks and tasks[0]["data"]["FIELDS_BEFORE"] == "undefined"
    smart = [b for b in receiver.bodies if b["event"] == "ONCRMDYNAMICITEMADD_1032"]
    assert smart and smart[0]["data"]["FIELDS"]["ENTITY_TYPE_ID"] == "1032"


async def test_objects_behind_events_are_readable_with_cyrillic_titles(portal, receiver, installed):
    rest, _ = installed
    await bind_all(rest, receiver.url, ("ONCRMDEALADD",))
    await TrafficGenerator(portal, seed=5).burst(3)
    deal_id = receiver.bodies[0]["data"]["FIELDS"]["ID"]
    _, body = await rest("crm.deal.get", {"id": deal_id})
    title = body["result"]["TITLE"]
    assert any("а" <= ch <= "я" for ch in title.lower())
    status, missing = await rest("crm.deal.get", {"id": 1})
    assert (status, missing["error_description"]) == (400, "Not found")


async def test_only_bound_events_are_generated(portal: SandboxPortal, receiver, installed):
    rest, _ = installed
    assert await TrafficGenerator(portal).burst(10) == 0
    await bind_all(rest, receiver.url, ("ONTASKADD",))
    await rest("event.bind", {"event": "ONCRMLEADUPDATE", "event_type": "offline"})
    generator = TrafficGenerator(portal, seed=2)
    assert await generator.burst(40) == 40
    assert set(generator.fired) == {"ONTASKADD", "ONCRMLEADUPDATE"}
    assert len(receiver.bodies) == generator.fired["ONTASKADD"]
    _, listing = await rest("event.offline.list")
    assert listing["total"] >= 1


async def test_run_waits_while_nothing_is_bound(portal: SandboxPortal):
    assert await TrafficGenerator(portal, rate=50).run(duration=0.3) == 0


async def test_burst_of_500_all_delivered(portal: SandboxPortal, receiver, installed):
    rest, _ = installed
    await bind_all(rest, receiver.url)
    generator = TrafficGenerator(portal, seed=3)

    fired = await generator.burst(500, concurrency=50)

    assert fired == 500
    assert len(receiver.bodies) == 500
    log = [r for r in portal.delivery_log if r.event != "ONAPPINSTALL"]
    assert len(log) == 500 and all(r.ok for r in log)


async def test_burst_failures_are_not_retried(portal: SandboxPortal, receiver, installed):
    rest, _ = installed
    await bind_all(rest, receiver.url, ("ONCRMDEALUPDATE",))
    receiver.status = 503
    await TrafficGenerator(portal, seed=4).burst(100, concurrency=20)
    assert len(receiver.bodies) == 100  # one attempt each
    log = [r for r in portal.delivery_log if r.event == "ONCRMDEALUPDATE"]
    assert len(log) == 100 and {r.status for r in log} == {503}


async def test_control_endpoints(portal: SandboxPortal, receiver, http: httpx.AsyncClient):
    info = (await http.get(f"{portal.base_url}/sandbox/")).json()
    assert info["client_id"] == portal.client_id and info["token_url"] == portal.token_url
    installed = await http.post(
        f"{portal.base_url}/sandbox/install", params={"handler": receiver.url}
    )
    assert installed.json()["status"] == 200
    token = receiver.bodies[0]["auth"]["access_token"]
    await http.post(
        portal.client_endpoint + "event.bind",
        data={"auth": token, "event": "ONCRMDEALADD", "handler": receiver.url},
    )
    fired = await http.post(
        f"{portal.base_url}/sandbox/fire",
        json={"event": "ONCRMDEALADD", "data": {"FIELDS": {"ID": "9"}}, "user_id": None},
    )
    assert [r["status"] for r in fired.json()] == [200]
    assert set(receiver.bodies[-1]["auth"]) == {
        "domain",
        "client_endpoint",
        "server_endpoint",
        "member_id",
        "application_token",
    }
    await http.post(f"{portal.base_url}/sandbox/expire-tokens")
    expired = await http.get(portal.client_endpoint + "event.get", params={"auth": token})
    assert expired.json()["error"] == "expired_token"
    log = (await http.get(f"{portal.base_url}/sandbox/deliveries")).json()
    assert [r["event"] for r in log] == ["ONAPPINSTALL", "ONCRMDEALADD"]


async def test_run_sandbox_serves_until_cancelled(receiver, http: httpx.AsyncClient):
    from b24monitor.sandbox import run_sandbox

    lines: list[str] = []
    started: asyncio.Future[SandboxPortal] = asyncio.get_running_loop().create_future()
    task = asyncio.get_running_loop().create_task(
        run_sandbox(
            traffic_rate=100,
            rate_limit=False,
            install_url=receiver.url,
            out=lines.append,
            ready=started.set_result,
            seed=1,
        )
    )
    portal = await asyncio.wait_for(started, 5)
    await receiver.wait_for(1)
    token = receiver.bodies[0]["auth"]["access_token"]
    await http.post(
        portal.client_endpoint + "event.bind",
        data={"auth": token, "event": "ONCRMDEALUPDATE", "handler": receiver.url},
    )
    await receiver.wait_for(4)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert "portal add sandbox --client-id" in lines[0] and portal.client_secret in lines[0]
    assert receiver.bodies[-1]["event"] == "ONCRMDEALUPDATE"
