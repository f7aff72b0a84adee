"""ConnectWizard: connect a portal — local app, outgoing webhook, or the sandbox to try things.

Local app (spec §5.2): the steps in Bitrix24 with the handler URL → the keys → a profile →
`switch_portal`, which takes over the ONAPPINSTALL the portal sent when the app was saved
(spec §1.1, services/adoption.py) — or waits (cancellable) for one. Webhook: a
passive profile with the pasted application token. Sandbox: DemoPortal starts, the session
follows it and it installs itself; traffic begins once the events are bound. The DemoPortal
goes out through `demo_started`: the caller keeps it and stops it after the session.
"""

from __future__ import annotations

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QLabel, QWidget, QWizard

from b24monitor.core.errors import B24MonitorError, ProfileError
from b24monitor.core.tasks import spawn
from b24monitor.demo import DemoPortal
from b24monitor.gui.connect.boxes import ApproveBox
from b24monitor.gui.connect.pages import (
    AppStepsPage,
    ChoicePage,
    DonePage,
    KeysPage,
    WaitPage,
    WebhookPage,
)
from b24monitor.gui.session_signals import SessionSignals
from b24monitor.gui.settings_store import PORTAL, GuiSettings
from b24monitor.services.portal_link import Notice, PortalLink
from b24monitor.services.profiles import Profile
from b24monitor.services.tunnel import TunnelState

CHOICE, APP_STEPS, KEYS, WAIT_INSTALL, WEBHOOK, DEMO, DONE = range(7)


class ConnectWizard(QWizard):
    """Opened from the welcome panel or the Portal menu; `choice` preselects the way in."""

    demo_started = Signal(object)  # DemoPortal
    settings_requested = Signal()

    def __init__(
        self,
        signals: SessionSignals,
        settings: GuiSettings | None = None,
        parent: QWidget | None = None,
        choice: str = "app",
    ) -> None:
        super().__init__(parent)
        self.setObjectName("connectWizard")
        self.setWindowTitle(self.tr("Connect a portal"))
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage)
        self.setOption(QWizard.WizardOption.NoCancelButtonOnLastPage)
        self.signals, self.session, self.settings = signals, signals.session, settings
        self.profiles = self.session.profiles
        self.choice_page = ChoicePage(self)
        self.choice_page.choose(choice)
        self.steps_page = AppStepsPage(self)
        self.keys_page = KeysPage(self)
        self.wait_page = WaitPage(self.tr("Waiting for the installation"), self)
        self.approve = ApproveBox(self.wait_page)
        self.wait_page.layout_.insertWidget(3, self.approve)
        self.webhook_page = WebhookPage(self)
        self.demo_page = WaitPage(self.tr("Starting the sandbox portal"), self)
        self.done_page = DonePage(self)
        for number, page in enumerate((self.choice_page, self.steps_page, self.keys_page,
                                       self.wait_page, self.webhook_page, self.demo_page,
                                       self.done_page)):  # fmt: skip
            self.setPage(number, page)
        self.waiting_for: str | None = None  # the profile whose install completes a page
        self.domain = ""
        self.resize(640, 520)
        self._connect_signals()
        self._show_handler_url()

    def _connect_signals(self) -> None:
        self.signals.notice.connect(self._on_signals_notice)
        self.signals.tunnel_changed.connect(self._on_signals_tunnel_changed)
        for box in (self.steps_page.handler, self.webhook_page.handler):
            box.settings_requested.connect(self.settings_requested)
        self.approve.approve_requested.connect(self._on_approve_approve_requested)

    def _show_handler_url(self) -> None:
        public = self.session.public_url is not None
        for box in (self.steps_page.handler, self.webhook_page.handler):
            box.show_url(self.session.handler_url, public)

    # -- QWizard overrides ----------------------------------------------------------------------

    def nextId(self) -> int:
        current = self.currentId()
        if current == CHOICE:
            return {"app": APP_STEPS, "webhook": WEBHOOK, "demo": DEMO}[self.choice_page.choice()]
        if current in (APP_STEPS, KEYS):
            return current + 1
        if current in (WAIT_INSTALL, WEBHOOK, DEMO):
            return DONE
        return -1

    def validateCurrentPage(self) -> bool:
        current = self.currentId()
        if current == KEYS:
            page = self.keys_page
            profile = Profile(page.name.text().strip(), "app", page.client_id.text().strip(),
                              page.client_secret.text().strip(),
                              rate=str(page.rate.currentData()))  # fmt: skip
            return self._add(profile, page.error)
        if current == WEBHOOK:
            hook = self.webhook_page
            profile = Profile(hook.name.text().strip(), "webhook",
                              application_token=hook.token.text().strip())  # fmt: skip
            if not self._add(profile, hook.error):
                return False
            self.done_page.text.setText(self.tr(
                "Profile “%1” receives from the outgoing webhook; every delivery is checked "
                "against its application token.").replace("%1", profile.name))  # fmt: skip
            spawn(self._switch(profile.name), name="wizard-switch", on_error=self._on_task_failed)
        return super().validateCurrentPage()

    def initializePage(self, page_id: int) -> None:
        super().initializePage(page_id)
        if page_id == WAIT_INSTALL:
            name = self.keys_page.name.text().strip()
            self.waiting_for = name
            self.wait_page.start(self.tr(
                "Taking over the installation the portal sent when you saved the app… If it "
                "does not come, open the application in Bitrix24 (or reinstall it). You can "
                "close this window; b24monitor keeps listening."))  # fmt: skip
            spawn(self._switch(name), name="wizard-switch", on_error=self._on_task_failed)
        elif page_id == DEMO:
            spawn(self._start_demo(), name="wizard-demo", on_error=self._on_task_failed)

    # -- work -----------------------------------------------------------------------------------

    def _add(self, profile: Profile, error: QLabel) -> bool:
        """Create the profile; the same one again (after Back) is fine, another is refused."""
        try:
            self.profiles.add(profile)
        except ProfileError as exc:
            try:
                existing = self.profiles.get(profile.name)
            except ProfileError:
                existing = None
            if existing is None or _keys(existing) != _keys(profile):
                error.setText(str(exc))
                return False
        return True

    async def _switch(self, name: str) -> None:
        await self.signals.switch_portal(name)
        if self.settings is not None:
            self.settings.set(PORTAL, name)  # followed again at the next start

    async def _start_demo(self) -> None:
        page = self.demo_page
        page.start(self.tr("Starting a simulated portal on this computer…"))
        demo = DemoPortal(self.session.config.data_dir, profiles=self.session.profiles)
        try:
            name = await demo.start()
        except (B24MonitorError, OSError) as exc:
            page.fail(str(exc))
            return
        self.demo_started.emit(demo)  # from here on the caller owns it, even if we close
        self.waiting_for = name
        await self.signals.switch_portal(name)
        page.start(self.tr("Installing b24monitor's application on the simulated portal…"))
        await demo.install(self.session.handler_url)

    # -- slots ----------------------------------------------------------------------------------

    def _on_signals_notice(self, notice: Notice) -> None:
        link = self.session.portal
        if notice.get("type") != "installed" or link is None:
            return
        if self.waiting_for is None or link.profile_name != self.waiting_for:
            return
        self.waiting_for = None
        self.domain = str(notice.get("domain") or link.profile.domain)
        if self.currentId() == DEMO:
            text = self.tr("The simulated portal %1 is sending events: watch them arrive in "
                           "the list, and tick more in the Subscriptions dock.")  # fmt: skip
        else:
            text = self.tr("Connected to %1. Tick the events you want in the Subscriptions "
                           "dock; they are bound in one batch.")  # fmt: skip
        self.done_page.text.setText(text.replace("%1", self.domain))
        page = self.currentPage()
        if isinstance(page, WaitPage):
            page.finish()
            self.next()

    def _on_signals_tunnel_changed(self, state: TunnelState) -> None:
        self._show_handler_url()

    def _on_approve_approve_requested(self, portal_url: str) -> None:
        link = self.session.portal
        if link is not None and link.profile.kind == "app":
            spawn(self._open_authorization(link, portal_url), name="authorize-url",
                  on_error=self._on_task_failed)  # fmt: skip

    async def _open_authorization(self, link: PortalLink, portal_url: str) -> None:
        # The engine's link checks the state: an attached window asks the engine for the URL.
        url = await link.authorization_url(portal_url, self.session.handler_url)
        QDesktopServices.openUrl(QUrl(url))

    def _on_task_failed(self, name: str, exc: BaseException) -> None:
        page = self.currentPage()
        if isinstance(page, WaitPage):
            page.fail(str(exc) or type(exc).__name__)


def _keys(profile: Profile) -> tuple[str, ...]:
    if profile.kind == "webhook":
        return (profile.kind, profile.application_token)
    return (profile.kind, profile.client_id, profile.client_secret)
