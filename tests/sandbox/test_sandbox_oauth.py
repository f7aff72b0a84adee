"""Token lifetimes: expiry, rotating refresh, revocation, client checks, app.info (spec §5.2)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx
import pytest

from b24monitor.sandbox import SandboxPortal

if TYPE_CHECKING:
    pass

pytestmark = pytest.mark.asyncio


def refresh_params(portal: SandboxPortal, refresh_token: str) -> dict[str, str]:
    return {
        "grant_type": "refresh_token",
        "client_id": portal.client_id,
        "client_secret": portal.client_secret,
        "refresh_token": refresh_token,
    }


async def test_expired_token_refresh_then_works(portal, installed, http: httpx.AsyncClient):
    rest, auth = installed
    portal.expire_access_tokens()

    status, body = await rest("event.get")
    assert (status, body["error"]) == (401, "expired_token")

    grant = refresh_params(portal, auth["refresh_token"])
    response = await http.get(portal.token_url, params=grant)
    assert response.status_code == 200
    pair = response.json()
    assert pair["refresh_token"] != auth["refresh_token"]
    assert pair["expires_in"] == 3600 and pair["member_id"] == portal.member_id
    assert pair["client_endpoint"] == portal.client_endpoint
    assert pair["server_endpoint"] == portal.server_endpoint
    assert (await rest("event.get", token=pair["access_token"]))[0] == 200

    reused = await http.get(portal.token_url, params=grant)
    assert (reused.status_code, reused.json()["error"]) == (400, "invalid_grant")


async def test_refresh_by_post_form(portal, installed, http: httpx.AsyncClient):
    _, auth = installed
    response = await http.post(portal.token_url, data=refresh_params(portal, auth["refresh_token"]))
    assert response.status_code == 200 and response.json()["user_id"] == 1


async def test_revoked_refresh_tokens_give_invalid_grant(portal, installed, http):
    _, auth = installed
    portal.revoke_refresh_tokens()
    response = await http.get(
        portal.token_url, params=refresh_params(portal, auth["refresh_token"])
    )
    assert (response.status_code, response.json()["error"]) == (400, "invalid_grant")


async def test_wrong_client_secret_is_invalid_client(portal, installed, http):
    _, auth = installed
    params = {**refresh_params(portal, auth["refresh_token"]), "client_secret": "wrong"}
    response = await http.get(portal.token_url, params=params)
    assert (response.status_code, response.json()["error"]) == (401, "invalid_client")
    # the refresh token was not spent by the failed attempt
    ok = await http.get(portal.token_url, params=refresh_params(portal, auth["refresh_token"]))
    assert ok.status_code == 200


async def test_short_access_ttl_expires_by_itself(receiver, http):
    async with SandboxPortal(access_ttl=0, rate_limit=False) as portal:
        await portal.install(receiver.url)
        token = receiver.bodies[0]["auth"]["access_token"]
        response = await http.get(portal.client_endpoint + "event.get", params={"auth": token})
        assert response.json()["error"] == "expired_token"


async def test_app_info_on_the_oauth_server(portal, installed, http):
    _, auth = installed
    response = await http.get(
        portal.server_endpoint + "app.info", params={"auth": auth["access_token"]}
    )
    result = response.json()["result"]
    assert result["client_id"] == portal.client_id
    assert result["install"]["member_id"] == portal.member_id and result["install"]["installed"]
