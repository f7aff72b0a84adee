"""Installing the app: ONAPPINSTALL/ONAPPUPDATE deliveries, and the code-flow fallback."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from b24monitor.core.errors import PortalError
from b24monitor.sandbox import SandboxPortal

if TYPE_CHECKING:
    from tests.sandbox.conftest import Receiver, Rest

pytestmark = pytest.mark.asyncio

INSTALL_AUTH_KEYS = {
    "access_token",
    "expires",
    "expires_in",
    "scope",
    "domain",
    "server_endpoint",
    "status",
    "client_endpoint",
    "member_id",
    "user_id",
    "refresh_token",
    "application_token",
}


async def test_install_posts_a_php_form_onappinstall(portal: SandboxPortal, receiver: Receiver):
    record = await portal.install(receiver.url)

    assert record.ok and record.event == "ONAPPINSTALL"
    content_type, raw = receiver.raw[0]
    assert content_type == "application/x-www-form-urlencoded"
    assert b"auth%5Bapplication_token%5D=" in raw  # bracket keys are percent-encoded (spec §1.3)
    body = receiver.bodies[0]
    assert body["event"] == "ONAPPINSTALL"
    # Delivered through the portal's ONAPPINSTALL registration at the installation path.
    assert body["event_handler_id"] == str(record.handler_id)
    assert [(b.id, b.event, b.handler) for b in portal.bindings()] == [
        (record.handler_id, "ONAPPINSTALL", receiver.url)
    ]
    assert body["data"] == {"VERSION": "1", "ACTIVE": "Y", "INSTALLED": "Y", "LANGUAGE_ID": "en"}
    assert body["ts"].isdigit()
    auth = body["auth"]
    assert set(auth) == INSTALL_AUTH_KEYS
    assert auth["status"] == "L" and auth["user_id"] == "1" and auth["expires_in"] == "3600"
    assert auth["member_id"] == portal.member_id and auth["domain"] == portal.domain
    assert auth["application_token"] == portal.application_token
    assert auth["client_endpoint"] == portal.client_endpoint == f"{portal.base_url}/rest/"
    assert auth["server_endpoint"] == portal.server_endpoint
    assert portal.token_url.startswith(portal.server_endpoint.removesuffix("rest/"))


async def test_install_tokens_work_against_rest(installed: tuple[Rest, dict]):
    rest, _ = installed
    status, body = await rest("app.info")
    assert status == 200
    assert body["result"]["INSTALLED"] is True and body["result"]["STATUS"] == "L"
    assert set(body["time"]) >= {
        "start",
        "finish",
        "duration",
        "processing",
        "date_start",
        "date_finish",
        "operating",
    }


async def test_update_wipes_bindings_and_sends_onappupdate(
    portal: SandboxPortal, receiver: Receiver, installed: tuple[Rest, dict]
):
    rest, _ = installed
    assert (await rest("event.bind", {"event": "ONCRMDEALADD", "handler": receiver.url}))[0] == 200
    assert len(portal.bindings()) == 2  # with the installation path's row

    record = await portal.install(receiver.url, update=True)

    assert record.ok
    assert [(b.event, b.handler) for b in portal.bindings()] == [("ONAPPINSTALL", receiver.url)]
    update = receiver.events("ONAPPUPDATE")[0]
    assert update["data"] == {"VERSION": "2", "PREVIOUS_VERSION": "1", "LANGUAGE_ID": "en"}
    assert update["auth"]["refresh_token"]


async def test_editing_the_installation_path_moves_its_row_and_the_next_install(
    portal: SandboxPortal, receiver: Receiver, installed: tuple[Rest, dict]
):
    rest, _ = installed
    first = portal.bindings()[0]
    moved = receiver.url.replace("/hook/events", "/hook/new-path")
    async with httpx.AsyncClient() as http:
        edited = await http.post(f"{portal.base_url}/sandbox/install-path", params={"url": moved})
    assert edited.status_code == 200
    rows = (await rest("event.get"))[1]["result"]
    assert rows == [{"event": "ONAPPINSTALL", "handler": moved, "auth_type": "0", "offline": 0}]
    assert [(b.id, b.handler) for b in portal.bindings()] == [(first.id, moved)]  # same row
    # An app that unbinds the row (what issue 16 was about) loses it until the path is saved.
    await rest("event.unbind", {"event": "ONAPPINSTALL", "handler": moved})
    assert portal.bindings() == []
    portal.edit_install_path(moved)
    assert [(b.event, b.handler) for b in portal.bindings()] == [("ONAPPINSTALL", moved)]


async def test_code_flow_redirects_with_a_code_that_works_once(
    portal: SandboxPortal, http: httpx.AsyncClient
):
    response = await http.get(
        f"{portal.base_url}/oauth/authorize/",
        params={
            "client_id": portal.client_id,
            "state": "xyz",
            "redirect_uri": "http://127.0.0.1:9/back",
        },
    )
    assert response.status_code == 302
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    assert query["state"] == ["xyz"] and query["member_id"] == [portal.member_id]
    grant = {
        "grant_type": "authorization_code",
        "client_id": portal.client_id,
        "client_secret": portal.client_secret,
        "code": query["code"][0],
    }

    first = await http.get(portal.token_url, params=grant)
    again = await http.get(portal.token_url, params=grant)

    assert first.status_code == 200
    assert first.json()["access_token"] and first.json()["refresh_token"]
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


async def test_failed_install_is_logged_not_retried(portal: SandboxPortal):
    record = await portal.install("http://127.0.0.1:9/nothing-listens-here")
    assert not record.ok and record.status is None and record.error
    assert portal.delivery_log == [record]


async def test_uninstall_sends_tokenless_onappuninstall_and_revokes(
    portal: SandboxPortal, receiver: Receiver, installed: tuple[Rest, dict]
):
    rest, _ = installed
    await rest("event.bind", {"event": "ONAPPUNINSTALL", "handler": receiver.url})

    records = await portal.uninstall(clean=False)

    assert [r.ok for r in records] == [True]
    body = receiver.events("ONAPPUNINSTALL")[0]
    assert body["data"] == {"LANGUAGE_ID": "en", "CLEAN": "0"}
    assert "access_token" not in body["auth"]
    assert body["auth"]["application_token"] == portal.application_token
    assert (await rest("event.get"))[1]["error"] == "invalid_token"
    assert await portal.fire("ONCRMDEALADD", {"FIELDS": {"ID": "1"}}) == []


async def test_busy_port_is_one_sentence(portal: SandboxPortal):
    port = int(portal.base_url.rsplit(":", 1)[1])
    with pytest.raises(PortalError, match=r"cannot listen on 127\.0\.0\.1:"):
        await SandboxPortal(port=port).start()
