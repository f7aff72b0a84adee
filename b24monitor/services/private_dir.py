"""The data folder keeps its secrets: created 0700, every file in it 0600, wider ones tightened.

The database holds every raw body, including ONAPPINSTALL's refresh_token and each delivery's
access token (spec §3.1, §1.4), and the folder holds the ngrok config with its authtoken; any
other local user must not read them. Modes are set explicitly, whatever the umask. SQLite creates
`-wal` and `-shm` with the mode of the database file, so creating that file 0600 first is enough.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def make_private_dir(folder: Path) -> str | None:
    """Create `folder` 0700 or tighten it and everything in it; returns a notice of what changed."""
    folder.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    changed: list[str] = []
    _tighten(folder, folder, changed)
    for root, dirs, files in os.walk(folder):
        for name in [*dirs, *files]:
            _tighten(Path(root) / name, folder, changed)
    if not changed:
        return None
    return f"tightened permissions in {folder} so other users cannot read it: " + ", ".join(changed)


def create_private_file(path: Path) -> None:
    """Create `path` (empty) with mode 0600 unless it exists; an existing one is left alone."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return
    try:
        os.fchmod(fd, FILE_MODE)  # exactly 0600, whatever the umask took away
    finally:
        os.close(fd)


def _tighten(path: Path, top: Path, changed: list[str]) -> None:
    try:
        st = path.lstat()
    except FileNotFoundError:
        return  # removed while we walked (a lock or temp file)
    if stat.S_ISLNK(st.st_mode) or not (st.st_mode & 0o077):
        return
    mode = stat.S_IMODE(st.st_mode)
    # Group and others lose everything; the owner keeps what it had (the ngrok agent is +x).
    new = mode & ~0o077 | (DIR_MODE if stat.S_ISDIR(st.st_mode) else 0)
    os.chmod(path, new)
    name = "the folder" if path == top else str(path.relative_to(top))
    changed.append(f"{name} {mode:04o}→{new:04o}")
