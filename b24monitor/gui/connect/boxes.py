"""Widgets the wizard's pages share: the handler URL with Copy, and the browser fallback."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

WARN_STYLE = "color: #d03030;"


def wrapped(text: str, parent: QWidget) -> QLabel:
    label = QLabel(text, parent)
    label.setWordWrap(True)
    return label


class HandlerUrlBox(QWidget):
    """The handler URL with Copy, and what to do while it is only a local address."""

    settings_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.url = QLineEdit(self)
        self.url.setObjectName("wizardHandlerUrl")
        self.url.setReadOnly(True)
        self.copy = QPushButton(self.tr("Copy"), self)
        self.copy.clicked.connect(self._on_copy_clicked)
        self.warning = wrapped("", self)
        self.warning.setStyleSheet(WARN_STYLE)
        self.settings = QPushButton(self.tr("Open Settings…"), self)
        self.settings.clicked.connect(self.settings_requested)
        row = QHBoxLayout()
        row.addWidget(self.url, 1)
        row.addWidget(self.copy)
        warn_row = QHBoxLayout()
        warn_row.addWidget(self.warning, 1)
        warn_row.addWidget(self.settings)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addLayout(warn_row)

    def show_url(self, url: str, public: bool) -> None:
        self.url.setText(url)
        self.url.setCursorPosition(0)
        self.warning.setText(
            ""
            if public
            else self.tr(
                "This is a local address: a portal on the internet cannot reach it. Start a "
                "tunnel first (an ngrok authtoken) or set your own public URL in Settings; "
                "this URL updates when the public one is ready."
            )
        )
        self.warning.setVisible(not public)
        self.settings.setVisible(not public)

    def _on_copy_clicked(self) -> None:
        QGuiApplication.clipboard().setText(self.url.text())
        self.copy.setText(self.tr("Copied ✔"))


class ApproveBox(QWidget):
    """The fallback when ONAPPINSTALL does not come: approve the app in the browser (§5.2)."""

    approve_requested = Signal(str)  # the portal's address

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.portal = QLineEdit(self)
        self.portal.setObjectName("wizardPortalAddress")
        self.portal.setPlaceholderText("https://acme.bitrix24.ru")
        self.open = QPushButton(self.tr("Approve in the browser"), self)
        self.open.clicked.connect(self._on_open_clicked)
        row = QHBoxLayout()
        row.addWidget(self.portal, 1)
        row.addWidget(self.open)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 12, 0, 0)
        layout.addWidget(wrapped(self.tr(
            "Nothing after a minute? Open the application once in the portal, or enter the "
            "portal's address and approve it in the browser:"), self))  # fmt: skip
        layout.addLayout(row)

    def _on_open_clicked(self) -> None:
        if self.portal.text().strip():
            self.approve_requested.emit(self.portal.text().strip())
