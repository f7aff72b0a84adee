"""UndoBar: "3 events deleted · Undo" while a deletion waits for its undo window to pass."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget


class UndoBar(QFrame):
    """Shown while `show_pending(n)` has n > 0; the button emits `undo_requested`."""

    undo_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("undoBar")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.label = QLabel(self)
        self.button = QPushButton(self.tr("Undo"), self)
        self.button.setObjectName("undoButton")
        self.button.clicked.connect(self.undo_requested)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 2, 8, 2)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.button)
        self.hide()

    def show_pending(self, count: int) -> None:
        if count:
            self.label.setText(
                self.tr("Deleted: %1 — they leave the store in a few seconds")
                .replace("%1", f"{count:,}")
            )  # fmt: skip
            self.show()
        else:
            self.hide()
