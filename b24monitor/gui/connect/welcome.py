"""WelcomePanel: the first run's three ways in, above the event list while no profile exists."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from b24monitor.gui.session_signals import SessionSignals


class WelcomePanel(QFrame):
    """`choice_made("app" | "webhook" | "demo")`; hides itself once a portal is followed."""

    choice_made = Signal(str)

    def __init__(self, signals: SessionSignals, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("welcomePanel")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.session = signals.session
        title = QLabel(self.tr("<b>No portal yet.</b> Choose how events reach b24monitor:"), self)
        title.setWordWrap(True)
        self.buttons = {
            "app": QPushButton(self.tr("Connect a portal…"), self),
            "webhook": QPushButton(self.tr("Receive from an outgoing webhook…"), self),
            "demo": QPushButton(self.tr("Try without a portal"), self),
        }
        self.buttons["app"].setToolTip(
            self.tr("A local application: bind events, read the offline queue, verify tokens")
        )
        self.buttons["demo"].setToolTip(
            self.tr("A simulated portal on this computer sends realistic events")
        )
        row = QHBoxLayout()
        for choice, button in self.buttons.items():
            button.setObjectName(f"welcome_{choice}")
            button.clicked.connect(lambda _=False, c=choice: self.choice_made.emit(c))
            row.addWidget(button)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.addWidget(title)
        layout.addLayout(row)
        signals.portal_switched.connect(self._on_signals_portal_switched)
        self.refresh()

    def refresh(self) -> None:
        """Shown only while there is no profile at all and no portal is followed."""
        if self.session.portal is not None:
            self.hide()
            return
        profiles = self.session.profiles.list()
        self.setVisible(not profiles)

    def _on_signals_portal_switched(self, name: str) -> None:
        self.refresh()
