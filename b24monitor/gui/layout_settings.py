"""The main window's layout in QSettings: geometry, docks, splitter, columns and sort order."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray

if TYPE_CHECKING:
    from b24monitor.gui.main_window import MainWindow

GEOMETRY = "window/geometry"
STATE = "window/state"
SPLITTER = "window/splitter"
HEADER = "table/header"
NEWEST_FIRST = "table/newest_first"
LAYOUT_VERSION = 3  # bump when the docks or columns change, so old layouts are not misapplied


def save_layout(window: MainWindow) -> None:
    settings = window.settings
    settings.setValue(GEOMETRY, window.saveGeometry())
    settings.setValue(STATE, window.saveState(LAYOUT_VERSION))
    settings.setValue(SPLITTER, window.splitter.saveState())
    settings.setValue(HEADER, window.table.horizontalHeader().saveState())
    settings.setValue(NEWEST_FIRST, "1" if window.events.newest_first else "0")
    settings.sync()


def restore_layout(window: MainWindow) -> None:
    """Apply what was saved; anything missing or unreadable keeps the defaults."""
    settings = window.settings
    if isinstance(geometry := settings.value(GEOMETRY), QByteArray):
        window.restoreGeometry(geometry)
    if isinstance(state := settings.value(STATE), QByteArray):
        window.restoreState(state, LAYOUT_VERSION)
    if isinstance(splitter := settings.value(SPLITTER), QByteArray):
        window.splitter.restoreState(splitter)
    else:
        window.splitter.setSizes([820, 460])
    header = window.table.horizontalHeader()
    if isinstance(saved := settings.value(HEADER), QByteArray):
        header.restoreState(saved)
    newest_first = str(settings.value(NEWEST_FIRST, "0")) == "1"
    window.model.sort(0, window.table.sort_order(newest_first))
    header.setSortIndicator(0, window.table.sort_order(newest_first))
