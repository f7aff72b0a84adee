"""fire(): online deliveries with and without tokens, variants, event.test, failures (spec §1)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from b24monitor.sandbox import SandboxPortal

if TYPE_CHECKING:
    pass

pytestmark = pytest.mark.asyncio

ROBOT_AUTH_KEYS = {"domain", "client_endpoint", "server_endpoint", "member_id", "application_token"}


async def test_user_change_carries_a_fresh_token(portal: SandboxPortal, receiver, installed):
    rest, install_auth = installed
    await rest("event.bind", {"event": "ONCRMDEALUPDATE", "handler": receiver.url})

    records = await portal.fire("ONCRMDEALUPDATE", {"FIELDS": {"ID": "3187"}}, user_id=12)

    assert [r.ok for r in records] == [True]
    body = receiver.bodies[0]
    assert body["event"] == "ONCRMDEALUPDATE"
    assert body["event_handler_id"] == str(records[0].handler_id)
    assert body["data"] == {"FIELDS": {"ID": "3187"}}
    auth = body["auth"]
    assert auth["user_id"] == "12" and auth["access_token"] != install_auth["access_token"]
    assert "refresh_token" not in auth  # only flagged events carry it (spec §1.4)
    assert auth["application_token"] == portal.application_token
    # the token is real: the app can call REST with it as user 12
    status, profile = await rest("profile", token=auth["access_token"])
    assert status == 200 and profile["result"]["ID"] == "12"


async def test_robot_change_carries_no_tokens(portal: SandboxPortal, receiver, installed):
    rest, _ = installed
    await rest("event.bind", {"event": "ONCRMDEALUPDATE", "handler": receiver.url})

    await portal.fire("ONCRMDEALUPDATE", {"FIELDS": {"ID": "3187"}}, user_id=None)

    assert set(receiver.bodies[0]["auth"]) == ROBOT_AUTH_KEYS


async def test_auth_type_binding_gets_tokens_even_for_robots(portal, receiver, installed):
    rest, _ = installed
    await rest("event.bind", {"event": "ONCRMLEADADD", "handler": receiver.url, "auth_type": 7})
    await portal.fire("ONCRMLEADADD", {"FIELDS": {"ID": "1"}}, user_id=None)
    assert receiver.bodies[0]["auth"]["user_id"] == "7"


async def test_smart_process_fires_generic_and_typed_variant(portal, receiver, installed):
    rest, _ = installed
    await rest("event.bind", {"event": "ONCRMDYNAMICITEMADD", "handler": receiver.url})
    await rest("event.bind", {"event": "ONCRMDYNAMICITEMADD_1032", "handler": receiver.url})
    data = {"FIELDS": {"ID": "22", "ENTITY_TYPE_ID": "1032"}}

    records = await portal.fire("ONCRMDYNAMICITEMADD", data)

    assert len(records) == 2
    assert sorted(b["event"] for b in receiver.bodies) == [
        "ONCRMDYNAMICITEMADD",
        "ONCRMDYNAMICITEMADD_1032",
    ]
    assert all(b["data"] == data for b in receiver.bodies)


async def test_cyrillic_and_lists_survive_the_php_form(portal, receiver, installed):
    rest, _ = installed
    await rest("event.bind", {"event": "ONUSERADD", "handler": receiver.url})
    data = {"ID": "31", "NAME": "Мария", "LAST_NAME": "Иванова", "UF_DEPARTMENT": ["1", "3"]}
    await portal.fire("ONUSERADD", data)
    assert receiver.bodies[0]["data"] == data


async def test_event_test_echoes_query_in_onapptest(portal, receiver, installed):
    rest, _ = installed
    await rest("event.bind", {"event": "ONAPPTEST", "handler": receiver.url})

    status, body = await rest("event.test", {"ping": "Привет", "n": "1"})
    await portal.drain()

    assert (status, body["result"]) == (200, 1)
    test = receiver.events("ONAPPTEST")[0]
    assert test["data"] == {"QUERY": {"ping": "Привет", "n": "1"}, "LANGUAGE_ID": "en"}
    assert test["auth"]["refresh_token"]  # ONAPPTEST is flagged "send refresh token"


async def test_event_chains_stop(portal, receiver, installed):
    """A handler that calls event.test on every ONAPPTEST stops after a few levels (§1.1)."""
    rest, _ = installed
    await rest("event.bind", {"event": "ONAPPTEST", "handler": receiver.url})
    await rest("event.test")
    for _ in range(10):
        await portal.drain()
        tokens = [b["auth"]["access_token"] for b in receiver.events("ONAPPTEST")]
        for token in tokens[len(tokens) - 1 :]:
            await rest("event.test", token=token)
    await portal.drain()
    assert 1 < len(receiver.events("ONAPPTEST")) <= 3


async def test_failed_deliveries_are_logged_and_dropped(portal, receiver, installed):
    rest, _ = installed
    await rest("event.bind", {"event": "ONTASKADD", "handler": receiver.url})
    await rest("event.bind", {"event": "ONTASKADD", "handler": "http://127.0.0.1:9/down"})
    receiver.status = 500

    records = await portal.fire("ONTASKADD", {"FIELDS_AFTER": {"ID": "1"}})

    by_url = {r.url: r for r in records}
    assert by_url[receiver.url].status == 500 and not by_url[receiver.url].ok
    down = by_url["http://127.0.0.1:9/down"]
    assert down.status is None and down.error and down.latency >= 0
    assert len(receiver.bodies) == 1  # no retry
    assert set(portal.delivery_log[-2:]) == set(records)


async def test_nothing_is_sent_before_install(portal: SandboxPortal):
    assert await portal.fire("ONCRMDEALADD", {"FIELDS": {"ID": "1"}}) == []
