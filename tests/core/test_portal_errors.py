"""Error envelopes → typed exceptions whose one sentence names the method, the code, what to do."""

from __future__ import annotations

import pytest

from b24monitor.core.errors import (
    EventNotFound,
    OperationTimeLimit,
    PortalAccessDenied,
    PortalCallError,
    QueryLimitExceeded,
    WrongAuthType,
)
from b24monitor.core.portal_errors import error_code, from_envelope, is_already_bound, oauth_error


def envelope(code: str, description: str = "") -> dict[str, object]:
    return {"error": code, "error_description": description}


@pytest.mark.parametrize(
    ("method", "body", "cls", "text"),
    [
        (
            "event.get",
            envelope("WRONG_AUTH_TYPE", "Current authorization type is denied for this method"),
            WrongAuthType,
            "event.get failed with WRONG_AUTH_TYPE: event.get needs a local application; "
            "incoming webhooks cannot use event methods.",
        ),
        (
            "event.bind",
            envelope(
                "ACCESS_DENIED",
                "Access denied! Offline events binding requires administrator access rights",
            ),
            PortalAccessDenied,
            "event.bind failed with ACCESS_DENIED: offline events need a portal administrator.",
        ),
        (
            "event.bind",
            envelope(
                "ACCESS_DENIED",
                "Access denied! Event binding with AUTH_TYPE requires administrator access rights",
            ),
            PortalAccessDenied,
            "event.bind failed with ACCESS_DENIED: binding events for another user needs a "
            "portal administrator.",
        ),
        (
            "event.offline.get",
            envelope(
                "WRONG_LICENSE",
                "This feature is not enabled for the current license: extended offline events "
                "handling",
            ),
            PortalAccessDenied,
            "event.offline.get failed with WRONG_LICENSE: the portal said “This feature is not "
            "enabled for the current license: extended offline events handling”; this feature "
            "needs a higher Bitrix24 plan.",
        ),
        (
            "crm.deal.list",
            envelope("QUERY_LIMIT_EXCEEDED", "Too many requests"),
            QueryLimitExceeded,
            "crm.deal.list failed with QUERY_LIMIT_EXCEEDED: the portal is rate-limiting this "
            "app; wait a minute and try again.",
        ),
        (
            "event.bind",
            {
                "error": "ERROR_ARGUMENT",
                "error_description": "Wrong handler URL",
                "argument": "HANDLER",
            },
            PortalCallError,
            "event.bind failed with ERROR_ARGUMENT: the portal said “Wrong handler URL”; correct "
            "the call's parameters.",
        ),
    ],
)
def test_sentences(method: str, body: dict[str, object], cls: type, text: str) -> None:
    error = from_envelope(method, 400, body)
    assert type(error) is cls
    assert str(error) == text


def test_event_not_found_names_the_event() -> None:
    error = from_envelope("event.bind", 400, envelope("ERROR_EVENT_NOT_FOUND"), "ONTASKADD")
    assert isinstance(error, EventNotFound)
    assert "ONTASKADD is not available with this app's scopes" in str(error)


def test_operation_time_limit_keeps_the_reset_time() -> None:
    body = {**envelope("OPERATION_TIME_LIMIT"), "time": {"operating_reset_at": 1764339000}}
    error = from_envelope("crm.deal.list", 429, body)
    assert isinstance(error, OperationTimeLimit)
    assert error.reset_at == 1764339000.0


def test_non_envelopes_and_long_descriptions() -> None:
    assert error_code({"result": True}) is None
    assert error_code([1]) is None
    error = from_envelope("x.y", 502, {})
    assert error.code == "HTTP_502"
    long = from_envelope("x.y", 400, envelope("SOMETHING", "word " * 100))
    assert len(long.description) == 200


def test_already_bound_and_oauth_errors() -> None:
    core = from_envelope(
        "event.bind",
        400,
        envelope("ERROR_CORE", "Unable to set event handler: Handler already binded"),
    )
    assert is_already_bound(core)
    assert not is_already_bound(from_envelope("event.bind", 400, envelope("ERROR_CORE", "other")))
    assert str(oauth_error(400, envelope("PAYMENT_REQUIRED"))).startswith(
        "oauth/token failed with PAYMENT_REQUIRED: the app's trial"
    )


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("ERROR_WRONG_HANDLER_URL", "public http(s) address"),
        ("ERROR_UNSUPPORTED_PROTOCOL", "must start with http:// or https://"),
        ("ERROR_HANDLER_URL_MATCH", "set both to the current handler URL"),
    ],
)
def test_handler_url_errors_get_their_own_sentence(code: str, words: str) -> None:
    error = from_envelope("event.bind", 400, envelope(code, "x"), "ONCRMDEALADD")
    text = str(error)
    assert text.startswith(f"event.bind failed with {code}: ") and words in text
    assert text.count(". ") == 0 and text.endswith(".")
