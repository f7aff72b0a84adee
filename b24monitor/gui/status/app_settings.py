"""AppSettingsItem: the one persistent GUI warning that the app's saved portal URLs are stale.

Bindings follow a new public URL by themselves, but the application's "handler path" and
"initial installation path" in the portal keep the URL they were saved with (spec §1.1): the
next install, update or OAuth redirect goes to the old address, and a portal that checks handler
hosts refuses new bindings (ERROR_HANDLER_URL_MATCH). The item stays until the URLs agree again,
and its Copy button puts the new URL on the clipboard to paste into the app's settings. Its
sentence is core/app_settings.py's, the same the CLI prints; the subscriptions dock only points
here.
"""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QWidget

WARN_STYLE = "color: #d03030;"


class AppSettingsItem(QWidget):
    """`app settings stale ⚠ [copy]`; hidden while the app's saved URL is the current one."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("appSettingsStatus")
        self.label = QLabel(self.tr("app settings stale ⚠"), self)
        self.label.setStyleSheet(WARN_STYLE)
        self.copy = QToolButton(self)
        self.copy.setObjectName("copyNewHandlerUrl")
        self.copy.setText(self.tr("copy"))
        self.copy.setToolTip(self.tr("Copy the new handler URL for the app's settings"))
        self.copy.setAutoRaise(True)
        self.copy.clicked.connect(self._on_copy_clicked)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.label)
        layout.addWidget(self.copy)
        self.url = ""
        self.setVisible(False)

    def show_warning(self, warning: str | None, handler_url: str) -> None:
        """Show `warning` (core/app_settings.py's sentence) in the tooltip; None hides the item."""
        self.url = handler_url if warning else ""
        self.setVisible(bool(warning))
        if warning:
            hint = self.tr("Copy puts the new handler URL on the clipboard.")
            self.label.setToolTip(warning[:1].upper() + warning[1:] + "\n" + hint)

    def _on_copy_clicked(self) -> None:
        QGuiApplication.clipboard().setText(self.url)
