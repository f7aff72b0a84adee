"""Status-bar items for the public route and the portal: tunnel, profile and token, bindings,
and the capture path's health (the canary, issue 11).

The tunnel item says "✔" only after a probe went out through the public URL and came back
(services/tunnel.py); the bindings item compares the last ReconcileReport with the session's
handler URL; the app-settings item warns while the app's saved URL in the portal is an old one
(app_settings.py, spec §1.1). A followed rename (spec §5.1) is told once through `message`.
Every warning's tooltip says what to do.
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QWidget

from b24monitor.core.portal_links import is_loopback_host
from b24monitor.core.subscriptions import ReconcileReport
from b24monitor.gui.session_signals import SessionSignals
from b24monitor.gui.status.app_settings import AppSettingsItem
from b24monitor.services.portal_link import Notice
from b24monitor.services.tunnel import TunnelState

WARN_STYLE = "color: #d03030;"
HEALTH_STYLES = {"ok": "color: #10a070;", "degraded": "color: #d08000;", "broken": WARN_STYLE}
TOKEN_TICK_MS = 30_000


def _style(label: QLabel, warning: bool) -> None:
    style = WARN_STYLE if warning else ""
    if label.styleSheet() != style:
        label.setStyleSheet(style)


class TunnelItem(QWidget):
    """`tunnel https://… ✔ [copy]`, or why Bitrix24 cannot reach us."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("tunnelStatus")
        self.label = QLabel(self)
        self.copy = QToolButton(self)
        self.copy.setObjectName("copyTunnelUrl")
        self.copy.setText(self.tr("copy"))
        self.copy.setToolTip(self.tr("Copy the public URL"))
        self.copy.setAutoRaise(True)
        self.copy.clicked.connect(self._on_copy_clicked)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.label)
        layout.addWidget(self.copy)
        self._url = ""
        self.show_state(TunnelState("stopped"))

    def show_state(self, state: TunnelState) -> None:
        self._url = state.public_url or ""
        self.copy.setVisible(bool(self._url))
        # No route configured: the handler item already says "local only", once is enough.
        self.setVisible(state.state != "stopped")
        url = self._url if len(self._url) <= 48 else self._url[:46] + "…"
        reason = state.reason or ""
        if state.state == "reachable":
            text, tip, warn = (
                self.tr("tunnel %1 ✔"),
                self.tr(
                    "Bitrix24 can reach b24monitor here: a probe went out through this URL and "
                    "came back."
                ),
                False,
            )  # fmt: skip  (or a delivery came through it: same proof)
        elif state.state == "starting":
            text, tip, warn = self.tr("tunnel starting…"), self.tr("Opening the public URL…"), False
        elif state.state == "unreachable":
            text, tip, warn = self.tr("tunnel %1 ✖ unreachable"), self.tr(
                "%1 b24monitor keeps retrying; check the network, or the tunnel's dashboard."
            ).replace("%1", reason), True  # fmt: skip
        elif state.state == "failed":
            text, tip, warn = self.tr("tunnel failed ✖"), self.tr(
                "%1 Fix the ngrok authtoken or your own URL in Settings → Tunnel."
            ).replace("%1", reason), True  # fmt: skip
        else:
            text, tip, warn = self.tr("no public URL ⚠"), self.tr(
                "Bitrix24 cannot reach a local address: set an ngrok authtoken or your own "
                "public URL in Settings → Tunnel."), True  # fmt: skip
        # The month's tunnel requests and any warning (quota nearing, agent ageing): services'
        # sentences, like the reason (issue 17).
        notes = state.usage.describe() if state.usage is not None and self._url else []
        notes += [f"⚠ {state.warning}"] if state.warning else []
        self.label.setText(text.replace("%1", url))
        self.label.setToolTip("\n".join([*([self._url] if self._url else []), tip, *notes]))
        _style(self.label, warn or bool(state.warning))

    def _on_copy_clicked(self) -> None:
        QGuiApplication.clipboard().setText(self._url)


class PortalStatus(QObject):
    """The tunnel, portal and bindings items; add `widgets()` to the status bar."""

    local_portal_changed = Signal(bool)  # the followed portal runs on this machine (sandbox)
    message = Signal(str, int)  # a one-off sentence for the status bar (text, milliseconds)

    def __init__(self, signals: SessionSignals, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = signals.session
        self.tunnel = TunnelItem(parent)
        self.portal = QLabel(parent)
        self.portal.setObjectName("portalStatus")
        self.bindings = QLabel(parent)
        self.bindings.setObjectName("bindingsStatus")
        self.app_settings = AppSettingsItem(parent)
        self.health = QLabel(parent)
        self.health.setObjectName("healthStatus")
        self.health.setVisible(False)  # until the canary has something to say
        self.timer = QTimer(self)
        self.timer.setInterval(TOKEN_TICK_MS)
        self.timer.timeout.connect(self._on_timer_timeout)
        self.timer.start()
        signals.notice.connect(self._on_signals_notice)
        signals.tunnel_changed.connect(self._on_signals_tunnel_changed)
        signals.portal_switched.connect(self._on_signals_portal_switched)
        self.tunnel.show_state(self.session.tunnel_state)
        self.refresh()

    def widgets(self) -> list[QWidget]:
        return [self.tunnel, self.portal, self.app_settings, self.bindings, self.health]

    def refresh(self) -> None:
        self._show_portal()
        self._show_bindings()
        self._show_app_settings()
        self.local_portal_changed.emit(self.portal_is_local())

    def portal_is_local(self) -> bool:
        """True when the portal's REST endpoint is on loopback: it can call a local handler."""
        link = self.session.portal
        if link is None or link.profile.kind == "webhook":
            return False
        host = urlsplit(link.profile.client_endpoint).hostname or ""
        return is_loopback_host(host)

    def _show_portal(self) -> None:
        link = self.session.portal
        label = self.portal
        if link is None:
            label.setText(self.tr("no portal"))
            label.setToolTip(self.tr("Connect a portal to bind events: Portal → Connect…"))
            _style(label, False)
            return
        profile = link.profile
        name = profile.domain or profile.name
        if profile.kind == "webhook":
            label.setText(self.tr("portal %1 (outgoing webhook)").replace("%1", name))
            label.setToolTip(self.tr("Receives and verifies deliveries; an outgoing webhook "
                                     "cannot bind events or read the offline queue."))  # fmt: skip
            _style(label, False)
        elif not profile.installed:
            label.setText(self.tr("portal %1: not installed ⚠").replace("%1", name))
            label.setToolTip(self.tr("Open the application in Bitrix24 so that ONAPPINSTALL "
                                     "reaches the handler URL."))  # fmt: skip
            _style(label, True)
        elif link.client.needs_reauthorization:
            label.setText(self.tr("portal %1 · token refused ✖").replace("%1", name))
            label.setToolTip(self.tr("The refresh token no longer works: reinstall the "
                                     "application in Bitrix24 to get new tokens."))  # fmt: skip
            _style(label, True)
        else:
            minutes = int((profile.expires - time.time()) // 60)
            token = (self.tr("token %1 min").replace("%1", str(minutes)) if minutes > 0
                     else self.tr("token expired"))  # fmt: skip
            label.setText(self.tr("portal %1 · %2").replace("%1", name).replace("%2", token))
            label.setToolTip(self.tr("The access token lasts an hour; b24monitor refreshes it "
                                     "by itself when the portal says it expired."))  # fmt: skip
            _style(label, False)

    def _show_app_settings(self) -> None:
        link = self.session.portal
        handler_url = self.session.handler_url
        reachable = self.session.public_url is not None or self.portal_is_local()
        saved = link.profile.app_url if link is not None and reachable else None
        self.app_settings.show_urls(saved, handler_url)

    def _show_bindings(self, report: ReconcileReport | None = None) -> None:
        link = self.session.portal
        label = self.bindings
        label.setVisible(link is not None and link.subscriptions is not None)
        if link is None or link.subscriptions is None:
            return
        report = report or link.report
        rows = [r for r in report.rows if r.state != "foreign"]
        errors = [r for r in rows if r.state == "error"]
        waiting = [r for r in rows if r.state == "pending" and "public" in r.detail]
        moved = sum(1 for r in rows if r.state == "stale-moved")
        warn = True
        if errors:
            label.setText(self.tr("bindings failed: %1 ✖").replace("%1", str(len(errors))))
            tip = "\n".join(f"{r.event}: {r.detail}" for r in errors[:8])
            tip += "\n" + self.tr("The subscriptions dock shows each of the portal's answers.")
        elif waiting:
            label.setText(self.tr("bindings wait for a public URL ⚠"))
            tip = self.tr("Start a tunnel or set your own public URL in Settings → Tunnel.")
        elif not rows:
            label.setText(self.tr("no bindings yet"))
            tip = self.tr("Tick events in the subscriptions dock to bind them here.")
            warn = False
        elif report.handler_url != self.session.handler_url:
            label.setText(self.tr("bindings point elsewhere ⚠"))
            tip = self.tr("They are being moved to this handler URL; if this stays, check "
                          "the tunnel.")  # fmt: skip
        else:
            text = self.tr("bindings point here ✔")
            if moved:
                text += " · " + self.tr("%1 stale → moved").replace("%1", str(moved))
            label.setText(text)
            tip, warn = self.session.handler_url, False
        label.setToolTip(tip)
        _style(label, warn)

    # -- slots ----------------------------------------------------------------------------------

    def show_health(self, notice: Notice) -> None:
        """`health ✔ 120 ms` (green), `health ⚠` (amber) or `health ✖` (red), with the cause."""
        state = str(notice.get("state"))
        ms = notice.get("canary_ms")
        mark = {"ok": "✔", "degraded": "⚠", "broken": "✖"}.get(state, "?")
        text = self.tr("health %1").replace("%1", mark)
        if ms is not None:
            text += f" {ms:.0f} ms"
        self.health.setText(text)
        self.health.setStyleSheet(HEALTH_STYLES.get(state, ""))
        self.health.setVisible(True)
        lines = [str(notice["reason"])] if notice.get("reason") else []
        guard = self.session.guard
        trips = guard.last_trips() if guard is not None else []
        if trips:
            lines.append(self.tr("Last canary round trips:"))
            lines += [time.strftime("%H:%M:%S", time.localtime(at)) + "  "
                      + (f"{ms:.0f} ms" if ms is not None else self.tr("lost"))
                      for at, ms in trips]  # fmt: skip
        self.health.setToolTip("\n".join(lines) or self.tr("Deliveries reach b24monitor"))

    def _on_signals_notice(self, notice: Notice) -> None:
        kind = notice.get("type")
        if kind == "health":
            self.show_health(notice)
        elif kind == "subscriptions":
            self._show_bindings(notice["report"])
            self._show_app_settings()  # the portal's installation row may now agree (§1.1)
        else:
            self.refresh()
        if kind == "portal_moved":
            self.message.emit("⚠ " + str(notice.get("message")), 30_000)
        elif kind == "profile_known":  # added by another process while running (issue 10c)
            self.message.emit(str(notice.get("message")), 10_000)

    def _on_signals_tunnel_changed(self, state: TunnelState) -> None:
        self.tunnel.show_state(state)
        self._show_bindings()
        self._show_app_settings()

    def _on_signals_portal_switched(self, name: str) -> None:
        self.refresh()

    def _on_timer_timeout(self) -> None:
        self._show_portal()
