"""PingControl: the toolbar's Ping — event.test round trip to our receiver, shown in the status bar.

Ping needs an application profile (event.test is an app method, spec §2.5); without one the
action stays disabled and its tooltip says why. With forwarding on, the message also tells the
handler's last answer, so one click checks both halves: portal → monitor and monitor → handler.
"""

from __future__ import annotations

import asyncio
import contextlib

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction

from b24monitor.core.errors import B24MonitorError
from b24monitor.core.replay import Attempt
from b24monitor.core.tasks import spawn
from b24monitor.services.session_view import SessionView


class PingControl(QObject):
    """Owns the Ping action; `message(text)` carries the outcome for the status bar."""

    message = Signal(str)

    def __init__(self, session: SessionView, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.action = QAction(self.tr("Ping"), self)
        self.action.setObjectName("pingAction")
        self.action.triggered.connect(self._on_action_triggered)
        self.last_forward: Attempt | None = None
        self.running = False
        self._task: asyncio.Task[None] | None = None
        self.update_state()

    def update_state(self, *_: object) -> None:
        """Enable Ping only with an application profile linked; say why otherwise."""
        portal = self.session.portal
        if self.running:
            reason = self.tr("A ping is running")
        elif portal is None:
            reason = self.tr("Ping needs a linked portal: connect one from Portal → Connect")
        elif portal.profile.kind != "app":
            reason = self.tr("Ping needs an application profile: webhooks cannot call event.test")
        else:
            reason = ""
        self.action.setEnabled(not reason)
        self.action.setToolTip(
            reason or self.tr("Time event.test until its ONAPPTEST arrives here")
        )

    def note_attempt(self, attempt: Attempt) -> None:
        if attempt.kind == "forward":
            self.last_forward = attempt

    def _on_action_triggered(self) -> None:
        if self.session.portal is None or self.running:
            return
        self.running = True
        self.update_state()
        self.message.emit(self.tr("Ping: waiting for ONAPPTEST…"))
        self._task = spawn(self._ping(), name="ping", on_error=self._on_ping_failed)

    async def close(self) -> None:
        """Cancel a running ping (before the session stops)."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _ping(self) -> None:
        portal = self.session.portal
        try:
            if portal is None:
                return
            seconds = await portal.ping()
        except B24MonitorError as exc:
            self.message.emit(self.tr("Ping failed: %1").replace("%1", str(exc)))
            return
        finally:
            self.running = False
            self.update_state()
        self.message.emit(self._result_text(seconds))

    def _result_text(self, seconds: float) -> str:
        text = self.tr("Ping: ONAPPTEST arrived after %1 ms").replace("%1", f"{seconds * 1000:.0f}")
        last = self.last_forward
        if self.session.config.forward is not None and last is not None:
            answer = str(last.status) if last.status is not None else (last.error or "—")
            text += " · " + self.tr("handler's last answer: %1").replace("%1", answer)
        return text

    def _on_ping_failed(self, name: str, exc: BaseException) -> None:
        self.message.emit(self.tr("Ping failed: %1").replace("%1", str(exc) or type(exc).__name__))
