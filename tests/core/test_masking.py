"""Tests for secret masking in decoded payloads, raw form and JSON bodies, and headers."""

from __future__ import annotations

import json
import re

import pytest

from b24monitor.core.masking import (
    SECRET_KEYS,
    is_secret_header,
    is_secret_key,
    mask_body,
    mask_form_body,
    mask_headers,
    mask_json_body,
    mask_secrets,
    mask_value,
)
from b24monitor.core.phpform import build_form, parse_form

ACCESS = "7d1b3a6a006d8c5f0071e2a400000001000007c4e0b9f1a2c3d4e5f60718293a4b5c6d"
REFRESH = "6c0ab26a006d8c5f0071e2a400000001000007c49f1c3ab4d7a2e8f6b0c5d4e3f2a1b0c9"
APP_TOKEN = "9e7d1c2b3a4f5e6d7c8b9a0f1e2d3c4b"

# The spec's realistic delivery (§1.4), byte for byte.
SPEC_BODY = (
    b"event=ONCRMDEALUPDATE&event_handler_id=412&data%5BFIELDS%5D%5BID%5D=3187&ts=1764338592"
    b"&auth%5Baccess_token%5D=" + ACCESS.encode() + b"&auth%5Bexpires%5D=1764342192"
    b"&auth%5Bexpires_in%5D=3600&auth%5Bscope%5D=crm%2Ctask%2Cuser"
    b"&auth%5Bdomain%5D=acme.bitrix24.com"
    b"&auth%5Bserver_endpoint%5D=https%3A%2F%2Foauth.bitrix.info%2Frest%2F"
    b"&auth%5Bstatus%5D=L&auth%5Bclient_endpoint%5D=https%3A%2F%2Facme.bitrix24.com%2Frest%2F"
    b"&auth%5Bmember_id%5D=0c4f5e9a8b7d6c5e4f3a2b1c0d9e8f7a&auth%5Buser_id%5D=1"
    b"&auth%5Bapplication_token%5D=" + APP_TOKEN.encode()
)

SECRET_KEY_NAMES = {"access_token", "refresh_token", "application_token", "auth_id", "refresh_id"}


def _pairs(body: bytes) -> list[bytes]:
    return body.split(b"&")


def _is_secret_pair(pair: bytes) -> bool:
    key = pair.partition(b"=")[0].decode().replace("%5B", "[").replace("%5D", "]")
    segments = re.split(r"[\[\]]+", key)
    return any(segment.lower() in SECRET_KEY_NAMES for segment in segments)


# --- mask_value -------------------------------------------------------------------------------


def test_mask_value_keeps_four_characters_and_the_length() -> None:
    assert mask_value(APP_TOKEN) == "9e7d…(32)"
    assert mask_value(ACCESS) == "7d1b…(70)"


def test_mask_value_hides_short_values_completely() -> None:
    assert mask_value("abcdef") == "…(6)"
    assert mask_value("") == ""


def test_secret_keys_cover_the_bitrix_spellings() -> None:
    expected = {"access_token", "refresh_token", "application_token"}
    expected |= {"APPLICATION_TOKEN", "AUTH_ID", "REFRESH_ID"}
    assert expected <= SECRET_KEYS
    assert is_secret_key("Access_Token")
    assert not is_secret_key("access_token_expires")
    assert not is_secret_key("expires_in")


# --- mask_secrets -----------------------------------------------------------------------------


def test_mask_secrets_masks_the_auth_block_and_keeps_other_fields() -> None:
    data = parse_form(SPEC_BODY)
    masked = mask_secrets(data)
    assert masked["auth"]["access_token"] == "7d1b…(70)"
    assert masked["auth"]["application_token"] == "9e7d…(32)"
    for key in ("domain", "member_id", "expires_in", "scope", "user_id"):
        assert masked["auth"][key] == data["auth"][key]
    assert masked["data"] == {"FIELDS": {"ID": "3187"}}
    assert masked["event"] == "ONCRMDEALUPDATE"


def test_mask_secrets_reaches_into_data_lists_and_upper_case_keys() -> None:
    data = {
        "data": {
            "PARAMS": {"AUTH_ID": ACCESS, "REFRESH_ID": REFRESH},
            "ITEMS": [{"NAME": "x", "refresh_token": REFRESH}, {"APPLICATION_TOKEN": APP_TOKEN}],
        },
        "auth": {"refresh_token": REFRESH},
    }
    text = json.dumps(mask_secrets(data))
    for secret in (ACCESS, REFRESH, APP_TOKEN):
        assert secret not in text
    masked = mask_secrets(data)
    assert masked["data"]["ITEMS"][0] == {"NAME": "x", "refresh_token": "6c0a…(72)"}
    assert masked["data"]["ITEMS"][1] == {"APPLICATION_TOKEN": "9e7d…(32)"}
    assert masked["data"]["PARAMS"]["AUTH_ID"] == "7d1b…(70)"


def test_mask_secrets_masks_every_leaf_under_a_secret_key() -> None:
    data = {"auth": {"access_token": [ACCESS, {"part": REFRESH}], "refresh_token": 12345}}
    masked = mask_secrets(data)
    assert masked["auth"]["access_token"] == ["7d1b…(70)", {"part": "6c0a…(72)"}]
    assert masked["auth"]["refresh_token"] == "…(5)"


def test_mask_secrets_returns_a_deep_copy() -> None:
    data = parse_form(SPEC_BODY)
    before = json.dumps(data)
    masked = mask_secrets(data)
    masked["data"]["FIELDS"]["ID"] = "changed"
    masked["auth"]["domain"] = "changed"
    assert json.dumps(data) == before
    assert masked["data"] is not data["data"]


# --- mask_form_body ---------------------------------------------------------------------------


def test_mask_form_body_changes_only_secret_values() -> None:
    masked = mask_form_body(SPEC_BODY)
    original_pairs, masked_pairs = _pairs(SPEC_BODY), _pairs(masked)
    assert len(original_pairs) == len(masked_pairs)
    secret_pairs = 0
    for before, after in zip(original_pairs, masked_pairs, strict=True):
        if _is_secret_pair(before):
            secret_pairs += 1
            assert after.partition(b"=")[0] == before.partition(b"=")[0]
            assert after != before
        else:
            assert after == before
    assert secret_pairs == 2
    assert ACCESS.encode() not in masked and APP_TOKEN.encode() not in masked


def test_mask_form_body_decodes_to_the_masked_payload() -> None:
    assert parse_form(mask_form_body(SPEC_BODY)) == mask_secrets(parse_form(SPEC_BODY))


def test_mask_form_body_leaves_a_body_without_secrets_identical() -> None:
    body = b"event=ONCRMDEALUPDATE&data%5BFIELDS%5D%5BID%5D=1&&trailing&auth%5Bexpires_in%5D=3600&"
    assert mask_form_body(body) == body
    assert mask_form_body(b"") == b""


def test_mask_form_body_handles_raw_brackets_and_iframe_keys() -> None:
    body = (
        f"auth[application_token]={APP_TOKEN}&AUTH_ID={ACCESS}&REFRESH_ID={REFRESH}"
        f"&APPLICATION_TOKEN={APP_TOKEN}&member_id=abc&AUTH_EXPIRES=3600"
    ).encode()
    masked = mask_form_body(body)
    assert (
        masked
        == (
            "auth[application_token]=9e7d…(32)&AUTH_ID=7d1b…(70)&REFRESH_ID=6c0a…(72)"
            "&APPLICATION_TOKEN=9e7d…(32)&member_id=abc&AUTH_EXPIRES=3600"
        ).encode()
    )


def test_mask_form_body_keeps_invalid_utf8_and_odd_pairs_byte_for_byte() -> None:
    body = (
        b"event=ONCRMDEALADD&data%5BFIELDS%5D%5BTITLE%5D=\xff\xfe%D0&novalue"
        b"&auth%5Baccess_token%5D=&auth%5Baccess_token%5D=" + ACCESS.encode() + b"&tail=%ZZ"
    )
    masked = mask_form_body(body)
    assert masked == body.replace(ACCESS.encode(), "7d1b…(70)".encode())


def test_mask_form_body_masks_percent_encoded_tokens_by_their_decoded_value() -> None:
    token = "ab+cd/ef==ghijklmnop"  # 20 characters; base64-like tokens are percent-encoded
    body = build_form({"auth": {"refresh_token": token}, "x": "1"}).encode()
    masked = mask_form_body(body)
    assert parse_form(masked) == {"auth": {"refresh_token": "ab+c…(20)"}, "x": "1"}
    assert masked.endswith(b"&x=1")


def test_mask_form_body_masks_nested_values_under_a_secret_key() -> None:
    body = build_form({"auth": {"access_token": [ACCESS, REFRESH]}}).encode()
    masked = mask_form_body(body)
    assert parse_form(masked) == {"auth": {"access_token": ["7d1b…(70)", "6c0a…(72)"]}}


# --- JSON bodies and mask_body ----------------------------------------------------------------


def test_mask_json_body_masks_tokens_and_keeps_the_rest() -> None:
    body = json.dumps(
        {
            "event": "ONCRMDEALUPDATE",
            "auth": {"access_token": ACCESS, "application_token": APP_TOKEN},
        },
        indent=1,
    ).encode()
    masked = mask_json_body(body)
    parsed = json.loads(masked)
    assert parsed["auth"] == {"access_token": "7d1b…(70)", "application_token": "9e7d…(32)"}
    assert (
        masked.replace("7d1b…(70)".encode(), ACCESS.encode()).replace(
            "9e7d…(32)".encode(), APP_TOKEN.encode()
        )
        == body
    )


def test_mask_json_body_keeps_escaped_values_valid_json() -> None:
    body = b'{"AUTH_ID": "a\\"\\u00e9cdefghijklmnopqrs"}'  # decodes to 20 characters
    assert json.loads(mask_json_body(body)) == {"AUTH_ID": 'a"éc…(20)'}


@pytest.mark.parametrize(
    "body",
    [
        SPEC_BODY,
        json.dumps({"auth": {"access_token": ACCESS, "application_token": APP_TOKEN}}).encode(),
    ],
    ids=["form", "json"],
)
def test_mask_body_masks_form_and_json_bodies(body: bytes) -> None:
    masked = mask_body(body)
    assert ACCESS.encode() not in masked and APP_TOKEN.encode() not in masked
    assert "7d1b…(70)".encode() in masked


# --- headers ----------------------------------------------------------------------------------


def test_mask_headers_masks_credentials_and_keeps_the_rest() -> None:
    headers = (
        ("Host", "abc.ngrok-free.app"),
        ("Authorization", f"Bearer {ACCESS}"),
        ("Cookie", f"session={REFRESH}; theme=dark"),
        ("X-Auth-Token", APP_TOKEN),
        ("Content-Type", "application/x-www-form-urlencoded"),
        ("User-Agent", "Bitrix24 Webhook Engine"),
    )
    masked = mask_headers(headers)
    assert masked == (
        ("Host", "abc.ngrok-free.app"),
        ("Authorization", "Bearer 7d1b…(70)"),
        ("Cookie", f"sess…({len(headers[2][1])})"),
        ("X-Auth-Token", "9e7d…(32)"),
        ("Content-Type", "application/x-www-form-urlencoded"),
        ("User-Agent", "Bitrix24 Webhook Engine"),
    )


def test_is_secret_header_is_case_insensitive() -> None:
    assert is_secret_header("authorization")
    assert is_secret_header("SET-COOKIE")
    assert is_secret_header("X-Api-Key")
    assert not is_secret_header("Content-Length")
    assert not is_secret_header("X-Forwarded-For")
