"""Desktop integration: the .desktop entry, the rendered icons and packaging/install-desktop."""

from __future__ import annotations

import configparser
import os
import shutil
import struct
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DESKTOP = ROOT / "resources" / "desktop"
SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)


def _entry(path: Path) -> dict[str, str]:
    parser = configparser.RawConfigParser(delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(path, encoding="utf-8")
    return dict(parser["Desktop Entry"])


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def test_the_desktop_entry_names_the_app_in_english_and_russian() -> None:
    entry = _entry(DESKTOP / "b24monitor.desktop")
    assert entry["Type"] == "Application"
    assert entry["Exec"] == "b24monitor"
    assert entry["Icon"] == "b24monitor"
    assert entry["Terminal"] == "false"
    assert entry["Categories"] == "Development;Network;"
    for key in ("Name", "Comment"):
        assert entry[key]
        assert entry[f"{key}[ru]"]
    assert any("а" <= ch <= "я" for ch in entry["Comment[ru]"])


def test_the_desktop_entry_is_valid() -> None:
    done = subprocess.run(
        ["desktop-file-validate", str(DESKTOP / "b24monitor.desktop")],
        capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_icon_size_is_rendered_at_its_size() -> None:
    for size in SIZES:
        assert _png_size(DESKTOP / "icons" / f"b24monitor-{size}.png") == (size, size)


def test_the_windows_and_macos_icons_hold_png_renderings() -> None:
    ico = (ROOT / "packaging" / "icons" / "b24monitor.ico").read_bytes()
    reserved, kind, count = struct.unpack("<HHH", ico[:6])
    assert (reserved, kind) == (0, 1) and count >= 6
    sizes = {ico[6 + 16 * i] or 256 for i in range(count)}
    assert {16, 32, 48, 256} <= sizes
    icns = (ROOT / "packaging" / "icons" / "b24monitor.icns").read_bytes()
    assert icns[:4] == b"icns" and struct.unpack(">I", icns[4:8])[0] == len(icns)
    assert b"ic10" in icns and b"\x89PNG" in icns


def _install(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "share"), "HOME": str(tmp_path)}
    return subprocess.run(
        ["bash", str(ROOT / "packaging" / "install-desktop"), *args],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip


def test_install_desktop_installs_the_entry_and_icons_and_uninstalls_them(
    tmp_path: Path,
) -> None:
    share = tmp_path / "share"
    for _ in range(2):  # idempotent
        done = _install(tmp_path, "--exec", "/opt/b 24/b24monitor")
        assert done.returncode == 0, done.stderr
    entry = _entry(share / "applications" / "b24monitor.desktop")
    assert entry["Exec"] == '"/opt/b 24/b24monitor"'  # quoted: the path has a space
    assert entry["Icon"] == "b24monitor" and entry["Name[ru]"]
    for size in SIZES:
        icon = share / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "b24monitor.png"
        assert _png_size(icon) == (size, size)
    assert (share / "icons" / "hicolor" / "scalable" / "apps" / "b24monitor.svg").is_file()

    done = _install(tmp_path, "--uninstall")
    assert done.returncode == 0, done.stderr
    assert not (share / "applications" / "b24monitor.desktop").exists()
    assert not list((share / "icons").rglob("b24monitor.*"))


def test_install_desktop_defaults_to_the_b24monitor_on_path(tmp_path: Path) -> None:
    done = _install(tmp_path)
    if shutil.which("b24monitor") is None:
        assert done.returncode == 1 and "not on PATH" in done.stderr
        return
    assert done.returncode == 0, done.stderr
    entry = _entry(tmp_path / "share" / "applications" / "b24monitor.desktop")
    assert Path(entry["Exec"].strip('"')).is_absolute()
