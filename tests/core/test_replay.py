"""Forward routes, replay request variants and the Stripe-style attempt line."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest

from b24monitor.core.decoding import decode_body
from b24monitor.core.errors import UsageError
from b24monitor.core.model import CapturedEvent
from b24monitor.core.phpform import parse_form
from b24monitor.core.replay import (
    EVENT_ID_HEADER,
    QUEUE_FULL,
    REPLAY_HEADER,
    Attempt,
    Routes,
    apply_edits,
    attempt_record,
    format_attempt_line,
    parse_routes,
    replay_request,
)

APP_TOKEN = "9e7d1c2b3a4f5e6d7c8b9a0f1e2d3c4b"  # what make_delivery puts in (tests/conftest.py)
Make = Callable[..., bytes]


def captured(body: bytes, content_type: str = "application/x-www-form-urlencoded") -> CapturedEvent:
    payload: dict[str, Any] | None = decode_body(body, content_type)
    return CapturedEvent(
        id=12, received_at=0.0, event="ONCRMDEALUPDATE", member_id=None, domain=None,
        entity_id="3187", entity_type_id=None, user_id=None, handler_id=None, ts=None,
        verified=None, status="ok", error=None, size=len(body), content_type=content_type,
        headers=(), body=body, data=payload,
    )  # fmt: skip


def test_routes_first_match_wins_then_default() -> None:
    routes = parse_routes(
        [
            "ONCRMDEAL*=http://localhost:8000/deals",
            "http://localhost:8000/",
            "oncrm*=http://localhost:8000/crm",
        ]
    )
    assert routes.target_for("ONCRMDEALUPDATE") == "http://localhost:8000/deals"
    assert routes.target_for("ONCRMLEADADD") == "http://localhost:8000/crm"
    assert routes.target_for("ONTASKADD") == "http://localhost:8000/"
    assert routes.target_for(None) == "http://localhost:8000/"
    only_rules = parse_routes(["ONTASK*=https://h.example/t"])
    assert only_rules.target_for("ONCRMDEALADD") is None
    assert Routes().target_for("X") is None


@pytest.mark.parametrize(
    ("specs", "needle"),
    [
        ([], "no forward target"),
        (["localhost:8000"], "neither a URL nor PATTERN=URL"),
        (["http://a.example/", "http://b.example/"], "two default targets"),
        (["ONTASK*=ftp://x.example/"], "not an http(s) URL"),
        (["=http://x.example/"], "neither a URL nor PATTERN=URL"),
        (["http://"], "not an http(s) URL"),
    ],
)
def test_route_errors_are_one_clear_sentence(specs: list[str], needle: str) -> None:
    with pytest.raises(UsageError, match=re.escape(needle)) as info:
        parse_routes(specs)
    assert str(info.value).count(". ") == 0


def test_as_recorded_is_byte_for_byte_with_headers(make_delivery: Make) -> None:
    body = make_delivery() + b"&data%5BX%5D=%7E"  # `~` encoded the non-PHP way stays as sent
    request = replay_request(captured(body))
    assert request.body == body
    assert request.variant == "as-recorded"
    assert request.headers("replay") == {
        "Content-Type": "application/x-www-form-urlencoded",
        EVENT_ID_HEADER: "12",
        REPLAY_HEADER: "as-recorded",
    }
    assert REPLAY_HEADER not in request.headers("forward")


def test_strip_token_drops_only_that_pair(make_delivery: Make) -> None:
    body = make_delivery()
    request = replay_request(captured(body), strip_token=True)
    assert request.variant == "token-stripped"
    assert APP_TOKEN.encode() not in request.body
    kept = [p for p in body.split(b"&") if not p.startswith(b"auth%5Bapplication_token%5D=")]
    assert request.body == b"&".join(kept)
    as_json = json.dumps(parse_form(body)).encode()
    stripped = replay_request(captured(as_json, "application/json"), strip_token=True)
    assert "application_token" not in json.loads(stripped.body)["auth"]
    robot = captured(make_delivery(token=""))
    robot_body = b"&".join(p for p in robot.body.split(b"&") if b"application_token" not in p)
    with pytest.raises(UsageError, match="no auth\\[application_token\\]"):
        replay_request(captured(robot_body), strip_token=True)


def test_edits_are_re_encoded_the_php_way(make_delivery: Make) -> None:
    body = make_delivery(data={"FIELDS": {"ID": "3187"}, "UF": ["1", "2"]})
    request = replay_request(
        captured(body),
        edits=["data.FIELDS.ID=5", "data.FIELDS.TITLE=Сделка & co", "data.UF[2]=3", "data.UF[0]=9"],
    )
    assert request.variant == "edited"
    decoded = parse_form(request.body)
    assert decoded["data"] == {"FIELDS": {"ID": "5", "TITLE": "Сделка & co"}, "UF": ["9", "2", "3"]}
    assert (
        b"data%5BFIELDS%5D%5BTITLE%5D=%D0%A1%D0%B4%D0%B5%D0%BB%D0%BA%D0%B0+%26+co" in request.body
    )
    both = replay_request(captured(body), edits=["data.FIELDS.ID=5"], strip_token=True)
    assert both.variant == "edited" and "application_token" not in parse_form(both.body)["auth"]
    raw = replay_request(captured(body), body=b"event=X")
    assert (raw.body, raw.variant) == (b"event=X", "edited")


def test_edit_errors(make_delivery: Make) -> None:
    payload = {"data": {"FIELDS_BEFORE": "undefined", "UF": ["1"]}}
    assert apply_edits(payload, ["data.FIELDS_BEFORE.ID=4"])["data"]["FIELDS_BEFORE"] == {"ID": "4"}
    with pytest.raises(UsageError, match="index 5 is outside"):
        apply_edits(payload, ["data.UF[5]=1"])
    with pytest.raises(UsageError, match="no '='"):
        apply_edits(payload, ["data.UF"])
    malformed = captured(make_delivery())
    malformed.data = None
    with pytest.raises(UsageError, match="--body-file"):
        replay_request(malformed, edits=["data.X=1"])


def test_attempt_lines_stripe_style() -> None:
    ok = Attempt(3, "forward", "http://localhost:8000/", status=200, latency_ms=12.4)
    assert format_attempt_line(ok) == "  <-- 200 12 ms POST http://localhost:8000/"
    refused = Attempt(
        3, "forward", "http://localhost:1/", latency_ms=1.2, error="could not connect"
    )
    assert (
        format_attempt_line(refused)
        == "  <-- ERR 1 ms POST http://localhost:1/ — could not connect"
    )
    full = Attempt(3, "forward", "http://h.example/", error=QUEUE_FULL)
    assert format_attempt_line(full) == f"  <-- --- POST http://h.example/ — {QUEUE_FULL}"
    replay = Attempt(3, "replay", "http://h.example/", "token-stripped", status=401, latency_ms=3)
    assert format_attempt_line(replay) == (
        "  <-- 401 3 ms POST http://h.example/ (replay of #3, token-stripped)"
    )
    record = attempt_record(ok)
    assert (
        record["status"] == 200 and record["latency_ms"] == 12.4 and "response_body" not in record
    )
