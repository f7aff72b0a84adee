"""Bitrix24 error envelopes → one typed exception each, worded as what to do (spec §2, §5.2, §5.3).

A REST error arrives as HTTP status + `{"error": CODE, "error_description": text}` (spec §2.0);
argument errors add `"argument"`. The table below is the only place that knows what a code means
for the user; the client decides what it can retry before it raises one of these.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from b24monitor.core.errors import (
    EventNotFound,
    OAuthError,
    OperationTimeLimit,
    PortalAccessDenied,
    PortalCallError,
    QueryLimitExceeded,
    WrongAuthType,
)

TOKEN_CODES = frozenset({"expired_token", "invalid_token"})
"""Refresh the access token once and repeat the call (spec §5.3)."""

RETRY_CODES = frozenset({"INTERNAL_SERVER_ERROR", "ERROR_UNEXPECTED_ANSWER"})
"""Transient portal failures: bounded retries with backoff (spec §5.3)."""

QUERY_LIMIT = "QUERY_LIMIT_EXCEEDED"
ALREADY_BOUND = "handler already binded"
"""ERROR_CORE text for an identical registration: counts as bound (spec §2.2)."""

_MAX_DESCRIPTION = 200

Advice = Callable[[str, str, str], str]
"""(method, portal description, subject such as the event code) → what the user should do."""


def _wrong_auth(method: str, _desc: str, _subject: str) -> str:
    if method == "event.bind":
        return "event.bind needs a local application; incoming webhooks cannot bind events"
    return f"{method} needs a local application; incoming webhooks cannot use event methods"


def _access_denied(method: str, desc: str, _subject: str) -> str:
    lowered = desc.lower()
    if method.startswith("event.offline") or "offline" in lowered:
        return "offline events need a portal administrator"
    if "auth_type" in lowered:
        return "binding events for another user needs a portal administrator"
    if "commercial" in lowered:
        return "REST is available only on commercial plans; upgrade the portal's plan"
    return _quoted(desc, "ask a portal administrator for access")


def _event_not_found(_method: str, _desc: str, subject: str) -> str:
    event = subject or "the event"
    return (
        f"{event} is not available with this app's scopes; "
        "add its scope to the app in the portal and re-install it"
    )


def _argument(_method: str, desc: str, subject: str) -> str:
    return _quoted(desc, "correct the call's parameters")


def _fixed(text: str) -> Advice:
    return lambda _method, _desc, _subject: text


def _quoted(desc: str, action: str) -> str:
    return f"the portal said “{desc}”; {action}" if desc else action


_HANDLER_URL_ADVICE = {
    # HandlerHelper::checkCallback in the portal's rest module (spec §2.2, §1.1).
    "ERROR_WRONG_HANDLER_URL": "the portal refused the handler URL: it must be a public http(s) "
    "address whose host has a dot, not localhost or a LAN address; start a tunnel "
    "(--tunnel ngrok) or pass --public-url",
    "ERROR_UNSUPPORTED_PROTOCOL": "the handler URL must start with http:// or https://; "
    "give a public URL of that form",
    "ERROR_HANDLER_URL_MATCH": "the handler URL's host is not the host of the app's handler path "
    "or installation path in the portal; set both to the current handler URL in the app's "
    "settings (a stable ngrok domain keeps it from changing)",
}

_TABLE: dict[str, tuple[type[PortalCallError], Advice]] = {
    **{code: (PortalCallError, _fixed(text)) for code, text in _HANDLER_URL_ADVICE.items()},
    "WRONG_AUTH_TYPE": (WrongAuthType, _wrong_auth),
    "ACCESS_DENIED": (PortalAccessDenied, _access_denied),
    "ERROR_EVENT_NOT_FOUND": (EventNotFound, _event_not_found),
    "WRONG_LICENSE": (
        PortalAccessDenied,
        lambda _m, d, _s: _quoted(d, "this feature needs a higher Bitrix24 plan"),
    ),
    "insufficient_scope": (
        PortalAccessDenied,
        _fixed("the app lacks the scope for this method; add it in the portal and re-install"),
    ),
    "user_access_error": (
        PortalAccessDenied,
        _fixed("the app is restricted to other users; ask a portal administrator for access"),
    ),
    "INVALID_CREDENTIALS": (
        PortalAccessDenied,
        _fixed("the user behind the token lacks rights for this method; use an administrator"),
    ),
    "METHOD_CONFIRM_WAITING": (
        PortalAccessDenied,
        _fixed("a portal administrator must confirm this method for the app first"),
    ),
    "METHOD_CONFIRM_DENIED": (
        PortalAccessDenied,
        _fixed("a portal administrator declined this method for the app"),
    ),
    QUERY_LIMIT: (
        QueryLimitExceeded,
        _fixed("the portal is rate-limiting this app; wait a minute and try again"),
    ),
    "OPERATION_TIME_LIMIT": (
        OperationTimeLimit,
        _fixed("the portal blocked this method for a few minutes; try again later"),
    ),
    "OVERLOAD_LIMIT": (
        PortalCallError,
        _fixed("REST is blocked on this portal; contact Bitrix24 support"),
    ),
    "PORTAL_DELETED": (PortalCallError, _fixed("the portal is closed or deleted")),
    "APPLICATION_NOT_FOUND": (
        PortalCallError,
        _fixed("the app is deleted or inactive on the portal; install it again"),
    ),
    "authorization_error": (
        PortalCallError,
        _fixed("the user behind the token is inactive; re-install the app as an active user"),
    ),
    "NO_AUTH_FOUND": (
        PortalCallError,
        _fixed("the request carried no usable token; re-install the app to get new tokens"),
    ),
    "expired_token": (
        PortalCallError,
        _fixed("the access token stayed expired after a refresh; re-install the app"),
    ),
    "invalid_token": (
        PortalCallError,
        _fixed("the access token was not accepted after a refresh; re-install the app"),
    ),
    "ERROR_METHOD_NOT_FOUND": (
        PortalCallError,
        _fixed("the method does not exist or its scope is not granted to the app"),
    ),
    "ERROR_ARGUMENT": (PortalCallError, _argument),
    "INTERNAL_SERVER_ERROR": (PortalCallError, _fixed("the portal failed; try again later")),
    "ERROR_UNEXPECTED_ANSWER": (PortalCallError, _fixed("the portal failed; try again later")),
}

_OAUTH_TABLE: dict[str, str] = {
    "invalid_client": "client_id or client_secret is wrong, or the app is not installed; "
    "check the profile's credentials",
    "PAYMENT_REQUIRED": "the app's trial or subscription has expired; renew it in the portal",
    "invalid_scope": "the app asked for a scope it was not granted; check the app's scopes",
    "invalid_request": "the OAuth server rejected the refresh request; re-install the app",
}


def error_code(body: Any) -> str | None:
    """The `error` code of a parsed response body, or None when it is not an error envelope."""
    if isinstance(body, Mapping):
        code = body.get("error")
        if isinstance(code, str) and code:
            return code
    return None


def from_envelope(
    method: str, status: int, body: Mapping[str, Any], subject: str = ""
) -> PortalCallError:
    """The typed exception (not raised) for one error envelope; `subject` names the event."""
    code = error_code(body) or f"HTTP_{status}"
    description = _description(body)
    cls, advice = _TABLE.get(code, (PortalCallError, _default_advice))
    text = advice(method, description, subject)
    if cls is OperationTimeLimit:
        return OperationTimeLimit(
            method, code, text, status=status, description=description, reset_at=_reset_at(body)
        )
    return cls(method, code, text, status=status, description=description)


def oauth_error(status: int, body: Mapping[str, Any]) -> OAuthError:
    """The exception for a refused token refresh other than invalid_grant (spec §5.2)."""
    code = error_code(body) or f"HTTP_{status}"
    description = _description(body)
    text = _OAUTH_TABLE.get(code) or _quoted(description, "re-install the app or try again later")
    return OAuthError("oauth/token", code, text, status=status, description=description)


def is_already_bound(error: BaseException) -> bool:
    """True for event.bind's "Handler already binded" ERROR_CORE (spec §2.2)."""
    return (
        isinstance(error, PortalCallError)
        and error.code == "ERROR_CORE"
        and ALREADY_BOUND in error.description.lower()
    )


def _default_advice(_method: str, desc: str, _subject: str) -> str:
    return _quoted(desc, "check the call and try again")


def _description(body: Mapping[str, Any]) -> str:
    text = body.get("error_description")
    if not isinstance(text, str):
        return ""
    text = " ".join(text.split())
    return text if len(text) <= _MAX_DESCRIPTION else text[: _MAX_DESCRIPTION - 1] + "…"


def _reset_at(body: Mapping[str, Any]) -> float | None:
    timing = body.get("time")
    if isinstance(timing, Mapping):
        value = timing.get("operating_reset_at")
        if isinstance(value, int | float):
            return float(value)
    return None
