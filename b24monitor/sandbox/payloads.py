"""Bodies of event deliveries: the top-level keys and the `auth` block of spec §1.4.

Tokens are present only when the event has a user to issue them for; a robot's change (user 0)
and "no auth" events carry just domain, client_endpoint, server_endpoint, member_id and
application_token. `refresh_token` comes only with the events the core flags (spec §1.4, §7.4).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from b24monitor.sandbox.tokens import TokenPair


@dataclass(slots=True)
class PortalIdentity:
    """What every delivery says about the portal and the installation."""

    domain: str
    member_id: str
    client_endpoint: str
    server_endpoint: str
    scope: str  # comma-separated granted scopes, e.g. "crm,task,user"
    status: str = "L"  # local application (spec §1.4)


def auth_block(
    identity: PortalIdentity, tokens: TokenPair | None, expires_in: int, application_token: str
) -> dict[str, Any]:
    """The `auth` map of a delivery from the sender owning `application_token` (spec §4), with
    tokens when `tokens` is given."""
    if tokens is None:
        return {
            "domain": identity.domain,
            "client_endpoint": identity.client_endpoint,
            "server_endpoint": identity.server_endpoint,
            "member_id": identity.member_id,
            "application_token": application_token,
        }
    return {
        "access_token": tokens.access_token,
        "expires": str(tokens.expires),
        "expires_in": str(expires_in),
        "scope": identity.scope,
        "domain": identity.domain,
        "server_endpoint": identity.server_endpoint,
        "status": identity.status,
        "client_endpoint": identity.client_endpoint,
        "member_id": identity.member_id,
        "user_id": str(tokens.user_id),
        "refresh_token": tokens.refresh_token,  # None is dropped by build_form
        "application_token": application_token,
    }


def delivery(
    event: str, data: Any, ts: int, auth: dict[str, Any], handler_id: int | None = None
) -> dict[str, Any]:
    """A whole delivery in wire order; empty `data` disappears on the wire like in PHP (§1.3)."""
    body: dict[str, Any] = {"event": event}
    if handler_id is not None:
        body["event_handler_id"] = str(handler_id)
    body["data"] = data
    body["ts"] = str(ts)
    body["auth"] = auth
    return body


def token_response(
    identity: PortalIdentity, tokens: TokenPair, oauth_host: str, expires_in: int
) -> dict[str, Any]:
    """The OAuth server's JSON answer to a token grant (spec §5.2; `domain` is the OAuth host)."""
    return {
        "access_token": tokens.access_token,
        "expires": tokens.expires,
        "expires_in": expires_in,
        "scope": identity.scope,
        "domain": oauth_host,
        "server_endpoint": identity.server_endpoint,
        "status": identity.status,
        "client_endpoint": identity.client_endpoint,
        "member_id": identity.member_id,
        "user_id": tokens.user_id,
        "refresh_token": tokens.refresh_token,
    }
