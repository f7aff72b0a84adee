"""WAL checkpoints off the acknowledgement path: a connection and a thread of their own.

SQLite's automatic checkpoint runs inside the commit that crosses the threshold, so that
batch's acknowledgements wait for a copy of the WAL into the database and its fsync — hundreds of
milliseconds once hostile bodies fill the WAL quickly. The writer raises its own threshold to a
backstop, and this checkpointer runs a PASSIVE checkpoint (it never blocks the writer) about
once a second, only when something was committed since the last one.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

_log = logging.getLogger(__name__)

WRITER_BACKSTOP_PAGES = 16384  # the writer checkpoints itself only if this one falls behind


class Checkpointer:
    """`start()` on the capture loop; `mark()` after each commit; `stop()` before closing."""

    def __init__(self, path: Path, every_s: float = 1.0) -> None:
        self._path = path
        self._every_s = every_s
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="b24monitor-checkpoint")
        self._conn: sqlite3.Connection | None = None
        self._dirty = False
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="checkpointer")

    def mark(self) -> None:
        self._dirty = True

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await asyncio.get_running_loop().run_in_executor(self._executor, self._close_sync)
        self._executor.shutdown(wait=True)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self._every_s)
            if self._dirty:
                self._dirty = False
                await loop.run_in_executor(self._executor, self._checkpoint_sync)

    def _checkpoint_sync(self) -> None:
        try:
            if self._conn is None:
                self._conn = sqlite3.connect(self._path, isolation_level=None)
                self._conn.execute("PRAGMA busy_timeout = 1000")
            self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except sqlite3.Error as exc:  # a full disk, a busy lock: the next round tries again
            _log.debug("checkpoint skipped (%s)", exc)

    def _close_sync(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
