"""Notifier: a tray notification when a new event matches a saved filter (Settings; off by default).

Each committed batch's ids are checked against the chosen saved filters on the store worker (one
query per filter, never on the GUI thread). A burst raises at most one notification per filter
every QUIET_S seconds, counting what it left out.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QSystemTrayIcon

from b24monitor.core.errors import FilterSyntaxError
from b24monitor.core.filters import Filter, parse
from b24monitor.core.tasks import spawn
from b24monitor.gui.settings_dialog import SAVED_FILTERS_KEY
from b24monitor.gui.settings_store import GuiSettings
from b24monitor.gui.store_worker import StoreWorker

QUIET_S = 10.0


class Notifier(QObject):
    """Feed it committed batches (`note_committed`); `notified(title, text)` per notification."""

    notified = Signal(str, str)

    def __init__(
        self, worker: StoreWorker, settings: GuiSettings, icon: QIcon, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._worker = worker
        self.settings = settings
        self._icon = icon
        self._tray: QSystemTrayIcon | None = None
        self._last: dict[str, float] = {}
        self._missed: dict[str, int] = {}

    def _filters(self) -> dict[str, Filter]:
        try:
            saved = json.loads(str(self.settings.qsettings.value(SAVED_FILTERS_KEY, "{}")))
        except ValueError:
            return {}
        chosen = set(self.settings.notify_filters)
        if not isinstance(saved, dict):
            return {}
        filters = {}
        for name, expression in saved.items():
            if name in chosen:
                try:
                    filters[str(name)] = parse(str(expression))
                except FilterSyntaxError:
                    continue
        return filters

    def note_committed(self, ids: Sequence[int]) -> None:
        """Session batch listener: check the batch's ids against the chosen filters."""
        if ids and self.settings.notify:
            spawn(self._check(list(ids)), name="notifier-check")

    async def _check(self, ids: list[int]) -> None:
        for name, flt in self._filters().items():
            matches = await self._worker.matching_events(flt, ids)
            if not matches:
                continue
            now = time.monotonic()
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

    def note_notice(self, notice: dict[str, object]) -> None:
        """The capture path turned red (the canary, issue 11): say so even when minimised —
        always, like loops and storms: the Settings switch is about filter matches only."""
        broken = notice.get("type") == "health" and notice.get("state") == "broken"
        if broken:
            self._show(self.tr("Events are not arriving"), str(notice.get("reason") or ""))

    def use_tray(self, tray: QSystemTrayIcon) -> None:
        """Show notifications on the window's one tray icon (background.py)."""
        self._tray = tray

    def _show(self, title: str, text: str) -> None:
        self.notified.emit(title, text)
        if self._tray is None and QSystemTrayIcon.isSystemTrayAvailable():
            self._tray = QSystemTrayIcon(self._icon, self)
            self._tray.show()
        if self._tray is not None and QSystemTrayIcon.isSystemTrayAvailable():
            self._tray.show()
            self._tray.showMessage(title, text, QSystemTrayIcon.MessageIcon.Information, 8000)
