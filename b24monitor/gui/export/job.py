"""An export on its own thread and connection: progress, cancel, a .part file renamed at the end."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from b24monitor.core.errors import ExportError
from b24monitor.core.export import export_events
from b24monitor.core.model import CapturedEvent
from b24monitor.services.store import EventStore

PROGRESS_EVERY = 250  # events between two progress reports
FETCH_CHUNK = 500


class ExportCancelled(Exception):
    """The user pressed Cancel; the partial file was removed."""


@dataclass(frozen=True, slots=True)
class ExportRequest:
    target: Path
    fmt: str
    reveal_secrets: bool = False
    ids: Sequence[int] | None = None  # None: every stored event


def run_export(
    db_path: Path,
    request: ExportRequest,
    progress: Callable[[int], None],
    cancel: threading.Event,
) -> int:
    """Write the events to `target` (via `target.part`); blocking — run it in a thread."""
    tmp = request.target.with_name(request.target.name + ".part")
    store = EventStore(db_path)  # this thread's own connection (sqlite3 is not shared)
    try:
        events = _counted(_events(store, request.ids), progress, cancel)
        newline = "" if request.fmt == "csv" else None  # the csv module writes its own \r\n
        with open(tmp, "w", encoding="utf-8", newline=newline) as out:
            count = export_events(events, out, request.fmt, reveal_secrets=request.reveal_secrets)
        os.replace(tmp, request.target)  # never half a file under the chosen name
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ExportError(
            f"cannot write {request.target} ({exc.strerror or exc}); choose another folder"
        ) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        store.close()
    progress(count)
    return count


def count_events(db_path: Path, ids: Sequence[int] | None) -> int:
    """How many events an export of `ids` (None: all) will write, for the progress bar."""
    if ids is not None:
        return len(ids)
    store = EventStore(db_path)
    try:
        return store.count()
    finally:
        store.close()


def _events(store: EventStore, ids: Sequence[int] | None) -> Iterator[CapturedEvent]:
    if ids is None:
        yield from store.iter_events()
        return
    for start in range(0, len(ids), FETCH_CHUNK):
        yield from store.fetch(ids[start : start + FETCH_CHUNK])


def _counted(
    events: Iterator[CapturedEvent], progress: Callable[[int], None], cancel: threading.Event
) -> Iterator[CapturedEvent]:
    for number, ev in enumerate(events, 1):
        if cancel.is_set():
            raise ExportCancelled
        yield ev
        if number % PROGRESS_EVERY == 0:
            progress(number)
