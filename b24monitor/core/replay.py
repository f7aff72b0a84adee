"""Sending stored events on: forward routes, the request variants of a replay, attempt lines.

Forwarding and replay both POST a stored delivery to the developer's handler: forwarding as it
arrived, replay also token-stripped (to test the handler's rejection path, spec §4) or edited.
Edits are made on the decoded payload and re-encoded the PHP way (spec §1.2–1.3), so the handler
gets a body that Bitrix24 could have sent.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any, Literal
from urllib.parse import unquote_plus, urlsplit

from b24monitor.core.diff import parse_path
from b24monitor.core.errors import UsageError
from b24monitor.core.model import CapturedEvent
from b24monitor.core.phpform import build_form

Kind = Literal["forward", "replay"]
Variant = Literal["as-recorded", "token-stripped", "edited"]

EVENT_ID_HEADER = "X-B24Monitor-Event-Id"
REPLAY_HEADER = "X-B24Monitor-Replay"
RECOVERED_HEADER = "X-B24Monitor-Recovered"
"""On forwards of events the safety net recovered from the offline queue (issue 11)."""
FORM_TYPE = "application/x-www-form-urlencoded"
QUEUE_FULL = "not forwarded: queue full"
STOPPED = "not forwarded: the monitor stopped first"
ROUTES_HELP = (
    "[PATTERN=]URL: a bare URL is the default target; PATTERN=URL sends events whose code "
    "matches the glob (ONCRMDEAL*=http://localhost:8000/deals) there instead, first match wins"
)


def check_url(url: str, what: str = "target") -> str:
    """An http(s) URL with a host, else a UsageError naming `what`."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(
            f"{what} {url!r} is not an http(s) URL; write it like http://localhost:8000/"
        )
    return url.strip()


@dataclass(frozen=True, slots=True)
class Routes:
    """Where each event goes: the first matching (glob, URL) rule, else the default URL."""

    default: str | None = None
    rules: tuple[tuple[str, str], ...] = ()

    def target_for(self, event_code: str | None) -> str | None:
        code = (event_code or "").upper()
        for pattern, url in self.rules:
            if fnmatchcase(code, pattern):
                return url
        return self.default


def parse_routes(specs: Sequence[str]) -> Routes:
    """`["http://localhost:8000/", "ONCRMDEAL*=http://localhost:8000/deals"]` → Routes."""
    default: str | None = None
    rules: list[tuple[str, str]] = []
    for spec in specs:
        if spec.strip().lower().startswith(("http://", "https://")):
            if default is not None:
                raise UsageError(
                    f"two default targets were given ({default} and {spec}); give one bare URL "
                    "and PATTERN=URL for the others"
                )
            default = check_url(spec, "forward target")
            continue
        pattern, sep, url = spec.partition("=")
        if not sep or not pattern.strip():
            raise UsageError(
                f"forward route {spec!r} is neither a URL nor PATTERN=URL; {ROUTES_HELP}"
            )
        rules.append((pattern.strip().upper(), check_url(url, f"forward target for {pattern}")))
    if default is None and not rules:
        raise UsageError(f"no forward target was given; {ROUTES_HELP}")
    return Routes(default, tuple(rules))


# --- request variants ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OutgoingRequest:
    """The body and content type to POST for one stored event, and which variant it is."""

    event_id: int
    body: bytes
    content_type: str
    variant: Variant = "as-recorded"
    recovered: bool = False  # never arrived online; fetched from the offline queue

    def headers(self, kind: Kind) -> dict[str, str]:
        headers = {
            "Content-Type": self.content_type or FORM_TYPE,
            EVENT_ID_HEADER: str(self.event_id),
        }
        if kind == "replay":
            headers[REPLAY_HEADER] = self.variant
        if self.recovered:
            headers[RECOVERED_HEADER] = "1"
        return headers


def as_recorded(ev: CapturedEvent) -> OutgoingRequest:
    """The delivery byte for byte, with its original content type."""
    return OutgoingRequest(ev.id, ev.body, ev.content_type, recovered=ev.origin == "recovered")


def replay_request(
    ev: CapturedEvent,
    *,
    strip_token: bool = False,
    edits: Sequence[str] = (),
    body: bytes | None = None,
) -> OutgoingRequest:
    """The request `replay` sends: edited (--set / --body-file), token-stripped, or as recorded."""
    variant: Variant = "edited" if edits or body is not None else "as-recorded"
    if edits:
        payload = apply_edits(_payload(ev), edits)
        body = _encode(payload, ev.content_type)
    out = body if body is not None else ev.body
    if strip_token:
        out = strip_application_token(out, ev.content_type, ev.id)
        variant = "token-stripped" if variant == "as-recorded" else variant
    return OutgoingRequest(ev.id, out, ev.content_type, variant)


def _payload(ev: CapturedEvent) -> dict[str, Any]:
    if ev.data is None:
        raise UsageError(
            f"event #{ev.id} could not be decoded, so its fields cannot be edited; "
            "give the body to send with --body-file"
        )
    return copy.deepcopy(ev.data)


def _is_json(content_type: str) -> bool:
    mime = content_type.partition(";")[0].strip().lower()
    return mime == "application/json" or mime.endswith("+json")


def _encode(payload: dict[str, Any], content_type: str) -> bytes:
    # Keep the sender's format: Bitrix24 forms stay forms; JSON test bodies stay JSON.
    if _is_json(content_type):
        return json.dumps(payload, ensure_ascii=False).encode("utf-8")
    return build_form(payload).encode("ascii")


def apply_edits(payload: dict[str, Any], edits: Sequence[str]) -> dict[str, Any]:
    """Apply `PATH=VALUE` edits (values are strings, as on the wire) to `payload` in place."""
    for edit in edits:
        path_text, sep, value = edit.partition("=")
        if not sep:
            raise UsageError(f"--set {edit!r} has no '='; write it like data.FIELDS.ID=5")
        path = parse_path(path_text)
        node: Any = payload
        for depth, segment in enumerate(path):
            last = depth == len(path) - 1
            node = _step(node, segment, value if last else None, path_text)
    return payload


def _step(node: Any, segment: str | int, value: str | None, path: str) -> Any:
    """Go one level down (creating groups) or, with `value`, set the leaf; returns the child."""
    if isinstance(node, list):
        index = int(segment) if isinstance(segment, int) or segment.isdigit() else -1
        if not 0 <= index <= len(node):
            raise UsageError(f"--set {path}: index {segment} is outside the list of {len(node)}")
        if index == len(node):
            node.append({} if value is None else value)
        elif value is not None:
            node[index] = value
        return node[index]
    if not isinstance(node, dict):
        raise UsageError(
            f"--set {path}: a plain value sits where a group is needed; set a shorter path"
        )
    key = str(segment)
    if value is not None:
        node[key] = value
    elif not isinstance(node.get(key), dict | list):
        # Missing, or a placeholder such as FIELDS_BEFORE=undefined (spec §1.3): make it a group.
        node[key] = {}
    return node[key]


def strip_application_token(body: bytes, content_type: str, event_id: int) -> bytes:
    """Drop `auth[application_token]`; every other byte of a form body stays as it was."""
    if _is_json(content_type) or body[:1] == b"{":
        try:
            data = json.loads(body)
        except ValueError:
            data = None
        auth = data.get("auth") if isinstance(data, dict) else None
        if isinstance(auth, dict) and "application_token" in auth:
            del auth["application_token"]
            return json.dumps(data, ensure_ascii=False).encode("utf-8")
    else:
        pairs = body.split(b"&")
        kept = [p for p in pairs if not _is_token_key(p.partition(b"=")[0])]
        if len(kept) != len(pairs):
            return b"&".join(kept)
    raise UsageError(
        f"event #{event_id} carries no auth[application_token] to strip; replay it as is"
    )


def _is_token_key(raw_key: bytes) -> bool:
    return unquote_plus(raw_key.decode("utf-8", "replace")) == "auth[application_token]"


# --- attempts -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Attempt:
    """One POST of a stored event to a target (or the record that it was not sent, and why)."""

    event_id: int
    kind: Kind
    target: str
    variant: Variant = "as-recorded"
    started_at: float = 0.0  # Unix seconds
    status: int | None = None  # the target's HTTP status; None when it never answered
    latency_ms: float | None = None
    response_headers: tuple[tuple[str, str], ...] = ()
    response_body: bytes = b""
    truncated: bool = False  # the response body was cut at the limit
    error: str | None = None
    replay_of: int | None = None  # replays: the earlier attempt of the same event it repeats
    request_body: bytes | None = None  # what was sent, when it differs from the stored body
    id: int | None = None  # set once stored

    @property
    def sent(self) -> bool:
        """False for events recorded as not forwarded (queue full, stopped)."""
        return self.latency_ms is not None

    @property
    def answered(self) -> bool:
        """True when the target answered with any HTTP status."""
        return self.status is not None


def format_attempt_line(a: Attempt) -> str:
    """Stripe-style: `  <-- 200 12 ms POST http://localhost:8000/` (+ why, when it failed)."""
    status = str(a.status) if a.status is not None else ("ERR" if a.sent else "---")
    latency = f" {a.latency_ms:.0f} ms" if a.latency_ms is not None else ""
    line = f"  <-- {status}{latency} POST {a.target}"
    if a.kind == "replay":
        line += f" (replay of #{a.event_id}, {a.variant})"
    return f"{line} — {a.error}" if a.error else line


def attempt_record(a: Attempt) -> dict[str, Any]:
    """The JSON shape of one attempt for `--json` lines (no response body: it can be large)."""
    return {
        "id": a.id,
        "event_id": a.event_id,
        "kind": a.kind,
        "variant": a.variant,
        "target": a.target,
        "status": a.status,
        "latency_ms": None if a.latency_ms is None else round(a.latency_ms, 1),
        "error": a.error,
        "truncated": a.truncated,
        "replay_of": a.replay_of,
    }
