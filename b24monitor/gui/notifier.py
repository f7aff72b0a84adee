"""Notifier: a tray notification when a new event matches a saved filter (Settings; off by default).

Each committed batch is checked against the chosen saved filters with one store query per
filter, limited to the batch's ids. A burst raises at most one notification per filter every
QUIET_S seconds, counting what it left out.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QSystemTrayIcon

from b24monitor.core.errors import FilterSyntaxError
from b24monitor.core.filters import parse
from b24monitor.gui.settings_dialog import SAVED_FILTERS_KEY
from b24monitor.gui.settings_store import GuiSettings
from b24monitor.services.session import Session

QUIET_S = 10.0


class Notifier(QObject):
    """Lives as long as the session; `notified(title, text)` is emitted for every notification."""

    notified = Signal(str, str)

    def __init__(
        self, session: Session, settings: GuiSettings, icon: QIcon, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.settings = settings
        self._icon = icon
        self._tray: QSystemTrayIcon | None = None
        self._last: dict[str, float] = {}
        self._missed: dict[str, int] = {}
        session.add_listener(self.note_committed)

    def _filters(self) -> dict[str, str]:
        try:
            saved = json.loads(str(self.settings.qsettings.value(SAVED_FILTERS_KEY, "{}")))
        except ValueError:
            return {}
        chosen = set(self.settings.notify_filters)
        if not isinstance(saved, dict):
            return {}
        return {str(k): str(v) for k, v in saved.items() if k in chosen}

    def note_committed(self, ids: Sequence[int]) -> None:
        """Session batch listener: check the new ids against the chosen filters."""
        store = self.session.store
        if not ids or store is None or not self.settings.notify:
            return
        now = time.monotonic()
        for name, expression in self._filters().items():
            try:
                where, params = parse(expression).to_sql()
            except FilterSyntaxError:
                continue
            matches = store.fetch(list(ids), where, params)
            if not matches:
                continue
            if now - self._last.get(name, -QUIET_S) < QUIET_S:
                self._missed[name] = self._missed.get(name, 0) + len(matches)
                continue
            self._last[name] = now
            more = len(matches) - 1 + self._missed.pop(name, 0)
            first = matches[0]
            text = f"{first.event or '?'} {first.entity_id or ''}".strip()
            if more:
                text += " " + self.tr("and %1 more").replace("%1", str(more))
            self._show(self.tr("Filter “%1” matched").replace("%1", name), text)

    def notify(self, title: str, text: str) -> None:
        """A tray notification for something the user must see now (loops and storms)."""
        self._show(title, text)

    def _show(self, title: str, text: str) -> None:
        self.notified.emit(title, text)
        if self._tray is None and QSystemTrayIcon.isSystemTrayAvailable():
            self._tray = QSystemTrayIcon(self._icon, self)
            self._tray.show()
        if self._tray is not None:
            self._tray.showMessage(title, text, QSystemTrayIcon.MessageIcon.Information, 8000)
