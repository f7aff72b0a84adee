"""The window's engine in its own process: it outlives the window, and a dead one is restarted.

Real processes: the window spawns `b24monitor listen --engine`; tests kill windows and engines
with SIGKILL and check what a user would: deliveries acknowledged, stored and shown.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
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


def engine_pid(data: Path) -> int | None:
    """The pid the data dir's engine lock names (None: no engine)."""
    try:
        return int(json.loads((data / "engine.lock").read_text())["pid"])
    except (OSError, ValueError, KeyError):
        return None


@pytest.fixture
def data(tmp_path: Path) -> Iterator[Path]:
    """A data dir whose receiver port is fixed (a restarted engine keeps its URL); any engine
    left running by a failed test is killed."""
    folder = tmp_path / "data"
    folder.mkdir()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = open_settings(folder)
    settings.setValue(PORT, port)
    settings.sync()
    yield folder
    pid = engine_pid(folder)
    if pid is not None and alive(pid):
        os.kill(pid, signal.SIGKILL)


def close_keeping_capture(window: MainWindow) -> None:
    window.close()
    question = window.close_question
    assert question is not None  # the window's own engine: the user chooses
    question.keep.click()
    assert window.finished and not window.stop_capture


@pytest.mark.asyncio
async def test_keep_capturing_leaves_the_engine_and_the_next_window_shows_what_came(
    data: Path, make_delivery: Callable[..., bytes], wait_until
) -> None:
    async with running_app(data, own_engine=True) as window:
        session = window.session
        assert isinstance(session, RemoteSession) and session.windows_engine
        pid = session.engine_pid
        assert pid is not None and pid != os.getpid() and engine_pid(data) == pid
        url = session.handler_url
        assert await post(url, make_delivery("ONCRMDEALADD", {"FIELDS": {"ID": "1"}})) == 200
        await wait_until(lambda: window.model.rowCount() == 1, 20)
        close_keeping_capture(window)
    assert alive(pid)  # the window went, capture did not
    assert await post(url, make_delivery("ONCRMDEALADD", {"FIELDS": {"ID": "2"}})) == 200

    async with running_app(data, own_engine=True) as window:
        assert isinstance(window.session, RemoteSession) and window.session.engine_pid == pid
        await wait_until(lambda: window.model.rowCount() == 2, 20)  # "2" arrived meanwhile
        window.close()
        question = window.close_question
        assert question is not None
        question.stop.click()
    await wait_until(lambda: not alive(pid), 30)  # stop capturing stops the engine
    await wait_until(lambda: engine_pid(data) is None, 10)


# The desktop app in its own process, as a user starts it; the test kills it with SIGKILL.
APP = """
import sys
from pathlib import Path
from PySide6.QtWidgets import QApplication
from b24monitor.gui.app import run

app = QApplication(sys.argv[:1])
sys.exit(run(Path(sys.argv[1]), own_engine=True))
"""


@pytest.mark.asyncio
async def test_a_killed_window_leaves_the_engine_acknowledging(
    data: Path, make_delivery: Callable[..., bytes], wait_until
) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    app = subprocess.Popen([sys.executable, "-c", APP, str(data)], env=env,  # noqa: ASYNC220
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        await wait_until(lambda: engine_pid(data) is not None and (data / "engine.sock").exists(),
                         60)  # fmt: skip
        pid = engine_pid(data)
        assert pid is not None and pid != app.pid
        app.kill()  # the window crashes
        app.wait(timeout=10)
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()
    port = open_settings(data).value(PORT)
    async with running_app(data, own_engine=True) as window:
        assert isinstance(window.session, RemoteSession) and window.session.engine_pid == pid
        url = window.session.handler_url
        assert url.startswith(f"http://127.0.0.1:{port}/")
        close_keeping_capture(window)
    assert alive(pid)
    assert await post(url, make_delivery("ONTASKADD", {"FIELDS_AFTER": {"ID": "5"}})) == 200
    async with running_app(data, own_engine=True) as window:
        await wait_until(lambda: window.model.rowCount() == 1, 20)
        assert window.model.index(0, 2).data() == "task 5"
        await window.session.stop_engine()  # type: ignore[attr-defined]
    await wait_until(lambda: not alive(pid), 30)


@pytest.mark.asyncio
async def test_a_killed_engine_is_restarted_and_no_acknowledged_event_is_lost(
    data: Path, make_delivery: Callable[..., bytes], wait_until
) -> None:
    async with running_app(data, own_engine=True) as window:
        session = window.session
        assert isinstance(session, RemoteSession)
        first_pid = session.engine_pid
        assert first_pid is not None
        url = session.handler_url
        acknowledged = await kill_after_acks(url, first_pid, make_delivery, acks=200, senders=6)
        await wait_until(lambda: session.attached and session.engine_pid != first_pid, 60)
        assert "started again" in window.status.currentMessage()
        assert window.status.alert.text() == "⚠ capture engine restarted"
        assert "no acknowledged event is lost" in window.status.alert.toolTip()
        assert session.handler_url == url  # same port and path: Bitrix24's URL still works
        assert [e for e in acknowledged if e not in stored(data)] == []
        await wait_until(lambda: window.model.rowCount() == len(stored(data)), 30)

        body = make_delivery("ONCRMDEALADD", {"FIELDS": {"ID": "after"}})
        assert await post(url, body) == 200
        await wait_until(lambda: window.model.rowCount() == len(stored(data)), 20)
        assert "after" in stored(data)
        second_pid = session.engine_pid
        await session.stop_engine()
    assert second_pid is not None
    await wait_until(lambda: not alive(second_pid), 30)


@pytest.mark.asyncio
async def test_restart_capture_applies_saved_settings_to_the_engine(
    data: Path, make_delivery: Callable[..., bytes], wait_until
) -> None:
    async with running_app(data, own_engine=True) as window:
        session = window.session
        assert isinstance(session, RemoteSession) and window.restart_action.isVisible()
        first_pid = session.engine_pid
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        window.gui_settings.set(PORT, port)  # what the Settings dialog saves
        window._on_settings_dialog_applied([PORT])
        assert "Restart capture" in window.status.currentMessage()
        window.restart_action.trigger()
        await wait_until(lambda: "Capture restarted" in window.status.currentMessage(), 60)
        assert session.attached and session.engine_pid != first_pid
        assert first_pid is not None and not alive(first_pid)
        assert session.local_url == f"http://127.0.0.1:{port}"
        assert window.status.receiver.text().startswith(f"receiver 127.0.0.1:{port}")
        body = make_delivery("ONCRMDEALADD", {"FIELDS": {"ID": "9"}})
        assert await post(session.handler_url, body) == 200
        await wait_until(lambda: window.model.rowCount() == 1, 20)
        second = session.engine_pid
        await session.stop_engine()
    assert second is not None and not alive(second)  # stop_engine waits for the process


@pytest.fixture
def any_port(tmp_path: Path) -> Iterator[Path]:
    """A data dir with no port fixed in Settings (the default: any free port)."""
    folder = tmp_path / "data"
    yield folder
    pid = engine_pid(folder)
    if pid is not None and alive(pid):
        os.kill(pid, signal.SIGKILL)


def bound(sock: socket.socket, port: int) -> bool:
    try:
        sock.bind(("127.0.0.1", port))
    except OSError:
        return False
    return True


@pytest.mark.asyncio
async def test_a_killed_engine_comes_back_on_its_port_when_none_is_fixed(
    any_port: Path, make_delivery: Callable[..., bytes], wait_until
) -> None:
    """The user's URL or tunnel points at the engine's port: the new engine takes it again."""
    async with running_app(any_port, own_engine=True) as window:
        session = window.session
        assert isinstance(session, RemoteSession)
        first, url = session.engine_pid, session.handler_url
        assert first is not None and open_settings(any_port).value(PORT) is None
        os.kill(first, signal.SIGKILL)
        await wait_until(lambda: session.attached and session.engine_pid != first, 60)
        assert session.handler_url == url
        assert window.status.alert.text() == "⚠ capture engine restarted"
        assert await post(url, make_delivery("ONCRMDEALADD", {"FIELDS": {"ID": "1"}})) == 200
        await wait_until(lambda: window.model.rowCount() == 1, 20)
        await session.stop_engine()


@pytest.mark.asyncio
async def test_a_restarted_engine_whose_port_was_taken_says_where_it_receives_now(
    any_port: Path, make_delivery: Callable[..., bytes], wait_until
) -> None:
    async with running_app(any_port, own_engine=True) as window:
        session = window.session
        assert isinstance(session, RemoteSession)
        first, local = session.engine_pid, session.local_url
        port = int(local.rsplit(":", 1)[1])
        assert first is not None
        with socket.socket() as squatter:
            squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            os.kill(first, signal.SIGKILL)
            # Another program takes the port the moment the dead engine's socket is gone.
            await wait_until(lambda: bound(squatter, port), 10)
            squatter.listen()
            await wait_until(lambda: session.attached and session.engine_pid != first, 60)
            assert session.local_url != local
            moved = "⚠ receiver moved to another port"
            await wait_until(lambda: window.status.alert.text() == moved, 20)
            told = window.status.alert.toolTip()
            assert told.startswith(f"Port {port} could not be used again (")
            assert f"now receives at {session.local_url}: point your URL or tunnel there" in told
            assert told in window.status.currentMessage()
            assert window.status.receiver.text().startswith(
                f"receiver {session.local_url.removeprefix('http://')}"
            )
            body = make_delivery("ONCRMDEALADD", {"FIELDS": {"ID": "2"}})
            assert await post(session.handler_url, body) == 200
            await wait_until(lambda: window.model.rowCount() == 1, 20)
        await session.stop_engine()
