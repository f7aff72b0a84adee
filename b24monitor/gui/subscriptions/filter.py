"""SubscriptionsFilter: the dock's search (code and both descriptions) and "ticked only"."""

from __future__ import annotations

from PySide6.QtCore import QObject, QSortFilterProxyModel, Qt

from b24monitor.gui.models import AnyIndex
from b24monitor.gui.subscriptions.model import ACTIVE_ROLE, SEARCH_ROLE


class SubscriptionsFilter(QSortFilterProxyModel):
    """Search over code and both descriptions; optionally only the rows that matter now."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.active_only = False
        self.setFilterRole(SEARCH_ROLE)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setRecursiveFilteringEnabled(True)  # a scope shows while any of its rows does
        self.setAutoAcceptChildRows(True)  # "crm" shows the whole CRM scope

    def set_active_only(self, active_only: bool) -> None:
        if not hasattr(self, "beginFilterChange"):  # Qt < 6.10
            self._set_active_only(active_only)
            self.invalidateFilter()
            return
        self.beginFilterChange()
        self._set_active_only(active_only)
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def _set_active_only(self, active_only: bool) -> None:
        self.active_only = active_only
        # A scope shown for one of its rows would otherwise bring all its rows along.
        self.setAutoAcceptChildRows(not active_only)

    def filterAcceptsRow(self, source_row: int, source_parent: AnyIndex) -> bool:
        if self.active_only:
            if not source_parent.isValid():
                return False  # scopes show through their rows, never all their rows
            index = self.sourceModel().index(source_row, 0, source_parent)
            if not index.data(ACTIVE_ROLE):
                return False
        return super().filterAcceptsRow(source_row, source_parent)
