"""SIGINT/SIGTERM for a Qt app: Ctrl+C does not stop a qasync loop by itself.

Python runs its signal handlers only between bytecodes, and Qt's event loop may sleep in C++
for a long time. `signal.set_wakeup_fd` makes the C-level handler write to a socket that a
QSocketNotifier watches, so the loop wakes up, Python runs the handler, and the handler only
queues `triggered` — the window then shuts down in the normal order.
"""

from __future__ import annotations

import contextlib
import signal
import socket
from types import FrameType

from PySide6.QtCore import QObject, QSocketNotifier, QTimer, Signal

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class SignalWatcher(QObject):
    """Emits `triggered` on the GUI thread after SIGINT or SIGTERM; `close()` restores the old."""

    triggered = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._reader, self._writer = socket.socketpair()
        self._reader.setblocking(False)
        self._writer.setblocking(False)
        self._old_fd = signal.set_wakeup_fd(self._writer.fileno())
        self._old_handlers = {sig: signal.signal(sig, self._on_signal) for sig in SIGNALS}
        self._notifier = QSocketNotifier(self._reader.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._on_notifier_activated)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        # Runs between two bytecodes, maybe deep inside a slot: only queue the work.
        QTimer.singleShot(0, self, self.triggered.emit)

    def _on_notifier_activated(self) -> None:
        with contextlib.suppress(BlockingIOError):
            self._reader.recv(512)  # drain; the Python-level handler has run by now

    def close(self) -> None:
        self._notifier.setEnabled(False)
        signal.set_wakeup_fd(self._old_fd)
        for sig, handler in self._old_handlers.items():
            signal.signal(sig, handler)
        self._reader.close()
        self._writer.close()
