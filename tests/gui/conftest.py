"""Qt + asyncio test harness (../shared/guide/testing.md): offscreen Qt, a qasync loop per test.

QT_QPA_PLATFORM is set before anything imports Qt. Async tests run on a qasync QEventLoop bound
to the QApplication (pytest-asyncio's loop-factory hook) and start and stop what they need inside
the test coroutine. Never call qtbot.waitUntil in an async test: use `wait_until`.
"""

from __future__ import annotations

import os

os.environ["QT_QPA_PLATFORM"] = "offscreen"

import asyncio
import gc
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
import qasync
from PySide6.QtWidgets import QApplication

Waiter = Callable[..., Awaitable[None]]


def _application() -> QApplication:
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(["b24monitor-tests"])
    app.setQuitOnLastWindowClosed(False)
    return app


def pytest_asyncio_loop_factories(config: pytest.Config, item: pytest.Item) -> dict[str, Any]:
    return {"qasync": lambda: qasync.QEventLoop(_application())}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = os.path.dirname(__file__)
    for item in items:
        if str(item.path).startswith(here):
            # Qt warnings fail the test. The offscreen platform cannot resize native windows
            # to size hints and says so; that is a limit of the test platform, not a fault.
            item.add_marker(pytest.mark.qt_log_level_fail("WARNING"))
            item.add_marker(pytest.mark.qt_log_ignore("does not support propagateSizeHints"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    # A closed qasync loop sits in reference cycles with its timer QObject. Collect it here, on
    # the GUI thread: a collection that happens to run on the capture or query thread would
    # destroy that QObject there ("Timers cannot be stopped from another thread").
    try:
        return (yield)
    finally:
        gc.collect()


async def _wait_until(predicate: Callable[[], object], limit: float = 10.0) -> None:
    deadline = time.monotonic() + limit
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {limit} s")
        await asyncio.sleep(0.02)


@pytest.fixture
def wait_until() -> Waiter:
    """`await wait_until(lambda: ..., limit)`: polls with asyncio.sleep, never qtbot.waitUntil."""
    return _wait_until
