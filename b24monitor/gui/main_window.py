"""MainWindow: lays out the widgets and wires them in one `_connect_signals()`; siblings never meet.

Places left for later parts: `add_side_dock` (subscriptions), `add_events_tab` (offline queue),
`status.add_item` (tunnel, portal) and `toolbar` (portal switcher, Ping).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Literal

from PySide6.QtCore import QEvent, QSettings, Qt, QUrl, Signal
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDesktopServices,
    QGuiApplication,
    QKeySequence,
    QShortcut,
)
from PySide6.QtWidgets import (
    QDockWidget,
    QMainWindow,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from b24monitor.core.errors import B24MonitorError
from b24monitor.core.filters import Filter
from b24monitor.core.tasks import spawn
from b24monitor.core.traffic_patterns import Alert
from b24monitor.demo import DemoPortal
from b24monitor.gui.about_dialog import AboutDialog
from b24monitor.gui.background import CaptureTray, CloseQuestion
from b24monitor.gui.connect import ConnectWizard, WelcomePanel
from b24monitor.gui.detail import DetailPane
from b24monitor.gui.event_commands import EventCommands
from b24monitor.gui.export import ExportDialog
from b24monitor.gui.help_overlay import HelpOverlay
from b24monitor.gui.icons import icon
from b24monitor.gui.layout_settings import restore_layout, save_layout
from b24monitor.gui.live_toggle import LiveToggle
from b24monitor.gui.notifier import Notifier
from b24monitor.gui.offline import OfflinePane
from b24monitor.gui.session_signals import SessionSignals
from b24monitor.gui.settings_dialog import SettingsDialog
from b24monitor.gui.settings_store import CLOSE_ASK, MASK_DEFAULT, NOTIFY, GuiSettings
from b24monitor.gui.setup_check import CheckSetupDialog
from b24monitor.gui.stats import StatsPanel
from b24monitor.gui.status import CoverageStrip, LiveStats, PortalStatus, RateChart, StatusBar
from b24monitor.gui.store_worker import StoreWorker
from b24monitor.gui.subscriptions import SubscriptionsPane
from b24monitor.gui.table import (
    EventList,
    EventTableModel,
    EventTableView,
    FilterBar,
    GroupedView,
    PendingDeletion,
)
from b24monitor.gui.undo_bar import UndoBar
from b24monitor.services.session_view import SessionView


class MainWindow(QMainWindow):
    """The event list, its detail and the status of the receiver; emits `closed` when closed.

    Closing asks whether capture goes on (background.py); `stop_capture` holds the answer when
    `closed` is emitted. With `background == "tray"` (capture runs in this process) keeping
    capture hides the window behind a tray icon; with "detach" (an engine process captures)
    the window simply goes and the engine stays.
    """

    closed = Signal()
    attached_again = Signal()  # to the data dir's next engine: engine_attached() follows
    background_changed = Signal(bool)  # kept capturing in the background (True) or back

    def __init__(self, session: SessionView, worker: StoreWorker, settings: QSettings) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowTitle(self.tr("b24monitor"))
        self.setWindowIcon(icon("b24monitor"))
        self.session, self.worker, self.settings = session, worker, settings
        self.events = EventList(worker, on_error=self._on_task_failed)
        self.stats = LiveStats(worker, on_error=self._on_task_failed)
        self.deletion = PendingDeletion(self.events, worker, on_error=self._on_task_failed)
        session.committed.connect(self.events.note_committed)
        session.committed.connect(self.stats.note_committed)
        self.model = EventTableModel(self.events, worker.rows, self, on_error=self._on_task_failed)
        self.table = EventTableView(self.model, self)
        self.detail = DetailPane(self)
        self.filter_bar = FilterBar(settings, self)
        self.live = LiveToggle(self)
        self.undo_bar = UndoBar(self)
        self.status = StatusBar(self)
        self.chart = RateChart(self.stats.history, self)
        self.coverage = CoverageStrip(session.db_path, self)
        self.help = HelpOverlay(self)
        self.export_dialog: ExportDialog | None = None
        self.gui_settings = GuiSettings(settings, session.secrets)
        self.session_signals = SessionSignals(session, self)
        self.subscriptions = SubscriptionsPane(self.session_signals, self)
        self.offline = OfflinePane(self.session_signals, self)
        self.stats_panel = StatsPanel(worker, self)
        self.grouped = GroupedView(worker, self)
        self.portal_status = PortalStatus(self.session_signals, self)
        self.welcome = WelcomePanel(self.session_signals, self)
        self.notifier = Notifier(worker, self.gui_settings, icon("b24monitor"), self)
        session.committed.connect(self.notifier.note_committed)
        self.commands = EventCommands(session, worker, self.table, self.detail, self)
        self.detail.reveal_by_default = not self.gui_settings.mask_by_default
        self.demos: list[DemoPortal] = []  # "Try without a portal": stopped after the session
        self.tray = CaptureTray(icon("b24monitor"), self)
        self.notifier.use_tray(self.tray.icon)
        session.committed.connect(self.tray.note_committed)
        self.background: Literal["tray", "detach"] = "tray"
        self.asks_on_close = True  # False: another process owns capture, closing only detaches
        self.stop_capture = True  # the close's answer, read by whoever hears `closed`
        self._quitting = False
        self.finished = False  # `closed` was emitted
        self.close_question: CloseQuestion | None = None
        self._engine_note = ""  # the receiver item names another process's engine
        self.restart_capture: Callable[[], Awaitable[None]] | None = None  # own engine only
        self._restarting = False
        self._detached_because = ""  # the engine's bye reason, until the window attached again
        self.start_capture: Callable[[], Awaitable[None]] | None = None  # take over capture
        self._moved = ""  # a restarted engine's sentence: it could not take its old port back
        self._in_background = False  # kept capturing in the background (hidden or minimised)
        self.background_changed.connect(self._note_background)
        self._detail_request = 0  # the newest detail read; older answers are dropped
        self._build()
        self._connect_signals()

    # -- layout ---------------------------------------------------------------------------------

    def _build(self) -> None:
        self.toolbar = QToolBar(self.tr("Main"), self)
        self.toolbar.setObjectName("mainToolbar")
        self.toolbar.setMovable(False)
        self.toolbar.addWidget(self.live)
        self.toolbar.addWidget(self.filter_bar)
        self.export_action = self._action(self.tr("Export…"), "Ctrl+E", "exportAction")
        self.clear_action = self._action(self.tr("Clear view"), "Ctrl+L", "clearViewAction")
        self.clear_action.setToolTip(self.tr("Empty the list; the store keeps it all (Ctrl+L)"))
        self.toolbar.addAction(self.export_action)
        self.toolbar.addAction(self.commands.ping.action)
        self.toolbar.addAction(self.clear_action)
        self.group_action = self._action(self.tr("Group by object"), "Ctrl+G", "groupAction")
        self.group_action.setCheckable(True)
        self.group_action.setToolTip(self.tr("One row per event and object, with its deliveries"))
        self.toolbar.addAction(self.group_action)
        self.addToolBar(self.toolbar)
        page = QWidget(self)
        column = QVBoxLayout(page)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.welcome)
        column.addWidget(self.undo_bar)
        self.table_stack = QStackedWidget(self)  # the list, or the same events by object
        self.table_stack.addWidget(self.table)
        self.table_stack.addWidget(self.grouped)
        column.addWidget(self.table_stack, 1)
        self.events_tabs = QTabWidget(self)
        self.events_tabs.setDocumentMode(True)
        self.events_tabs.addTab(page, self.tr("Events"))
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(self.events_tabs)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.setCentralWidget(self.splitter)
        rates = QWidget(self)
        rates_column = QVBoxLayout(rates)
        rates_column.setContentsMargins(0, 0, 0, 0)
        rates_column.setSpacing(2)
        rates_column.addWidget(self.chart, 1)
        rates_column.addWidget(self.coverage)
        self.rate_dock = self.add_side_dock(rates, self.tr("Event rate"), "rateDock")
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.rate_dock)
        self.subscriptions_dock = self.add_side_dock(
            self.subscriptions, self.subscriptions.windowTitle(), "subscriptionsDock"
        )
        self.resizeDocks([self.subscriptions_dock], [420], Qt.Orientation.Horizontal)
        self.add_events_tab(self.offline, self.offline.title())
        self.add_events_tab(self.stats_panel, self.tr("Stats"))
        for item in reversed(self.portal_status.widgets()):
            self.status.add_item(item)
        portal_menu = self.menuBar().addMenu(self.tr("&Portal"))
        self.connect_action = self._action(self.tr("Connect a portal…"), "", "connectAction")
        self.settings_action = self._action(self.tr("Settings…"), "Ctrl+,", "settingsAction")
        self.restart_action = self._action(self.tr("Restart capture"), "", "restartCapture")
        self.restart_action.setToolTip(self.tr("Stop the capture engine and start it again "
                                               "with the saved settings"))  # fmt: skip
        self.restart_action.setVisible(False)  # only for a window's engine (not a listen's)
        self.start_action = self._action(self.tr("Start capturing"), "", "startCapture")
        tip = self.tr("The capture engine stopped: start this window's own, which captures "
                      "in the background")  # fmt: skip
        self.start_action.setToolTip(tip)
        self.start_action.setVisible(False)  # only while no engine runs for this window
        portal_menu.addActions([self.connect_action, self.settings_action, self.restart_action,
                                self.start_action])  # fmt: skip
        help_menu = self.menuBar().addMenu(self.tr("&Help"))
        self.check_setup_action = self._action(self.tr("Check setup"), "", "checkSetupAction")
        self.about_action = self._action(self.tr("About b24monitor"), "", "aboutAction")
        help_menu.addActions([self.check_setup_action, self.about_action])
        self.setStatusBar(self.status)
        self.resize(1280, 760)
        self.focus_filter = self._action(self.tr("Focus filter"), "Ctrl+F", "focusFilter")
        self.undo_action = self._action(self.tr("Undo delete"), "Ctrl+Z", "undoAction")
        self.escape = QShortcut(QKeySequence(Qt.Key.Key_Escape), self)
        self.addActions([self.focus_filter, self.undo_action])
        restore_layout(self)

    def _action(self, text: str, keys: str, name: str) -> QAction:
        action = QAction(text, self)
        action.setObjectName(name)
        action.setShortcut(QKeySequence(keys))
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        return action

    def add_side_dock(self, widget: QWidget, title: str, name: str) -> QDockWidget:
        """A dock for later parts (the subscriptions list goes on the left)."""
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
        return dock

    def add_events_tab(self, widget: QWidget, title: str) -> None:
        """A tab beside the event list (the offline queue goes here)."""
        self.events_tabs.addTab(widget, title)

    def _connect_signals(self) -> None:
        self.session_signals.notice.connect(self.notifier.note_notice)  # health turned red
        self.table.current_event_changed.connect(self._on_table_current_event_changed)
        self.table.detail_focus_requested.connect(self.detail.focus_content)
        self.table.copy_requested.connect(self._on_table_copy_requested)
        self.table.pin_requested.connect(self._on_table_pin_requested)
        self.table.delete_requested.connect(self.deletion.request)
        self.table.live_toggle_requested.connect(self._on_live_toggle_requested)
        self.table.help_requested.connect(self.help.open)
        self.live.toggle_requested.connect(self._on_live_toggle_requested)
        self.model.state_changed.connect(self._on_model_state_changed)
        self.filter_bar.filter_applied.connect(self._on_filter_bar_filter_applied)
        self.filter_bar.filter_applied.connect(self.stats_panel.set_filter)
        self.filter_bar.filter_applied.connect(self.grouped.set_filter)
        self.group_action.toggled.connect(self._on_group_action_toggled)
        self.grouped.event_selected.connect(self._on_grouped_event_selected)
        self.undo_bar.undo_requested.connect(self.deletion.undo)
        self.deletion.pending.connect(self.undo_bar.show_pending)
        self.stats.updated.connect(lambda _: self._on_stats_updated())
        self.export_action.triggered.connect(self._on_export_action_triggered)
        self.clear_action.triggered.connect(self._on_clear_action_triggered)
        self.focus_filter.triggered.connect(self.filter_bar.focus)
        self.undo_action.triggered.connect(self.deletion.undo)
        self.escape.activated.connect(self._on_escape_activated)
        self.offline.title_changed.connect(self._on_offline_title_changed)
        self.welcome.choice_made.connect(self._open_wizard)
        self.connect_action.triggered.connect(self._on_connect_action_triggered)
        self.settings_action.triggered.connect(self._on_settings_action_triggered)
        self.session_signals.tunnel_changed.connect(self._on_session_signals_tunnel_changed)
        self.session_signals.portal_switched.connect(self.commands.ping.update_state)
        self.session_signals.notice.connect(self.commands.ping.update_state)
        self.session_signals.alert.connect(self._on_session_signals_alert)
        self.commands.message.connect(self.status.showMessage)
        self.table.link_requested.connect(self._on_link_requested)
        self.detail.link_requested.connect(self._on_link_requested)
        self.portal_status.local_portal_changed.connect(self.status.set_local_portal)
        self.portal_status.message.connect(self.status.showMessage)
        self.about_action.triggered.connect(self._on_about_action_triggered)
        self.check_setup_action.triggered.connect(self._on_check_setup_action_triggered)
        self.restart_action.triggered.connect(self._on_restart_action_triggered)
        self.start_action.triggered.connect(self._on_start_action_triggered)
        self.tray.open_requested.connect(self.reopen)
        self.tray.stop_requested.connect(self.quit_capture)

    # -- life cycle -----------------------------------------------------------------------------

    def start(self) -> None:
        """After the session started: show the window, load the list, start the live figures."""
        public = self.session.public_url is not None
        self.status.set_receiver(self._receiver_address(), True)
        self.status.set_handler_url(self.session.handler_url, public)
        self.show()
        self.table.setFocus()
        spawn(self.events.reapply(), name="initial-load", on_error=self._on_task_failed)
        self.stats.start()
        self.session_signals.announce_portal()
        if self.session.config.tunnel_settings().mode != "none":
            spawn(self.session.start_tunnel(), name="tunnel-start", on_error=self._on_task_failed)

    async def shutdown(self) -> None:
        """Stop the timers and commit a deletion still waiting for its undo window."""
        self.stats.stop()
        self.events.close()
        await self.deletion.flush()
        await self.commands.close()

    async def stop_demos(self) -> None:
        """After Session.stop(): the sandbox portals started from the wizard."""
        for demo in self.demos:
            await demo.stop()
        self.demos.clear()

    def closeEvent(self, event: QCloseEvent) -> None:
        action = "stop" if self._quitting else self.gui_settings.close_action
        if not self.asks_on_close and not self._quitting:  # not ours: the window just goes
            save_layout(self)
            event.accept()
            self._finish(stop_capture=False)
            return
        if action == "ask":
            event.ignore()
            self._ask_how_to_close()
            return
        save_layout(self)
        if action == "keep" and self.background == "tray":
            self._go_background(event)
            return
        event.accept()
        self._finish(stop_capture=action == "stop")

    def quit_capture(self) -> None:
        """Stop capturing and go (the tray's Stop, SIGINT/SIGTERM, the question's Stop)."""
        self._quitting = True
        if self.isVisible():
            self.close()
        else:
            self._finish(stop_capture=True)

    def reopen(self) -> None:
        """Back from the background (the tray icon, a second start of b24monitor)."""
        self.tray.show_window()
        self.showNormal()
        self.raise_()
        self.activateWindow()
        self.background_changed.emit(False)

    def _note_background(self, background: bool) -> None:
        self._in_background = background

    def changeEvent(self, event: QEvent) -> None:
        """A window kept minimised in the background that the user restores is back too."""
        super().changeEvent(event)
        restored = event.type() == QEvent.Type.WindowStateChange and not self.isMinimized()
        if restored and self._in_background and self.isVisible():
            self.background_changed.emit(False)

    def tell_detached(self, others: int) -> str:
        """Stop capturing was asked while other windows use the engine: it goes on for them.
        Returns the sentence (the caller also prints it: this window is closing)."""
        text = self.tr(
            "Capture goes on for the other windows using the capture engine (%n); this window "
            "only detached",
            "",
            others,
        )
        self.status.showMessage(text)
        return text

    def show_engine(self, engine: dict[str, object]) -> None:
        """Name the process that captures when it is another one (a listen, another window)."""
        command, pid = engine.get("command"), engine.get("pid")
        if command == "engine":  # a window's engine: nothing to explain
            self.setWindowTitle(self.tr("b24monitor"))
            self._engine_note = ""
            return
        who = self.tr("b24monitor listen") if command == "listen" else self.tr("another window")
        text = self.tr("b24monitor — capture runs in %1 (pid %2)")
        self.setWindowTitle(text.replace("%1", who).replace("%2", str(pid)))
        note = self.tr("in %1, pid %2").replace("%1", who).replace("%2", str(pid))
        self._engine_note = f" ({note})"

    def _receiver_address(self) -> str:
        """`127.0.0.1:8765`, plus who receives when it is another process's engine."""
        return self.session.local_url.removeprefix("http://") + self._engine_note

    def on_engine_detached(self, reason: str) -> None:
        """The engine's channel closed: say that events no longer arrive here, and why."""
        self._detached_because = reason
        if self._restarting:
            return  # Restart capture: the engine was asked to stop
        if reason == "lost" and self.asks_on_close:  # a window's engine: it is restarted
            text = self.tr("The capture engine stopped unexpectedly; starting it again…")
            self._tell_engine(self.tr("capture engine restarting…"), text)
            return
        if reason == "restarting" and self.asks_on_close:  # this window follows
            text = self.tr("Another window restarts the capture engine; this window attaches "
                           "to the new one…")  # fmt: skip
            self._tell_engine(self.tr("capture engine restarting…"), text)
            return
        if reason == "too_slow":
            text = self.tr(
                "This window fell behind the capture engine and was let go; it attaches "
                "again by itself (no event is lost: they are stored)"
            )
        elif self.start_capture is not None:  # a listen stopped in its terminal: the user says
            text = self.tr(
                "The capture engine stopped: new events are not received. Portal → Start "
                "capturing starts this window's own; a `b24monitor listen` started again is "
                "attached to by itself"
            )
            self.restart_action.setVisible(False)
            self.start_action.setVisible(True)
        else:
            text = self.tr(
                "The capture engine stopped: new events are not received until "
                "you open b24monitor again"
            )
        self._tell_engine(self.tr("not receiving: capture engine stopped"), text)

    def on_engine_revived(self, error: str) -> None:
        """The engine was started again (or `error` says why not); show what arrived meanwhile."""
        if error:
            text = self.tr("The capture engine could not be started again: %1").replace("%1", error)
            self._tell_engine(self.tr("not receiving: capture engine stopped"), text)
            self.restart_action.setVisible(False)
            self.start_action.setVisible(self.start_capture is not None)  # the user may retry
            return
        if self._detached_because == "restarting":
            text = self.tr("Another window restarted the capture engine; this window shows the "
                           "new one's events")  # fmt: skip
            self._tell_engine(self.tr("capture restarted"), text)
        else:
            text = self.tr(
                "The capture engine stopped unexpectedly and was started again; no "
                "acknowledged event is lost"
            )
            self._tell_engine(self.tr("capture engine restarted"), text)
        self._tell_moved()
        self._on_attached_again()

    def on_engine_reattached(self, command: str) -> None:
        """Detached, the window found the data dir's next engine (a listen started again)."""
        text = self.tr("The capture engine runs again and this window is attached to it: "
                       "new events arrive here")  # fmt: skip
        self._tell_engine(self.tr("receiving again"), text)
        self._on_attached_again()

    def _on_attached_again(self) -> None:
        self._detached_because = ""
        self.attached_again.emit()
        self.status.set_handler_url(self.session.handler_url, self.session.public_url is not None)
        self._on_stats_updated()
        spawn(self.events.reapply(), name="reload-after-restart", on_error=self._on_task_failed)

    def engine_attached(self, engine: dict[str, object], *, windows_engine: bool) -> None:
        """Who captures now (at start, and after every re-attach): the title, the close
        question (only a window's engine is ours to stop) and which Portal actions show."""
        self.asks_on_close = windows_engine
        self.show_engine(engine)
        self.restart_action.setVisible(windows_engine and self.restart_capture is not None)
        self.start_action.setVisible(False)

    def enable_start(self, start: Callable[[], Awaitable[None]]) -> None:
        """The window may start an engine of its own when the one it showed stopped."""
        self.start_capture = start

    def _on_start_action_triggered(self) -> None:
        if self.start_capture is None or self._restarting:
            return
        self._restarting = True
        self.start_action.setVisible(False)
        self.status.showMessage(self.tr("Starting capture for this window…"))
        spawn(self._start(self.start_capture), name="start-capture",
              on_error=self._on_task_failed)  # fmt: skip

    async def _start(self, start: Callable[[], Awaitable[None]]) -> None:
        try:
            await start()
        except (B24MonitorError, OSError) as exc:
            self.start_action.setVisible(True)
            text = self.tr("Capture could not be started: %1").replace("%1", str(exc))
            self._tell_engine(self.tr("not receiving: capture engine stopped"), text)
            return
        finally:
            self._restarting = False
        text = self.tr("This window's own capture engine runs now (it keeps capturing in the "
                       "background): new events arrive here")  # fmt: skip
        self._tell_engine(self.tr("receiving again"), text)
        self._tell_moved()
        self._on_attached_again()

    def on_engine_moved(self, text: str) -> None:
        """The restarted engine listens on another port: told once the restart is told."""
        self._moved = text

    def _tell_moved(self) -> None:
        text, self._moved = self._moved, ""
        if text:
            sentence = text[:1].upper() + text[1:]
            self._tell_engine(self.tr("receiver moved to another port"), sentence)

    def _tell_engine(self, short: str, text: str) -> None:
        """News of the engine: the sentence for a while, a short mark that stays (tooltip)."""
        self.status.showMessage("⚠ " + text, 30_000)
        self.status.show_alert(short, text)
        self._on_stats_updated()  # the receiver item follows at once

    def _finish(self, *, stop_capture: bool) -> None:
        if self.finished:
            return
        self.finished, self.stop_capture = True, stop_capture
        self.tray.close()
        self.closed.emit()

    def _go_background(self, event: QCloseEvent) -> None:
        if not self.tray.available():  # nowhere to come back from: minimise instead of hiding
            event.ignore()
            self.showMinimized()
        else:
            event.accept()
            self.tray.show_background()
        self.background_changed.emit(True)

    def _ask_how_to_close(self) -> None:
        if self.close_question is not None:
            self.close_question.raise_()
            return
        self.close_question = CloseQuestion(self)
        self.close_question.answered.connect(self._on_close_question_answered)
        self.close_question.finished.connect(self._on_close_question_finished)
        self.close_question.open()

    def _on_close_question_answered(self, action: str, remember: bool) -> None:
        if remember:
            self.gui_settings.remember_close_action("keep" if action == "keep" else "stop")
        if action == "stop":
            self.quit_capture()
            return
        save_layout(self)
        if self.background == "detach":
            self.hide()
            self._finish(stop_capture=False)
        elif self.tray.available():
            self.hide()
            self.tray.show_background()
            self.background_changed.emit(True)
        else:
            self.showMinimized()
            self.background_changed.emit(True)

    def _on_close_question_finished(self) -> None:
        if self.close_question is not None:
            self.close_question.deleteLater()
            self.close_question = None

    # -- slots ----------------------------------------------------------------------------------

    def _on_table_current_event_changed(self, event_id: int) -> None:
        self._detail_request += 1
        if event_id < 0:
            self.detail.show_event(None)
            return
        spawn(self._show_detail(event_id, self._detail_request), name="detail-read",
              on_error=self._on_task_failed)  # fmt: skip

    async def _show_detail(self, event_id: int, request: int) -> None:
        ev = await self.worker.event(event_id)  # the whole event, read on the store worker
        if request == self._detail_request:
            self.detail.show_event(ev)

    def _on_table_copy_requested(self) -> None:
        text = self.detail.payload_json()
        if text is None:
            self.status.showMessage(self.tr("This event has no decoded payload to copy"), 5000)
            return
        QGuiApplication.clipboard().setText(text)
        self.status.showMessage(self.tr("Payload copied as JSON"), 3000)

    def _on_table_pin_requested(self, ids: list[int], pinned: bool) -> None:
        spawn(self._pin(ids, pinned), name="pin-events", on_error=self._on_task_failed)

    async def _pin(self, ids: list[int], pinned: bool) -> None:
        await self.worker.set_pinned(ids, pinned)
        self.events.refresh(ids)
        shown = self.detail.shown_event
        if shown is not None and shown.id in ids:
            self._on_table_current_event_changed(shown.id)

    def _on_live_toggle_requested(self) -> None:
        self.events.set_paused(not self.events.paused)

    def _on_model_state_changed(self) -> None:
        self.live.show_state(paused=self.events.paused, pending=self.events.pending_count)
        self.filter_bar.set_busy(self.events.filtering)

    def _on_filter_bar_filter_applied(self, flt: Filter) -> None:
        spawn(self.events.apply_filter(flt), name="apply-filter", on_error=self._on_task_failed)

    def _on_stats_updated(self) -> None:
        self.status.set_rate(self.stats.history.per_second(time.time()))
        self.status.set_stored(self.stats.stored)
        capture = self.session.capture
        self.status.set_stray(capture.stray_hits if capture is not None else 0)
        address = self._receiver_address()
        stats = capture.stats() if capture is not None else None  # plain counters: no SQL
        self.status.set_receiver(address, capture is not None, stats)
        self.chart.refresh()
        spawn(self.coverage.reload(), name="coverage-reload", on_error=self._on_task_failed)

    def _on_export_action_triggered(self) -> None:
        if self.export_dialog is not None and self.export_dialog.isVisible():
            self.export_dialog.raise_()
            return
        self.export_dialog = ExportDialog(
            self.session.db_path, self.settings, self.events.snapshot(),
            self.table.selected_ids(), self,
        )  # fmt: skip
        self.export_dialog.reveal.setChecked(not self.gui_settings.mask_by_default)
        self.export_dialog.exported.connect(self._on_export_dialog_exported)
        self.export_dialog.open()

    def _on_export_dialog_exported(self, count: int, path: str) -> None:
        text = self.tr("Exported %1 events to %2").replace("%1", f"{count:,}").replace("%2", path)
        self.status.showMessage(text, 10_000)

    def _on_clear_action_triggered(self) -> None:
        self.events.clear_view()
        self.detail.show_event(None)

    def _on_escape_activated(self) -> None:
        if self.help.isVisible():
            self.help.hide()
        self.table.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def _on_offline_title_changed(self, title: str) -> None:
        self.events_tabs.setTabText(self.events_tabs.indexOf(self.offline), title)

    def _on_connect_action_triggered(self) -> None:
        self._open_wizard("app")

    def _open_wizard(self, choice: str) -> None:
        wizard = ConnectWizard(self.session_signals, self.gui_settings, self, choice=choice)
        wizard.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        wizard.demo_started.connect(self.demos.append)
        wizard.settings_requested.connect(self._on_settings_action_triggered)
        wizard.open()

    def _on_settings_action_triggered(self) -> None:
        dialog = SettingsDialog(self.gui_settings, self.session.config.data_dir, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.applied.connect(self._on_settings_dialog_applied)
        dialog.open()

    def _on_settings_dialog_applied(self, changed: list[str]) -> None:
        self.detail.reveal_by_default = not self.gui_settings.mask_by_default
        if any(key not in (MASK_DEFAULT, NOTIFY, CLOSE_ASK) for key in changed):
            if self.restart_action.isVisible():  # a window's engine: it outlives the window
                text = self.tr("Settings saved; Portal → Restart capture applies them")
            else:
                text = self.tr("Settings saved; restart b24monitor to apply them")
            self.status.showMessage(text, 10_000)

    def enable_restart(self, restart: Callable[[], Awaitable[None]]) -> None:
        """The engine is a window's process: Portal → Restart capture applies settings (shown
        by engine_attached() while such an engine is attached)."""
        self.restart_capture = restart

    def _on_restart_action_triggered(self) -> None:
        if self.restart_capture is None or self._restarting:
            return
        self._restarting = True
        self.status.showMessage(self.tr("Restarting capture with the saved settings…"))
        spawn(self._restart(self.restart_capture), name="restart-capture",
              on_error=self._on_task_failed)  # fmt: skip

    async def _restart(self, restart: Callable[[], Awaitable[None]]) -> None:
        try:
            await restart()
        finally:
            self._restarting = False
        self.status.showMessage(self.tr("Capture restarted with the saved settings"), 10_000)
        self.status.set_handler_url(self.session.handler_url, self.session.public_url is not None)
        self._on_stats_updated()
        self._tell_moved()
        spawn(self.events.reapply(), name="reload-after-restart", on_error=self._on_task_failed)

    def _on_session_signals_tunnel_changed(self, state: object) -> None:
        self.status.set_handler_url(self.session.handler_url, self.session.public_url is not None)

    def _on_group_action_toggled(self, grouped: bool) -> None:
        self.table_stack.setCurrentWidget(self.grouped if grouped else self.table)

    def _on_grouped_event_selected(self, event_id: int) -> None:
        self._detail_request += 1  # read on the store worker, like the list's current row
        spawn(self._show_detail(event_id, self._detail_request), name="detail-read",
              on_error=self._on_task_failed)  # fmt: skip

    def _on_session_signals_alert(self, alert: Alert) -> None:
        if alert.kind == "loop":
            # Its first events were shown before they were known to loop: read them again.
            self.model.refresh_ids(alert.event_ids)
            text = self.tr("loop: %1 %2 updated %3× in 30 s")
            text = text.replace("%1", alert.event).replace("%2", alert.entity_id or "")
        else:
            text = self.tr("storm: %3 × %1").replace("%1", alert.event)
        text = text.replace("%3", str(alert.count))
        self.status.show_alert(text, alert.advice)
        self.notifier.notify(self.tr("b24monitor: %1").replace("%1", text), alert.advice)

    def _on_link_requested(self, url: str) -> None:
        if not QDesktopServices.openUrl(QUrl(url)):
            self.status.show_error(
                self.tr("Cannot open %1: no browser is set up").replace("%1", url)
            )

    def _on_about_action_triggered(self) -> None:
        dialog = AboutDialog(self.session.config.data_dir, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def _on_check_setup_action_triggered(self) -> None:
        dialog = CheckSetupDialog(self.session, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        dialog.run()

    def _on_task_failed(self, name: str, exc: BaseException) -> None:
        self.status.show_error(str(exc) or type(exc).__name__)
