"""Takes the README's "Diagnose the traffic" screenshots from the real app on a real X display.

    Xvfb :99 -screen 0 1600x1000x24 &
    DISPLAY=:99 QT_QPA_PLATFORM=xcb python3 docs/screenshots/take_diagnose.py

Starts the desktop app on a fresh data dir, POSTs Bitrix24-shaped deliveries over loopback (the
test suite's bodies): deal 3187 sent six times (duplicates), a robot's late update of deal 3188,
a task, a contact and a lead, then deal 3190 updated at a steady rhythm until the loop alert
fires. Saves checks-tab.png, loop-alert.png, stats.png and grouping.png next to this file. Look
at each before committing it.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import qasync
from PySide6.QtWidgets import QApplication

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "tests"))
from conftest import delivery  # noqa: E402  # the same PHP-shaped bodies the tests use

from b24monitor.gui.app import running_app  # noqa: E402
from b24monitor.gui.main_window import MainWindow  # noqa: E402

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
SIZE = (1400, 800)


async def until(predicate: Callable[[], object], limit: float = 30.0) -> None:
    deadline = time.monotonic() + limit
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit(f"the window did not get there within {limit:g} s")
        await asyncio.sleep(0.05)


async def settle(window: MainWindow) -> None:
    """Until the status bar counts every row and the rate chart's once-a-second tick has run."""
    rows = window.model.rowCount()
    await until(lambda: window.status.stored.text().startswith(f"{rows} stored"))
    await asyncio.sleep(1.5)


def shoot(window: MainWindow, name: str) -> None:
    window.grab().save(str(HERE / name))
    print(f"saved {HERE / name}")


async def post(client: httpx.AsyncClient, window: MainWindow, body: bytes) -> None:
    answer = await client.post(window.session.handler_url, content=body, headers=FORM)
    answer.raise_for_status()


async def scene(data_dir: Path) -> None:
    async with running_app(data_dir) as window, httpx.AsyncClient() as client:
        window.resize(*SIZE)
        now = int(time.time())
        for _ in range(6):  # the same delivery again and again: `duplicate`
            await post(client, window, delivery(data={"FIELDS": {"ID": "3187"}}, ts=now))
        await post(client, window, delivery("ONTASKADD", {"FIELDS_AFTER": {"ID": "905"}}, ts=now))
        late = delivery(data={"FIELDS": {"ID": "3188"}}, user_id=None, ts=now - 49)
        await post(client, window, late)  # a robot's change, 49 s in the queue
        await post(client, window, delivery("ONCRMCONTACTADD", {"FIELDS": {"ID": "221"}}, ts=now))
        await post(client, window, delivery("ONCRMLEADADD", {"FIELDS": {"ID": "1240"}}, ts=now))
        await until(lambda: window.model.rowCount() == 10)
        window.table.selectRow(7)
        await until(lambda: window.detail.shown_event is not None)
        window.detail.tabs.setCurrentWidget(window.detail.checks)
        await settle(window)
        shoot(window, "checks-tab.png")

        for _ in range(6):  # a program writing deal 3190 back: a steady rhythm
            body = delivery(data={"FIELDS": {"ID": "3190"}}, ts=int(time.time()))
            await post(client, window, body)
            await asyncio.sleep(1.1)  # a new `ts` each time: not the same delivery twice
        await until(lambda: window.status.alert.isVisible() and window.model.rowCount() == 16)
        window.table.selectRow(15)
        await until(lambda: window.detail.shown_event is not None)
        window.detail.tabs.setCurrentWidget(window.detail.checks)
        await settle(window)
        shoot(window, "loop-alert.png")

        window.events_tabs.setCurrentWidget(window.stats_panel)
        await until(lambda: window.stats_panel.table.rowCount() == 4)
        await settle(window)
        shoot(window, "stats.png")

        window.events_tabs.setCurrentIndex(0)
        window.group_action.trigger()
        grouped = window.grouped
        await until(lambda: grouped.topLevelItemCount() == 6)
        top = next(grouped.topLevelItem(i) for i in range(6)
                   if "3190" in grouped.topLevelItem(i).text(0))  # fmt: skip
        top.setExpanded(True)
        await until(lambda: top.childCount() == 6)
        grouped.setCurrentItem(top.child(0))
        await settle(window)
        shoot(window, "grouping.png")


def main() -> None:
    private = tempfile.mkdtemp(prefix="b24shots-config-")
    os.environ["XDG_CONFIG_HOME"] = private  # no secrets or settings of the user's are touched
    app = QApplication(sys.argv[:1])
    app.setApplicationName("b24monitor")
    app.setQuitOnLastWindowClosed(False)  # the loop ends when the scene does, not before
    with (
        tempfile.TemporaryDirectory(prefix="b24shots-") as tmp,
        asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner,
    ):
        runner.run(scene(Path(tmp) / "data"))


if __name__ == "__main__":
    main()
