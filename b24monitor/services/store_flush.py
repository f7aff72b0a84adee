"""Write the database's pages still in the OS cache to disk before capture opens it.

A WAL checkpoint ends with an fsync of the database file, made while SQLite still holds the WAL
locks the writer needs for its next transaction; that fsync writes every dirty page of the file,
not only the checkpoint's own. A data dir copied or restored just before the start (bench/gui.py
copies its 1 M-event fixture each run) leaves gigabytes of them, and the first checkpoint then
held every acknowledgement for ~0.6 s, two seconds into the load. Flushed here, before the
receiver listens, that checkpoint writes only the pages it copied.
"""

from __future__ import annotations

import os
from pathlib import Path


def flush_database(db_path: Path) -> None:
    """fsync the database file and its WAL, if present.

    Call it only before this process opens the database with SQLite: closing any descriptor of
    a file drops the POSIX locks the process holds on it, SQLite's included.
    """
    for path in (db_path, db_path.with_name(db_path.name + "-wal")):
        try:
            fd = os.open(path, os.O_RDWR)  # Windows' fsync needs a descriptor open for writing
        except FileNotFoundError:  # a new data dir: nothing to flush
            continue
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
