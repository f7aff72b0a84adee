"""Export formats: a table of streaming writers for captured events (jsonl, json, csv, HAR).

Each writer takes the events one at a time and writes as it goes, so exporting a million stored
events costs the memory of one. Tokens are masked unless the caller asks to reveal them (spec §4:
exports end up in tickets and chats). Open `out` as UTF-8 text; for csv also with newline="".
"""

from __future__ import annotations

import copy
import csv
import json
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from http import HTTPStatus
from types import MappingProxyType
from typing import Any, NamedTuple, TextIO
from urllib.parse import unquote_plus

from b24monitor import __version__
from b24monitor.core.errors import ExportError
from b24monitor.core.findings import finding_record
from b24monitor.core.masking import mask_body, mask_form_body, mask_headers, mask_secrets
from b24monitor.core.model import CapturedEvent

Writer = Callable[[Iterable[CapturedEvent], TextIO, bool], int]
"""(events, out, reveal_secrets) → number of events written."""


class ExportFormat(NamedTuple):
    """One export format: what it is for, the file extension it gets, and its streaming writer."""

    description: str
    extension: str
    write: Writer


# fmt: off
CSV_COLUMNS = ("id", "received_at", "event", "entity_id", "entity_type_id", "member_id", "domain",
                "user_id", "handler_id", "ts", "verified", "sender", "status", "error", "size",
                "content_type", "findings", "data")
# fmt: on

_VERIFIED_WORDS = {True: "yes", False: "no", None: "unknown"}
_FORM_TYPE = "application/x-www-form-urlencoded"


def iso_utc(unix: float) -> str:
    """Unix seconds → `2025-11-28T14:03:12.345Z`."""
    return _utc(unix).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _utc(unix: float) -> datetime:
    return datetime.fromtimestamp(unix, tz=UTC)


def _dumps(obj: Any) -> str:
    # Readable Cyrillic and other non-ASCII text; `out` is UTF-8.
    return json.dumps(obj, ensure_ascii=False)


def _visible_payload(ev: CapturedEvent, reveal: bool) -> Any:
    """The decoded payload as an export may show it; shared with `ev` when revealed."""
    if ev.data is None or reveal:
        return ev.data
    return mask_secrets(ev.data)


def _visible_body(ev: CapturedEvent, reveal: bool) -> str:
    body = ev.body if reveal else mask_body(ev.body)
    return body.decode("utf-8", errors="replace")


def key_record(ev: CapturedEvent) -> dict[str, Any]:
    """The key fields of an event as JSON values (the start of every record and line)."""
    return {
        "id": ev.id,
        "received_at": iso_utc(ev.received_at),
        "event": ev.event,
        "ts": ev.ts,
        "member_id": ev.member_id,
        "domain": ev.domain,
        "entity_id": ev.entity_id,
        "entity_type_id": ev.entity_type_id,
        "user_id": ev.user_id,
        "handler_id": ev.handler_id,
        "verified": ev.verified,
        "sender": ev.sender,
        "status": ev.status,
        "error": ev.error,
        "http_status": ev.http_status,
        "size": ev.size,
        "content_type": ev.content_type,
        "findings": [finding_record(f) for f in ev.findings],
    }


def event_record(ev: CapturedEvent, *, reveal_secrets: bool = False) -> dict[str, Any]:
    """The JSON-able record of one event, as written by jsonl/json and `listen --json`."""
    payload = _visible_payload(ev, reveal_secrets)
    return {
        **key_record(ev),
        # A copy even when revealed, so callers may change the record without touching the event.
        "payload": copy.deepcopy(payload) if reveal_secrets else payload,
        "body": _visible_body(ev, reveal_secrets),
    }


def csv_row(ev: CapturedEvent, *, reveal_secrets: bool = False) -> dict[str, Any]:
    """One CSV row by column name (a superset of `CSV_COLUMNS`); the payload as a JSON string."""
    payload = _visible_payload(ev, reveal_secrets)
    return {
        **key_record(ev),
        "verified": _VERIFIED_WORDS[ev.verified],
        "findings": " ".join(f.code for f in ev.findings),
        "data": "" if payload is None else _dumps(payload),
    }


def har_entry(ev: CapturedEvent, *, reveal_secrets: bool = False) -> dict[str, Any]:
    """One HAR 1.2 entry: the delivery as a request, the receiver's answer as the response."""
    return {
        "startedDateTime": _utc(ev.received_at).isoformat(timespec="milliseconds"),
        "time": 0,  # the sum of the timings below; the receiver does not measure them
        "request": _har_request(ev, reveal_secrets),
        "response": _har_response(ev),
        "cache": {},
        "timings": {"send": 0, "wait": 0, "receive": 0},
        "comment": _har_comment(ev),
    }


def _har_request(ev: CapturedEvent, reveal: bool) -> dict[str, Any]:
    path, _, query = (ev.path or "/").partition("?")
    if not reveal:
        query = mask_form_body(query.encode("utf-8")).decode("utf-8", errors="replace")
    host = next((value for name, value in ev.headers if name.lower() == "host"), "") or "localhost"
    url = f"http://{host}{'' if path.startswith('/') else '/'}{path}{'?' if query else ''}{query}"
    headers = ev.headers if reveal else mask_headers(ev.headers)
    request: dict[str, Any] = {
        "method": ev.method,
        "url": url,
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": _name_values(headers),
        "queryString": _name_values(_form_pairs(query)),
        "headersSize": -1,
        "bodySize": len(ev.body),
    }
    if ev.body:
        request["postData"] = _har_post_data(ev, reveal)
    return request


def _har_post_data(ev: CapturedEvent, reveal: bool) -> dict[str, Any]:
    text = _visible_body(ev, reveal)
    post: dict[str, Any] = {"mimeType": ev.content_type or "application/octet-stream"}
    if _FORM_TYPE in ev.content_type.lower():
        # HAR 1.2 calls text and params exclusive; browsers write both, and viewers show both.
        post["params"] = _name_values(_form_pairs(text))
    post["text"] = text
    return post


def _har_response(ev: CapturedEvent) -> dict[str, Any]:
    try:
        status_text = HTTPStatus(ev.http_status).phrase
    except ValueError:
        status_text = ""
    return {
        "status": ev.http_status,
        "statusText": status_text,
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": [],
        "content": {"size": 0, "mimeType": "text/plain"},
        "redirectURL": "",
        "headersSize": -1,
        "bodySize": -1,
    }


def _har_comment(ev: CapturedEvent) -> str:
    code = ev.event or "(no event code)"
    checks = f" ⚠ {', '.join(f.code for f in ev.findings)}" if ev.findings else ""
    if ev.status == "ok":
        return code + checks
    status = f"{ev.status}: {ev.error}" if ev.error else ev.status
    return f"{code} — {status}{checks}"


def _form_pairs(text: str) -> list[tuple[str, str]]:
    """Decoded `name=value` pairs of a form body in wire order (bracket keys kept flat)."""
    return [_decoded_pair(pair) for pair in text.split("&") if pair]


def _decoded_pair(pair: str) -> tuple[str, str]:
    name, _, value = pair.partition("=")
    return _unquote(name), _unquote(value)


def _unquote(text: str) -> str:
    # Most values need no decoding, and skipping unquote_plus makes HAR export a third faster.
    return unquote_plus(text, errors="replace") if "%" in text or "+" in text else text


def _name_values(pairs: Iterable[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"name": name, "value": value} for name, value in pairs]


def _write_lines(events: Iterable[CapturedEvent], out: TextIO, reveal: bool) -> int:
    count = 0
    for ev in events:
        out.write(_dumps(event_record(ev, reveal_secrets=reveal)) + "\n")
        count += 1
    return count


def _write_array(out: TextIO, opening: str, items: Iterable[Any], closing: str) -> int:
    """Write `opening item, item, … closing` one item at a time, never holding the whole list."""
    out.write(opening)
    count = 0
    for item in items:
        out.write(",\n" if count else "\n")
        out.write(_dumps(item))
        count += 1
    out.write(("\n" if count else "") + closing)
    return count


def _write_json(events: Iterable[CapturedEvent], out: TextIO, reveal: bool) -> int:
    records = (event_record(ev, reveal_secrets=reveal) for ev in events)
    return _write_array(out, "[", records, "]\n")


def _write_csv(events: Iterable[CapturedEvent], out: TextIO, reveal: bool) -> int:
    writer = csv.DictWriter(out, CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    count = 0
    for ev in events:
        writer.writerow(csv_row(ev, reveal_secrets=reveal))
        count += 1
    return count


def _write_har(events: Iterable[CapturedEvent], out: TextIO, reveal: bool) -> int:
    creator = _dumps({"name": "b24monitor", "version": __version__})
    opening = f'{{"log": {{"version": "1.2", "creator": {creator}, "entries": ['
    entries = (har_entry(ev, reveal_secrets=reveal) for ev in events)
    return _write_array(out, opening, entries, "]}}\n")


FORMATS: Mapping[str, ExportFormat] = MappingProxyType(
    {
        "jsonl": ExportFormat("one JSON record per line, as listen --json", ".jsonl", _write_lines),
        "json": ExportFormat("one JSON array of the same records", ".json", _write_json),
        "csv": ExportFormat("flat columns, the payload as JSON in `data`", ".csv", _write_csv),
        "har": ExportFormat("HTTP Archive 1.2, for browser dev tools", ".har", _write_har),
    }
)
"""Every export format by name; help texts and the CLI's choices come from this table."""


def format_names() -> list[str]:
    """The names of the export formats, in table order."""
    return list(FORMATS)


def help_text() -> str:
    """One line per format: name, extension and description."""
    width = max(map(len, FORMATS))
    return "\n".join(
        f"{name:<{width}}  {spec.extension:<7} {spec.description}" for name, spec in FORMATS.items()
    )


def export_events(
    events: Iterable[CapturedEvent], out: TextIO, fmt: str, *, reveal_secrets: bool = False
) -> int:
    """Write `events` to `out` in format `fmt`, streaming; returns how many were written.

    OSError from `out` propagates unchanged: the caller knows the target's name for the message
    and owns the cleanup of a half-written file.
    """
    spec = FORMATS.get(fmt.lower())
    if spec is None:
        known = ", ".join(FORMATS)
        raise ExportError(f"unknown export format {fmt!r}; use one of: {known}.")
    return spec.write(events, out, reveal_secrets)
