"""AppSettingsItem: the one persistent GUI warning that the app's saved portal URLs are stale.

Bindings follow a new public URL by themselves, but the application's "handler path" and
"initial installation path" in the portal keep the URL they were saved with (spec §1.1): the
next install, update or OAuth redirect goes to the old address, and a portal that checks handler
hosts refuses new bindings (ERROR_HANDLER_URL_MATCH). The item stays until the URLs agree again,
and its Copy button puts the new URL on the clipboard to paste into the app's settings. Whether
to warn is core/app_settings.py's decision, the same the CLI makes; the sentence is the window's
own, translated; the subscriptions dock only points here.
"""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QWidget

from b24monitor.core.app_settings import is_stale

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

    def show_urls(self, saved_url: str | None, handler_url: str | None) -> None:
        """Warn while the app's saved URL (`saved_url`) is not the current handler URL; hidden
        otherwise, or when None is passed for either (nothing known, or nothing can reach us)."""
        stale = is_stale(saved_url, handler_url)
        self.url = handler_url or "" if stale else ""
        self.setVisible(stale)
        if stale:
            warning = self.tr(
                "The app's settings in the portal still send installs and reinstalls to %1: set "
                "its “Handler path” and “Initial installation path” to %2 and save (a reserved "
                "ngrok domain keeps the URL from changing)."
            )
            hint = self.tr("Copy puts the new handler URL on the clipboard.")
            text = warning.replace("%1", saved_url or "").replace("%2", handler_url or "")
            self.label.setToolTip(text + "\n" + hint)

    def _on_copy_clicked(self) -> None:
        QGuiApplication.clipboard().setText(self.url)
