"""Offline queue pane against the sandbox portal: list, safe consume, fetch-and-clear, flags."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox

from b24monitor.gui.offline.pane import POLL_MS, OfflinePane
from b24monitor.gui.session_signals import SessionSignals
from b24monitor.sandbox import SandboxPortal
from b24monitor.services.portal_link import PortalLink
from b24monitor.services.profiles import Profile, ProfileStore
from b24monitor.services.secrets import open_secret_store
from b24monitor.services.session import Session, SessionConfig

LEFT = Qt.MouseButton.LeftButton


@pytest.fixture(autouse=True)
def private_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


@asynccontextmanager
async def queue_pane(tmp_path: Path, qtbot, wait_until) -> AsyncIterator[
    tuple[SandboxPortal, PortalLink, OfflinePane]
]:  # fmt: skip
    """An installed app with ONCRMDEALADD bound offline, and the pane following it."""
    data = tmp_path / "data"
    async with SandboxPortal(rate_limit=False, seed=5) as portal:
        session = Session(SessionConfig(data_dir=data))
        await session.start()
        try:
            ProfileStore(data, open_secret_store()).add(
                Profile("acme", "app", portal.client_id, portal.client_secret)
            )
            signals = SessionSignals(session)
            pane = OfflinePane(signals)
            qtbot.addWidget(pane)
            pane.show()
            assert "No portal connected" in pane.status.text()
            await signals.switch_portal("acme")
            await portal.install(session.handler_url)
            link = session.portal
            assert link is not None
            await wait_until(lambda: link.profile.installed and pane.refresh_button.isEnabled())
            await link.set_wanted("ONCRMDEALADD", "offline", True)
            await wait_until(lambda: link.report.state_of("ONOFFLINEEVENT") == "bound")
            yield portal, link, pane
        finally:
            await session.stop()


async def fire_deals(portal: SandboxPortal, *ids: int) -> None:
    for deal in ids:
        await portal.fire("ONCRMDEALADD", {"FIELDS": {"ID": str(deal)}})


def select_rows(pane: OfflinePane, *rows: int) -> None:
    selection = pane.table.selectionModel()
    selection.clearSelection()
    flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    for row in rows:
        selection.select(pane.model.index(row, 0), flags)


@pytest.mark.asyncio
async def test_queue_refreshes_on_the_signal_and_safe_consume_clears_or_flags(
    tmp_path: Path, qtbot, qtmodeltester, wait_until
) -> None:
    async with queue_pane(tmp_path, qtbot, wait_until) as (portal, _link, pane):
        titles: list[str] = []
        pane.title_changed.connect(titles.append)
        assert pane.timer.isActive() and pane.timer.interval() == POLL_MS  # polling fallback
        await fire_deals(portal, 101, 102, 103)
        # ONOFFLINEEVENT arrives after the first row; the notices for the other two are
        # dropped by minTimeout, and the trailing read after the window picks them up.
        await wait_until(lambda: pane.model.rowCount() >= 1)
        assert pane.trailing.isActive()
        pane.trailing.setInterval(200)
        pane.trailing.start()
        await wait_until(lambda: pane.model.rowCount() == 3)
        qtmodeltester.check(pane.model)
        assert titles[-1] == "Offline queue (3)"
        assert [pane.model.index(r, 2).data() for r in range(3)] == ["ONCRMDEALADD"] * 3
        assert pane.model.index(0, 3).data() == "deal 101"
        assert len(str(pane.model.index(0, 5).data(Qt.ItemDataRole.ToolTipRole))) == 32

        # Consume safely: the rows are reserved and shown; one is flagged, the others cleared.
        QTest.mouseClick(pane.consume_button, LEFT)
        await wait_until(lambda: pane.bar.deciding)
        assert pane.rows.kind == "reserved" and pane.model.rowCount() == 3
        select_rows(pane, 1)
        QTest.mouseClick(pane.bar.flag, LEFT)
        await wait_until(lambda: "Cleared: 2, marked as error: 1" in pane.status.text())
        await wait_until(lambda: pane.rows.kind == "queue" and pane.model.rowCount() == 1)
        [errored] = pane.rows.records
        assert errored.error and pane.model.index(0, 3).data() == "deal 102"
        assert pane.model.index(0, 7).data() == "✖"

        # Errored only hides normal rows; put back flags everything reserved, deletes nothing.
        await fire_deals(portal, 104)  # inside minTimeout: no notice; the poll finds it
        pane.timer.timeout.emit()
        await wait_until(lambda: len(pane.rows.records) == 2)
        pane.errored.setChecked(True)
        assert pane.model.rowCount() == 1
        pane.errored.setChecked(False)
        QTest.mouseClick(pane.consume_button, LEFT)
        await wait_until(lambda: pane.bar.deciding)
        QTest.mouseClick(pane.bar.put_back, LEFT)
        await wait_until(lambda: "Put back" in pane.status.text())
        await wait_until(lambda: len(pane.rows.records) == 2 and pane.rows.errored_count == 2)


@pytest.mark.asyncio
async def test_fetch_and_clear_asks_first_and_mark_as_error_flags_reserved_rows(
    tmp_path: Path, qtbot, wait_until
) -> None:
    async with queue_pane(tmp_path, qtbot, wait_until) as (portal, link, pane):
        await fire_deals(portal, 201, 202)
        pane.timer.timeout.emit()  # the second row's notice falls inside minTimeout
        await wait_until(lambda: pane.model.rowCount() == 2)

        QTest.mouseClick(pane.fetch_button, LEFT)
        assert pane.confirm is not None and pane.confirm.isVisible()
        pane.confirm.button(QMessageBox.StandardButton.Cancel).click()
        assert pane.model.rowCount() == 2 and pane.rows.kind == "queue"  # nothing happened

        QTest.mouseClick(pane.fetch_button, LEFT)
        assert pane.confirm is not None
        pane.confirm.button(QMessageBox.StandardButton.Yes).click()
        await wait_until(lambda: "Cleared: 2," in pane.status.text())
        assert pane.rows.kind == "fetched" and pane.model.rowCount() == 2  # shown once
        assert await link.offline.list_all() == []

        # Rows reserved by another consumer carry a PROCESS_ID: those can be marked as error.
        await fire_deals(portal, 203)
        await link.client.call("event.offline.get", {"clear": 0, "limit": 10})
        pane.refresh()
        await wait_until(lambda: pane.rows.kind == "queue" and pane.model.rowCount() == 1)
        assert pane.rows.records[0].process_id and not pane.mark_button.isEnabled()
        select_rows(pane, 0)
        assert pane.mark_button.isEnabled()
        QTest.mouseClick(pane.mark_button, LEFT)
        await wait_until(lambda: pane.rows.errored_count == 1)
        assert not pane.rows.records[0].process_id  # flagged rows leave the reservation


@pytest.mark.asyncio
async def test_without_reservations_consume_safely_explains_and_fetch_still_works(
    tmp_path: Path, qtbot, wait_until
) -> None:
    async with queue_pane(tmp_path, qtbot, wait_until) as (portal, _link, pane):
        portal.state.app.features["rest_offline_extended"] = False
        await fire_deals(portal, 301)
        pane.timer.timeout.emit()
        await wait_until(lambda: pane.model.rowCount() == 1)
        QTest.mouseClick(pane.consume_button, LEFT)
        await wait_until(lambda: "cannot reserve rows" in pane.status.text())
        assert not pane.bar.deciding and pane.model.rowCount() == 1


@asynccontextmanager
async def developer_handler(statuses: dict[str, int]) -> AsyncIterator[tuple[str, list[str]]]:
    """The developer's own handler on loopback: answers by deal ID, records the row headers."""
    from aiohttp import web

    from b24monitor.core.phpform import parse_form

    seen: list[str] = []

    async def handle(request: web.Request) -> web.Response:
        form = parse_form(await request.read())
        seen.append(request.headers.get("X-B24Monitor-Offline-Row", ""))
        return web.Response(status=statuses.get(form["data"]["FIELDS"]["ID"], 200))

    app = web.Application()
    app.router.add_post("/mine", handle)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/mine", seen
    finally:
        await runner.cleanup()


@pytest.mark.asyncio
async def test_send_to_handler_clears_answered_rows_and_keeps_failing_ones(
    tmp_path: Path, qtbot, wait_until
) -> None:
    statuses = {"402": 500}
    async with (
        queue_pane(tmp_path, qtbot, wait_until) as (portal, link, pane),
        developer_handler(statuses) as (url, seen),
    ):
        await fire_deals(portal, 401, 402)
        pane.timer.timeout.emit()
        await wait_until(lambda: pane.model.rowCount() == 2)
        QTest.mouseClick(pane.send_button, LEFT)
        await wait_until(lambda: "handler's http://" in pane.status.text())  # no URL yet
        assert seen == []
        QTest.keyClicks(pane.handler_url, url)
        QTest.mouseClick(pane.send_button, LEFT)
        await wait_until(lambda: "Sent 2 rows" in pane.status.text())
        assert "1 cleared, 1 flagged (ONCRMDEALADD: HTTP 500)" in pane.status.text()
        assert len(seen) == 2 and all(len(message_id) == 32 for message_id in seen)
        await wait_until(lambda: pane.rows.kind == "queue" and pane.rows.errored_count == 1)

        # Reprocess the flagged row while the handler still fails: it stays in the queue.
        pane.errored.setChecked(True)
        QTest.mouseClick(pane.send_button, LEFT)
        await wait_until(lambda: "Sent 1 rows" in pane.status.text() and len(seen) == 3)
        await wait_until(lambda: len(pane.rows.records) == 1 and pane.rows.errored_count == 1)
        assert pane.rows.records[0].data["FIELDS"]["ID"] == "402"

        # The handler is fixed: the row that failed twice is sent again and cleared.
        statuses.clear()
        QTest.mouseClick(pane.send_button, LEFT)
        await wait_until(lambda: "Sent 1 rows" in pane.status.text() and len(seen) == 4)
        await wait_until(lambda: "0 flagged" in pane.status.text())
        assert await link.offline.list_all() == []
