"""OfflineModel: rows of the portal's offline queue (spec §3.3) over OfflineRows, a Qt-free list.

OfflineRows holds what the pane last read — the queue (event.offline.list), a reservation being
consumed, or rows fetched and cleared — and which of them to show (all, or only errored ones).
The columns are one table of pure functions, like the event table's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, Qt
from PySide6.QtGui import QColor, QFontDatabase

from b24monitor.core.decoding import entity_kind, family_of
from b24monitor.gui.i18n import QT_TRANSLATE_NOOP, translate
from b24monitor.gui.models import AnyIndex, row_flags
from b24monitor.services.offline_queue import OfflineRecord

Kind = Literal["queue", "reserved", "fetched"]
_ERROR_TINT = QColor(220, 40, 40, 50)
_RESERVED_TINT = QColor(40, 110, 220, 40)


class Observer(Protocol):
    def about_to_reset(self) -> None: ...

    def reset(self) -> None: ...


class OfflineRows:
    """The records on show and what they are; no Qt, no I/O."""

    def __init__(self) -> None:
        self.kind: Kind = "queue"
        self.records: tuple[OfflineRecord, ...] = ()
        self.errored_only = False
        self.shown: tuple[OfflineRecord, ...] = ()
        self._observers: list[Observer] = []

    def add_observer(self, observer: Observer) -> None:
        self._observers.append(observer)

    def set(self, records: Sequence[OfflineRecord], kind: Kind = "queue") -> None:
        self._reset(lambda: setattr(self, "records", tuple(records)), kind)

    def set_errored_only(self, errored_only: bool) -> None:
        self._reset(lambda: setattr(self, "errored_only", errored_only), self.kind)

    @property
    def errored_count(self) -> int:
        return sum(1 for r in self.records if r.error)

    def _reset(self, change: Callable[[], None], kind: Kind) -> None:
        for observer in self._observers:
            observer.about_to_reset()
        change()
        self.kind = kind
        errored = self.errored_only and kind == "queue"
        self.shown = tuple(r for r in self.records if r.error or not errored)
        for observer in self._observers:
            observer.reset()


# -- the columns ----------------------------------------------------------------------------------


def _time(record: OfflineRecord) -> str:
    try:
        when = datetime.fromisoformat(record.timestamp)
    except ValueError:
        return record.timestamp
    today = datetime.now(when.tzinfo).date() == when.date()
    return when.strftime("%H:%M:%S" if today else "%Y-%m-%d %H:%M")


def _entity(record: OfflineRecord) -> str:
    entity_id, _ = family_of(record.event).extract({"event": record.event, "data": record.data})
    if not entity_id:
        return ""
    kind = entity_kind(record.event)
    return f"{kind} {entity_id}" if kind else entity_id


def _short(value: str) -> str:
    return value[:8] + "…" if len(value) > 10 else value


@dataclass(frozen=True, slots=True)
class Column:
    title: str
    tip: str
    text: Callable[[OfflineRecord], str]
    full: Callable[[OfflineRecord], str] | None = None  # tooltip: the whole value


# fmt: off
COLUMNS: tuple[Column, ...] = (
    Column("ID", QT_TRANSLATE_NOOP("OfflineModel", "Row ID in the queue"), lambda r: str(r.id)),
    Column(QT_TRANSLATE_NOOP("OfflineModel", "time"),
           QT_TRANSLATE_NOOP("OfflineModel", "Last time the row was written (TIMESTAMP_X)"),
           _time, lambda r: r.timestamp),
    Column(QT_TRANSLATE_NOOP("OfflineModel", "event"),
           QT_TRANSLATE_NOOP("OfflineModel", "Event code"), lambda r: r.event),
    Column(QT_TRANSLATE_NOOP("OfflineModel", "entity"),
           QT_TRANSLATE_NOOP("OfflineModel", "The object the event is about"), _entity),
    Column(QT_TRANSLATE_NOOP("OfflineModel", "user"),
           QT_TRANSLATE_NOOP("OfflineModel", "User whose action queued the row (0: a robot)"),
           lambda r: r.user_id),
    Column("MESSAGE_ID",
           QT_TRANSLATE_NOOP("OfflineModel", "Deduplication key: one row per object and event"),
           lambda r: _short(r.message_id), lambda r: r.message_id),
    Column("PROCESS_ID",
           QT_TRANSLATE_NOOP("OfflineModel", "Reservation: set while a consumer processes the row"),
           lambda r: _short(r.process_id), lambda r: r.process_id),
    Column("ERROR", QT_TRANSLATE_NOOP("OfflineModel", "Marked as failed by a consumer"),
           lambda r: "✖" if r.error else ""),
)
# fmt: on
TRANSLATED_TITLES = frozenset({1, 2, 3, 4})


def _tr(text: str) -> str:
    return translate("OfflineModel", text)


class _Adapter:
    def __init__(self, model: OfflineModel) -> None:
        self._m = model

    def about_to_reset(self) -> None:
        self._m.beginResetModel()

    def reset(self) -> None:
        self._m.endResetModel()


class OfflineModel(QAbstractTableModel):
    """Read-only rows of OfflineRows.shown; errored rows tinted red."""

    def __init__(self, rows: OfflineRows, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.rows = rows
        self._mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        rows.add_observer(_Adapter(self))

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows.shown)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        return row_flags(index)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(COLUMNS):
            return None
        column = COLUMNS[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return _tr(column.title) if section in TRANSLATED_TITLES else column.title
        if role == Qt.ItemDataRole.ToolTipRole:
            return _tr(column.tip)
        return None

    def data(self, index: AnyIndex, role: int = 0) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows.shown):
            return None
        record = self.rows.shown[index.row()]
        column = COLUMNS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.text(record)
        if role == Qt.ItemDataRole.ToolTipRole and column.full is not None:
            return column.full(record) or None
        if role == Qt.ItemDataRole.BackgroundRole and record.error:
            return _ERROR_TINT
        if role == Qt.ItemDataRole.BackgroundRole and record.process_id:
            return _RESERVED_TINT
        if role == Qt.ItemDataRole.FontRole and column.full is not None and index.column() > 2:
            return self._mono
        return None

    def record(self, row: int) -> OfflineRecord:
        return self.rows.shown[row]
