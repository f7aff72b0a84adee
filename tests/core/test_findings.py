"""The findings table: every check trips on one delivery and stays quiet on a good one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from b24monitor.core.catalog import Catalog
from b24monitor.core.decoding import decode_body, key_fields
from b24monitor.core.errors import MalformedDelivery
from b24monitor.core.findings import CHECKS, CHECKS_BY_CODE, CheckContext, help_text, run_checks
from b24monitor.core.model import CapturedEvent, KeyFields
from b24monitor.core.phpform import build_form
from b24monitor.core.twins import TwinWindow
from tests.conftest import delivery

FORM = "application/x-www-form-urlencoded"
NOW = 1764338600.0
CTX = CheckContext(Catalog.load())


def captured(
    body: bytes,
    *,
    content_type: str = FORM,
    received_at: float = NOW,
    verified: bool | None = True,
    event_id: int = 1,
) -> CapturedEvent:
    """A stored event the way the writer builds it (decode, key fields; malformed kept raw)."""
    payload: dict[str, Any] | None = None
    fields = KeyFields()
    status = "ok"
    try:
        payload = decode_body(body, content_type)
        fields = key_fields(payload)
    except MalformedDelivery:
        status = "malformed"
    return CapturedEvent(
        id=event_id, received_at=received_at, event=fields.event, member_id=fields.member_id,
        domain=fields.domain, entity_id=fields.entity_id, entity_type_id=fields.entity_type_id,
        user_id=fields.user_id, handler_id=fields.handler_id, ts=fields.ts, verified=verified,
        status=status, error=None, size=len(body), content_type=content_type, headers=(),
        body=body, data=payload,
    )  # fmt: skip


def good() -> CapturedEvent:
    return captured(delivery(ts=int(NOW) - 1))


def form(fields: dict[str, Any]) -> bytes:
    return build_form(fields).encode()


def without(key: str) -> CapturedEvent:
    payload = decode_body(delivery(ts=int(NOW)), FORM)
    del payload[key]
    return captured(form(payload))


def auth_without(key: str, event: str = "ONCRMDEALUPDATE") -> CapturedEvent:
    payload = decode_body(delivery(event, ts=int(NOW)), FORM)
    del payload["auth"][key]
    return captured(form(payload))


def with_refresh(event: str) -> CapturedEvent:
    payload = decode_body(delivery(event, ts=int(NOW)), FORM)
    payload["auth"]["refresh_token"] = "5e4d3c2b1a"
    return captured(form(payload))


TRIPPING: dict[str, Callable[[], CapturedEvent]] = {
    "missing_event": lambda: without("event"),
    "missing_auth": lambda: without("auth"),
    "missing_ts": lambda: without("ts"),
    "token_missing": lambda: auth_without("application_token"),
    "token_unknown": lambda: captured(delivery(ts=int(NOW)), verified=False),
    "no_access_token": lambda: captured(delivery(user_id=None, ts=int(NOW))),
    "refresh_token": lambda: with_refresh("ONCRMDEALUPDATE"),
    "queue_delay": lambda: captured(delivery(ts=int(NOW) - 45)),
    "unknown_event": lambda: captured(delivery("ONCRMDEALUPDAET", ts=int(NOW))),
    "no_entity_id": lambda: captured(delivery(data={"FIELDS": {}}, ts=int(NOW))),
    "offline_data": lambda: captured(delivery("ONOFFLINEEVENT", {"event": "X"}, ts=int(NOW))),
    "not_utf8": lambda: captured(delivery(ts=int(NOW)) + b"&data%5BX%5D=%FF%FE"),
    "content_type": lambda: captured(
        b'{"event": "ONCRMDEALUPDATE", "ts": "1764338600", "data": {"FIELDS": {"ID": "1"}}, '
        b'"auth": {"application_token": "x", "access_token": "y", "member_id": "m"}}',
        content_type="application/json",
    ),
}

# Deliveries that look suspicious to a naive check but are fine, per check.
QUIET: dict[str, Callable[[], CapturedEvent]] = {
    "token_unknown": lambda: captured(delivery(ts=int(NOW)), verified=None),
    "no_access_token": lambda: captured(delivery("ONAPPUNINSTALL", user_id=None, ts=int(NOW))),
    "refresh_token": lambda: with_refresh("ONAPPINSTALL"),
    "queue_delay": lambda: captured(delivery(ts=int(NOW) - 29)),
    "unknown_event": lambda: captured(delivery("ONCRMDYNAMICITEMADD_1032", ts=int(NOW))),
    "no_entity_id": lambda: captured(delivery("ONAPPTEST", data={"QUERY": {}}, ts=int(NOW))),
    "offline_data": lambda: captured(delivery("ONOFFLINEEVENT", {}, ts=int(NOW))),
}

PER_DELIVERY = [c.code for c in CHECKS if c.code not in ("duplicate", "two_handlers", "loop")]


def codes(ev: CapturedEvent, ctx: CheckContext = CTX) -> list[str]:
    return [f.code for f in run_checks(ev, ctx)]


@pytest.mark.parametrize("code", PER_DELIVERY)
def test_each_check_trips_on_its_delivery(code: str) -> None:
    assert code in codes(TRIPPING[code]())


@pytest.mark.parametrize("code", PER_DELIVERY)
def test_each_check_stays_quiet_on_a_good_delivery(code: str) -> None:
    assert code not in codes(good())
    if code in QUIET:
        assert code not in codes(QUIET[code]())


def test_a_good_delivery_has_no_findings_at_all() -> None:
    assert codes(good()) == []


def test_queue_delay_says_how_long() -> None:
    found = run_checks(captured(delivery(ts=int(NOW) - 45)), CTX)
    assert [(f.code, f.detail) for f in found] == [("queue_delay", "45 s")]


def test_the_same_delivery_twice_is_a_duplicate_and_a_second_handler_is_two_handlers() -> None:
    window = TwinWindow(2.0)
    body = delivery(ts=int(NOW))
    first = captured(body, event_id=1)
    again = captured(body, event_id=2, received_at=NOW + 0.5)
    other = captured(delivery(ts=int(NOW), handler_id="413"), event_id=3, received_at=NOW + 0.6)
    later = captured(body, event_id=4, received_at=NOW + 10)
    changed = captured(delivery(data={"FIELDS": {"ID": "9"}}, ts=int(NOW)), event_id=5,
                       received_at=NOW + 10.1)  # fmt: skip

    def check(ev: CapturedEvent) -> list[str]:
        return codes(ev, CheckContext(CTX.catalog, twins=window.twins_of(ev)))

    assert check(first) == []
    assert check(again) == ["duplicate"]
    assert check(other) == ["two_handlers"]
    assert check(later) == []  # the earlier ones left the 2 s window
    assert check(changed) == []  # another object


def test_help_is_generated_from_the_table() -> None:
    text = help_text()
    for check in CHECKS:
        assert check.code in text and check.severity in text
    assert set(CHECKS_BY_CODE) >= set(TRIPPING) | {"duplicate", "two_handlers", "loop"}


def test_the_queue_delay_threshold_is_the_contexts() -> None:
    late = captured(delivery(ts=int(NOW) - 45))
    assert "queue_delay" not in codes(late, CheckContext(CTX.catalog, delay_threshold_s=60.0))
    assert "queue_delay" in codes(late, CheckContext(CTX.catalog, delay_threshold_s=10.0))
