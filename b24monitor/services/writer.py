"""Group commit: deliveries that arrive together are decoded, judged and stored in one transaction.

Each HTTP response waits for its own delivery's commit, so an acknowledged event is a stored event
(Bitrix24 never resends, spec §1.1). Decoding and the token check happen here, before the commit,
because the answer depends on them: malformed → 400, token mismatch → 403 (spec §4). The batch
work runs on one dedicated thread that owns the write connection, so the receiver's loop keeps
accepting requests while a batch commits.

An install whose token is new for a known portal must be proved before it is answered (spec §4
step 2: a refresh with a profile's credentials, or app.info at the portal). Proving needs the
network, so it never runs inside a batch: such a delivery leaves its batch unstored, only its own
request waits for the proof (at most PROOF_TIMEOUT_S of services/install_gate.py, on the
receiver's loop, while other deliveries keep being committed), and then it is committed with the
proof's verdict — accepted (200) or rejected (403, the reason in one sentence). Bitrix24 does not
retry, so answering a genuine install with 403 only because proving was slow would lose it; the
bound is generous for the OAuth server's usual sub-second answer and still well inside a
sender's patience (§1.1).
Install rows are stored with their tokens masked: the clear auth block goes to `keep_install`
(services/pending_installs.py: keyring or a 0600 file, like profile secrets).

Hostile traffic is bounded (issue 15): bodies of rejected and malformed requests are kept only
within the budget of core/budget.py; below the disk guard's floor only verified deliveries are
stored (others are answered 503); a commit that fails for lack of space raises StoreFull
(answered 503, never 200). Checkpoints and full-text indexing stay off the acknowledgement path.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import logging
import sqlite3
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from b24monitor.core.budget import HostileBudget, StoreLimits
from b24monitor.core.decoding import decode_body, key_fields
from b24monitor.core.errors import MalformedDelivery, StoreError, StoreFull
from b24monitor.core.model import CapturedEvent, Delivery, KeyFields
from b24monitor.core.origin import origin_of
from b24monitor.core.verification import LEARNED, Proof, Sender, TokenBook
from b24monitor.services.checkpointer import WRITER_BACKSTOP_PAGES, Checkpointer
from b24monitor.services.disk_guard import DiskGuard
from b24monitor.services.findings import FindingsRecorder, event_from_insert
from b24monitor.services.install_gate import (
    Install,
    KeepInstall,
    Prover,
    auth_of,
    prove_install,
    secure_install,
)
from b24monitor.services.store import connect, index_fulltext

log = logging.getLogger(__name__)

NOTE_DELAY_S = 0.25  # how long a refused request's record may wait for company
MAX_UNINDEXED = 5000  # during a burst, full-text search lags by at most this many events
# The batch news (findings, then on_committed) waits while deliveries keep coming: the acks of a
# burst share the interpreter lock with nothing else. No delivery for QUIET_S after the last one
# or the last acks (their senders send the next at once) means the burst is over; under
# sustained load the news follows its commit by at most MAX_LAG_S.
QUIET_S = 0.002
MAX_LAG_S = 0.25
# Under a trickle (Bitrix24 sends one change per POST: a mass update of 200 deals a second is a
# delivery every 5 ms) every delivery ends in a quiet moment. The news then goes out at most once
# per NEWS_EVERY_S, the first at once: one findings check, one full-text step and one message to
# each front end per ~10 deliveries instead of per delivery — three thread hand-offs and two
# commits a delivery, most of the engine's CPU at 200/s (bench/soak.py). A single change still
# shows at once; a human does not see 50 ms.
NEWS_EVERY_S = 0.05
# News made only of refused requests (✖, malformed, 413: an attack, most likely) does not go out
# at each quiet moment: it waits for a valid delivery's news or MAX_LAG_S, so a flood costs the
# front end (findings, analysis, printing) a few merged batches a second, not one per request.
INDEX_CHUNK = 32  # rows indexed per step while idle, and at most ~256 KB of bodies (store.py)
# What the hostile budget already holds (the partial index events_not_ok finds these rows).
_HOSTILE_BYTES = (
    "SELECT coalesce(sum(length(body)), 0) + coalesce(sum(length(CAST(data AS BLOB))), 0) "
    "FROM events WHERE status != 'ok'"
)
# json.dumps(x, ensure_ascii=False) builds an encoder per call; one built once says the same.
_to_json = json.JSONEncoder(ensure_ascii=False).encode
BODY_NOT_KEPT = "body not kept: over the budget for rejected and malformed bodies"
FLOOR_REFUSAL = (
    "the monitor's disk is nearly full, so only verified deliveries are stored; "
    "this one was not — send it again later"
)

_INSERT = (
    "INSERT INTO events(received_at, event, member_id, domain, entity_id, entity_type_id, user_id, "
    "handler_id, ts, verified, status, error, http_status, method, path, peer, size, content_type, "
    "headers, body, data, sender, origin) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one delivery: its row id, the HTTP status to answer with, its event code.

    claim: set (and nothing stored) when the delivery is an install that must be proved first.
    summary: the stored event as lists and live lines show it (no raw request), built from what
    the writer already had; its findings are attached after the commit, before the front ends
    hear of the batch — so they print it without reading it back and decoding it again.
    """

    event_id: int
    http_status: int
    reason: str
    event: str | None = None  # lets listeners pick lifecycle events without reading them back
    claim: tuple[KeyFields, Mapping[str, Any]] | None = None
    summary: CapturedEvent | None = None


_Item = tuple[Delivery, Proof | None, "asyncio.Future[Outcome]"]
# An inserted row for its findings: the event as checked (decoded payload, body) and its summary.
_Fresh = tuple[CapturedEvent, CapturedEvent]


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
        prover: Prover | None = None,
        keep_install: KeepInstall | None = None,
        findings: FindingsRecorder | None = None,
        limits: StoreLimits | None = None,
        quiet_s: float = QUIET_S,
        max_lag_s: float = MAX_LAG_S,
        news_every_s: float = NEWS_EVERY_S,
    ) -> None:
        self._path = path
        self._quiet_s = quiet_s
        self._max_lag_s = max_lag_s
        self._news_every_s = news_every_s
        self._last_news = -float("inf")  # loop time the last news went out
        self._on_committed = on_committed
        self._prover = prover
        self._keep_install = keep_install
        self._endpoints: dict[str, str] = {}  # member_id → client_endpoint stored with its tokens
        self._retention = retention or Retention()
        self._max_batch = max_batch
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="b24monitor-writer")
        self._conn: sqlite3.Connection | None = None
        self._tokens = TokenBook()
        self._queue: asyncio.Queue[_Item] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._last_retention = -float("inf")
        self._unindexed = 0
        self._findings = findings or FindingsRecorder()
        self._fresh: list[_Fresh] = []  # committed, findings not checked yet
        self._unannounced: list[Outcome] = []  # committed, on_committed not called yet
        self._oldest_unannounced = 0.0  # monotonic time of the first of those commits
        self._valid_unannounced = False  # a delivery answered 200 is among them
        self._arrived = asyncio.Event()  # set by each submitted delivery
        # Loop time a delivery last arrived or acks last went out (their senders send again).
        self._last_activity = -float("inf")
        self._limits = limits or StoreLimits()
        self._budget = HostileBudget(self._limits)
        self.disk = DiskGuard(path.parent, self._limits)
        self.bodies_not_kept = 0  # hostile bodies past the budget or below the disk floor
        self.refused_low_disk = 0  # unverified deliveries answered 503 below the disk floor
        self._checkpointer = Checkpointer(path)
        self._notes: list[Delivery] = []  # refused requests to record, no answer waiting
        self._notes_timer: asyncio.TimerHandle | None = None

    async def open(self) -> None:
        await asyncio.get_running_loop().run_in_executor(self._executor, self._open_sync)
        self._task = asyncio.get_running_loop().create_task(self._run(), name="store-writer")
        self._checkpointer.start()

    def _open_sync(self) -> None:
        self._conn = connect(self._path)
        self._conn.execute(f"PRAGMA wal_autocheckpoint = {WRITER_BACKSTOP_PAGES}")
        index_fulltext(self._conn)  # catch up after a crash between a commit and its indexing
        used = int(self._conn.execute(_HOSTILE_BYTES).fetchone()[0])
        self._budget = HostileBudget(self._limits, used)
        self.disk.level()  # a nearly full disk is reported from the start, not at the first event
        self._findings.catch_up(self._conn)  # the same for findings
        for member_id, token, label, endpoint in self._conn.execute(
            "SELECT member_id, application_token, label, client_endpoint FROM sender_tokens"
        ):
            self._tokens.add(member_id, token, label)
            if endpoint:
                self._endpoints.setdefault(member_id, endpoint)

    def add_sender(self, sender: Sender) -> None:
        """Make a sender's token known at once (a profile's); call on the writer's loop."""
        self._executor.submit(self._tokens.add, sender.member_id, sender.token, sender.label)

    def expect_app_token(self, token: str, label: str) -> None:
        """A pasted webhook token whose portal is not known yet (spec §4 step 4)."""
        self._executor.submit(self._tokens.expect, token, label)

    async def submit(self, delivery: Delivery) -> Outcome:
        outcome = await self._put(delivery, None)
        if outcome.claim is None:
            return outcome
        fields, auth = outcome.claim
        return await self._put(delivery, await self._prove(fields, auth))

    async def _put(self, delivery: Delivery, proof: Proof | None) -> Outcome:
        future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((delivery, proof, future))
        self._last_activity = asyncio.get_running_loop().time()
        self._arrived.set()
        return await future

    async def _prove(self, fields: KeyFields, auth: Mapping[str, Any]) -> Proof:
        endpoint = self._endpoints.get(fields.member_id or "")
        return await prove_install(self._prover, fields, auth, endpoint)

    def note(self, delivery: Delivery) -> None:
        """Record a request that was already answered (a 413) in a later batch; call on the
        writer's loop. Nothing waits for its commit, so notes gather for up to NOTE_DELAY_S
        and go in together: an oversize flood costs one batch a quarter second, not one per
        request (issue 15)."""
        self._notes.append(delivery)
        if len(self._notes) >= self._max_batch:
            self._flush_notes()
        elif self._notes_timer is None:
            loop = asyncio.get_running_loop()
            self._notes_timer = loop.call_later(NOTE_DELAY_S, self._flush_notes)

    def _flush_notes(self) -> None:
        if self._notes_timer is not None:
            self._notes_timer.cancel()
            self._notes_timer = None
        notes, self._notes = self._notes, []
        loop = asyncio.get_running_loop()
        for delivery in notes:
            future: asyncio.Future[Outcome] = loop.create_future()
            # Nobody awaits it: a failed commit loses only the record of a refusal.
            future.add_done_callback(_ignore_outcome)
            self._queue.put_nowait((delivery, None, future))

    async def close(self) -> None:
        """Commit everything already submitted, then close the connection."""
        self._flush_notes()
        loop = asyncio.get_running_loop()
        if self._task is not None:
            await self._queue.join()
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self._announce(loop)  # the news of the last commits, findings first
        await self._checkpointer.stop()
        await loop.run_in_executor(self._executor, self._close_sync)
        self._executor.shutdown(wait=True)

    def _index_sync(self, max_ids: int | None = None) -> None:
        """Search catches up after the acks; failing (a full disk) must not stop the writer."""
        assert self._conn is not None
        self._unindexed = 0  # on failure too: retried after the next commit, not before every one
        try:
            self._unindexed = index_fulltext(self._conn, max_ids)
        except sqlite3.Error as exc:
            log.warning("full-text indexing failed (%s); search lags until it succeeds", exc)

    def _close_sync(self) -> None:
        if self._conn is not None:
            try:
                index_fulltext(self._conn)
                self._conn.execute("PRAGMA optimize")
            except sqlite3.Error as exc:  # every commit is already durable; only search lags
                log.warning("could not finish indexing on close (%s)", exc)
            self._conn.close()
            self._conn = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            if self._queue.empty() and (self._unannounced or self._unindexed):
                # Idle: first the news of what was committed, then full-text search (both
                # after the acks, never before); a delivery that comes meanwhile goes first.
                if not await self._quiet():
                    continue
                due_in = self._news_due_in(loop)
                if self._unannounced and due_in <= 0:
                    await self._announce(loop)  # full-text search follows in the same job
                elif self._unannounced:  # a trickle, or refused requests' news waiting for company
                    await self._arrival(due_in)
                else:
                    await loop.run_in_executor(self._executor, self._index_sync, INDEX_CHUNK)
                continue
            batch = [await self._queue.get()]
            while len(batch) < self._max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            futures = [future for _, _, future in batch]
            try:
                outcomes = await loop.run_in_executor(
                    self._executor, self._commit_batch, [(d, p) for d, p, _ in batch]
                )
            except Exception as exc:  # the database failed: nobody gets a false 200
                error = _store_error(exc)
                for future in futures:
                    if not future.done():
                        future.set_exception(error)
            else:
                _release(futures, outcomes)
                self._last_activity = loop.time()
                ids = [o.event_id for o in outcomes if o.claim is None and o.event_id]
                self._checkpointer.mark()
                self._unindexed += len(ids)
                if self._unindexed >= MAX_UNINDEXED:  # a long burst: keep search within reach
                    await loop.run_in_executor(self._executor, self._index_sync)
                self._hold([o for o in outcomes if o.claim is None])
                if self._unannounced and loop.time() - self._oldest_unannounced >= self._max_lag_s:
                    await self._announce(loop)  # sustained load: the news may lag, not stop
            finally:
                for _ in batch:
                    self._queue.task_done()

    def _hold(self, stored: list[Outcome]) -> None:
        """Keep a batch's news until the burst is over (or MAX_LAG_S passed)."""
        if stored and not self._unannounced:
            self._oldest_unannounced = asyncio.get_running_loop().time()
        self._unannounced += stored
        self._valid_unannounced = self._valid_unannounced or any(
            o.http_status == 200 for o in stored
        )

    def _news_due_in(self, loop: asyncio.AbstractEventLoop) -> float:
        """At a quiet moment, seconds until the news held may go out: with a valid delivery in
        it, NEWS_EVERY_S after the last news; refused requests only, MAX_LAG_S after the first
        of them. Never later than MAX_LAG_S after the first."""
        now = loop.time()
        overdue = self._oldest_unannounced + self._max_lag_s - now
        if not self._valid_unannounced:
            return overdue
        return min(overdue, self._last_news + self._news_every_s - now)

    async def _arrival(self, within_s: float) -> None:
        """Wait until a delivery arrives or `within_s` seconds pass."""
        self._arrived.clear()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(max(0.0, within_s)):
                await self._arrived.wait()

    async def _quiet(self) -> bool:
        """True when no delivery arrived for QUIET_S since the last one or the last acks (the
        ack path is idle); False as soon as one arrives while waiting for that."""
        left = self._last_activity + self._quiet_s - asyncio.get_running_loop().time()
        if left <= 0:
            return True
        self._arrived.clear()
        # The timer may fire after a delivery set the event but before this task resumed: the
        # event, not how the wait ended, says whether one came.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(left):
                await self._arrived.wait()
        return not self._arrived.is_set()

    async def _announce(self, loop: asyncio.AbstractEventLoop) -> None:
        """Check the findings of the commits held (issue 12), then tell on_committed once.

        The findings never delay an answer; they do delay the front end's news, so its lines
        carry them. Cancelled in the middle (close), the news stays held for close to send.
        """
        if self._fresh or self._unannounced:  # behind a findings job still running, if any
            await loop.run_in_executor(self._executor, self._record_findings_and_index)
        outcomes, self._unannounced = self._unannounced, []
        self._valid_unannounced = False
        self._last_news = loop.time()
        if outcomes:
            self._on_committed(outcomes)

    def _commit_batch(self, items: list[tuple[Delivery, Proof | None]]) -> list[Outcome]:
        conn = self._conn
        assert conn is not None
        outcomes: list[Outcome] = []
        kept: list[tuple[int, Mapping[str, Any], str | None]] = []  # event id + Install
        fresh: list[_Fresh] = []
        floor = self.disk.level() == "floor"
        conn.execute("BEGIN IMMEDIATE")
        try:
            for delivery, proof in items:
                judged = self._judge(conn, delivery, proof, floor=floor)
                if isinstance(judged, Outcome):
                    outcomes.append(judged)  # to be proved first, or refused: not stored
                    continue
                row, http_status, reason, install, payload, stored = judged
                event_id = int(conn.execute(_INSERT, row).lastrowid or 0)
                checked = event_from_insert(event_id, row, payload)
                # The summary carries the data as stored (an install's is masked).
                summary = checked if stored is payload else replace(checked, data=stored)
                outcomes.append(Outcome(event_id, http_status, reason, row[1], summary=summary))
                fresh.append((checked, summary))
                if install is not None:
                    kept.append((event_id, *install))
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:  # SQLITE_FULL may have rolled back already
                conn.execute("ROLLBACK")
            raise
        self._keep(kept)
        try:
            self._maybe_rotate(conn)
        except sqlite3.Error as exc:  # the batch is committed: its acks must not turn into 503s
            log.warning("retention could not delete old events (%s)", exc)
        self._fresh += fresh
        return outcomes

    def _record_findings_and_index(self) -> None:
        """One writer job for a batch's news: its findings, then a step of full-text search
        (no delivery waits on either: both run after the acks)."""
        self._record_findings()
        if self._unindexed:
            self._index_sync(INDEX_CHUNK)

    def _record_findings(self) -> None:
        fresh, self._fresh = self._fresh, []
        if not fresh:
            return
        assert self._conn is not None
        try:
            found = self._findings.record(self._conn, [checked for checked, _ in fresh])
        except Exception:  # a failing check must never stop capture; the events are stored
            log.exception("findings of events %s..%s failed", fresh[0][0].id, fresh[-1][0].id)
            found = [()] * len(fresh)
        for (_, summary), findings in zip(fresh, found, strict=True):
            summary.findings = findings
            summary.body = b""  # the checks needed it; lines and lists never show it

    def _judge(
        self, conn: sqlite3.Connection, d: Delivery, proof: Proof | None, *, floor: bool = False
    ) -> tuple[tuple[Any, ...], int, str, Install | None, dict[str, Any] | None, Any] | Outcome:
        """Decode, verify and build the row: (row, http status, reason, install to keep, decoded
        payload, data as stored), or an Outcome with a claim when the delivery is an install that
        must be proved first."""
        if d.announced is not None:
            return self._oversize(d, floor=floor)
        payload: dict[str, Any] | None = None
        fields = KeyFields()
        verified: bool | None = None
        sender: str | None = None
        try:
            payload = decode_body(d.body, d.content_type)
            fields = key_fields(payload)
        except MalformedDelivery as exc:
            status, http_status, reason = "malformed", 400, str(exc)
        else:
            decided = self._decide(conn, fields, payload, proof)
            if isinstance(decided, Outcome):
                return decided
            verified, reason, sender = decided
            status, http_status = ("rejected", 403) if verified is False else ("ok", 200)
        body, data, install = secure_install(d.body, fields, payload, status == "ok", proof)
        error = None if status == "ok" else reason
        if floor and verified is not True:  # below the disk floor (issue 15)
            if status == "ok":  # not acknowledged, so nothing is lost: the sender sees a failure
                self.refused_low_disk += 1
                return Outcome(0, 503, FLOOR_REFUSAL)
            self.bodies_not_kept += 1
            return Outcome(0, http_status, reason)
        # Past the budget a hostile body is not even serialised: a flood costs its decoding only.
        spent = status != "ok" and self._budget.spent(d.received_at)
        data_json = _to_json(data) if data is not None and not spent else None
        size = len(body) + len(data_json or "")
        if status != "ok" and (spent or not self._budget.admit(size, d.received_at)):
            self.bodies_not_kept += 1
            body, data_json, payload, error = b"", None, None, f"{reason} ({BODY_NOT_KEPT})"
            data = None
        row = (
            d.received_at, fields.event, fields.member_id, fields.domain, fields.entity_id,
            fields.entity_type_id, fields.user_id, fields.handler_id, fields.ts,
            None if verified is None else int(verified), status,
            error, http_status, d.method, d.path, d.peer,
            len(d.body), d.content_type, json.dumps(d.headers), body,
            data_json, sender, origin_of(fields.event, payload),
        )  # fmt: skip
        return row, http_status, reason, install, payload, data

    def _oversize(
        self, d: Delivery, *, floor: bool
    ) -> tuple[tuple[Any, ...], int, str, None, None, None] | Outcome:
        """The row of a request refused unread for its size: its metadata only, as `malformed`
        with the 413 it got and the size it announced. The body is never read, so there is none
        to keep (reading up to the limit would cost every oversize flood a megabyte); the row
        still takes a place in the hostile budget's rate, like any rejected body (issue 15)."""
        announced = f"{d.announced} bytes announced" if d.announced else "sent without a length"
        reason = f"body larger than the limit ({announced}); not kept"
        if floor:  # below the disk floor only verified deliveries are stored
            self.bodies_not_kept += 1
            return Outcome(0, 413, reason)
        self._budget.admit(0, d.received_at)  # one more hostile request this minute
        row = (
            d.received_at, None, None, None, None, None, None, None, None, None, "malformed",
            reason, 413, d.method, d.path, d.peer, d.announced, d.content_type,
            json.dumps(d.headers), b"", None, None, origin_of(None, None),
        )  # fmt: skip
        return row, 413, reason, None, None, None

    def _decide(
        self,
        conn: sqlite3.Connection,
        fields: KeyFields,
        payload: Mapping[str, Any],
        proof: Proof | None,
    ) -> tuple[bool | None, str, str | None] | Outcome:
        """(verified, reason, sender) of a decoded delivery — a new install of a known portal
        is decided by its proof, or comes back as a claim to prove first (spec §4 step 2)."""
        verdict = self._tokens.judge(fields)
        if verdict.prove and proof is None:
            return Outcome(0, 0, verdict.reason, claim=(fields, auth_of(payload)))
        verified: bool | None
        if verdict.prove and proof is not None:
            verified, reason, learn = proof.proved, proof.reason, proof.proved
            sender = proof.label if proof.proved else None
        else:
            verified, reason, learn = verdict.verified, verdict.reason, verdict.learn
            sender = verdict.sender
        if learn and fields.member_id and fields.application_token:
            self._learn(conn, fields, sender or LEARNED, auth_of(payload))
        return verified, reason, sender

    def _learn(
        self, conn: sqlite3.Connection, fields: KeyFields, label: str, auth: Mapping[str, Any]
    ) -> None:
        assert fields.member_id and fields.application_token
        self._tokens.add(fields.member_id, fields.application_token, label)
        endpoint = auth.get("client_endpoint")
        endpoint = endpoint if isinstance(endpoint, str) and endpoint else None
        if endpoint:
            self._endpoints.setdefault(fields.member_id, endpoint)
        conn.execute(
            "INSERT INTO sender_tokens(member_id, application_token, label, domain, "
            "client_endpoint, source, learned_at) VALUES (?, ?, ?, ?, ?, 'install', ?) "
            "ON CONFLICT(member_id, application_token) DO UPDATE SET label = excluded.label",
            (fields.member_id, fields.application_token, label, fields.domain, endpoint,
             time.time()),
        )  # fmt: skip

    def _keep(self, kept: list[tuple[int, Mapping[str, Any], str | None]]) -> None:
        """Hand committed installs' clear tokens to the secret store (never to the table)."""
        if self._keep_install is None:
            return
        for event_id, auth, profile in kept:
            try:
                self._keep_install(event_id, auth, profile)
            except Exception:  # a failing keyring must not cost the acknowledgement
                log.exception("could not keep the tokens of install event %s", event_id)

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


def _ignore_outcome(future: asyncio.Future[Outcome]) -> None:
    if not future.cancelled():
        future.exception()  # retrieved, so asyncio does not log it as never retrieved


def _release(futures: list[asyncio.Future[Outcome]], outcomes: list[Outcome]) -> None:
    """Answer each waiting request (runs on the receiver's loop)."""
    for future, outcome in zip(futures, outcomes, strict=True):
        if not future.done():
            future.set_result(outcome)


def _store_error(exc: Exception) -> StoreError:
    """The failure as the receiver answers it: StoreFull (503 with why) or another StoreError."""
    full = (
        isinstance(exc, sqlite3.Error)
        and getattr(exc, "sqlite_errorcode", 0) == sqlite3.SQLITE_FULL
    ) or (isinstance(exc, OSError) and exc.errno == errno.ENOSPC)
    if full:
        return StoreFull(f"the disk is full ({exc}); free some space")
    if isinstance(exc, StoreError):
        return exc
    return StoreError(f"the database failed ({exc})")
