"""ChecksTab: the detail pane's "Checks" tab — the findings of the shown event, one row each."""

from __future__ import annotations

from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QTreeWidget, QTreeWidgetItem, QWidget

from b24monitor.core.findings import severity_of, text_of
from b24monitor.core.model import CapturedEvent

_SEVERITY_COLOURS = {"error": "#d03030", "warn": "#b36b00", "info": "#3c6ea0"}


class ChecksTab(QTreeWidget):
    """Severity, code, detail and the check's sentence; an event without findings says so."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("checksTab")
        self.setHeaderLabels([self.tr("severity"), self.tr("check"), self.tr("what it means")])
        self.setRootIsDecorated(False)
        self.setWordWrap(True)

    def show_event(self, ev: CapturedEvent | None) -> None:
        self.clear()
        if ev is None:
            return
        if not ev.findings:
            self.addTopLevelItem(QTreeWidgetItem(["", "", self.tr("✔ every check passed")]))
            return
        for finding in ev.findings:
            severity = severity_of(finding.code)
            text = text_of(finding.code)
            if finding.detail:
                text = f"{finding.detail}: {text}"
            item = QTreeWidgetItem([severity, finding.code, text])
            item.setForeground(0, QBrush(QColor(_SEVERITY_COLOURS.get(severity, "#000000"))))
            item.setToolTip(2, text)
            self.addTopLevelItem(item)
        self.resizeColumnToContents(0)
        self.resizeColumnToContents(1)
