"""event.bind / event.get / event.unbind / events, and the auth rules around them (spec §2)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx
import pytest

from b24monitor.sandbox import SandboxPortal

if TYPE_CHECKING:
    from tests.sandbox.conftest import Receiver, Rest

pytestmark = pytest.mark.asyncio


async def test_bind_get_unbind_round_trip(installed: tuple[Rest, dict], receiver: Receiver):
    rest, _ = installed
    bind = {"event": "onCrmDealUpdate", "handler": receiver.url}  # codes are case-insensitive

    status, body = await rest("event.bind", bind)
    assert (status, body["result"]) == (200, True)
    status, body = await rest("event.bind", {**bind, "event": "ONCRMDEALUPDATE"})
    assert status == 400
    assert body == {
        "error": "ERROR_CORE",
        "error_description": "Unable to set event handler: Handler already binded",
    }
    await rest("event.bind", {"event": "ONCRMLEADADD", "event_type": "offline"})

    status, body = await rest("event.get")
    install = {"event": "ONAPPINSTALL", "handler": receiver.url, "auth_type": "0", "offline": 0}
    assert body["result"] == [
        install,  # the portal's own row at the installation path (spec §5.2)
        {"event": "ONCRMDEALUPDATE", "handler": receiver.url, "auth_type": "0", "offline": 0},
        {"event": "ONCRMLEADADD", "connector_id": "", "offline": 1},
    ]

    status, body = await rest("event.unbind", {"event": "ONCRMDEALUPDATE", "handler": receiver.url})
    assert (status, body["result"]) == (200, {"count": 1})
    status, body = await rest("event.unbind", {"event": "ONCRMDEALUPDATE", "handler": receiver.url})
    assert body["result"] == {"count": 0}  # nothing matched is not an error
    status, body = await rest("event.unbind", {"event": "ONCRMLEADADD", "event_type": "offline"})
    assert body["result"] == {"count": 1}
    assert (await rest("event.get"))[1]["result"] == [install]


@pytest.mark.parametrize(
    ("params", "status", "error", "argument"),
    [
        ({}, 400, "ERROR_ARGUMENT", "EVENT"),
        ({"event": "ONCRMDEALADD"}, 400, "ERROR_ARGUMENT", "HANDLER"),
        (
            {"event": "ONCRMDEALADD", "handler": "x", "event_type": "sometimes"},
            400,
            "ERROR_ARGUMENT",
            "EVENT_TYPE",
        ),
        (
            {"event": "ONNOSUCHEVENT", "handler": "http://127.0.0.1:9/h"},
            400,
            "ERROR_EVENT_NOT_FOUND",
            None,
        ),
        (
            {"event": "ONSALEORDERSAVED", "handler": "http://127.0.0.1:9/h"},
            400,
            "ERROR_EVENT_NOT_FOUND",
            None,
        ),  # sale is not among the app's scopes
        (
            {"event": "ONCRMDEALADD", "handler": "ftp://example.com/h"},
            400,
            "ERROR_UNSUPPORTED_PROTOCOL",
            None,
        ),
        (
            {"event": "ONCRMDEALADD", "handler": "http://intranet/h"},
            400,
            "ERROR_WRONG_HANDLER_URL",
            None,
        ),
        ({"event": "ONOFFLINEEVENT", "event_type": "offline"}, 400, "ERROR_ARGUMENT", None),
    ],
)
async def test_bind_errors(installed, params, status, error, argument):
    rest, _ = installed
    got_status, body = await rest("event.bind", params)
    assert (got_status, body["error"]) == (status, error)
    assert body.get("argument") == argument
    assert body["error_description"]


async def test_loopback_handlers_are_accepted(installed: tuple[Rest, dict]):
    rest, _ = installed
    for url in ("http://localhost:8765/h", "https://[::1]:8765/h", "http://127.0.0.1/h"):
        status, _ = await rest("event.bind", {"event": "ONCRMDEALADD", "handler": url})
        assert status == 200, url


async def test_events_lists_granted_scopes_and_smart_process_variants(installed):
    rest, _ = installed
    _, body = await rest("events")
    codes = body["result"]
    assert "ONAPPINSTALL" in codes and "ONCRMDEALUPDATE" in codes and "ONTASKADD" in codes
    assert "ONCRMDYNAMICITEMADD_1032" in codes
    assert "ONSALEORDERSAVED" not in codes
    _, full = await rest("events", {"FULL": "true"})
    assert "ONSALEORDERSAVED" in full["result"] and len(full["result"]) > len(codes)
    _, sale = await rest("events", {"scope": "sale"})
    assert (
        all(code.startswith("ON") for code in sale["result"])
        and "ONCRMDEALADD" not in sale["result"]
    )


async def test_webhook_auth_is_refused_for_event_methods(
    portal: SandboxPortal, http: httpx.AsyncClient
):
    response = await http.post(
        portal.webhook_url + "event.bind.json",
        data={"event": "ONCRMDEALADD", "handler": "http://127.0.0.1:9/h"},
    )
    assert response.status_code == 403
    assert response.json() == {
        "error": "WRONG_AUTH_TYPE",
        "error_description": "Current authorization type is denied for this method",
    }
    profile = await http.get(portal.webhook_url + "profile")
    assert profile.status_code == 200 and profile.json()["result"]["ID"] == "1"
    wrong = await http.get(portal.base_url + "/rest/1/not-the-code/profile")
    assert wrong.status_code == 403 and wrong.json()["error"] == "INVALID_CREDENTIALS"


async def test_missing_and_bad_tokens(installed, http: httpx.AsyncClient, portal: SandboxPortal):
    response = await http.post(portal.client_endpoint + "event.get")
    assert (response.status_code, response.json()["error"]) == (401, "NO_AUTH_FOUND")
    rest, _ = installed
    assert (await rest("event.get", token="garbage"))[1]["error"] == "invalid_token"
    assert (await rest("no.such.method"))[0] == 404


async def test_token_as_bearer_header_get_and_json_body(installed, http, portal, receiver):
    rest, auth = installed
    headers = {"Authorization": f"Bearer {auth['access_token']}"}
    response = await http.get(portal.client_endpoint + "event.get.json", headers=headers)
    assert response.status_code == 200
    status, _ = await rest(
        "EVENT.BIND", {"event": "ONTASKADD", "handler": receiver.url}, as_json=True
    )
    assert status == 200
    status, body = await rest("event.get", get=True)
    assert status == 200 and body["result"][-1]["event"] == "ONTASKADD"


async def test_non_admin_rules(installed, portal: SandboxPortal, receiver: Receiver):
    rest, _ = installed
    await rest("event.bind", {"event": "ONCRMDEALADD", "handler": receiver.url})  # admin's
    employee = portal.issue_tokens(user_id=7)["access_token"]

    status, body = await rest(
        "event.bind", {"event": "ONCRMDEALADD", "event_type": "offline"}, token=employee
    )
    assert (status, body["error"]) == (403, "ACCESS_DENIED")
    status, body = await rest(
        "event.bind",
        {"event": "ONTASKADD", "handler": receiver.url, "auth_type": "1"},
        token=employee,
    )
    assert (status, body["error"]) == (403, "ACCESS_DENIED")
    status, _ = await rest(
        "event.bind", {"event": "ONTASKADD", "handler": receiver.url}, token=employee
    )
    assert status == 200
    _, body = await rest("event.get", token=employee)
    assert body["result"] == [
        {"event": "ONTASKADD", "handler": receiver.url, "auth_type": "7", "offline": 0}
    ]
    for method in ("event.offline.get", "event.offline.list"):
        status, body = await rest(method, token=employee)
        assert (status, body["error"]) == (403, "ACCESS_DENIED")
    # spec §7.9: a string auth_type never equals the user's integer ID; a JSON number does
    unbind = {"event": "ONTASKADD", "handler": receiver.url, "auth_type": "7"}
    assert (await rest("event.unbind", unbind, token=employee))[0] == 403
    status, body = await rest(
        "event.unbind", {**unbind, "auth_type": 7}, token=employee, as_json=True
    )
    assert (status, body["result"]) == (200, {"count": 1})


async def test_feature_get(installed):
    rest, _ = installed
    _, body = await rest("feature.get", {"CODE": "rest_offline_extended"})
    assert body["result"] == {"value": "Y"}
