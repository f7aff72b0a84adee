"""CheckSetupDialog: the doctor's ok / warn / fail rows, each with what to do, and Run again."""

from __future__ import annotations

import asyncio

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from b24monitor.core.setup_checks import Verdict
from b24monitor.core.tasks import spawn
from b24monitor.gui.setup_check.runner import check_setup
from b24monitor.services.session_view import SessionView

MARKS = {"ok": "✔ ok", "warn": "! warn", "fail": "✖ fail"}
COLORS = {"ok": "#2e7d32", "warn": "#b26a00", "fail": "#d03030"}


class CheckSetupDialog(QDialog):
    """Help → Check setup: runs the doctor on open (off the GUI thread) and on Run again."""

    def __init__(self, session: SessionView, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("checkSetupDialog")
        self.setWindowTitle(self.tr("Check setup"))
        self._session = session
        self._task: asyncio.Task[None] | None = None
        self.summary = QLabel(self)
        self.summary.setObjectName("checkSetupSummary")
        self.summary.setWordWrap(True)
        self.table = QTableWidget(0, 3, self)
        self.table.setObjectName("checkSetupTable")
        self.table.setHorizontalHeaderLabels([self.tr("Result"), self.tr("Check"),
                                              self.tr("What it means")])  # fmt: skip
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(True)
        header = self.table.horizontalHeader()
        for column in (0, 1):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.again = QPushButton(self.tr("Run again"), self)
        self.again.setObjectName("checkSetupAgain")
        self.buttons.addButton(self.again, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.rejected.connect(self.reject)
        self.again.clicked.connect(self.run)
        self.finished.connect(self._on_finished)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.buttons)
        self.resize(820, 420)

    def run(self) -> None:
        """Start the checks (again); the rows are replaced when they are done."""
        if self._task is not None and not self._task.done():
            return
        self.again.setEnabled(False)
        self.summary.setText(self.tr("Checking the setup with the portal…"))
        self._task = spawn(self._run(), name="check-setup")

    def rows(self) -> list[tuple[str, str, str]]:
        """(level, check, text) of each shown row: what the user reads."""
        return [(str(self._cell(r, 0).data(Qt.ItemDataRole.UserRole)), self._cell(r, 1).text(),
                 self._cell(r, 2).text()) for r in range(self.table.rowCount())]  # fmt: skip

    def _cell(self, row: int, column: int) -> QTableWidgetItem:
        item = self.table.item(row, column)
        assert item is not None
        return item

    async def _run(self) -> None:
        try:
            verdicts = await check_setup(self._session)
        except Exception as exc:  # the doctor itself failed (disk, keyring): say so, keep going
            verdicts = [Verdict("doctor", "fail", f"the checks could not run: {exc}")]
        self._show(verdicts)

    def _show(self, verdicts: list[Verdict]) -> None:
        self.table.setRowCount(len(verdicts))
        for row, v in enumerate(verdicts):
            mark = QTableWidgetItem(MARKS[v.level])
            mark.setData(Qt.ItemDataRole.UserRole, v.level)
            mark.setForeground(QColor(COLORS[v.level]))
            for column, item in enumerate((mark, QTableWidgetItem(v.check),
                                           QTableWidgetItem(v.text))):  # fmt: skip
                item.setToolTip(v.text)
                self.table.setItem(row, column, item)
        self.table.resizeRowsToContents()
        fails = sum(v.level == "fail" for v in verdicts)
        warns = sum(v.level == "warn" for v in verdicts)
        if fails:
            text = self.tr("%n check(s) failed: fix those first.", "", fails)
        elif warns:
            text = self.tr("Nothing failed; %n warning(s) to look at.", "", warns)
        else:
            text = self.tr("Everything checked out.")
        self.summary.setText(text)
        self.again.setEnabled(True)

    def _on_finished(self, _result: int) -> None:
        if self._task is not None:
            self._task.cancel()  # the worker thread ends on its own; its answer is dropped
