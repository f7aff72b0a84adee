"""Delivery decoding: real Bitrix24 bodies give the event, portal, user and entity to look for."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from php_reference import AUTH_APP, AUTH_ROBOT, DEAL_UPDATE

from b24monitor.core.decoding import FAMILIES, decode_body, entity_kind, key_fields
from b24monitor.core.errors import MalformedDelivery
from b24monitor.core.model import KeyFields

# Bodies produced once by PHP 8.2's http_build_query (the way Bitrix24 builds them, spec §1.2)
# and pasted verbatim, so CI needs no PHP.

FORM = "application/x-www-form-urlencoded"
MEMBER = "0c4f5e9a8b7d6c5e4f3a2b1c0d9e8f7a"
TOKEN = "9e7d1c2b3a4f5e6d7c8b9a0f1e2d3c4b"

DEAL_UPDATE_ROBOT = (
    b"event=ONCRMDEALUPDATE&event_handler_id=412&data%5BFIELDS%5D%5BID%5D=3187&ts=1764338601"
    + AUTH_ROBOT
)
# No event_handler_id (spec §7.2), tokens including refresh_token (spec §6.1).
APP_INSTALL = (
    b"event=ONAPPINSTALL&data%5BVERSION%5D=1&data%5BACTIVE%5D=Y&data%5BINSTALLED%5D=Y"
    b"&data%5BLANGUAGE_ID%5D=en&ts=1764330000"
    b"&auth%5Baccess_token%5D=s6p6eclrvim6da22ft9ch94ekreb52lv&auth%5Bexpires%5D=1764333600"
    b"&auth%5Bexpires_in%5D=3600&auth%5Bscope%5D=crm%2Ctask%2Cuser%2Cplacement"
    b"&auth%5Bdomain%5D=acme.bitrix24.com"
    b"&auth%5Bserver_endpoint%5D=https%3A%2F%2Foauth.bitrix.info%2Frest%2F&auth%5Bstatus%5D=L"
    b"&auth%5Bclient_endpoint%5D=https%3A%2F%2Facme.bitrix24.com%2Frest%2F"
    b"&auth%5Bmember_id%5D=0c4f5e9a8b7d6c5e4f3a2b1c0d9e8f7a"
    b"&auth%5Brefresh_token%5D=4s386p3q0tr8dy89xvmt96234v3dljg8"
    b"&auth%5Bapplication_token%5D=9e7d1c2b3a4f5e6d7c8b9a0f1e2d3c4b"
)
APP_UNINSTALL = (
    b"event=ONAPPUNINSTALL&event_handler_id=3&data%5BLANGUAGE_ID%5D=en&data%5BCLEAN%5D=1"
    b"&ts=1764339600" + AUTH_ROBOT
)
TASK_ADD = (
    b"event=ONTASKADD&data%5BFIELDS_BEFORE%5D=undefined&data%5BFIELDS_AFTER%5D%5BID%5D=905"
    b"&data%5BIS_ACCESSIBLE_BEFORE%5D=N&data%5BIS_ACCESSIBLE_AFTER%5D=undefined&ts=1764338700"
    + AUTH_APP
)
TASK_DELETE = (
    b"event=ONTASKDELETE&event_handler_id=415&data%5BFIELDS_BEFORE%5D%5BID%5D=905"
    b"&data%5BFIELDS_AFTER%5D=undefined&data%5BIS_ACCESSIBLE_BEFORE%5D=Y"
    b"&data%5BIS_ACCESSIBLE_AFTER%5D=undefined&ts=1764338800" + AUTH_ROBOT
)
TASK_COMMENT_ADD = (
    b"event=ONTASKCOMMENTADD&event_handler_id=12&data%5BFIELDS_AFTER%5D%5BID%5D=0"
    b"&data%5BFIELDS_AFTER%5D%5BMESSAGE_ID%5D=7781&data%5BFIELDS_AFTER%5D%5BTASK_ID%5D=905"
    b"&ts=1764339500" + AUTH_APP
)
# PHP array had 'data' => []: http_build_query drops it, so there is no data key (spec §1.3).
OFFLINE = (
    b"event=ONOFFLINEEVENT&ts=1764338900"
    + AUTH_APP
    + b"&auth%5Brefresh_token%5D=4s386p3q0tr8dy89xvmt96234v3dljg8"
)
DYNAMIC_UPDATE_1032 = (
    b"event=ONCRMDYNAMICITEMUPDATE_1032&event_handler_id=501&data%5BFIELDS%5D%5BID%5D=22"
    b"&ts=1764339100" + AUTH_APP
)
DYNAMIC_ADD = (
    b"event=ONCRMDYNAMICITEMADD&event_handler_id=500&data%5BFIELDS%5D%5BID%5D=23"
    b"&data%5BFIELDS%5D%5BENTITY_TYPE_ID%5D=1032&ts=1764339101" + AUTH_APP
)
CALENDAR_ADD = (
    b"event=ONCALENDARENTRYADD&event_handler_id=9&data%5Bid%5D=1414&ts=1764339200" + AUTH_APP
)
LIVEFEED_ADD = (
    b"event=ONLIVEFEEDPOSTADD&event_handler_id=10&data%5BFIELDS%5D%5BPOST_ID%5D=209"
    b"&ts=1764339300" + AUTH_APP
)
USER_ADD = (
    b"event=ONUSERADD&event_handler_id=7&data%5BID%5D=59&data%5BACTIVE%5D=1"
    b"&data%5BNAME%5D=%D0%98%D0%B2%D0%B0%D0%BD&data%5BUF_DEPARTMENT%5D%5B0%5D=1"
    b"&data%5BUF_DEPARTMENT%5D%5B1%5D=12&ts=1764339000" + AUTH_APP
)


def fields(body: bytes, content_type: str = FORM) -> KeyFields:
    return key_fields(decode_body(body, content_type))


# --- decode_body ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    [
        FORM,
        "application/x-www-form-urlencoded; charset=UTF-8",
        "Application/X-WWW-Form-Urlencoded",
        "",
        "text/plain",
        "application/octet-stream",
    ],
)
def test_form_bodies_decode_whatever_the_content_type_says(content_type: str) -> None:
    payload = decode_body(DEAL_UPDATE, content_type)
    assert payload["data"] == {"FIELDS": {"ID": "3187"}}
    assert payload["auth"]["domain"] == "acme.bitrix24.com"


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "application/json; charset=utf-8",
        "application/vnd.b24+json",
        "APPLICATION/JSON",
    ],
)
def test_json_bodies_decode_as_json(content_type: str) -> None:
    body = json.dumps({"event": "ONCRMDEALADD", "data": {"FIELDS": {"ID": 12}}}).encode()
    assert decode_body(body, content_type) == {
        "event": "ONCRMDEALADD",
        "data": {"FIELDS": {"ID": 12}},
    }


def test_a_json_test_body_with_numbers_gives_the_same_key_fields_as_a_form() -> None:
    body = json.dumps(
        {
            "event": "ONCRMDEALUPDATE",
            "event_handler_id": 412,
            "data": {"FIELDS": {"ID": 3187}},
            "ts": 1764338592,
            "auth": {
                "member_id": MEMBER,
                "domain": "acme.bitrix24.com",
                "application_token": TOKEN,
            },
        }
    ).encode()
    assert fields(body, "application/json") == replace(fields(DEAL_UPDATE_ROBOT), ts=1764338592)


@pytest.mark.parametrize("content_type", [FORM, "application/json", ""])
def test_an_empty_body_is_refused(content_type: str) -> None:
    with pytest.raises(MalformedDelivery, match=r"^empty body"):
        decode_body(b"", content_type)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"event": "ONCRMDEALADD",', "not valid JSON"),
        (b"[1, 2]", "JSON body is list, not an object"),
        (b'"ONCRMDEALADD"', "JSON body is str, not an object"),
        (b"null", "JSON body is null, not an object"),
        (b"42", "JSON body is int, not an object"),
        (b'{"event": "ON\xff"}', "not valid UTF-8"),
        (b"[" * 100_000 + b"]" * 100_000, "nests too deeply"),
        (b'{"a":' * 100_000 + b"1" + b"}" * 100_000, "nests too deeply"),
    ],
)
def test_bad_json_is_refused_with_the_reason(body: bytes, message: str) -> None:
    with pytest.raises(MalformedDelivery, match=message):
        decode_body(body, "application/json")


def test_a_missing_data_block_is_left_missing() -> None:
    assert "data" not in decode_body(OFFLINE, FORM)


# --- key_fields -------------------------------------------------------------------------------


def test_the_spec_example_gives_every_key_field() -> None:
    assert fields(DEAL_UPDATE) == KeyFields(
        event="ONCRMDEALUPDATE",
        handler_id="412",
        ts=1764338592,
        member_id=MEMBER,
        domain="acme.bitrix24.com",
        user_id="1",
        application_token=TOKEN,
        entity_id="3187",
        entity_type_id=None,
    )


def test_a_robot_delivery_has_portal_and_token_but_no_user() -> None:
    got = fields(DEAL_UPDATE_ROBOT)
    assert (got.member_id, got.application_token, got.entity_id) == (MEMBER, TOKEN, "3187")
    assert got.user_id is None


def test_app_install_without_handler_id_carries_the_token_to_learn() -> None:
    got = fields(APP_INSTALL)
    assert (got.event, got.handler_id, got.application_token) == ("ONAPPINSTALL", None, TOKEN)
    assert (got.entity_id, got.entity_type_id) == (None, None)


def test_app_uninstall_is_about_no_entity() -> None:
    got = fields(APP_UNINSTALL)
    assert (got.event, got.handler_id, got.user_id, got.entity_id) == (
        "ONAPPUNINSTALL",
        "3",
        None,
        None,
    )


def test_offline_signal_without_data_has_no_entity() -> None:
    got = fields(OFFLINE)
    assert (got.event, got.member_id, got.entity_id) == ("ONOFFLINEEVENT", MEMBER, None)


@pytest.mark.parametrize(
    ("body", "entity_id", "entity_type_id"),
    [
        (TASK_ADD, "905", None),  # FIELDS_BEFORE is the string "undefined"
        (TASK_DELETE, "905", None),  # FIELDS_AFTER is the string "undefined"
        (TASK_COMMENT_ADD, "905", None),  # the task; chat-based comments have ID "0"
        (DYNAMIC_UPDATE_1032, "22", "1032"),  # type from the per-type event code
        (DYNAMIC_ADD, "23", "1032"),  # type from data.FIELDS.ENTITY_TYPE_ID
        (CALENDAR_ADD, "1414", None),  # lower-case data.id
        (LIVEFEED_ADD, "209", None),  # data.FIELDS.POST_ID
        (USER_ADD, "59", None),  # flat user record
    ],
)
def test_the_entity_is_found_where_each_event_family_puts_it(
    body: bytes, entity_id: str, entity_type_id: str | None
) -> None:
    got = fields(body)
    assert (got.entity_id, got.entity_type_id) == (entity_id, entity_type_id)


def test_the_entity_type_field_wins_over_the_code_suffix() -> None:
    payload = {
        "event": "ONCRMDYNAMICITEMADD_1032",
        "data": {"FIELDS": {"ID": "5", "ENTITY_TYPE_ID": "31"}},
    }
    assert key_fields(payload).entity_type_id == "31"


@pytest.mark.parametrize(
    ("event", "data", "entity_id"),
    [
        ("ONIMBOTJOINCHAT", {"FIELDS": {"ID": "77"}}, "77"),
        ("ONBOOKINGADD", {"ID": "78"}, "78"),
        ("CATALOG.PRODUCT.ON.ADD", {"FIELDS": {"ID": "79", "TYPE": "1"}}, "79"),
        (
            "ONVOXIMPLANTCALLEND",
            {"CALL_ID": "externalCall.ab12", "CRM_ACTIVITY_ID": "5"},
            "externalCall.ab12",
        ),
        ("ONSOMETHINGNEW", {"WHATEVER": {"X": "1"}}, None),
        ("ONCRMDEALUPDATE", {"FIELDS": {"ID": ["1", "2"]}}, None),
        ("ONCRMDEALUPDATE", "undefined", None),
        ("ONCRMDEALUPDATE", ["a", "b"], None),
        ("ONTASKUPDATE", {"FIELDS_BEFORE": "undefined", "FIELDS_AFTER": "undefined"}, None),
    ],
)
def test_other_families_fall_back_to_an_id_or_none(
    event: str, data: Any, entity_id: str | None
) -> None:
    assert key_fields({"event": event, "data": data}).entity_id == entity_id


def test_event_codes_are_upper_cased() -> None:
    assert fields(b"event=onCrmDealAdd&data[FIELDS][ID]=4").event == "ONCRMDEALADD"
    assert fields(b"event=onCrmDealAdd&data[FIELDS][ID]=4").entity_id == "4"


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"event": ""},
        {"event": "  "},
        {"event": ["ONCRMDEALADD"]},
        {"event": 7},
        {"data": {"ID": "1"}},
    ],
)
def test_a_delivery_without_an_event_code_is_refused(payload: dict[str, Any]) -> None:
    with pytest.raises(MalformedDelivery, match=r"^delivery has no 'event' field; "):
        key_fields(payload)


def test_a_broken_json_body_sent_as_a_form_says_it_is_not_json() -> None:
    # `curl -d '{...}'` labels JSON as a form; we read it as JSON and say what is wrong with it.
    with pytest.raises(MalformedDelivery, match="not valid JSON"):
        fields(b'{"event": "ONCRMDEALADD"', FORM)


@pytest.mark.parametrize(
    ("ts", "expected"),
    [
        ("1764338592", 1764338592),
        (" 17 ", 17),
        ("soon", None),
        ("1_000", None),
        ("", None),
        ("١٢", None),
        (12.7, 12),
    ],
)
def test_ts_is_a_number_or_nothing(ts: Any, expected: int | None) -> None:
    assert key_fields({"event": "ONAPPTEST", "ts": ts}).ts == expected


def test_auth_that_is_not_a_map_means_no_portal() -> None:
    got = key_fields({"event": "ONAPPTEST", "auth": "undefined"})
    assert (got.member_id, got.domain, got.application_token) == (None, None, None)


# --- entity kinds and the family table --------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("ONCRMDEALUPDATE", "deal"),
        ("ONCRMDEALMOVETOCATEGORY", "deal"),
        ("oncrmleadadd", "lead"),
        ("ONCRMCONTACTDELETE", "contact"),
        ("ONCRMCOMPANYADD", "company"),
        ("ONCRMQUOTEUPDATE", "quote"),
        ("ONCRMINVOICEADD", "invoice"),
        ("ONCRMDYNAMICITEMADD", "smart item"),
        ("ONCRMDYNAMICITEMUPDATE_1032", "smart item"),
        ("ONTASKUPDATE", "task"),
        ("ONTASKCOMMENTADD", "task"),
        ("ONCALENDARENTRYADD", "calendar event"),
        ("ONLIVEFEEDPOSTADD", "livefeed post"),
        ("ONUSERADD", "user"),
        ("ONCRMDEALUSERFIELDADD", None),  # a custom field of deals, not a deal page
        ("ONCRMDEALRECURRINGADD", None),
        ("ONCRMTYPEADD", None),
        ("ONAPPINSTALL", None),
        ("ONOFFLINEEVENT", None),
        ("ONSOMETHINGNEW", None),
        ("", None),
    ],
)
def test_entity_kind_names_the_portal_page_for_links(code: str, kind: str | None) -> None:
    assert entity_kind(code) == kind


def test_each_code_prefix_belongs_to_one_family_and_one_family_catches_all() -> None:
    prefixes = [prefix for family in FAMILIES for prefix in family.prefixes]
    assert len(prefixes) == len(set(prefixes))
    assert all(prefix == prefix.upper() for prefix in prefixes)
    assert [family.name for family in FAMILIES if "" in family.prefixes] == ["other"]


@pytest.mark.parametrize("family", FAMILIES, ids=lambda family: family.name)
def test_every_extractor_copes_with_a_delivery_without_data(family: Any) -> None:
    assert family.extract({"event": "X"}) == (None, None)


def test_json_sent_as_a_form_by_curl_is_decoded_as_json() -> None:
    body = b'{"event": "ONCRMDEALADD", "data": {"FIELDS": {"ID": "1"}}}'
    payload = decode_body(body, "application/x-www-form-urlencoded")
    assert payload["data"] == {"FIELDS": {"ID": "1"}}
