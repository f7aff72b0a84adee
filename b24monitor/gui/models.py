"""What the window's Qt item models share: the index type they take and a flat row's flags."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt

AnyIndex = QModelIndex | QPersistentModelIndex
ROW_FLAGS = (
    Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
)  # combined once: flags() is asked for every painted cell


def row_flags(index: AnyIndex) -> Qt.ItemFlag:
    """A cell of a flat, read-only table: selectable, never edited, never a parent."""
    return ROW_FLAGS if index.isValid() else Qt.ItemFlag.NoItemFlags
