"""Retention keeps the newest events within the limits and never rotates out a pinned one."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from b24monitor.services.session import Session, SessionConfig
from b24monitor.services.writer import Retention

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


async def post_many(s: Session, make_delivery: Callable[..., bytes], ids: range) -> None:
    async with httpx.AsyncClient() as client:
        for i in ids:
            body = make_delivery(data={"FIELDS": {"ID": str(i)}})
            assert (await client.post(s.handler_url, content=body, headers=FORM)).status_code == 200


@pytest.mark.asyncio
async def test_max_rows_keeps_newest_and_pinned(
    tmp_path: Path, make_delivery: Callable[..., bytes]
) -> None:
    config = SessionConfig(data_dir=tmp_path, retention=Retention(max_rows=5, check_every_s=0))
    s = Session(config)
    await s.start()
    try:
        await post_many(s, make_delivery, range(3))
        assert s.store is not None
        s.store.set_pinned([1], True)
        await post_many(s, make_delivery, range(3, 20))
        kept = [e.entity_id for e in s.store.iter_events()]
    finally:
        await s.stop()
    assert kept == ["0", "15", "16", "17", "18", "19"]


@pytest.mark.asyncio
async def test_max_age_removes_old_unpinned_events(
    tmp_path: Path, make_delivery: Callable[..., bytes]
) -> None:
    config = SessionConfig(data_dir=tmp_path, retention=Retention(max_age_s=3600, check_every_s=0))
    s = Session(config)
    await s.start()
    try:
        await post_many(s, make_delivery, range(4))
        assert s.store is not None
        s.store.set_pinned([2], True)
        # Age the first three by two hours, as if they arrived long ago.
        s.store._conn.execute("UPDATE events SET received_at = received_at - 7200 WHERE id <= 3")
        await post_many(s, make_delivery, range(4, 5))
        kept = [e.entity_id for e in s.store.iter_events()]
    finally:
        await s.stop()
    assert kept == ["1", "3", "4"]
