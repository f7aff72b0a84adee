"""Group commit: deliveries that arrive together are decoded, judged and stored in one transaction.

Each HTTP response waits for its own delivery's commit, so an acknowledged event is a stored event
(Bitrix24 never resends, spec §1.1). Decoding and the token check happen here, before the commit,
because the answer depends on them: malformed → 400, token mismatch → 403 (spec §4). The batch
work runs on one dedicated thread that owns the write connection, so the receiver's loop keeps
accepting requests while a batch commits.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from b24monitor.core.decoding import decode_body, key_fields
from b24monitor.core.errors import MalformedDelivery
from b24monitor.core.model import Delivery, KeyFields
from b24monitor.core.verification import TokenBook
from b24monitor.services.store import connect, index_fulltext

MAX_UNINDEXED = 5000  # during a burst, full-text search lags by at most this many events

_INSERT = (
    "INSERT INTO events(received_at, event, member_id, domain, entity_id, entity_type_id, user_id, "
    "handler_id, ts, verified, status, error, http_status, method, path, peer, size, content_type, "
    "headers, body, data) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one delivery: its row id, the HTTP status to answer with, its event code."""

    event_id: int
    http_status: int
    reason: str
    event: str | None = None  # lets listeners pick lifecycle events without reading them back


@dataclass(frozen=True, slots=True)
class Retention:
    """How much history to keep; pinned events are never rotated out. None = unlimited."""

    max_rows: int | None = None
    max_age_s: float | None = None
    check_every_s: float = 10.0  # rotation deletes in bulk; doing it per commit would cost acks


class StoreWriter:
    """Owns the write connection; `submit` returns once the delivery is committed.

    `on_committed(outcomes)` runs on the writer's loop once per committed batch.
    """

    def __init__(
        self,
        path: Path,
        *,
        on_committed: Callable[[list[Outcome]], None],
        retention: Retention | None = None,
        max_batch: int = 500,
    ) -> None:
        self._path = path
        self._on_committed = on_committed
        self._retention = retention or Retention()
        self._max_batch = max_batch
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="b24monitor-writer")
        self._conn: sqlite3.Connection | None = None
        self._tokens = TokenBook()
        self._queue: asyncio.Queue[tuple[Delivery, asyncio.Future[Outcome]]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._last_retention = -float("inf")
        self._unindexed = 0

    async def open(self) -> None:
        await asyncio.get_running_loop().run_in_executor(self._executor, self._open_sync)
        self._task = asyncio.get_running_loop().create_task(self._run(), name="store-writer")

    def _open_sync(self) -> None:
        self._conn = connect(self._path)
        index_fulltext(self._conn)  # catch up after a crash between a commit and its indexing
        for member_id, token in self._conn.execute(
            "SELECT member_id, application_token FROM app_tokens"
        ):
            self._tokens.set(member_id, token)

    def set_app_token(self, member_id: str, token: str) -> None:
        """Make a token known at once (the user pasted it); call on the writer's loop."""
        self._executor.submit(self._tokens.set, member_id, token)

    def expect_app_token(self, token: str) -> None:
        """A pasted webhook token whose portal is not known yet (spec §4 step 4)."""
        self._executor.submit(self._tokens.expect, token)

    async def submit(self, delivery: Delivery) -> Outcome:
        future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        await self._queue.put((delivery, future))
        return await future

    async def close(self) -> None:
        """Commit everything already submitted, then close the connection."""
        if self._task is not None:
            await self._queue.join()
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self._close_sync)
        self._executor.shutdown(wait=True)

    def _index_sync(self) -> None:
        assert self._conn is not None
        index_fulltext(self._conn)
        self._unindexed = 0

    def _close_sync(self) -> None:
        if self._conn is not None:
            index_fulltext(self._conn)
            self._conn.execute("PRAGMA optimize")
            self._conn.close()
            self._conn = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            if self._queue.empty() and self._unindexed:
                # Idle: bring full-text search up to date (after the acks, never before).
                await loop.run_in_executor(self._executor, self._index_sync)
            batch = [await self._queue.get()]
            while len(batch) < self._max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                outcomes = await loop.run_in_executor(
                    self._executor, self._commit_batch, [d for d, _ in batch]
                )
            except Exception as exc:  # the database failed: nobody gets a false 200
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
            else:
                for (_, future), outcome in zip(batch, outcomes, strict=True):
                    if not future.done():
                        future.set_result(outcome)
                self._unindexed += len(outcomes)
                if self._unindexed >= MAX_UNINDEXED:  # a long burst: keep search within reach
                    await loop.run_in_executor(self._executor, self._index_sync)
                self._on_committed(outcomes)
            finally:
                for _ in batch:
                    self._queue.task_done()

    def _commit_batch(self, deliveries: list[Delivery]) -> list[Outcome]:
        conn = self._conn
        assert conn is not None
        outcomes: list[Outcome] = []
        conn.execute("BEGIN IMMEDIATE")
        try:
            for delivery in deliveries:
                row, http_status, reason = self._judge(conn, delivery)
                cursor = conn.execute(_INSERT, row)
                outcomes.append(Outcome(int(cursor.lastrowid or 0), http_status, reason, row[1]))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        self._maybe_rotate(conn)
        return outcomes

    def _judge(self, conn: sqlite3.Connection, d: Delivery) -> tuple[tuple[Any, ...], int, str]:
        """Decode, verify and build the row; returns (row, http status, reason)."""
        payload: dict[str, Any] | None = None
        fields = KeyFields()
        verified: bool | None = None
        try:
            payload = decode_body(d.body, d.content_type)
            fields = key_fields(payload)
        except MalformedDelivery as exc:
            status, http_status, reason = "malformed", 400, str(exc)
        else:
            verdict = self._tokens.judge(fields)
            verified, reason = verdict.verified, verdict.reason
            if verdict.learn and fields.member_id and fields.application_token:
                self._learn(conn, fields)
            status, http_status = ("rejected", 403) if verified is False else ("ok", 200)
        data = json.dumps(payload, ensure_ascii=False) if payload is not None else None
        row = (
            d.received_at, fields.event, fields.member_id, fields.domain, fields.entity_id,
            fields.entity_type_id, fields.user_id, fields.handler_id, fields.ts,
            None if verified is None else int(verified), status,
            None if status == "ok" else reason, http_status, d.method, d.path, d.peer,
            len(d.body), d.content_type, json.dumps(d.headers), d.body, data,
        )  # fmt: skip
        return row, http_status, reason

    def _learn(self, conn: sqlite3.Connection, fields: KeyFields) -> None:
        assert fields.member_id and fields.application_token
        self._tokens.set(fields.member_id, fields.application_token)
        conn.execute(
            "INSERT OR IGNORE INTO app_tokens(member_id, application_token, domain, source, "
            "learned_at) VALUES (?, ?, ?, 'install', ?)",
            (fields.member_id, fields.application_token, fields.domain, time.time()),
        )

    def _maybe_rotate(self, conn: sqlite3.Connection) -> None:
        """Apply retention now and then; pinned events are never removed."""
        r = self._retention
        now = time.monotonic()
        if (r.max_rows is None and r.max_age_s is None) or (
            now - self._last_retention < r.check_every_s
        ):
            return
        self._last_retention = now
        if r.max_age_s is not None:
            conn.execute(
                "DELETE FROM events WHERE pinned = 0 AND received_at < ?",
                (time.time() - r.max_age_s,),
            )
        if r.max_rows is not None:
            conn.execute(
                "DELETE FROM events WHERE pinned = 0 AND id <= (SELECT id FROM events "
                "WHERE pinned = 0 ORDER BY id DESC LIMIT 1 OFFSET ?)",
                (r.max_rows,),
            )
