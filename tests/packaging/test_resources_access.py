"""b24monitor/resources_access.py: the bundle's folder, then the package's, then the checkout's."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from b24monitor import resources_access

ROOT = Path(__file__).resolve().parents[2]


def test_a_checkout_uses_the_top_level_resources_folder() -> None:
    # The editable install has no b24monitor/resources, so the top-level folder is the one.
    assert resources_access.resources_dir() == ROOT / "resources"
    assert resources_access.read_text("event-catalog.tsv").startswith("#")
    assert resources_access.resource_path("icons", "b24monitor.svg").is_file()


def test_a_pyinstaller_bundle_is_looked_up_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundled = tmp_path / "b24monitor" / "resources"
    bundled.mkdir(parents=True)
    (bundled / "event-catalog.tsv").write_text("# bundled\n", encoding="utf-8")
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert resources_access.candidates()[0] == bundled
    assert resources_access.read_text("event-catalog.tsv") == "# bundled\n"


def test_a_bundle_without_the_folder_falls_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert resources_access.resources_dir() == ROOT / "resources"


def test_a_missing_file_names_the_path_it_tried() -> None:
    with pytest.raises(FileNotFoundError, match="no-such-file"):
        resources_access.read_text("no-such-file.txt")
