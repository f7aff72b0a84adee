"""The event table model over a real Session: model tester, filtered and paused inserts, pacing."""

from __future__ import annotations

import itertools
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from b24monitor.core.filters import parse
from b24monitor.core.tasks import spawn
from b24monitor.gui.live_toggle import LiveToggle
from b24monitor.gui.store_worker import StoreWorker
from b24monitor.gui.table import event_list
from b24monitor.gui.table.event_list import EventList
from b24monitor.gui.table.model import EVENT_ID_ROLE, EventTableModel
from b24monitor.services.session import Session, SessionConfig

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
CODES = ("ONCRMDEALADD", "ONCRMDEALUPDATE", "ONTASKADD")


@dataclass
class Rig:
    session: Session
    events: EventList
    model: EventTableModel
    client: httpx.AsyncClient

    async def post(self, body: bytes) -> None:
        response = await self.client.post(self.session.handler_url, content=body, headers=FORM)
        assert response.status_code == 200

    async def post_many(self, make: Callable[..., bytes], count: int, start: int = 0) -> None:
        for number in range(start, start + count):
            code = CODES[number % len(CODES)]
            await self.post(make(code, {"FIELDS": {"ID": str(1000 + number)}}))


@asynccontextmanager
async def rig(data_dir: Path) -> AsyncIterator[Rig]:
    """A started Session and the model over it, all stopped again on exit."""
    session = Session(SessionConfig(data_dir=data_dir))
    worker = StoreWorker(session.db_path)
    events = EventList(worker)
    session.committed.connect(events.note_committed)
    await session.start()
    await worker.open()
    model = EventTableModel(events, worker.rows)
    try:
        async with httpx.AsyncClient() as client:
            yield Rig(session, events, model, client)
    finally:
        events.close()
        await worker.close()
        await session.stop()


def column_texts(model: EventTableModel, column: int) -> list[str]:
    return [model.index(row, column).data() for row in range(model.rowCount())]


@pytest.mark.asyncio
async def test_model_passes_the_model_tester_through_inserts_removals_and_resets(
    tmp_path: Path, make_delivery: Callable[..., bytes], qtmodeltester, wait_until
) -> None:
    async with rig(tmp_path) as r:
        await r.post_many(make_delivery, 12)
        await r.events.reapply()
        assert r.model.rowCount() == 12
        qtmodeltester.check(r.model, force_py=True)  # stays attached: checks every change below
        await r.post_many(make_delivery, 6, start=12)
        await wait_until(lambda: r.model.rowCount() == 18)
        r.events.set_newest_first(True)
        await r.post_many(make_delivery, 3, start=18)
        await wait_until(lambda: r.model.rowCount() == 21)
        doomed = [r.model.event_id(0), r.model.event_id(5)]
        token = r.events.hide(doomed)
        assert r.model.rowCount() == 19
        r.events.unhide(doomed, token)
        assert [r.model.event_id(0), r.model.event_id(5)] == doomed
        await r.events.apply_filter(parse("event:ONCRMDEAL*"))
        qtmodeltester.check(r.model, force_py=True)
        assert set(column_texts(r.model, 1)) == {"ONCRMDEALADD", "ONCRMDEALUPDATE"}


@pytest.mark.asyncio
async def test_inserts_while_filtered_show_only_matching_rows_in_id_order(
    tmp_path: Path, make_delivery: Callable[..., bytes], wait_until
) -> None:
    async with rig(tmp_path) as r:
        await r.post_many(make_delivery, 9)
        await r.events.apply_filter(parse("event:ONTASKADD"))
        assert r.model.rowCount() == 3
        await r.post_many(make_delivery, 9, start=9)
        await wait_until(lambda: r.model.rowCount() == 6)
        await r.post(make_delivery("ONCRMDEALADD"))
        ids = [r.model.index(row, 0).data(EVENT_ID_ROLE) for row in range(r.model.rowCount())]
        assert ids == sorted(ids)
        assert set(column_texts(r.model, 1)) == {"ONTASKADD"}
        r.events.set_newest_first(True)
        assert r.model.index(0, 0).data(EVENT_ID_ROLE) == max(ids)


@pytest.mark.asyncio
async def test_an_update_due_when_a_filter_is_applied_never_uses_the_old_filter(
    tmp_path: Path, make_delivery: Callable[..., bytes], monkeypatch, wait_until
) -> None:
    monkeypatch.setattr(event_list, "UPDATE_INTERVAL", 0.0)  # an update is due at once
    async with rig(tmp_path) as r:
        await r.post_many(make_delivery, 3)  # deal, deal, task
        await r.events.reapply()
        applying: list[object] = []

        def filter_now(ids: list[int]) -> None:
            # Right after the list heard of the batch (its update is due): the user filters.
            if not applying:
                applying.append(spawn(r.events.apply_filter(parse("event:ONCRMDEAL*")), name="f"))

        r.session.committed.connect(filter_now)
        await r.post(make_delivery("ONTASKADD"))  # matches the old filter, not the new one
        await wait_until(lambda: applying and applying[0].done())  # type: ignore[union-attr]
        await r.post(make_delivery("ONCRMDEALADD"))
        await wait_until(lambda: r.model.rowCount() >= 3)
        assert set(column_texts(r.model, 1)) == {"ONCRMDEALADD", "ONCRMDEALUPDATE"}
        assert r.model.rowCount() == 3


@pytest.mark.asyncio
async def test_pause_counts_new_matching_events_and_resume_shows_them(
    tmp_path: Path, make_delivery: Callable[..., bytes], wait_until, qtbot
) -> None:
    async with rig(tmp_path) as r:
        toggle = LiveToggle()
        qtbot.addWidget(toggle)
        r.model.state_changed.connect(
            lambda: toggle.show_state(paused=r.events.paused, pending=r.events.pending_count)
        )
        await r.events.apply_filter(parse("event:ONCRMDEAL*"))
        r.events.set_paused(True)
        await r.post_many(make_delivery, 6)  # 4 deals, 2 tasks
        await wait_until(lambda: r.events.pending_count == 4)
        assert r.model.rowCount() == 0
        assert "+4" in toggle.text()
        r.events.set_paused(False)
        assert r.model.rowCount() == 4
        assert "Live" in toggle.text()


@pytest.mark.asyncio
async def test_a_burst_updates_the_view_at_most_about_ten_times_a_second(
    tmp_path: Path, make_delivery: Callable[..., bytes], wait_until
) -> None:
    async with rig(tmp_path) as r:
        await r.events.reapply()
        inserts: list[float] = []
        r.model.rowsInserted.connect(lambda *_: inserts.append(time.monotonic()))
        started = time.monotonic()
        await r.post_many(make_delivery, 150)
        await wait_until(lambda: r.model.rowCount() == 150)
        elapsed = time.monotonic() - started
        assert len(inserts) <= elapsed * 10 + 2
        gaps = [b - a for a, b in itertools.pairwise(inserts)]
        assert min(gaps, default=1.0) >= 0.09


@pytest.mark.asyncio
async def test_rows_are_read_a_page_at_a_time_and_clear_view_keeps_the_store(
    tmp_path: Path, make_delivery: Callable[..., bytes], wait_until
) -> None:
    async with rig(tmp_path) as r:
        await r.post_many(make_delivery, 30)
        await r.events.reapply()
        r.model.cache.clear()  # as if scrolled far away: the rows must be read again
        for row in range(30):
            r.model.index(row, 1).data()
        await wait_until(lambda: r.model.index(0, 2).data() == "deal 1000")
        assert r.model.loads == 1  # one page read for 30 rows, off the GUI thread
        r.events.clear_view()
        assert r.model.rowCount() == 0
        await r.post(make_delivery("ONCRMLEADADD", {"FIELDS": {"ID": "7"}}))
        await wait_until(lambda: r.model.rowCount() == 1)
        await r.events.reapply()  # a new filter still starts after the cleared rows
        assert r.model.rowCount() == 1
        assert r.session.store is not None and r.session.store.count() == 31


@pytest.mark.asyncio
async def test_a_large_result_shows_the_newest_screen_first_then_everything(
    tmp_path: Path, make_delivery: Callable[..., bytes], monkeypatch, wait_until
) -> None:
    monkeypatch.setattr(event_list, "FIRST_SCREEN", 5)
    async with rig(tmp_path) as r:
        await r.post_many(make_delivery, 12)
        sizes: list[int] = []
        r.model.modelReset.connect(lambda: sizes.append(r.model.rowCount()))
        monkeypatch.setattr(event_list, "FIRST_SCREEN_AFTER", 0)  # as if the full query were slow
        await r.events.reapply()
        assert sizes == [5, 12]
        monkeypatch.setattr(event_list, "FIRST_SCREEN_AFTER", 5)  # a quick one: shown once
        await r.events.reapply()
        assert sizes == [5, 12, 12]
        await r.post_many(make_delivery, 2, start=12)  # updates resume after the full query
        await wait_until(lambda: r.model.rowCount() == 14)
        ids = r.events.snapshot().tolist()
        assert ids == sorted(set(ids))
