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
import errno
import json
import logging
import sqlite3
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from b24monitor.core.budget import HostileBudget, StoreLimits
from b24monitor.core.decoding import decode_body, key_fields
from b24monitor.core.errors import MalformedDelivery, StoreError, StoreFull
from b24monitor.core.model import Delivery, KeyFields
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
from b24monitor.services.store import connect, index_fulltext, insert_findings

log = logging.getLogger(__name__)

MAX_UNINDEXED = 5000  # during a burst, full-text search lags by at most this many events
INDEX_CHUNK = 32  # rows indexed per step while idle (bodies up to the 1 MiB limit each)
# Findings are stored at the next idle moment, or this long after a batch during a burst; the
# front end hears of a batch, and `wait` (services/watch.py) sees it, once they are stored.
FINDINGS_LAG_S = 0.1
# What the hostile budget already holds (the partial index events_not_ok finds these rows).
_HOSTILE_BYTES = (
    "SELECT coalesce(sum(length(body)), 0) + coalesce(sum(length(CAST(data AS BLOB))), 0) "
    "FROM events WHERE status != 'ok'"
)
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
    """

    event_id: int
    http_status: int
    reason: str
    event: str | None = None  # lets listeners pick lifecycle events without reading them back
    claim: tuple[KeyFields, Mapping[str, Any]] | None = None


_Item = tuple[Delivery, Proof | None, "asyncio.Future[Outcome]"]
_Fresh = tuple[int, tuple[Any, ...], dict[str, Any] | None]  # an inserted row, for its findings


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
    ) -> None:
        self._path = path
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
        self._fresh: list[_Fresh] = []  # the last batch, for its findings
        self._unstored: list[tuple[int, str, str]] = []  # findings checked, not stored yet
        self._checked_upto = 0  # the last event whose findings are in _unstored
        self._held: list[Outcome] = []  # committed, told once their findings are stored
        self._held_since = 0.0
        self._limits = limits or StoreLimits()
        self._budget = HostileBudget(self._limits)
        self.disk = DiskGuard(path.parent, self._limits)
        self.bodies_not_kept = 0  # hostile bodies past the budget or below the disk floor
        self.refused_low_disk = 0  # unverified deliveries answered 503 below the disk floor
        self._checkpointer = Checkpointer(path)

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
        await self._queue.put((delivery, proof, future))
        return await future

    async def _prove(self, fields: KeyFields, auth: Mapping[str, Any]) -> Proof:
        endpoint = self._endpoints.get(fields.member_id or "")
        return await prove_install(self._prover, fields, auth, endpoint)

    async def close(self) -> None:
        """Commit everything already submitted, then close the connection."""
        if self._task is not None:
            await self._queue.join()
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self._checkpointer.stop()
        loop = asyncio.get_running_loop()
        if self._held:  # the last batches' news, once their findings are stored
            await loop.run_in_executor(self._executor, self._store_findings)
            self._tell()
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
            if self._queue.empty() and self._held:
                # Idle: store the findings, then tell the front end (its `finding:` filters
                # read them from the store).
                await loop.run_in_executor(self._executor, self._store_findings)
                self._tell()
                continue
            if self._queue.empty() and self._unindexed:
                # Idle: bring full-text search up to date (after the acks, never before).
                await loop.run_in_executor(self._executor, self._index_sync, INDEX_CHUNK)
                continue  # a delivery that came meanwhile goes first
            batch = [await self._queue.get()]
            while len(batch) < self._max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            futures = [future for _, _, future in batch]
            try:
                outcomes = await loop.run_in_executor(
                    self._executor, self._commit_then_check, [(d, p) for d, p, _ in batch],
                    partial(_release_from_thread, loop, futures),
                )  # fmt: skip
            except Exception as exc:  # the database failed: nobody gets a false 200
                error = _store_error(exc)
                for future in futures:
                    if not future.done():
                        future.set_exception(error)
            else:
                _release(futures, outcomes)  # already done by the callback, normally
                ids = [o.event_id for o in outcomes if o.claim is None and o.event_id]
                self._checkpointer.mark()
                self._unindexed += len(ids)
                if self._unindexed >= MAX_UNINDEXED:  # a long burst: keep search within reach
                    await loop.run_in_executor(self._executor, self._index_sync)
                self._hold([o for o in outcomes if o.claim is None])
                if self._held and time.monotonic() - self._held_since > FINDINGS_LAG_S:
                    # A burst never idles: its findings (and news) go out this often.
                    await loop.run_in_executor(self._executor, self._store_findings)
                    self._tell()
            finally:
                for _ in batch:
                    self._queue.task_done()

    def _hold(self, stored: list[Outcome]) -> None:
        """Keep a committed batch's news until its findings are stored (writer's loop)."""
        if stored and not self._held:
            self._held_since = time.monotonic()
        self._held += stored

    def _tell(self) -> None:
        """The held batches to the front end as one: one hop to its loop, not one per batch."""
        held, self._held = self._held, []
        if held:
            self._on_committed(held)

    def _commit_then_check(
        self,
        items: list[tuple[Delivery, Proof | None]],
        release: Callable[[list[Outcome]], object],
    ) -> list[Outcome]:
        """Commit, let the loop answer at once, then run the findings on this thread.

        The findings (issue 12) never delay an answer; they do delay the front end's news of
        the batch, so its lines carry them. Same thread, one hop: a second executor job per
        batch cost a GIL hand-off before the next commit could start. They are stored later
        (`_store_findings`, at the idle step or FINDINGS_LAG_S into a burst): a transaction
        of their own per batch cost this thread a quarter of a one-delivery batch's commit,
        one for ten batches a twentieth (bench/findings.py).
        """
        outcomes = self._commit_batch(items)
        release(outcomes)
        self._record_findings()
        return outcomes

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
                row, http_status, reason, install, payload = judged
                event_id = int(conn.execute(_INSERT, row).lastrowid or 0)
                outcomes.append(Outcome(event_id, http_status, reason, event=row[1]))
                fresh.append((event_id, row, payload))
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
        self._fresh = fresh
        return outcomes

    def _record_findings(self) -> None:
        fresh, self._fresh = self._fresh, []
        if not fresh:
            return
        assert self._conn is not None
        try:
            self._unstored += self._findings.check([event_from_insert(*each) for each in fresh])
        except Exception:  # a failing check must never stop capture; the events are stored
            log.exception("findings of events %s..%s failed", fresh[0][0], fresh[-1][0])
        self._checked_upto = fresh[-1][0]

    def _store_findings(self) -> None:
        """Store the findings checked so far and move the checked mark, in one transaction."""
        assert self._conn is not None
        rows, upto = self._unstored, self._checked_upto
        self._unstored, self._checked_upto = [], 0
        if not upto:
            return
        try:
            insert_findings(self._conn, rows, checked_upto=upto)
        except sqlite3.Error as exc:  # the events are stored; a restart checks them again
            log.warning("findings up to event %s could not be stored (%s)", upto, exc)

    def _judge(
        self, conn: sqlite3.Connection, d: Delivery, proof: Proof | None, *, floor: bool = False
    ) -> tuple[tuple[Any, ...], int, str, Install | None, dict[str, Any] | None] | Outcome:
        """Decode, verify and build the row: (row, http status, reason, install to keep, decoded
        payload), or an Outcome with a claim when the delivery is an install that must be proved
        first."""
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
        data_json = json.dumps(data, ensure_ascii=False) if data is not None else None
        size = len(body) + len(data_json or "")
        if status != "ok" and not self._budget.admit(size, d.received_at):
            self.bodies_not_kept += 1
            body, data_json, payload, error = b"", None, None, f"{reason} ({BODY_NOT_KEPT})"
        row = (
            d.received_at, fields.event, fields.member_id, fields.domain, fields.entity_id,
            fields.entity_type_id, fields.user_id, fields.handler_id, fields.ts,
            None if verified is None else int(verified), status,
            error, http_status, d.method, d.path, d.peer,
            len(d.body), d.content_type, json.dumps(d.headers), body,
            data_json, sender, origin_of(fields.event, payload),
        )  # fmt: skip
        return row, http_status, reason, install, payload

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


def _release(futures: list[asyncio.Future[Outcome]], outcomes: list[Outcome]) -> None:
    """Answer each waiting request (runs on the receiver's loop)."""
    for future, outcome in zip(futures, outcomes, strict=True):
        if not future.done():
            future.set_result(outcome)


def _release_from_thread(
    loop: asyncio.AbstractEventLoop,
    futures: list[asyncio.Future[Outcome]],
    outcomes: list[Outcome],
) -> None:
    loop.call_soon_threadsafe(_release, futures, outcomes)


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
