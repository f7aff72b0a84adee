"""Bitrix24's official Python SDK (`b24pysdk`) as a real client of the sandbox portal.

The SDK refreshes the token, binds, lists and unbinds events, reads the offline queue, runs a
batch and pages lists against the sandbox exactly as against a portal, and its own event parser
reads the sandbox's deliveries — ONAPPINSTALL included, which it refuses without an
`event_handler_id` (so the install must come through a registration, spec §1.4, §5.2).

The SDK is synchronous (`requests`): its calls run in a worker thread while the sandbox serves on
this test's loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import parse_qsl

import pytest

# A dev extra (pyproject.toml): `pip install -e '.[dev]'` brings it.
from b24pysdk import BitrixApp, BitrixToken, Client
from b24pysdk.api.callers.call_method import _MethodCaller
from b24pysdk.api.requesters.bitrix_oauth_requester import BitrixOAuthRequester
from b24pysdk.credentials.oauth_event_data import OAuthEventData

from b24monitor.sandbox import SandboxPortal

if TYPE_CHECKING:
    from tests.sandbox.conftest import Receiver

pytestmark = pytest.mark.asyncio
T = TypeVar("T")


@pytest.fixture(autouse=True)
def sdk_urls(portal: SandboxPortal, monkeypatch: pytest.MonkeyPatch) -> None:
    # Only the SDK's URL building is patched: it writes `https://<hostname>/rest` (the port of
    # `client_endpoint` is dropped by `Auth.portal_domain`) and sends OAuth to the cloud's
    # oauth.bitrix24.tech; the sandbox serves plain http on loopback ports.
    monkeypatch.setattr(_MethodCaller, "_base_url", property(lambda _: f"{portal.base_url}/rest"))
    monkeypatch.setattr(BitrixOAuthRequester, "_OAUTH_TOKEN_URL", portal.token_url)


def sdk_event(receiver: Receiver, code: str) -> OAuthEventData:
    """The delivery as a web framework hands it to a handler (flat `auth[member_id]` keys),
    parsed by the SDK's own event parser."""
    for _, raw in receiver.raw:
        form = dict(parse_qsl(raw.decode()))
        if form.get("event") == code:
            return OAuthEventData.from_dict(form)
    raise AssertionError(f"no {code} delivery among {len(receiver.raw)}")


async def in_thread(call: Callable[[], T]) -> T:
    return await asyncio.to_thread(call)


async def installed_client(portal: SandboxPortal, receiver: Receiver) -> tuple[Any, Any]:
    """Install the app; the SDK parses ONAPPINSTALL and builds its token from it."""
    record = await portal.install(receiver.url)
    assert record.ok
    install = sdk_event(receiver, "ONAPPINSTALL")
    assert install.event_handler_id == record.handler_id
    app = BitrixApp(client_id=portal.client_id, client_secret=portal.client_secret)
    token = BitrixToken.from_oauth_event_data(install, bitrix_app=app)
    return Client(token), token


async def test_the_install_delivery_parses_with_the_sdk_event_parser(
    portal: SandboxPortal, receiver: Receiver
) -> None:
    record = await portal.install(receiver.url)
    event = sdk_event(receiver, "ONAPPINSTALL")
    assert event.event == "ONAPPINSTALL" and event.event_handler_id == record.handler_id
    assert event.auth.member_id == portal.member_id
    assert event.auth.application_token == portal.application_token
    assert not event.is_system and event.auth.oauth_token is not None
    assert event.auth.oauth_token.refresh_token  # installs carry a refresh token (§1.4)
    assert event.data == {"VERSION": "1", "ACTIVE": "Y", "INSTALLED": "Y", "LANGUAGE_ID": "en"}


async def test_first_calls_of_a_client_and_an_expired_token_refreshed(
    portal: SandboxPortal, receiver: Receiver
) -> None:
    client, token = await installed_client(portal, receiver)
    me = await in_thread(lambda: client.user.current().result)
    assert me["ID"] == "1" and me["NAME"] == "Анна"
    server_time = await in_thread(lambda: client.server.time().result)
    assert datetime.fromisoformat(server_time).tzinfo is not None
    known = await in_thread(lambda: client.method.get("crm.deal.list").result)
    assert (known["isExisting"], known["isAvailable"]) == (True, True)
    unknown = await in_thread(lambda: client.method.get("sale.order.list").result)
    assert unknown["isExisting"] is False

    first_refresh = token.refresh_token
    portal.expire_access_tokens()
    rows = await in_thread(lambda: token.call_method("event.get")["result"])
    assert [r["event"] for r in rows] == ["ONAPPINSTALL"]  # the portal's own registration
    assert token.refresh_token != first_refresh  # the SDK refreshed on expired_token


async def test_bind_get_unbind_and_a_delivery_the_sdk_parses(
    portal: SandboxPortal, receiver: Receiver
) -> None:
    client, _ = await installed_client(portal, receiver)
    bound = await in_thread(lambda: client.event.bind("ONCRMDEALADD", receiver.url).result)
    assert bound is True
    handlers = await in_thread(lambda: client.event.get().response.result)
    assert {(h["event"], h["handler"]) for h in handlers} == {
        ("ONAPPINSTALL", receiver.url),
        ("ONCRMDEALADD", receiver.url),
    }
    await portal.fire("ONCRMDEALADD", {"FIELDS": {"ID": "3187"}})
    event = sdk_event(receiver, "ONCRMDEALADD")
    deal_row = next(b for b in portal.bindings() if b.event == "ONCRMDEALADD")
    assert event.event_handler_id == deal_row.id
    assert event.data == {"FIELDS": {"ID": "3187"}} and event.auth.user_id == 1
    count = await in_thread(lambda: client.event.unbind("ONCRMDEALADD", receiver.url).result)
    assert count == {"count": 1}
    assert [b.event for b in portal.bindings()] == ["ONAPPINSTALL"]


async def test_offline_queue_and_batch(portal: SandboxPortal, receiver: Receiver) -> None:
    client, token = await installed_client(portal, receiver)
    await in_thread(lambda: client.event.bind("ONCRMDEALUPDATE", event_type="offline").result)
    for deal in ("1", "2", "3"):
        await portal.fire("ONCRMDEALUPDATE", {"FIELDS": {"ID": deal}})
    listed = await in_thread(lambda: token.call_method("event.offline.list")["result"])
    assert [row["EVENT_NAME"] for row in listed] == ["ONCRMDEALUPDATE"] * 3
    got = await in_thread(lambda: client.event.offline.get(clear=False).response.result)
    assert len(got["events"]) == 3 and got["process_id"]
    cleared = await in_thread(
        lambda: token.call_method("event.offline.clear", {"process_id": got["process_id"]})
    )
    assert cleared["result"] is True
    assert await in_thread(lambda: token.call_method("event.offline.list")["result"]) == []

    answer = await in_thread(
        lambda: token.call_batch(
            {
                "me": ("user.current", None),
                "rows": ("event.get", None),
                "bad": ("event.bind", {"event": "ONNOSUCHEVENT", "handler": receiver.url}),
            }
        )
    )
    result = answer["result"]
    assert result["result"]["me"]["ID"] == "1"
    assert {r["event"] for r in result["result"]["rows"]} == {"ONAPPINSTALL", "ONCRMDEALUPDATE"}
    assert result["result_error"]["bad"]["error"] == "ERROR_EVENT_NOT_FOUND"


async def test_lists_page_fifty_at_a_time(portal: SandboxPortal, receiver: Receiver) -> None:
    client, _ = await installed_client(portal, receiver)
    for n in range(120):
        portal.state.entities.add("deal", {"TITLE": f"Deal {n}", "STAGE_ID": "NEW"})
        portal.state.entities.add("task", {"TITLE": f"Task {n}", "STATUS": "2"})
    first = await in_thread(lambda: client.crm.deal.list().response)
    assert (len(first.result), first.total, first.next) == (50, 120, 50)
    deals = await in_thread(lambda: list(client.crm.deal.list().as_list().result))
    assert len(deals) == 120 and len({d["ID"] for d in deals}) == 120
    fast = await in_thread(lambda: list(client.crm.deal.list().as_list_fast().result))
    assert [d["ID"] for d in fast] == [d["ID"] for d in deals]
    tasks = await in_thread(lambda: list(client.tasks.task.list().as_list().result))
    assert len(tasks) == 120 and tasks[0]["title"] == "Task 0"
