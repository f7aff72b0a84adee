"""RateChart: events per second over the last ten minutes, stacked by the top event codes."""

from __future__ import annotations

import time
from dataclasses import dataclass

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from b24monitor.gui.status.rate_history import OTHER, RateHistory, RateSnapshot

# Distinct on light and dark backgrounds; the last one is "other".
SERIES_COLORS = ("#3b82f6", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6")
OTHER_COLOR = "#9ca3af"
LEGEND_WIDTH = 190


@dataclass(frozen=True, slots=True)
class Layout:
    """The columns of one snapshot in one plot rectangle: its blocks per series, ready to draw."""

    plot: QRectF
    peak: int  # events in the tallest column
    bucket: int  # seconds per column
    blocks: tuple[list[QRectF], ...]  # per series


class RateChart(QWidget):
    """Stacked columns, one per few seconds; hovering shows the counts under the cursor."""

    def __init__(self, history: RateHistory, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("rateChart")
        self._history = history
        self._snapshot: RateSnapshot | None = None
        self._layout: Layout | None = None
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setMinimumHeight(64)
        self.setToolTip(self.tr("Events per second, last 10 minutes"))

    def sizeHint(self) -> QSize:
        return QSize(600, 96)

    def refresh(self, now: float | None = None) -> None:
        """Take the last ten minutes and lay their blocks out now, not when painting: the
        window's paint (table, status bar and this) is the longest thing its GUI thread does
        in one go, and ten full minutes are ~1,800 blocks made in Python (issue 14's soak)."""
        self._snapshot = self._history.snapshot(time.time() if now is None else now)
        self._layout = self._lay_out(self._snapshot, self._plot_rect())
        self.update()

    def _color(self, code: str, number: int) -> QColor:
        return QColor(OTHER_COLOR if code == OTHER else SERIES_COLORS[number % len(SERIES_COLORS)])

    def _plot_rect(self) -> QRectF:
        axis = self.fontMetrics().height()  # the time labels go under the plot
        return QRectF(4, 4, max(10, self.width() - LEGEND_WIDTH - 8), self.height() - 8 - axis)

    def _bucket(self, snap: RateSnapshot, width: float) -> int:
        """Seconds per column, so that a column is at least 2 px wide."""
        return max(1, -(-len(snap.counts) * 2 // max(int(width), 1)))

    def _columns(self, snap: RateSnapshot, bucket: int) -> list[list[int]]:
        counts = snap.counts
        if bucket == 1:
            return [list(row) for row in counts]
        return [
            [sum(series) for series in zip(*counts[start : start + bucket], strict=True)]
            for start in range(0, len(counts), bucket)
        ]

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        palette = self.palette()
        plot = self._plot_rect()
        painter.fillRect(plot, palette.color(QPalette.ColorRole.Base))
        snap = self._snapshot
        if snap is not None and snap.codes:
            self._paint_columns(painter, snap, plot)
            self._paint_legend(painter, snap, plot)
        painter.setPen(palette.color(QPalette.ColorRole.Mid))
        painter.drawRect(plot)
        painter.end()

    def _lay_out(self, snap: RateSnapshot, plot: QRectF) -> Layout:
        bucket = self._bucket(snap, plot.width())
        columns = self._columns(snap, bucket)
        peak = max((sum(c) for c in columns), default=0) or 1
        step = plot.width() / max(len(columns), 1)
        width, scale, bottom = max(step - 0.5, 1.0), (plot.height() - 12) / peak, plot.bottom()
        # Drawn with one drawRects per series, not one fillRect per column and series: each
        # call from Python cost the GUI thread ~5 µs.
        blocks: tuple[list[QRectF], ...] = tuple([] for _ in snap.codes)
        for number, column in enumerate(columns):
            x, y = plot.left() + number * step, bottom
            for series, count in enumerate(column):
                if count:
                    height = count * scale
                    y -= height
                    blocks[series].append(QRectF(x, y, width, height))
        return Layout(QRectF(plot), peak, bucket, blocks)

    def _paint_columns(self, painter: QPainter, snap: RateSnapshot, plot: QRectF) -> None:
        layout = self._layout
        if layout is None or layout.plot != plot:  # resized since the last refresh
            layout = self._layout = self._lay_out(snap, plot)
        peak, bucket = layout.peak, layout.bucket
        painter.save()
        painter.setPen(Qt.PenStyle.NoPen)
        for series, rects in enumerate(layout.blocks):
            if rects:
                painter.setBrush(self._color(snap.codes[series], series))
                painter.drawRects(rects)
        painter.restore()  # the frame drawn after must not be filled with the last brush
        painter.setPen(self.palette().color(QPalette.ColorRole.Text))
        label = self.tr("peak %1/s").replace("%1", f"{peak / bucket:.3g}")
        inside = plot.adjusted(4, 1, -4, -1)
        painter.drawText(inside, Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft, label)
        axis = QRectF(plot.left(), plot.bottom() + 1, plot.width(), self.fontMetrics().height())
        painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
        ago = self.tr("%1 min ago").replace("%1", str(len(snap.counts) // 60))
        painter.drawText(axis, Qt.AlignmentFlag.AlignLeft, ago)
        painter.drawText(axis, Qt.AlignmentFlag.AlignRight, self.tr("now"))

    def _paint_legend(self, painter: QPainter, snap: RateSnapshot, plot: QRectF) -> None:
        metrics = self.fontMetrics()
        painter.setPen(self.palette().color(QPalette.ColorRole.Text))
        x = plot.right() + 8
        y = plot.top()
        for number, code in enumerate(snap.codes):
            if y + metrics.height() > self.height():
                break
            painter.fillRect(QRectF(x, y + 3, 9, 9), self._color(code, number))
            name = code or self.tr("other")
            text = metrics.elidedText(name, Qt.TextElideMode.ElideRight, LEGEND_WIDTH - 18)
            painter.drawText(int(x + 14), int(y + metrics.ascent()), text)
            y += metrics.height()

    def counts_at(self, x: float) -> tuple[int, dict[str, int]] | None:
        """Seconds ago and the counts per code of the column under `x` (for the hover text)."""
        snap = self._snapshot
        plot = self._plot_rect()
        if snap is None or not snap.codes or not plot.left() <= x < plot.right():
            return None
        bucket = self._bucket(snap, plot.width())
        columns = self._columns(snap, bucket)
        number = min(int((x - plot.left()) / (plot.width() / len(columns))), len(columns) - 1)
        ago = len(snap.counts) - number * bucket
        pairs = zip(snap.codes, columns[number], strict=True)
        counts = {code or self.tr("other"): n for code, n in pairs}
        return ago, {k: v for k, v in counts.items() if v}

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        found = self.counts_at(event.position().x())
        if found is None:
            QToolTip.hideText()
            return
        ago, counts = found
        lines = [self.tr("%1 s ago: %2 events").replace("%1", str(ago)).replace(
            "%2", str(sum(counts.values())))]  # fmt: skip
        lines += [f"{code}: {n}" for code, n in sorted(counts.items(), key=lambda kv: -kv[1])]
        QToolTip.showText(event.globalPosition().toPoint(), "\n".join(lines), self)
