"""Guard against the PySide6 6.12.0 + CPython 3.11 crash (../shared/guide/testing.md).

There every Python override of a Qt virtual drops one reference to None; qasync dispatches every
asyncio callback through `timerEvent`, so a running app dies with `none_dealloc` after a few
thousand callbacks. A normal suite runs too few callbacks to notice — this test counts.
"""

from __future__ import annotations

import sys

import PySide6
from PySide6.QtCore import QCoreApplication, QEventLoop, QObject, QTimerEvent

CALLS = 1000


class Ticker(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.calls = 0
        self.timer = self.startTimer(0)

    def timerEvent(self, event: QTimerEvent) -> None:
        self.calls += 1
        if self.calls >= CALLS:
            self.killTimer(self.timer)


def test_python_overrides_of_qt_virtuals_keep_none_alive(qapp) -> None:
    ticker = Ticker()
    before = sys.getrefcount(None)
    while ticker.calls < CALLS:
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
    after = sys.getrefcount(None)
    assert ticker.calls == CALLS
    assert before - after < 100, (
        f"PySide6 {PySide6.__version__} leaks references to None in virtual overrides "
        f"({before - after} over {CALLS} calls): pin PySide6-Essentials below 6.12 on Python 3.11"
    )
