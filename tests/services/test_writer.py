"""The group-commit writer: one transaction per batch, and everything the 200 depends on decided
before the commit (decode → 400, token → 403, install → learned token).

Every statement on the writer's connection is traced (the `sql_log` fixture), so "one
transaction" is counted, not assumed.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from b24monitor.core.budget import StoreLimits
from b24monitor.core.errors import StoreError
from b24monitor.core.model import Delivery
from b24monitor.core.tasks import spawn
from b24monitor.services.store import EventStore
from b24monitor.services.writer import Outcome, Retention, StoreWriter

FORM = "application/x-www-form-urlencoded"
APP_TOKEN = "9e7d1c2b3a4f5e6d7c8b9a0f1e2d3c4b"  # the token make_delivery puts in every body


def delivery(body: bytes, content_type: str = FORM) -> Delivery:
    return Delivery(time.time(), "POST", "/b24/x/events", (("Host", "x"),), body, content_type,
                    "127.0.0.1")  # fmt: skip


@asynccontextmanager
async def writing(
    db_path: Path, batches: list[list[Outcome]], **options: Any
) -> AsyncIterator[StoreWriter]:
    writer = StoreWriter(db_path, on_committed=batches.append, **options)
    await writer.open()
    try:
        yield writer
    finally:
        await writer.close()


def read_all(db_path: Path) -> list[tuple[int, str | None, str, bool | None]]:
    store = EventStore(db_path)
    try:
        return [(ev.id, ev.event, ev.status, ev.verified) for ev in store.iter_events()]
    finally:
        store.close()


INSERT = "INSERT INTO events("


def transactions(statements: list[str]) -> list[list[str]]:
    """The statements of each BEGIN … COMMIT, in order."""
    found: list[list[str]] = []
    current: list[str] | None = None
    for statement in statements:
        if statement.startswith("BEGIN"):
            current = []
        elif statement.startswith(("COMMIT", "ROLLBACK")) and current is not None:
            found.append(current)
            current = None
        elif current is not None:
            current.append(statement)
    return found


@pytest.mark.asyncio
async def test_deliveries_that_queue_up_are_committed_in_one_transaction(
    tmp_path: Path, make_delivery: Callable[..., bytes], sql_log: Any
) -> None:
    batches: list[list[Outcome]] = []
    async with writing(tmp_path / "e.sqlite3", batches) as writer:
        sql_log.seen.clear()
        # Submitted together, before the writer's task runs again: they queue up as one batch.
        outcomes = await asyncio.gather(
            *(writer.submit(delivery(make_delivery("ONCRMDEALADD"))) for _ in range(20))
        )
        statements = list(sql_log.statements)
    # The transactions that stored events (the writer may index full text in another one later).
    stored = [t for t in transactions(statements) if any(s.startswith(INSERT) for s in t)]
    assert len(stored) == 1 and sum(s.startswith(INSERT) for s in stored[0]) == 20
    assert [len(b) for b in batches] == [20]
    assert [o.event_id for o in batches[0]] == [o.event_id for o in outcomes]
    assert len({o.event_id for o in outcomes}) == 20


@pytest.mark.asyncio
async def test_submit_returns_only_once_the_row_is_readable_elsewhere(
    tmp_path: Path, make_delivery: Callable[..., bytes]
) -> None:
    db = tmp_path / "e.sqlite3"
    async with writing(db, []) as writer:
        outcome = await writer.submit(delivery(make_delivery("ONTASKADD")))
        assert (outcome.http_status, outcome.event) == (200, "ONTASKADD")
        assert read_all(db) == [(outcome.event_id, "ONTASKADD", "ok", None)]


@pytest.mark.asyncio
async def test_the_answer_is_decided_before_the_commit(
    tmp_path: Path, make_delivery: Callable[..., bytes]
) -> None:
    db = tmp_path / "e.sqlite3"
    batches: list[list[Outcome]] = []
    async with writing(db, batches) as writer:
        install = await writer.submit(delivery(make_delivery("ONAPPINSTALL", {"VERSION": "1"})))
        good = await writer.submit(delivery(make_delivery("ONCRMDEALADD")))
        forged = await writer.submit(delivery(make_delivery("ONCRMDEALADD", token="f" * 32)))
        broken = await writer.submit(delivery(b"", FORM))
    assert [o.http_status for o in (install, good, forged, broken)] == [200, 200, 403, 400]
    assert "matches none" in forged.reason and "empty body" in broken.reason
    # Stored as judged: the install taught the token that verified the next delivery.
    assert [row[1:] for row in read_all(db)] == [
        ("ONAPPINSTALL", "ok", None),
        ("ONCRMDEALADD", "ok", True),
        ("ONCRMDEALADD", "rejected", False),
        (None, "malformed", None),
    ]
    assert [o.event for batch in batches for o in batch] == [
        "ONAPPINSTALL", "ONCRMDEALADD", "ONCRMDEALADD", None,
    ]  # fmt: skip


@pytest.mark.asyncio
async def test_a_learned_token_survives_a_restart(
    tmp_path: Path, make_delivery: Callable[..., bytes]
) -> None:
    db = tmp_path / "e.sqlite3"
    async with writing(db, []) as writer:
        await writer.submit(delivery(make_delivery("ONAPPINSTALL", {"VERSION": "1"})))
    async with writing(db, []) as writer:
        forged = await writer.submit(delivery(make_delivery("ONCRMDEALADD", token="f" * 32)))
    assert forged.http_status == 403


@pytest.mark.asyncio
async def test_a_pasted_token_judges_the_next_delivery(
    tmp_path: Path, make_delivery: Callable[..., bytes]
) -> None:
    db = tmp_path / "e.sqlite3"
    async with writing(db, []) as writer:
        writer.expect_app_token(APP_TOKEN, "webhook crm-sync")  # pasted before its portal is known
        good = await writer.submit(delivery(make_delivery("ONCRMDEALADD")))
        forged = await writer.submit(delivery(make_delivery("ONCRMDEALADD", token="f" * 32)))
    assert (good.http_status, forged.http_status) == (200, 403)
    assert [row[3] for row in read_all(db)] == [True, False]
    with sqlite3.connect(db) as conn:  # the verified one is named after the pasted sender
        senders = [r[0] for r in conn.execute("SELECT sender FROM events ORDER BY id")]
    assert senders == ["webhook crm-sync", None]


@pytest.mark.asyncio
async def test_a_failed_commit_answers_nobody_200(
    tmp_path: Path, make_delivery: Callable[..., bytes]
) -> None:
    db = tmp_path / "e.sqlite3"
    batches: list[list[Outcome]] = []
    async with writing(db, batches) as writer:
        other = sqlite3.connect(db)
        other.execute("ALTER TABLE events RENAME TO events_gone")  # the insert must now fail
        other.commit()
        other.close()
        with pytest.raises(StoreError, match="no such table"):  # an error, never a 200
            await writer.submit(delivery(make_delivery()))
        assert batches == []  # nobody is told about ids that were never committed
        sqlite3.connect(db).execute("ALTER TABLE events_gone RENAME TO events").connection.close()


@pytest.mark.asyncio
async def test_retention_keeps_the_newest_rows_and_every_pinned_one(
    tmp_path: Path, make_delivery: Callable[..., bytes]
) -> None:
    db = tmp_path / "e.sqlite3"
    keep = Retention(max_rows=3, check_every_s=0.0)
    async with writing(db, [], retention=keep) as writer:
        first = await writer.submit(delivery(make_delivery()))
        store = EventStore(db)
        store.set_pinned([first.event_id], True)
        store.close()
        for _ in range(6):
            await writer.submit(delivery(make_delivery()))
    ids = [row[0] for row in read_all(db)]
    assert ids[0] == first.event_id and len(ids) == 4


@pytest.mark.asyncio
async def test_a_batch_is_told_once_its_findings_are_stored(
    tmp_path: Path, make_delivery: Callable[..., bytes]
) -> None:
    """The front end's `finding:` filters read the store: the news must not come first."""
    db = tmp_path / "e.sqlite3"
    seen: list[list[tuple[int, list[str]]]] = []
    all_told = asyncio.Event()

    def on_committed(outcomes: list[Outcome]) -> None:
        store = EventStore(db)  # another connection, as the front end's
        try:
            events = store.fetch([o.event_id for o in outcomes])
            seen.append([(ev.id, [f.code for f in ev.findings]) for ev in events])
        finally:
            store.close()
        if sum(len(batch) for batch in seen) >= 5:
            all_told.set()

    writer = StoreWriter(db, on_committed=on_committed)
    await writer.open()
    try:
        bodies = [make_delivery(data={"FIELDS": {"ID": str(i)}}, user_id=None, ts=2**31)
                  for i in range(5)]  # fmt: skip
        outcomes = await asyncio.gather(*(writer.submit(delivery(body)) for body in bodies))
        await asyncio.wait_for(all_told.wait(), 30)
    finally:
        await writer.close()
    told = [each for batch in seen for each in batch]
    assert told == [(o.event_id, ["no_access_token"]) for o in outcomes]


@pytest.mark.asyncio
async def test_an_oversize_request_is_a_metadata_row_that_takes_a_place_in_the_budget(
    tmp_path: Path,
) -> None:
    db = tmp_path / "events.sqlite3"
    limits = StoreLimits(hostile_per_minute=1)
    async with writing(db, [], limits=limits) as writer:
        refused = await writer.submit(replace(delivery(b""), announced=50_000_000))
        broken = await writer.submit(delivery(b'{"event": broken', "application/json"))
    assert (refused.http_status, broken.http_status) == (413, 400)
    store = EventStore(db)
    try:
        oversize, malformed = store.iter_events()
    finally:
        store.close()
    assert (oversize.status, oversize.size, oversize.body) == ("malformed", 50_000_000, b"")
    assert oversize.error is not None and "50000000 bytes announced" in oversize.error
    # The oversize row used this minute's one place: the malformed body is not kept.
    assert malformed.status == "malformed" and malformed.body == b""
    assert writer.bodies_not_kept == 1


@pytest.mark.asyncio
async def test_refused_requests_are_recorded_together_and_none_is_lost_at_close(
    tmp_path: Path,
) -> None:
    db = tmp_path / "events.sqlite3"
    batches: list[list[Outcome]] = []
    async with writing(db, batches) as writer:
        for _ in range(50):  # an oversize flood: each already answered 413
            writer.note(replace(delivery(b""), announced=10_000_000))
    # One batch for the whole flood (not fifty), committed by close() at the latest.
    assert [len(batch) for batch in batches] == [50]
    assert [status for _, _, status, _ in read_all(db)] == ["malformed"] * 50


@pytest.mark.asyncio
async def test_batch_news_keeps_coming_while_deliveries_never_pause(
    tmp_path: Path, make_delivery: Callable[..., bytes]
) -> None:
    """The news of a commit waits for a quiet moment (the acks of a burst go first), but a
    sender that never pauses must not hold it back for ever: it arrives while they still send.

    A quiet moment is made to take longer than the test, so only the bound on the lag (not a
    scheduling hiccup of a busy machine) can bring the news."""
    batches: list[list[Outcome]] = []
    sending = True
    sent = 0

    async def sender(writer: StoreWriter) -> None:
        nonlocal sent
        while sending:  # each delivery follows the previous one's ack at once
            outcome = await writer.submit(delivery(make_delivery()))
            assert outcome.http_status == 200
            sent += 1

    async with writing(tmp_path / "e.sqlite3", batches, quiet_s=3600) as writer:
        senders = [spawn(sender(writer), name=f"sender-{i}") for i in range(8)]
        deadline = time.monotonic() + 60
        while not batches:
            assert time.monotonic() < deadline, "no batch news while deliveries kept coming"
            assert not any(s.done() for s in senders), "a sender failed"
            await asyncio.sleep(0.01)
        sending = False
        await asyncio.gather(*senders)
    announced = [o.event_id for batch in batches for o in batch]
    assert sorted(announced) == list(range(1, sent + 1))  # every commit announced exactly once
    assert all(o.summary is not None and o.summary.id == o.event_id for b in batches for o in b)


@pytest.mark.asyncio
async def test_refused_requests_news_waits_for_a_valid_deliverys(
    tmp_path: Path, make_delivery: Callable[..., bytes]
) -> None:
    """A flood of forged requests must not cost the front end one news each: their news waits
    for a valid delivery's (or the lag bound, made longer than the test here) and goes with it,
    in id order."""
    batches: list[list[Outcome]] = []
    async with writing(tmp_path / "e.sqlite3", batches, max_lag_s=3600) as writer:
        install = delivery(make_delivery("ONAPPINSTALL", {"VERSION": "1"}))  # the token known
        assert (await writer.submit(install)).http_status == 200
        deadline = time.monotonic() + 60
        while not batches:  # the first valid delivery's news comes on its own
            assert time.monotonic() < deadline, "no news of a valid delivery"
            await asyncio.sleep(0.01)
        forged = [
            await writer.submit(delivery(make_delivery(token="f" * 32))) for _ in range(10)
        ]  # fmt: skip  (each one its own batch)
        assert [o.http_status for o in forged] == [403] * 10
        valid = await writer.submit(delivery(make_delivery()))
        while len(batches) < 2:
            assert time.monotonic() < deadline, "no news after the valid delivery"
            await asyncio.sleep(0.01)
        assert len(batches) == 2  # nothing of the forged ones went out on its own
    assert [o.event_id for o in batches[1]] == [*(o.event_id for o in forged), valid.event_id]


@pytest.mark.asyncio
async def test_a_trickle_of_deliveries_sends_its_news_a_few_times_a_second(
    tmp_path: Path, make_delivery: Callable[..., bytes]
) -> None:
    """Bitrix24 sends a mass update as one POST per change: every 5 ms one delivery, each
    committed alone and followed by a quiet moment. Their news (findings, full-text search, a
    message to each window) goes out a few times a second, not once per delivery; a lone
    delivery's news still comes at once, and none is lost or reordered."""
    batches: list[list[Outcome]] = []
    async with writing(tmp_path / "e.sqlite3", batches) as writer:
        first = await writer.submit(delivery(make_delivery()))
        deadline = time.monotonic() + 5
        while not batches:  # the first change after a pause is news at once
            assert time.monotonic() < deadline, "no news of a lone delivery"
            await asyncio.sleep(0.005)
        assert [o.event_id for o in batches[0]] == [first.event_id]
        started = time.monotonic()
        for _ in range(60):  # 200 a second for 0.3 s
            assert (await writer.submit(delivery(make_delivery()))).http_status == 200
            await asyncio.sleep(0.005)
        took = time.monotonic() - started
    announced = [o.event_id for batch in batches for o in batch]
    assert announced == list(range(1, 62))
    # One news per NEWS_EVERY_S of the trickle (50 ms), plus the last at close; one per
    # delivery was 61.
    assert len(batches) <= 2 + took / 0.05 + 2, [len(b) for b in batches]
