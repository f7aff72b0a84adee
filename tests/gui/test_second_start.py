"""Several windows on one engine: a second start shows the window kept in the background, and
stopping capture in one window leaves the engine to the others (issue 14).

Real processes: `python -m b24monitor` as a user starts it (offscreen), the engine it spawns
(`listen --engine`), real widgets in this process; signals are real SIGTERMs.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from b24monitor.core.errors import EngineNotRunning
from b24monitor.gui.app import running_app
from b24monitor.gui.main_window import MainWindow
from b24monitor.services.control_client import connect
from b24monitor.services.engine_spawn import alive
from b24monitor.services.remote_session import RemoteSession
from tests.gui.engine_traffic import post

OFFSCREEN = pytest.mark.qt_log_ignore("does not support (raise|propagateSizeHints)")
ENV = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}


@pytest.fixture(autouse=True)
def private_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    ENV["XDG_CONFIG_HOME"] = str(tmp_path / "config")


@pytest.fixture
def data(tmp_path: Path) -> Iterator[Path]:
    """The data dir; an engine a failed test left running is killed."""
    folder = tmp_path / "data"
    yield folder
    pid = engine_pid(folder)
    if pid is not None and alive(pid):
        os.kill(pid, signal.SIGKILL)


def engine_pid(data: Path) -> int | None:
    try:
        return int(json.loads((data / "engine.lock").read_text())["pid"])
    except (OSError, ValueError, KeyError):
        return None


def start_b24monitor(data: Path) -> subprocess.Popen[str]:
    """`b24monitor --data-dir DATA` as a user starts it (the desktop app, offscreen)."""
    return subprocess.Popen(
        [sys.executable, "-m", "b24monitor", "--data-dir", str(data)],
        env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


async def windows(data: Path) -> list[dict[str, Any]]:
    """The windows the engine knows of: [{pid, background}]."""
    client = await connect(data)
    try:
        listed: list[dict[str, Any]] = (await client.request("status"))["windows"]
        return listed
    finally:
        await client.close()


def keep_in_background(window: MainWindow) -> None:
    window.close()
    question = window.close_question
    assert question is not None
    question.keep.click()


async def ended(process: subprocess.Popen[str]) -> tuple[int, list[str], str]:
    """Wait for the process: its exit code, its stdout lines, its stderr."""
    out, err = await asyncio.to_thread(process.communicate, timeout=120)
    return process.returncode, out.splitlines(), err


async def settles(ask: Callable[[], Awaitable[Any]], want: Any, within: float = 20) -> None:
    """Ask until the answer is `want` (the engine hears a window's announcement soon after)."""
    deadline = time.monotonic() + within
    while (answer := await ask()) != want:
        assert time.monotonic() < deadline, f"still {answer!r}, not {want!r}"
        await asyncio.sleep(0.05)


async def count(data: Path) -> int:
    """How many windows the engine knows of (0 while no engine answers yet)."""
    try:
        return len(await windows(data))
    except EngineNotRunning:
        return 0


@pytest.mark.asyncio
@OFFSCREEN
async def test_a_second_start_shows_the_window_kept_in_the_background(
    data: Path, make_delivery: Callable[..., bytes], wait_until
) -> None:
    async with running_app(data, own_engine=True) as window:
        session = window.session
        assert isinstance(session, RemoteSession)
        me = os.getpid()
        await wait_until(lambda: session.attached, 10)
        # A tray desktop hides the window behind the tray icon; offscreen has no tray, so the
        # window kept in the background waits minimised — either way it is in the background.
        window.background = "tray"
        keep_in_background(window)
        await wait_until(window.isMinimized, 10)
        assert not window.finished  # the window's process lives on
        await settles(lambda: windows(data), [{"pid": me, "background": True}])

        code, out, err = await ended(start_b24monitor(data))
        assert code == 0, err
        assert out == [f"b24monitor: the window of data folder {data} (pid {me}) was capturing "
                       "in the background; it is shown again"]  # fmt: skip
        await wait_until(lambda: window.isVisible() and not window.isMinimized(), 20)
        await settles(lambda: windows(data), [{"pid": me, "background": False}])

        # With the window shown, another start opens a second window on the same engine.
        other = start_b24monitor(data)
        try:
            await settles(lambda: count(data), 2, within=60)
            assert await post(session.handler_url, make_delivery()) == 200
            await wait_until(lambda: window.model.rowCount() == 1, 20)
            other.send_signal(signal.SIGTERM)  # that window asks to stop: it only detaches
            code, out, err = await ended(other)
        finally:
            if other.poll() is None:
                other.kill()
        assert code == 0, err
        assert "Capture goes on for the other windows using the capture engine (1)" in err
        assert session.attached and alive(session.engine_pid or 0)
        assert await count(data) == 1
        assert await session.stop_engine() == 0  # the last window: capture stops


@pytest.mark.asyncio
@OFFSCREEN
async def test_sigterm_to_the_window_that_started_the_engine_leaves_it_to_the_other_window(
    data: Path, make_delivery: Callable[..., bytes], wait_until
) -> None:
    first = start_b24monitor(data)  # starts the engine
    try:
        await wait_until(lambda: engine_pid(data) not in (None, first.pid), 60)
        pid = engine_pid(data)
        await settles(lambda: count(data), 1, within=60)
        async with running_app(data, own_engine=True) as window:
            session = window.session
            assert isinstance(session, RemoteSession) and session.engine_pid == pid
            await settles(lambda: count(data), 2)
            first.send_signal(signal.SIGTERM)
            code, _, err = await ended(first)
            assert code == 0, err
            assert ("b24monitor: Capture goes on for the other windows using the capture "
                    "engine (1); this window only detached") in err.splitlines()  # fmt: skip
            assert pid is not None and alive(pid) and session.attached
            await settles(lambda: count(data), 1)
            assert await post(session.handler_url, make_delivery()) == 200
            await wait_until(lambda: window.model.rowCount() == 1, 20)
            # The last window's "stop capturing" stops the engine.
            window.close()
            assert window.close_question is not None
            window.close_question.stop.click()
        await wait_until(lambda: not alive(pid), 30)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()


@pytest.mark.asyncio
@OFFSCREEN
async def test_a_background_window_the_user_restores_is_no_longer_in_the_background(
    data: Path, wait_until
) -> None:
    async with running_app(data, own_engine=True) as window:
        session = window.session
        assert isinstance(session, RemoteSession)
        me = os.getpid()
        window.background = "tray"  # offscreen has no tray: kept minimised (see above)
        keep_in_background(window)
        await settles(lambda: windows(data), [{"pid": me, "background": True}])
        window.showNormal()  # the user restores it from the task bar
        await settles(lambda: windows(data), [{"pid": me, "background": False}])
        assert await session.stop_engine() == 0
