"""Capturing in the background behind a tray icon, on a desktop that has a tray (issue 14).

The offscreen platform has no tray (closing there minimises or detaches: test_close_choice.py,
test_own_engine.py), so this runs the real app in its own process on Xvfb (the xcb platform)
with a private session bus and a stand-in panel (tests/fake_tray/watcher.py, the
StatusNotifierWatcher Qt's tray icon talks to). The test is the panel and the user: it closes
the window, sends deliveries, reads the icon's tooltip and clicks the icon over the bus.
"""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from b24monitor.gui.app import open_settings
from b24monitor.gui.settings_store import GuiSettings
from b24monitor.services.engine_spawn import alive

ROOT = Path(__file__).resolve().parents[2]
WATCHER = ROOT / "tests" / "fake_tray" / "watcher.py"
HARNESS = Path(__file__).with_name("app_harness.py")
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


class Lines:
    """A process's stdout, one JSON line at a time, read on a thread (waits have deadlines)."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self._lines: queue.Queue[dict[str, object]] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith("{"):
                self._lines.put(json.loads(line))

    def next(self, timeout: float = 60.0) -> dict[str, object]:
        try:
            return self._lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no line from {self.proc.args} in {timeout} s") from None


def until(predicate: Callable[[], object], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(0.05)


def start(command: list[str], env: dict[str, str], **kwargs: object) -> subprocess.Popen[str]:
    return subprocess.Popen(command, env=env, text=True, **kwargs)  # type: ignore[call-overload]


def end(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout=30)
    for pipe in (proc.stdin, proc.stdout):
        if pipe is not None:
            pipe.close()


@dataclass
class Desktop:
    env: dict[str, str]  # what a desktop app of this user gets: DISPLAY, the session bus
    panel: Lines  # the watcher's lines: an icon registered itself


@pytest.fixture
def desktop(tmp_path: Path) -> Iterator[Desktop]:
    """An X display with a tray: Xvfb, a private session bus, the stand-in panel's watcher."""
    procs: list[subprocess.Popen[str]] = []
    try:
        bus = start(["dbus-daemon", "--session", "--nofork", "--print-address=1"],
                    dict(os.environ), stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL)  # fmt: skip
        procs.append(bus)
        assert bus.stdout is not None
        address = bus.stdout.readline().strip()
        read, write = os.pipe()
        xvfb = start(["Xvfb", "-displayfd", str(write), "-nolisten", "tcp", "-screen", "0",
                      "1280x800x24"], dict(os.environ), pass_fds=(write,),
                     stderr=subprocess.DEVNULL)  # fmt: skip
        procs.append(xvfb)
        os.close(write)
        with os.fdopen(read) as display:
            number = display.readline().strip()
        assert number.isdigit(), "Xvfb did not start"
        env = {**os.environ, "DBUS_SESSION_BUS_ADDRESS": address, "DISPLAY": f":{number}",
               "QT_QPA_PLATFORM": "xcb", "XDG_CONFIG_HOME": str(tmp_path / "config")}  # fmt: skip
        watcher = start([sys.executable, str(WATCHER)], env, stdout=subprocess.PIPE)
        procs.append(watcher)
        panel = Lines(watcher)
        assert panel.next() == {"ready": True}
        yield Desktop(env, panel)
    finally:
        for proc in reversed(procs):
            end(proc)


def end_engine(data: Path) -> None:
    """The engine a failed test left capturing (it outlives the window by design)."""
    try:
        pid = int(json.loads((data / "engine.lock").read_text())["pid"])
    except (OSError, ValueError, KeyError):
        return
    if alive(pid):
        os.kill(pid, signal.SIGKILL)


def tooltip(env: dict[str, str], item: str) -> str:
    """The icon's tooltip as a panel reads it (StatusNotifierItem ToolTip: (icon, pixmaps,
    title, text))."""
    reply = subprocess.run(
        ["dbus-send", "--session", "--print-reply", f"--dest={item}", "/StatusNotifierItem",
         "org.freedesktop.DBus.Properties.Get", "string:org.kde.StatusNotifierItem",
         "string:ToolTip"], env=env, capture_output=True, text=True, check=True, timeout=30,
    )  # fmt: skip
    return " ".join(re.findall(r'string "([^"]*)"', reply.stdout))


def click(env: dict[str, str], item: str) -> None:
    """A left click on the icon: the panel calls Activate(x, y)."""
    subprocess.run(
        ["dbus-send", "--session", "--print-reply", f"--dest={item}", "/StatusNotifierItem",
         "org.kde.StatusNotifierItem.Activate", "int32:0", "int32:0"],
        env=env, capture_output=True, text=True, check=True, timeout=30,
    )  # fmt: skip


def test_keep_capturing_hides_the_window_behind_a_tray_icon_that_counts_and_reopens(
    desktop: Desktop, tmp_path: Path, make_delivery: Callable[..., bytes]
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    settings = open_settings(data)
    GuiSettings(settings).remember_close_action("keep")  # asked once before, remembered
    settings.sync()
    env = desktop.env
    app = start([sys.executable, str(HARNESS), str(data)], env, stdin=subprocess.PIPE,
                stdout=subprocess.PIPE)  # fmt: skip
    assert app.stdin is not None
    out = Lines(app)

    def state() -> dict[str, object]:
        assert app.stdin is not None
        app.stdin.write("state\n")
        app.stdin.flush()
        return out.next()

    try:
        hello = out.next(120)  # the window and the engine it starts
        assert hello["background"] == "tray"  # this desktop has a tray
        url = str(hello["handler_url"])
        app.stdin.write("close\n")
        app.stdin.flush()
        item = str(desktop.panel.next()["item"])  # the icon appeared in the panel
        shown = state()
        assert not shown["visible"] and shown["tray_visible"]
        counting = "the tooltip says capture goes on, counting from 0"
        until(lambda: "capturing in the background; new events: 0" in tooltip(env, item), counting)

        with httpx.Client() as client:  # Bitrix24 keeps sending; the engine keeps answering
            for number in range(3):
                body = make_delivery("ONCRMDEALADD", {"FIELDS": {"ID": str(number)}})
                assert client.post(url, content=body, headers=FORM).status_code == 200
        counted = "the tooltip counts the 3 deliveries"
        until(lambda: "capturing in the background; new events: 3" in tooltip(env, item), counted)

        click(env, item)  # the window comes back with what arrived meanwhile; the icon goes

        def shown_again() -> bool:
            now = state()
            return now["visible"] is True and now["rows"] == 3 and now["tray_visible"] is False

        until(shown_again, "the window is shown again with the 3 rows, the icon gone")

        app.stdin.write("quit\n")
        app.stdin.flush()
        assert app.wait(timeout=60) == 0
    finally:
        end(app)
        end_engine(data)
