"""Notice when another process changes the profiles file (`portal add` while `listen` runs).

Profiles live in one JSON file replaced atomically under a lock (services/filelock.py), so a
changed (mtime, inode, size) of that file is a complete, readable new version. A stat per second
on the front end's loop costs next to nothing and needs no platform file-watching API.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from pathlib import Path

Stamp = tuple[int, int, int] | None


def stamp(path: Path) -> Stamp:
    """What changes whenever the file is replaced or written; None while it does not exist."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_mtime_ns, st.st_ino, st.st_size)


async def watch_file(
    path: Path, on_change: Callable[[], Awaitable[None]], *, seen: Stamp, interval: float = 1.0
) -> None:
    """Await `on_change()` after each change of `path` from `seen` (a `stamp()` taken before
    the caller read the file), polling until cancelled."""
    while True:
        await asyncio.sleep(interval)
        current = await asyncio.to_thread(stamp, path)
        if current != seen:
            seen = current
            await on_change()
