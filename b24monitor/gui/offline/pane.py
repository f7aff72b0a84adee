"""OfflinePane: the portal's offline queue — read-only list, safe consume, fetch-and-clear, flags.

The list is event.offline.list, which never changes the queue (spec §2.7, §3.2). It refreshes
on the ONOFFLINEEVENT notice and, because the portal drops notices inside minTimeout (§3.4),
every POLL_MS as well. "Consume safely" reserves rows and lets the user decide (ConsumeBar);
"Fetch and clear" deletes as it reads and asks first; "Send to handler" POSTs rows to the
developer's handler and clears or flags each by its answer (send.py). The tab title carries the
row count.
"""

from __future__ import annotations

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from b24monitor.core.errors import B24MonitorError
from b24monitor.core.tasks import spawn
from b24monitor.gui.offline.consume import ConsumeBar, confirm_fetch
from b24monitor.gui.offline.model import OfflineModel, OfflineRows
from b24monitor.gui.offline.send import send_to_handler, valid_handler_url
from b24monitor.gui.session_signals import SessionSignals
from b24monitor.services.portal_link import Notice, PortalLink

POLL_MS = 60_000
# The portal drops (does not postpone) ONOFFLINEEVENT notices for minTimeout seconds after one
# went out (spec §3.4; we bind it with minTimeout 10): rows written in that window announce
# nothing, so every notice is followed by one more read once the window has passed.
TRAILING_MS = 11_000
WARN_STYLE = "color: #d03030;"


class OfflinePane(QWidget):
    """A tab beside the event list; `title_changed(text)` gives the tab its title with the count."""

    title_changed = Signal(str)

    def __init__(self, signals: SessionSignals, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("offlinePane")
        self.session = signals.session
        self.link: PortalLink | None = None
        self.rows = OfflineRows()
        self.model = OfflineModel(self.rows, self)
        self.table = QTableView(self)
        self.table.setObjectName("offlineTable")
        buttons = [self._button(text, name, tip) for text, name, tip in (
            (self.tr("Refresh"), "offlineRefresh",
             self.tr("Read the queue again (never changes it)")),
            (self.tr("Consume safely"), "offlineConsume",
             self.tr("Reserve up to 50 rows, show them, then clear or flag them")),
            (self.tr("Fetch and clear…"), "offlineFetch",
             self.tr("Read up to 50 rows and delete them from the portal at once")),
            (self.tr("Mark as error"), "offlineMark",
             self.tr("Flag the selected reserved rows (with a PROCESS_ID) as failed")),
            (self.tr("Send to handler"), "offlineSend",
             self.tr("POST each row to your handler: 2xx clears it, anything else flags it "
                     "(with Errored only: reprocess flagged rows)")),
        )]  # fmt: skip
        (self.refresh_button, self.consume_button, self.fetch_button, self.mark_button,
         self.send_button) = buttons  # fmt: skip
        self.handler_url = QLineEdit(self)
        self.handler_url.setObjectName("offlineHandlerUrl")
        self.handler_url.setPlaceholderText(self.tr("your handler URL, https://…"))
        self.handler_url.setClearButtonEnabled(True)
        self.errored = QCheckBox(self.tr("Errored only"), self)
        self.errored.setObjectName("offlineErrored")
        self.summary = QLabel(self)
        self.summary.setObjectName("offlineSummary")
        self.status = QLabel(self)
        self.status.setObjectName("offlineStatus")
        self.status.setWordWrap(True)
        self.bar = ConsumeBar(self)
        self.confirm: QMessageBox | None = None
        self.timer = QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.trailing = QTimer(self)
        self.trailing.setSingleShot(True)
        self.trailing.setInterval(TRAILING_MS)
        self._busy = False
        self._again = False
        self._build()
        self._connect_signals(signals)
        self.follow_portal()

    def _button(self, text: str, name: str, tip: str) -> QPushButton:
        button = QPushButton(text, self)
        button.setObjectName(name)
        button.setToolTip(tip)
        return button

    def _build(self) -> None:
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        for column, width in enumerate((50, 80, 190, 110, 50, 100, 100)):
            self.table.setColumnWidth(column, width)
        buttons = QHBoxLayout()
        for widget in (self.refresh_button, self.consume_button, self.fetch_button,
                       self.mark_button, self.errored, self.handler_url,
                       self.send_button):  # fmt: skip
            buttons.addWidget(widget)
        buttons.addStretch(1)
        buttons.addWidget(self.summary)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        layout.addWidget(self.bar)
        layout.addWidget(self.table, 1)

    def _connect_signals(self, signals: SessionSignals) -> None:
        signals.notice.connect(self._on_signals_notice)
        signals.portal_switched.connect(self._on_signals_portal_switched)
        self.refresh_button.clicked.connect(self._on_refresh_button_clicked)
        self.consume_button.clicked.connect(self._on_consume_button_clicked)
        self.fetch_button.clicked.connect(self._on_fetch_button_clicked)
        self.mark_button.clicked.connect(self._on_mark_button_clicked)
        self.send_button.clicked.connect(self._on_send_button_clicked)
        self.errored.toggled.connect(self._on_errored_toggled)
        self.timer.timeout.connect(self._on_timer_timeout)
        self.trailing.timeout.connect(self._on_timer_timeout)
        self.table.selectionModel().selectionChanged.connect(self._on_selection_changed)

    def title(self) -> str:
        count = len(self.rows.records) if self.rows.kind == "queue" else 0
        text = self.tr("Offline queue")
        return f"{text} ({count:,})" if count else text

    # -- following the portal -------------------------------------------------------------------

    def follow_portal(self) -> None:
        link = self.link = self.session.portal
        self.bar.cancel()
        self.rows.set(())
        reason = None
        if link is None:
            reason = self.tr("No portal connected: the offline queue belongs to a portal.")
        elif link.subscriptions is None:
            reason = self.tr(
                "An outgoing webhook has no offline queue: only a local application can read it."
            )
        elif not link.profile.installed:
            reason = self.tr("Waiting for the application to be installed on the portal.")
        ready = reason is None
        for button in (self.refresh_button, self.consume_button, self.fetch_button,
                       self.send_button):  # fmt: skip
            button.setEnabled(ready)
        self.mark_button.setEnabled(False)
        self.summary.clear()
        self._say(reason or "", warn=True)
        if ready:
            self.timer.start()
            self.refresh()
        else:
            self.timer.stop()
            self.trailing.stop()
        self.title_changed.emit(self.title())

    def refresh(self) -> None:
        """Read the queue again (coalesced: one read at a time, one more if asked meanwhile)."""
        if self._busy:
            self._again = True
            return
        if self.link is not None and self.link.subscriptions is not None:
            spawn(self._refresh(self.link), name="offline-list", on_error=self._on_task_failed)

    async def _refresh(self, link: PortalLink) -> None:
        self._busy = True
        try:
            records = await link.offline.list_all()
        except B24MonitorError as exc:
            self._say(str(exc), warn=True)
            return
        finally:
            self._busy = False
        if link is self.link and not self.bar.deciding:
            self.rows.set(records)
            text = self.tr("Rows: %1 · errored: %2").replace("%1", str(len(records)))
            self.summary.setText(text.replace("%2", str(self.rows.errored_count)))
            self.title_changed.emit(self.title())
        if self._again:
            self._again = False
            self.refresh()

    # -- consuming ------------------------------------------------------------------------------

    async def consume(self, *, destructive: bool) -> None:
        """Reserve (or, if confirmed, fetch-and-clear) up to 50 rows and settle them."""
        link = self.link
        if link is None:
            return
        self._set_controls(False)
        try:
            text, warn = await self.bar.consume(
                link, self.rows, destructive=destructive, errors=self.errored.isChecked(),
                selected=self._selected_message_ids,
            )  # fmt: skip
        finally:
            self._set_controls(True)
        self._say(text, warn=warn)
        if self.rows.kind == "fetched":
            self.title_changed.emit(self.title())
        else:
            self.refresh()

    def _selected_message_ids(self) -> list[str]:
        rows = {index.row() for index in self.table.selectionModel().selectedRows()}
        return [self.model.record(row).message_id for row in sorted(rows)]

    async def send(self) -> None:
        """POST every row (or every flagged row) to the handler URL; refresh afterwards."""
        link, url = self.link, self.handler_url.text().strip()
        if link is None:
            return
        if not valid_handler_url(url):
            self._say(self.tr("Type your handler's http:// or https:// URL first."), warn=True)
            return
        self._set_controls(False)
        try:
            data_dir = self.session.config.data_dir
            text, warn = await send_to_handler(link, data_dir, url, errors=self.errored.isChecked())
        finally:
            self._set_controls(True)
        self._say(text, warn=warn)
        self.refresh()

    def _set_controls(self, enabled: bool) -> None:
        for button in (self.refresh_button, self.consume_button, self.fetch_button,
                       self.send_button):  # fmt: skip
            button.setEnabled(enabled)
        self.errored.setEnabled(enabled)

    def _say(self, text: str, *, warn: bool = False) -> None:
        self.status.setText(text)
        self.status.setVisible(bool(text))
        self.status.setStyleSheet(WARN_STYLE if warn else "")

    # -- slots ----------------------------------------------------------------------------------

    def _on_signals_notice(self, notice: Notice) -> None:
        kind = notice.get("type")
        if kind in ("installed", "uninstalled"):
            self.follow_portal()
        elif kind == "offline":
            self.refresh()
            if not self.trailing.isActive():
                self.trailing.start()

    def _on_signals_portal_switched(self, name: str) -> None:
        self.follow_portal()

    def _on_refresh_button_clicked(self) -> None:
        self.refresh()

    def _on_timer_timeout(self) -> None:
        if not self.bar.deciding:
            self.refresh()

    def _on_consume_button_clicked(self) -> None:
        spawn(self.consume(destructive=False), name="offline-consume",
              on_error=self._on_task_failed)  # fmt: skip

    def _on_fetch_button_clicked(self) -> None:
        box = self.confirm = confirm_fetch(self)
        box.finished.connect(self._on_confirm_finished)
        box.open()

    def _on_confirm_finished(self, result: int) -> None:
        self.confirm = None
        if result == QMessageBox.StandardButton.Yes.value:
            spawn(self.consume(destructive=True), name="offline-fetch",
                  on_error=self._on_task_failed)  # fmt: skip

    def _on_send_button_clicked(self) -> None:
        spawn(self.send(), name="offline-send", on_error=self._on_task_failed)

    def _on_mark_button_clicked(self) -> None:
        spawn(self._mark_selected(), name="offline-mark", on_error=self._on_task_failed)

    async def _mark_selected(self) -> None:
        link = self.link
        rows = {index.row() for index in self.table.selectionModel().selectedRows()}
        by_process: dict[str, list[str]] = {}
        for row in sorted(rows):
            record = self.model.record(row)
            if record.process_id and not record.error:
                by_process.setdefault(record.process_id, []).append(record.message_id)
        if link is None or not by_process:
            return
        try:
            for process_id, message_ids in by_process.items():
                await link.offline.mark_error(process_id, message_ids)
        except B24MonitorError as exc:
            self._say(str(exc), warn=True)
        self.refresh()

    def _on_selection_changed(self, *_: object) -> None:
        rows = {index.row() for index in self.table.selectionModel().selectedRows()}
        markable = any(
            self.model.record(r).process_id and not self.model.record(r).error for r in rows
        )
        self.mark_button.setEnabled(markable and self.rows.kind == "queue")

    def _on_errored_toggled(self, checked: bool) -> None:
        self.rows.set_errored_only(checked)

    def _on_task_failed(self, name: str, exc: BaseException) -> None:
        self._say("✖ " + (str(exc) or type(exc).__name__), warn=True)
