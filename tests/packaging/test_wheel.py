"""The wheel as a user gets it: every resource inside, installed into a fresh venv, really run.

The venv sees the machine's site-packages (PySide6 and the other heavy dependencies come from
there) but gets our wheel installed into itself, and everything runs from a folder outside the
checkout, so the code and resources under test are the wheel's, never the editable checkout's.
The run itself is packaging/smoke_checks.py, the same checks the PyInstaller bundle gets.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
RESOURCES = ROOT / "resources"


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    return {**env, "PIP_DISABLE_PIP_VERSION_CHECK": "1", "QT_QPA_PLATFORM": "offscreen"}


def _run(args: list[str], cwd: Path, timeout: float = 120) -> str:
    done = subprocess.run(
        args, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, f"{args} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    _run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(out)],
         cwd=out)  # fmt: skip
    (built,) = out.glob("b24monitor-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv over the machine's packages with only our wheel installed into it."""
    where = tmp_path_factory.mktemp("venv")
    _run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", "env"],
         cwd=where)  # fmt: skip
    env = where / "env"
    # pip comes from the system site-packages; --force-reinstall because the editable checkout
    # has the same version and pip would otherwise call the requirement satisfied.
    _run([str(env / "bin" / "python"), "-m", "pip", "install", "-q", "--no-deps", "--no-index",
          "--force-reinstall", str(wheel)], cwd=where)  # fmt: skip
    return env


def test_the_wheel_holds_every_resource_inside_the_package(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {
        "b24monitor/resources/" + path.relative_to(RESOURCES).as_posix()
        for path in RESOURCES.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert shipped - names == set()
    assert {
        "b24monitor/resources/event-catalog.tsv",
        "b24monitor/resources/icons/b24monitor.svg",
        "b24monitor/resources/desktop/b24monitor.desktop",
        "b24monitor/resources/desktop/icons/b24monitor-256.png",
        "b24monitor/resources_access.py",
    } <= names
    if (RESOURCES / "translations").is_dir():
        assert any(n.startswith("b24monitor/resources/translations/") for n in names)
    assert not any(n.endswith(".pyc") or n.startswith("resources/") for n in names)


PROBE = """
import json, b24monitor, b24monitor.resources_access as ra
from b24monitor.core.catalog import Catalog
from b24monitor.sandbox.catalog import EventCatalog
catalog = Catalog.load()
entry = catalog.lookup("ONAPPINSTALL")
print(json.dumps({
    "module": b24monitor.__file__,
    "resources": str(ra.resources_dir()),
    "catalog": len(catalog),
    "ru": entry.description_ru,
    "sandbox": len(EventCatalog.load().codes()),
}))
"""


def test_the_installed_package_is_the_wheels_and_reads_its_own_resources(venv: Path) -> None:
    probe = json.loads(_run([str(venv / "bin" / "python"), "-c", PROBE], cwd=venv))
    assert Path(probe["module"]).is_relative_to(venv)
    assert Path(probe["resources"]) == Path(probe["module"]).parent / "resources"
    assert probe["catalog"] > 100
    assert probe["ru"].startswith("Приложение")
    assert probe["sandbox"] > 100


GUI_PROBE = """
from PySide6.QtWidgets import QApplication
app = QApplication([])
from b24monitor.gui.icons import icon, resources_dir
print(resources_dir())
print(icon("b24monitor").isNull())
"""


def test_the_installed_gui_finds_its_icon(venv: Path) -> None:
    where, null = _run([str(venv / "bin" / "python"), "-c", GUI_PROBE], cwd=venv).split()
    assert Path(where).is_relative_to(venv)
    assert null == "False"


def test_the_installed_wheel_passes_the_smoke_checks(venv: Path) -> None:
    checks = [sys.executable, str(ROOT / "packaging" / "smoke_checks.py"), "--no-ngrok"]
    out = _run([*checks, "--", str(venv / "bin" / "b24monitor")], cwd=venv, timeout=110)
    assert "smoke: listen: ok" in out
    assert "smoke: export: ok" in out
