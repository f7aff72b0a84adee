"""The event table's columns as one table: title, width and how an event becomes the cell text."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from b24monitor.core.decoding import entity_kind
from b24monitor.core.model import CapturedEvent
from b24monitor.gui.formats import format_delay
from b24monitor.gui.i18n import QT_TRANSLATE_NOOP

CONTEXT = "EventTableModel"  # translation context of titles and fixed cell words
VERIFIED_MARKS = {True: "✔", False: "✖", None: "–"}


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    title: str  # untranslated; the model passes it through QCoreApplication.translate
    tip: str
    text: Callable[[CapturedEvent], str]
    sample: str  # a typical long value: the default width fits it
    right: bool = False  # numbers align right
    translated: bool = False  # the cell text is a fixed word to translate too


def _time(ev: CapturedEvent) -> str:
    when = datetime.fromtimestamp(ev.received_at).strftime("%H:%M:%S")
    # ↺: missed online, recovered from the offline queue; the time is its queue row's (issue 11).
    return "↺ " + when if ev.origin == "recovered" else when


def _entity(ev: CapturedEvent) -> str:
    if not ev.entity_id:
        return ""
    kind = entity_kind(ev.event) if ev.event else None
    return f"{kind} {ev.entity_id}" if kind else ev.entity_id


def _size(ev: CapturedEvent) -> str:
    return f"{ev.size} B" if ev.size < 1024 else f"{ev.size / 1024:.1f} KB"


def _delay(ev: CapturedEvent) -> str:
    return "" if ev.ts is None else format_delay(ev.received_at - ev.ts)


# fmt: off
COLUMNS: tuple[Column, ...] = (
    Column("time", QT_TRANSLATE_NOOP("EventTableModel", "time"),
           QT_TRANSLATE_NOOP("EventTableModel", "When the delivery arrived"), _time,
           "↺ 00:00:00"),
    Column("event", QT_TRANSLATE_NOOP("EventTableModel", "event"),
           QT_TRANSLATE_NOOP("EventTableModel", "Event code"), lambda ev: ev.event or "",
           "ONCRMCONTACTUPDATE"),
    Column("entity", QT_TRANSLATE_NOOP("EventTableModel", "entity"),
           QT_TRANSLATE_NOOP("EventTableModel", "The object the event is about (data.FIELDS.ID)"),
           _entity, "activity 77015"),
    Column("portal", QT_TRANSLATE_NOOP("EventTableModel", "portal"),
           QT_TRANSLATE_NOOP("EventTableModel", "Portal domain"), lambda ev: ev.domain or "",
           "acme.bitrix24.com"),
    Column("user", QT_TRANSLATE_NOOP("EventTableModel", "user"),
           QT_TRANSLATE_NOOP("EventTableModel", "User who fired the event (empty: a robot)"),
           lambda ev: ev.user_id or "", "user", right=True),
    Column("verified", "✔",
           QT_TRANSLATE_NOOP("EventTableModel", "Token: ✔ matches, ✖ mismatch, – unknown"),
           lambda ev: VERIFIED_MARKS[ev.verified], "✔"),
    Column("findings", "⚠",
           QT_TRANSLATE_NOOP("EventTableModel", "Checks that tripped (the detail's Checks tab)"),
           lambda ev: str(len(ev.findings)) if ev.findings else "", "99", right=True),
    Column("status", QT_TRANSLATE_NOOP("EventTableModel", "status"),
           QT_TRANSLATE_NOOP("EventTableModel", "ok, malformed (did not decode) or rejected"),
           lambda ev: ev.status, "malformed", translated=True),
    Column("size", QT_TRANSLATE_NOOP("EventTableModel", "size"),
           QT_TRANSLATE_NOOP("EventTableModel", "Body size"), _size, "999.9 KB", right=True),
    Column("delay", QT_TRANSLATE_NOOP("EventTableModel", "delay"),
           QT_TRANSLATE_NOOP("EventTableModel", "Queue lag: received time minus the delivery's ts"),
           _delay, "59m 59s", right=True),
)
# fmt: on

# Fixed cell words, listed so that lupdate offers them for translation.
STATUS_WORDS = (
    QT_TRANSLATE_NOOP("EventTableModel", "ok"),
    QT_TRANSLATE_NOOP("EventTableModel", "malformed"),
    QT_TRANSLATE_NOOP("EventTableModel", "rejected"),
)

TIME_COLUMN = 0
VERIFIED_COLUMN = next(i for i, c in enumerate(COLUMNS) if c.key == "verified")
ENTITY_COLUMN = next(i for i, c in enumerate(COLUMNS) if c.key == "entity")  # a link to the record
