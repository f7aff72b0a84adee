"""End to end: the real MainWindow on a real Session; deliveries POSTed over loopback HTTP."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest

from b24monitor.gui.app import running_app
from b24monitor.gui.detail.payload_tree import VALUE_ROLE
from b24monitor.gui.export.job import ExportRequest
from b24monitor.gui.main_window import MainWindow
from b24monitor.gui.setup_check import CheckSetupDialog
from b24monitor.services.store import EventStore

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def read(db: Path, query: Callable[[EventStore], object]) -> object:
    """One query on a connection of its own (the engine may be another process)."""
    store = EventStore(db)
    try:
        return query(store)
    finally:
        store.close()


async def post_all(window: MainWindow, bodies: list[bytes]) -> None:
    async with httpx.AsyncClient() as client:
        for body in bodies:
            response = await client.post(window.session.handler_url, content=body, headers=FORM)
            assert response.status_code == 200


def deliveries(make: Callable[..., bytes]) -> list[bytes]:
    return [
        make("ONCRMDEALADD", {"FIELDS": {"ID": "3187"}}),
        make("ONTASKADD", {"FIELDS_AFTER": {"ID": "905"}}),
        make("ONCRMDEALUPDATE", {"FIELDS": {"ID": "3188"}}),
        make("ONCRMCONTACTADD", {"FIELDS": {"ID": "221"}}, user_id=None),
    ]


@pytest.mark.asyncio
async def test_deliveries_filter_detail_copy_export_and_delete_with_undo(
    tmp_path: Path, make_delivery: Callable[..., bytes], wait_until
) -> None:
    async with running_app(tmp_path / "data") as window:
        window.deletion.undo_seconds = 0.3
        await post_all(window, deliveries(make_delivery))
        await wait_until(lambda: window.model.rowCount() == 4)
        assert window.model.index(0, 2).data() == "deal 3187"

        window.filter_bar.set_expression("event:ONCRMDEAL*")
        await wait_until(lambda: window.model.rowCount() == 2)
        window.table.selectRow(1)
        await wait_until(lambda: window.detail.shown_event is not None)
        assert window.detail.code.text() == "ONCRMDEALUPDATE"
        item = window.detail.tree.find_path("data.FIELDS.ID")
        assert item is not None and item.index().data(VALUE_ROLE) == "3188"

        QTest.keyClick(window.table, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
        copied = json.loads(QGuiApplication.clipboard().text())
        assert copied["data"]["FIELDS"]["ID"] == "3188"
        assert copied["auth"]["application_token"].startswith("9e7d…")  # masked by default

        window.export_action.trigger()
        dialog = window.export_dialog
        assert dialog is not None
        target = tmp_path / "out.jsonl"
        request = ExportRequest(target, "jsonl", ids=dialog.request().ids)
        assert await dialog.run(request) == 2
        lines = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
        assert [r["entity_id"] for r in lines] == ["3187", "3188"]
        assert "9e7d1c2b3a4f" not in target.read_text(encoding="utf-8")
        assert not (tmp_path / "out.jsonl.part").exists()
        dialog.close()

        window.table.setFocus()
        QTest.keyClick(window.table, Qt.Key.Key_Delete)
        assert window.model.rowCount() == 1 and window.undo_bar.isVisibleTo(window)
        QTest.mouseClick(window.undo_bar.button, Qt.MouseButton.LeftButton)
        assert window.model.rowCount() == 2
        window.table.selectRow(0)
        QTest.keyClick(window.table, Qt.Key.Key_Delete)
        db = window.session.db_path  # what is stored, as another reader sees it
        await wait_until(lambda: read(db, lambda store: store.count()) == 3, 5)
        assert read(db, lambda store: store.get(1)) is None and window.model.rowCount() == 1


@pytest.mark.asyncio
async def test_keys_live_pause_pin_help_and_filter_errors(
    tmp_path: Path, make_delivery: Callable[..., bytes], wait_until
) -> None:
    async with running_app(tmp_path / "data") as window:
        await post_all(window, deliveries(make_delivery)[:2])
        await wait_until(lambda: window.model.rowCount() == 2)
        table = window.table
        table.setFocus()
        QTest.keyClick(table, Qt.Key.Key_Space)
        assert window.events.paused and "Paused" in window.live.text()
        await post_all(window, deliveries(make_delivery)[2:])
        await wait_until(lambda: "+2" in window.live.text())
        assert window.model.rowCount() == 2
        QTest.keyClick(table, Qt.Key.Key_Space)
        assert window.model.rowCount() == 4 and "Live" in window.live.text()

        table.selectRow(0)
        QTest.keyClick(table, Qt.Key.Key_J)
        assert table.currentIndex().row() == 1
        QTest.keyClick(table, Qt.Key.Key_P)
        db = window.session.db_path
        await wait_until(lambda: read(db, lambda store: (ev := store.get(2)) and ev.pinned))
        await wait_until(lambda: window.model.row(1).pinned)

        QTest.keyClick(
            table,
            Qt.Key.Key_Question,
            Qt.KeyboardModifier.ShiftModifier,
        )
        assert window.help.isVisible()
        QTest.keyClick(window.help, Qt.Key.Key_Escape)
        assert not window.help.isVisible()

        window.filter_bar.focus()
        QTest.keyClicks(window.filter_bar.edit, "evnt:ONCRM*")
        QTest.keyClick(window.filter_bar.edit, Qt.Key.Key_Return)
        assert window.filter_bar.error.isVisibleTo(window)
        error = window.filter_bar.error.text()
        assert "Column 1" in error and "did you mean 'event'" in error
        assert window.model.rowCount() == 4  # the faulty filter changed nothing
        QTest.keyClick(window.filter_bar.edit, Qt.Key.Key_Escape)
        assert table.hasFocus()
        QTest.keyClick(table, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
        assert window.model.rowCount() == 0 and read(db, lambda store: store.count()) == 4


@pytest.mark.asyncio
async def test_findings_column_checks_tab_and_a_loop_alert_in_the_status_bar(
    tmp_path: Path, make_delivery: Callable[..., bytes], wait_until
) -> None:
    from b24monitor.core.traffic_patterns import Alert
    from b24monitor.gui.table.columns import COLUMNS

    column = next(i for i, c in enumerate(COLUMNS) if c.key == "findings")
    async with running_app(tmp_path / "data") as window:
        await post_all(window, [make_delivery(user_id=None), make_delivery(ts=2**31)])
        await wait_until(lambda: window.model.rowCount() == 2)
        assert window.model.index(0, column).data() == "2"  # no access token, late ts (2025)
        assert window.model.index(1, column).data() == ""
        window.table.selectRow(0)
        await wait_until(lambda: window.detail.shown_event is not None)
        tabs = window.detail.tabs
        assert tabs.tabText(tabs.indexOf(window.detail.checks)) == "Checks ⚠2"

        window.session.alerts.emit(Alert("loop", "ONCRMDEALUPDATE", 5, "3187", reason="forwarded"))
        assert window.status.alert.isVisible()
        assert window.status.alert.text() == "⚠ loop: ONCRMDEALUPDATE 3187 updated 5× in 30 s"
        assert "compare FIELDS" in window.status.alert.toolTip()


@pytest.mark.asyncio
async def test_stats_tab_shows_figures_for_the_filter(
    tmp_path: Path, make_delivery: Callable[..., bytes], wait_until
) -> None:
    async with running_app(tmp_path / "data") as window:
        await post_all(window, deliveries(make_delivery))
        await wait_until(lambda: window.model.rowCount() == 4)
        panel = window.stats_panel
        window.events_tabs.setCurrentWidget(panel)
        await wait_until(lambda: panel.loaded >= 1 and panel.table.rowCount() == 4)
        rows = {panel.table.item(r, 0).text(): panel.table.item(r, 1).text() for r in range(4)}
        assert rows["ONCRMDEALADD"] == "1" and rows["ONTASKADD"] == "1"
        assert sum(panel.chart.counts) == 4
        loaded = panel.loaded
        window.filter_bar.set_expression("event:ONCRMDEAL*")
        await wait_until(lambda: panel.loaded > loaded and panel.table.rowCount() == 2)
        assert "2 events of 2 codes" in panel.summary.text()


@pytest.mark.asyncio
async def test_group_by_object_shows_one_row_per_object_and_its_deliveries(
    tmp_path: Path, make_delivery: Callable[..., bytes], wait_until
) -> None:
    from b24monitor.gui.table.groups import EVENT_ID_ROLE

    async with running_app(tmp_path / "data") as window:
        bodies = [make_delivery(data={"FIELDS": {"ID": "3187"}}, ts=1764338592 + i)
                  for i in range(3)] + [make_delivery(data={"FIELDS": {"ID": "42"}})]  # fmt: skip
        await post_all(window, bodies)
        await wait_until(lambda: window.model.rowCount() == 4)
        window.group_action.trigger()
        grouped = window.grouped
        await wait_until(lambda: grouped.loaded >= 1 and grouped.topLevelItemCount() == 2)
        titles = {grouped.topLevelItem(i).text(0) for i in range(2)}
        assert "deal 3187 · ONCRMDEALUPDATE ×3 in 0 s" in titles
        assert "deal 42 · ONCRMDEALUPDATE ×1" in titles
        item = next(grouped.topLevelItem(i) for i in range(2)
                    if grouped.topLevelItem(i).text(1) == "3")  # fmt: skip
        item.setExpanded(True)
        await wait_until(lambda: item.childCount() == 3)
        assert [item.child(i).data(0, EVENT_ID_ROLE) for i in range(3)] == [3, 2, 1]
        grouped.setCurrentItem(item.child(1))
        await wait_until(lambda: window.detail.shown_event is not None)
        assert window.detail.shown_event.id == 2
        window.group_action.trigger()
        assert window.table_stack.currentWidget() is window.table


@pytest.mark.asyncio
async def test_check_setup_without_a_portal_says_what_to_do(tmp_path: Path, wait_until) -> None:
    async with running_app(tmp_path / "data") as window:
        window.check_setup_action.trigger()
        dialog = window.findChild(CheckSetupDialog)
        assert dialog is not None and dialog.isVisible()
        await wait_until(lambda: dialog.again.isEnabled())
        [(level, check, text)] = dialog.rows()
        assert (level, check) == ("fail", "profile") and "Connect a portal" in text
        assert "1 check(s) failed" in dialog.summary.text()
        dialog.close()


@pytest.mark.asyncio
async def test_a_loop_alert_flags_the_rows_already_shown(
    tmp_path: Path, make_delivery: Callable[..., bytes], wait_until
) -> None:
    import asyncio
    import time

    from b24monitor.gui.table.columns import COLUMNS

    column = next(i for i, c in enumerate(COLUMNS) if c.key == "findings")
    async with running_app(tmp_path / "data") as window:
        for n in range(5):  # a program updating deal 3190 at a steady rhythm: a loop
            body = make_delivery(data={"FIELDS": {"ID": "3190"}}, ts=int(time.time()))
            await post_all(window, [body])
            await wait_until(lambda n=n: window.model.rowCount() == n + 1)
            if n < 4:
                await asyncio.sleep(1.1)  # the rhythm itself (a new ts each time), not a wait
        await wait_until(lambda: window.status.alert.isVisible())
        # The first four rows were shown before the fifth made it a loop: they get the flag too.
        await wait_until(lambda: all(window.model.index(r, column).data() == "1" for r in range(5)))
