"""Tests for the export formats: records, jsonl, json, csv, HAR 1.2, masking and streaming."""

from __future__ import annotations

import csv
import errno
import io
import json
import re
import sys
import tracemalloc
from collections.abc import Iterator
from typing import Any

import pytest

from b24monitor import __version__
from b24monitor.core.errors import ExportError
from b24monitor.core.export import (
    CSV_COLUMNS,
    FORMATS,
    event_record,
    export_events,
    format_names,
    help_text,
)
from b24monitor.core.masking import mask_secrets, mask_value
from b24monitor.core.model import CapturedEvent
from b24monitor.core.phpform import build_form, parse_form

ACCESS = "7d1b3a6a006d8c5f0071e2a400000001000007c4e0b9f1a2c3d4e5f60718293a4b5c6d"
REFRESH = "6c0ab26a006d8c5f0071e2a400000001000007c49f1c3ab4d7a2e8f6b0c5d4e3f2a1b0c9"
APP_TOKEN = "9e7d1c2b3a4f5e6d7c8b9a0f1e2d3c4b"
INSTALL_APP_TOKEN = "51f0aa7c33d94e0b8c2de6f4a1b7c9d0"
DATA_TOKEN = "d4t4a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7"
MALFORMED_TOKEN = "ba5eba11c0ffee00decafbad0123456789abcdef0123456789"
HEADER_TOKEN = "he4derbeefbeefbeefbeefbeefbeef01"

PAYLOAD_SECRETS = (ACCESS, REFRESH, APP_TOKEN, INSTALL_APP_TOKEN, DATA_TOKEN)
ALL_SECRETS = (*PAYLOAD_SECRETS, MALFORMED_TOKEN, HEADER_TOKEN)
# Where each format shows raw secrets: csv has no raw body, only HAR has headers.
REVEALED = {
    "jsonl": (*PAYLOAD_SECRETS, MALFORMED_TOKEN),
    "json": (*PAYLOAD_SECRETS, MALFORMED_TOKEN),
    "csv": PAYLOAD_SECRETS,
    "har": ALL_SECRETS,
}

MEMBER = "0c4f5e9a8b7d6c5e4f3a2b1c0d9e8f7a"
FORM = "application/x-www-form-urlencoded"
ENDPOINTS = {
    "domain": "acme.bitrix24.com",
    "client_endpoint": "https://acme.bitrix24.com/rest/",
    "server_endpoint": "https://oauth.bitrix.info/rest/",
    "member_id": MEMBER,
}


def _event(
    event_id: int, payload: dict[str, Any] | None, body: bytes | None = None, **fields: Any
) -> CapturedEvent:
    """A stored event as the store would hand it over, from a real form body."""
    raw = body if body is not None else build_form(payload or {}).encode()
    data = parse_form(raw) if payload is not None else None
    auth = (data or {}).get("auth", {})
    values: dict[str, Any] = {
        "id": event_id,
        "received_at": 1764338592.5 + event_id,
        "event": (data or {}).get("event"),
        "member_id": auth.get("member_id"),
        "domain": auth.get("domain"),
        "entity_id": None,
        "entity_type_id": None,
        "user_id": auth.get("user_id"),
        "handler_id": (data or {}).get("event_handler_id"),
        "ts": int(data["ts"]) if data and "ts" in data else None,
        "verified": True,
        "status": "ok",
        "error": None,
        "size": len(raw),
        "content_type": FORM,
        "headers": (("Host", "abc.ngrok-free.app"), ("Content-Type", FORM)),
        "body": raw,
        "data": data,
        "path": "/hook/Zx81kq",
    }
    values.update(fields)
    return CapturedEvent(**values)


def sample_events() -> list[CapturedEvent]:
    deal_update = _event(
        1,
        {
            "event": "ONCRMDEALUPDATE",
            "event_handler_id": "412",
            "data": {"FIELDS": {"ID": "3187"}},
            "ts": "1764338592",
            "auth": {
                "access_token": ACCESS,
                "expires": "1764342192",
                "expires_in": "3600",
                "scope": "crm,task,user",
                "status": "L",
                **ENDPOINTS,
                "user_id": "1",
                "application_token": APP_TOKEN,
            },
        },
        entity_id="3187",
        entity_type_id="2",
    )
    robot = _event(
        2,
        {
            "event": "ONCRMDEALUPDATE",
            "event_handler_id": "412",
            "data": {"FIELDS": {"ID": "3188"}},
            "ts": "1764338600",
            "auth": {**ENDPOINTS, "application_token": "0000ffff0000ffff0000ffff0000ffff"},
        },
        entity_id="3188",
        verified=False,
        status="rejected",
        error="application_token does not match the one stored for this portal",
        http_status=401,
        headers=(
            ("Host", "abc.ngrok-free.app"),
            ("Authorization", f"Bearer {HEADER_TOKEN}"),
            ("Content-Type", FORM),
        ),
    )
    malformed = _event(
        3,
        None,
        body=b"event=ONCRMDEALADD&data%5BFIELDS%5D%5BTITLE%5D=\xff\xfe"
        b"&auth%5Baccess_token%5D=" + MALFORMED_TOKEN.encode(),
        status="malformed",
        error="body is not valid UTF-8 (byte 48)",
        verified=None,
        http_status=400,
        headers=(),
        path="",
    )
    chat = _event(
        4,
        {
            "event": "ONIMBOTMESSAGEADD",
            "data": {
                "PARAMS": {"MESSAGE": "Привет, мир! & = + % «Ромашка» №5", "DIALOG_ID": "chat17"},
                "USER": {"NAME": "Анна", "LAST_NAME": "Петрова"},
            },
            "ts": "1764338700",
            "auth": {**ENDPOINTS, "application_token": APP_TOKEN},
        },
    )
    install = _event(
        5,
        {
            "event": "ONAPPINSTALL",
            "data": {
                "VERSION": "1",
                "ACTIVE": "Y",
                "INSTALLED": "Y",
                "LANGUAGE_ID": "ru",
                "AUTH_ID": DATA_TOKEN,
                "ITEMS": [{"NAME": "первый"}, {"NAME": "second", "refresh_token": REFRESH}],
            },
            "ts": "1764338800",
            "auth": {
                "access_token": ACCESS,
                "refresh_token": REFRESH,
                "expires_in": "3600",
                **ENDPOINTS,
                "user_id": "1",
                "application_token": INSTALL_APP_TOKEN,
            },
        },
        verified=None,
    )
    return [deal_update, robot, malformed, chat, install]


def export_text(
    fmt: str, *, reveal: bool = False, events: list[CapturedEvent] | None = None
) -> str:
    out = io.StringIO(newline="")
    chosen = sample_events() if events is None else events
    count = export_events(iter(chosen), out, fmt, reveal_secrets=reveal)
    assert count == len(chosen)
    return out.getvalue()


# --- event_record -----------------------------------------------------------------------------


def test_event_record_has_the_documented_keys_and_values() -> None:
    ev = sample_events()[0]
    record = event_record(ev)
    assert list(record) == [
        "id", "received_at", "event", "ts", "member_id", "domain", "entity_id", "entity_type_id",
        "user_id", "handler_id", "verified", "sender", "status", "error", "http_status", "size",
        "content_type", "findings", "payload", "body",
    ]  # fmt: skip
    assert record["received_at"] == "2025-11-28T14:03:13.500Z"
    assert record["event"] == "ONCRMDEALUPDATE"
    assert record["ts"] == 1764338592
    assert record["member_id"] == MEMBER
    assert record["handler_id"] == "412"
    assert record["entity_id"] == "3187"
    assert record["verified"] is True
    assert record["payload"]["auth"]["access_token"] == mask_value(ACCESS)
    assert record["payload"]["data"] == {"FIELDS": {"ID": "3187"}}


def test_event_record_body_is_the_masked_raw_body() -> None:
    ev = sample_events()[0]
    record = event_record(ev)
    assert record["body"].startswith("event=ONCRMDEALUPDATE&event_handler_id=412&data%5BFIELDS")
    assert parse_form(record["body"].encode()) == record["payload"]


def test_event_record_of_a_malformed_event() -> None:
    record = event_record(sample_events()[2])
    assert record["payload"] is None
    assert record["verified"] is None
    assert record["http_status"] == 400
    assert "\ufffd" in record["body"]  # invalid UTF-8 became replacement characters
    assert MALFORMED_TOKEN not in record["body"]


def test_event_record_revealed_is_a_copy() -> None:
    ev = sample_events()[4]
    record = event_record(ev, reveal_secrets=True)
    assert record["payload"] == ev.data
    record["payload"]["auth"]["refresh_token"] = "changed"
    assert ev.data is not None and ev.data["auth"]["refresh_token"] == REFRESH


# --- jsonl and json ---------------------------------------------------------------------------


def test_jsonl_lines_parse_to_the_records() -> None:
    lines = export_text("jsonl").splitlines()
    assert [json.loads(line) for line in lines] == [event_record(e) for e in sample_events()]


def test_json_is_one_array_of_the_records() -> None:
    parsed = json.loads(export_text("json"))
    assert parsed == [event_record(e) for e in sample_events()]


def test_json_keeps_cyrillic_readable() -> None:
    text = export_text("json")
    assert "Привет, мир! & = + % «Ромашка» №5" in text
    assert "Анна" in text


@pytest.mark.parametrize("fmt", ["json", "har"])
def test_empty_exports_are_valid_json(fmt: str) -> None:
    parsed = json.loads(export_text(fmt, events=[]))
    assert parsed == [] if fmt == "json" else parsed["log"]["entries"] == []


# --- csv --------------------------------------------------------------------------------------


def test_csv_reads_back_with_the_same_values() -> None:
    rows = list(csv.DictReader(io.StringIO(export_text("csv"), newline="")))
    events = sample_events()
    assert len(rows) == len(events)
    for row, ev in zip(rows, events, strict=True):
        assert list(row) == list(CSV_COLUMNS)
        assert row["id"] == str(ev.id)
        assert row["received_at"] == event_record(ev)["received_at"]
        for name in ("event", "entity_id", "entity_type_id", "member_id", "domain", "user_id"):
            assert row[name] == (getattr(ev, name) or "")
        assert row["handler_id"] == (ev.handler_id or "")
        assert row["ts"] == ("" if ev.ts is None else str(ev.ts))
        assert row["verified"] == {True: "yes", False: "no", None: "unknown"}[ev.verified]
        assert (row["status"], row["error"]) == (ev.status, ev.error or "")
        assert (row["size"], row["content_type"]) == (str(ev.size), ev.content_type)
        expected = None if ev.data is None else mask_secrets(ev.data)
        assert (json.loads(row["data"]) if row["data"] else None) == expected


# --- HAR 1.2 ----------------------------------------------------------------------------------

ISO_8601 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}(Z|[+-]\d\d:\d\d)$")


def _require(obj: Any, where: str, **fields: type | tuple[type, ...]) -> None:
    assert isinstance(obj, dict), f"{where} is not an object"
    for name, kind in fields.items():
        assert name in obj, f"{where}.{name} is missing"
        value = obj[name]
        assert isinstance(value, kind) and not isinstance(value, bool), f"{where}.{name}: {value!r}"


def _check_name_values(items: Any, where: str) -> None:
    assert isinstance(items, list), f"{where} is not a list"
    for i, item in enumerate(items):
        _require(item, f"{where}[{i}]", name=str, value=str)


def check_har_1_2(har: Any) -> None:
    """Raise AssertionError where `har` breaks the HAR 1.2 structure (required fields and types)."""
    _require(har, "root", log=dict)
    log = har["log"]
    _require(log, "log", version=str, creator=dict, entries=list)
    assert log["version"] == "1.2"
    _require(log["creator"], "log.creator", name=str, version=str)
    for i, entry in enumerate(log["entries"]):
        where = f"entries[{i}]"
        _require(entry, where, startedDateTime=str, time=(int, float), request=dict)
        _require(entry, where, response=dict, cache=dict, timings=dict)
        assert ISO_8601.match(entry["startedDateTime"]), entry["startedDateTime"]
        _check_request(entry["request"], f"{where}.request")
        _check_response(entry["response"], f"{where}.response")
        timings = entry["timings"]
        _require(timings, f"{where}.timings", send=(int, float), wait=(int, float))
        _require(timings, f"{where}.timings", receive=(int, float))
        assert entry["time"] == sum(v for v in timings.values() if v != -1)
        assert isinstance(entry.get("comment", ""), str)


def _check_request(request: Any, where: str) -> None:
    _require(request, where, method=str, url=str, httpVersion=str, cookies=list)
    _require(request, where, headers=list, queryString=list, headersSize=int, bodySize=int)
    assert re.match(r"^https?://[^/]+/", request["url"]), request["url"]
    _check_name_values(request["headers"], f"{where}.headers")
    _check_name_values(request["queryString"], f"{where}.queryString")
    if "postData" in request:
        post = request["postData"]
        _require(post, f"{where}.postData", mimeType=str)
        assert "text" in post or "params" in post, f"{where}.postData has neither text nor params"
        assert isinstance(post.get("text", ""), str)
        _check_name_values(post.get("params", []), f"{where}.postData.params")


def _check_response(response: Any, where: str) -> None:
    _require(response, where, status=int, statusText=str, httpVersion=str, cookies=list)
    _require(response, where, headers=list, content=dict, redirectURL=str)
    _require(response, where, headersSize=int, bodySize=int)
    _require(response["content"], f"{where}.content", size=int, mimeType=str)


def test_har_is_valid_1_2() -> None:
    har = json.loads(export_text("har"))
    check_har_1_2(har)
    assert har["log"]["creator"] == {"name": "b24monitor", "version": __version__}
    assert len(har["log"]["entries"]) == 5


@pytest.mark.parametrize(
    "breakage",
    [
        lambda h: h["log"].pop("creator"),
        lambda h: h["log"]["entries"][0]["request"].pop("url"),
        lambda h: h["log"]["entries"][0].update(startedDateTime="2025-11-28 14:03"),
        lambda h: h["log"]["entries"][1]["response"].update(status="401"),
        lambda h: h["log"]["entries"][0]["request"]["postData"]["params"].append({"name": 1}),
        lambda h: h["log"]["entries"][0]["timings"].pop("wait"),
    ],
)
def test_the_har_checker_rejects_broken_archives(breakage: Any) -> None:
    har = json.loads(export_text("har"))
    breakage(har)
    with pytest.raises(AssertionError):
        check_har_1_2(har)


def test_har_entries_describe_the_deliveries() -> None:
    entries = json.loads(export_text("har"))["log"]["entries"]
    first, robot, malformed = entries[0], entries[1], entries[2]
    assert first["startedDateTime"] == "2025-11-28T14:03:13.500+00:00"
    assert first["comment"] == "ONCRMDEALUPDATE"
    request = first["request"]
    assert request["method"] == "POST"
    assert request["url"] == "http://abc.ngrok-free.app/hook/Zx81kq"
    assert request["bodySize"] == sample_events()[0].size
    assert request["postData"]["mimeType"] == FORM
    params = {p["name"]: p["value"] for p in request["postData"]["params"]}
    assert params["data[FIELDS][ID]"] == "3187"
    assert params["auth[access_token]"] == mask_value(ACCESS)
    assert parse_form(request["postData"]["text"].encode()) == mask_secrets(sample_events()[0].data)
    assert (robot["response"]["status"], robot["response"]["statusText"]) == (401, "Unauthorized")
    assert "rejected" in robot["comment"]
    assert malformed["request"]["url"] == "http://localhost/"
    assert malformed["response"]["status"] == 400


def test_har_masks_headers_unless_revealed() -> None:
    def robot_headers(reveal: bool) -> dict[str, str]:
        request = json.loads(export_text("har", reveal=reveal))["log"]["entries"][1]["request"]
        return {h["name"]: h["value"] for h in request["headers"]}

    assert robot_headers(False)["Authorization"] == f"Bearer {mask_value(HEADER_TOKEN)}"
    assert robot_headers(True)["Authorization"] == f"Bearer {HEADER_TOKEN}"
    assert robot_headers(False)["Host"] == "abc.ngrok-free.app"


def test_har_query_string_is_listed_and_masked() -> None:
    ev = _event(
        6,
        {"event": "ONAPPTEST", "auth": {**ENDPOINTS, "application_token": APP_TOKEN}},
        path=f"/hook?DOMAIN=acme.bitrix24.com&AUTH_ID={ACCESS}",
    )
    request = json.loads(export_text("har", events=[ev]))["log"]["entries"][0]["request"]
    assert request["queryString"] == [
        {"name": "DOMAIN", "value": "acme.bitrix24.com"},
        {"name": "AUTH_ID", "value": mask_value(ACCESS)},
    ]
    assert ACCESS not in json.dumps(request)


# --- secrets in every format ------------------------------------------------------------------


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_no_secret_appears_unless_revealed(fmt: str) -> None:
    text = export_text(fmt)
    leaked = [secret for secret in ALL_SECRETS if secret in text]
    assert leaked == []
    assert mask_value(ACCESS) in text


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_revealed_exports_include_the_secrets(fmt: str) -> None:
    text = export_text(fmt, reveal=True)
    missing = [secret for secret in REVEALED[fmt] if secret not in text]
    assert missing == []


# --- the table, errors ------------------------------------------------------------------------


def test_format_table_and_help_text() -> None:
    assert format_names() == ["jsonl", "json", "csv", "har"]
    text = help_text()
    for name, spec in FORMATS.items():
        line = next(line for line in text.splitlines() if line.startswith(name + " "))
        assert spec.extension in line and spec.description in line
        assert spec.extension == "." + name


def test_unknown_format_names_the_known_ones() -> None:
    with pytest.raises(ExportError) as caught:
        export_events(iter(sample_events()), io.StringIO(), "xml")
    message = str(caught.value)
    assert "'xml'" in message
    assert all(name in message for name in FORMATS)


class FullDisk(io.StringIO):
    def write(self, text: str) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")


def test_a_failing_write_reaches_the_caller() -> None:
    # The caller names the target file in its message and removes the half-written file.
    with pytest.raises(OSError, match="No space left on device"):
        export_events(iter(sample_events()), FullDisk(), "jsonl")


# --- streaming --------------------------------------------------------------------------------


class CountingSink(io.StringIO):
    """A text stream that keeps only the number of characters written to it."""

    def __init__(self) -> None:
        super().__init__()
        self.chars = 0

    def write(self, text: str) -> int:
        self.chars += len(text)
        return len(text)


def small_events(count: int, sink: CountingSink | None = None) -> Iterator[CapturedEvent]:
    """Distinct small deliveries, built directly so that the generator costs little."""
    for i in range(count):
        if sink is not None and i == 50:
            # Half way through the input some output must already be out: nothing is collected.
            assert sink.chars > 0
        body = (
            f"event=ONCRMDEALUPDATE&data%5BFIELDS%5D%5BID%5D={i}&ts=1764338592"
            f"&auth%5Bmember_id%5D={MEMBER}&auth%5Bapplication_token%5D={APP_TOKEN}"
        ).encode()
        data = {
            "event": "ONCRMDEALUPDATE",
            "data": {"FIELDS": {"ID": str(i)}},
            "ts": "1764338592",
            "auth": {"member_id": MEMBER, "application_token": APP_TOKEN},
        }
        yield CapturedEvent(
            i, 1764338592.0 + i, "ONCRMDEALUPDATE", MEMBER, None, str(i), "2", None, None,
            1764338592, True, "ok", None, len(body), FORM, (("Host", "localhost"),), body, data,
        )  # fmt: skip


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_writers_write_before_the_input_is_exhausted(fmt: str) -> None:
    sink = CountingSink()
    assert export_events(small_events(100, sink), sink, fmt) == 100


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_export_peak_memory_is_far_below_the_whole_list(fmt: str) -> None:
    count = 5_000
    export_events(small_events(10), CountingSink(), fmt)  # one-time costs (caches) first
    tracemalloc.start()
    try:
        events = list(small_events(count))
        whole_list = tracemalloc.get_traced_memory()[0]
        del events
        tracemalloc.reset_peak()
        baseline = tracemalloc.get_traced_memory()[0]
        assert export_events(small_events(count), CountingSink(), fmt) == count
        peak = tracemalloc.get_traced_memory()[1] - baseline
    finally:
        tracemalloc.stop()
    assert whole_list > 5_000_000  # so that the bound below means something
    assert peak < whole_list // 20, f"peak {peak:,} bytes, the whole list {whole_list:,}"


def test_exporting_200000_events_keeps_memory_flat() -> None:
    # tracemalloc would make this run 6x slower (about a minute here), so the live allocation
    # count is sampled instead: holding the records would add millions of blocks.
    blocks: list[int] = []

    def sampled(events: Iterator[CapturedEvent]) -> Iterator[CapturedEvent]:
        for i, ev in enumerate(events):
            if i and i % 10_000 == 0:
                blocks.append(sys.getallocatedblocks())
            yield ev

    sink = CountingSink()
    assert export_events(sampled(small_events(200_000)), sink, "json") == 200_000
    assert sink.chars > 200_000 * 300
    growth = max(blocks) - blocks[0]
    assert growth < 50_000, f"{growth:,} more blocks after {len(blocks)} samples"
