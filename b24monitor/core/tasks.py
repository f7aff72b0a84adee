"""Background tasks that are never lost: a helper keeps a reference, names them, reports failure."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

log = logging.getLogger(__name__)

_running: set[asyncio.Task[Any]] = set()


def spawn(
    coro: Coroutine[Any, Any, Any],
    *,
    name: str,
    on_error: Callable[[str, BaseException], None] | None = None,
) -> asyncio.Task[Any]:
    """Start `coro` as a named task that stays referenced until done; failures are reported.

    A bare `asyncio.create_task` whose result nobody holds can be garbage-collected mid-flight
    and its exception is never seen (mitmproxy utils/asyncio_utils.py does the same).
    """
    task = asyncio.get_running_loop().create_task(coro, name=name)
    _running.add(task)
    task.add_done_callback(lambda t: _finished(t, on_error))
    return task


def _finished(
    task: asyncio.Task[Any], on_error: Callable[[str, BaseException], None] | None
) -> None:
    _running.discard(task)
    if task.cancelled():
        return
    exc = task.exception()
    if exc is None:
        return
    log.error("background task %s failed: %s", task.get_name(), exc, exc_info=exc)
    if on_error is not None:
        on_error(task.get_name(), exc)
