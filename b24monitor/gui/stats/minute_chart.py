"""MinuteChart: events per minute over the last hour as thin columns (QPainter, no QtCharts)."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QSizePolicy, QWidget

COLUMN_COLOR = "#3b82f6"


class MinuteChart(QWidget):
    """One column per minute, oldest on the left; the tallest is labelled with its count."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("minuteChart")
        self.counts: list[int] = []
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setFixedHeight(72)

    def sizeHint(self) -> QSize:
        return QSize(480, 72)

    def set_counts(self, counts: list[int]) -> None:
        self.counts = list(counts)
        total = sum(counts)
        self.setToolTip(self.tr("%1 events in the last %2 minutes, per minute")
                        .replace("%1", str(total)).replace("%2", str(len(counts))))  # fmt: skip
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        text_height = self.fontMetrics().height()
        area = QRectF(2, text_height + 2, self.width() - 4, self.height() - text_height - 4)
        peak = max(self.counts, default=0)
        painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
        painter.drawText(2, text_height, self.tr("per minute, last hour · peak %1")
                         .replace("%1", str(peak)))  # fmt: skip
        if not self.counts or peak == 0:
            return
        width = area.width() / len(self.counts)
        painter.setPen(QColor(COLUMN_COLOR))
        painter.setBrush(QColor(COLUMN_COLOR))
        for i, count in enumerate(self.counts):
            height = area.height() * count / peak
            painter.drawRect(QRectF(area.left() + i * width, area.bottom() - height,
                                    max(1.0, width - 1), height))  # fmt: skip
