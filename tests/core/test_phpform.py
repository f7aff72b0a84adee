"""PHP bracket forms: bodies exactly as PHP's http_build_query writes them parse like parse_str."""

from __future__ import annotations

import re
from typing import Any

import pytest
from php_reference import AUTH_APP, AUTH_ROBOT, DEAL_UPDATE

from b24monitor.core.errors import MalformedDelivery
from b24monitor.core.phpform import MAX_DEPTH, MAX_FIELDS, build_form, parse_form

# Every body below was produced once by PHP 8.2's http_build_query and pasted verbatim (CI needs
# no PHP); expected structures were checked against PHP 8.2's parse_str + json_encode.


# PHP array: ACTIVE => true, SECOND_NAME => null, UF_SKILLS => [] (the last two are dropped).
USER_ADD = (
    b"event=ONUSERADD&event_handler_id=7&data%5BID%5D=59&data%5BACTIVE%5D=1"
    b"&data%5BEMAIL%5D=ivan.petrov%2Bcrm%40example.ru&data%5BNAME%5D=%D0%98%D0%B2%D0%B0%D0%BD"
    b"&data%5BLAST_NAME%5D=%D0%9F%D0%B5%D1%82%D1%80%D0%BE%D0%B2-%D0%92%D0%BE%D0%B4%D0%BA%D0%B8"
    b"%D0%BD"
    b"&data%5BWORK_POSITION%5D=%D0%9C%D0%B5%D0%BD%D0%B5%D0%B4%D0%B6%D0%B5%D1%80+%D0%BF%D0%BE+%"
    b"D0%BF%D1%80%D0%BE%D0%B4%D0%B0%D0%B6%D0%B0%D0%BC+%26+%D0%BC%D0%B0%D1%80%D0%BA%D0%B5%D1%82"
    b"%D0%B8%D0%BD%D0%B3%D1%83&data%5BUF_DEPARTMENT%5D%5B0%5D=1"
    b"&data%5BUF_DEPARTMENT%5D%5B1%5D=12"
    b"&data%5BPERSONAL_NOTES%5D=50%25+%3D+half%3B+a%2Fb%3Fc%23d%0Anew+line+%7Etilde"
    b"&ts=1764339000" + AUTH_APP
)

# PHP array: QUERY => [any => ..., nested => [deep => [list => ['a b', 'c+d']]], flag => false].
APP_TEST = (
    b"event=ONAPPTEST&event_handler_id=11"
    b"&data%5BQUERY%5D%5Bany%5D=%D0%9F%D1%80%D0%B8%D0%B2%D0%B5%D1%82%2C+%D0%BC%D0%B8%D1%80%21"
    b"&data%5BQUERY%5D%5Bnested%5D%5Bdeep%5D%5Blist%5D%5B0%5D=a+b"
    b"&data%5BQUERY%5D%5Bnested%5D%5Bdeep%5D%5Blist%5D%5B1%5D=c%2Bd"
    b"&data%5BQUERY%5D%5Bflag%5D=0&data%5BLANGUAGE_ID%5D=ru&ts=1764339400" + AUTH_APP
)

CALL_END_ROBOT = (
    b"event=ONVOXIMPLANTCALLEND&event_handler_id=14"
    b"&data%5BCALL_ID%5D=externalCall.ab12cd34ef56ab78cd90ef12ab34cd56.1764339700"
    b"&data%5BCALL_TYPE%5D=2&data%5BPHONE_NUMBER%5D=%2B7+%28495%29+123-45-67"
    b"&data%5BPORTAL_USER_ID%5D=1&data%5BCALL_DURATION%5D=184"
    b"&data%5BCALL_START_DATE%5D=2026-11-28T15%3A03%3A20%2B03%3A00&data%5BCOST%5D=3.6800"
    b"&data%5BCOST_CURRENCY%5D=RUB&data%5BCALL_FAILED_CODE%5D=200"
    b"&data%5BCALL_FAILED_REASON%5D=Success+call&data%5BCRM_ACTIVITY_ID%5D=88123"
    b"&data%5BCRM_ENTITY_TYPE%5D=CONTACT&data%5BCRM_ENTITY_ID%5D=4411"
    b"&data%5BCOMMENT%5D=%D0%9A%D0%BB%D0%B8%D0%B5%D0%BD%D1%82+%D0%BF%D1%80%D0%BE%D1%81%D0%B8%D"
    b"1%82+%D0%BF%D0%B5%D1%80%D0%B5%D0%B7%D0%B2%D0%BE%D0%BD%D0%B8%D1%82%D1%8C+%D0%BF%D0%BE%D1%"
    b"81%D0%BB%D0%B5+%D0%BE%D0%B1%D0%B5%D0%B4%D0%B0%3B+%D0%BE%D0%B1%D1%81%D1%83%D0%B4%D0%B8%D1"
    b"%82%D1%8C+%D1%81%D0%BA%D0%B8%D0%B4%D0%BA%D1%83+15%25+%D0%BD%D0%B0+%D0%B3%D0%BE%D0%B4%D0%"
    b"BE%D0%B2%D1%83%D1%8E+%D0%BF%D0%BE%D0%B4%D0%BF%D0%B8%D1%81%D0%BA%D1%83"
    b"&data%5BCALL_TAGS%5D%5B0%5D=%D0%B2%D1%85%D0%BE%D0%B4%D1%8F%D1%89%D0%B8%D0%B9"
    b"&data%5BCALL_TAGS%5D%5B1%5D=%D0%BF%D0%BE%D0%B2%D1%82%D0%BE%D1%80%D0%BD%D1%8B%D0%B9"
    b"&data%5BCALL_TAGS%5D%5B2%5D=VIP&data%5BCRM_BINDINGS%5D%5B0%5D%5BOWNER_TYPE_ID%5D=3"
    b"&data%5BCRM_BINDINGS%5D%5B0%5D%5BOWNER_ID%5D=4411"
    b"&data%5BCRM_BINDINGS%5D%5B1%5D%5BOWNER_TYPE_ID%5D=2"
    b"&data%5BCRM_BINDINGS%5D%5B1%5D%5BOWNER_ID%5D=3187&ts=1764339700" + AUTH_ROBOT
)

PHP_BODIES = [DEAL_UPDATE, USER_ADD, APP_TEST, CALL_END_ROBOT]


def test_the_spec_example_body_parses_to_the_documented_structure() -> None:
    assert parse_form(DEAL_UPDATE) == {
        "event": "ONCRMDEALUPDATE",
        "event_handler_id": "412",
        "data": {"FIELDS": {"ID": "3187"}},
        "ts": "1764338592",
        "auth": {
            "access_token": (
                "7d1b3a6a006d8c5f0071e2a400000001000007c4e0b9f1a2c3d4e5f60718293a4b5c6d"
            ),
            "expires": "1764342192",
            "expires_in": "3600",
            "scope": "crm,task,user",
            "domain": "acme.bitrix24.com",
            "server_endpoint": "https://oauth.bitrix.info/rest/",
            "status": "L",
            "client_endpoint": "https://acme.bitrix24.com/rest/",
            "member_id": "0c4f5e9a8b7d6c5e4f3a2b1c0d9e8f7a",
            "user_id": "1",
            "application_token": "9e7d1c2b3a4f5e6d7c8b9a0f1e2d3c4b",
        },
    }


def test_cyrillic_plus_spaces_and_escaped_symbols_come_out_as_typed() -> None:
    data = parse_form(USER_ADD)["data"]
    assert data["NAME"] == "Иван"
    assert data["LAST_NAME"] == "Петров-Водкин"
    assert data["WORK_POSITION"] == "Менеджер по продажам & маркетингу"
    assert data["EMAIL"] == "ivan.petrov+crm@example.ru"
    assert data["PERSONAL_NOTES"] == "50% = half; a/b?c#d\nnew line ~tilde"


def test_php_booleans_are_strings_and_nulls_and_empty_lists_are_absent() -> None:
    data = parse_form(USER_ADD)["data"]
    assert data["ACTIVE"] == "1"
    assert "SECOND_NAME" not in data
    assert "UF_SKILLS" not in data


def test_numeric_segments_become_lists_and_nested_maps_stay_maps() -> None:
    assert parse_form(USER_ADD)["data"]["UF_DEPARTMENT"] == ["1", "12"]
    query = parse_form(APP_TEST)["data"]["QUERY"]
    assert query == {
        "any": "Привет, мир!",
        "nested": {"deep": {"list": ["a b", "c+d"]}},
        "flag": "0",
    }


def test_lists_of_maps_and_lists_of_cyrillic_strings() -> None:
    data = parse_form(CALL_END_ROBOT)["data"]
    assert data["CALL_TAGS"] == ["входящий", "повторный", "VIP"]
    assert data["CRM_BINDINGS"] == [
        {"OWNER_TYPE_ID": "3", "OWNER_ID": "4411"},
        {"OWNER_TYPE_ID": "2", "OWNER_ID": "3187"},
    ]
    assert data["COMMENT"].endswith("скидку 15% на годовую подписку")
    assert data["PHONE_NUMBER"] == "+7 (495) 123-45-67"


def test_robot_delivery_auth_has_no_tokens() -> None:
    auth = parse_form(CALL_END_ROBOT)["auth"]
    assert set(auth) == {
        "domain",
        "client_endpoint",
        "server_endpoint",
        "member_id",
        "application_token",
    }


def test_the_literal_undefined_stays_a_plain_string() -> None:
    body = b"data%5BFIELDS_BEFORE%5D=undefined&data%5BFIELDS_AFTER%5D%5BID%5D=905"
    assert parse_form(body) == {
        "data": {"FIELDS_BEFORE": "undefined", "FIELDS_AFTER": {"ID": "905"}}
    }


def test_raw_and_percent_encoded_brackets_mean_the_same_key() -> None:
    expected = {"data": {"FIELDS": {"ID": "7"}}}
    assert parse_form(b"data[FIELDS][ID]=7") == expected
    assert parse_form(b"data%5BFIELDS%5D%5BID%5D=7") == expected
    assert parse_form(b"data%5bFIELDS%5d%5bID%5d=7") == expected


# (body, what PHP 8.2 parse_str + json_encode gives)
PARSE_STR_CASES: list[tuple[bytes, dict[str, Any]]] = [
    (b"a[]=1&a[]=2", {"a": ["1", "2"]}),
    (b"a%5B%5D=1&a%5B%5D=2", {"a": ["1", "2"]}),
    (b"a[5]=x&a[]=y", {"a": {"5": "x", "6": "y"}}),
    (b"a[][x]=1&a[][x]=2", {"a": [{"x": "1"}, {"x": "2"}]}),
    (b"a[x][]=1&a[x][]=2&a[y]=3", {"a": {"x": ["1", "2"], "y": "3"}}),
    (b"a[]=1&a[b]=2&a[]=3", {"a": {"0": "1", "b": "2", "1": "3"}}),
    (b"a[07]=1&a[]=2", {"a": {"07": "1", "0": "2"}}),
    (b"a[%C2%B2]=1&a[]=2", {"a": {"²": "1", "0": "2"}}),
    (b"a[-1]=x&a[]=y", {"a": {"-1": "x", "0": "y"}}),
    (b"a[b]c=1", {"a": {"b": "1"}}),
    (b"a[[x]]=1", {"a": {"[x": "1"}}),
    (b"a[b][c=1", {"a": {"b": "1"}}),
    (b"a[ b ]=1", {"a": {" b ": "1"}}),
    (b"a=1&a=2", {"a": "2"}),
    (b"x=a=b=c", {"x": "a=b=c"}),
    (b"flag&=v&k=1", {"flag": "", "k": "1"}),
    (b"a[b]=1&&&c=2", {"a": {"b": "1"}, "c": "2"}),
    (b"a%26b=c%3Dd", {"a&b": "c=d"}),
    (b"q=a+b%2Bc", {"q": "a b+c"}),
    (b"a=%00&b[c]=%01x&d=e=f", {"a": "\x00", "b": {"c": "\x01x"}, "d": "e=f"}),
]


@pytest.mark.parametrize(("body", "expected"), PARSE_STR_CASES)
def test_edge_cases_parse_like_php_parse_str(body: bytes, expected: dict[str, Any]) -> None:
    assert parse_form(body) == expected


def test_a_map_keyed_out_of_order_stays_a_map_like_json_encode() -> None:
    parsed = parse_form(b"a[1]=x&a[0]=y")
    assert parsed == {"a": {"1": "x", "0": "y"}}
    assert list(parsed["a"]) == ["1", "0"]


def test_empty_body_is_an_empty_form() -> None:
    assert parse_form(b"") == {}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"event=ON\xffX", "not valid UTF-8 (byte 8)"),
        (b"data%5BNAME%5D=%D0", "'data[NAME]' is not valid UTF-8"),
        (b"a=100%", "invalid percent-escape '%'"),
        (b"a=%zz", "invalid percent-escape '%zz'"),
        (b"a%5=1", "invalid percent-escape '%5='"),
    ],
)
def test_undecodable_text_is_refused_with_the_reason(body: bytes, message: str) -> None:
    with pytest.raises(MalformedDelivery, match=re.escape(message)):
        parse_form(body)


@pytest.mark.parametrize(
    "body",
    [b"a=1&a[b]=2", b"a[b]=2&a=1", b"a[b][c]=1&a[b]=2", b"a[b]=1&a[b][c]=2", b"a[]=1&a[0][x]=2"],
)
def test_a_field_given_both_as_value_and_as_map_is_refused(body: bytes) -> None:
    with pytest.raises(MalformedDelivery, match="key 'a"):
        parse_form(body)


def _parsed(body: bytes) -> Any:
    try:
        return parse_form(body)
    except MalformedDelivery as exc:
        return exc


# Hostile bodies must be refused in linear time. A deadline (pytest-timeout) catches a parser
# that goes quadratic — minutes, for these sizes — without timing a loaded machine.
HOSTILE = pytest.mark.timeout(20)


def test_keys_nested_up_to_php_limit_parse_and_deeper_ones_are_refused() -> None:
    node = parse_form(b"a" + b"[x]" * MAX_DEPTH + b"=1")["a"]
    for _ in range(MAX_DEPTH):
        node = node["x"]
    assert node == "1"
    with pytest.raises(MalformedDelivery, match=f"deeper than {MAX_DEPTH} levels"):
        parse_form(b"a" + b"[x]" * (MAX_DEPTH + 1) + b"=1")


@HOSTILE
def test_ten_thousand_bracket_levels_are_refused_fast() -> None:
    for body in (b"a" + b"[x]" * 10_000 + b"=1", b"a" + b"%5Bx%5D" * 10_000 + b"=1"):
        result = _parsed(body)
        assert isinstance(result, MalformedDelivery)
        assert "deeper than" in str(result)


@HOSTILE
def test_ten_thousand_unbalanced_brackets_do_not_hang() -> None:
    result = _parsed(b"a" + b"[" * 10_000 + b"]" * 10_000 + b"=1")
    assert result == {"a": {"[" * 9_999: "1"}}  # PHP: a segment ends at the first `]`


@HOSTILE
def test_a_hundred_thousand_fields_are_refused_fast() -> None:
    result = _parsed(b"&".join(b"f%d=v" % i for i in range(100_000)))
    assert isinstance(result, MalformedDelivery)
    assert f"more than the {MAX_FIELDS} allowed" in str(result)


@HOSTILE
def test_the_largest_allowed_append_list_parses() -> None:
    result = _parsed(b"&".join([b"a%5B%5D=v"] * MAX_FIELDS))
    assert isinstance(result, dict)
    assert len(result["a"]) == MAX_FIELDS


@pytest.mark.parametrize("body", PHP_BODIES)
def test_build_form_writes_what_http_build_query_wrote(body: bytes) -> None:
    assert build_form(parse_form(body)) == body.decode("ascii")


def test_build_form_handles_php_scalars_like_http_build_query() -> None:
    data = {
        "data": {
            "ID": 7,
            "ACTIVE": True,
            "OFF": False,
            "X": None,
            "L": [],
            "T": ["a b", "~", "=&%+"],
        },
        "k[ey]": "Ёлка",
    }
    # What PHP 8.2 printed for the same array.
    assert build_form(data) == (
        "data%5BID%5D=7&data%5BACTIVE%5D=1&data%5BOFF%5D=0&data%5BT%5D%5B0%5D=a+b"
        "&data%5BT%5D%5B1%5D=%7E&data%5BT%5D%5B2%5D=%3D%26%25%2B&k%5Bey%5D=%D0%81%D0%BB%D0%BA%D0%B0"
    )


@pytest.mark.parametrize(
    "data",
    [
        {"event": "ONCRMDEALADD", "data": {"FIELDS": {"ID": "1"}}},
        {"a": ["x", "y", {"z": "Жук & жаба = 100%"}], "b": {"c": {"d": ["", " ", "+"]}}},
        {"text": "line\nbreak\ttab\x00nul", "emoji": "🙂", "keys with spaces": "v"},
        {"m": {"1": "one", "0": "zero"}, "n": {"07": "x"}},
    ],
)
def test_build_form_round_trips_through_parse_form(data: dict[str, Any]) -> None:
    assert parse_form(build_form(data).encode("ascii")) == data
