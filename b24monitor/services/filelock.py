"""Small JSON state files shared by several processes: a lock file, atomic replace, re-read.

The GUI and a CLI command may use one profile at the same time, so every read-modify-write
takes an exclusive lock on a sibling `.lock` file, re-reads the current content under it and
replaces the file atomically (temp file in the same directory + fsync + os.replace).
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

if sys.platform == "win32":  # pragma: no cover - exercised only on Windows builds
    import msvcrt

    def _lock(fd: int, exclusive: bool) -> None:
        # msvcrt has no shared locks; a one-byte exclusive lock serializes readers too.
        msvcrt.locking(fd, msvcrt.LK_LOCK, 1)

    def _unlock(fd: int) -> None:
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock(fd: int, exclusive: bool) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


@contextlib.contextmanager
def locked(path: Path, *, exclusive: bool = True) -> Iterator[None]:
    """Hold a cross-process lock on `<path>.lock` (created on first use, never deleted)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    lock_path = path.with_name(path.name + ".lock")
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        _lock(fd, exclusive)
        try:
            yield
        finally:
            _unlock(fd)
    finally:
        os.close(fd)


def read_json(path: Path) -> Any:
    """The parsed content of `path`, or None when it does not exist yet."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    return json.loads(text) if text.strip() else None


def write_json(path: Path, data: Any, *, mode: int = 0o600) -> None:
    """Replace `path` atomically with `data` as JSON; the file gets `mode` before it appears."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            # mkstemp creates the file 0600; widen only when asked, so secrets are never exposed.
            if mode != 0o600:
                os.chmod(tmp, mode)
            json.dump(data, fh, ensure_ascii=False, indent=1, sort_keys=True)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
