"""Fixtures: raw form + decoded JSON per event, with every token, member_id and domain faked."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, quote_plus

import pytest

from b24monitor.core.decoding import decode_body
from b24monitor.core.errors import UsageError
from b24monitor.core.fixtures import make_fixtures
from b24monitor.core.model import CapturedEvent
from b24monitor.core.phpform import build_form, parse_form

MEMBER_A = "0c4f5e9a8b7d6c5e4f3a2b1c0d9e8f7a"  # make_delivery's defaults (tests/conftest.py)
TOKEN_A = "9e7d1c2b3a4f5e6d7c8b9a0f1e2d3c4b"
DOMAIN_A = "acme.bitrix24.com"
ACCESS_A = "7d1b3a6a006d8c5f0071e2a400000001000007c4e0b9f1a2c3d4e5f60718293a"
MEMBER_B = "1111222233334444555566667777aaaa"
TOKEN_B = "b" * 70
DOMAIN_B = "other-portal.bitrix24.de"
REFRESH_B = "r-e-f/r+e s~h"  # characters that percent-encode differently per encoder


def stored(
    event_id: int, body: bytes, content_type: str = "application/x-www-form-urlencoded"
) -> CapturedEvent:
    payload: dict[str, Any] = decode_body(body, content_type)
    return CapturedEvent(
        id=event_id, received_at=0.0, event=payload["event"], member_id=None, domain=None,
        entity_id=None, entity_type_id=None, user_id=None, handler_id=None, ts=None,
        verified=None, status="ok", error=None, size=len(body), content_type=content_type,
        headers=(), body=body, data=payload,
    )  # fmt: skip


def portal_b_install() -> dict[str, Any]:
    return {
        "event": "ONAPPINSTALL",
        "data": {"VERSION": "1", "NOTE": f"installed on {DOMAIN_B} for {MEMBER_B}"},
        "auth": {
            "access_token": "x" * 40,
            "refresh_token": REFRESH_B,
            "domain": DOMAIN_B,
            "client_endpoint": f"https://{DOMAIN_B}/rest/",
            "member_id": MEMBER_B,
            "application_token": TOKEN_B,
        },
    }


def encodings(secret: str) -> set[bytes]:
    forms = {secret, quote_plus(secret), quote(secret, safe=""), json.dumps(secret)[1:-1]}
    lower = {f.replace("%2F", "%2f").replace("%2B", "%2b").replace("%7E", "%7e") for f in forms}
    return {f.encode() for f in forms | lower}


def test_no_secret_survives_in_any_encoding(make_delivery: Callable[..., bytes]) -> None:
    events = [
        stored(1, make_delivery("ONCRMDEALADD", {"FIELDS": {"ID": "1", "TITLE": "A & B"}})),
        stored(2, build_form(portal_b_install()).encode()),
        stored(3, make_delivery("ONCRMDEALUPDATE")),
        stored(4, json.dumps(portal_b_install()).encode(), "application/json"),
    ]
    files = {name: data for f in make_fixtures(events) for name, data in f.files().items()}
    assert sorted(files) == [
        "1-ONCRMDEALADD.form", "1-ONCRMDEALADD.json", "2-ONAPPINSTALL.form", "2-ONAPPINSTALL.json",
        "3-ONCRMDEALUPDATE.form", "3-ONCRMDEALUPDATE.json", "4-ONAPPINSTALL.form",
        "4-ONAPPINSTALL.json",
    ]  # fmt: skip
    secrets = (MEMBER_A, TOKEN_A, DOMAIN_A, ACCESS_A, MEMBER_B, TOKEN_B, DOMAIN_B, REFRESH_B)
    for name, data in files.items():
        for secret in secrets:
            for form in encodings(secret):
                assert form not in data, f"{secret!r} survives in {name} as {form!r}"


def test_same_real_value_same_fake_and_json_matches_form(
    make_delivery: Callable[..., bytes],
) -> None:
    first = make_delivery("ONCRMDEALADD", {"FIELDS": {"ID": "1", "TITLE": "Сделка ~1"}})
    first += b"&data%5BX%5D=%7e+y"  # not how PHP escapes: must stay exactly so
    events = [
        stored(1, first),
        stored(2, build_form(portal_b_install()).encode()),
        stored(3, make_delivery("ONCRMDEALUPDATE")),
    ]
    one, two, three = make_fixtures(events)
    auth1, auth2, auth3 = (f.payload["auth"] for f in (one, two, three))
    for key in ("application_token", "member_id", "domain", "access_token"):
        assert auth1[key] == auth3[key]  # the same portal keeps one identity across files
        assert auth1[key] != auth2[key]
    assert auth1["client_endpoint"] == f"https://{auth1['domain']}/rest/"
    assert two.payload["data"]["NOTE"] == f"installed on {auth2['domain']} for {auth2['member_id']}"
    assert len(auth1["member_id"]) == 32
    for fixture in (one, two, three):
        assert parse_form(fixture.form) == fixture.payload
        assert json.loads(fixture.files()[f"{fixture.stem}.json"]) == fixture.payload
    # Pairs without secrets are kept byte for byte, including non-PHP escapes.
    untouched = [p for p in first.split(b"&") if not p.startswith(b"auth")]
    assert all(pair in one.form.split(b"&") for pair in untouched)


def test_undecodable_events_are_refused(make_delivery: Callable[..., bytes]) -> None:
    broken = stored(9, make_delivery())
    broken.data = None
    with pytest.raises(UsageError, match="#9 could not be decoded"):
        make_fixtures([broken])
