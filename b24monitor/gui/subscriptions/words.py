"""The subscriptions dock's words and marks: scope titles, state marks and their tooltips.

Tables of untranslated strings (marked for lupdate under the "SubscriptionsModel" context),
translated when shown, so the Russian .qm covers them like every other string.
"""

from __future__ import annotations

from PySide6.QtGui import QColor

from b24monitor.core.subscriptions import OFFLINE_SIGNAL, Mode
from b24monitor.gui.i18n import QT_TRANSLATE_NOOP, translate
from b24monitor.gui.subscriptions.state import Group, Status

CONTEXT = "SubscriptionsModel"

HEADERS = (
    (QT_TRANSLATE_NOOP("SubscriptionsModel", "on"),
     QT_TRANSLATE_NOOP("SubscriptionsModel", "Online: POST to the handler")),
    (QT_TRANSLATE_NOOP("SubscriptionsModel", "off"),
     QT_TRANSLATE_NOOP("SubscriptionsModel", "Offline: kept in the portal's offline queue")),
    (QT_TRANSLATE_NOOP("SubscriptionsModel", "event"),
     QT_TRANSLATE_NOOP("SubscriptionsModel", "What happened")),
    (QT_TRANSLATE_NOOP("SubscriptionsModel", "code"),
     QT_TRANSLATE_NOOP("SubscriptionsModel", "Event code")),
)  # fmt: skip
MARKS = {"bound": "✔", "pending": "⟳", "requested": "⟳", "waiting": "…", "error": "✖",
         "stale-moved": "↻"}  # fmt: skip
TIPS = {
    "bound": QT_TRANSLATE_NOOP("SubscriptionsModel", "Bound: the portal sends this event here"),
    "pending": QT_TRANSLATE_NOOP("SubscriptionsModel", "Being bound…"),
    "requested": QT_TRANSLATE_NOOP("SubscriptionsModel", "Sent to the portal…"),
    "waiting": QT_TRANSLATE_NOOP(
        "SubscriptionsModel",
        "Wanted: bound once the app is installed and the handler URL is public",
    ),
    "error": QT_TRANSLATE_NOOP("SubscriptionsModel", "The portal refused: %1"),
    "stale-moved": QT_TRANSLATE_NOOP(
        "SubscriptionsModel", "Was bound to an old address; moved here"
    ),
}  # fmt: skip
IMPLIED_TIP = QT_TRANSLATE_NOOP(
    "SubscriptionsModel",
    "Bound by b24monitor itself: ONAPPTEST answers Ping, ONOFFLINEEVENT announces queued events",
)
TWIN_TIP = QT_TRANSLATE_NOOP(
    "SubscriptionsModel",
    "Kept by “Catch missed events”: the offline twin of the ticked online event, so a change "
    "the handler misses stays in the portal's queue and is recovered (↺)",
)
COLORS = {"error": QColor(210, 40, 40), "bound": QColor(30, 150, 60),
           "stale-moved": QColor(30, 150, 60)}  # fmt: skip
SCOPE_TITLES = {
    "basic": QT_TRANSLATE_NOOP("SubscriptionsModel", "Application"),
    "crm": QT_TRANSLATE_NOOP("SubscriptionsModel", "CRM"),
    "task": QT_TRANSLATE_NOOP("SubscriptionsModel", "Tasks"),
    "user": QT_TRANSLATE_NOOP("SubscriptionsModel", "Users"),
    "calendar": QT_TRANSLATE_NOOP("SubscriptionsModel", "Calendar"),
    "log": QT_TRANSLATE_NOOP("SubscriptionsModel", "Feed"),
    "sonet_group": QT_TRANSLATE_NOOP("SubscriptionsModel", "Workgroups"),
    "telephony": QT_TRANSLATE_NOOP("SubscriptionsModel", "Telephony"),
    "im": QT_TRANSLATE_NOOP("SubscriptionsModel", "Chats"),
    "imbot": QT_TRANSLATE_NOOP("SubscriptionsModel", "Chat bots"),
    "imconnector": QT_TRANSLATE_NOOP("SubscriptionsModel", "Open channel connectors"),
    "imopenlines": QT_TRANSLATE_NOOP("SubscriptionsModel", "Open channels"),
    "sale": QT_TRANSLATE_NOOP("SubscriptionsModel", "Online store"),
    "catalog": QT_TRANSLATE_NOOP("SubscriptionsModel", "Product catalog"),
    "booking": QT_TRANSLATE_NOOP("SubscriptionsModel", "Booking"),
    "sign.b2e": QT_TRANSLATE_NOOP("SubscriptionsModel", "E-signature for HR"),
    "humanresources.hcmlink": QT_TRANSLATE_NOOP("SubscriptionsModel", "HR systems link"),
    "": QT_TRANSLATE_NOOP("SubscriptionsModel", "Other events"),
}


def _tr(text: str) -> str:
    return translate(CONTEXT, text)


def scope_title(scope: str) -> str:
    known = SCOPE_TITLES.get(scope)
    return _tr(known) if known is not None else scope


def bindable(code: str, mode: Mode) -> bool:
    """ONOFFLINEEVENT is the queue's own signal: it cannot be queued itself (spec §2.2)."""
    return not (mode == "offline" and code == OFFLINE_SIGNAL)


def scope_events(group: Group, mode: Mode) -> list[str]:
    """The events a scope's box (select all) stands for in `mode`."""
    return [code for code in group.events() if bindable(code, mode)]


def status_tip(status: Status) -> str:
    tip = TIPS.get(status.state)
    if tip is None:
        return ""
    text = _tr(tip).replace("%1", status.detail)
    return f"{text}\n{status.detail}" if status.detail and "%1" not in tip else text
