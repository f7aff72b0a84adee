"""Findings are stored with their events after the acknowledgement, and caught up after a crash."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from b24monitor.services.session import Session, SessionConfig

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


async def post_and_read(tmp_path: Path, body: bytes) -> list[str]:
    s = Session(SessionConfig(data_dir=tmp_path))
    await s.start()
    try:
        async with httpx.AsyncClient() as client:
            await client.post(s.handler_url, content=body, headers=FORM)
    finally:
        await s.stop()  # the writer records findings before it reports the batch
    s = Session(SessionConfig(data_dir=tmp_path))
    await s.start()
    try:
        assert s.store is not None
        events = s.store.fetch(s.store.query_ids())
        return [f.code for ev in events for f in ev.findings]
    finally:
        await s.stop()


@pytest.mark.asyncio
async def test_a_robot_delivery_is_stored_with_its_finding(
    tmp_path: Path, make_delivery: Callable[..., bytes]
) -> None:
    codes = await post_and_read(tmp_path, make_delivery(user_id=None, ts=2**31))
    assert codes == ["no_access_token"]


@pytest.mark.asyncio
async def test_findings_missed_by_a_crash_are_computed_at_the_next_start(
    tmp_path: Path, make_delivery: Callable[..., bytes]
) -> None:
    await post_and_read(tmp_path, make_delivery(user_id=None, ts=2**31))
    with sqlite3.connect(tmp_path / "events.sqlite3") as conn:  # as if it died before checking
        conn.execute("DELETE FROM findings")
        conn.execute("UPDATE settings SET value = '0' WHERE key = 'findings_checked_upto'")
    s = Session(SessionConfig(data_dir=tmp_path))
    await s.start()
    try:
        assert s.store is not None
        [ev] = s.store.fetch(s.store.query_ids())
        assert [f.code for f in ev.findings] == ["no_access_token"]
    finally:
        await s.stop()
