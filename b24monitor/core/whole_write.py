"""Write text to a stream whole, even when a signal cuts a write to a full pipe short."""

from __future__ import annotations

import select
from typing import TextIO


def write_whole(out: TextIO, text: str) -> None:
    """Write `text` to `out` and flush; every byte gets out or an OSError says why.

    With PYTHONUNBUFFERED=1 (or `python -u`) sys.stdout writes straight to the descriptor and
    drops the rest of a write that a signal interrupted after part of it went into a full pipe:
    the next line then continues a truncated one, and scripts reading `listen --json` meet
    malformed JSON. Writing the bytes ourselves, until all are out, keeps every line whole.
    """
    buffer = getattr(out, "buffer", None)
    if buffer is None:  # a text-only stream (StringIO): nothing to cut short
        out.write(text)
        out.flush()
        return
    out.flush()  # whatever the text layer still holds goes first
    data = memoryview(text.encode(out.encoding or "utf-8", out.errors or "strict"))
    while data:
        try:
            written = buffer.write(data)
        except BlockingIOError as exc:  # a non-blocking stream, full: wait until it drains
            written = exc.characters_written
            select.select([], [buffer], [])
        if written is None:  # a raw non-blocking descriptor, full: nothing went out
            select.select([], [buffer], [])
            continue
        data = data[written:]
    buffer.flush()
