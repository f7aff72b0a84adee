"""LiveToggle: ● Live / ‖ Pause (+N) — a button that shows the pause state and asks to flip it."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QToolButton, QWidget

LIVE_STYLE = "QToolButton { color: #1e9640; font-weight: bold; }"
PAUSED_STYLE = "QToolButton { color: #c07000; font-weight: bold; }"


class LiveToggle(QToolButton):
    """Click (or Space in the table) emits `toggle_requested`; `show_state` draws what is true."""

    toggle_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("liveToggle")
        self.setAutoRaise(True)
        self.clicked.connect(self.toggle_requested)
        self._shown: tuple[bool, int] | None = None
        self.show_state(paused=False, pending=0)

    def show_state(self, *, paused: bool, pending: int) -> None:
        if (paused, pending) == self._shown:
            return  # restyling re-polishes the widget: only when something changed
        flipped = self._shown is None or self._shown[0] != paused
        self._shown = (paused, pending)
        if flipped:
            self.setStyleSheet(PAUSED_STYLE if paused else LIVE_STYLE)
        if paused:
            text = self.tr("‖ Paused")
            if pending:
                text += f" (+{pending:,})"
            self.setText(text)
            self.setToolTip(
                self.tr("%1 new events wait; press Space or click to show them")
                .replace("%1", f"{pending:,}")
            )  # fmt: skip
        else:
            self.setText(self.tr("● Live"))
            self.setToolTip(self.tr("New events appear as they arrive; Space pauses the list"))
