"""The OAuth server's token endpoint: exchange a refresh token for a new pair (spec §5.2).

`GET https://<host of server_endpoint>/oauth/token/?grant_type=refresh_token&client_id=…
&client_secret=…&refresh_token=…`. The query carries secrets, so httpx's request log line is
redacted (filter installed once on the "httpx" logger) and no exception text that could hold
the URL ever reaches a message.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from b24monitor.core.errors import PortalUnavailable
from b24monitor.core.portal_errors import error_code, oauth_error

_SECRET_QUERY_KEYS = frozenset({"client_secret", "refresh_token", "access_token", "auth", "code"})


@dataclass(frozen=True, slots=True)
class TokenPair:
    """A fresh pair from the token endpoint (other response fields kept as public metadata)."""

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires: int
    scope: str = ""
    client_endpoint: str = ""


@dataclass(frozen=True, slots=True)
class TokenRefused:
    """The token endpoint answered with an error envelope (`code` such as invalid_grant)."""

    code: str
    status: int
    body: Mapping[str, Any]


def token_url(server_endpoint: str) -> str:
    """`https://oauth.bitrix.info/rest/` → `https://oauth.bitrix.info/oauth/token/` (spec §5.2)."""
    parts = urlsplit(server_endpoint)
    if not parts.scheme or not parts.netloc:
        raise ValueError("server_endpoint is not an absolute URL")
    return f"{parts.scheme}://{parts.netloc}/oauth/token/"


async def refresh(
    http: httpx.AsyncClient,
    *,
    server_endpoint: str,
    client_id: str,
    client_secret: str,
    refresh_token: str,
    sleep: Callable[[float], Awaitable[None]],
    retries: int = 3,
    backoff: float = 0.5,
) -> TokenPair | TokenRefused:
    """Ask for a new pair; transport failures and 5xx are retried `retries` times with backoff."""
    install_log_redaction()
    params = {
        "grant_type": "refresh_token",
        "client_id": client_id,
        "client_secret": client_secret,
        "refresh_token": refresh_token,
    }
    url = token_url(server_endpoint)
    for attempt in range(retries + 1):
        reason = ""
        try:
            response = await http.get(url, params=params)
        except httpx.TransportError as exc:
            reason = type(exc).__name__  # never str(exc): it may contain the URL with secrets
        else:
            if response.status_code < 500:
                return _parse(response)
            reason = f"HTTP {response.status_code}"
        if attempt < retries:
            await sleep(backoff * 2**attempt)
    raise PortalUnavailable("oauth/token", reason)


def _parse(response: httpx.Response) -> TokenPair | TokenRefused:
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    code = error_code(body)
    access, refresh_token = body.get("access_token"), body.get("refresh_token")
    if code or not (isinstance(access, str) and isinstance(refresh_token, str)):
        return TokenRefused(code or f"HTTP_{response.status_code}", response.status_code, body)
    return TokenPair(
        access_token=access,
        refresh_token=refresh_token,
        expires=_expires(body),
        scope=str(body.get("scope") or ""),
        client_endpoint=str(body.get("client_endpoint") or ""),
    )


def _expires(body: Mapping[str, Any]) -> int:
    value = body.get("expires")
    if isinstance(value, int | str) and str(value).isdigit():
        return int(value)
    lifetime = body.get("expires_in")
    seconds = int(lifetime) if isinstance(lifetime, int | str) and str(lifetime).isdigit() else 3600
    return int(time.time()) + seconds


class _RedactSecretQuery(logging.Filter):
    """Mask secret query values in httpx's "HTTP Request: GET <url>" lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_redact(a) if isinstance(a, httpx.URL) else a for a in record.args)
        return True


def _redact(url: httpx.URL) -> httpx.URL:
    if not any(key in _SECRET_QUERY_KEYS for key in url.params):
        return url
    params = [
        (key, "REDACTED" if key in _SECRET_QUERY_KEYS else value)
        for key, value in url.params.multi_items()
    ]
    return url.copy_with(params=params)


def install_log_redaction() -> None:
    """Add the redaction filter to the "httpx" logger once (idempotent)."""
    logger = logging.getLogger("httpx")
    if not any(isinstance(f, _RedactSecretQuery) for f in logger.filters):
        logger.addFilter(_RedactSecretQuery())


LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


async def exchange_code(
    http: httpx.AsyncClient, profile: Any, params: Mapping[str, str], redirect_uri: str
) -> dict[str, Any]:
    """Trade the authorize redirect's `code` for a token pair (spec §5.2, full OAuth).

    The redirect names the OAuth server in `server_domain` (oauth.bitrix.info, or
    oauth.bitrix24.tech for the RU region); only a server on this machine is spoken to over
    plain http. The answer carries member_id and the endpoints but no application_token.
    """
    install_log_redaction()
    server = params.get("server_domain") or "oauth.bitrix.info"
    host = urlsplit(f"//{server}").hostname or ""
    scheme = "http" if host in LOOPBACK_HOSTS else "https"
    query = {"grant_type": "authorization_code", "client_id": profile.client_id,
             "client_secret": profile.client_secret, "code": params.get("code", ""),
             "redirect_uri": redirect_uri}  # fmt: skip
    try:
        response = await http.get(f"{scheme}://{server}/oauth/token/", params=query)
    except httpx.TransportError as exc:
        raise PortalUnavailable("oauth/token", type(exc).__name__) from None
    try:
        body = response.json()
    except ValueError:
        body = {}
    body = body if isinstance(body, dict) else {}
    if error_code(body) or not body.get("access_token") or not body.get("refresh_token"):
        raise oauth_error(response.status_code, body)
    body.setdefault("expires", _expires(body))
    return body
