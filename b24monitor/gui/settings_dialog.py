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
from b24monitor.gui.i18n import translate
from b24monitor.gui.setting_specs import CONTEXT, SPECS, SettingSpec, Value
from b24monitor.gui.settings_store import GuiSettings, preferred_data_dir, set_preferred_data_dir
from b24monitor.services.session import normalize_public_url

SAVED_FILTERS_KEY = "filters/saved"  # written by the filter bar's menus (filter_menus.py)
WARN_STYLE = "color: #d03030;"


class SettingsDialog(QDialog):
    """Emits `applied(changed_keys)` after saving; `restart_needed` tells whether to restart.

    Its widgets come from setting_specs.SPECS (one attribute per spec, e.g. `self.port`); only
    the data folder and the saved-filter list are built by hand.
    """

    applied = Signal(list)

    def __init__(
        self, settings: GuiSettings, data_dir: Path, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("settingsDialog")
        self.setWindowTitle(self.tr("Settings"))
        self.settings = settings
        self._data_dir = data_dir
        self.folder = QLineEdit(str(preferred_data_dir() or data_dir), self)
        self._widgets: dict[str, QWidget] = {}
        for spec in SPECS:
            widget = self._make(spec)
            self._widgets[spec.key] = widget
            setattr(self, spec.name, widget)
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

    def _make(self, spec: SettingSpec) -> QWidget:
        """The spec's editor, showing the saved value and the spec's tip (any kind of editor)."""
        editor = self._editor(spec)
        if spec.tip:
            editor.setToolTip(translate(CONTEXT, spec.tip))
        return editor

    def _editor(self, spec: SettingSpec) -> QWidget:
        value = spec.read(self.settings)
        if spec.kind == "spin":
            spin = QSpinBox(self)
            spin.setRange(spec.low, spec.high)
            spin.setValue(int(value))
            spin.setSuffix(spec.suffix)
            if spec.special:
                spin.setSpecialValueText(translate(CONTEXT, spec.special))
            return spin
        if spec.kind == "choice":
            combo = QComboBox(self)
            for code, name in spec.choices:
                combo.addItem(translate(CONTEXT, name), code)
            combo.setCurrentIndex(max(0, combo.findData(value)))
            return combo
        if spec.kind == "check":
            check = QCheckBox(translate(CONTEXT, spec.label), self)
            check.setChecked(bool(value))
            return check
        edit = QLineEdit(str(value), self)
        edit.setObjectName(spec.object_name)
        if spec.kind == "secret":
            edit.setEchoMode(QLineEdit.EchoMode.Password)
        if spec.placeholder:
            edit.setPlaceholderText(translate(CONTEXT, spec.placeholder))
        return edit

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
        forms = {group: QFormLayout() for group in ("general", "tunnel", "forward")}
        forms["general"].addRow(self.tr("Data folder:"), folder_row)
        privacy = QVBoxLayout()
        for spec in SPECS:
            widget = self._widgets[spec.key]
            if spec.group == "privacy":
                privacy.addWidget(widget)
            else:
                forms[spec.group].addRow(translate(CONTEXT, spec.label), widget)
        privacy.addWidget(self.filters)
        layout = QVBoxLayout(self)
        for title, inner in ((self.tr("General (after a restart)"), forms["general"]),
                             (self.tr("Tunnel (after a restart)"), forms["tunnel"]),
                             (self.tr("Forwarding (after a restart)"), forms["forward"]),
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
        tunnel, notify = self._widgets[keys.TUNNEL_MODE], self._widgets[keys.NOTIFY]
        assert isinstance(tunnel, QComboBox) and isinstance(notify, QCheckBox)
        tunnel.currentIndexChanged.connect(self._on_tunnel_current_index_changed)
        notify.toggled.connect(self._on_notify_toggled)
        self.folder.textChanged.connect(self._update_note)
        for widget in self._widgets.values():
            if isinstance(widget, QSpinBox):
                widget.valueChanged.connect(self._update_note)
            elif isinstance(widget, QLineEdit):
                widget.textChanged.connect(self._update_note)
            elif isinstance(widget, QComboBox):
                widget.currentIndexChanged.connect(self._update_note)

    # -- values ---------------------------------------------------------------------------------

    def values(self) -> dict[str, Value]:
        """What the dialog would store, by gui.ini key (the secret is not among them)."""
        return {
            spec.key: _value_of(spec, self._widgets[spec.key])
            for spec in SPECS
            if spec.kind != "secret"
        }

    def changed(self) -> list[str]:
        changed = [
            spec.key
            for spec in SPECS
            if _value_of(spec, self._widgets[spec.key]) != spec.read(self.settings)
        ]
        if Path(self.folder.text().strip()).expanduser() != self._data_dir:
            changed.append(keys.DATA_DIR_KEY)
        return changed

    @property
    def restart_needed(self) -> bool:
        at_once = {spec.key for spec in SPECS if not spec.restart}
        return any(key not in at_once for key in self.changed())

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
            secret = _value_of(SECRET, self._widgets[SECRET.key])
            self.settings.set_ngrok_authtoken(str(secret))
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
        mode = self.values()[keys.TUNNEL_MODE]
        for key in (keys.NGROK_SECRET_KEY, keys.NGROK_DOMAIN, keys.NGROK_REGION):
            widget = self._widgets[key]
            widget.setEnabled(mode == "ngrok")
        self._widgets[keys.PUBLIC_URL].setEnabled(mode == "url")

    def _on_notify_toggled(self, checked: bool) -> None:
        self.filters.setEnabled(checked and self.filters.count() > 0)


SECRET = next(spec for spec in SPECS if spec.kind == "secret")


def _value_of(spec: SettingSpec, widget: QWidget) -> Value:
    """The value an editor holds, as it would be saved."""
    if isinstance(widget, QSpinBox):
        return widget.value()
    if isinstance(widget, QComboBox):
        return str(widget.currentData())
    if isinstance(widget, QCheckBox):
        return widget.isChecked()
    assert isinstance(widget, QLineEdit)
    return spec.clean(widget.text())
