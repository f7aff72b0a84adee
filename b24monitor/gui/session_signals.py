"""SessionSignals: the Session's plain-callback news as Qt signals, plus switching the portal.

The Session announces its news through core Signals (services/session.py); this object is the
one bridge from them to Qt: it connects once, and widgets connect to its Qt signals, which Qt
drops when a widget is destroyed — a closing pane cannot leave a dead callback behind.
Switching the portal goes through here too, so every pane that shows portal state hears
`portal_switched` without knowing who switched.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from b24monitor.core import signals
from b24monitor.services.portal_link import Notice
from b24monitor.services.session_view import SessionView
from b24monitor.services.tunnel import TunnelState


class SessionSignals(QObject):
    """`notice(dict)`, `tunnel_changed(TunnelState)`, `portal_switched(str)` ("" = none)."""

    notice = Signal(object)  # a Notice dict; object: it carries a ReconcileReport
    tunnel_changed = Signal(object)
    portal_switched = Signal(str)
    alert = Signal(object)  # a core.traffic_patterns.Alert: a loop or a storm

    def __init__(self, session: SessionView, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        session.notice.connect(self._on_session_notice)
        session.tunnel_changed.connect(self._on_session_tunnel)
        session.alerts.connect(self.alert.emit)
        # An engine shared with other windows may switch portal at another's request.
        switched: signals.Signal[str | None] | None = getattr(session, "portal_changed", None)
        if switched is not None:
            switched.connect(self._on_session_portal_changed)
        self._announced: str | None = None  # the portal the panes were last told about

    async def switch_portal(self, name: str | None) -> None:
        """Follow profile `name` (None: no portal); panes reload through `portal_switched`."""
        await self.session.switch_portal(name)
        self._announce(name or "")

    def announce_portal(self) -> None:
        """Tell the panes which portal the session follows now (after Session.start())."""
        portal = self.session.portal
        self._announced = None
        self._announce(portal.profile_name if portal is not None else "")

    def _announce(self, name: str) -> None:
        if name != self._announced:
            self._announced = name
            self.portal_switched.emit(name)

    def _on_session_portal_changed(self, name: str | None) -> None:
        self._announce(name or "")

    def _on_session_notice(self, notice: Notice) -> None:
        self.notice.emit(notice)

    def _on_session_tunnel(self, state: TunnelState) -> None:
        self.tunnel_changed.emit(state)
