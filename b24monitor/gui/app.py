"""The desktop app's composition root: QApplication + qasync loop, one Session, the main window.

Start-up order (../shared/guide/architecture.md, "Asyncio and Qt"): `setQuitOnLastWindowClosed
(False)` so that closing the window does not stop the loop before shutdown runs; the async main
runs under `asyncio.Runner(loop_factory=qasync.QEventLoop)`, awaits the window's `closed` signal,
then stops in order: pending deletion, query worker, Session (receiver, writer drain, store).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import qasync
from PySide6.QtCore import QCoreApplication, QSettings
from PySide6.QtWidgets import QApplication, QMessageBox

from b24monitor.core.errors import B24MonitorError
from b24monitor.gui import translations
from b24monitor.gui.background import CaptureTray
from b24monitor.gui.icons import icon
from b24monitor.gui.main_window import MainWindow
from b24monitor.gui.os_signals import SignalWatcher
from b24monitor.gui.settings_store import GuiSettings
from b24monitor.gui.store_worker import StoreWorker
from b24monitor.services.engine_attach import open_session, show_background_window
from b24monitor.services.remote_session import RemoteSession
from b24monitor.services.secrets import open_secret_store

SETTINGS_FILE = "gui.ini"  # per data dir: two data dirs never share a layout or filter history


class StartupError(Exception):
    """The app cannot start; the message is one sentence for a message box."""


class ShownAgain(Exception):
    """The data dir's window waiting in the background was shown instead; one sentence."""


def open_settings(data_dir: Path) -> QSettings:
    return QSettings(str(data_dir / SETTINGS_FILE), QSettings.Format.IniFormat)


@asynccontextmanager
async def running_app(data_dir: Path, *, own_engine: bool = True) -> AsyncIterator[MainWindow]:
    """A started session with its shown MainWindow; on exit, the ordered shutdown.

    The session is the data dir's running engine when there is one (attached); else a new
    engine: its own process with `own_engine` (capture outlives the window), else in-process.

    Raises:
        StartupError: the data dir, the database or the port cannot be used.
        ShownAgain: a window of this data dir waited in the background and was shown.
    """
    try:
        await asyncio.to_thread(data_dir.mkdir, parents=True, exist_ok=True)
    except OSError as exc:
        raise StartupError(
            f"cannot create {data_dir} ({exc.strerror or exc}); choose another --data-dir."
        ) from None
    pid = await show_background_window(data_dir)
    if pid is not None:
        raise ShownAgain(f"b24monitor: the window of data folder {data_dir} (pid {pid}) was "
                         "capturing in the background; it is shown again")  # fmt: skip
    settings = open_settings(data_dir)
    # The keyring is probed here, off the GUI thread, once; the session hands the store out.
    secrets = await asyncio.to_thread(open_secret_store)
    try:
        config = GuiSettings(settings, secrets).session_config(data_dir)
    except B24MonitorError as exc:
        raise StartupError(f"{exc}; fix it in Settings or {data_dir / SETTINGS_FILE}") from None
    try:
        session = await open_session(
            config,
            secrets,
            own_engine=own_engine,
            settings=lambda: GuiSettings(settings, secrets).session_config(data_dir),
        )
    except (B24MonitorError, OSError) as exc:
        raise StartupError(str(exc)) from None
    worker = StoreWorker(session.db_path)
    # No await between the start and the window's connections: no news is missed.
    window = MainWindow(session, worker, settings)
    if isinstance(session, RemoteSession):
        attach_window(window, session)
    try:
        await worker.open()
    except (B24MonitorError, OSError) as exc:
        await _abandon(window, worker)
        await session.stop()
        raise StartupError(str(exc)) from None
    window.start()
    # Everything alive now (Qt bindings, aiohttp, the window) lives as long as the app. Frozen,
    # it is left out of the full collections, which otherwise scanned ~80k objects and stalled
    # the GUI thread for ~45 ms each (measured under 1,000 deliveries/s, bench/gui.py).
    gc.freeze()
    try:
        yield window
    finally:
        gc.unfreeze()
        window.quit_capture()  # no question on the way out (SIGINT, a failed start, tests)
        await window.shutdown()
        await worker.close()
        if isinstance(session, RemoteSession) and window.stop_capture and window.asks_on_close:
            # "Stop capturing" for its own engine: unless other windows still use it.
            others = await session.stop_engine()
            if others:  # one line on stderr too: the window is closing
                print(f"b24monitor: {window.tell_detached(others)}", file=sys.stderr, flush=True)
        elif isinstance(session, RemoteSession) and window.demos:
            # The sandbox portal lives in this process: the engine must not follow it after.
            with contextlib.suppress(B24MonitorError, OSError):
                await session.switch_portal(None)
            await session.stop()
        else:
            await session.stop()
        await window.stop_demos()  # after the session: its unbinding still talks to them
        window.deleteLater()


def attach_window(window: MainWindow, session: RemoteSession) -> None:
    """The window of another process's engine: closing it detaches, the engine goes on.

    Kept in the background, the window of its own engine stays as a tray icon where the
    desktop has a tray (it shows capture goes on and reopens the window); else it goes.
    """
    window.background = "tray" if CaptureTray.available() else "detach"
    if session.revive is not None:  # the window may start (or restart) an engine of its own
        window.enable_restart(session.restart_engine)
        window.enable_start(session.take_over)

    def engine_attached() -> None:  # a listen in a terminal is not ours to stop or restart
        window.engine_attached(session.engine, windows_engine=session.windows_engine)

    engine_attached()
    window.attached_again.connect(engine_attached)
    session.detached.connect(window.on_engine_detached)
    session.reattached.connect(window.on_engine_reattached)
    # Windows announce themselves: a second start shows a background one, stop spares others.
    session.announce_window(False)
    window.background_changed.connect(session.announce_window)
    session.show_window.connect(lambda _pid: window.reopen())
    session.moved.connect(window.on_engine_moved)
    session.revived.connect(window.on_engine_revived)


async def _abandon(window: MainWindow, worker: StoreWorker) -> None:
    await worker.close()
    window.deleteLater()


async def main(data_dir: Path, *, own_engine: bool = True) -> int | str:
    """Run until the window closes or SIGINT/SIGTERM; 0, or the start-up error's sentence."""
    try:
        async with running_app(data_dir, own_engine=own_engine) as window:
            closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

            def on_window_closed() -> None:
                if not closed.done():
                    closed.set_result(None)

            window.closed.connect(on_window_closed)
            watcher = SignalWatcher()
            watcher.triggered.connect(window.quit_capture)
            try:
                await closed
            finally:
                watcher.close()
    except StartupError as exc:
        return str(exc)
    except ShownAgain as exc:
        print(exc, flush=True)  # the one line a second start says; nothing else to do
        return 0
    return 0


def run(data_dir: Path, *, own_engine: bool = True) -> int:
    """`b24monitor` with no command: the desktop app. Returns the process exit code."""
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    app.setApplicationName("b24monitor")
    app.setOrganizationName("b24monitor")
    app.setDesktopFileName("b24monitor")
    app.setQuitOnLastWindowClosed(False)
    app.setWindowIcon(icon("b24monitor"))
    translators = translations.install(app, GuiSettings(open_settings(data_dir)))
    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
        outcome = runner.run(main(data_dir, own_engine=own_engine))
    del translators
    if isinstance(outcome, str):
        title = QCoreApplication.translate("app", "b24monitor cannot start")
        QMessageBox.critical(None, title, outcome)
        return 1
    return outcome
