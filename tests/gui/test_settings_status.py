"""Settings (typed store, dialog, restart note, secret), tray notifications and status items."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QGuiApplication, QIcon

from b24monitor.gui import settings_store as keys
from b24monitor.gui.notifier import Notifier
from b24monitor.gui.session_signals import SessionSignals
from b24monitor.gui.settings_dialog import SAVED_FILTERS_KEY, SettingsDialog
from b24monitor.gui.settings_store import GuiSettings
from b24monitor.gui.status.portal_status import PortalStatus, TunnelItem
from b24monitor.gui.store_worker import StoreWorker
from b24monitor.sandbox import SandboxPortal
from b24monitor.services.profiles import Profile, ProfileStore
from b24monitor.services.secrets import open_secret_store
from b24monitor.services.session import Session
from b24monitor.services.store import EventStore
from b24monitor.services.tunnel import TunnelState, TunnelUsage

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture(autouse=True)
def private_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


def gui_settings(tmp_path: Path) -> GuiSettings:
    return GuiSettings(QSettings(str(tmp_path / "gui.ini"), QSettings.Format.IniFormat))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_dialog_saves_typed_values_the_secret_and_says_when_to_restart(
    tmp_path: Path, qtbot
) -> None:
    settings = gui_settings(tmp_path)
    assert (settings.port, settings.mask_by_default, settings.notify) == (0, True, False)
    assert settings.tunnel_mode == "none"
    dialog = SettingsDialog(settings, tmp_path / "data")
    qtbot.addWidget(dialog)
    assert dialog.note.text() == ""
    dialog.masking.setChecked(False)
    assert dialog.note.text() == ""  # masking applies at once
    dialog.port.setValue(8765)
    assert "Restart" in dialog.note.text()
    dialog.tunnel.setCurrentIndex(dialog.tunnel.findData("url"))
    dialog.public_url.setText("ftp://nope")
    dialog.buttons.accepted.emit()
    assert "must start with http" in dialog.error.text() and settings.port == 0  # not saved

    dialog.tunnel.setCurrentIndex(dialog.tunnel.findData("ngrok"))
    dialog.authtoken.setText("2abcTOKEN")
    dialog.region.setCurrentIndex(dialog.region.findData("eu"))
    changed: list[list[str]] = []
    dialog.applied.connect(changed.append)
    dialog.buttons.accepted.emit()
    assert keys.PORT in changed[0] and keys.NGROK_SECRET_KEY in changed[0]
    assert open_secret_store().load("@ngrok") == {"authtoken": "2abcTOKEN"}
    config = settings.session_config(tmp_path / "data")
    assert config.receiver.port == 8765 and not settings.mask_by_default
    assert (config.tunnel.mode, config.tunnel.authtoken, config.tunnel.region) == (
        "ngrok", "2abcTOKEN", "eu",
    )  # fmt: skip
    assert config.portal is None and config.retention.max_rows is None


def test_the_region_field_says_it_is_deprecated(tmp_path: Path, qtbot) -> None:
    # The agent picks the nearest region itself (README, `--ngrok-region`): the window says the
    # same where the user would otherwise pick one.
    dialog = SettingsDialog(gui_settings(tmp_path), tmp_path / "data")
    qtbot.addWidget(dialog)
    assert dialog.region.currentText() == "automatic"
    assert "Deprecated" in dialog.region.toolTip()


def test_the_hostile_budget_and_disk_guard_are_settings_the_session_uses(
    tmp_path: Path, qtbot
) -> None:
    settings = gui_settings(tmp_path)
    dialog = SettingsDialog(settings, tmp_path / "data")
    qtbot.addWidget(dialog)
    shown = (dialog.hostile_per_minute.value(), dialog.hostile_total_mb.value(),
             dialog.disk_warn.value(), dialog.disk_floor.value())  # fmt: skip
    assert shown == (200, 100, 1024, 100)  # the same defaults as listen's flags
    dialog.disk_warn.setValue(50)  # below the floor
    dialog.buttons.accepted.emit()
    assert "at least the free-space floor" in dialog.error.text()
    assert settings.disk_warn_mib == 1024  # nothing saved
    dialog.disk_warn.setValue(2048)
    dialog.disk_floor.setValue(500)
    dialog.hostile_per_minute.setValue(10)
    dialog.hostile_total_mb.setValue(3)
    assert "Restart" in dialog.note.text()
    dialog.buttons.accepted.emit()
    limits = settings.session_config(tmp_path / "data").limits
    assert (limits.hostile_per_minute, limits.hostile_total_bytes) == (10, 3_000_000)
    assert (limits.disk_warn_bytes, limits.disk_floor_bytes) == (2048 * 2**20, 500 * 2**20)


@pytest.mark.asyncio
async def test_a_matching_event_raises_one_notification_only_when_switched_on(
    tmp_path: Path, make_delivery: Callable[..., bytes], wait_until
) -> None:
    settings = gui_settings(tmp_path)
    settings.qsettings.setValue(SAVED_FILTERS_KEY, json.dumps({"deals": "event:ONCRMDEAL*"}))
    settings.set_notify_filters(["deals"])
    session = Session(settings.session_config(tmp_path / "data"))
    await session.start()
    worker = StoreWorker(session.db_path)
    await worker.open()
    try:
        notifier = Notifier(worker, settings, QIcon())
        session.committed.connect(notifier.note_committed)
        shown: list[tuple[str, str]] = []
        notifier.notified.connect(lambda title, text: shown.append((title, text)))
        heard: list[int] = []
        session.committed.connect(heard.extend)  # after the notifier's: it has seen what we have
        async with httpx.AsyncClient() as client:
            await client.post(session.handler_url, content=make_delivery("ONCRMDEALADD"),
                              headers=FORM)  # fmt: skip
            # The 200 comes before the front end hears of the batch: switch on only after it.
            await wait_until(lambda: heard)
            settings.set(keys.NOTIFY, True)
            for body in (make_delivery("ONTASKADD"), make_delivery("ONCRMDEALUPDATE")):
                await client.post(session.handler_url, content=body, headers=FORM)
        await wait_until(lambda: shown)
        assert shown == [("Filter “deals” matched", "ONCRMDEALUPDATE 3187")]
    finally:
        await worker.close()
        await session.stop()


@pytest.mark.asyncio
async def test_a_broken_capture_path_raises_a_tray_notification_even_with_matches_off(
    tmp_path: Path,
) -> None:
    settings = gui_settings(tmp_path)
    assert not settings.notify  # filter-match notifications are off by default
    worker = StoreWorker(tmp_path / "events.sqlite3")
    await worker.open()
    try:
        notifier = Notifier(worker, settings, QIcon())
        shown: list[tuple[str, str]] = []
        notifier.notified.connect(lambda title, text: shown.append((title, text)))
        notifier.note_notice({"type": "health", "state": "ok"})
        notifier.note_notice({"type": "tunnel", "state": "broken"})
        assert shown == []
        why = "the canary event did not arrive within 60 s: the public URL is not forwarding"
        notifier.note_notice({"type": "health", "state": "broken", "reason": why})
        assert shown == [("Events are not arriving", why)]
    finally:
        await worker.close()


@pytest.mark.asyncio
async def test_status_items_show_the_proven_url_the_token_and_where_bindings_point(
    tmp_path: Path, qtbot, wait_until
) -> None:
    settings = gui_settings(tmp_path)
    port = free_port()
    settings.set(keys.PORT, port)
    settings.set(keys.TUNNEL_MODE, "url")
    settings.set(keys.PUBLIC_URL, f"http://127.0.0.1:{port}")  # our own "public" route
    data = tmp_path / "data"
    async with SandboxPortal(rate_limit=False, seed=4) as portal:
        session = Session(settings.session_config(data))
        await session.start()
        try:
            signals = SessionSignals(session)
            status = PortalStatus(signals)
            for widget in status.widgets():
                qtbot.addWidget(widget)
            assert status.portal.text() == "no portal" and status.bindings.isHidden()
            await session.start_tunnel()
            await wait_until(lambda: "✔" in status.tunnel.label.text())
            assert status.tunnel.label.text() == f"tunnel http://127.0.0.1:{port} ✔"
            assert not status.tunnel.copy.isHidden()
            month = time.strftime("%Y-%m")
            assert (  # the month's requests through the tunnel (issue 17)
                f"requests through the tunnel in {month}: 1 sent by b24monitor itself (probes)"
                in status.tunnel.label.toolTip()
            )

            ProfileStore(data, open_secret_store()).add(
                Profile("acme", "app", portal.client_id, portal.client_secret)
            )
            await signals.switch_portal("acme")
            assert "not installed ⚠" in status.portal.text()
            await portal.install(session.handler_url)
            await wait_until(lambda: "token" in status.portal.text())
            assert status.portal.text().startswith(f"portal {portal.domain} · token 5")
            await wait_until(lambda: status.bindings.text() == "bindings point here ✔")
            assert status.app_settings.isHidden()  # installed with the URL in use now

            # The app's installation path points at an earlier tunnel's URL (spec §1.1).
            old = "https://old-tunnel.ngrok-free.app" + session.handler_path
            portal.edit_install_path(old)
            messages: list[str] = []
            signals.notice.connect(lambda n: messages.append(n.get("type", "")))
            await session.attach_portal()
            await wait_until(lambda: not status.app_settings.isHidden())
            assert "app_settings_stale" in messages
            assert old in status.app_settings.label.toolTip()
            status.app_settings.copy.click()
            assert QGuiApplication.clipboard().text() == session.handler_url
            # The administrator pastes it into the app's settings: the warning goes.
            portal.edit_install_path(QGuiApplication.clipboard().text())
            await session.attach_portal()
            await wait_until(lambda: status.app_settings.isHidden())
        finally:
            await session.stop()


def test_tunnel_item_shows_the_quota_warning(qtbot) -> None:
    item = TunnelItem()
    qtbot.addWidget(item)
    usage = TunnelUsage("2026-12", own_requests=40, deliveries=16_500, last_proof=None)
    warning = "16,540 requests went through the ngrok tunnel this month"
    item.show_state(TunnelState("reachable", "https://x.ngrok-free.app", None, warning, usage))
    tip = item.label.toolTip()
    assert "40 sent by b24monitor itself (probes), 16500 deliveries" in tip
    assert f"⚠ {warning}" in tip
    assert item.label.styleSheet() != ""  # shown as a warning although reachable


@pytest.mark.asyncio
async def test_the_queue_delay_threshold_set_in_the_dialog_is_what_the_window_checks(
    tmp_path: Path, qtbot, make_delivery: Callable[..., bytes], wait_until
) -> None:
    from b24monitor.gui.app import open_settings, running_app
    from b24monitor.gui.table.columns import COLUMNS

    data_dir = tmp_path / "data"
    data_dir.mkdir()
    settings = GuiSettings(open_settings(data_dir))
    assert settings.delay_threshold_s == 30
    dialog = SettingsDialog(settings, data_dir)
    qtbot.addWidget(dialog)
    dialog.delay_threshold.setValue(200)
    assert "Restart" in dialog.note.text()  # the capture thread reads it at start-up
    dialog.buttons.accepted.emit()
    settings.qsettings.sync()
    column = next(i for i, c in enumerate(COLUMNS) if c.key == "findings")
    async with running_app(data_dir) as window:
        now = int(time.time())
        async with httpx.AsyncClient() as client:
            for late in (120, 600):  # under and over 200 s
                body = make_delivery(ts=now - late)
                response = await client.post(window.session.handler_url, content=body, headers=FORM)
                assert response.status_code == 200
        await wait_until(lambda: window.model.rowCount() == 2)
        marks = [window.model.index(r, column).data() for r in range(2)]
        assert marks == ["", "1"]  # only the 600 s one is flagged
        store = EventStore(window.session.db_path)  # the engine may be another process
        try:
            flagged = store.fetch([1, 2], raw=False)
        finally:
            store.close()
        assert [[f.code for f in ev.findings] for ev in flagged] == [[], ["queue_delay"]]
