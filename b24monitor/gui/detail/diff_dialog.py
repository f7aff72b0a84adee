"""DiffDialog: what changed between two deliveries (core.diff); an entity's previous delivery."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from b24monitor.core.diff import Change, diff_payloads
from b24monitor.core.model import CapturedEvent

_KINDS = {"added": "+", "removed": "−", "changed": "~"}


class DiffDialog(QDialog):
    """Lists the added, removed and changed paths from `old` to `new` (tokens masked)."""

    def __init__(
        self, old: CapturedEvent, new: CapturedEvent, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("diffDialog")
        title = self.tr("Compare #%1 → #%2").replace("%1", str(old.id)).replace("%2", str(new.id))
        self.setWindowTitle(title)
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.changes_view = QTreeWidget(self)
        self.changes_view.setObjectName("diffChanges")
        self.changes_view.setRootIsDecorated(False)
        self.changes_view.setHeaderLabels(
            [self.tr("change"), self.tr("path"), self.tr("before"), self.tr("after")]
        )
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.changes_view, 1)
        layout.addWidget(buttons)
        self.resize(720, 420)
        self.changes: list[Change] = []
        self._fill(old, new)

    def _fill(self, old: CapturedEvent, new: CapturedEvent) -> None:
        head = f"#{old.id} {old.event or '?'} → #{new.id} {new.event or '?'}"
        if old.data is None or new.data is None:
            undecoded = old if old.data is None else new
            text = self.tr("Event #%1 could not be decoded, so it has no payload to compare.")
            self.summary.setText(head + "\n" + text.replace("%1", str(undecoded.id)))
            return
        self.changes = diff_payloads(old.data, new.data)
        for change in self.changes:
            before = "" if change.kind == "added" else _text(change.old)
            after = "" if change.kind == "removed" else _text(change.new)
            item = QTreeWidgetItem([_KINDS[change.kind], change.path, before, after])
            item.setToolTip(0, _kind_text(change.kind))
            self.changes_view.addTopLevelItem(item)
        count = self.tr("%1 differences").replace("%1", str(len(self.changes)))
        none = self.tr("No differences (tokens and auth.expires are not compared).")
        self.summary.setText(head + "\n" + (count if self.changes else none))
        self.changes_view.resizeColumnToContents(1)


def _kind_text(kind: str) -> str:
    texts = {
        "added": QCoreApplication.translate("DiffDialog", "added"),
        "removed": QCoreApplication.translate("DiffDialog", "removed"),
        "changed": QCoreApplication.translate("DiffDialog", "changed"),
    }
    return texts[kind]


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
