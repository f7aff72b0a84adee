"""The desktop app in a process of its own, driven line by line from stdin (tests on a real
display platform, e.g. the tray under Xvfb, where the test process itself stays offscreen).

It starts the app on a data dir as a user does (the window attaches to the engine it starts),
prints `{"handler_url", "background"}`, then takes one command a line:
    close   the user closes the window (what happens follows the remembered close choice)
    state   prints {"visible", "rows", "tray_visible", "tooltip"}
    quit    the tray menu's "Stop capturing and quit"
End of input is `quit`. The process exits once the window finished and capture stopped.

    python3 tests/gui/app_harness.py DATA_DIR
"""

from __future__ import annotations

import asyncio
import json
import sys
import threading
from pathlib import Path

import qasync
from PySide6.QtWidgets import QApplication

from b24monitor.gui.app import running_app
from b24monitor.gui.main_window import MainWindow


def say(message: dict[str, object]) -> None:
    print(json.dumps(message), flush=True)


def state(window: MainWindow) -> dict[str, object]:
    return {
        "visible": window.isVisible(),
        "rows": window.model.rowCount(),
        "tray_visible": window.tray.icon.isVisible(),
        "tooltip": window.tray.tooltip(),
    }


async def drive(data_dir: Path) -> None:
    loop = asyncio.get_running_loop()
    commands: asyncio.Queue[str] = asyncio.Queue()

    def read() -> None:
        for line in sys.stdin:
            loop.call_soon_threadsafe(commands.put_nowait, line.strip())
        loop.call_soon_threadsafe(commands.put_nowait, "quit")

    threading.Thread(target=read, daemon=True).start()
    async with running_app(data_dir, own_engine=True) as window:
        say({"handler_url": window.session.handler_url, "background": window.background})
        while not window.finished:
            command = await commands.get()
            if command == "close":
                window.close()
            elif command == "state":
                say(state(window))
            elif command == "quit":
                window.tray.stop_action.trigger()


def main() -> None:
    app = QApplication(sys.argv[:1])
    app.setQuitOnLastWindowClosed(False)
    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
        runner.run(drive(Path(sys.argv[1])))


if __name__ == "__main__":
    main()
