"""Russian: with the ru locale the main window, the docks and the event descriptions are Russian."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication

from b24monitor.gui import settings_store as keys
from b24monitor.gui.app import running_app
from b24monitor.gui.connect.wizard import ConnectWizard
from b24monitor.gui.offline.pane import OfflinePane
from b24monitor.gui.session_signals import SessionSignals
from b24monitor.gui.settings_store import GuiSettings
from b24monitor.gui.status.portal_status import PortalStatus
from b24monitor.gui.subscriptions.dock import SubscriptionsPane
from b24monitor.gui.translations import install, remove, ui_language


@pytest.fixture(autouse=True)
def private_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


@pytest.mark.asyncio
async def test_russian_locale_translates_labels_docks_and_descriptions(
    tmp_path: Path, qtbot
) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    settings = GuiSettings(QSettings(str(tmp_path / "gui.ini"), QSettings.Format.IniFormat))
    settings.set(keys.LANGUAGE, "ru")  # the override; the system locale here is English
    translators = install(app, settings)
    try:
        assert translators and ui_language() == "ru"
        async with running_app(tmp_path / "data") as window:
            assert window.events_tabs.tabText(0) == "События"
            assert window.rate_dock.windowTitle() == "Частота событий"
            assert window.export_action.text() == "Экспорт…"
            signals = SessionSignals(window.session)
            pane = SubscriptionsPane(signals)
            qtbot.addWidget(pane)
            assert pane.windowTitle() == "Подписки"
            assert pane.search.placeholderText() == "Поиск событий…"
            assert "Портал не подключён" in pane.reason.text()
            headers = [pane.model.headerData(c, Qt.Orientation.Horizontal) for c in range(4)]
            assert headers == ["онл", "офл", "событие", "код"]
            pane.state.set_listed(["ONCRMDEALADD"])
            group = pane.model.index(0, 0)
            assert pane.model.index(0, 2).data() == "CRM (1)"
            assert pane.model.index(0, 2, group).data() == "Создана сделка"
            offline = OfflinePane(signals)
            qtbot.addWidget(offline)
            assert offline.title() == "Офлайн-очередь"
            assert offline.consume_button.text() == "Забрать безопасно"
            status = PortalStatus(signals)
            assert status.portal.text() == "нет портала"
            assert status.tunnel.label.text() == "нет публичного адреса ⚠"
            status.app_settings.show_urls("https://old.example/h", "https://new.example/h")
            assert status.app_settings.isVisibleTo(status.app_settings.parentWidget())
            assert status.app_settings.label.toolTip().startswith(
                "Настройки приложения на портале по-прежнему отправляют установки и "
                "переустановки на https://old.example/h"
            )
            wizard = ConnectWizard(signals)
            qtbot.addWidget(wizard)
            assert wizard.windowTitle() == "Подключение портала"
    finally:
        remove(app, translators)
    assert ui_language() == "en"
