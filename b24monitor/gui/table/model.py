"""EventTableModel: a thin Qt adapter over EventList; row contents come from the store in pages.

Pages are read off the GUI thread (the store worker): a row not read yet shows blank until its
page arrives, then the rows change. `look()` decides a row's texts, tint, mark and link in one
place; `data()` and the row painter both show what it says.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QObject,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QGuiApplication, QPalette

from b24monitor.core.model import CapturedEvent
from b24monitor.core.tasks import spawn
from b24monitor.gui.i18n import QT_TRANSLATE_NOOP
from b24monitor.gui.icons import icon
from b24monitor.gui.models import AnyIndex, row_flags
from b24monitor.gui.table.columns import (
    COLUMNS,
    CONTEXT,
    ENTITY_COLUMN,
    TIME_COLUMN,
    VERIFIED_COLUMN,
)
from b24monitor.gui.table.event_list import EventList
from b24monitor.gui.table.row_cache import LOADING, Row, RowCache

PAGE = 100  # rows read per store query when the view asks for an uncached row
EVENT_ID_ROLE = Qt.ItemDataRole.UserRole + 1
LINK_ROLE = Qt.ItemDataRole.UserRole + 2  # the record's portal page (entity column)

# Translucent tints read on light and dark palettes alike.
_UNVERIFIED = QColor(220, 40, 40, 60)
_MALFORMED = QColor(235, 150, 0, 70)
_MARK_COLORS: dict[bool | None, QColor] = {True: QColor(30, 150, 60), False: QColor(210, 40, 40)}
_VERDICTS = {
    True: QT_TRANSLATE_NOOP("EventTableModel", "token matches"),
    False: QT_TRANSLATE_NOOP("EventTableModel", "token mismatch"),
    None: QT_TRANSLATE_NOOP("EventTableModel", "no token known for this portal yet"),
}

_LINK_TIP = QT_TRANSLATE_NOOP("EventTableModel", "Open in the portal (click or Ctrl+O): %1")

_ROLES = frozenset(
    {
        Qt.ItemDataRole.DisplayRole,
        Qt.ItemDataRole.BackgroundRole,
        Qt.ItemDataRole.ForegroundRole,
        Qt.ItemDataRole.TextAlignmentRole,
        Qt.ItemDataRole.FontRole,
        Qt.ItemDataRole.DecorationRole,
        Qt.ItemDataRole.ToolTipRole,
        EVENT_ID_ROLE,
        LINK_ROLE,
    }
)


def row_tint(row: Row) -> QColor | None:
    """Malformed and unverified (✖) rows stand out; None for the others."""
    if row.loading or row.gone:
        return None
    if row.status == "malformed":
        return _MALFORMED
    if row.verified is False or row.status == "rejected":
        return _UNVERIFIED
    return None


def _tr(text: str) -> str:
    return QCoreApplication.translate(CONTEXT, text)


@dataclass(frozen=True, slots=True)
class RowLook:
    """How one row is shown: its cell texts, tint, ✔/✖ colour, link and weight."""

    texts: tuple[str, ...]  # per column, translated where the column is
    tint: QColor | None
    mark: QColor | None  # colour of the verified column's mark
    link: str | None  # the entity cell links here (None: plain text)
    pinned: bool  # bold, with a pin in the time column

    @classmethod
    def of(cls, row: Row) -> RowLook:
        if row.gone or row.loading:
            blank = [""] * len(COLUMNS)
            if row.gone:
                blank[TIME_COLUMN] = _tr("(removed)")
            return cls(tuple(blank), None, None, None, False)
        pairs = zip(row.texts, COLUMNS, strict=True)
        texts = tuple(_tr(text) if column.translated else text for text, column in pairs)
        mark = _MARK_COLORS.get(row.verified)
        return cls(texts, row_tint(row), mark, row.link, row.pinned)


class _Adapter:
    """Maps EventList's before/after notifications onto the model's begin/end calls."""

    def __init__(self, model: EventTableModel) -> None:
        self._m = model

    def about_to_insert(self, first: int, last: int) -> None:
        self._m.beginInsertRows(QModelIndex(), first, last)

    def inserted(self) -> None:
        self._m.endInsertRows()

    def about_to_remove(self, first: int, last: int) -> None:
        self._m.beginRemoveRows(QModelIndex(), first, last)

    def removed(self) -> None:
        self._m.endRemoveRows()

    def about_to_reset(self) -> None:
        self._m.beginResetModel()

    def reset(self) -> None:
        self._m.endResetModel()

    def rows_changed(self, ids: Sequence[int]) -> None:
        self._m.refresh_ids(ids)

    def state_changed(self) -> None:
        self._m.state_changed.emit()


class EventTableModel(QAbstractTableModel):
    """Rows = EventList ids; cells from a page-filled LRU cache. Read-only: edits are intents."""

    state_changed = Signal()  # pause, pending count, filtering, row count

    def __init__(
        self,
        events: EventList,
        load: Callable[
            [Sequence[int], Callable[[CapturedEvent], Row]], Awaitable[Mapping[int, Row]]
        ],
        parent: QObject | None = None,
        *,
        on_error: Callable[[str, BaseException], None] | None = None,
    ) -> None:
        """`load(ids, Row.of)` reads and shapes rows off the GUI thread (the store worker's
        `rows`): a page when the view reaches uncached rows, and the rows of new events before
        they are shown."""
        super().__init__(parent)
        self.events = events
        self.cache = RowCache()
        self._load = load
        self._on_error = on_error
        self._loading: set[int] = set()  # first ids of the pages being read
        self.loads = 0  # page reads so far (tests check that scrolling reads pages, not rows)
        events.set_preparer(self._prepare)
        self._pin = icon("pin")
        self._bold = QFont()
        self._bold.setBold(True)
        self._link_font = QFont()
        self._link_font.setUnderline(True)
        self._link_bold = QFont(self._bold)
        self._link_bold.setUnderline(True)
        events.add_observer(_Adapter(self))

    # -- Qt overrides ----------------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.events)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        return row_flags(index)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(COLUMNS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return _tr(COLUMNS[section].title)
        if role == Qt.ItemDataRole.ToolTipRole:
            return _tr(COLUMNS[section].tip)
        return None

    def data(self, index: AnyIndex, role: int = 0) -> Any:
        if role not in _ROLES or not index.isValid():
            return None
        number = index.row()
        if not 0 <= number < len(self.events):
            return None
        row = self.row(number)
        return self._value(row, RowLook.of(row), number, index.column(), role)

    def multiData(self, index: AnyIndex, roleDataSpan: Any) -> None:
        """All roles of a cell in one call. Views ask ~5 roles a cell; one Python call instead of
        five matters, because each call from Qt must take the GIL from the capture thread."""
        number = index.row() if index.isValid() else -1
        if not 0 <= number < len(self.events):
            for role_data in roleDataSpan:
                role_data.clearData()
            return
        row, column = self.row(number), index.column()
        look = RowLook.of(row)
        for role_data in roleDataSpan:
            role = role_data.role()
            value = self._value(row, look, number, column, role) if role in _ROLES else None
            if value is None:
                role_data.clearData()
            else:
                role_data.setData(value)

    def _value(self, row: Row, look: RowLook, number: int, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return look.texts[column]
        if role == Qt.ItemDataRole.BackgroundRole:
            return look.tint
        if role == Qt.ItemDataRole.ForegroundRole and column == VERIFIED_COLUMN:
            return look.mark
        if role == Qt.ItemDataRole.TextAlignmentRole and COLUMNS[column].right:
            return Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        if column == ENTITY_COLUMN and look.link:
            link = self._link_value(look, role)
            if link is not None:
                return link
        if role == Qt.ItemDataRole.FontRole and look.pinned:
            return self._bold
        if role == Qt.ItemDataRole.DecorationRole and column == TIME_COLUMN and look.pinned:
            return self._pin
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row, column, self.events.id_at(number))
        if role == EVENT_ID_ROLE:
            return self.events.id_at(number)
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Only by time (= id order): flipping the order reverses the row mapping, loads nothing."""
        if column == TIME_COLUMN:
            self.events.set_newest_first(order == Qt.SortOrder.DescendingOrder)

    # -- helpers ---------------------------------------------------------------------------

    def _link_value(self, look: RowLook, role: int) -> Any:
        """The entity cell as a link: underlined, in the palette's link colour, its URL."""
        if role == LINK_ROLE:
            return look.link
        if role == Qt.ItemDataRole.FontRole:
            return self._link_bold if look.pinned else self._link_font
        if role == Qt.ItemDataRole.ForegroundRole:
            return QGuiApplication.palette().color(QPalette.ColorRole.Link)
        if role == Qt.ItemDataRole.ToolTipRole:
            return _tr(_LINK_TIP).replace("%1", look.link or "")
        return None

    async def _prepare(self, ids: Sequence[int]) -> None:
        missing = self.cache.missing(ids)
        if missing:
            self.cache.put(missing, await self._load(missing, Row.of))

    def row(self, row_number: int) -> Row:
        """The row's contents; LOADING (blank) while its page is being read."""
        event_id = self.events.id_at(row_number)
        row = self.cache.get(event_id)
        if row is None:
            start = row_number - row_number % PAGE
            self._request_page(self.events.ids_at(start, start + PAGE - 1))
            return LOADING
        return row

    def look(self, row_number: int) -> RowLook:
        """How row `row_number` is shown; what `data()` answers and the painter draws."""
        return RowLook.of(self.row(row_number))

    def _request_page(self, ids: list[int]) -> None:
        if not ids or ids[0] in self._loading:
            return
        try:
            spawn(self._read_page(ids), name="table-page", on_error=self._on_error)
        except RuntimeError:  # no loop running (Qt painting between tests): read on next paint
            return
        self._loading.add(ids[0])
        self.loads += 1

    async def _read_page(self, ids: list[int]) -> None:
        try:
            rows = await self._load(ids, Row.of)
        finally:
            self._loading.discard(ids[0])
        self.cache.put(ids, rows)
        numbers = [r for r in map(self.events.row_of, ids) if r is not None]
        if numbers:
            last = len(COLUMNS) - 1
            self.dataChanged.emit(self.index(min(numbers), 0), self.index(max(numbers), last))

    def event_id(self, row_number: int) -> int:
        return self.events.id_at(row_number)

    def refresh_ids(self, ids: Sequence[int]) -> None:
        self.cache.drop(ids)
        last = len(COLUMNS) - 1
        for event_id in ids:
            row = self.events.row_of(event_id)
            if row is not None:
                self.dataChanged.emit(self.index(row, 0), self.index(row, last))

    def _tooltip(self, row: Row, column: int, event_id: int) -> str | None:
        if row.loading:
            return None
        if row.gone:
            return _tr("This event was removed from the store.")
        if column == TIME_COLUMN:
            when = datetime.fromtimestamp(row.received_at).isoformat(" ", "milliseconds")
            return _tr("#%1 received %2").replace("%1", str(event_id)).replace("%2", when)
        if column == VERIFIED_COLUMN:
            verdict = _tr(_VERDICTS[row.verified])
            return verdict + (" — " + row.sender if row.sender else "")  # "token matches — dev"
        if row.status != "ok" and row.error:
            return row.error
        return None
