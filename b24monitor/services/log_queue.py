"""Logging that never blocks the thread that logs: a bounded queue drained by one listener thread.

A log call on the capture thread that wrote to stderr itself would stop every acknowledgement
as soon as stderr is a pipe nobody reads (a script, a supervisor, `2>&1 | head`): the write
blocks once the pipe is full. Records go into a bounded queue instead; a listener thread writes
them out, and when it cannot keep up, records are dropped and counted, never waited for.
Without --debug a record is one line: tracebacks are for developers (issue 15).
"""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import os
import queue
from collections.abc import Iterator

QUEUE_SIZE = 1000


class _DroppingQueueHandler(logging.handlers.QueueHandler):
    """Puts records without waiting; a full queue drops the record and counts it."""

    def __init__(self, q: queue.Queue[logging.LogRecord]) -> None:
        super().__init__(q)
        self.dropped = 0

    def enqueue(self, record: logging.LogRecord) -> None:
        try:
            self.queue.put_nowait(record)
        except queue.Full:
            self.dropped += 1


class _RawStderr(logging.Handler):
    """Writes with os.write and takes no lock: a blocked stderr can hold only the listener.

    The listener thread is the only caller; at exit, logging.shutdown() flushes every handler
    under its lock, and a StreamHandler stuck in a write would hold that lock for ever.
    """

    def handle(self, record: logging.LogRecord) -> bool:
        self.emit(record)
        return True

    def emit(self, record: logging.LogRecord) -> None:
        data = (self.format(record) + "\n").encode("utf-8", "replace")
        try:
            while data:
                data = data[os.write(2, data) :]
        except OSError:
            pass  # stderr is closed: nowhere left to say it

    def flush(self) -> None:
        pass


class _OneLine(logging.Formatter):
    """`b24monitor: aiohttp.server: Error handling request (ConnectionResetError: …)`."""

    def format(self, record: logging.LogRecord) -> str:
        text = f"b24monitor: {record.name}: {record.getMessage()}"
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            text += f" ({type(exc).__name__}: {exc})"
        return text


class _AfterExit(logging.NullHandler):
    """Stands in once the listener stopped, so logging never falls back to a raw stderr."""


class _Listener(logging.handlers.QueueListener):
    def stop_within(self, timeout_s: float) -> bool:
        """Flush what is queued, but never hang the exit on a stderr nobody reads.

        Returns False when the listener is still stuck writing (stderr is a full pipe).
        """
        try:
            self.enqueue_sentinel()  # put_nowait
        except queue.Full:
            return False
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout_s)
            return not thread.is_alive()
        return True


@contextlib.contextmanager
def queued_logging(*, debug: bool) -> Iterator[None]:
    """Route the root logger through a bounded queue to stderr; restore it on the way out."""
    records: queue.Queue[logging.LogRecord] = queue.Queue(QUEUE_SIZE)
    # QueueHandler formats the record before queueing it (its message becomes the text).
    into_queue = _DroppingQueueHandler(records)
    if not debug:
        into_queue.setFormatter(_OneLine())
    listener = _Listener(records, _RawStderr(), respect_handler_level=True)
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    for old in saved[0]:
        root.removeHandler(old)
    root.addHandler(into_queue)
    root.setLevel(logging.DEBUG if debug else logging.WARNING)
    listener.start()
    try:
        yield
    finally:
        listener.stop_within(1.0)
        # A record logged later, while the process exits, must not reach logging's last-resort
        # handler: it writes to stderr directly and would block the exit on a full pipe.
        others = [h for h in saved[0] if not isinstance(h, _AfterExit)]
        root.handlers[:] = [*others, _AfterExit()]
        root.setLevel(saved[1])
