"""PayloadTree: decoded nested data as a tree; the context menu copies a value or its path."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QGuiApplication, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QAbstractItemView, QMenu, QTreeView, QWidget

PATH_ROLE = Qt.ItemDataRole.UserRole + 1  # `data.FIELDS.ID`
VALUE_ROLE = Qt.ItemDataRole.UserRole + 2  # the value as text to copy
COLLAPSED_KEYS = frozenset({"auth"})  # secrets live there; the Auth tab shows them properly


def path_of(parent: str, key: object, in_list: bool) -> str:
    """`data` + `FIELDS` → `data.FIELDS`; list items read `items[0]`."""
    if in_list:
        return f"{parent}[{key}]"
    return f"{parent}.{key}" if parent else str(key)


def value_text(value: Any) -> str:
    """What "Copy value" puts on the clipboard: strings bare, everything else as JSON."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


class PayloadTree(QTreeView):
    """Key/value tree of one decoded payload (already masked by the caller unless revealed)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("payloadTree")
        self._model = QStandardItemModel(self)
        self.setModel(self._model)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setUniformRowHeights(True)
        self.setAlternatingRowColors(True)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._on_self_custom_context_menu_requested)
        self._set_headers()

    def _set_headers(self) -> None:
        self._model.setHorizontalHeaderLabels([self.tr("key"), self.tr("value")])

    def show_payload(self, payload: dict[str, Any] | None) -> None:
        self._model.clear()
        self._set_headers()
        if payload:
            self._add_children(self._model.invisibleRootItem(), payload, "")
        self.expandAll()
        root = self._model.invisibleRootItem()
        for row in range(root.rowCount()):
            item = root.child(row, 0)
            if item.text() in COLLAPSED_KEYS:
                self.collapse(item.index())
        self.resizeColumnToContents(0)

    def find_path(self, path: str) -> QStandardItem | None:
        """The key item whose path is `path` (tests and "reveal path" use it)."""
        matches = self._model.match(
            self._model.index(0, 0), PATH_ROLE, path, 1,
            Qt.MatchFlag.MatchExactly | Qt.MatchFlag.MatchRecursive,
        )  # fmt: skip
        return self._model.itemFromIndex(matches[0]) if matches else None

    def _add_children(self, parent: QStandardItem, value: Any, path: str) -> None:
        pairs = enumerate(value) if isinstance(value, list) else value.items()
        for key, child in pairs:
            child_path = path_of(path, key, isinstance(value, list))
            key_item = QStandardItem(str(key))
            key_item.setData(child_path, PATH_ROLE)
            key_item.setData(value_text(child), VALUE_ROLE)
            if isinstance(child, dict | list):
                shown = f"{{{len(child)}}}" if isinstance(child, dict) else f"[{len(child)}]"
                value_item = QStandardItem(shown)
                self._add_children(key_item, child, child_path)
            else:
                value_item = QStandardItem(json.dumps(child, ensure_ascii=False))
            value_item.setData(child_path, PATH_ROLE)
            value_item.setData(value_text(child), VALUE_ROLE)
            value_item.setToolTip(value_text(child)[:2000])
            parent.appendRow([key_item, value_item])

    def _on_self_custom_context_menu_requested(self, pos: QPoint) -> None:
        index = self.indexAt(pos)
        if not index.isValid():
            return
        menu = QMenu(self)
        value, path = index.data(VALUE_ROLE), index.data(PATH_ROLE)
        menu.addAction(self.tr("Copy value"), lambda: _copy(value))
        menu.addAction(self.tr("Copy path (%1)").replace("%1", path), lambda: _copy(path))
        menu.exec(self.viewport().mapToGlobal(pos))


def _copy(text: str) -> None:
    QGuiApplication.clipboard().setText(text)
