"""Start-up and shutdown of the desktop app: errors as one sentence, SIGINT stops it in order."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from b24monitor.core.tasks import spawn
from b24monitor.gui.app import StartupError, main, open_settings, running_app
from b24monitor.gui.main_window import MainWindow
from b24monitor.gui.settings_store import PORT
from b24monitor.services.session import DB_NAME


@pytest.mark.asyncio
async def test_a_corrupt_database_is_one_sentence_and_no_window(tmp_path: Path) -> None:
    (tmp_path / DB_NAME).write_bytes(b"not a database at all" * 200)
    outcome = await main(tmp_path)
    assert isinstance(outcome, str) and str(tmp_path / DB_NAME) in outcome
    assert "move it away" in outcome
    windows = QApplication.topLevelWidgets()
    assert not any(isinstance(w, MainWindow) and w.isVisible() for w in windows)


@pytest.mark.asyncio
async def test_a_port_in_use_is_a_startup_error(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        settings = open_settings(tmp_path)
        settings.setValue(PORT, taken.getsockname()[1])
        settings.sync()
        with pytest.raises(StartupError, match=r"cannot listen on 127\.0\.0\.1"):
            async with running_app(tmp_path):
                pass


@pytest.mark.asyncio
async def test_sigint_closes_the_window_and_stops_the_session(tmp_path: Path, wait_until) -> None:
    def shown() -> MainWindow | None:
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, MainWindow) and widget.isVisible():
                return widget
        return None

    async def interrupt() -> None:
        await wait_until(lambda: shown() is not None)
        os.kill(os.getpid(), signal.SIGINT)

    before = signal.getsignal(signal.SIGINT)
    pressed = spawn(interrupt(), name="press-ctrl-c")
    assert await asyncio.wait_for(main(tmp_path), 20) == 0
    await pressed
    assert (tmp_path / "gui.ini").exists()  # the layout was saved on the way out
    assert signal.getsignal(signal.SIGINT) == before  # the previous handler is back


# A user's double start, in real processes: `listen` owns the folder, then the desktop app is
# opened on it. It attaches to the listen's engine (issue 14); the closer stands in for the user
# reading the window's title and closing it.
DESKTOP_APP_THEN_CLOSE = """
import json, sys
from pathlib import Path
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from b24monitor.gui.app import run
from b24monitor.gui.main_window import MainWindow

app = QApplication(sys.argv[:1])

def close_window():
    tops = QApplication.topLevelWidgets()
    shown = [w for w in tops if isinstance(w, MainWindow) and w.isVisible()]
    if shown:
        print(json.dumps({"title": shown[0].windowTitle()}), flush=True)
        shown[0].close()
    else:
        QTimer.singleShot(20, close_window)

QTimer.singleShot(0, close_window)
code = run(Path(sys.argv[1]))
shown = [type(w).__name__ for w in QApplication.topLevelWidgets() if w.isVisible()]
print(json.dumps({"exit": code, "shown": shown}), flush=True)
"""


def test_the_app_on_a_folder_owned_by_listen_attaches_and_leaves_it_running(
    tmp_path: Path,
) -> None:
    listen = subprocess.Popen(
        [sys.executable, "-m", "b24monitor", "--data-dir", str(tmp_path), "listen", "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        assert listen.stdout is not None
        json.loads(listen.stdout.readline())
        app = subprocess.run([sys.executable, "-c", DESKTOP_APP_THEN_CLOSE, str(tmp_path)],
                             capture_output=True, text=True, timeout=60)  # fmt: skip
        assert app.returncode == 0, app.stderr
        window, outcome = (json.loads(line) for line in app.stdout.splitlines())
        assert (
            window["title"] == f"b24monitor — capture runs in b24monitor listen (pid {listen.pid})"
        )
        assert outcome == {"exit": 0, "shown": []}
        assert listen.poll() is None  # the engine that owns the folder runs on
    finally:
        listen.kill()
        listen.wait()
        if listen.stdout is not None:
            listen.stdout.close()
