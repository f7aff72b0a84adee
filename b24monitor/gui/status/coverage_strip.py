"""CoverageStrip: under the rate chart, green where the capture path was covered, red where not.

Same ten minutes as the rate chart. Each gap is labelled with the events the safety net
recovered for it (↺ 3); hovering says why the path was not covered. The timeline is read from
the store (services/guard_store.py) off the GUI thread, at most every few seconds.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from b24monitor.core.coverage import Interval, timeline
from b24monitor.gui.status.rate_chart import LEGEND_WIDTH

WINDOW_S = 600.0  # the rate chart's ten minutes
RELOAD_S = 5.0
COVERED_COLOR = "#10b981"
GAP_COLOR = "#ef4444"


def load_timeline(db_path: Path, now: float) -> list[Interval]:
    """The last ten minutes of coverage (runs on a worker thread; own short connection)."""
    from b24monitor.services.guard_store import GuardStore

    store = GuardStore(db_path)
    try:
        since = now - WINDOW_S
        return timeline(store.stretches(since), store.recovered_between, now=now, since=since)
    finally:
        store.close()


class CoverageStrip(QWidget):
    """A thin timeline; `reload()` reads it, `set_intervals()` shows it."""

    def __init__(self, db_path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("coverageStrip")
        self._db_path = db_path
        self._intervals: list[Interval] = []
        self._now = time.time()
        self._loaded_at = -RELOAD_S
        self._loading = False
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setFixedHeight(self.fontMetrics().height() + 4)
        self.setToolTip(self.tr("Capture coverage, last 10 minutes"))

    def sizeHint(self) -> QSize:
        return QSize(600, self.fontMetrics().height() + 4)

    @property
    def intervals(self) -> list[Interval]:
        return list(self._intervals)

    async def reload(self, *, force: bool = False) -> None:
        """Read the timeline again (skipped when read less than RELOAD_S ago)."""
        now = time.time()
        if self._loading or (not force and now - self._loaded_at < RELOAD_S):
            return
        self._loading, self._loaded_at = True, now
        try:
            if self._db_path.exists():
                self.set_intervals(await asyncio.to_thread(load_timeline, self._db_path, now), now)
        finally:
            self._loading = False

    def set_intervals(self, intervals: list[Interval], now: float) -> None:
        self._intervals, self._now = intervals, now
        self.update()

    def _plot(self) -> QRectF:
        # Lined up with the rate chart's plot, which leaves room for its legend on the right.
        return QRectF(4, 1, max(10, self.width() - LEGEND_WIDTH - 8), self.height() - 2)

    def _span(self, i: Interval, plot: QRectF) -> QRectF | None:
        start, end = self._now - WINDOW_S, self._now
        left, right = max(i.start, start), min(i.end if i.end is not None else end, end)
        if right <= left:
            return None
        scale = plot.width() / WINDOW_S
        return QRectF(plot.left() + (left - start) * scale, plot.top(),
                      max((right - left) * scale, 1.0), plot.height())  # fmt: skip

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        plot = self._plot()
        painter.fillRect(plot, self.palette().color(QPalette.ColorRole.Base))
        for i in self._intervals:
            rect = self._span(i, plot)
            if rect is None:
                continue
            painter.fillRect(rect, QColor(COVERED_COLOR if i.covered else GAP_COLOR))
            label = f"↺ {i.recovered}" if not i.covered and i.recovered else ""
            if label and self.fontMetrics().horizontalAdvance(label) < rect.width():
                painter.setPen(QColor("white"))
                painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, label)
        painter.setPen(self.palette().color(QPalette.ColorRole.Mid))
        painter.drawRect(plot)
        painter.end()

    def interval_at(self, x: float) -> Interval | None:
        """The interval under `x` (for the hover text)."""
        plot = self._plot()
        for i in self._intervals:
            rect = self._span(i, plot)
            if rect is not None and rect.left() <= x <= rect.right():
                return i
        return None

    def describe(self, i: Interval) -> str:
        if i.covered:
            return self.tr("Covered: every delivery could reach b24monitor")
        text = self.tr("Not covered: %1").replace("%1", i.reason or "")
        if i.recovered:
            text += "\n" + self.tr("%1 missed event(s) recovered").replace("%1", str(i.recovered))
        return text

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        found = self.interval_at(event.position().x())
        if found is None:
            QToolTip.hideText()
            return
        QToolTip.showText(event.globalPosition().toPoint(), self.describe(found), self)
