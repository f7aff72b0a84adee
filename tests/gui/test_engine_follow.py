"""Every window follows the data dir's engine: through a restart by another window, a killed
engine, and a terminal's `listen` that the user stops (issue 14).

Real processes: the engines windows spawn (`listen --engine`), `b24monitor listen` as a user
runs it in a terminal (stopped with SIGINT, as Ctrl+C does), SIGKILL for a crash; real windows
offscreen in this process, real deliveries over loopback HTTP.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from b24monitor.gui.app import open_settings, running_app
from b24monitor.gui.main_window import MainWindow
from b24monitor.gui.settings_store import PORT
from b24monitor.services.engine_spawn import alive
from b24monitor.services.remote_session import RemoteSession
from tests.gui.engine_traffic import kill_after_acks, post, stored


@pytest.fixture(autouse=True)
def private_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def engines(data: Path) -> list[int]:
    """Every running `b24monitor … listen` process on `data` (a terminal's or a window's)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"listen" in argv and str(data).encode() in argv and alive(int(entry.name)):
            found.append(int(entry.name))
    return found


def lock_pid(data: Path) -> int | None:
    try:
        return int(json.loads((data / "engine.lock").read_text())["pid"])
    except (OSError, ValueError, KeyError):
        return None


@pytest.fixture
def data(tmp_path: Path) -> Iterator[Path]:
    """A data dir; every engine a failed test left running on it is killed."""
    folder = tmp_path / "data"
    folder.mkdir()
    yield folder
    for pid in engines(folder):
        os.kill(pid, signal.SIGKILL)


def remote(window: MainWindow) -> RemoteSession:
    session = window.session
    assert isinstance(session, RemoteSession)
    return session


@pytest.mark.asyncio
async def test_a_restart_in_one_window_is_followed_by_the_other(
    data: Path, make_delivery: Callable[..., bytes], wait_until
) -> None:
    settings = open_settings(data)
    settings.setValue(PORT, free_port())
    settings.sync()
    async with running_app(data) as first, running_app(data) as second:
        a, b = remote(first), remote(second)
        old = a.engine_pid
        assert old is not None and b.engine_pid == old
        assert second.restart_action.isVisible()  # any window of a window's engine may restart
        port = free_port()
        first.gui_settings.set(PORT, port)  # what the Settings dialog saves
        first._on_settings_dialog_applied([PORT])
        first.restart_action.trigger()
        await wait_until(lambda: "Capture restarted" in first.status.currentMessage(), 90)
        new = a.engine_pid
        assert new is not None and new != old and not alive(old)
        # The other window found the new engine by itself, and says what happened.
        await wait_until(lambda: b.attached and b.engine_pid == new, 60)
        assert second.status.alert.text() == "⚠ capture restarted"
        assert "Another window restarted the capture engine" in second.status.alert.toolTip()
        assert "stopped" not in second.status.currentMessage()
        assert b.local_url == a.local_url == f"http://127.0.0.1:{port}"
        await wait_until(
            lambda: second.status.receiver.text().startswith(f"receiver 127.0.0.1:{port}"), 20
        )
        assert second.asks_on_close and second.restart_action.isVisible()
        body = make_delivery("ONCRMDEALADD", {"FIELDS": {"ID": "7"}})
        assert await post(b.handler_url, body) == 200
        for window in (first, second):
            await wait_until(lambda w=window: w.model.rowCount() == 1, 20)
        assert engines(data) == [new]  # never two engines on the store
    await wait_until(lambda: not alive(new), 30)  # both windows asked to stop: the last did


@contextlib.asynccontextmanager
async def windows(data: Path, count: int) -> AsyncIterator[list[MainWindow]]:
    async with contextlib.AsyncExitStack() as stack:
        yield [await stack.enter_async_context(running_app(data)) for _ in range(count)]


@pytest.mark.asyncio
@pytest.mark.parametrize("starter", ["open", "closed"])
async def test_a_killed_engine_under_two_windows_comes_back_once_for_all(
    data: Path, make_delivery: Callable[..., bytes], wait_until, starter: str
) -> None:
    """One engine restarts (the data dir's engine lock decides whose), every window attaches
    to it on the same handler URL, and nothing acknowledged is lost."""
    async with contextlib.AsyncExitStack() as stack, contextlib.AsyncExitStack() as its_own:
        starting = await its_own.enter_async_context(running_app(data))
        others = await stack.enter_async_context(windows(data, 2))
        attached = others if starter == "closed" else [starting, *others]
        first, url = remote(starting).engine_pid, remote(starting).handler_url
        assert first is not None
        if starter == "closed":  # the window that started the engine went ("keep capturing")
            starting.close()
            assert starting.close_question is not None
            starting.close_question.keep.click()
            await its_own.aclose()
            assert not remote(starting).attached and alive(first)
        acknowledged = await kill_after_acks(url, first, make_delivery, acks=100, senders=4)
        sessions = [remote(w) for w in attached]
        await wait_until(
            lambda: all(s.attached and s.engine_pid not in (None, first) for s in sessions), 90
        )
        second = sessions[0].engine_pid
        assert second is not None and all(s.engine_pid == second for s in sessions)
        await wait_until(lambda: engines(data) == [second], 30)  # a racing engine gave up
        assert lock_pid(data) == second
        assert all(s.handler_url == url for s in sessions)  # Bitrix24's URL still works
        for window in attached:
            assert window.status.alert.text() == "⚠ capture engine restarted"
        assert [e for e in acknowledged if e not in stored(data)] == []
        body = make_delivery("ONCRMDEALADD", {"FIELDS": {"ID": "after"}})
        assert await post(url, body) == 200
        for window in attached:
            await wait_until(lambda w=window: w.model.rowCount() == len(stored(data)), 30)
        assert "after" in stored(data)
    await wait_until(lambda: engines(data) == [], 30)


def start_listen(data: Path) -> tuple[subprocess.Popen[str], dict[str, object]]:
    """`b24monitor listen --json` as a user runs it in a terminal; its first line."""
    process = subprocess.Popen(
        [sys.executable, "-m", "b24monitor", "--data-dir", str(data), "listen", "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    return process, json.loads(process.stdout.readline())


async def ctrl_c(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGINT)
    await asyncio.to_thread(process.communicate, timeout=60)
    assert process.returncode == 0


@pytest.mark.asyncio
async def test_a_stopped_listen_is_told_and_the_next_one_is_followed(
    data: Path, make_delivery: Callable[..., bytes], wait_until
) -> None:
    listen, _ = await asyncio.to_thread(start_listen, data)
    try:
        async with running_app(data) as window:
            session = remote(window)
            assert session.engine_pid == listen.pid and not window.restart_action.isVisible()
            await ctrl_c(listen)
            await wait_until(lambda: not session.attached, 20)
            assert window.status.alert.text() == "⚠ not receiving: capture engine stopped"
            assert "Portal → Start capturing" in window.status.currentMessage()
            assert window.start_action.isVisible() and not window.restart_action.isVisible()
            assert engines(data) == []  # the window started nothing by itself

            listen, first = await asyncio.to_thread(start_listen, data)  # the user starts it
            await wait_until(lambda: session.attached and session.engine_pid == listen.pid, 30)
            assert window.status.alert.text() == "⚠ receiving again"
            assert not window.start_action.isVisible() and not window.asks_on_close
            assert session.handler_url == first["handler_url"]
            body = make_delivery("ONCRMDEALADD", {"FIELDS": {"ID": "3"}})
            assert await post(session.handler_url, body) == 200
            await wait_until(lambda: window.model.rowCount() == 1, 20)
            window.close()  # a terminal's listen: closing only detaches
            assert window.close_question is None
        assert listen.poll() is None
    finally:
        if listen.poll() is None:
            await ctrl_c(listen)


@pytest.mark.asyncio
async def test_start_capturing_after_a_stopped_listen_runs_the_windows_own_engine(
    data: Path, make_delivery: Callable[..., bytes], wait_until
) -> None:
    listen, first = await asyncio.to_thread(start_listen, data)
    try:
        async with running_app(data) as window:
            session = remote(window)
            await ctrl_c(listen)
            await wait_until(window.start_action.isVisible, 20)
            window.start_action.trigger()
            await wait_until(lambda: session.attached and session.windows_engine, 60)
            own = session.engine_pid
            assert own is not None and own != listen.pid and engines(data) == [own]
            assert window.status.alert.text() == "⚠ receiving again"
            assert "This window's own capture engine runs now" in window.status.alert.toolTip()
            assert window.asks_on_close and window.restart_action.isVisible()
            assert not window.start_action.isVisible()
            assert session.handler_url == first["handler_url"]  # the listen's port and path
            body = make_delivery("ONTASKADD", {"FIELDS_AFTER": {"ID": "4"}})
            assert await post(session.handler_url, body) == 200
            await wait_until(lambda: window.model.rowCount() == 1, 20)
            # The terminal's listen, started again, is told who holds the data folder.
            again = await asyncio.to_thread(
                subprocess.run,
                [sys.executable, "-m", "b24monitor", "--data-dir", str(data), "listen"],
                capture_output=True, text=True, timeout=60,
            )  # fmt: skip
            assert again.returncode != 0
            assert f"is in use by the b24monitor engine (pid {own}," in again.stderr
            assert engines(data) == [own]
        await wait_until(lambda: not alive(own), 30)  # the window's own: closing stopped it
    finally:
        if listen.poll() is None:
            await ctrl_c(listen)
