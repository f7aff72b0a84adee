"""Full-text search over captured events: payload words are found, auth tokens are not indexed."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from b24monitor.core.filters import parse
from b24monitor.services.session import Session, SessionConfig
from b24monitor.services.store import EventStore

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def matching(store: EventStore, expression: str) -> list[str | None]:
    where, params = parse(expression).to_sql()
    return [e.entity_id for e in store.iter_events(where, params)]


@pytest.mark.asyncio
async def test_captured_payload_words_become_searchable_and_tokens_do_not(
    tmp_path: Path, make_delivery: Callable[..., bytes]
) -> None:
    s = Session(SessionConfig(data_dir=tmp_path))
    await s.start()
    try:
        async with httpx.AsyncClient() as client:
            for entity, title in (("1", "Поставка бетона"), ("2", "Ремонт крыши")):
                body = make_delivery(data={"FIELDS": {"ID": entity, "TITLE": title}})
                await client.post(s.handler_url, content=body, headers=FORM)
        assert s.store is not None
        store = s.store
        for _ in range(500):  # indexed when the writer is idle, right after the acks
            if matching(store, "бетона") and matching(store, "крыши"):
                break  # both: each may be indexed in its own idle moment
            await asyncio.sleep(0.02)
        assert matching(store, "бетона") == ["1"]
        assert matching(store, '"ремонт крыши"') == ["2"]
        assert matching(store, "ONCRMDEALUPDATE") == ["1", "2"]
        assert matching(store, "9e7d1c2b3a4f5e6d7c8b9a0f1e2d3c4b") == []  # application_token
    finally:
        await s.stop()


@pytest.mark.asyncio
async def test_deleting_indexed_and_unindexed_rows_keeps_the_index_sound(
    tmp_path: Path, make_delivery: Callable[..., bytes]
) -> None:
    s = Session(SessionConfig(data_dir=tmp_path))
    await s.start()
    try:
        async with httpx.AsyncClient() as client:
            for i in range(20):
                body = make_delivery(data={"FIELDS": {"ID": str(i), "TITLE": f"word{i} common"}})
                await client.post(s.handler_url, content=body, headers=FORM)
        assert s.store is not None
        store = s.store
        for _ in range(100):
            if len(matching(store, "common")) == 20:
                break
            await asyncio.sleep(0.02)
        store.delete(list(range(1, 11)))
        assert matching(store, "common") == [str(i) for i in range(10, 20)]
        store._conn.execute("INSERT INTO events_fts(events_fts) VALUES ('integrity-check')")
    finally:
        await s.stop()
    # Reopened: still sound, nothing lost, nothing found twice.
    reopened = EventStore(tmp_path / "events.sqlite3")
    assert matching(reopened, "common") == [str(i) for i in range(10, 20)]
    reopened.close()
