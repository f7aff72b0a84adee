"""The cases the monitor diagnoses, played by the sandbox: write-back loops, storms, queue lag."""

from __future__ import annotations

import time
from datetime import datetime

import pytest

from b24monitor.sandbox import SandboxPortal

pytestmark = pytest.mark.asyncio


async def a_deal(portal: SandboxPortal) -> int:
    return portal.state.entities.add("deal", {"TITLE": "Поставка"})


async def test_crm_deal_update_fires_ondealupdate_like_the_portal(portal, receiver, installed):
    rest, _ = installed
    deal = await a_deal(portal)
    await rest("event.bind", {"event": "ONCRMDEALUPDATE", "handler": receiver.url})
    status, answer = await rest("crm.deal.update", {"id": deal, "fields": {"TITLE": "Новое"}})
    assert status == 200 and answer["result"] is True
    await portal.drain()
    [update] = receiver.events("ONCRMDEALUPDATE")
    assert update["data"] == {"FIELDS": {"ID": str(deal)}}
    assert portal.state.entities.get("deal", deal)["TITLE"] == "Новое"
    status, answer = await rest("crm.deal.update", {"id": 999999, "fields": {}})
    assert status == 400 and answer["error_description"] == "Not found"


async def test_writing_back_with_a_stored_token_loops_with_the_events_token_it_stops(
    portal, receiver, installed
):
    """Spec §1.1: only the event's own token carries the guard's counter."""
    rest, install_auth = installed
    deal = await a_deal(portal)
    await rest("event.bind", {"event": "ONCRMDEALUPDATE", "handler": receiver.url})
    await rest("crm.deal.update", {"id": deal, "fields": {}})
    for _ in range(12):  # a handler that always writes back with the installer's token
        await portal.drain()
        await rest("crm.deal.update", {"id": deal, "fields": {}})
    await portal.drain()
    assert len(receiver.events("ONCRMDEALUPDATE")) == 13
    receiver.bodies.clear()
    for _ in range(12):  # the same handler using each event's own token
        await portal.drain()
        tokens = [b["auth"]["access_token"] for b in receiver.events("ONCRMDEALUPDATE")]
        await rest("crm.deal.update", {"id": deal, "fields": {}}, token=tokens[-1] if tokens
                   else install_auth["access_token"])  # fmt: skip
    await portal.drain()
    assert len(receiver.events("ONCRMDEALUPDATE")) < 12


async def test_a_storm_is_one_delivery_per_object(portal, receiver, installed, http):
    rest, _ = installed
    await rest("event.bind", {"event": "ONCRMDEALUPDATE", "handler": receiver.url})
    answer = await http.post(
        portal.base_url + "/sandbox/storm", json={"event": "ONCRMDEALUPDATE", "count": 120}
    )
    assert answer.json() == {"fired": 120, "delivered": 120}
    ids = {b["data"]["FIELDS"]["ID"] for b in receiver.events("ONCRMDEALUPDATE")}
    assert len(ids) == 120


async def test_a_delayed_delivery_carries_an_old_ts_and_a_robot_change_no_token(
    portal, receiver, installed, http
):
    rest, _ = installed
    await rest("event.bind", {"event": "ONCRMDEALUPDATE", "handler": receiver.url})
    body = {"event": "ONCRMDEALUPDATE", "data": {"FIELDS": {"ID": "7"}}, "user_id": None,
            "queued_for": 90}  # fmt: skip
    assert (await http.post(portal.base_url + "/sandbox/fire", json=body)).status_code == 200
    [late] = receiver.events("ONCRMDEALUPDATE")
    assert time.time() - int(late["ts"]) >= 90
    assert "access_token" not in late["auth"]
    bad = await http.post(portal.base_url + "/sandbox/fire", json={**body, "queued_for": "x"})
    assert bad.status_code == 400


async def test_a_portal_clock_that_is_off_shows_in_rest_answers_server_time_and_ts(
    portal, receiver, installed
):
    """A self-hosted server without time sync: §5.7's time block and §1.4's ts follow its clock."""
    rest, _ = installed
    await rest("event.bind", {"event": "ONCRMDEALUPDATE", "handler": receiver.url})
    portal.state.edition.clock_offset_s = -600.0
    before = time.time()
    _, answer = await rest("server.time", {})
    assert answer["time"]["start"] < before - 590
    assert datetime.fromisoformat(answer["result"]).timestamp() < before - 590
    await rest("crm.deal.update", {"id": await a_deal(portal), "fields": {}})
    await portal.drain()
    [update] = receiver.events("ONCRMDEALUPDATE")
    assert int(update["ts"]) < before - 590
    portal.state.edition.clock_offset_s = 0.0
    _, answer = await rest("server.time", {})
    assert abs(answer["time"]["start"] - time.time()) < 60  # back in step
