"""AboutDialog: app icon, version, data folder (selectable, "Open folder"), Qt and PySide."""

from __future__ import annotations

import html
from pathlib import Path

import PySide6
from PySide6.QtCore import Qt, QUrl, qVersion
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QPushButton,
    QWidget,
)

from b24monitor import __version__
from b24monitor.gui.icons import icon


class AboutDialog(QDialog):
    """Help → About b24monitor."""

    def __init__(self, data_dir: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("aboutDialog")
        self.setWindowTitle(self.tr("About b24monitor"))
        self.setWindowIcon(icon("b24monitor"))
        self.data_dir = data_dir
        logo = QLabel(self)
        logo.setPixmap(icon("b24monitor").pixmap(64, 64))
        logo.setAlignment(Qt.AlignmentFlag.AlignTop)
        title = QLabel(
            f"<h2>b24monitor {html.escape(__version__)}</h2>"
            + html.escape(self.tr("Watches, verifies and stores Bitrix24 event deliveries.")),
            self,
        )
        title.setObjectName("aboutTitle")
        title.setWordWrap(True)
        self.folder = QLabel(str(data_dir), self)
        self.folder.setObjectName("aboutDataDir")
        self.folder.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.open_folder = QPushButton(self.tr("Open folder"), self)
        self.open_folder.setObjectName("aboutOpenFolder")
        self.open_folder.clicked.connect(self._on_open_folder_clicked)
        self.versions = QLabel(
            self.tr("Qt %1 · PySide6 %2")
            .replace("%1", qVersion())
            .replace("%2", PySide6.__version__),
            self,
        )
        self.versions.setObjectName("aboutVersions")
        self.versions.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        grid = QGridLayout(self)
        grid.addWidget(logo, 0, 0, 3, 1)
        grid.addWidget(title, 0, 1, 1, 2)
        grid.addWidget(QLabel(self.tr("Data folder:"), self), 1, 1)
        grid.addWidget(self.folder, 1, 2)
        grid.addWidget(self.open_folder, 2, 2, Qt.AlignmentFlag.AlignLeft)
        grid.addWidget(self.versions, 3, 1, 1, 2)
        grid.addWidget(buttons, 4, 0, 1, 3)
        grid.setColumnStretch(2, 1)

    def _on_open_folder_clicked(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.data_dir)))
