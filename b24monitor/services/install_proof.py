"""Proving an install genuine without trusting its body (spec §4 step 2).

Two proofs. Its `refresh_token` refreshes at the OAuth server with one of our app profiles'
client credentials — only the real application's credentials can refresh a token issued to it,
and it also tells which profile the install belongs to. Or `app.info` at the portal's own
client_endpoint — one we already know, never the body's — accepts its `access_token` for the same
member_id. The client_secret goes only to the profile's stored OAuth server, or to the body's when
that is a Bitrix24 OAuth host (or this machine: the sandbox), never to a host a forger names.
A refresh spends the delivered refresh token (spec §5.2), so a proof carries the fresh pair.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from b24monitor.core.errors import PortalUnavailable
from b24monitor.core.model import KeyFields
from b24monitor.core.verification import Proof
from b24monitor.services.oauth import LOOPBACK_HOSTS, TokenPair, refresh
from b24monitor.services.profiles import Profile, ProfileStore

OAUTH_HOSTS = ("oauth.bitrix.info", "oauth.bitrix24.tech")
"""The Bitrix24 OAuth servers (international, RU region; spec §1.1, §5.2)."""

UNPROVABLE = (
    "a new application_token for a known portal that could not be proved: none of your "
    "profiles' credentials refresh its token and the portal's app.info refuses it — "
    "treat it as forged, or add the app's profile and install it again"
)


def oauth_server(profile: Profile, auth: Mapping[str, Any]) -> str | None:
    """Where to refresh the install's token with this profile's credentials, if anywhere safe."""
    if profile.server_endpoint:
        return profile.server_endpoint
    endpoint = auth.get("server_endpoint")
    if not isinstance(endpoint, str):
        return None
    host = urlsplit(endpoint).hostname or ""
    return endpoint if host in OAUTH_HOSTS or host in LOOPBACK_HOSTS else None


async def refresh_with(
    http: httpx.AsyncClient, profile: Profile, auth: Mapping[str, Any]
) -> TokenPair | None:
    """A fresh pair when the install's refresh token refreshes with `profile`'s credentials."""
    server, token = oauth_server(profile, auth), auth.get("refresh_token")
    if profile.kind != "app" or not server or not isinstance(token, str) or not token:
        return None
    try:
        answer = await refresh(http, server_endpoint=server, client_id=profile.client_id,
                               client_secret=profile.client_secret, refresh_token=token,
                               sleep=asyncio.sleep, retries=0)  # fmt: skip
    except (PortalUnavailable, ValueError):
        return None
    return answer if isinstance(answer, TokenPair) else None


def with_pair(auth: Mapping[str, Any], pair: TokenPair) -> dict[str, Any]:
    """The auth block with the refreshed pair in place of the spent one."""
    fresh = dict(auth)
    fresh.update(access_token=pair.access_token, refresh_token=pair.refresh_token,
                 expires=str(pair.expires))  # fmt: skip
    fresh.pop("expires_in", None)
    return fresh


class InstallProver:
    """Called by the store writer for an install whose token is new for a known portal."""

    def __init__(self, profiles: ProfileStore, *, timeout: float = 5.0) -> None:
        self._profiles = profiles
        self._timeout = timeout

    async def __call__(
        self, fields: KeyFields, auth: Mapping[str, Any], known_endpoint: str | None
    ) -> Proof:
        member = fields.member_id or ""
        # Local apps belong to one portal: a profile installed elsewhere cannot be this app.
        candidates = [p for p in await asyncio.to_thread(self._profiles.list)
                      if p.kind == "app" and p.member_id in ("", member)]  # fmt: skip
        async with httpx.AsyncClient(timeout=self._timeout) as http:
            for profile in candidates:
                pair = await refresh_with(http, profile, auth)
                if pair is not None:
                    reason = f"new install proved: it refreshes with profile “{profile.name}”"
                    return Proof(True, reason, profile.name, with_pair(auth, pair))
            own = [p.client_endpoint for p in candidates if p.member_id and p.client_endpoint]
            endpoint = own[0] if own else known_endpoint
            if endpoint and await _app_info_accepts(http, endpoint, auth):
                return Proof(True, "new install proved by the portal's app.info", None, auth)
        return Proof(False, UNPROVABLE)


async def _app_info_accepts(
    http: httpx.AsyncClient, endpoint: str, auth: Mapping[str, Any]
) -> bool:
    """True when app.info at the portal's own `endpoint` accepts the access token (spec §4):
    the endpoint is one we knew before this delivery, so only that portal can say yes."""
    token = auth.get("access_token")
    if not isinstance(token, str) or not token:
        return False
    try:
        response = await http.post(endpoint.rstrip("/") + "/app.info", json={"auth": token})
        body = response.json()
    except (httpx.HTTPError, ValueError):
        return False
    return response.status_code == 200 and isinstance(body, dict) and "result" in body
