"""“Catch missed events” in the subscriptions dock, against the sandbox portal over loopback."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from b24monitor.core.subscriptions import Subscription
from b24monitor.gui.session_signals import SessionSignals
from b24monitor.gui.subscriptions.dock import SubscriptionsPane
from b24monitor.gui.subscriptions.model import OFFLINE
from b24monitor.sandbox import SandboxPortal
from b24monitor.services.capture_guard import GuardSettings
from b24monitor.services.profiles import Profile, ProfileStore
from b24monitor.services.secrets import open_secret_store
from b24monitor.services.session import Session, SessionConfig
from b24monitor.services.subscriptions import DesiredStore
from tests.gui.subscription_rows import find

ROLE = Qt.ItemDataRole


def bound(portal: SandboxPortal) -> set[tuple[str, str]]:
    return {(b.event, "offline" if b.offline else "online") for b in portal.bindings()}


@pytest.fixture(autouse=True)
def private_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


@pytest.mark.asyncio
async def test_switch_is_on_for_app_profiles_and_off_releases_the_twins(
    tmp_path: Path, qtbot, wait_until
) -> None:
    data = tmp_path / "data"
    async with SandboxPortal(rate_limit=False, seed=4, scopes=("crm",)) as portal:
        config = SessionConfig(data_dir=data, guard=GuardSettings(safety_net_default=True))
        session = Session(replace(config, guard=replace(config.guard, canary_interval=0)))
        await session.start()
        try:
            ProfileStore(data, open_secret_store()).add(
                Profile("acme", "app", portal.client_id, portal.client_secret)
            )
            DesiredStore(data, "acme").set(Subscription("ONCRMDEALADD"), True)
            signals = SessionSignals(session)
            pane = SubscriptionsPane(signals)
            qtbot.addWidget(pane)
            await signals.switch_portal("acme")
            await portal.install(session.handler_url)
            await wait_until(lambda: ("ONCRMDEALADD", "offline") in bound(portal), 30)
            assert pane.catch_missed.isVisible() or pane.catch_missed.isVisibleTo(pane)
            assert pane.catch_missed.isChecked()  # on by default for an app profile
            # The twin shows as ticked by the safety net, not as an unticked offline binding.
            twin = find(pane.model, "ONCRMDEALADD", OFFLINE)
            assert twin.data(ROLE.CheckStateRole) == Qt.CheckState.Checked
            assert not pane.model.flags(twin) & Qt.ItemFlag.ItemIsUserCheckable
            assert "Catch missed events" in twin.data(ROLE.ToolTipRole)
            other = find(pane.model, "ONCRMDEALUPDATE", OFFLINE)  # not ticked online: no twin
            assert other.data(ROLE.CheckStateRole) == Qt.CheckState.Unchecked

            pane.catch_missed.click()  # off: the twin goes, the online binding stays
            await wait_until(lambda: ("ONCRMDEALADD", "offline") not in bound(portal), 30)
            assert ("ONCRMDEALADD", "online") in bound(portal)
            await wait_until(lambda: not pane.catch_missed.isChecked())

            def twin_shown_released() -> bool:  # once the session's switched notice is in
                twin = find(pane.model, "ONCRMDEALADD", OFFLINE)
                return bool(twin.data(ROLE.CheckStateRole) == Qt.CheckState.Unchecked)

            await wait_until(twin_shown_released)
            twin = find(pane.model, "ONCRMDEALADD", OFFLINE)
            assert pane.model.flags(twin) & Qt.ItemFlag.ItemIsUserCheckable
            assert session.guard is not None and session.guard.safety_net is None
        finally:
            await session.stop()
    # The twin stayed released after exit, and the choice is remembered for the profile.
    assert ("ONCRMDEALADD", "offline") not in bound(portal)
