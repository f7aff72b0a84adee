"""EventTableView: the keyboard-driven event list; keys become intent signals, the window acts."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import (
    QFontMetrics,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPaintEvent,
)
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from b24monitor.gui.icons import icon
from b24monitor.gui.table.columns import COLUMNS, ENTITY_COLUMN, TIME_COLUMN
from b24monitor.gui.table.model import LINK_ROLE, EventTableModel
from b24monitor.gui.table.painter import RowPainter

_MOVES = {Qt.Key.Key_J: Qt.Key.Key_Down, Qt.Key.Key_K: Qt.Key.Key_Up}


class EventTableView(QTableView):
    """Rows of EventTableModel; follows the newest event while it is in sight."""

    current_event_changed = Signal(int)  # event id, or -1 when no row is current
    detail_focus_requested = Signal()
    copy_requested = Signal()
    pin_requested = Signal(list, bool)  # ids, pinned
    delete_requested = Signal(list)  # ids
    live_toggle_requested = Signal()
    help_requested = Signal()
    link_requested = Signal(str)  # a record's portal page: entity cell clicked, or Ctrl+O

    def __init__(self, model: EventTableModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model = model
        self._follow = True
        self._kept_id = -1
        self._painter = RowPainter(icon("pin"))
        self.setModel(model)
        self.setObjectName("eventTable")
        self._setup_looks()
        self._connect_model(model)

    def _setup_looks(self) -> None:
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerItem)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.setAlternatingRowColors(True)
        self.setTabKeyNavigation(False)
        self.setMouseTracking(True)  # the pointing hand over an entity link
        rows = self.verticalHeader()
        rows.hide()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)  # no per-row measuring
        rows.setDefaultSectionSize(self.fontMetrics().height() + 6)
        header = self.horizontalHeader()
        header.setHighlightSections(False)
        header.setSortIndicatorShown(True)
        header.setSortIndicator(TIME_COLUMN, Qt.SortOrder.AscendingOrder)
        header.setSectionsClickable(True)
        header.setStretchLastSection(False)
        bold = self.font()
        bold.setBold(True)  # pinned rows are bold: size the columns for them
        metrics = QFontMetrics(bold)
        for number, column in enumerate(COLUMNS):
            pin = 18 if number == TIME_COLUMN else 0  # room for the pin of a pinned row
            self.setColumnWidth(number, metrics.horizontalAdvance(column.sample) + pin + 9)
        header.sectionClicked.connect(self._on_header_section_clicked)

    def _connect_model(self, model: EventTableModel) -> None:
        model.rowsAboutToBeInserted.connect(self._on_model_rows_about_to_be_inserted)
        model.rowsInserted.connect(self._on_model_rows_inserted)
        model.modelAboutToBeReset.connect(self._on_model_about_to_be_reset)
        model.modelReset.connect(self._on_model_reset)
        selection = self.selectionModel()
        selection.currentRowChanged.connect(self._on_selection_current_row_changed)

    # -- what the user picked ---------------------------------------------------------------

    def current_event_id(self) -> int:
        index = self.currentIndex()
        return self._model.event_id(index.row()) if index.isValid() else -1

    def selected_ids(self) -> list[int]:
        """Ids of the selected rows (by ranges: selecting a million rows stays cheap)."""
        ids: list[int] = []
        selection = self.selectionModel().selection()
        for number in range(selection.size()):
            selection_range = selection.at(number)
            ids.extend(self._model.events.ids_at(selection_range.top(), selection_range.bottom()))
        if not ids and (current := self.current_event_id()) >= 0:
            ids.append(current)
        return sorted(set(ids))

    def select_event(self, event_id: int) -> bool:
        row = self._model.events.row_of(event_id)
        if row is None:
            return False
        self.setCurrentIndex(self._model.index(row, 0))
        return True

    # -- keys ---------------------------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key, mods = Qt.Key(event.key()), event.modifiers()
        plain = mods in (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.KeypadModifier)
        if event.matches(QKeySequence.StandardKey.Copy):
            self.copy_requested.emit()
        elif plain and key in _MOVES:
            moved = QKeyEvent(QEvent.Type.KeyPress, _MOVES[key], Qt.KeyboardModifier.NoModifier)
            super().keyPressEvent(moved)
        elif plain and key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.detail_focus_requested.emit()
        elif plain and key == Qt.Key.Key_P:
            self._request_pin()
        elif plain and key == Qt.Key.Key_Delete:
            if ids := self.selected_ids():
                self.delete_requested.emit(ids)
        elif mods == Qt.KeyboardModifier.ControlModifier and key == Qt.Key.Key_O:
            self._request_link(self.currentIndex().row())
        elif plain and key == Qt.Key.Key_Space:
            self.live_toggle_requested.emit()
        elif event.text() == "?":
            self.help_requested.emit()
        else:
            super().keyPressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        over_link = self._link_at(event) is not None
        if over_link != (self.viewport().cursor().shape() == Qt.CursorShape.PointingHandCursor):
            if over_link:
                self.viewport().setCursor(Qt.CursorShape.PointingHandCursor)
            else:
                self.viewport().unsetCursor()
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        super().mouseReleaseEvent(event)
        plain = event.modifiers() == Qt.KeyboardModifier.NoModifier
        if event.button() == Qt.MouseButton.LeftButton and plain:
            url = self._link_at(event)
            if url is not None:
                self.link_requested.emit(url)

    def _link_at(self, event: QMouseEvent) -> str | None:
        index = self.indexAt(event.position().toPoint())
        if not index.isValid() or index.column() != ENTITY_COLUMN:
            return None
        url = index.data(LINK_ROLE)
        return url if isinstance(url, str) and url else None

    def _request_link(self, row: int) -> None:
        url = self._model.index(row, ENTITY_COLUMN).data(LINK_ROLE) if row >= 0 else None
        if isinstance(url, str) and url:
            self.link_requested.emit(url)

    def paintEvent(self, event: QPaintEvent) -> None:
        # One Python call draws every visible row (painter.py explains the GIL cost).
        painter = QPainter(self.viewport())
        self._painter.paint(self, self._model, painter, event.rect())
        painter.end()

    def _request_pin(self) -> None:
        ids = self.selected_ids()
        if not ids:
            return
        rows = [self._model.events.row_of(i) for i in ids]
        all_pinned = all(r is not None and self._model.row(r).pinned for r in rows)
        self.pin_requested.emit(ids, not all_pinned)

    # -- slots ----------------------------------------------------------------------------------

    def _on_header_section_clicked(self, section: int) -> None:
        newest_first = not self._model.events.newest_first
        if section == TIME_COLUMN:
            self._model.sort(TIME_COLUMN, _order(newest_first))
        else:
            newest_first = not newest_first  # only time sorts; keep its indicator
        self.horizontalHeader().setSortIndicator(TIME_COLUMN, _order(newest_first))

    @staticmethod
    def sort_order(newest_first: bool) -> Qt.SortOrder:
        return _order(newest_first)

    def _on_selection_current_row_changed(
        self, current: QModelIndex | QPersistentModelIndex, previous: object
    ) -> None:
        event_id = self._model.event_id(current.row()) if current.isValid() else -1
        self.current_event_changed.emit(event_id)

    def _on_model_rows_about_to_be_inserted(self, parent: object, first: int, last: int) -> None:
        bar = self.verticalScrollBar()
        at_top = first == 0 and self._model.events.newest_first
        self._follow = bar.value() == 0 if at_top else bar.value() >= bar.maximum()

    def _on_model_rows_inserted(self, parent: object, first: int, last: int) -> None:
        bar = self.verticalScrollBar()
        if first == 0 and self._model.events.newest_first:
            if not self._follow:  # keep the rows the user is reading where they are
                bar.setValue(bar.value() + last - first + 1)
        elif self._follow:
            self.scrollToBottom()

    def _on_model_about_to_be_reset(self) -> None:
        self._kept_id = self.current_event_id()

    def _on_model_reset(self) -> None:
        if self._kept_id >= 0 and self.select_event(self._kept_id):
            self.scrollTo(self.currentIndex(), QAbstractItemView.ScrollHint.PositionAtCenter)
        elif not self._model.events.newest_first:
            self.scrollToBottom()
        self.current_event_changed.emit(self.current_event_id())


def _order(newest_first: bool) -> Qt.SortOrder:
    return Qt.SortOrder.DescendingOrder if newest_first else Qt.SortOrder.AscendingOrder
