"""EventCommands: replay, copy as curl, compare and ping — the actions on selected events.

The main window constructs it with the table and the detail pane; it adds its own Forwarding tab
and action bar to the detail pane, its actions (Ctrl+R, Ctrl+Shift+C, Ctrl+D) to the window and a
context menu to the table, and reports outcomes through `message(text, ms)` for the status bar.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from PySide6.QtCore import QObject, QPoint, Qt, Signal
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QMenu, QWidget

from b24monitor.core.errors import UsageError
from b24monitor.core.model import CapturedEvent
from b24monitor.core.replay import Attempt, OutgoingRequest, replay_request
from b24monitor.core.tasks import spawn
from b24monitor.gui.detail import (
    AS_RECORDED,
    EDITED,
    AttemptsTab,
    DetailPane,
    DiffDialog,
    EventActions,
    EventActionsBar,
    PingControl,
    ReplayEditDialog,
)
from b24monitor.gui.store_worker import StoreWorker
from b24monitor.gui.table import EventTableView
from b24monitor.services.session_view import SessionView

MESSAGE_MS = 10_000


class EventCommands(QObject):
    """Owns the replay/curl/compare actions and the Forwarding tab of the detail pane."""

    message = Signal(str, int)

    def __init__(
        self,
        session: SessionView,
        worker: StoreWorker,
        table: EventTableView,
        detail: DetailPane,
        window: QWidget,
    ) -> None:
        super().__init__(window)
        self.session, self.worker, self.table, self.detail = session, worker, table, detail
        self._window = window
        self.actions = EventActions(session, worker, self)
        self.attempts = AttemptsTab(self.actions.attempts_for, self._on_task_failed, detail)
        self.bar = EventActionsBar(detail)
        self.ping = PingControl(session, self)
        detail.tabs.addTab(self.attempts, self.tr("Forwarding"))
        detail_layout = detail.layout()
        if detail_layout is not None:
            detail_layout.addWidget(self.bar)
        self.replay_action = self._action(self.tr("Replay to forward target"), "Ctrl+R", "replay")
        self.curl_action = self._action(self.tr("Copy as curl"), "Ctrl+Shift+C", "copyCurl")
        self.compare_action = self._action(self.tr("Compare"), "Ctrl+D", "compare")
        window.addActions([self.replay_action, self.curl_action, self.compare_action])
        table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.dialogs: list[QWidget] = []
        self._connect_signals()

    def _action(self, text: str, keys: str, name: str) -> QAction:
        action = QAction(text, self)
        action.setObjectName(f"{name}Action")
        action.setShortcut(QKeySequence(keys))
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        return action

    def _connect_signals(self) -> None:
        self.table.current_event_changed.connect(self._on_table_current_event_changed)
        self.table.customContextMenuRequested.connect(self._on_table_context_menu_requested)
        self.replay_action.triggered.connect(self._on_replay_action_triggered)
        self.curl_action.triggered.connect(self.copy_curl)
        self.compare_action.triggered.connect(self.compare_selected)
        self.bar.curl_requested.connect(self.copy_curl)
        self.bar.replay_requested.connect(self._on_bar_replay_requested)
        self.actions.attempt_recorded.connect(self._on_attempt)
        self.session.attempt_recorded.connect(self._on_attempt)
        self.ping.message.connect(lambda text: self.message.emit(text, MESSAGE_MS))

    async def close(self) -> None:
        """Before the session stops: close the dialogs and the ping control."""
        for dialog in self.dialogs:
            dialog.close()
        await self.ping.close()

    # -- copy as curl ---------------------------------------------------------------------------

    def copy_curl(self) -> None:
        """The shown event as a curl command on the clipboard (masked unless Reveal is on)."""
        ev = self.detail.shown_event
        if ev is None:
            self.message.emit(self.tr("Select an event to copy as curl"), MESSAGE_MS)
            return
        reveal = self.detail.reveal.isChecked()
        QGuiApplication.clipboard().setText(self.actions.curl_text(ev, reveal=reveal))
        text = self.tr("Copied as curl") if reveal else self.tr("Copied as curl (tokens masked)")
        self.message.emit(text, 3000)

    # -- replay ---------------------------------------------------------------------------------

    def _on_replay_action_triggered(self) -> None:
        self.replay(self.table.selected_ids(), AS_RECORDED)

    def _on_bar_replay_requested(self, variant: str) -> None:
        ev = self.detail.shown_event
        if ev is not None:
            self.replay([ev.id], variant)

    def replay(self, ids: Sequence[int], variant: str) -> None:
        """Replay `ids` to their forward targets as recorded, token-stripped or edited."""
        if not ids:
            self.message.emit(self.tr("Select the events to replay"), MESSAGE_MS)
            return
        if self.session.config.forward is None:
            text = self.tr(
                "No forward target is set: add one in Settings → Forwarding, then restart"
            )
            self.message.emit(text, MESSAGE_MS)
            return
        spawn(self._replay(list(ids), variant), name="replay", on_error=self._on_task_failed)

    async def _replay(self, ids: list[int], variant: str) -> None:
        events = await self.actions.events(ids)
        if variant == EDITED:
            if len(events) != 1:
                return
            request = await self._edited_request(events[0])
            if request is None:
                return
            requests = [request]
        else:
            try:
                requests = [replay_request(ev, strip_token=variant != AS_RECORDED) for ev in events]
            except UsageError as exc:
                self.message.emit(str(exc), MESSAGE_MS)
                return
        by_id = {ev.id: ev for ev in events}
        routed = [(r, self.actions.target_for(by_id[r.event_id])) for r in requests]
        sendable = [(r, t) for r, t in routed if t is not None]
        if len(sendable) < len(routed):
            self.message.emit(self.tr("Some events match no forward route"), MESSAGE_MS)
        attempts = await self.actions.replay(sendable)
        self.message.emit(self._summary(attempts), MESSAGE_MS)

    async def _edited_request(self, ev: CapturedEvent) -> OutgoingRequest | None:
        dialog = ReplayEditDialog(ev, self._window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialogs.append(dialog)
        dialog.finished.connect(lambda _: self.dialogs.remove(dialog))
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def on_finished(_: int) -> None:
            if not done.done():
                done.set_result(None)

        dialog.finished.connect(on_finished)
        dialog.open()
        await done
        return dialog.accepted_request

    def _summary(self, attempts: list[Attempt]) -> str:
        if not attempts:
            return self.tr("Nothing was replayed")
        last = attempts[-1]
        if last.status is None:
            return self.tr("Replay failed: %1").replace("%1", last.error or "")
        text = self.tr("Replayed %1 events; the handler answered %2")
        return text.replace("%1", str(len(attempts))).replace("%2", str(last.status))

    def _on_attempt(self, attempt: Attempt) -> None:
        self.attempts.note_attempt(attempt)
        self.ping.note_attempt(attempt)

    # -- compare --------------------------------------------------------------------------------

    def compare_selected(self) -> None:
        """Two rows: compare them; one row: compare with the entity's previous delivery."""
        ids = self.table.selected_ids()
        if len(ids) not in (1, 2):
            self.message.emit(self.tr("Select one or two events to compare"), MESSAGE_MS)
            return
        spawn(self._compare(ids), name="compare", on_error=self._on_task_failed)

    async def _compare(self, ids: list[int]) -> None:
        events = await self.actions.events(ids)
        if len(events) == 1:
            ev = events[0]
            previous = await self.worker.previous_delivery(ev)
            if previous is None:
                text = self.tr("Event #%1 has no earlier delivery for the same entity")
                self.message.emit(text.replace("%1", str(ev.id)), MESSAGE_MS)
                return
            events.insert(0, previous)
        if len(events) != 2:
            return
        dialog = DiffDialog(events[0], events[1], self._window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialogs.append(dialog)
        dialog.finished.connect(lambda _: self.dialogs.remove(dialog))
        dialog.open()

    def _on_table_context_menu_requested(self, pos: QPoint) -> None:
        menu = QMenu(self.table)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        count = len(self.table.selected_ids())
        compare = menu.addAction(
            self.tr("Compare (Ctrl+D)") if count == 2
            else self.tr("Compare with previous delivery of this entity (Ctrl+D)")
        )  # fmt: skip
        compare.setEnabled(count in (1, 2))
        compare.triggered.connect(self.compare_selected)
        menu.addAction(self.replay_action)
        menu.addAction(self.curl_action)
        menu.popup(self.table.viewport().mapToGlobal(pos))

    # -- slots ----------------------------------------------------------------------------------

    def _on_table_current_event_changed(self, event_id: int) -> None:
        self.attempts.show_event(event_id)
        self.bar.set_event_shown(event_id >= 0)

    def _on_task_failed(self, name: str, exc: BaseException) -> None:
        self.message.emit(str(exc) or type(exc).__name__, MESSAGE_MS)
