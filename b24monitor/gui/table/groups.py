"""GroupedView: "Group by object" — one row per (event, object), expandable to its deliveries.

"deal 3187 · ONCRMDEALUPDATE ×12 in 3 s": the groups and a group's deliveries come from SQL
(services/groups.py) on the window's one store reader (gui/store_worker.py); children load on
expand.
Selecting a delivery emits `event_selected(id)`; the main window shows it in the detail pane.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import QTreeWidget, QTreeWidgetItem, QWidget

from b24monitor.core.decoding import entity_kind
from b24monitor.core.filters import Filter, parse
from b24monitor.core.tasks import spawn
from b24monitor.gui.store_worker import StoreWorker
from b24monitor.services.groups import ObjectGroup

GROUP_ROLE = Qt.ItemDataRole.UserRole + 1
EVENT_ID_ROLE = Qt.ItemDataRole.UserRole + 2
REFRESH_MS = 2000
VERIFIED = {True: "✔", False: "✖", None: "–"}


def _clock(at: float) -> str:
    return datetime.fromtimestamp(at).strftime("%H:%M:%S")


def group_title(group: ObjectGroup) -> str:
    """`deal 3187 · ONCRMDEALUPDATE ×12 in 3 s`."""
    kind = entity_kind(group.event)
    what = f"{kind} {group.entity_id}" if kind else group.entity_id
    span = f" in {group.span_s:.0f} s" if group.count > 1 else ""
    return f"{what} · {group.event} ×{group.count}{span}"


class GroupedView(QTreeWidget):
    """Top-level items are groups; a group's children are its deliveries (newest first)."""

    event_selected = Signal(int)

    def __init__(self, worker: StoreWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("groupedView")
        self._worker = worker
        self._filter = parse("")
        self.setHeaderLabels([self.tr("object · event"), self.tr("count"), self.tr("first"),
                              self.tr("last"), self.tr("✔"), self.tr("⚠")])  # fmt: skip
        self.setUniformRowHeights(True)
        self.itemExpanded.connect(self._on_item_expanded)
        self.currentItemChanged.connect(self._on_current_item_changed)
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self.refresh)
        self._loading = False
        self.loaded = 0  # refreshes completed (tests wait on it)

    def set_filter(self, flt: Filter) -> None:
        self._filter = flt
        if self.isVisible():
            self.refresh()

    def refresh(self) -> None:
        if self._loading or not self._worker.db_path.exists():
            return
        self._loading = True
        spawn(self._load_groups(), name="groups-refresh")

    async def _load_groups(self) -> None:
        try:
            groups = await self._worker.object_groups(self._filter)
        finally:
            self._loading = False
        self._show_groups(groups)
        self.loaded += 1

    def _show_groups(self, groups: list[ObjectGroup]) -> None:
        items = [self.topLevelItem(i) for i in range(self.topLevelItemCount())]
        expanded = {self._key(item) for item in items if item is not None and item.isExpanded()}
        self.clear()
        for group in groups:
            item = QTreeWidgetItem([group_title(group), str(group.count), _clock(group.first_at),
                                    _clock(group.last_at), "", ""])  # fmt: skip
            item.setData(0, GROUP_ROLE, group)
            item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            item.setChildIndicatorPolicy(QTreeWidgetItem.ChildIndicatorPolicy.ShowIndicator)
            self.addTopLevelItem(item)
            if self._key(item) in expanded:
                item.setExpanded(True)
        self.resizeColumnToContents(0)

    @staticmethod
    def _key(item: QTreeWidgetItem) -> tuple[str, str | None, str]:
        g: ObjectGroup = item.data(0, GROUP_ROLE)
        return (g.event, g.entity_type_id, g.entity_id)

    def _on_item_expanded(self, item: QTreeWidgetItem) -> None:
        group = item.data(0, GROUP_ROLE)
        if isinstance(group, ObjectGroup):
            spawn(self._load_members(item, group), name="group-members")

    async def _load_members(self, item: QTreeWidgetItem, group: ObjectGroup) -> None:
        events = await self._worker.group_events(self._filter, group)
        item.takeChildren()
        for ev in events:
            child = QTreeWidgetItem(
                [
                    f"#{ev.id}",
                    "",
                    "",
                    _clock(ev.received_at),
                    VERIFIED[ev.verified],
                    str(len(ev.findings) or ""),
                ]
            )
            child.setData(0, EVENT_ID_ROLE, ev.id)  # fmt: skip
            item.addChild(child)

    def _on_current_item_changed(self, current: QTreeWidgetItem | None, _: object) -> None:
        event_id = current.data(0, EVENT_ID_ROLE) if current is not None else None
        if isinstance(event_id, int):
            self.event_selected.emit(event_id)

    def showEvent(self, event: QShowEvent) -> None:
        self.refresh()
        self._timer.start()

    def hideEvent(self, event: QHideEvent) -> None:
        self._timer.stop()
