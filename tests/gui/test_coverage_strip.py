"""The coverage strip under the rate chart: read from a real store, green/red, gaps labelled."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from b24monitor.core.coverage import NOT_RUNNING
from b24monitor.core.offline_match import QueueRow
from b24monitor.gui.status.coverage_strip import CoverageStrip
from b24monitor.services.guard_store import GuardStore
from b24monitor.services.recovery_store import RecoveryStore
from b24monitor.services.store import EventStore


@pytest.mark.asyncio
async def test_strip_shows_covered_stretches_and_the_gap_with_what_came_back(
    qtbot, tmp_path: Path
) -> None:
    db = tmp_path / "events.sqlite3"
    EventStore(db).close()
    now = time.time()
    guard = GuardStore(db)
    guard.open_stretch(True, None, now - 500)
    guard.close_stretch(now - 300)  # the listener stopped for 100 s …
    guard.open_stretch(True, None, now - 200)  # … and is running again
    guard.close()
    when = time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(now - 250))
    recovery = RecoveryStore(db)
    recovery.store_recovered(
        [QueueRow("ONCRMDEALUPDATE", {"FIELDS": {"ID": "1"}}, when, "a" * 32)],
        member_id=None, portal="acme.bitrix24.com",
    )  # fmt: skip
    recovery.close()

    strip = CoverageStrip(db)
    qtbot.addWidget(strip)
    strip.resize(900, strip.sizeHint().height())
    await strip.reload(force=True)
    [first, gap, last] = strip.intervals
    assert (first.covered, gap.covered, last.covered) == (True, False, True)
    assert (gap.reason, gap.recovered) == (NOT_RUNNING, 1)
    x = 4 + (900 - 190 - 8) * 0.6  # 4 minutes ago: inside the gap
    assert strip.interval_at(x) == gap
    assert "1 missed event(s) recovered" in strip.describe(gap)
    assert not strip.grab().isNull()
