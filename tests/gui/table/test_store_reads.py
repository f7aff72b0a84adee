"""No SQL on the GUI thread: every statement of a live session is traced with the thread it ran on.

A trace callback on every SQLite connection the app opens (the `sql_log` fixture) records the
thread of each statement while the real window runs under live load: rows arrive, a filter is
applied, rows are painted, an event is shown in the detail pane, pinned, a saved filter
raises a notification, the Stats tab and the grouped view load. The GUI thread must not appear
once.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from b24monitor.core.filters import parse
from b24monitor.gui import settings_store as keys
from b24monitor.gui.app import open_settings, running_app
from b24monitor.gui.settings_dialog import SAVED_FILTERS_KEY
from b24monitor.gui.settings_store import GuiSettings

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.mark.asyncio
async def test_no_sql_runs_on_the_gui_thread_under_live_load(
    tmp_path: Path, make_delivery: Callable[..., bytes], sql_log: Any, wait_until
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    settings = GuiSettings(open_settings(data))
    settings.qsettings.setValue(SAVED_FILTERS_KEY, json.dumps({"deals": "event:ONCRMDEAL*"}))
    settings.set_notify_filters(["deals"])
    settings.set(keys.NOTIFY, True)
    settings.qsettings.sync()
    log = sql_log
    log.seen.clear()
    gui_thread = threading.get_ident()
    async with running_app(data) as window:
        shown: list[str] = []
        window.notifier.notified.connect(lambda title, text: shown.append(text))
        async with httpx.AsyncClient() as client:
            for number in range(60):
                code = ("ONCRMDEALADD", "ONTASKADD", "ONCRMLEADUPDATE")[number % 3]
                body = make_delivery(code, {"FIELDS": {"ID": str(100 + number)}})
                reply = await client.post(window.session.handler_url, content=body, headers=FORM)
                assert reply.status_code == 200
        await wait_until(lambda: window.model.rowCount() == 60)
        window.grab()  # paint every visible row
        await wait_until(lambda: window.model.index(0, 2).data() != "")
        await window.events.apply_filter(parse("event:ONCRMDEAL*"))
        assert window.model.rowCount() == 20
        window.model.cache.clear()  # rows must be read again: the painter asks for pages
        window.grab()
        await wait_until(lambda: window.model.index(0, 2).data() == "deal 100")
        window.table.setFocus()
        window.table.selectRow(0)
        await wait_until(lambda: window.detail.shown_event is not None)
        QTest.keyClick(window.table, Qt.Key.Key_P)  # pin: a write, on the store worker
        await wait_until(lambda: window.model.index(0, 0).data(Qt.ItemDataRole.FontRole))
        await wait_until(lambda: shown)
        window.group_action.trigger()  # group by object: groups, then one group's deliveries
        await wait_until(lambda: window.grouped.loaded >= 1 and window.grouped.topLevelItemCount())
        window.grouped.topLevelItem(0).setExpanded(True)
        await wait_until(lambda: window.grouped.topLevelItem(0).childCount() > 0)
        window.events_tabs.setCurrentWidget(window.stats_panel)  # the Stats tab reads figures
        await wait_until(lambda: window.stats_panel.loaded >= 1)
        assert log.seen, "the trace recorded nothing: the wrapper is not installed"
        assert log.on(gui_thread) == []
    assert log.on(gui_thread) == []  # nor while the window and the session stop
