"""SubscriptionsModel: scopes → events with online/offline checkboxes; a thin adapter over state.

Read-only towards SubscriptionsState: a click on a checkbox never changes anything here, it
emits an intent (`toggle_requested`, or `bulk_requested` for a scope's box) and the state that
the session reports back is what the boxes then show (one direction).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtCore import Signal as QtSignal
from PySide6.QtGui import QFont, QPalette
from PySide6.QtWidgets import QApplication

from b24monitor.core.subscriptions import Mode
from b24monitor.gui.i18n import translate
from b24monitor.gui.subscriptions.state import MODES, Group, Item, SubscriptionsState
from b24monitor.gui.subscriptions.words import (
    COLORS,
    HEADERS,
    IMPLIED_TIP,
    MARKS,
    TWIN_TIP,
    bindable,
    scope_events,
    scope_title,
    status_tip,
)

AnyIndex = QModelIndex | QPersistentModelIndex
ONLINE, OFFLINE, EVENT, CODE = range(4)
SEARCH_ROLE = Qt.ItemDataRole.UserRole + 1
ACTIVE_ROLE = Qt.ItemDataRole.UserRole + 2
_GROUP = 0  # internal id of top-level rows; children carry their group's number + 1


def _tr(text: str) -> str:
    return translate("SubscriptionsModel", text)


class _Adapter:
    def __init__(self, model: SubscriptionsModel) -> None:
        self._m = model

    def about_to_reset(self) -> None:
        self._m.beginResetModel()

    def reset(self) -> None:
        self._m.endResetModel()

    def changed(self) -> None:
        self._m.refresh_all()


class SubscriptionsModel(QAbstractItemModel):
    """Two levels: a scope row with tri-state boxes (select all), then its events."""

    toggle_requested = QtSignal(str, str, bool)  # event, mode, wanted
    bulk_requested = QtSignal(list, str, bool)  # events, mode, wanted

    def __init__(
        self, state: SubscriptionsState, language: str = "en", parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.state = state
        self.language = language
        self._bold = QFont()
        self._bold.setBold(True)
        state.add_observer(_Adapter(self))

    # -- structure ------------------------------------------------------------------------------

    def index(self, row: int, column: int, parent: AnyIndex = QModelIndex()) -> QModelIndex:  # noqa: B008
        if not self.hasIndex(row, column, parent):
            return QModelIndex()
        if not parent.isValid():
            return self.createIndex(row, column, _GROUP)
        return self.createIndex(row, column, parent.row() + 1)

    def parent(self, index: AnyIndex = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        if not index.isValid() or index.internalId() == _GROUP:
            return QModelIndex()
        return self.createIndex(index.internalId() - 1, 0, _GROUP)

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        groups = self.state.groups
        if not parent.isValid():
            return len(groups)
        if parent.internalId() != _GROUP or parent.column() != 0:
            return 0
        return len(groups[parent.row()].items) if parent.row() < len(groups) else 0

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return len(HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(HEADERS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return _tr(HEADERS[section][0])
        if role == Qt.ItemDataRole.ToolTipRole:
            return _tr(HEADERS[section][1])
        return None

    def group_of(self, index: AnyIndex) -> Group | None:
        if not index.isValid():
            return None
        number = index.row() if index.internalId() == _GROUP else index.internalId() - 1
        return self.state.groups[number] if number < len(self.state.groups) else None

    def item_of(self, index: AnyIndex) -> Item | None:
        group = self.group_of(index)
        if group is None or index.internalId() == _GROUP or index.row() >= len(group.items):
            return None
        return group.items[index.row()]

    def refresh_all(self) -> None:
        last = len(HEADERS) - 1
        count = len(self.state.groups)
        if not count:
            return
        for number, group in enumerate(self.state.groups):
            if group.items:
                parent = self.index(number, 0)
                self.dataChanged.emit(
                    self.index(0, 0, parent), self.index(len(group.items) - 1, last, parent)
                )
        self.dataChanged.emit(self.index(0, 0), self.index(count - 1, last))

    # -- cells ----------------------------------------------------------------------------------

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        base = Qt.ItemFlag.ItemIsEnabled
        item = self.item_of(index)
        if item is not None and item.foreign is not None:
            return base | Qt.ItemFlag.ItemNeverHasChildren  # shown, never touchable
        base |= Qt.ItemFlag.ItemIsSelectable
        column = index.column()
        if column in (ONLINE, OFFLINE) and (
            item is None
            or (
                bindable(item.entry.code, MODES[column])
                and not self._implied_only(item.entry.code, MODES[column])
            )
        ):
            base |= Qt.ItemFlag.ItemIsUserCheckable
        return base if item is None else base | Qt.ItemFlag.ItemNeverHasChildren

    def data(self, index: AnyIndex, role: int = 0) -> Any:
        if not index.isValid():
            return None
        group = self.group_of(index)
        if group is None:
            return None
        if index.internalId() == _GROUP:
            return self._group_data(group, index.column(), role)
        item = self.item_of(index)
        if item is None:
            return None
        if role == ACTIVE_ROLE:
            return self.state.active(item)
        if item.foreign is not None:
            return self._foreign_data(item, index.column(), role)
        return self._event_data(item, index.column(), role)

    def _group_data(self, group: Group, column: int, role: int) -> Any:
        if role == SEARCH_ROLE:
            return f"{group.scope} {scope_title(group.scope)}"
        if column in (ONLINE, OFFLINE) and role == Qt.ItemDataRole.CheckStateRole:
            mode = MODES[column]
            wanted = [self.state.wanted(code, mode) for code in scope_events(group, mode)]
            if wanted and all(wanted):
                return Qt.CheckState.Checked
            return Qt.CheckState.PartiallyChecked if any(wanted) else Qt.CheckState.Unchecked
        if column in (ONLINE, OFFLINE) and role == Qt.ItemDataRole.ToolTipRole:
            return self.tr("Select all in “%1” (one batch)").replace("%1", scope_title(group.scope))
        if column == EVENT and role == Qt.ItemDataRole.DisplayRole:
            return f"{scope_title(group.scope)} ({len(group.events())})"
        if column == EVENT and role == Qt.ItemDataRole.FontRole:
            return self._bold
        return None

    def _event_data(self, item: Item, column: int, role: int) -> Any:
        entry = item.entry
        if role == SEARCH_ROLE:
            return f"{entry.code} {entry.description_en} {entry.description_ru}"
        if column in (ONLINE, OFFLINE):
            mode = MODES[column]
            if not bindable(entry.code, mode):
                return None
            implied = self._implied_only(entry.code, mode)
            if role == Qt.ItemDataRole.CheckStateRole:
                wanted = implied or self.state.wanted(entry.code, mode)
                return Qt.CheckState.Checked if wanted else Qt.CheckState.Unchecked
            status = self.state.status(entry.code, mode)
            if implied and role == Qt.ItemDataRole.ToolTipRole:
                return _tr(TWIN_TIP if mode == "offline" else IMPLIED_TIP)
            if role == Qt.ItemDataRole.DisplayRole:
                return MARKS.get(status.state, "")
            if role == Qt.ItemDataRole.ToolTipRole:
                return status_tip(status) or None
            if role == Qt.ItemDataRole.ForegroundRole:
                return COLORS.get(status.state)
            return None
        description = entry.description(self.language) or entry.code
        if role == Qt.ItemDataRole.DisplayRole:
            return description if column == EVENT else entry.code
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{entry.code}\n{description}"
        if role == Qt.ItemDataRole.ForegroundRole and column == CODE:
            return QApplication.palette().color(QPalette.ColorRole.PlaceholderText)
        return None

    def _foreign_data(self, item: Item, column: int, role: int) -> Any:
        row = item.foreign
        assert row is not None
        if role == SEARCH_ROLE:
            return f"{row.event} {row.handler}"
        if role == Qt.ItemDataRole.ForegroundRole:
            return QApplication.palette().color(QPalette.ColorRole.PlaceholderText)
        install = row.role == "install"
        if role == Qt.ItemDataRole.DisplayRole and column == EVENT:
            if install:
                return "↳ " + self.tr("the application's installation handler")
            mode_text = self.tr("online") if row.mode == "online" else self.tr("offline")
            return "↳ " + self.tr("not made by b24monitor (%1)").replace("%1", mode_text)
        if role == Qt.ItemDataRole.DisplayRole and column == CODE:
            return row.handler or row.event
        if role == Qt.ItemDataRole.ToolTipRole and install:
            return self.tr(
                "The portal registered this handler when the app was saved with its “Initial "
                "installation path” (%1); installs and reinstalls arrive through it. "
                "b24monitor shows it and never touches it."
            ).replace("%1", row.handler)
        if role == Qt.ItemDataRole.ToolTipRole:
            return (
                self.tr("%1 → %2 was not bound by b24monitor: it is shown and never touched.")
                .replace("%1", row.event)
                .replace("%2", row.handler or row.detail)
            )
        return None

    def _implied_only(self, code: str, mode: Mode) -> bool:
        return self.state.implied(code, mode) and not self.state.wanted(code, mode)

    def setData(self, index: AnyIndex, value: Any, role: int = 0) -> bool:
        """A click on a box: emit the intent, change nothing (the state flows back)."""
        if role != Qt.ItemDataRole.CheckStateRole or index.column() not in (ONLINE, OFFLINE):
            return False
        wanted = value in (Qt.CheckState.Checked, Qt.CheckState.Checked.value)
        mode = MODES[index.column()]
        group, item = self.group_of(index), self.item_of(index)
        if item is not None and item.foreign is None:
            self.toggle_requested.emit(item.entry.code, mode, wanted)
        elif item is None and group is not None and scope_events(group, mode):
            self.bulk_requested.emit(scope_events(group, mode), mode, wanted)
        return False
