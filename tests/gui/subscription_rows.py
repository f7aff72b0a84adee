"""Finding an event's row in the subscriptions model, as a user's eye finds it in the dock."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex

from b24monitor.gui.subscriptions.model import EVENT, SubscriptionsModel


def find(model: SubscriptionsModel, code: str, column: int = EVENT) -> QModelIndex:
    """The index of our own (not foreign) row for `code` in `column`."""
    for group_row in range(model.rowCount()):
        group = model.index(group_row, 0)
        for row in range(model.rowCount(group)):
            item = model.item_of(model.index(row, 0, group))
            if item is not None and item.foreign is None and item.entry.code == code:
                return model.index(row, column, group)
    raise AssertionError(f"{code} is not listed")
