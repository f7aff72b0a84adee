"""HelpOverlay: the keys, drawn over the window on `?`; any key or click closes it."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QRectF, Qt
from PySide6.QtGui import QColor, QKeyEvent, QMouseEvent, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QWidget

from b24monitor.gui.i18n import QT_TRANSLATE_NOOP, translate

CONTEXT = "HelpOverlay"

# One row per key; the overlay is generated from this table (and only from it).
KEYS: tuple[tuple[str, str], ...] = (
    ("↑ ↓ / j k", QT_TRANSLATE_NOOP("HelpOverlay", "move in the list")),
    ("Enter", QT_TRANSLATE_NOOP("HelpOverlay", "focus the detail pane")),
    ("Esc", QT_TRANSLATE_NOOP("HelpOverlay", "back to the list")),
    ("Space", QT_TRANSLATE_NOOP("HelpOverlay", "Live ↔ Pause")),
    ("Ctrl+F", QT_TRANSLATE_NOOP("HelpOverlay", "focus the filter")),
    ("Ctrl+E", QT_TRANSLATE_NOOP("HelpOverlay", "export…")),
    ("Ctrl+C", QT_TRANSLATE_NOOP("HelpOverlay", "copy the payload as JSON")),
    ("Ctrl+Shift+C", QT_TRANSLATE_NOOP("HelpOverlay", "copy as curl")),
    ("Ctrl+R", QT_TRANSLATE_NOOP("HelpOverlay", "replay to the forward target")),
    ("Ctrl+D", QT_TRANSLATE_NOOP("HelpOverlay", "compare two events, or one with its previous")),
    ("P", QT_TRANSLATE_NOOP("HelpOverlay", "pin / unpin")),
    ("Ctrl+O", QT_TRANSLATE_NOOP("HelpOverlay", "open the record in the portal")),
    ("Delete", QT_TRANSLATE_NOOP("HelpOverlay", "delete (undo for a few seconds)")),
    ("Ctrl+L", QT_TRANSLATE_NOOP("HelpOverlay", "clear the view (the store keeps everything)")),
    ("Ctrl+G", QT_TRANSLATE_NOOP("HelpOverlay", "group by object ↔ the plain list")),
    ("?", QT_TRANSLATE_NOOP("HelpOverlay", "this help")),
)


class HelpOverlay(QWidget):
    """Covers its parent; follows the parent's size while shown."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self._host = parent
        self.setObjectName("helpOverlay")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        parent.installEventFilter(self)
        self.hide()

    def open(self) -> None:
        self.setGeometry(self._host.rect())
        self.raise_()
        self.show()
        self.setFocus(Qt.FocusReason.OtherFocusReason)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize and self.isVisible():
            self.setGeometry(self._host.rect())
        return False

    def keyPressEvent(self, event: QKeyEvent) -> None:
        self.hide()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.hide()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor(0, 0, 0, 110))
        palette = self.palette()
        metrics = self.fontMetrics()
        line = metrics.height() + 6
        key_width = max(metrics.horizontalAdvance(k) for k, _ in KEYS) + 24
        texts = [translate(CONTEXT, text) for _, text in KEYS]
        width = key_width + max(metrics.horizontalAdvance(t) for t in texts) + 48
        height = line * (len(KEYS) + 2) + 24
        card = QRectF((self.width() - width) / 2, (self.height() - height) / 2, width, height)
        painter.setBrush(palette.color(QPalette.ColorRole.Window))
        painter.setPen(palette.color(QPalette.ColorRole.Mid))
        painter.drawRoundedRect(card, 8, 8)
        painter.setPen(palette.color(QPalette.ColorRole.WindowText))
        x, y = card.left() + 24, card.top() + 16 + metrics.ascent()
        bold = painter.font()
        bold.setBold(True)
        painter.setFont(bold)
        painter.drawText(int(x), int(y), self.tr("Keys"))
        for (key, _), text in zip(KEYS, texts, strict=True):
            y += line
            painter.setFont(bold)
            painter.drawText(int(x), int(y), key)
            painter.setFont(self.font())
            painter.drawText(int(x + key_width), int(y), text)
        y += line
        painter.drawText(int(x), int(y), self.tr("Press any key to close."))
        painter.end()
