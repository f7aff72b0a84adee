"""Start-up and shutdown of the desktop app: errors as one sentence, SIGINT stops it in order."""

from __future__ import annotations

import asyncio
import json
import os
import re
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
# opened on it. The dismisser stands in for the user reading the message box and pressing OK.
DESKTOP_APP_THEN_OK = """
import json, sys
from pathlib import Path
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox
from b24monitor.gui.app import run

app = QApplication(sys.argv[:1])

def press_ok():
    box = QApplication.activeModalWidget()
    if isinstance(box, QMessageBox):
        print(json.dumps({"title": box.windowTitle(), "text": box.text()}), flush=True)
        box.accept()
    else:
        QTimer.singleShot(20, press_ok)

QTimer.singleShot(0, press_ok)
code = run(Path(sys.argv[1]))
shown = [type(w).__name__ for w in QApplication.topLevelWidgets() if w.isVisible()]
print(json.dumps({"exit": code, "shown": shown}), flush=True)
"""


def test_the_app_on_a_folder_owned_by_listen_says_so_in_a_dialog_and_exits(tmp_path: Path) -> None:
    listen = subprocess.Popen(
        [sys.executable, "-m", "b24monitor", "--data-dir", str(tmp_path), "listen", "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        assert listen.stdout is not None
        local_url = json.loads(listen.stdout.readline())["local_url"]
        app = subprocess.run([sys.executable, "-c", DESKTOP_APP_THEN_OK, str(tmp_path)],
                             capture_output=True, text=True, timeout=60)  # fmt: skip
        assert app.returncode == 0, app.stderr
        dialog, outcome = (json.loads(line) for line in app.stdout.splitlines())
        assert dialog["title"] == "b24monitor cannot start"
        assert re.fullmatch(
            re.escape(f"data folder {tmp_path} is in use by b24monitor listen (pid {listen.pid}, ")
            + r"since \d\d:\d\d, "
            + re.escape(f"receiving at {local_url}): stop it, or use another --data-dir"),
            dialog["text"],
        )
        assert outcome == {"exit": 1, "shown": []}  # no main window was ever left open
        assert listen.poll() is None  # the engine that owns the folder runs on
    finally:
        listen.kill()
        listen.wait()
        if listen.stdout is not None:
            listen.stdout.close()
