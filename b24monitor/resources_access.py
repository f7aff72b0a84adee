"""Where the shipped resources are: in a PyInstaller bundle, an installed wheel, or a checkout.

The files live in the top-level `resources/` of the repository. The wheel maps them to
`b24monitor/resources` (pyproject.toml, `force-include`) and the bundle copies them to the same
place under `sys._MEIPASS` (packaging/b24monitor.spec), so one lookup order covers all three.
Standard library only: `core` may use it too.
"""

from __future__ import annotations

import importlib.resources
import sys
from pathlib import Path

PACKAGE = "b24monitor"
FOLDER = "resources"


def candidates() -> list[Path]:
    """Folders that may hold the resources, the most specific first."""
    found: list[Path] = []
    bundle = getattr(sys, "_MEIPASS", None)  # set by PyInstaller's bootloader
    if bundle:
        found.append(Path(bundle) / PACKAGE / FOLDER)
    packaged = importlib.resources.files(PACKAGE) / FOLDER
    if isinstance(packaged, Path):  # a package on the file system (not a zip import)
        found.append(packaged)
    found.append(Path(__file__).resolve().parent.parent / FOLDER)  # a source checkout
    return found


def resources_dir() -> Path:
    """The first folder of `candidates()` that exists (the checkout's when none does)."""
    options = candidates()
    return next((folder for folder in options if folder.is_dir()), options[-1])


def resource_path(*parts: str) -> Path:
    """`resource_path("icons", "b24monitor.svg")`: a file under the resources folder."""
    return resources_dir().joinpath(*parts)


def read_text(*parts: str) -> str:
    """A UTF-8 resource file's text; FileNotFoundError names the path that was tried."""
    return resource_path(*parts).read_text(encoding="utf-8")
