"""Icons from resources/icons, found in a bundle, an installed wheel or a checkout."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QIcon

from b24monitor import resources_access


def resources_dir() -> Path:
    """The resources folder (b24monitor.resources_access decides where it is)."""
    return resources_access.resources_dir()


def icon(name: str) -> QIcon:
    """resources/icons/<name>.svg as a QIcon (a null icon if the file is missing).

    Not cached globally: a QIcon kept past the QApplication can crash at interpreter exit.
    """
    path = resources_access.resource_path("icons", f"{name}.svg")
    return QIcon(str(path)) if path.is_file() else QIcon()
