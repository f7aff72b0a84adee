"""Connection wizard against the sandbox: local app install, webhook profile, sandbox demo."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from b24monitor.demo import DemoPortal
from b24monitor.gui.connect.welcome import WelcomePanel
from b24monitor.gui.connect.wizard import APP_STEPS, DEMO, DONE, KEYS, WAIT_INSTALL, ConnectWizard
from b24monitor.gui.session_signals import SessionSignals
from b24monitor.gui.settings_store import PORTAL, GuiSettings
from b24monitor.sandbox import SandboxPortal
from b24monitor.services.profiles import ProfileStore
from b24monitor.services.rate_limit import RATE_PLANS
from b24monitor.services.secrets import open_secret_store
from b24monitor.services.session import Session, SessionConfig


@pytest.fixture(autouse=True)
def private_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


def gui_settings(tmp_path: Path) -> GuiSettings:
    return GuiSettings(QSettings(str(tmp_path / "gui.ini"), QSettings.Format.IniFormat))


@pytest.mark.asyncio
async def test_install_on_save_is_taken_over_when_the_keys_are_pasted(
    tmp_path: Path, qtbot, wait_until
) -> None:
    data = tmp_path / "data"
    async with SandboxPortal(rate_limit=False, seed=19) as portal:
        session = Session(SessionConfig(data_dir=data))
        await session.start()
        try:
            wizard = ConnectWizard(SessionSignals(session), gui_settings(tmp_path), choice="app")
            qtbot.addWidget(wizard)
            wizard.show()
            wizard.next()
            url = wizard.steps_page.handler.url.text()
            # The administrator pastes the URL and saves: ONAPPINSTALL comes at once (§1.1).
            _, record = await portal.save_app(url, app=portal.state.app)
            assert record is not None and record.status == 200
            wizard.next()
            wizard.keys_page.name.setText("acme")
            wizard.keys_page.client_id.setText(portal.client_id)
            wizard.keys_page.client_secret.setText(portal.client_secret)
            rate = wizard.keys_page.rate  # the same plans as `portal add --rate`
            plans = [rate.itemData(i) for i in range(rate.count())]
            assert plans == list(RATE_PLANS) and rate.currentData() == "standard"
            rate.setCurrentIndex(rate.findData("enterprise"))
            assert "Enterprise" in rate.currentText()
            wizard.next()
            await wait_until(lambda: wizard.currentId() == DONE)  # no reinstall needed
            assert portal.domain in wizard.done_page.text.text()
            profile = ProfileStore(data, open_secret_store()).get("acme")
            assert profile.installed and profile.rate == "enterprise"
            installs = [r for r in portal.delivery_log if r.event == "ONAPPINSTALL"]
            assert len(installs) == 1
        finally:
            await session.stop()


@pytest.mark.asyncio
async def test_local_app_keys_profile_switch_and_wait_for_the_install(
    tmp_path: Path, qtbot, wait_until
) -> None:
    data = tmp_path / "data"
    async with SandboxPortal(rate_limit=False, seed=9) as portal:
        session = Session(SessionConfig(data_dir=data))
        await session.start()
        try:
            signals = SessionSignals(session)
            welcome = WelcomePanel(signals)
            qtbot.addWidget(welcome)
            assert not welcome.isHidden()  # no profile yet: the three ways in are offered
            settings = gui_settings(tmp_path)
            wizard = ConnectWizard(signals, settings, choice="app")
            qtbot.addWidget(wizard)
            wizard.show()
            wizard.next()
            assert wizard.currentId() == APP_STEPS
            box = wizard.steps_page.handler
            assert box.url.text() == session.handler_url
            assert "local address" in box.warning.text()  # no public URL yet: say what to do
            wizard.next()
            assert wizard.currentId() == KEYS and not wizard.keys_page.isComplete()
            wizard.keys_page.name.setText("acme")
            wizard.keys_page.client_id.setText(portal.client_id)
            wizard.keys_page.client_secret.setText(portal.client_secret)
            wizard.next()
            assert wizard.currentId() == WAIT_INSTALL and not wizard.wait_page.isComplete()
            await wait_until(lambda: session.portal is not None)
            assert welcome.isHidden()
            await portal.install(session.handler_url)  # the admin opens the app in Bitrix24
            await wait_until(lambda: wizard.currentId() == DONE)
            assert portal.domain in wizard.done_page.text.text()
            assert settings.qsettings.value(PORTAL) == "acme"
            stored = ProfileStore(data, open_secret_store()).get("acme")
            assert stored.installed and stored.rate == "standard"  # the default plan

            # A second wizard refuses a taken name with the store's sentence.
            again = ConnectWizard(signals, settings, choice="app")
            qtbot.addWidget(again)
            again.show()
            again.next()
            again.next()
            again.keys_page.name.setText("acme")
            again.keys_page.client_id.setText("local.other")
            again.keys_page.client_secret.setText("other")
            again.next()
            assert again.currentId() == KEYS
            assert "already exists" in again.keys_page.error.text()
        finally:
            await session.stop()


@pytest.mark.asyncio
async def test_webhook_profile_is_created_and_followed(tmp_path: Path, qtbot, wait_until) -> None:
    data = tmp_path / "data"
    session = Session(SessionConfig(data_dir=data))
    await session.start()
    try:
        wizard = ConnectWizard(SessionSignals(session), choice="webhook")
        qtbot.addWidget(wizard)
        wizard.show()
        wizard.next()
        wizard.webhook_page.name.setText("hook")
        wizard.webhook_page.token.setText("f" * 32)
        wizard.next()
        assert wizard.currentId() == DONE
        await wait_until(lambda: session.portal is not None)
        assert session.portal is not None and session.portal.profile.kind == "webhook"
        assert "hook" in wizard.done_page.text.text()
    finally:
        await session.stop()


@pytest.mark.asyncio
async def test_try_without_a_portal_starts_the_sandbox_and_traffic_arrives(
    tmp_path: Path, qtbot, wait_until
) -> None:
    data = tmp_path / "data"
    session = Session(SessionConfig(data_dir=data))
    await session.start()
    demos: list[DemoPortal] = []
    try:
        wizard = ConnectWizard(SessionSignals(session), choice="demo")
        wizard.demo_started.connect(demos.append)
        qtbot.addWidget(wizard)
        wizard.show()
        wizard.next()
        assert wizard.currentId() == DEMO
        await wait_until(lambda: wizard.currentId() == DONE, 20)
        assert len(demos) == 1 and "simulated portal" in wizard.done_page.text.text()
        store = session.store
        assert store is not None
        # The portal's events (not only the install) reach the store, verified.
        await wait_until(lambda: store.count("event NOT LIKE 'ONAPP%' AND verified = 1") > 0, 20)
    finally:
        await session.stop()
        for demo in demos:
            await demo.stop()
