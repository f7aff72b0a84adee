"""The writer's summaries of a committed batch are what the store returns for it.

`listen` prints each batch from these summaries instead of reading the rows back (issue 14): an
event printed from them must be the same event `store.fetch` would have given, for every kind
of delivery (verified, rejected, malformed, an install whose tokens are masked, a robot's).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from b24monitor.core.filters import parse
from b24monitor.services.batch import Batch
from b24monitor.services.session import Session, SessionConfig

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest_asyncio.fixture
async def session(tmp_path: Path) -> AsyncIterator[Session]:
    s = Session(SessionConfig(data_dir=tmp_path))
    await s.start()
    try:
        yield s
    finally:
        await s.stop()


async def deliver_mix(s: Session, make_delivery: Callable[..., bytes]) -> list[int]:
    bodies = [
        (make_delivery("ONAPPINSTALL", {"VERSION": "1"}), FORM),
        (make_delivery("ONCRMDEALADD", {"FIELDS": {"ID": "5"}}), FORM),
        (make_delivery("ONCRMDEALUPDATE", {"FIELDS": {"ID": "5"}}, user_id=None), FORM),
        (make_delivery("ONCRMDEALDELETE", token="f" * 32), FORM),
        (b"event=ONCRMDEALADD&data[FIELDS][ID]=7", {"Content-Type": "application/json"}),
        (make_delivery("ONTASKUPDATE", {"FIELDS_AFTER": {"ID": "9", "TITLE": "Ünïcode"}}), FORM),
    ]
    statuses = []
    async with httpx.AsyncClient() as client:
        for body, headers in bodies:  # the install first: it teaches the token
            r = await client.post(s.handler_url, content=body, headers=headers)
            statuses.append(r.status_code)
        many = await asyncio.gather(
            *(client.post(s.handler_url, content=make_delivery(), headers=FORM) for _ in range(30))
        )  # fmt: skip
    assert statuses == [200, 200, 200, 403, 400, 200]
    assert {r.status_code for r in many} == {200}
    return list(range(1, len(bodies) + 31))


@pytest.mark.asyncio
async def test_each_batch_carries_its_events_exactly_as_the_store_returns_them(
    session: Session, make_delivery: Callable[..., bytes]
) -> None:
    batches: list[Batch] = []
    session.committed_summaries.connect(batches.append)
    ids = await deliver_mix(session, make_delivery)
    deadline = time.monotonic() + 30
    while sorted(i for b in batches for i in b.ids) != ids:
        assert time.monotonic() < deadline, "not every committed id was announced"
        await asyncio.sleep(0.02)
    store = session.store
    assert store is not None
    assert all(b.events is not None for b in batches), "a capture batch came without summaries"
    printed = [ev for b in batches for ev in b.select(store)]
    assert printed == store.fetch(ids, raw=False)
    assert any(ev.findings for ev in printed)  # the comparison covers findings too
    assert {ev.status for ev in printed} == {"ok", "rejected", "malformed"}
    for text in ("verified:yes", "-status:ok", "finding:any", "event:ONCRMDEAL*"):
        where, params = parse(text).to_sql(now=time.time())
        chosen = [ev for b in batches for ev in b.select(store, where, params)]
        assert chosen == store.fetch(ids, where, params, raw=False), text
