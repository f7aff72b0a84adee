"""Capturing with the window closed: the close-window question and the tray icon that shows it.

Closing the window asks once what the user wants — stop capturing, or keep capturing in the
background — and can remember the answer (Settings brings the question back). While capture
runs without a window, a tray icon says so, counts what arrived, and reopens the window or
stops capturing from its menu. Where the desktop has no tray, the window minimises instead of
hiding, so it can always be found again.
"""

from __future__ import annotations

from typing import Literal

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QCheckBox, QMenu, QMessageBox, QSystemTrayIcon, QWidget

CloseAction = Literal["keep", "stop"]


class CloseQuestion(QMessageBox):
    """ "Keep capturing in the background?": `answered(action, remember)`; cancel says nothing."""

    answered = Signal(str, bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("closeQuestion")
        self.setIcon(QMessageBox.Icon.Question)
        self.setWindowTitle(self.tr("Close b24monitor"))
        self.setText(self.tr("Keep receiving events after the window closes?"))
        self.setInformativeText(
            self.tr(
                "In the background b24monitor keeps answering Bitrix24 and storing events; "
                "open it again to see them. Stopping means deliveries meanwhile are refused."
            )
        )
        self.keep = self.addButton(
            self.tr("Keep capturing in the background"), QMessageBox.ButtonRole.AcceptRole
        )
        self.keep.setObjectName("keepCapturing")
        self.stop = self.addButton(
            self.tr("Stop capturing"), QMessageBox.ButtonRole.DestructiveRole
        )
        self.stop.setObjectName("stopCapturing")
        self.addButton(QMessageBox.StandardButton.Cancel)
        self.setDefaultButton(self.keep)
        self.remember = QCheckBox(self.tr("Remember my choice"), self)
        self.remember.setObjectName("rememberCloseChoice")
        self.setCheckBox(self.remember)
        self.buttonClicked.connect(self._on_button_clicked)

    def _on_button_clicked(self, button: object) -> None:
        if button is self.keep:
            self.answered.emit("keep", self.remember.isChecked())
        elif button is self.stop:
            self.answered.emit("stop", self.remember.isChecked())


class CaptureTray(QObject):
    """The tray icon while capturing without a window: `open_requested`, `stop_requested`."""

    open_requested = Signal()
    stop_requested = Signal()

    def __init__(self, icon: QIcon, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.icon = QSystemTrayIcon(icon, self)
        self.menu = QMenu()
        self.open_action = self.menu.addAction(self.tr("Open b24monitor"))
        self.open_action.setObjectName("trayOpen")
        self.stop_action = self.menu.addAction(self.tr("Stop capturing and quit"))
        self.stop_action.setObjectName("trayStop")
        self.icon.setContextMenu(self.menu)
        self.arrived = 0
        self.background = False
        self.open_action.triggered.connect(self.open_requested)
        self.stop_action.triggered.connect(self.stop_requested)
        self.icon.activated.connect(self._on_icon_activated)
        self._show_tip()

    @staticmethod
    def available() -> bool:
        return QSystemTrayIcon.isSystemTrayAvailable()

    def show_background(self) -> None:
        """The window went away while capture goes on: show the icon and count from zero."""
        self.background, self.arrived = True, 0
        self._show_tip()
        self.icon.show()

    def show_window(self) -> None:
        """The window is back: the icon goes unless a notification still needs it."""
        self.background = False
        self._show_tip()
        self.icon.hide()

    def note_committed(self, ids: list[int]) -> None:
        """Session batch listener: count what arrived while the window was away."""
        if self.background:
            self.arrived += len(ids)
            self._show_tip()

    def tooltip(self) -> str:
        if not self.background:
            return self.tr("b24monitor")
        return self.tr("b24monitor is capturing in the background; new events: %1").replace(
            "%1", f"{self.arrived:,}"
        )

    def _show_tip(self) -> None:
        self.icon.setToolTip(self.tooltip())

    def _on_icon_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (
            QSystemTrayIcon.ActivationReason.Trigger,
            QSystemTrayIcon.ActivationReason.DoubleClick,
        ):
            self.open_requested.emit()

    def close(self) -> None:
        self.icon.hide()
        self.menu.deleteLater()
