"""The connection wizard's pages: choose a way, set up the local app, keys, webhook, done.

Pages hold no portal logic: they collect input and show progress; ConnectWizard (wizard.py)
creates profiles, switches the portal and waits for ONAPPINSTALL.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFormLayout,
    QLineEdit,
    QProgressBar,
    QRadioButton,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)

from b24monitor.gui.connect.boxes import WARN_STYLE, HandlerUrlBox, wrapped

CHOICES = ("app", "webhook", "demo")


class ChoicePage(QWizardPage):
    """Three ways in: a local application, an outgoing webhook, or the sandbox."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("Connect a portal"))
        self.setSubTitle(self.tr("How should b24monitor receive your portal's events?"))
        self.group = QButtonGroup(self)
        texts = (
            (self.tr("Local application (recommended)"),
             self.tr("b24monitor binds the events you tick, reads the offline queue and "
                     "verifies every delivery. Needs a portal administrator.")),
            (self.tr("Outgoing webhook"),
             self.tr("Receive from a webhook you set up in the portal by hand; events cannot "
                     "be bound from here.")),
            (self.tr("Try without a portal"),
             self.tr("A simulated portal on this computer sends realistic events.")),
        )  # fmt: skip
        layout = QVBoxLayout(self)
        for number, (title, detail) in enumerate(texts):
            radio = QRadioButton(title, self)
            radio.setObjectName(f"choice_{CHOICES[number]}")
            self.group.addButton(radio, number)
            layout.addWidget(radio)
            note = wrapped(detail, self)
            note.setContentsMargins(24, 0, 0, 8)
            layout.addWidget(note)
        self.group.button(0).setChecked(True)
        layout.addStretch(1)

    def choice(self) -> str:
        return CHOICES[max(0, self.group.checkedId())]

    def choose(self, choice: str) -> None:
        self.group.button(CHOICES.index(choice)).setChecked(True)


class AppStepsPage(QWizardPage):
    """Where to click in Bitrix24 to create the local application."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("Create a local application in Bitrix24"))
        self.setSubTitle(self.tr("In the portal, as an administrator:"))
        steps = self.tr(
            "<ol>"
            "<li>Open <b>Applications → Developer resources → Other → Local application</b>.</li>"
            "<li>Choose <b>Server</b> and tick <b>Uses only API</b>.</li>"
            "<li>Tick the permissions (scopes) you want events for, e.g. <b>CRM (crm)</b>, "
            "<b>Tasks (task)</b>, <b>Users (user)</b>, <b>Calendar (calendar)</b>.</li>"
            "<li>Paste this handler URL into both <b>Your handler path</b> and "
            "<b>Initial installation path</b>:</li>"
            "</ol>"
        )
        self.handler = HandlerUrlBox(self)
        after = self.tr(
            "Save. The portal installs the app at once (b24monitor keeps that install for it) "
            "and shows the <b>Application ID</b> (client_id) and the <b>Application key</b> "
            "(client_secret): you paste them on the next page."
        )
        layout = QVBoxLayout(self)
        layout.addWidget(wrapped(steps, self))
        layout.addWidget(self.handler)
        layout.addWidget(wrapped(after, self))
        layout.addStretch(1)


class KeysPage(QWizardPage):
    """Profile name, the application's keys and the REST pace; the wizard validates by creating
    the profile."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("The application's keys"))
        self.setSubTitle(self.tr("Copy them from the local application's page in Bitrix24."))
        self.name = QLineEdit("portal", self)
        self.name.setObjectName("wizardProfileName")
        self.client_id = QLineEdit(self)
        self.client_id.setObjectName("wizardClientId")
        self.client_id.setPlaceholderText("local.5f0c2d6b9a1e4c.12345678")
        self.client_secret = QLineEdit(self)
        self.client_secret.setObjectName("wizardClientSecret")
        self.client_secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.rate = self._rate_box()
        self.error = wrapped("", self)
        self.error.setStyleSheet(WARN_STYLE)
        form = QFormLayout(self)
        form.addRow(self.tr("Profile name:"), self.name)
        form.addRow(self.tr("Application ID (client_id):"), self.client_id)
        form.addRow(self.tr("Application key (client_secret):"), self.client_secret)
        form.addRow(self.tr("Portal (REST pace):"), self.rate)
        form.addRow(self.error)
        for edit in (self.name, self.client_id, self.client_secret):
            edit.textChanged.connect(self.completeChanged)

    def isComplete(self) -> bool:
        return all(e.text().strip() for e in (self.name, self.client_id, self.client_secret))

    def _rate_box(self) -> QComboBox:
        """The REST pacing plans (services/rate_limit.py RATE_PLANS, spec §5.4, §2.10) named by
        what the user knows, the kind of portal; `portal add --rate` offers the same three."""
        box = QComboBox(self)
        box.setObjectName("wizardRate")
        for plan, text in (
            ("standard", self.tr("Bitrix24 cloud — 2 requests/s, bursts of 50")),
            (
                "enterprise",
                self.tr("Bitrix24 cloud, Enterprise plan — 5 requests/s, bursts of 250"),
            ),
            (
                "none",
                self.tr("Self-hosted (on-premise) — unpaced until the portal asks to slow down"),
            ),
        ):
            box.addItem(text, plan)
        tip = self.tr("How fast b24monitor calls the portal's REST API. When the portal answers "
                      "QUERY_LIMIT_EXCEEDED it is always waited for.")  # fmt: skip
        box.setToolTip(tip)
        return box


class WebhookPage(QWizardPage):
    """A passive profile: the outgoing webhook's application token, and where to point it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("Receive from an outgoing webhook"))
        self.setSubTitle(
            self.tr(
                "In Bitrix24: Developer resources → Other → Outgoing webhook. Paste this URL "
                "as its handler, tick the events, save, then paste its application token here."
            )
        )
        self.handler = HandlerUrlBox(self)
        self.name = QLineEdit("webhook", self)
        self.name.setObjectName("wizardWebhookName")
        self.token = QLineEdit(self)
        self.token.setObjectName("wizardWebhookToken")
        self.token.setEchoMode(QLineEdit.EchoMode.Password)
        self.error = wrapped("", self)
        self.error.setStyleSheet(WARN_STYLE)
        form = QFormLayout(self)
        form.addRow(self.tr("Handler URL:"), self.handler)
        form.addRow(self.tr("Profile name:"), self.name)
        form.addRow(self.tr("Application token:"), self.token)
        form.addRow(self.error)
        for edit in (self.name, self.token):
            edit.textChanged.connect(self.completeChanged)

    def isComplete(self) -> bool:
        return bool(self.name.text().strip() and self.token.text().strip())


class WaitPage(QWizardPage):
    """A busy bar while something happens elsewhere; complete when `finish` is called."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(title)
        self.text = wrapped("", self)
        self.busy = QProgressBar(self)
        self.busy.setRange(0, 0)  # an endless busy indicator
        self.busy.setTextVisible(False)
        self.error = wrapped("", self)
        self.error.setStyleSheet(WARN_STYLE)
        self.layout_ = QVBoxLayout(self)
        self.layout_.addWidget(self.text)
        self.layout_.addWidget(self.busy)
        self.layout_.addWidget(self.error)
        self.layout_.addStretch(1)
        self.done = False

    def start(self, text: str) -> None:
        self.done = False
        self.text.setText(text)
        self.error.clear()
        self.busy.show()
        self.completeChanged.emit()

    def fail(self, text: str) -> None:
        self.busy.hide()
        self.error.setText(text)

    def finish(self) -> None:
        self.done = True
        self.busy.hide()
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return self.done


class DonePage(QWizardPage):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("Connected"))
        self.text = wrapped("", self)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addStretch(1)
        self.setFinalPage(True)
