"""SettingsDialog: data folder, receiver, retention, tunnel, masking, notifications, language.

Everything the Session reads at start-up (the folder, port, body limit, retention, tunnel,
language) takes effect after a restart, and the dialog says so as soon as one of them changes;
masking and notifications apply at once. The ngrok authtoken goes to the secret store.
"""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from b24monitor.core.errors import UsageError
from b24monitor.core.replay import parse_routes
from b24monitor.gui import settings_store as keys
from b24monitor.gui.settings_store import GuiSettings, preferred_data_dir, set_preferred_data_dir
from b24monitor.services.session import normalize_public_url

SAVED_FILTERS_KEY = "filters/saved"  # written by the filter bar's menus (filter_menus.py)
REGIONS = ("", "us", "eu", "ap", "au", "sa", "jp", "in")
WARN_STYLE = "color: #d03030;"


class SettingsDialog(QDialog):
    """Emits `applied(changed_keys)` after saving; `restart_needed` tells whether to restart."""

    applied = Signal(list)

    def __init__(
        self, settings: GuiSettings, data_dir: Path, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("settingsDialog")
        self.setWindowTitle(self.tr("Settings"))
        self.settings = settings
        self._data_dir = data_dir
        s = settings
        self.folder = QLineEdit(str(preferred_data_dir() or data_dir), self)
        self.language = QComboBox(self)
        for code, name in (("", self.tr("System language")), ("en", "English"),
                           ("ru", "Русский")):  # fmt: skip
            self.language.addItem(name, code)
        self.language.setCurrentIndex(max(0, self.language.findData(s.language)))
        self.port = self._spin(s.port, 0, 65535, self.tr("any free port"))
        self.body_limit = self._spin(s.body_limit_kb, 16, 1024 * 1024, suffix=" KB")
        self.keep_days = self._spin(s.keep_days, 0, 100_000, self.tr("forever"))
        self.keep_rows = self._spin(s.keep_rows, 0, 2_000_000_000, self.tr("no limit"))
        self.tunnel = QComboBox(self)
        for code, name in (("none", self.tr("None (local only)")), ("ngrok", "ngrok"),
                           ("url", self.tr("My own public URL"))):  # fmt: skip
            self.tunnel.addItem(name, code)
        self.tunnel.setCurrentIndex(self.tunnel.findData(s.tunnel_mode))
        self.authtoken = QLineEdit(s.ngrok_authtoken(), self)
        self.authtoken.setObjectName("ngrokAuthtoken")
        self.authtoken.setEchoMode(QLineEdit.EchoMode.Password)
        self.domain = QLineEdit(s.ngrok_domain, self)
        self.domain.setPlaceholderText(self.tr("optional: your reserved domain"))
        self.region = QComboBox(self)
        for code in REGIONS:
            self.region.addItem(code or self.tr("automatic"), code)
        self.region.setCurrentIndex(max(0, self.region.findData(s.ngrok_region)))
        self.public_url = QLineEdit(s.public_url, self)
        self.public_url.setPlaceholderText("https://hooks.example.com")
        self.forward_to = QLineEdit(s.forward_to, self)
        self.forward_to.setObjectName("forwardTo")
        self.forward_to.setPlaceholderText(
            "http://localhost:8000/  ONCRMDEAL*=http://localhost:8000/deals"
        )
        self.forward_to.setToolTip(
            self.tr("A bare URL is the default target; PATTERN=URL sends matching events elsewhere")
        )
        self.masking = QCheckBox(self.tr("Mask tokens by default (detail, copies, exports)"), self)
        self.masking.setChecked(s.mask_by_default)
        self.notify = QCheckBox(self.tr("Tray notification when an event matches:"), self)
        self.notify.setChecked(s.notify)
        self.filters = QListWidget(self)
        self.filters.setMaximumHeight(90)
        self._fill_filters()
        self.note = QLabel(self)
        self.note.setObjectName("restartNote")
        self.note.setWordWrap(True)
        self.error = QLabel(self)
        self.error.setStyleSheet(WARN_STYLE)
        self.error.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self._build()
        self._connect_signals()
        self._on_tunnel_current_index_changed()
        self._update_note()

    def _spin(
        self, value: int, low: int, high: int, special: str = "", suffix: str = ""
    ) -> QSpinBox:
        spin = QSpinBox(self)
        spin.setRange(low, high)
        spin.setValue(value)
        spin.setSuffix(suffix)
        if special:
            spin.setSpecialValueText(special)
        return spin

    def _fill_filters(self) -> None:
        try:
            saved = json.loads(str(self.settings.qsettings.value(SAVED_FILTERS_KEY, "{}")))
        except ValueError:
            saved = {}
        chosen = set(self.settings.notify_filters)
        for name, expression in saved.items() if isinstance(saved, dict) else ():
            item = QListWidgetItem(f"{name} — {expression}", self.filters)
            item.setData(Qt.ItemDataRole.UserRole, name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if name in chosen else Qt.CheckState.Unchecked)
        if not self.filters.count():
            self.filters.addItem(self.tr("No saved filters yet: save one from the filter bar (▾)."))
            self.filters.setEnabled(False)

    def _build(self) -> None:
        browse = QPushButton(self.tr("Browse…"), self)
        browse.clicked.connect(self._on_browse_clicked)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(browse)
        general = QFormLayout()
        general.addRow(self.tr("Data folder:"), folder_row)
        general.addRow(self.tr("Language:"), self.language)
        general.addRow(self.tr("Receiver port:"), self.port)
        general.addRow(self.tr("Largest body:"), self.body_limit)
        general.addRow(self.tr("Keep events for (days):"), self.keep_days)
        general.addRow(self.tr("Keep at most (events):"), self.keep_rows)
        tunnel = QFormLayout()
        tunnel.addRow(self.tr("Public route:"), self.tunnel)
        tunnel.addRow(self.tr("ngrok authtoken:"), self.authtoken)
        tunnel.addRow(self.tr("ngrok domain:"), self.domain)
        tunnel.addRow(self.tr("ngrok region:"), self.region)
        tunnel.addRow(self.tr("Own public URL:"), self.public_url)
        forward = QFormLayout()
        forward.addRow(self.tr("Forward events to:"), self.forward_to)
        privacy = QVBoxLayout()
        privacy.addWidget(self.masking)
        privacy.addWidget(self.notify)
        privacy.addWidget(self.filters)
        layout = QVBoxLayout(self)
        for title, inner in ((self.tr("General (after a restart)"), general),
                             (self.tr("Tunnel (after a restart)"), tunnel),
                             (self.tr("Forwarding (after a restart)"), forward),
                             (self.tr("Privacy and notifications"), privacy)):  # fmt: skip
            box = QGroupBox(title, self)
            box.setLayout(inner)
            layout.addWidget(box)
        layout.addWidget(self.note)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(560)

    def _connect_signals(self) -> None:
        self.buttons.accepted.connect(self._on_buttons_accepted)
        self.buttons.rejected.connect(self.reject)
        self.tunnel.currentIndexChanged.connect(self._on_tunnel_current_index_changed)
        self.notify.toggled.connect(self._on_notify_toggled)
        for spin in (self.port, self.body_limit, self.keep_days, self.keep_rows):
            spin.valueChanged.connect(self._update_note)
        for edit in (self.folder, self.authtoken, self.domain, self.public_url, self.forward_to):
            edit.textChanged.connect(self._update_note)
        for combo in (self.language, self.tunnel, self.region):
            combo.currentIndexChanged.connect(self._update_note)

    # -- values ---------------------------------------------------------------------------------

    def values(self) -> dict[str, str | int | bool]:
        """What the dialog would store, by gui.ini key."""
        return {
            keys.LANGUAGE: str(self.language.currentData()),
            keys.PORT: self.port.value(),
            keys.BODY_LIMIT_KB: self.body_limit.value(),
            keys.KEEP_DAYS: self.keep_days.value(),
            keys.KEEP_ROWS: self.keep_rows.value(),
            keys.TUNNEL_MODE: str(self.tunnel.currentData()),
            keys.NGROK_DOMAIN: self.domain.text().strip(),
            keys.NGROK_REGION: str(self.region.currentData()),
            keys.PUBLIC_URL: self.public_url.text().strip(),
            keys.FORWARD_TO: " ".join(self.forward_to.text().split()),
            keys.MASK_DEFAULT: self.masking.isChecked(),
            keys.NOTIFY: self.notify.isChecked(),
        }

    def _current(self) -> dict[str, str | int | bool]:
        s = self.settings
        return {keys.LANGUAGE: s.language, keys.PORT: s.port, keys.BODY_LIMIT_KB: s.body_limit_kb,
                keys.KEEP_DAYS: s.keep_days, keys.KEEP_ROWS: s.keep_rows,
                keys.TUNNEL_MODE: s.tunnel_mode, keys.NGROK_DOMAIN: s.ngrok_domain,
                keys.NGROK_REGION: s.ngrok_region, keys.PUBLIC_URL: s.public_url,
                keys.FORWARD_TO: s.forward_to,
                keys.MASK_DEFAULT: s.mask_by_default, keys.NOTIFY: s.notify}  # fmt: skip

    def changed(self) -> list[str]:
        now, new = self._current(), self.values()
        changed = [key for key, value in new.items() if now[key] != value]
        if self.authtoken.text().strip() != self.settings.ngrok_authtoken():
            changed.append(keys.NGROK_SECRET_KEY)
        if Path(self.folder.text().strip()).expanduser() != self._data_dir:
            changed.append(keys.DATA_DIR_KEY)
        return changed

    @property
    def restart_needed(self) -> bool:
        return any(key not in (keys.MASK_DEFAULT, keys.NOTIFY) for key in self.changed())

    def _update_note(self) -> None:
        self.note.setText(
            self.tr("Restart b24monitor to apply these changes.") if self.restart_needed else ""
        )

    # -- slots ----------------------------------------------------------------------------------

    def _on_buttons_accepted(self) -> None:
        values = self.values()
        if values[keys.TUNNEL_MODE] == "url":
            try:
                values[keys.PUBLIC_URL] = normalize_public_url(str(values[keys.PUBLIC_URL]))
            except UsageError as exc:
                self.error.setText(str(exc))
                return
        if values[keys.FORWARD_TO]:
            try:
                parse_routes(str(values[keys.FORWARD_TO]).split())
            except UsageError as exc:
                self.error.setText(str(exc))
                return
        folder = self.folder.text().strip()
        if not folder:
            self.error.setText(self.tr("Choose a data folder."))
            return
        changed = self.changed()
        for key, value in values.items():
            self.settings.set(key, value)
        names = [
            str(self.filters.item(i).data(Qt.ItemDataRole.UserRole))
            for i in range(self.filters.count())
            if self.filters.item(i).checkState() == Qt.CheckState.Checked
        ]
        self.settings.set_notify_filters(names)
        if keys.NGROK_SECRET_KEY in changed:
            self.settings.set_ngrok_authtoken(self.authtoken.text().strip())
        if keys.DATA_DIR_KEY in changed:
            set_preferred_data_dir(Path(folder).expanduser())
        self.settings.qsettings.sync()
        self.applied.emit(changed)
        self.accept()

    def _on_browse_clicked(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, self.tr("Data folder"), self.folder.text())
        if chosen:
            self.folder.setText(chosen)

    def _on_tunnel_current_index_changed(self, *_: object) -> None:
        mode = self.tunnel.currentData()
        for widget in (self.authtoken, self.domain, self.region):
            widget.setEnabled(mode == "ngrok")
        self.public_url.setEnabled(mode == "url")

    def _on_notify_toggled(self, checked: bool) -> None:
        self.filters.setEnabled(checked and self.filters.count() > 0)
