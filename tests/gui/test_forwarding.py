"""Forward, replay, copy as curl, compare and ping in the real MainWindow, against real servers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from aiohttp import web
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDialogButtonBox

from b24monitor.gui.app import open_settings, running_app
from b24monitor.gui.detail.diff_dialog import DiffDialog
from b24monitor.gui.detail.replay_menu import EDITED, TOKEN_STRIPPED, ReplayEditDialog
from b24monitor.gui.settings_dialog import SettingsDialog
from b24monitor.gui.settings_store import FORWARD_TO, GuiSettings
from b24monitor.sandbox import SandboxPortal
from b24monitor.services.profiles import Profile, ProfileStore
from b24monitor.services.secrets import open_secret_store
from tests.gui.test_main_window import post_all

Received = list[tuple[bytes, dict[str, str]]]


@asynccontextmanager
async def target_server() -> AsyncIterator[tuple[str, Received]]:
    """A developer's handler on 127.0.0.1: records each request, answers `ok <n>`."""
    received: Received = []

    async def handle(request: web.Request) -> web.Response:
        received.append((await request.read(), dict(request.headers)))
        return web.Response(text=f"ok {len(received)}")

    app = web.Application()
    app.router.add_post("/hook", handle)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}/hook", received
    finally:
        await runner.cleanup()


def set_forward(data: Path, routes: str) -> None:
    data.mkdir(parents=True, exist_ok=True)
    settings = open_settings(data)
    settings.setValue(FORWARD_TO, routes)
    settings.sync()


@pytest.mark.asyncio
async def test_forward_replay_variants_forwarding_tab_and_curl(
    tmp_path: Path, make_delivery: Callable[..., bytes], wait_until
) -> None:
    data = tmp_path / "data"
    async with target_server() as (url, received):
        set_forward(data, url)
        async with running_app(data) as window:
            body = make_delivery("ONCRMDEALUPDATE", {"FIELDS": {"ID": "3187"}})
            await post_all(window, [body])
            await wait_until(lambda: len(received) == 1)  # forwarded as it arrived
            assert received[0][0] == body
            window.table.selectRow(0)
            tab = window.commands.attempts
            await wait_until(lambda: tab.count == 1)
            assert tab.list.topLevelItem(0).text(1) == "forward"

            window.table.setFocus()
            QTest.keyClick(window.table, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
            await wait_until(lambda: len(received) == 2)
            assert received[1][0] == body  # byte for byte
            assert received[1][1]["X-B24Monitor-Replay"] == "as-recorded"
            await wait_until(lambda: tab.count == 2)

            window.commands.bar.replay_requested.emit(TOKEN_STRIPPED)
            await wait_until(lambda: len(received) == 3)
            assert b"application_token" not in received[2][0]
            token_pair = b"&auth%5Bapplication_token%5D=9e7d1c2b3a4f5e6d7c8b9a0f1e2d3c4b"
            assert received[2][0] == body.replace(token_pair, b"")
            await wait_until(lambda: tab.count == 3)
            tab.list.setCurrentItem(tab.list.topLevelItem(2))
            assert tab.list.topLevelItem(2).text(2) == "token-stripped"
            assert tab.list.topLevelItem(2).text(4) == "200"
            assert "ok 3" in tab.answer.toPlainText()

            window.commands.bar.replay_requested.emit(EDITED)
            await wait_until(lambda: bool(window.commands.dialogs))
            dialog = window.commands.dialogs[0]
            assert isinstance(dialog, ReplayEditDialog)
            dialog.edits.setPlainText("data.FIELDS.ID=5")
            dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
            await wait_until(lambda: len(received) == 4)
            assert b"data%5BFIELDS%5D%5BID%5D=5" in received[3][0]
            assert received[3][1]["X-B24Monitor-Replay"] == "edited"
            await wait_until(lambda: tab.count == 4)

            window.activateWindow()  # the edit dialog had the focus
            await wait_until(window.isActiveWindow)
            window.table.setFocus()
            QTest.keyClick(
                window.table, Qt.Key.Key_C,
                Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
            )  # fmt: skip
            curl = QGuiApplication.clipboard().text()
            assert curl.startswith(f"curl -sS {url}")
            assert "data%5BFIELDS%5D%5BID%5D=3187" in curl
            assert "9e7d1c2b3a4f5e6d7c8b9a0f1e2d3c4b" not in curl  # masked by default


@pytest.mark.asyncio
async def test_replay_without_target_says_so_and_compare_lists_changes(
    tmp_path: Path, make_delivery: Callable[..., bytes], wait_until
) -> None:
    async with running_app(tmp_path / "data") as window:
        await post_all(window, [
            make_delivery("ONCRMDEALUPDATE", {"FIELDS": {"ID": "7", "TITLE": "Old"}}),
            make_delivery("ONCRMDEALUPDATE", {"FIELDS": {"ID": "7", "TITLE": "New"}}),
        ])  # fmt: skip
        await wait_until(lambda: window.model.rowCount() == 2)
        window.table.selectRow(0)
        window.commands.replay_action.trigger()
        assert "No forward target" in window.status.currentMessage()

        window.table.selectAll()
        window.commands.compare_action.trigger()
        await wait_until(lambda: bool(window.commands.dialogs))
        dialog = window.commands.dialogs[0]
        assert isinstance(dialog, DiffDialog)
        assert [(c.path, c.kind) for c in dialog.changes] == [("data.FIELDS.TITLE", "changed")]
        assert dialog.changes_view.topLevelItem(0).text(1) == "data.FIELDS.TITLE"
        dialog.close()
        await wait_until(lambda: not window.commands.dialogs)

        window.table.clearSelection()
        window.table.selectRow(1)
        window.commands.compare_action.trigger()  # one row: its entity's previous delivery
        await wait_until(lambda: bool(window.commands.dialogs))
        again = window.commands.dialogs[0]
        assert isinstance(again, DiffDialog) and again.changes[0].new == "New"
        again.close()


@pytest.mark.asyncio
async def test_settings_forward_target_is_checked_and_builds_the_session(
    tmp_path: Path, qtbot
) -> None:
    settings = GuiSettings(QSettings(str(tmp_path / "gui.ini"), QSettings.Format.IniFormat))
    dialog = SettingsDialog(settings, tmp_path)
    qtbot.addWidget(dialog)
    dialog.forward_to.setText("ftp://nope")
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    assert "neither a URL nor PATTERN=URL" in dialog.error.text()
    assert settings.session_config(tmp_path).forward is None
    dialog.forward_to.setText("http://localhost:8000/  ONCRMDEAL*=http://localhost:9000/d")
    assert "Restart" in dialog.note.text()
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    routes = settings.session_config(tmp_path).forward
    assert routes is not None and routes.target_for("ONCRMDEALADD") == "http://localhost:9000/d"
    assert routes.target_for("ONTASKADD") == "http://localhost:8000/"


@pytest.mark.asyncio
async def test_ping_against_the_sandbox_shows_a_latency(tmp_path: Path, wait_until) -> None:
    data = tmp_path / "data"
    async with SandboxPortal(rate_limit=False, seed=3) as portal, running_app(data) as window:
        ping = window.commands.ping
        assert not ping.action.isEnabled() and "portal" in ping.action.toolTip()
        profiles = ProfileStore(data, open_secret_store())
        profiles.add(Profile("acme", "app", client_id=portal.client_id,
                             client_secret=portal.client_secret))  # fmt: skip
        await window.session_signals.switch_portal("acme")
        assert ping.action.isEnabled()
        await portal.install(window.session.handler_url)
        link = window.session.portal
        assert link is not None

        def ping_bound() -> bool:
            rows = link.report.rows if link.report is not None else ()
            return any(r.event == "ONAPPTEST" and r.state == "bound" for r in rows)

        await wait_until(ping_bound, 20)
        ping.action.trigger()
        await wait_until(lambda: "ms" in window.status.currentMessage(), 20)
        assert "ONAPPTEST arrived after" in window.status.currentMessage()
