"""Start-up and shutdown of the desktop app: errors as one sentence, SIGINT stops it in order."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
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
