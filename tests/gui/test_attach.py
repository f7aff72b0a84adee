"""The window attaches to the engine another process runs for its data dir (issue 14).

Real processes and sockets: `b24monitor listen` in a subprocess, the window's own control
channel, the sandbox portal over loopback HTTP; real widgets offscreen.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from PySide6.QtCore import Qt

from b24monitor.core.subscriptions import Subscription
from b24monitor.gui.app import running_app
from b24monitor.gui.main_window import MainWindow
from b24monitor.sandbox import SandboxPortal
from b24monitor.services.profiles import Profile, ProfileStore
from b24monitor.services.remote_session import RemoteSession
from b24monitor.services.secrets import open_secret_store
from b24monitor.services.session import Session
from b24monitor.services.subscriptions import DesiredStore
from tests.gui.subscription_rows import find

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture(autouse=True)
def private_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


@pytest.fixture
def listen(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], dict[str, object]]]:
    """`b24monitor listen --json` on tmp_path/data; its first line (local_url, …)."""
    data = tmp_path / "data"
    process = subprocess.Popen(
        [sys.executable, "-m", "b24monitor", "--data-dir", str(data), "listen", "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        first = json.loads(process.stdout.readline())
        yield process, first
    finally:
        process.terminate()
        process.wait(timeout=30)
        if process.stdout is not None:
            process.stdout.close()


async def post(window: MainWindow, body: bytes) -> int:
    async with httpx.AsyncClient() as client:
        answer = await client.post(window.session.handler_url, content=body, headers=FORM)
    return answer.status_code


@pytest.mark.asyncio
async def test_the_window_attaches_to_a_running_listen_and_shows_its_deliveries(
    tmp_path: Path, listen, make_delivery: Callable[..., bytes], wait_until
) -> None:
    process, first = listen
    async with running_app(tmp_path / "data") as window:
        session = window.session
        assert isinstance(session, RemoteSession)
        assert session.engine["pid"] == process.pid and session.engine["command"] == "listen"
        assert session.local_url == first["local_url"]
        assert f"pid {process.pid}" in window.windowTitle() and "listen" in window.windowTitle()
        address = str(first["local_url"]).removeprefix("http://")
        note = f"in b24monitor listen, pid {process.pid}"
        assert window.status.receiver.text() == f"receiver {address} ({note}) ✔"

        assert await post(window, make_delivery("ONCRMDEALADD", {"FIELDS": {"ID": "42"}})) == 200
        await wait_until(lambda: window.model.rowCount() == 1, 20)
        assert window.model.index(0, 2).data() == "deal 42"
        window.close()  # not ours to stop: no question, the listen goes on
        assert window.close_question is None and window.finished and not window.stop_capture
    assert process.poll() is None  # listen still runs after the window went
    async with httpx.AsyncClient() as client:
        body = make_delivery("ONTASKADD", {"FIELDS_AFTER": {"ID": "9"}})
        answer = await client.post(str(first["handler_url"]), content=body, headers=FORM)
    assert answer.status_code == 200


@pytest.mark.asyncio
async def test_the_window_tells_when_the_listen_it_attached_to_stops(
    tmp_path: Path, listen, wait_until
) -> None:
    process, _ = listen
    async with running_app(tmp_path / "data") as window:
        assert isinstance(window.session, RemoteSession)
        process.terminate()
        await wait_until(lambda: window.session.capture is None, 20)
        assert "capture engine stopped" in window.status.currentMessage()
        assert window.status.alert.text() == "⚠ not receiving: capture engine stopped"
        assert window.status.receiver.text() == "receiver stopped ✖"


@pytest.mark.asyncio
@pytest.mark.parametrize("own_engine", [False, True], ids=["in-process", "own-process"])
async def test_two_windows_on_one_data_dir_are_both_live(
    tmp_path: Path, make_delivery: Callable[..., bytes], wait_until, own_engine: bool
) -> None:
    data = tmp_path / "data"
    async with running_app(data, own_engine=own_engine) as first:
        # The first window runs the engine: in its own process, or a separate one.
        assert isinstance(first.session, RemoteSession if own_engine else Session)
        async with running_app(data, own_engine=own_engine) as second:
            assert isinstance(second.session, RemoteSession)  # the second attaches to it
            assert second.session.handler_url == first.session.handler_url
            if not own_engine:
                assert "another window" in second.windowTitle()
            else:
                assert second.session.engine_pid == first.session.engine_pid  # type: ignore[attr-defined]
            assert await post(second, make_delivery("ONCRMDEALADD", {"FIELDS": {"ID": "1"}})) == 200
            assert await post(first, make_delivery("ONCRMDEALADD", {"FIELDS": {"ID": "2"}})) == 200
            for window in (first, second):
                await wait_until(lambda w=window: w.model.rowCount() == 2, 20)
            assert {second.model.index(r, 2).data() for r in range(2)} == {"deal 1", "deal 2"}
            second.close()
            if own_engine:  # a window's engine: the user is asked, and keeps it capturing
                assert second.close_question is not None
                second.close_question.keep.click()
            assert second.finished and not second.stop_capture
        # The second window went; the first one's engine was never stopped by it.
        assert await post(first, make_delivery("ONTASKADD", {"FIELDS_AFTER": {"ID": "3"}})) == 200
        await wait_until(lambda: first.model.rowCount() == 3, 20)


@pytest.mark.asyncio
async def test_an_attached_window_switches_portal_and_ticks_through_the_engine(
    tmp_path: Path, wait_until
) -> None:
    """Switch portal, tick: intents reach the engine, which binds with its own tokens."""
    data = tmp_path / "data"
    async with SandboxPortal(rate_limit=False, seed=3, scopes=("crm",)) as portal:
        ProfileStore(data, open_secret_store()).add(
            Profile("acme", "app", portal.client_id, portal.client_secret)
        )
        async with running_app(data, own_engine=False) as first, running_app(data) as second:
            remote = second.session
            assert isinstance(remote, RemoteSession)
            await second.session_signals.switch_portal("acme")  # the intent, from the 2nd
            engine = first.session
            assert engine.portal is not None and engine.portal.profile_name == "acme"
            await wait_until(lambda: first.subscriptions.reason.text() != "", 10)
            # Approving in the browser: the URL carries the engine's OAuth state (spec §5.2).
            assert remote.portal is not None
            url = await remote.portal.authorization_url("acme.example", remote.handler_url)
            assert url == engine.portal.authorize_url("acme.example", engine.handler_url)
            await portal.install(engine.handler_url)
            pane = second.subscriptions
            await wait_until(lambda: pane.tree.isEnabled() and pane.model.rowCount() > 0, 20)

            online = find(pane.model, "ONCRMDEALADD", 1)
            pane.model.setData(online, Qt.CheckState.Checked.value, Qt.ItemDataRole.CheckStateRole)
            await wait_until(lambda: any(b.event == "ONCRMDEALADD" for b in portal.bindings()), 20)
            # The engine's report comes back to both windows.
            for window in (first, second):
                await wait_until(
                    lambda w=window: find(w.subscriptions.model, "ONCRMDEALADD", 1).data() == "✔",
                    20,
                )
            # The portal's REST answers reach the attached window through the engine only.
            assert remote.portal is not None
            rows = await remote.portal.client.call("event.get")
            assert any(r["event"] == "ONCRMDEALADD" for r in rows)
            # Ping from the attached window: the engine sends event.test and hears ONAPPTEST.
            second.commands.ping.action.trigger()
            await wait_until(lambda: "ONAPPTEST arrived" in second.status.currentMessage(), 30)


@pytest.mark.asyncio
async def test_an_attached_window_lists_a_long_offline_queue_page_by_page(
    tmp_path: Path, wait_until
) -> None:
    """More rows than one page of event.offline.list (50, spec §5.6): every page comes over."""
    data = tmp_path / "data"
    async with SandboxPortal(rate_limit=False, seed=5) as portal:
        ProfileStore(data, open_secret_store()).add(
            Profile("acme", "app", portal.client_id, portal.client_secret)
        )
        async with running_app(data, own_engine=False) as first, running_app(data) as second:
            await first.session_signals.switch_portal("acme")
            await portal.install(first.session.handler_url)
            link = first.session.portal
            assert link is not None
            await wait_until(lambda: link.profile.installed, 20)
            await link.set_wanted("ONCRMDEALADD", "offline", True)
            await wait_until(lambda: link.report.state_of("ONOFFLINEEVENT") == "bound", 20)
            for deal in range(1, 61):
                await portal.fire("ONCRMDEALADD", {"FIELDS": {"ID": str(deal)}})
            pane = second.offline
            await wait_until(lambda: pane.refresh_button.isEnabled(), 20)
            pane.refresh()
            await wait_until(lambda: pane.model.rowCount() == 60, 30)
            assert pane.model.index(59, 3).data() == "deal 60"


@pytest.mark.asyncio
async def test_catch_missed_switched_in_an_attached_window_is_done_by_the_engine(
    tmp_path: Path, wait_until
) -> None:
    data = tmp_path / "data"
    async with SandboxPortal(rate_limit=False, seed=4, scopes=("crm",)) as portal:
        ProfileStore(data, open_secret_store()).add(
            Profile("acme", "app", portal.client_id, portal.client_secret)
        )
        DesiredStore(data, "acme").set(Subscription("ONCRMDEALADD"), True)
        async with running_app(data, own_engine=False) as first, running_app(data) as second:
            await second.session_signals.switch_portal("acme")
            await portal.install(first.session.handler_url)
            twin = ("ONCRMDEALADD", True)  # the safety net's offline twin (on by default)
            await wait_until(lambda: twin in {(b.event, b.offline) for b in portal.bindings()}, 30)
            pane = second.subscriptions
            await wait_until(lambda: pane.catch_missed.isChecked(), 20)
            pane.catch_missed.click()  # off, in the attached window
            await wait_until(
                lambda: twin not in {(b.event, b.offline) for b in portal.bindings()}, 30
            )
            engine = first.session
            assert engine.guard is not None and engine.guard.safety_net is None  # type: ignore[attr-defined]
            for window in (first, second):  # the engine's notice reaches both
                await wait_until(lambda w=window: not w.subscriptions.catch_missed.isChecked(), 20)


@pytest.mark.asyncio
async def test_stray_requests_to_the_engine_show_in_the_attached_window(
    tmp_path: Path, listen, wait_until
) -> None:
    """Scanners hitting the engine's port outside the handler path are counted in the window."""
    _, first = listen
    async with running_app(tmp_path / "data") as window:
        assert isinstance(window.session, RemoteSession)
        assert window.status.stray.text() == "0 stray"
        async with httpx.AsyncClient() as client:
            for path in ("/wp-login.php", "/.env", "/"):
                answer = await client.get(f"{first['local_url']}{path}")
                assert answer.status_code == 404
        await wait_until(lambda: window.status.stray.text() == "3 stray", 20)
        assert "3 requests hit the receiver outside the handler path" in (
            window.status.stray.toolTip()
        )
