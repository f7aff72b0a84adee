"""SessionSignals: the Session's plain-callback news as Qt signals, plus switching the portal.

The Session keeps its listeners for its whole life and has no way to remove one, so a widget
that registered itself directly (a wizard, a dialog) would leave a dead callback behind. One
SessionSignals object registers once; widgets connect to its signals, and Qt drops those
connections when a widget is destroyed. Switching the portal goes through here too, so every
pane that shows portal state hears `portal_switched` without knowing who switched.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from b24monitor.services.portal_link import Notice
from b24monitor.services.session import Session
from b24monitor.services.tunnel import TunnelState


class SessionSignals(QObject):
    """`notice(dict)`, `tunnel_changed(TunnelState)`, `portal_switched(str)` ("" = none)."""

    notice = Signal(object)  # a Notice dict; object: it carries a ReconcileReport
    tunnel_changed = Signal(object)
    portal_switched = Signal(str)
    alert = Signal(object)  # a core.traffic_patterns.Alert: a loop or a storm

    def __init__(self, session: Session, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        session.add_notice_listener(self._on_session_notice)
        session.add_tunnel_listener(self._on_session_tunnel)
        session.alerts.connect(self.alert.emit)

    async def switch_portal(self, name: str | None) -> None:
        """Follow profile `name` (None: no portal); panes reload through `portal_switched`."""
        await self.session.switch_portal(name)
        self.portal_switched.emit(name or "")

    def announce_portal(self) -> None:
        """Tell the panes which portal the session follows now (after Session.start())."""
        portal = self.session.portal
        self.portal_switched.emit(portal.profile_name if portal is not None else "")

    def _on_session_notice(self, notice: Notice) -> None:
        self.notice.emit(notice)

    def _on_session_tunnel(self, state: TunnelState) -> None:
        self.tunnel_changed.emit(state)
