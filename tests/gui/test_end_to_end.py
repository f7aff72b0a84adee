"""A new user's first session: the real MainWindow against the sandbox portal over loopback.

Welcome → "Try without a portal" → wizard → install → ticks in the subscriptions dock → the
sandbox fires → rows → filter → detail → entity link → export (jsonl) → untick → unbound.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QObject, QPointF, Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices, QMouseEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWizard

from b24monitor.gui.about_dialog import AboutDialog
from b24monitor.gui.app import running_app
from b24monitor.gui.connect.wizard import DONE, ConnectWizard
from b24monitor.gui.detail.payload_tree import VALUE_ROLE
from b24monitor.gui.export.job import ExportRequest
from b24monitor.gui.main_window import MainWindow
from b24monitor.gui.setup_check import CheckSetupDialog
from b24monitor.gui.subscriptions.model import ONLINE
from b24monitor.gui.table.columns import ENTITY_COLUMN
from b24monitor.sandbox import SandboxPortal
from tests.gui.subscription_rows import find

TICKED = ("ONCRMCOMPANYADD", "ONCRMLEADUPDATE", "ONCRMCONTACTUPDATE")
ROLE = Qt.ItemDataRole


@pytest.fixture(autouse=True)
def private_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


class UrlSink(QObject):
    """Stands in for the browser: Qt hands it the URLs QDesktopServices.openUrl gets."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    @Slot(QUrl)
    def handle(self, url: QUrl) -> None:
        self.urls.append(url.toString())


@pytest.fixture
def browser() -> Iterator[UrlSink]:
    sink = UrlSink()
    for scheme in ("http", "file"):
        QDesktopServices.setUrlHandler(scheme, sink, "handle")  # type: ignore[arg-type]
    try:
        yield sink
    finally:
        for scheme in ("http", "file"):
            QDesktopServices.unsetUrlHandler(scheme)


def tick(window: MainWindow, code: str, wanted: bool) -> None:
    """What a click on the online box does: setData on the view's (proxy) model."""
    pane = window.subscriptions
    index = pane.proxy.mapFromSource(find(pane.model, code, ONLINE))
    state = Qt.CheckState.Checked if wanted else Qt.CheckState.Unchecked
    pane.tree.model().setData(index, state.value, ROLE.CheckStateRole)


def bound(portal: SandboxPortal) -> set[str]:
    return {b.event for b in portal.bindings() if not b.offline}


@pytest.mark.asyncio
async def test_a_new_user_tries_the_sandbox_from_welcome_to_export(
    tmp_path: Path, browser: UrlSink, wait_until
) -> None:
    data = tmp_path / "data"
    async with running_app(data) as window:
        assert window.welcome.isVisibleTo(window)
        assert "local only" in window.status.handler.text()  # no portal: Bitrix24 needs a tunnel
        QTest.mouseClick(window.welcome.buttons["demo"], Qt.MouseButton.LeftButton)
        wizard = window.findChild(ConnectWizard)
        assert wizard is not None and wizard.isVisible()
        wizard.next()
        await wait_until(lambda: wizard.currentId() == DONE, 20)
        wizard.button(QWizard.WizardButton.FinishButton).click()
        portal = window.demos[0].portal
        assert not window.welcome.isVisibleTo(window)
        # The sandbox runs on this machine: a local handler URL is fine, not a warning.
        await wait_until(lambda: "local portal" in window.status.handler.text())
        assert "local only" not in window.status.handler.text()
        assert window.status.handler.styleSheet() == ""

        pane = window.subscriptions
        await wait_until(lambda: pane.tree.isEnabled() and pane.model.rowCount() > 0, 15)
        for code in TICKED:
            tick(window, code, True)
        await wait_until(lambda: set(TICKED) <= bound(portal), 15)
        await wait_until(lambda: find(pane.model, TICKED[0], ONLINE).data() == "✔")

        await portal.fire("ONCRMCOMPANYADD", {"FIELDS": {"ID": "4242"}}, user_id=3)
        await portal.fire("ONCRMLEADUPDATE", {"FIELDS": {"ID": "77"}})
        await wait_until(lambda: window.model.rowCount() >= 3)  # the install, our two, traffic

        window.filter_bar.focus()
        QTest.keyClicks(window.filter_bar.edit, "event:ONCRMCOMPANYADD id:4242")
        QTest.keyClick(window.filter_bar.edit, Qt.Key.Key_Return)
        await wait_until(lambda: window.model.rowCount() == 1)
        window.table.setFocus()
        window.table.selectRow(0)
        await wait_until(lambda: window.detail.shown_event is not None)
        item = window.detail.tree.find_path("data.FIELDS.ID")
        assert item is not None and item.index().data(VALUE_ROLE) == "4242"

        # The entity is a link to the record's page in the portal: cell click, Ctrl+O, button.
        page = f"http://{portal.domain}/crm/company/details/4242/"
        cell = window.model.index(0, ENTITY_COLUMN)
        assert cell.data() == "company 4242" and cell.data(ROLE.FontRole).underline()
        where = window.table.visualRect(cell).center()
        # QTest.mouseMove spins a nested event loop, which loses qasync wake-ups: send the move.
        viewport = window.table.viewport()
        move = QMouseEvent(
            QEvent.Type.MouseMove, QPointF(where), QPointF(viewport.mapToGlobal(where)),
            Qt.MouseButton.NoButton, Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
        )  # fmt: skip
        QApplication.sendEvent(viewport, move)
        assert window.table.viewport().cursor().shape() == Qt.CursorShape.PointingHandCursor
        QTest.mouseClick(window.table.viewport(), Qt.MouseButton.LeftButton, pos=where)
        QTest.keyClick(window.table, Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier)
        assert window.detail.open_link.isVisibleTo(window)
        window.detail.open_link.click()
        assert browser.urls == [page, page, page]

        window.export_action.trigger()
        dialog = window.export_dialog
        assert dialog is not None
        target = tmp_path / "company.jsonl"
        assert await dialog.run(ExportRequest(target, "jsonl", ids=dialog.request().ids)) == 1
        lines = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
        assert [(r["event"], r["entity_id"]) for r in lines] == [("ONCRMCOMPANYADD", "4242")]
        assert portal.application_token not in target.read_text(encoding="utf-8")  # masked
        dialog.close()

        tick(window, "ONCRMLEADUPDATE", False)
        await wait_until(lambda: "ONCRMLEADUPDATE" not in bound(portal), 15)
        assert {"ONCRMCOMPANYADD", "ONCRMCONTACTUPDATE"} <= bound(portal)

        window.check_setup_action.trigger()  # Help → Check setup: the doctor, off the GUI thread
        check = window.findChild(CheckSetupDialog)
        assert check is not None and check.isVisible()
        await wait_until(lambda: check.again.isEnabled(), 30)
        rows = {name: (level, text) for level, name, text in check.rows()}
        assert rows["profile"][0] == "ok" and rows["tokens"][0] == "ok", rows
        assert rows["bindings"][0] == "ok", rows  # the ticks are bound to this handler URL
        check.close()

        window.about_action.trigger()
        about = window.findChild(AboutDialog)
        assert about is not None and about.folder.text() == str(data)
        assert "PySide6" in about.versions.text()
        about.open_folder.click()
        assert browser.urls[-1] == QUrl.fromLocalFile(str(data)).toString()
        about.close()
