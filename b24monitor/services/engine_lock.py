"""One capture engine per data dir: an OS lock that dies with its process and names its owner.

The receiver, writer and portal link of a data dir (`b24monitor listen`, or the window) hold an
exclusive lock on `<data dir>/engine.lock` for as long as they run. Two engines on one store
would both write it and both move the portal's bindings to their own URL (issue 14), so a second
one is refused with one sentence naming the owner, read from the JSON the owner keeps in that
file (pid, command, start time, where it receives). The file is 0600: it is this user's business.

The lock is the operating system's, not the file's existence: on POSIX `fcntl.flock`, on Windows
`msvcrt.locking` on one byte far past the JSON (Windows locks are mandatory, so locking the JSON
itself would stop the second process from reading who owns it). Both are released by the kernel
when the process ends, however it ends, so a crashed engine's file never blocks the next one.
Only the POSIX path is exercised by the tests (they run on Linux).

One-off commands that only read the store (export, stats, wait, diff, …) never take it; neither
do `tunnel check` and `offline ping`, which borrow a receiver for seconds and leave bindings alone.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from b24monitor.core.errors import UsageError

LOCK_NAME = "engine.lock"

if sys.platform == "win32":  # pragma: no cover - exercised only on Windows builds
    import msvcrt

    _FAR = 1 << 30  # the locked byte: beyond any JSON we write, so readers are never blocked

    def _try_lock(fd: int) -> bool:
        os.lseek(fd, _FAR, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True


@dataclass(frozen=True)
class Owner:
    """Who runs the engine of a data dir, as written in its lock file."""

    pid: int
    command: str  # "listen", "engine" (listen --engine) or "window"
    started: float  # wall time
    local_url: str | None = None
    public_url: str | None = None

    def describe(self) -> str:
        """`b24monitor listen (pid 4711, since 10:25, receiving at http://127.0.0.1:8000)`."""
        who = {"window": "the b24monitor window", "engine": "the b24monitor engine"}.get(
            self.command, f"b24monitor {self.command}"
        )
        url = self.public_url or self.local_url
        at = f", receiving at {url}" if url else ""  # base URL only: the handler path is secret
        return f"{who} (pid {self.pid}, since {_since(self.started)}{at})"


def _since(started: float) -> str:
    when = time.localtime(started)
    today = time.localtime()
    same_day = when[:3] == today[:3]
    return time.strftime("%H:%M" if same_day else "%Y-%m-%d %H:%M", when)


def in_use_sentence(data_dir: Path, owner: Owner | None) -> str:
    """The one sentence a second engine gets."""
    who = owner.describe() if owner is not None else "another b24monitor process"
    return f"data folder {data_dir} is in use by {who}: stop it, or use another --data-dir"


class EngineLock:
    """Held by the running engine of one data dir; `release()` (or process death) frees it."""

    def __init__(self, fd: int, owner: Owner) -> None:
        self._fd: int | None = fd
        self.owner = owner

    @classmethod
    def acquire(cls, data_dir: Path, command: str) -> EngineLock:
        """Take the data dir's engine lock for `command`.

        Raises:
            UsageError: another live process holds it; the sentence names that process.
        """
        data_dir.mkdir(parents=True, exist_ok=True)
        path = data_dir / LOCK_NAME
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            os.chmod(path, 0o600)  # a file made by an older umask is narrowed too
            if not _try_lock(fd):
                raise UsageError(in_use_sentence(data_dir, _read_owner(fd)))
        except BaseException:
            os.close(fd)
            raise
        lock = cls(fd, Owner(pid=os.getpid(), command=command, started=time.time()))
        lock._write()
        return lock

    def announce(self, *, local_url: str | None = None, public_url: str | None = None) -> None:
        """Record where the engine receives, for the sentence a second engine gets."""
        changes = {"local_url": local_url, "public_url": public_url}
        owner = asdict(self.owner) | {k: v for k, v in changes.items() if v is not None}
        self.owner = Owner(**owner)
        self._write()

    def release(self) -> None:
        """Empty the file (nobody owns the data dir now) and drop the lock; idempotent."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
        os.close(fd)

    def _write(self) -> None:
        # Written in place through the locked descriptor: replacing the file would give it a new
        # inode that nobody holds a lock on. A reader racing this write sees no owner, not a lie.
        # No fsync: other processes read the page cache, and after a crash the content is moot;
        # this also runs on the front end's loop when the tunnel is proved (a GUI frame is 16 ms).
        if self._fd is None:
            return
        data = json.dumps(asdict(self.owner), sort_keys=True).encode()
        os.lseek(self._fd, 0, os.SEEK_SET)
        os.ftruncate(self._fd, 0)
        os.write(self._fd, data)


def read_owner(data_dir: Path) -> Owner | None:
    """Who the data dir's lock file names, without touching the lock (taking it, even for a
    moment, could make a starting engine lose it): None when empty or unreadable. A killed
    engine's name stays there, so the caller checks that the process still runs."""
    try:
        raw = (data_dir / LOCK_NAME).read_bytes()
        return Owner(**json.loads(raw))
    except (OSError, ValueError, TypeError):
        return None


def _read_owner(fd: int) -> Owner | None:
    """The owner written in the lock file, or None while it is being (re)written."""
    os.lseek(fd, 0, os.SEEK_SET)
    raw = os.read(fd, 64 * 1024)
    try:
        data = json.loads(raw)
        return Owner(**data)
    except (ValueError, TypeError):
        return None
