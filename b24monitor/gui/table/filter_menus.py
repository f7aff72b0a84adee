"""The filter bar's menus: recent filters, saved filters (kept in QSettings) and the syntax help."""

from __future__ import annotations

import json
from collections.abc import Callable

from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QInputDialog, QMenu, QMessageBox, QWidget

from b24monitor.core.filters import help_text

RECENT_KEY = "filters/recent"
SAVED_KEY = "filters/saved"
MAX_RECENT = 15


class FilterMenus(QObject):
    """Recent and saved expressions; `expression_chosen` when the user picks one."""

    expression_chosen = Signal(str)

    def __init__(self, settings: QSettings, parent: QWidget, current: Callable[[], str]) -> None:
        super().__init__(parent)
        self._settings = settings
        self._parent = parent
        self._current = current  # the expression in the field, for "Save current filter…"
        self.history = QMenu(parent)
        self.history.aboutToShow.connect(self._on_history_about_to_show)

    # -- stored lists ---------------------------------------------------------------------------

    def recent(self) -> list[str]:
        value = _load(self._settings, RECENT_KEY)
        return [str(e) for e in value] if isinstance(value, list) else []

    def saved(self) -> dict[str, str]:
        value = _load(self._settings, SAVED_KEY)
        return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}

    def remember(self, expression: str) -> None:
        items = [expression, *(e for e in self.recent() if e != expression)][:MAX_RECENT]
        self._settings.setValue(RECENT_KEY, json.dumps(items, ensure_ascii=False))

    def save(self, name: str, expression: str) -> None:
        saved = self.saved()
        saved[name] = expression
        self._settings.setValue(SAVED_KEY, json.dumps(saved, ensure_ascii=False))

    def forget_saved(self, name: str) -> None:
        saved = self.saved()
        saved.pop(name, None)
        self._settings.setValue(SAVED_KEY, json.dumps(saved, ensure_ascii=False))

    # -- menus ----------------------------------------------------------------------------------

    def _on_history_about_to_show(self) -> None:
        menu = self.history
        menu.clear()
        saved = self.saved()
        menu.addSection(self.tr("Saved filters"))
        for name, expression in saved.items():
            action = menu.addAction(f"{name}\t{expression}")
            action.triggered.connect(lambda _=False, e=expression: self.expression_chosen.emit(e))
        save = menu.addAction(self.tr("Save current filter…"), self._on_save_triggered)
        save.setEnabled(bool(self._current().strip()))
        if saved:
            remove = menu.addMenu(self.tr("Remove saved filter"))
            for name in saved:
                action = remove.addAction(name)
                action.triggered.connect(lambda _=False, n=name: self.forget_saved(n))
        menu.addSection(self.tr("Recent filters"))
        recent = self.recent()
        for expression in recent:
            action = menu.addAction(expression)
            action.triggered.connect(lambda _=False, e=expression: self.expression_chosen.emit(e))
        if recent:
            menu.addAction(self.tr("Clear history"), self._on_clear_triggered)
        else:
            menu.addAction(self.tr("(none yet)")).setEnabled(False)

    def _on_save_triggered(self) -> None:
        expression = self._current().strip()
        label = self.tr("Name for “%1”:").replace("%1", expression)
        name, ok = QInputDialog.getText(self._parent, self.tr("Save filter"), label)
        if ok and name.strip():
            self.save(name.strip(), expression)

    def _on_clear_triggered(self) -> None:
        self._settings.remove(RECENT_KEY)

    def show_syntax_help(self) -> None:
        box = QMessageBox(self._parent)
        box.setWindowTitle(self.tr("Filter syntax"))
        box.setText(self.tr("Fields and syntax of the filter language:"))
        box.setInformativeText(help_text())
        box.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        box.open()


def _load(settings: QSettings, key: str) -> object:
    raw = settings.value(key, "")
    try:
        return json.loads(raw) if isinstance(raw, str) and raw else None
    except ValueError:
        return None  # a hand-edited settings file: start the list afresh
