"""ConsumeBar: the decision in the middle of a safe consume (spec §3.2) — clear, flag or put back.

`consume_safely` reserves rows and hands them to a handler; this bar is that handler's other
half. While it is shown the reserved rows are in the table; the user clears them all, flags the
selected ones as failed (event.offline.error), or puts them all back as errored rows, so no row
is ever left hidden in a reservation.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QMessageBox, QPushButton, QWidget

from b24monitor.core.errors import B24MonitorError, DestructiveReadRefused
from b24monitor.gui.offline.model import OfflineRows
from b24monitor.services.offline_queue import OfflineRecord
from b24monitor.services.portal_link import PortalLink


class PutBack(Exception):
    """The user put the reserved rows back: consume_safely flags them all as errored."""


class ConsumeBar(QFrame):
    """`await bar.decide(records, selected)` → the MESSAGE_IDs that failed (may raise PutBack)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("consumeBar")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.clear = QPushButton(self.tr("Clear them"), self)
        self.clear.setObjectName("consumeClear")
        self.clear.setToolTip(self.tr("Delete the reserved rows from the queue (processed)"))
        self.flag = QPushButton(self.tr("Mark selected as error, clear the rest"), self)
        self.flag.setObjectName("consumeFlag")
        self.flag.setToolTip(
            self.tr("Selected rows get ERROR=1 and stay in the queue; the rest are cleared")
        )
        self.put_back = QPushButton(self.tr("Put all back"), self)
        self.put_back.setObjectName("consumePutBack")
        self.put_back.setToolTip(
            self.tr("Nothing is deleted: every reserved row is marked as error (see Errored)")
        )
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self.label, 1)
        for button in (self.clear, self.flag, self.put_back):
            layout.addWidget(button)
        self._decision: asyncio.Future[list[str]] | None = None
        self._selected: Callable[[], Sequence[str]] = list
        self.clear.clicked.connect(self._on_clear_clicked)
        self.flag.clicked.connect(self._on_flag_clicked)
        self.put_back.clicked.connect(self._on_put_back_clicked)
        self.hide()

    async def consume(
        self,
        link: PortalLink,
        rows: OfflineRows,
        *,
        destructive: bool,
        errors: bool,
        selected: Callable[[], Sequence[str]],
    ) -> tuple[str, bool]:
        """One round of consume_safely with this bar as its handler; (sentence, is_warning)."""

        async def handle(records: Sequence[OfflineRecord]) -> list[str]:
            rows.set(records, "fetched" if destructive else "reserved")
            if destructive:
                return []  # nothing to decide: clearing is what the user confirmed
            return await self.decide(records, selected)

        try:
            result = await link.offline.consume_safely(
                handle, confirm_destructive=destructive, errors=errors
            )
        except DestructiveReadRefused:
            refused = self.tr("This plan cannot reserve rows (no rest_offline_extended): "
                              "use Fetch and clear, which deletes rows as it reads.")  # fmt: skip
            return refused, True
        except PutBack:
            return self.tr("Put back: the rows are marked as errors; see Errored only."), False
        except B24MonitorError as exc:
            return str(exc), True
        if not result.records:
            return self.tr("Nothing to consume: the queue is empty."), False
        text = self.tr("Cleared: %1, marked as error: %2.")
        text = text.replace("%1", str(len(result.cleared))).replace("%2", str(len(result.failed)))
        return text, False

    async def decide(
        self, records: Sequence[OfflineRecord], selected: Callable[[], Sequence[str]]
    ) -> list[str]:
        """Show the choice for these reserved rows and wait for it."""
        self._selected = selected
        self._decision = asyncio.get_running_loop().create_future()
        self.label.setText(
            self.tr("%1 rows reserved for you (hidden from other consumers). Look at them, then:")
            .replace("%1", str(len(records)))
        )  # fmt: skip
        self.show()
        try:
            return await self._decision
        finally:
            self._decision = None
            self.hide()

    @property
    def deciding(self) -> bool:
        return self._decision is not None

    def cancel(self) -> None:
        """Closing down mid-decision: put the rows back rather than leave them reserved."""
        self._resolve(None)

    def _resolve(self, failed: list[str] | None) -> None:
        if self._decision is None or self._decision.done():
            return
        if failed is None:
            self._decision.set_exception(PutBack())
        else:
            self._decision.set_result(failed)

    def _on_clear_clicked(self) -> None:
        self._resolve([])

    def _on_flag_clicked(self) -> None:
        self._resolve(list(self._selected()))

    def _on_put_back_clicked(self) -> None:
        self._resolve(None)


def confirm_fetch(parent: QWidget) -> QMessageBox:
    """The question before a destructive read (spec §2.6); shown with open(), not exec()."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle(QCoreApplication.translate("OfflinePane", "Fetch and clear"))
    box.setText(
        QCoreApplication.translate(
            "OfflinePane", "Fetch up to 50 rows and delete them from the portal's queue?"
        )
    )
    box.setInformativeText(QCoreApplication.translate(
        "OfflinePane", "Other consumers of this queue will never see these rows. They are "
        "shown here once; nothing keeps them after you refresh."))  # fmt: skip
    box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.open()
    return box
