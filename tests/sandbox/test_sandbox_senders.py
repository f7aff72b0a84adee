"""Several senders per portal (spec §4): apps and outgoing webhooks with their own tokens,
reinstall with a new token, install-on-save (§1.1) and the OAuth redirect to the saved URL."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpx
import pytest

from b24monitor.sandbox import SandboxPortal
from b24monitor.sandbox.state import AppInfo

if TYPE_CHECKING:
    from tests.sandbox.conftest import Receiver

pytestmark = pytest.mark.asyncio


async def refresh(
    http: httpx.AsyncClient, portal: SandboxPortal, app: AppInfo, token: str
) -> httpx.Response:
    params = {"grant_type": "refresh_token", "client_id": app.client_id,
              "client_secret": app.client_secret, "refresh_token": token}  # fmt: skip
    return await http.get(portal.token_url, params=params)


async def test_each_app_has_its_own_token_and_only_its_credentials_refresh_its_tokens(
    portal: SandboxPortal, receiver: Receiver, http: httpx.AsyncClient
):
    first = portal.state.app
    second, record = await portal.save_app(receiver.url)  # install-on-save is the default
    assert record is not None and record.ok
    await portal.install(receiver.url)
    installs = receiver.events("ONAPPINSTALL")
    tokens = {body["auth"]["application_token"] for body in installs}
    assert tokens == {first.application_token, second.application_token} and len(tokens) == 2
    second_auth = installs[0]["auth"]
    assert second_auth["application_token"] == second.application_token

    wrong = await refresh(http, portal, first, second_auth["refresh_token"])
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    right = await refresh(http, portal, second, second_auth["refresh_token"])  # still unspent
    assert right.status_code == 200 and right.json()["refresh_token"]


async def test_registrations_belong_to_their_app_and_carry_its_token(
    portal: SandboxPortal, receiver: Receiver, http: httpx.AsyncClient
):
    await portal.install(receiver.url)
    second, _ = await portal.save_app(receiver.url)
    tokens = {b["auth"]["application_token"]: b["auth"]["access_token"]
              for b in receiver.events("ONAPPINSTALL")}  # fmt: skip
    for access in tokens.values():
        bound = await http.post(portal.client_endpoint + "event.bind",
                                json={"auth": access, "event": "ONCRMDEALADD",
                                      "handler": receiver.url})  # fmt: skip
        assert bound.status_code == 200, bound.text
    listed = await http.post(portal.client_endpoint + "event.get",
                             json={"auth": tokens[second.application_token]})  # fmt: skip
    # Its own only: the installation row the portal made for it, and its own binding.
    assert [r["event"] for r in listed.json()["result"]] == ["ONAPPINSTALL", "ONCRMDEALADD"]
    hook = portal.add_outgoing_webhook(receiver.url, ["ONCRMDEALADD"])
    receiver.bodies.clear()
    await portal.fire("ONCRMDEALADD", {"FIELDS": {"ID": "5"}})
    auths = [b["auth"] for b in receiver.events("ONCRMDEALADD")]
    assert sorted(a["application_token"] for a in auths) == sorted(
        [portal.application_token, second.application_token, hook.application_token]
    )
    [from_hook] = [a for a in auths if a["application_token"] == hook.application_token]
    assert "access_token" not in from_hook  # outgoing webhooks never get tokens (§1.4)


async def test_reinstall_gives_a_new_token_with_the_same_credentials(
    portal: SandboxPortal, receiver: Receiver
):
    await portal.install(receiver.url)
    old = portal.application_token
    record = await portal.reinstall(receiver.url)
    assert record.ok and portal.application_token != old
    [_, again] = receiver.events("ONAPPINSTALL")
    assert again["auth"]["application_token"] == portal.application_token


async def test_save_without_install_on_save_sends_nothing(receiver: Receiver):
    async with SandboxPortal(seed=3, rate_limit=False, install_on_save=False) as portal:
        app, record = await portal.save_app(receiver.url)
        assert record is None and not app.installed and receiver.bodies == []


@pytest.mark.parametrize(("mode", "lands_on"), [("saved", "saved"), ("redirect_uri", "asked")])
async def test_oauth_redirect_goes_to_the_apps_saved_url(
    receiver: Receiver, http: httpx.AsyncClient, mode: str, lands_on: str
):
    async with SandboxPortal(seed=4, rate_limit=False, oauth_redirect=mode) as portal:
        await portal.save_app(receiver.url, app=portal.state.app)
        asked = "http://127.0.0.1:9/elsewhere"
        response = await http.get(f"{portal.base_url}/oauth/authorize/", params={
            "client_id": portal.client_id, "state": "s", "redirect_uri": asked})  # fmt: skip
        assert response.status_code == 302
        where = urlsplit(response.headers["Location"])
        expected = urlsplit(receiver.url if lands_on == "saved" else asked)
        assert (where.netloc, where.path) == (expected.netloc, expected.path)


async def test_save_app_control_endpoint_returns_the_credentials(
    portal: SandboxPortal, receiver: Receiver, http: httpx.AsyncClient
):
    answer = await http.post(f"{portal.base_url}/sandbox/save-app",
                             params={"install_url": receiver.url})  # fmt: skip
    body = answer.json()
    assert answer.status_code == 200 and body["delivery"]["status"] == 200
    assert body["client_id"].startswith("local.") and body["client_secret"]
    assert receiver.events("ONAPPINSTALL")
