"""Delivery decoding: body bytes → payload dict, and payload → the key fields shown and indexed.

Bitrix24 posts PHP bracket forms (spec §1.2); JSON is accepted too because developers test with
it. Where the entity ID lives depends on the event family (spec §6.1), so `FAMILIES` is a table:
one entry per family with the code prefixes it matches, the kind of portal page its entity has
(for links in the GUI) and a pure extractor `payload → (entity_id, entity_type_id)`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from b24monitor.core.errors import MalformedDelivery
from b24monitor.core.model import KeyFields
from b24monitor.core.phpform import parse_form

Extractor = Callable[[Mapping[str, Any]], tuple[str | None, str | None]]


def decode_body(body: bytes, content_type: str) -> dict[str, Any]:
    """Decode a delivery body: JSON for `application/json` / `*+json`, a PHP form otherwise."""
    if not body:
        raise MalformedDelivery(
            "empty body: the request carried no event; a Bitrix24 delivery is a non-empty form."
        )
    mime = content_type.partition(";")[0].strip().lower()
    if mime == "application/json" or mime.endswith("+json"):
        return _decode_json(body)
    if body[:1] == b"{" and mime in ("", "application/x-www-form-urlencoded", "text/plain"):
        # `curl -d '{"event": …}'` labels JSON as a form; a real form never starts with "{".
        return _decode_json(body)
    # Form is also the guess for a missing or unknown content type: that is what Bitrix24 sends
    # (spec §1.2) and parse_form refuses anything it cannot read.
    return parse_form(body)


def _decode_json(body: bytes) -> dict[str, Any]:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedDelivery(
            f"JSON body is not valid UTF-8 (byte {exc.start}); send it UTF-8 encoded."
        ) from None
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        raise MalformedDelivery(
            f"body is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno}); "
            "fix the JSON or send the event as a form."
        ) from None
    except RecursionError:
        raise MalformedDelivery(
            "JSON body nests too deeply to decode; no Bitrix24 event does that."
        ) from None
    if not isinstance(payload, dict):
        raise MalformedDelivery(
            f"JSON body is {type(payload).__name__ if payload is not None else 'null'}, "
            "not an object; send the event as one JSON object with an 'event' field."
        )
    return payload


def key_fields(payload: Mapping[str, Any]) -> KeyFields:
    """Pick the indexed fields out of a decoded payload; a payload without `event` is refused."""
    event = payload.get("event")
    if not isinstance(event, str) or not event.strip():
        raise MalformedDelivery(
            "delivery has no 'event' field; a Bitrix24 event always names its code (spec §1.4), "
            "so check what posted it."
        )
    code = event.strip().upper()
    auth = _map(payload.get("auth"))  # robot deliveries have no user_id or tokens (spec §1.4)
    entity_id, entity_type_id = family_of(code).extract(payload)
    return KeyFields(
        event=code,
        handler_id=_text(payload.get("event_handler_id")),
        ts=_integer(payload.get("ts")),
        member_id=_text(auth.get("member_id")),
        domain=_text(auth.get("domain")),
        user_id=_text(auth.get("user_id")),
        application_token=_text(auth.get("application_token")),
        entity_id=entity_id,
        entity_type_id=entity_type_id,
    )


def entity_kind(event_code: str) -> str | None:
    """The kind of portal page the event's entity has ("deal", "task", …), or None."""
    return family_of(event_code.strip().upper()).kind


# --- field access -----------------------------------------------------------------------------


def _map(value: Any) -> Mapping[str, Any]:
    # `data` may be missing (empty arrays are dropped, spec §1.3) or the string "undefined".
    return value if isinstance(value, Mapping) else {}


def _text(value: Any) -> str | None:
    """A scalar as the string the wire would carry; None for absent, empty, nested or undefined."""
    if isinstance(value, str):
        return value if value and value != "undefined" else None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # JSON test bodies may carry numbers
    return None


def _integer(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) else None
    if isinstance(value, str):
        digits = value.strip()
        # int() alone would also take "1_000" and non-ASCII digits; ts is plain decimal (§1.4).
        if digits.removeprefix("-").isascii() and digits.removeprefix("-").isdigit():
            return int(digits) if len(digits) <= 20 else None
    return None


def _dig(payload: Mapping[str, Any], *path: str) -> Any:
    node: Any = payload
    for key in path:
        if not isinstance(node, Mapping):
            return None
        node = node.get(key)
    return node


# --- extractors, one per data shape (spec §6.1) -----------------------------------------------


def _first_of(*paths: tuple[str, ...]) -> Extractor:
    """An extractor whose entity ID is the first of these paths that holds a usable value."""

    def extract(payload: Mapping[str, Any]) -> tuple[str | None, str | None]:
        for path in paths:
            found = _text(_dig(payload, *path))
            if found:
                return found, None
        return None, None

    return extract


_FIELDS_ID = ("data", "FIELDS", "ID")
_FLAT_ID = ("data", "ID")
_generic_id = _first_of(_FIELDS_ID, _FLAT_ID)
# Task data has FIELDS_BEFORE / FIELDS_AFTER, either may be the string "undefined" (spec §1.3).
_task = _first_of(("data", "FIELDS_AFTER", "ID"), ("data", "FIELDS_BEFORE", "ID"))
# Comments point at their task: chat-based task cards send the comment as `ID: "0"` (spec §6.1).
_task_comment = _first_of(
    ("data", "FIELDS_AFTER", "TASK_ID"),
    ("data", "FIELDS_BEFORE", "TASK_ID"),
    ("data", "FIELDS_AFTER", "ID"),
    ("data", "FIELDS_BEFORE", "ID"),
)
_calendar = _first_of(("data", "id"), _FIELDS_ID, _FLAT_ID)  # lower-case `id` (spec §6.1)
_livefeed = _first_of(("data", "FIELDS", "POST_ID"), _FIELDS_ID)
_user = _first_of(_FLAT_ID, _FIELDS_ID)  # ONUSERADD carries a flat user record (spec §6.1)
_call = _first_of(("data", "CALL_ID"))  # telephony data is flat (spec §6.1)
_nothing = _first_of()  # app lifecycle and queue signals are about the app, not an entity


def _dynamic_item(payload: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """`data.FIELDS.ID` + `ENTITY_TYPE_ID`, else the type from the code (`…ADD_1032`, spec §6)."""
    entity_type = _text(_dig(payload, "data", "FIELDS", "ENTITY_TYPE_ID"))
    if entity_type is None:
        suffix = str(payload.get("event", "")).rpartition("_")[2]
        entity_type = suffix if suffix.isascii() and suffix.isdigit() else None
    return _text(_dig(payload, *_FIELDS_ID)), entity_type


# --- the family table ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Family:
    """One event family: which codes it covers and where its entity lives."""

    name: str
    prefixes: tuple[str, ...]  # upper-case code prefixes; the longest match over all wins
    kind: str | None  # portal page kind for links; None when there is no page to open
    extract: Extractor


_CRM_USER_FIELDS = tuple(
    f"ONCRM{entity}USERFIELD"
    for entity in ("LEAD", "DEAL", "CONTACT", "COMPANY", "QUOTE", "INVOICE", "REQUISITE", "TYPE")
)

FAMILIES: tuple[Family, ...] = (
    Family("CRM deal", ("ONCRMDEAL",), "deal", _generic_id),
    Family("CRM lead", ("ONCRMLEAD",), "lead", _generic_id),
    Family("CRM contact", ("ONCRMCONTACT",), "contact", _generic_id),
    Family("CRM company", ("ONCRMCOMPANY",), "company", _generic_id),
    Family("CRM quote", ("ONCRMQUOTE",), "quote", _generic_id),
    Family("CRM legacy invoice", ("ONCRMINVOICE",), "invoice", _generic_id),
    Family("CRM activity", ("ONCRMACTIVITY",), "activity", _generic_id),
    Family(
        "CRM recurring template", ("ONCRMDEALRECURRING", "ONCRMINVOICERECURRING"), None, _generic_id
    ),
    Family("CRM custom field", _CRM_USER_FIELDS, None, _generic_id),
    Family("CRM smart process item", ("ONCRMDYNAMICITEM",), "smart item", _dynamic_item),
    Family("CRM smart process type", ("ONCRMTYPE",), None, _dynamic_item),
    Family("CRM other", ("ONCRM",), None, _generic_id),
    Family("task", ("ONTASKADD", "ONTASKUPDATE", "ONTASKDELETE"), "task", _task),
    Family("task comment", ("ONTASKCOMMENT",), "task", _task_comment),
    Family("calendar event", ("ONCALENDARENTRY",), "calendar event", _calendar),
    Family("calendar section", ("ONCALENDARSECTION",), None, _calendar),
    Family("live feed post", ("ONLIVEFEEDPOST",), "livefeed post", _livefeed),
    Family("user", ("ONUSERADD",), "user", _user),
    Family(
        "workgroup",
        ("ONSONETGROUPADD", "ONSONETGROUPUPDATE", "ONSONETGROUPDELETE"),
        "workgroup",
        _generic_id,
    ),
    Family(
        "online store order",
        ("ONSALEORDER", "ONSALEBEFOREORDERDELETE", "ONORDER"),
        "order",
        _generic_id,
    ),
    Family("catalog product", ("CATALOG.PRODUCT.",), "product", _generic_id),
    Family("telephony call", ("ONVOXIMPLANTCALL", "ONEXTERNALCALL"), None, _call),
    Family("application", ("ONAPP", "ONOFFLINEEVENT"), None, _nothing),
    Family("other", ("",), None, _generic_id),  # the empty prefix matches every code, last
)


def family_of(event_code: str) -> Family:
    """The family whose longest prefix matches the upper-case code (the "other" one at worst)."""
    # Codes come from the sender: only plausible ones are cached, so junk cannot fill memory.
    if len(event_code) <= 80:
        return _family_cached(event_code)
    return _find_family(event_code)


def _find_family(event_code: str) -> Family:
    best = FAMILIES[-1]
    best_length = -1
    for family in FAMILIES:
        for prefix in family.prefixes:
            if len(prefix) > best_length and event_code.startswith(prefix):
                best, best_length = family, len(prefix)
    return best


_family_cached = lru_cache(maxsize=1024)(_find_family)
