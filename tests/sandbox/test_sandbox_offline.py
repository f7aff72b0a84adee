"""The offline queue: coalescing, get/list/clear/error, pagination, ONOFFLINEEVENT (spec §3)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from b24monitor.sandbox import SandboxPortal

if TYPE_CHECKING:
    pass

pytestmark = pytest.mark.asyncio


async def bind_offline(rest, *events: str) -> None:
    for event in events:
        status, _ = await rest("event.bind", {"event": event, "event_type": "offline"})
        assert status == 200


async def test_rows_coalesce_by_message_id(portal: SandboxPortal, installed):
    rest, _ = installed
    await bind_offline(rest, "ONCRMDEALUPDATE", "ONCRMDEALADD")
    for _ in range(5):
        await portal.fire("ONCRMDEALUPDATE", {"FIELDS": {"ID": "3187"}})
    await portal.fire("ONCRMDEALUPDATE", {"FIELDS": {"ID": "3188"}}, user_id=None)
    await portal.fire("ONCRMDEALADD", {"FIELDS": {"ID": "3187"}})

    _, body = await rest("event.offline.list")

    rows = body["result"]
    assert body["total"] == 3 and "next" not in body
    assert [(r["EVENT_NAME"], r["EVENT_DATA"]["FIELDS"]["ID"]) for r in rows] == [
        ("ONCRMDEALUPDATE", "3187"),
        ("ONCRMDEALUPDATE", "3188"),
        ("ONCRMDEALADD", "3187"),
    ]
    assert rows[1]["EVENT_ADDITIONAL"] == {"user_id": "0"}  # the robot
    assert all(
        len(r["MESSAGE_ID"]) == 32 and r["PROCESS_ID"] == "" and r["ERROR"] == "0" for r in rows
    )


async def test_reserve_read_error_and_clear_round_trip(portal: SandboxPortal, installed):
    rest, _ = installed
    await bind_offline(rest, "ONCRMDEALUPDATE")
    for deal in ("1", "2", "3"):
        await portal.fire("ONCRMDEALUPDATE", {"FIELDS": {"ID": deal}})

    _, body = await rest("event.offline.get", {"clear": 0, "limit": 2})
    process_id = body["result"]["process_id"]
    events = body["result"]["events"]
    assert len(process_id) == 32 and len(events) == 2
    assert "PROCESS_ID" not in events[0] and "ERROR" not in events[0]
    # reserved rows are hidden from the next consumer
    _, other = await rest("event.offline.get", {"clear": 0})
    assert [e["EVENT_DATA"]["FIELDS"]["ID"] for e in other["result"]["events"]] == ["3"]
    # a change during the reservation makes a fresh unreserved row
    await portal.fire("ONCRMDEALUPDATE", {"FIELDS": {"ID": "1"}})
    _, again = await rest("event.offline.get", {"clear": 0, "process_id": process_id})
    assert again["result"]["events"] == events

    failed = events[0]["MESSAGE_ID"]
    assert (await rest("event.offline.error", {"process_id": process_id, "message_id": [failed]}))[
        1
    ]["result"] is True
    assert (await rest("event.offline.clear", {"process_id": process_id}))[1]["result"] is True

    _, listing = await rest("event.offline.list")
    by_error = {(r["EVENT_DATA"]["FIELDS"]["ID"], r["ERROR"]) for r in listing["result"]}
    assert by_error == {("1", "1"), ("3", "0")}  # error row kept, its fresh twin removed
    _, errors = await rest("event.offline.get", {"error": 1})
    assert [e["MESSAGE_ID"] for e in errors["result"]["events"]] == [failed]
    assert errors["result"]["process_id"] is None  # clear=1 takes and deletes


async def test_get_defaults_to_take_and_delete(portal: SandboxPortal, installed):
    rest, _ = installed
    await bind_offline(rest, "ONTASKADD")
    await portal.fire("ONTASKADD", {"FIELDS_BEFORE": "undefined", "FIELDS_AFTER": {"ID": "905"}})
    _, body = await rest("event.offline.get")
    assert body["result"]["process_id"] is None
    assert body["result"]["events"][0]["EVENT_DATA"]["FIELDS_BEFORE"] == "undefined"
    assert (await rest("event.offline.list"))[1]["total"] == 0


async def test_filters_order_and_pagination(portal: SandboxPortal, installed):
    rest, _ = installed
    await bind_offline(rest, "ONCRMLEADADD", "ONCRMCONTACTADD")
    for n in range(60):
        await portal.fire("ONCRMLEADADD", {"FIELDS": {"ID": str(n)}})
    await portal.fire("ONCRMCONTACTADD", {"FIELDS": {"ID": "1"}})

    _, first = await rest("event.offline.list")
    assert (len(first["result"]), first["total"], first["next"]) == (50, 61, 50)
    _, second = await rest("event.offline.list", {"start": first["next"]})
    assert len(second["result"]) == 11 and "next" not in second
    _, contacts = await rest("event.offline.list", {"filter": {"=EVENT_NAME": "onCrmContactAdd"}})
    assert contacts["total"] == 1
    _, newest = await rest(
        "event.offline.get",
        {"clear": 0, "limit": 1, "order": {"ID": "DESC"}, "filter": {">=ID": 10}},
    )
    assert newest["result"]["events"][0]["EVENT_NAME"] == "ONCRMCONTACTADD"


@pytest.mark.parametrize(
    ("method", "params", "argument"),
    [
        ("event.offline.get", {"limit": 0}, "LIMIT"),
        ("event.offline.get", {"filter": {"ID": [1, 2]}}, "FILTER"),
        ("event.offline.clear", {}, "PROCESS_ID"),
        ("event.offline.clear", {"process_id": "x", "message_id": "short"}, "MESSAGE_ID"),
        ("event.offline.clear", {"process_id": "x", "id": ["-1"]}, "ID"),
        ("event.offline.error", {"process_id": "x"}, "MESSAGE_ID"),
    ],
)
async def test_offline_argument_errors(installed, method, params, argument):
    rest, _ = installed
    status, body = await rest(method, params)
    assert (status, body["error"], body["argument"]) == (400, "ERROR_ARGUMENT", argument)


async def test_onofflineevent_respects_min_timeout(portal, receiver, installed):
    rest, _ = installed
    await bind_offline(rest, "ONCRMDEALADD")
    await rest(
        "event.bind",
        {"event": "ONOFFLINEEVENT", "handler": receiver.url, "options": {"minTimeout": 60}},
    )
    for n in range(3):
        await portal.fire("ONCRMDEALADD", {"FIELDS": {"ID": str(n)}})
    signals = receiver.events("ONOFFLINEEVENT")
    assert len(signals) == 1  # later ones suppressed within 60 s
    assert "data" not in signals[0]  # empty data vanishes on the wire (spec §1.3)
    assert signals[0]["auth"]["refresh_token"]


async def test_onofflineevent_zero_timeout_signals_every_hit(portal, receiver, installed):
    rest, _ = installed
    await bind_offline(rest, "ONCRMDEALADD")
    await rest(
        "event.bind",
        {"event": "ONOFFLINEEVENT", "handler": receiver.url, "options": {"minTimeout": 0}},
    )
    for n in range(3):
        await portal.fire("ONCRMDEALADD", {"FIELDS": {"ID": str(n)}})
    assert len(receiver.events("ONOFFLINEEVENT")) == 3


async def test_connector_partitions(portal, installed):
    rest, _ = installed
    await rest(
        "event.bind", {"event": "ONCRMDEALADD", "event_type": "offline", "auth_connector": "erp"}
    )
    await portal.fire("ONCRMDEALADD", {"FIELDS": {"ID": "1"}})
    assert (await rest("event.offline.list"))[1]["total"] == 0
    assert (await rest("event.offline.list", {"auth_connector": "erp"}))[1]["total"] == 1
