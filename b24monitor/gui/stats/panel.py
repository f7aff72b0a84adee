"""StatsPanel: the `stats` figures for the events the filter selects, refreshed while visible.

The figures are computed by SQLite on the window's one store reader (gui/store_worker.py, SQL in
services/stats.py), so a large store never blocks the window.
"""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from b24monitor.core.filters import Filter, parse
from b24monitor.core.tasks import spawn
from b24monitor.gui.stats.minute_chart import MinuteChart
from b24monitor.gui.store_worker import StoreWorker
from b24monitor.services.stats import HEADER, EventStats, format_row

REFRESH_MS = 5000


class StatsPanel(QWidget):
    """A table of figures per event code and a per-minute chart; `refresh()` reloads both."""

    def __init__(self, worker: StoreWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statsPanel")
        self._worker = worker
        self._filter = parse("")
        self.summary = QLabel(self)
        self.chart = MinuteChart(self)
        self.table = QTableWidget(0, len(HEADER), self)
        self.table.setObjectName("statsTable")
        self.table.setHorizontalHeaderLabels(list(HEADER))
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setToolTip(self.tr("Queue delay is received − ts; fwd: your handler's answer "
                                      "time and failure share (with --forward-to)"))  # fmt: skip
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.chart)
        layout.addWidget(self.table, 1)
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self._on_timer_timeout)
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
        spawn(self._load(), name="stats-refresh", on_error=self._on_error)

    async def _load(self) -> None:
        flt = self._filter
        try:
            stats, counts = await self._worker.traffic(flt, time.time())
        finally:
            self._loading = False
        self._show(stats, counts)
        self.loaded += 1

    def _show(self, stats: list[EventStats], counts: list[int]) -> None:
        self.table.setRowCount(len(stats))
        for row, figures in enumerate(stats):
            for column, text in enumerate(format_row(figures)):
                item = QTableWidgetItem(text)
                if column:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.table.setItem(row, column, item)
        self.table.resizeColumnsToContents()
        total = sum(s.count for s in stats)
        self.summary.setText(
            self.tr("%1 events of %2 codes match the filter")
            .replace("%1", f"{total:,}")
            .replace("%2", str(len(stats)))
        )
        self.chart.set_counts(counts)

    def _on_error(self, where: str, exc: BaseException) -> None:
        self.summary.setText(self.tr("Statistics failed: %1").replace("%1", str(exc)))

    def showEvent(self, event: QShowEvent) -> None:
        self.refresh()
        self._timer.start()

    def hideEvent(self, event: QHideEvent) -> None:
        self._timer.stop()

    def _on_timer_timeout(self) -> None:
        self.refresh()
