"""Subscriptions dock against the sandbox portal over loopback HTTP: ticks, scopes, states."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex, Qt

from b24monitor.core.subscriptions import Subscription
from b24monitor.gui.session_signals import SessionSignals
from b24monitor.gui.subscriptions.dock import SubscriptionsPane
from b24monitor.gui.subscriptions.model import CODE, OFFLINE, ONLINE, SubscriptionsModel
from b24monitor.sandbox import SandboxPortal
from b24monitor.services.profiles import Profile, ProfileStore
from b24monitor.services.secrets import open_secret_store
from b24monitor.services.session import Session, SessionConfig
from b24monitor.services.subscriptions import DesiredStore
from tests.gui.subscription_rows import find

CHECKED = Qt.CheckState.Checked
ROLE = Qt.ItemDataRole


@pytest.fixture(autouse=True)
def private_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


@asynccontextmanager
async def portal_session(
    data_dir: Path, *, scopes: tuple[str, ...] = ("crm", "task", "user")
) -> AsyncIterator[tuple[SandboxPortal, Session]]:
    """A sandbox portal, a started Session and an app profile `acme` for that portal."""
    async with SandboxPortal(rate_limit=False, seed=3, scopes=scopes) as portal:
        session = Session(SessionConfig(data_dir=data_dir))
        await session.start()
        try:
            profiles = ProfileStore(data_dir, open_secret_store())
            profiles.add(Profile("acme", "app", portal.client_id, portal.client_secret))
            yield portal, session
        finally:
            await session.stop()


def group_index(model: SubscriptionsModel, scope: str, column: int) -> QModelIndex:
    for group_row in range(model.rowCount()):
        if model.state.groups[group_row].scope == scope:
            return model.index(group_row, column)
    raise AssertionError(f"no scope {scope}")


def bound(portal: SandboxPortal) -> set[tuple[str, str]]:
    return {(b.event, "offline" if b.offline else "online") for b in portal.bindings()}


@pytest.mark.asyncio
async def test_ticks_bind_states_flow_back_and_a_scope_is_one_batch(
    tmp_path: Path, qtbot, qtmodeltester, wait_until
) -> None:
    data = tmp_path / "data"
    async with portal_session(data) as (portal, session):
        signals = SessionSignals(session)
        pane = SubscriptionsPane(signals)
        qtbot.addWidget(pane)
        model = pane.model
        assert not pane.tree.isEnabled() and "No portal connected" in pane.reason.text()

        await signals.switch_portal("acme")
        assert "Waiting for the application to be installed" in pane.reason.text()
        await portal.install(session.handler_url)
        await wait_until(lambda: pane.tree.isEnabled() and model.rowCount() > 0)
        qtmodeltester.check(model)
        scopes = [g.scope for g in model.state.groups]
        assert scopes[:2] == ["basic", "user"] and "crm" in scopes and "task" in scopes
        deal = find(model, "ONCRMDEALADD")
        assert deal.data() == "Deal created" and find(model, "ONCRMDEALADD", CODE).data()
        pane.search.setText("создана сделка")  # the Russian description is searched too
        crm = pane.proxy.index(0, 0)
        assert pane.proxy.rowCount() == 1 and pane.proxy.rowCount(crm) == 1
        assert pane.proxy.index(0, CODE, crm).data() == "ONCRMDEALADD"
        pane.search.clear()

        # One tick: the model only emits the intent; the state comes back from the portal.
        online = find(model, "ONCRMDEALADD", ONLINE)
        assert model.setData(online, CHECKED.value, ROLE.CheckStateRole) is False
        assert online.data(ROLE.CheckStateRole) == CHECKED  # requested, shown at once
        assert online.data() == "⟳"
        await wait_until(lambda: ("ONCRMDEALADD", "online") in bound(portal))
        await wait_until(lambda: find(model, "ONCRMDEALADD", ONLINE).data() == "✔")
        assert "1 bound" in pane.footer.text() or "bound" in pane.footer.text()

        # The CRM scope's offline box: every CRM event in one reconcile (one batch).
        reports: list[object] = []
        signals.notice.connect(
            lambda n: reports.append(n) if n.get("type") == "subscriptions" else None
        )
        crm = model.state.groups[group_index(model, "crm", 0).row()].events()
        model.setData(group_index(model, "crm", OFFLINE), CHECKED.value, ROLE.CheckStateRole)
        await wait_until(lambda: {(c, "offline") for c in crm} <= bound(portal), 20)
        await wait_until(
            lambda: group_index(model, "crm", OFFLINE).data(ROLE.CheckStateRole) == CHECKED
        )
        assert len(reports) <= 2  # one pending report + one final: a single reconcile
        desired = DesiredStore(data, "acme").load().wanted
        assert {Subscription(c, "offline") for c in crm} <= desired
        qtmodeltester.check(model)


@pytest.mark.asyncio
async def test_errors_stale_and_foreign_rows_show_what_the_portal_said(
    tmp_path: Path, qtbot, wait_until
) -> None:
    data = tmp_path / "data"
    async with portal_session(data, scopes=("crm",)) as (portal, session):
        # Wishes from before: one outside the app's scopes (the portal refuses it).
        desired = DesiredStore(data, "acme")
        desired.set(Subscription("ONTASKADD", "online"), True)
        desired.set(Subscription("ONCRMDEALUPDATE", "online"), True)
        signals = SessionSignals(session)
        pane = SubscriptionsPane(signals)
        qtbot.addWidget(pane)
        await signals.switch_portal("acme")
        await portal.install(session.handler_url)
        await wait_until(lambda: pane.tree.isEnabled() and pane.model.rowCount() > 0)
        link = session.portal
        assert link is not None
        await wait_until(lambda: link.report.state_of("ONCRMDEALUPDATE") == "bound")
        # Our binding at an old tunnel URL (a previous run made it: it is in the ledger), and
        # someone else's handler; the administrator moved the installation path there too.
        old = "https://old-tunnel.example.com" + session.handler_path
        assert link.subscriptions is not None
        await link.client.call("event.unbind", {"event": "ONCRMDEALUPDATE",
                                                "handler": session.handler_url})  # fmt: skip
        link.subscriptions.note_bound("ONCRMDEALUPDATE", old)
        await link.client.call("event.bind", {"event": "ONCRMDEALUPDATE", "handler": old})
        other = "https://crm-sync.example.org/hook"
        await link.client.call("event.bind", {"event": "ONCRMLEADADD", "handler": other})
        portal.edit_install_path(old)
        await link.subscriptions.reconcile()
        model = pane.model

        await wait_until(lambda: "stale → moved ✔" in pane.footer.text())
        assert find(model, "ONCRMDEALUPDATE", ONLINE).data() == "↻"
        task = find(model, "ONTASKADD", ONLINE)
        assert task.data() == "✖" and "refused" in task.data(ROLE.ToolTipRole)
        assert "failed ✖" in pane.footer.text()
        foreign = {i.foreign.handler: i.foreign for g in model.state.groups for i in g.items
                   if i.foreign is not None}  # fmt: skip
        assert set(foreign) == {other, old}  # the installation handler, and the colleague's
        install = find(model, "ONAPPINSTALL")
        label = model.index(install.row() + 1, 2, install.parent()).data()
        assert label == "↳ the application's installation handler"
        assert "“app settings stale” in the status bar" in pane.footer.text()  # a pointer only
        lead = find(model, "ONCRMLEADADD")
        row = model.index(lead.row() + 1, ONLINE, lead.parent())
        assert not model.flags(row) & Qt.ItemFlag.ItemIsUserCheckable  # shown, not touchable
        assert other in str(model.index(row.row(), CODE, row.parent()).data())
        assert "not made by b24monitor" in model.index(row.row(), 2, row.parent()).data()
        assert [(b.event, b.handler) for b in portal.bindings() if b.event == "ONAPPINSTALL"] == [
            ("ONAPPINSTALL", old)
        ]  # shown, warned about, never touched

        # "Ticked only": the rows that matter now, across scopes.
        pane.ticked.setChecked(True)
        proxy = pane.proxy
        shown = set()
        for g in range(proxy.rowCount()):
            group = proxy.index(g, 0)
            shown |= {proxy.index(r, CODE, group).data() for r in range(proxy.rowCount(group))}
        # ONCRMLEADADD is not ours, but its foreign row needs its event row above it.
        assert {"ONCRMDEALUPDATE", "ONTASKADD", "ONAPPTEST", "ONCRMLEADADD", other} <= shown
        assert "ONCRMDEALDELETE" not in shown and "ONCRMLEADDELETE" not in shown


@pytest.mark.asyncio
async def test_a_webhook_profile_disables_the_dock_with_the_reason(tmp_path: Path, qtbot) -> None:
    data = tmp_path / "data"
    session = Session(SessionConfig(data_dir=data))
    await session.start()
    try:
        ProfileStore(data, open_secret_store()).add(
            Profile("hook", "webhook", application_token="a" * 32)
        )
        signals = SessionSignals(session)
        pane = SubscriptionsPane(signals)
        qtbot.addWidget(pane)
        await signals.switch_portal("hook")
        assert not pane.tree.isEnabled()
        assert "outgoing-webhook profile" in pane.reason.text()
    finally:
        await session.stop()
