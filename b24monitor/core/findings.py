"""Bitrix24-aware checks on one stored delivery: a table of pure functions, each code + severity.

Every check is one `Check` row (mitmproxy's filter table is the model): a code users filter on
(`finding:queue_delay`), a severity, one sentence that says what it means and what to do, and a
function `(event, context) → detail or None`. `help_text()` is generated from `CHECKS`, so a new
check is one new row. The checks run after the acknowledgement (services/findings.py), never on
the ack path; `loop` is raised later by the traffic analysis (services/analysis.py) and has a row
here only so that help, filters and the GUI know its words.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_to_bytes

from b24monitor.core.catalog import Catalog
from b24monitor.core.decoding import family_of
from b24monitor.core.model import CapturedEvent, Finding, Severity

DEFAULT_DELAY_THRESHOLD_S = 30.0
DUPLICATE_WINDOW_S = 2.0

# Spec §1.4: the core flags these events "send refresh token"; calendar events too.
_REFRESH_EVENTS = frozenset({"ONAPPINSTALL", "ONAPPUPDATE", "ONAPPTEST", "ONOFFLINEEVENT"})
# Spec §1.4: events declared "no auth" never carry tokens.
_NO_AUTH_EVENTS = frozenset({"ONAPPUNINSTALL", "ONAPPMETHODCONFIRM"})
_FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True, slots=True)
class CheckContext:
    """What a check may know beyond the event itself."""

    catalog: Catalog
    delay_threshold_s: float = DEFAULT_DELAY_THRESHOLD_S
    # Earlier deliveries of the same event code and data within DUPLICATE_WINDOW_S (newest last).
    twins: Sequence[CapturedEvent] = ()


CheckFunction = Callable[[CapturedEvent, CheckContext], str | None]
"""Returns None when the check does not trip, else a detail ("" when there is nothing to add)."""


@dataclass(frozen=True, slots=True)
class Check:
    """One row of the findings table."""

    code: str
    severity: Severity
    text: str
    run: CheckFunction


# -- helpers -------------------------------------------------------------------------------------


def _payload(ev: CapturedEvent) -> Mapping[str, Any]:
    return ev.data if isinstance(ev.data, dict) else {}


def _auth(ev: CapturedEvent) -> Mapping[str, Any] | None:
    auth = _payload(ev).get("auth")
    return auth if isinstance(auth, Mapping) else None


def _decoded(ev: CapturedEvent) -> bool:
    return ev.data is not None


def _code(ev: CapturedEvent) -> str:
    return (ev.event or "").upper()


# -- the checks ----------------------------------------------------------------------------------


def _missing_event(ev: CapturedEvent, ctx: CheckContext) -> str | None:
    event = _payload(ev).get("event")
    return "" if _decoded(ev) and not (isinstance(event, str) and event.strip()) else None


def _missing_auth(ev: CapturedEvent, ctx: CheckContext) -> str | None:
    return "" if _decoded(ev) and _auth(ev) is None else None


def _missing_ts(ev: CapturedEvent, ctx: CheckContext) -> str | None:
    return "" if _decoded(ev) and ev.ts is None else None


def _token_missing(ev: CapturedEvent, ctx: CheckContext) -> str | None:
    auth = _auth(ev)
    return "" if auth is not None and not auth.get("application_token") else None


def _token_unknown(ev: CapturedEvent, ctx: CheckContext) -> str | None:
    auth = _auth(ev)
    if auth is None or not auth.get("application_token"):
        return None  # token_missing says it
    # Only a mismatch: with no token known yet (verified None) every line says so already (–).
    return "" if ev.verified is False else None


def _no_access_token(ev: CapturedEvent, ctx: CheckContext) -> str | None:
    # Spec §1.4: a change by a robot, business process or agent (user 0) carries no tokens.
    auth = _auth(ev)
    if auth is None or _code(ev) in _NO_AUTH_EVENTS or auth.get("access_token"):
        return None
    return ""


def _refresh_token(ev: CapturedEvent, ctx: CheckContext) -> str | None:
    auth = _auth(ev)
    code = _code(ev)
    if auth is None or not auth.get("refresh_token"):
        return None
    return None if code in _REFRESH_EVENTS or code.startswith("ONCALENDAR") else ""


def _queue_delay(ev: CapturedEvent, ctx: CheckContext) -> str | None:
    # Spec §1.1: ts is set when the event was queued; slow handlers get throttled.
    if ev.ts is None:
        return None
    delay = ev.received_at - ev.ts
    return f"{delay:.0f} s" if delay > ctx.delay_threshold_s else None


def _unknown_event(ev: CapturedEvent, ctx: CheckContext) -> str | None:
    code = _code(ev)
    return None if not code or ctx.catalog.lookup(code).known else code


def _no_entity_id(ev: CapturedEvent, ctx: CheckContext) -> str | None:
    code = _code(ev)
    if not code or ev.entity_id or ev.status == "malformed":
        return None
    family = family_of(code)
    return "" if family.kind is not None and family.name.startswith(("CRM", "task")) else None


def _duplicate(ev: CapturedEvent, ctx: CheckContext) -> str | None:
    same = [t for t in ctx.twins if t.handler_id == ev.handler_id]
    return f"same as #{same[-1].id}" if same else None


def _two_handlers(ev: CapturedEvent, ctx: CheckContext) -> str | None:
    other = [t for t in ctx.twins if t.handler_id != ev.handler_id]
    if not other:
        return None
    return f"handlers {other[-1].handler_id or '?'} and {ev.handler_id or '?'}"


def _offline_data(ev: CapturedEvent, ctx: CheckContext) -> str | None:
    # Spec §3.4: ONOFFLINEEVENT carries no data; older revisions showed a data object.
    return "" if _code(ev) == "ONOFFLINEEVENT" and ev.payload_data else None


def _not_utf8(ev: CapturedEvent, ctx: CheckContext) -> str | None:
    if ev.status != "malformed":
        return None  # the decoder reads forms and JSON as strict UTF-8: it decoded, so it is
    body = ev.body
    if _mime(ev) == _FORM or b"%" in body:
        body = unquote_to_bytes(body.replace(b"+", b" "))
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"byte {exc.start}"
    return None


def _content_type(ev: CapturedEvent, ctx: CheckContext) -> str | None:
    mime = _mime(ev)
    return None if mime == _FORM else (mime or "none")


def _mime(ev: CapturedEvent) -> str:
    return ev.content_type.partition(";")[0].strip().lower()


def _never(ev: CapturedEvent, ctx: CheckContext) -> str | None:
    return None  # raised by the traffic analysis, not per delivery


# fmt: off
CHECKS: tuple[Check, ...] = (
    Check("missing_event", "error", "The delivery names no `event`; every Bitrix24 event does "
          "(spec §1.4), so check what posted it.", _missing_event),
    Check("missing_auth", "error", "The delivery has no `auth` block, so nothing proves it came "
          "from your portal; check the sender.", _missing_auth),
    Check("missing_ts", "warn", "The delivery has no `ts`, so its queue delay is unknown; "
          "Bitrix24 always sends one.", _missing_ts),
    Check("token_missing", "error", "`auth` carries no application_token, so the delivery cannot "
          "be verified; reject it in your handler.", _token_missing),
    Check("token_unknown", "error", "The application_token is not the one known for this portal "
          "(a forgery, another app or a reinstall); reject it in your handler.", _token_unknown),
    Check("no_access_token", "info", "No access_token: a robot, business process or agent made "
          "the change, so REST calls back with this auth will fail — use a stored token.",
          _no_access_token),
    Check("refresh_token", "warn", "A refresh_token travels on an event that does not need it; "
          "keep such deliveries out of logs.", _refresh_token),
    Check("queue_delay", "warn", "The delivery arrived long after its `ts`: Bitrix24's queue "
          "throttles slow handlers, so answer 200 faster.", _queue_delay),
    Check("unknown_event", "info", "The event code is not in the event catalog; check its "
          "spelling or the sender.", _unknown_event),
    Check("no_entity_id", "warn", "A CRM or task event without an entity ID: your handler cannot "
          "tell which record changed.", _no_entity_id),
    Check("duplicate", "warn", "The same delivery (handler, data and ts) arrived twice within "
          "2 s; make your handler idempotent.", _duplicate),
    Check("two_handlers", "warn", "The same change reached two of your handlers (different "
          "event_handler_id): the event is bound twice — unbind the stale URL.", _two_handlers),
    Check("offline_data", "info", "ONOFFLINEEVENT carries data, which current portals never send "
          "(spec §3.4); read the queue with event.offline.list.", _offline_data),
    Check("not_utf8", "error", "The body is not valid UTF-8 once percent-decoded; Bitrix24 sends "
          "UTF-8, so check what posted it.", _not_utf8),
    Check("content_type", "info", "Unexpected content type: Bitrix24 sends "
          "application/x-www-form-urlencoded (spec §1.2).", _content_type),
    Check("loop", "error", "This object keeps being updated, probably by your own handler's "
          "writes: compare FIELDS before writing — the portal's guard only counts calls made "
          "with the event's own token (spec §1.1).", _never),
)
# fmt: on

CHECKS_BY_CODE: dict[str, Check] = {check.code: check for check in CHECKS}
SEVERITY_RANK = {"error": 0, "warn": 1, "info": 2}


def run_checks(ev: CapturedEvent, ctx: CheckContext) -> list[Finding]:
    """Every check that trips on `ev`, in table order."""
    found: list[Finding] = []
    for check in CHECKS:
        detail = check.run(ev, ctx)
        if detail is not None:
            found.append(Finding(check.code, detail))
    return found


def severity_of(code: str) -> Severity:
    """A code's severity (`warn` for a code this version does not know)."""
    check = CHECKS_BY_CODE.get(code)
    return check.severity if check else "warn"


def text_of(code: str) -> str:
    """A code's sentence ("" for a code this version does not know)."""
    check = CHECKS_BY_CODE.get(code)
    return check.text if check else ""


def finding_record(finding: Finding) -> dict[str, str]:
    """A finding as a JSON value (listen --json, exports)."""
    return {"code": finding.code, "severity": severity_of(finding.code), "detail": finding.detail}


def help_text() -> str:
    """One line per check: code, severity, sentence."""
    width = max(len(check.code) for check in CHECKS) + 2
    rows = [f"  {c.code:<{width}}{c.severity:<7}{c.text}" for c in CHECKS]
    return "Checks (finding:CODE, finding:any):\n" + "\n".join(rows) + "\n"
