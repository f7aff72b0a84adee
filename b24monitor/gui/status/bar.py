"""StatusBar: what a user needs to trust the tool — receiver, handler URL, rate, stored, stray hits.

Every warning says what to do. Later items (tunnel, portal, token age) are added with `add_item`.
"""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QLabel, QStatusBar, QToolButton, QWidget

from b24monitor.core.receiver_stats import ReceiverStats
from b24monitor.gui.status.parts import warn_style


class StatusBar(QStatusBar):
    """Permanent items on the right, transient messages (errors, undo hints) on the left."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statusBar")
        self.receiver = self._label("receiverStatus")
        self.handler = self._label("handlerUrl")
        self.copy = QToolButton(self)
        self.copy.setObjectName("copyHandlerUrl")
        self.copy.setText(self.tr("copy"))
        self.copy.setToolTip(self.tr("Copy the handler URL to paste into Bitrix24"))
        self.copy.setAutoRaise(True)
        self.copy.clicked.connect(self._on_copy_clicked)
        self.rate = self._label("eventRate")
        self.stored = self._label("storedCount")
        self.stray = self._label("strayHits")
        self.alert = self._label("trafficAlert")  # the latest loop or storm, until clicked
        self.alert.hide()
        for widget in (self.alert, self.receiver, self.handler, self.copy, self.rate,
                       self.stored, self.stray):  # fmt: skip
            self.addPermanentWidget(widget)
        self._handler_url = ""
        self._public = False
        self._local_portal = False  # the followed portal runs on this machine (the sandbox)
        self.set_stray(0)

    def _label(self, name: str) -> QLabel:
        label = QLabel(self)
        label.setObjectName(name)
        return label

    def add_item(self, widget: QWidget) -> None:
        """A place for later status items (tunnel, portal, token age), left of the counters."""
        self.insertPermanentWidget(3, widget)  # after the handler URL's copy button

    # -- setters --------------------------------------------------------------------------------

    def set_receiver(
        self, address: str, listening: bool, stats: ReceiverStats | None = None
    ) -> None:
        """The receiver item; `stats` (issue 15) adds what it turned away to the tooltip and
        turns the item red while the disk is low."""
        if listening:
            low_disk = stats is not None and stats.disk != "ok"
            text = self.tr("receiver %1 ⚠ disk low") if low_disk else self.tr("receiver %1 ✔")
            self.receiver.setText(text.replace("%1", address))
            tip = self.tr("Receiving deliveries on this local address")
            if stats is not None and (
                stats.connection_trouble() or stats.bodies_not_kept or low_disk
            ):
                tip += "\n" + stats.tooltip()
            self.receiver.setToolTip(tip)
            warn_style(self.receiver, low_disk)
        else:
            self.receiver.setText(self.tr("receiver stopped ✖"))
            self.receiver.setToolTip(self.tr("Nothing is received: restart b24monitor"))
            warn_style(self.receiver, True)

    def set_handler_url(self, url: str, public: bool) -> None:
        self._handler_url, self._public = url, public
        shown = url if len(url) <= 56 else url[:30] + "…" + url[-22:]
        self.handler.setText(self.tr("handler %1").replace("%1", shown))
        if public:
            self.handler.setToolTip(url)
            warn_style(self.handler, False)
        elif self._local_portal:
            self.handler.setText(self.handler.text() + " · " + self.tr("local portal"))
            self.handler.setToolTip(
                url
                + "\n"
                + self.tr(
                    "The portal runs on this computer, so it reaches this local address "
                    "directly; a real portal needs a tunnel or --public-url."
                )
            )
            warn_style(self.handler, False)
        else:
            self.handler.setText(self.handler.text() + self.tr(" ⚠ local only: use a tunnel"))
            self.handler.setToolTip(
                url
                + "\n"
                + self.tr(
                    "This is a local address: Bitrix24 cannot reach it. Start a tunnel or "
                    "run with --public-url to get an address the portal can call."
                )
            )
            warn_style(self.handler, True)

    def set_local_portal(self, local: bool) -> None:
        """The followed portal is on this machine: a local handler URL is fine, no warning."""
        if local != self._local_portal:
            self._local_portal = local
            self.set_handler_url(self._handler_url, self._public)

    def set_rate(self, per_second: float) -> None:
        self.rate.setText(self.tr("%1 ev/s").replace("%1", f"{per_second:.3g}"))

    def set_stored(self, count: int) -> None:
        self.stored.setText(self.tr("%1 stored").replace("%1", f"{count:,}"))

    def set_stray(self, hits: int) -> None:
        self.stray.setText(self.tr("%1 stray").replace("%1", f"{hits:,}"))
        if hits:
            self.stray.setToolTip(
                self.tr(
                    "%1 requests hit the receiver outside the handler path: scanners found "
                    "the public address, or a portal still uses an old handler URL — compare "
                    "the portal's handler with the URL shown here."
                ).replace("%1", str(hits))
            )
            warn_style(self.stray, True)
        else:
            self.stray.setToolTip(self.tr("No requests outside the handler path"))
            warn_style(self.stray, False)

    def show_alert(self, text: str, advice: str) -> None:
        """A loop or storm: stays in red until the next one replaces it."""
        self.alert.setText("⚠ " + text)
        self.alert.setToolTip(advice)
        warn_style(self.alert, True)
        self.alert.show()

    def show_error(self, text: str) -> None:
        self.showMessage("✖ " + text, 15_000)

    # -- slots ----------------------------------------------------------------------------------

    def _on_copy_clicked(self) -> None:
        QGuiApplication.clipboard().setText(self._handler_url)
        self.copy.setText(self.tr("copied ✔"))
        QTimer.singleShot(1500, self, self._on_copy_reset_timeout)

    def _on_copy_reset_timeout(self) -> None:
        self.copy.setText(self.tr("copy"))
