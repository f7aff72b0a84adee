"""The detail pane's action bar ([Copy as curl] [Replay ▾]) and the "edit first" replay dialog."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from b24monitor.core.errors import UsageError
from b24monitor.core.model import CapturedEvent
from b24monitor.core.replay import OutgoingRequest, replay_request

AS_RECORDED = "as-recorded"
TOKEN_STRIPPED = "token-stripped"
EDITED = "edited"


class EventActionsBar(QWidget):
    """Intents only: `curl_requested()` and `replay_requested(variant)`; the window acts."""

    curl_requested = Signal()
    replay_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("eventActionsBar")
        self.curl = QPushButton(self.tr("Copy as curl"), self)
        self.curl.setToolTip(self.tr("Copy the event as a curl command (Ctrl+Shift+C)"))
        self.replay = QToolButton(self)
        self.replay.setObjectName("replayButton")
        self.replay.setText(self.tr("Replay ▾"))
        self.replay.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.replay)
        for variant, text in (
            (AS_RECORDED, self.tr("As recorded (Ctrl+R)")),
            (TOKEN_STRIPPED, self.tr("Without application_token")),
            (EDITED, self.tr("Edit first…")),
        ):
            action = menu.addAction(text)
            action.setData(variant)
        menu.triggered.connect(lambda action: self.replay_requested.emit(str(action.data())))
        self.replay.setMenu(menu)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.curl)
        layout.addWidget(self.replay)
        layout.addStretch(1)
        self.curl.clicked.connect(self.curl_requested)
        self.set_event_shown(False)

    def set_event_shown(self, shown: bool) -> None:
        self.curl.setEnabled(shown)
        self.replay.setEnabled(shown)


class ReplayEditDialog(QDialog):
    """Edit the body before a replay: `PATH=VALUE` lines on the decoded payload, or the raw text.

    Field edits win when both are given: they are re-encoded the PHP way (core.replay), so the
    handler gets a body Bitrix24 could have sent.
    """

    def __init__(self, ev: CapturedEvent, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("replayEditDialog")
        self.setWindowTitle(self.tr("Replay event #%1 with edits").replace("%1", str(ev.id)))
        self.source = ev
        self.edits = QPlainTextEdit(self)
        self.edits.setPlaceholderText("data.FIELDS.ID=5\ndata.FIELDS.TITLE=Test")
        self.edits.setMaximumHeight(90)
        self.body = QPlainTextEdit(self)
        self.body.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.body.setPlainText(ev.body.decode("utf-8", errors="replace"))
        self.error = QLabel(self)
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #d03030;")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("Replay"))
        self.buttons.accepted.connect(self._on_buttons_accepted)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(self.tr("Field edits, one PATH=VALUE per line:"), self))
        layout.addWidget(self.edits)
        layout.addWidget(QLabel(self.tr("Or the body to send as it is:"), self))
        layout.addWidget(self.body, 1)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.resize(640, 480)
        self._request: OutgoingRequest | None = None

    def request(self) -> OutgoingRequest:
        """The request to send; raises UsageError with the sentence to show."""
        edits = [line.strip() for line in self.edits.toPlainText().splitlines() if line.strip()]
        if edits:
            return replay_request(self.source, edits=edits)
        return replay_request(self.source, body=self.body.toPlainText().encode("utf-8"))

    @property
    def accepted_request(self) -> OutgoingRequest | None:
        return self._request

    def _on_buttons_accepted(self) -> None:
        try:
            self._request = self.request()
        except UsageError as exc:
            self.error.setText(str(exc))
            return
        self.accept()
