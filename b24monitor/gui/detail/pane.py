"""DetailPane: one event — code and verdict, then Tree, JSON, Raw and Auth tabs (tokens masked)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QCheckBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from b24monitor.core.masking import is_secret_key, mask_body, mask_headers, mask_secrets
from b24monitor.core.model import CapturedEvent
from b24monitor.core.portal_links import display_url, event_record_url
from b24monitor.gui.detail.checks_tab import ChecksTab
from b24monitor.gui.detail.payload_tree import PayloadTree
from b24monitor.gui.formats import format_delay


class DetailPane(QWidget):
    """Shows one CapturedEvent; Reveal (Auth tab) unmasks tokens until another event is shown."""

    reveal_by_default = False  # Settings → "Mask tokens by default" off: start revealed
    link_requested = Signal(str)  # the shown record's portal page

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("detailPane")
        self._event: CapturedEvent | None = None
        self._revealed = False
        self.code = QLabel(self)
        self.code.setObjectName("detailCode")
        font = self.code.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.code.setFont(font)
        self.code.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.verdict = QLabel(self)
        self.verdict.setWordWrap(True)
        self.facts = QLabel(self)
        self.facts.setWordWrap(True)
        self.facts.setEnabled(False)  # drawn in the palette's quieter colour
        self.open_link = QPushButton(self.tr("Open in portal ↗"), self)
        self.open_link.setObjectName("openInPortal")
        self.open_link.clicked.connect(self._on_open_link_clicked)
        self._link: str | None = None
        self.tabs = QTabWidget(self)
        self.tree = PayloadTree(self)
        self.json = self._text_view()
        self.raw = self._text_view()
        self.auth = QTreeWidget(self)
        self.auth.setHeaderLabels([self.tr("key"), self.tr("value")])
        self.auth.setRootIsDecorated(False)
        self.checks = ChecksTab(self)
        self.reveal = QCheckBox(self.tr("Reveal secrets (until another event is shown)"), self)
        self.reveal.toggled.connect(self._on_reveal_toggled)
        self._build_layout()
        self.show_event(None)

    def _text_view(self) -> QPlainTextEdit:
        view = QPlainTextEdit(self)
        view.setReadOnly(True)
        view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        return view

    def _build_layout(self) -> None:
        auth_page = QWidget(self)
        auth_layout = QVBoxLayout(auth_page)
        auth_layout.setContentsMargins(0, 0, 0, 0)
        auth_layout.addWidget(self.auth)
        auth_layout.addWidget(self.reveal)
        self.tabs.addTab(self.tree, self.tr("Tree"))
        self.tabs.addTab(self.json, self.tr("JSON"))
        self.tabs.addTab(self.raw, self.tr("Raw"))
        self.tabs.addTab(auth_page, self.tr("Auth"))
        self.tabs.addTab(self.checks, self.tr("Checks"))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 0, 0)
        layout.addWidget(self.code)
        layout.addWidget(self.verdict)
        layout.addWidget(self.facts)
        layout.addWidget(self.open_link, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.tabs, 1)

    # -- commands -------------------------------------------------------------------------------

    @property
    def shown_event(self) -> CapturedEvent | None:
        return self._event

    def show_event(self, ev: CapturedEvent | None) -> None:
        self._event = ev
        self.reveal.blockSignals(True)
        # Reveal never carries over from another event; Settings chooses where it starts.
        self.reveal.setChecked(self.reveal_by_default)
        self.reveal.blockSignals(False)
        self._revealed = self.reveal_by_default
        self._render()

    def focus_content(self) -> None:
        page = self.tabs.currentWidget()
        target = self.auth if page is not None and page.isAncestorOf(self.auth) else page
        (target or self.tabs).setFocus(Qt.FocusReason.ShortcutFocusReason)

    def payload_json(self) -> str | None:
        """The shown event's decoded payload as pretty JSON (masked unless revealed)."""
        payload = self._payload()
        return None if payload is None else json.dumps(payload, indent=2, ensure_ascii=False)

    # -- rendering ------------------------------------------------------------------------------

    def _payload(self) -> dict[str, Any] | None:
        if self._event is None or self._event.data is None:
            return None
        return self._event.data if self._revealed else mask_secrets(self._event.data)

    def _render(self) -> None:
        ev = self._event
        self.tabs.setEnabled(ev is not None)
        if ev is None:
            self.code.setText(self.tr("No event selected"))
            self.verdict.setText(self.tr("Pick a row; Enter moves here, Esc goes back."))
            self.facts.clear()
        else:
            self.code.setText(ev.event or self.tr("(no event code)"))
            self.verdict.setText(self._verdict(ev))
            self.facts.setText(self._facts(ev))
        self.verdict.setStyleSheet(self._verdict_style(ev))
        self._show_link(ev)
        payload = self._payload()
        self.tree.show_payload(payload)
        self.json.setPlainText(self._json_text(ev, payload))
        self.raw.setPlainText(self._raw_text(ev))
        self._fill_auth(ev)
        self.checks.show_event(ev)
        count = len(ev.findings) if ev is not None else 0
        label = self.tr("Checks") + (f" ⚠{count}" if count else "")
        self.tabs.setTabText(self.tabs.indexOf(self.checks), label)

    def _verdict(self, ev: CapturedEvent) -> str:
        if ev.status == "malformed":
            return self.tr("✖ malformed: %1").replace("%1", ev.error or "")
        if ev.verified is True and ev.sender:
            return self.tr("✔ token matches: sent by %1").replace("%1", ev.sender)
        if ev.verified is True:
            return self.tr("✔ token matches: application_token is the one known for the portal")
        if ev.verified is False:
            text = self.tr("✖ mismatch: application_token is none of those known for the portal")
            return text + (f" ({ev.error})" if ev.error else "")
        return self.tr(
            "– no token known yet for this portal: it is learned from ONAPPINSTALL, "
            "or set it by hand to verify deliveries"
        )

    @staticmethod
    def _verdict_style(ev: CapturedEvent | None) -> str:
        if ev is None or (ev.verified is None and ev.status == "ok"):
            return ""
        good = ev.verified is True and ev.status == "ok"
        return "color: #1e9640;" if good else "color: #d03030; font-weight: bold;"

    def _facts(self, ev: CapturedEvent) -> str:
        when = datetime.fromtimestamp(ev.received_at).strftime("%d.%m %H:%M:%S")
        parts = [f"#{ev.id}", when, ev.domain or "", f"HTTP {ev.http_status}"]
        if ev.ts is not None:
            parts.append(self.tr("delay %1").replace("%1", format_delay(ev.received_at - ev.ts)))
        if ev.pinned:
            parts.append(self.tr("pinned"))
        return " · ".join(p for p in parts if p)

    def _json_text(self, ev: CapturedEvent | None, payload: dict[str, Any] | None) -> str:
        if ev is None:
            return ""
        if payload is None:
            return self.tr("The body did not decode: %1").replace("%1", ev.error or "")
        return json.dumps(payload, indent=2, ensure_ascii=False)

    def _raw_text(self, ev: CapturedEvent | None) -> str:
        """The request as received (tokens masked unless revealed)."""
        if ev is None:
            return ""
        headers = ev.headers if self._revealed else mask_headers(ev.headers)
        body = ev.body if self._revealed else mask_body(ev.body)
        lines = [f"{ev.method} {ev.path} HTTP/1.1", *(f"{k}: {v}" for k, v in headers)]
        return "\n".join(lines) + "\n\n" + body.decode("utf-8", errors="replace")

    def _fill_auth(self, ev: CapturedEvent | None) -> None:
        self.auth.clear()
        auth = (ev.data or {}).get("auth") if ev is not None else None
        self.reveal.setEnabled(isinstance(auth, dict))
        if not isinstance(auth, dict):
            return
        shown = auth if self._revealed else mask_secrets(auth)
        for key, value in shown.items():
            text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            item = QTreeWidgetItem([str(key), text])
            if is_secret_key(str(key)):
                item.setToolTip(1, self.tr("A secret: masked unless Reveal is on"))
            self.auth.addTopLevelItem(item)
        self.auth.resizeColumnToContents(0)

    def _show_link(self, ev: CapturedEvent | None) -> None:
        self._link = None if ev is None else event_record_url(ev)
        self.open_link.setVisible(self._link is not None)
        # The browser gets punycode; people read an IDN portal's name in its own letters.
        self.open_link.setToolTip(display_url(self._link) if self._link else "")

    def _on_open_link_clicked(self) -> None:
        if self._link is not None:
            self.link_requested.emit(self._link)

    def _on_reveal_toggled(self, checked: bool) -> None:
        self._revealed = checked
        self._render()
