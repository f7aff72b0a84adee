"""The event database: opening it safely, and the reader's queries (ids, pages, streams).

One SQLite file in WAL mode. The capture thread writes through `StoreWriter` (services/writer.py);
every other part of the app reads through `EventStore`, on its own connection, so readers never
block the writer (WAL). The schema lives in services/schema.py as ordered migrations.
"""

from __future__ import annotations

import json
import sqlite3
import time
from array import array
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar, cast

from b24monitor.core.decoding import family_of
from b24monitor.core.errors import StoreCorrupt, StoreError, StoreTooNew
from b24monitor.core.findings import CHECKS
from b24monitor.core.model import CapturedEvent, Finding, Origin, Status
from b24monitor.core.verification import Sender
from b24monitor.services.private_dir import DIR_MODE, create_private_file
from b24monitor.services.schema import MIGRATIONS, SCHEMA_VERSION

T = TypeVar("T")

APPLICATION_ID = 0x42323444  # "B24D": marks a file as a b24monitor database

# Everything but the raw request (headers, body): what lists and live lines need.
SUMMARY_COLUMNS = (
    "id, received_at, event, member_id, domain, entity_id, entity_type_id, user_id, handler_id, "
    "ts, verified, status, error, size, content_type, '[]', x'', data, pinned, peer, method, "
    "path, http_status, sender, origin"
)

EVENT_COLUMNS = (
    "id, received_at, event, member_id, domain, entity_id, entity_type_id, user_id, handler_id, "
    "ts, verified, status, error, size, content_type, headers, body, data, pinned, peer, method, "
    "path, http_status, sender, origin"
)


def connect(path: Path, *, readonly: bool = False) -> sqlite3.Connection:
    """Open `path`, checking that it is a b24monitor database of a version we understand."""
    try:
        if readonly:
            conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        else:
            path.parent.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
            create_private_file(path)  # -wal and -shm inherit its 0600 (services/private_dir.py)
            conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        _check_and_migrate(conn, path, readonly=readonly)
    except sqlite3.DatabaseError as exc:
        raise StoreCorrupt(
            f"{path} is damaged or is not a b24monitor database ({exc}); move it away to start "
            "a new one — it was left untouched"
        ) from None
    return conn


def _check_and_migrate(conn: sqlite3.Connection, path: Path, *, readonly: bool) -> None:
    conn.execute("PRAGMA busy_timeout = 5000")
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
    if app_id != APPLICATION_ID and (tables or version):
        raise StoreCorrupt(
            f"{path} is not a b24monitor database; choose another --data-dir or move the file away"
        )
    if version > SCHEMA_VERSION:
        raise StoreTooNew(
            f"{path} was written by a newer b24monitor (schema {version}, this one knows "
            f"{SCHEMA_VERSION}); upgrade b24monitor or use another --data-dir"
        )
    if readonly:
        return
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")  # WAL + NORMAL: a commit survives a process kill
    for number in range(version, SCHEMA_VERSION):
        conn.execute("BEGIN IMMEDIATE")
        try:
            _run_script(conn, MIGRATIONS[number])
            conn.execute(f"PRAGMA user_version = {number + 1}")
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise


def _run_script(conn: sqlite3.Connection, script: str) -> None:
    # executescript() would COMMIT our transaction first; run statement by statement instead.
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            conn.execute(statement)
            statement = ""


FTS_MARK = "fts_indexed_upto"
FTS_CHUNK_BYTES = 256 * 1024  # one chunk of idle indexing: ~2 ms of tokenising on this machine


def _chunk_end(conn: sqlite3.Connection, done: int, upto: int) -> int:
    """The last id of a chunk after `done` whose raw bodies come to about FTS_CHUNK_BYTES.

    A delivery that arrives meanwhile waits for one chunk: 32 forged 1 MiB bodies would be
    seconds of tokenising (issue 15). The stored size column is read, never the bodies.
    """
    total = 0
    for event_id, size in conn.execute(
        "SELECT id, size FROM events WHERE id > ? AND id <= ? ORDER BY id", (done, upto)
    ):
        total += size or 0
        if total >= FTS_CHUNK_BYTES:
            return int(event_id)
    return upto


def index_fulltext(conn: sqlite3.Connection, max_ids: int | None = None) -> int:
    """Add rows not yet in the full-text index (one transaction); returns how many ids remain.

    `max_ids` bounds one call's work: a delivery that arrives meanwhile waits for one chunk,
    not for a whole backlog of large bodies. The derived text must stay identical to the
    delete trigger's in services/schema.py.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        row = conn.execute("SELECT value FROM settings WHERE key = ?", (FTS_MARK,)).fetchone()
        done = int(row[0]) if row else 0
        newest = conn.execute("SELECT max(id) FROM events").fetchone()[0] or 0
        last = newest if max_ids is None else _chunk_end(conn, done, min(newest, done + max_ids))
        if last > done:
            conn.execute(
                "INSERT INTO events_fts(rowid, text) SELECT id, coalesce(event, '') || ' ' || "
                "coalesce(json_extract(data, '$.data'), '') FROM events "
                "WHERE id > ? AND id <= ? AND data IS NOT NULL",
                (done, last),
            )
            conn.execute(
                "INSERT INTO settings(key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (FTS_MARK, str(last)),
            )
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:  # SQLITE_FULL rolls back by itself
            conn.execute("ROLLBACK")
        raise
    return max(0, newest - last)


def row_to_event(row: Sequence[Any]) -> CapturedEvent:
    """Build a CapturedEvent from a row selected with EVENT_COLUMNS."""
    verified = None if row[10] is None else bool(row[10])
    return CapturedEvent(
        id=row[0], received_at=row[1], event=row[2], member_id=row[3], domain=row[4],
        entity_id=row[5], entity_type_id=row[6], user_id=row[7], handler_id=row[8], ts=row[9],
        verified=verified, status=cast(Status, row[11]), error=row[12], size=row[13],
        content_type=row[14], headers=tuple((h[0], h[1]) for h in json.loads(row[15])),
        body=bytes(row[16]), data=json.loads(row[17]) if row[17] is not None else None,
        pinned=bool(row[18]), peer=row[19], method=row[20], path=row[21], http_status=row[22],
        sender=row[23],
        origin=cast(Origin, row[24]),
    )  # fmt: skip


def load_findings(conn: sqlite3.Connection, ids: Sequence[int]) -> dict[int, tuple[Finding, ...]]:
    """The stored findings of these events, by event id (events without any are left out)."""
    found: dict[int, list[Finding]] = {}
    for start in range(0, len(ids), 500):
        chunk = list(ids[start : start + 500])
        marks = ",".join("?" * len(chunk))
        for event_id, code, detail in conn.execute(
            f"SELECT event_id, code, detail FROM findings WHERE event_id IN ({marks})", chunk
        ):
            found.setdefault(event_id, []).append(Finding(code, detail))
    # In the check table's order, as they were raised (the key orders them by code).
    return {k: tuple(sorted(v, key=finding_rank)) for k, v in found.items()}


def finding_rank(finding: Finding) -> int:
    """Where a finding sorts among an event's: the check table's order."""
    return CHECK_RANK.get(finding.code, len(CHECK_RANK))


CHECKED_MARK = "findings_checked_upto"
CHECK_RANK = {check.code: i for i, check in enumerate(CHECKS)}


def insert_findings(
    conn: sqlite3.Connection, rows: Sequence[tuple[int, str, str]], *, checked_upto: int = 0
) -> None:
    """Store (event_id, code, detail) rows; a finding already stored for an event is kept."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.executemany(
            "INSERT OR IGNORE INTO findings(event_id, code, detail) VALUES (?, ?, ?)", rows
        )
        if checked_upto:
            conn.execute(
                "INSERT INTO settings(key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET "
                "value = max(CAST(value AS INTEGER), excluded.value)",
                (CHECKED_MARK, checked_upto),
            )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _with_findings(conn: sqlite3.Connection, events: list[CapturedEvent]) -> list[CapturedEvent]:
    found = load_findings(conn, [ev.id for ev in events])
    for ev in events:
        ev.findings = found.get(ev.id, ())
    return events


def _id_query(where: str, params: Sequence[object], min_id: int | None) -> tuple[str, list[object]]:
    """`SELECT id FROM events` with the filter and an optional lower id bound."""
    clauses = [f"({where})"] if where else []
    args = list(params)
    if min_id is not None:
        clauses.append("id >= ?")
        args.append(min_id)
    return "SELECT id FROM events" + (" WHERE " + " AND ".join(clauses) if clauses else ""), args


class EventStore:
    """Read access (and small user edits: pin, delete, tokens) to the event database."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn = connect(path)

    def close(self) -> None:
        self._conn.close()

    def read(self, query: Callable[[sqlite3.Connection], T]) -> T:
        """Run one of the services' read-only queries (stats, groups) on this connection."""
        return query(self._conn)

    def count(self, where: str = "", params: Sequence[object] = ()) -> int:
        sql = "SELECT count(*) FROM events" + (f" WHERE {where}" if where else "")
        return int(self._conn.execute(sql, params).fetchone()[0])

    def query_ids(
        self,
        where: str = "",
        params: Sequence[object] = (),
        *,
        newest_first: bool = False,
        min_id: int | None = None,
    ) -> array[int]:
        """Ids of matching events in id order, as a compact array (the GUI model holds these)."""
        sql, args = _id_query(where, params, min_id)
        sql += " ORDER BY id DESC" if newest_first else " ORDER BY id"
        ids = array("q")
        cursor = self._conn.execute(sql, args)
        while chunk := cursor.fetchmany(10_000):
            ids.extend(r[0] for r in chunk)
        return ids

    def newest_ids(
        self,
        where: str = "",
        params: Sequence[object] = (),
        *,
        count: int,
        min_id: int | None = None,
    ) -> array[int]:
        """The newest `count` matching ids, ascending: a first screen before the full query."""
        sql, args = _id_query(where, params, min_id)
        rows = self._conn.execute(sql + " ORDER BY id DESC LIMIT ?", [*args, count]).fetchall()
        return array("q", reversed([r[0] for r in rows]))

    def fetch(
        self,
        ids: Sequence[int],
        where: str = "",
        params: Sequence[object] = (),
        *,
        raw: bool = True,
    ) -> list[CapturedEvent]:
        """The events with these ids (that also match `where`), in the order given.

        raw=False leaves out the raw request (headers empty, body b""): live lines and list
        rows never show it, and reading it back costs the capture thread GIL time.
        """
        found: dict[int, CapturedEvent] = {}
        cond = f" AND ({where})" if where else ""
        columns = EVENT_COLUMNS if raw else SUMMARY_COLUMNS
        for start in range(0, len(ids), 500):
            chunk = list(ids[start : start + 500])
            marks = ",".join("?" * len(chunk))
            for row in self._conn.execute(
                f"SELECT {columns} FROM events WHERE id IN ({marks}){cond}",
                [*chunk, *params],
            ):
                found[row[0]] = row_to_event(row)
        return _with_findings(self._conn, [found[i] for i in ids if i in found])

    def get(self, event_id: int) -> CapturedEvent | None:
        events = self.fetch([event_id])
        return events[0] if events else None

    def iter_events(
        self, where: str = "", params: Sequence[object] = (), *, page: int = 1000
    ) -> Iterator[CapturedEvent]:
        """Stream matching events in id order, `page` rows at a time (export never loads all)."""
        last = 0
        cond = f"({where}) AND " if where else ""
        while True:
            rows = self._conn.execute(
                f"SELECT {EVENT_COLUMNS} FROM events WHERE {cond}id > ? ORDER BY id LIMIT ?",
                [*params, last, page],
            ).fetchall()
            if not rows:
                return
            yield from _with_findings(self._conn, [row_to_event(row) for row in rows])
            last = rows[-1][0]

    def previous_delivery(self, ev: CapturedEvent) -> CapturedEvent | None:
        """The newest earlier event of the same portal, entity and event family (for diffs)."""
        if not ev.entity_id or not ev.event:
            return None
        family = family_of(ev.event).name
        ids = self.query_ids(
            "entity_id = ? AND entity_type_id IS ? AND member_id IS ? AND id < ?",
            (ev.entity_id, ev.entity_type_id, ev.member_id, ev.id),
            newest_first=True,
        )
        for start in range(0, len(ids), 200):
            for candidate in self.fetch(ids[start : start + 200]):
                if candidate.event and family_of(candidate.event).name == family:
                    return candidate
        return None

    def set_pinned(self, ids: Sequence[int], pinned: bool) -> None:
        marks = ",".join("?" * len(ids))
        self._conn.execute(
            f"UPDATE events SET pinned = ? WHERE id IN ({marks})", [int(pinned), *ids]
        )

    def delete(self, ids: Sequence[int]) -> None:
        for start in range(0, len(ids), 500):
            chunk = list(ids[start : start + 500])
            marks = ",".join("?" * len(chunk))
            self._conn.execute(f"DELETE FROM events WHERE id IN ({marks})", chunk)

    def event_codes(self, ids: Sequence[int]) -> list[tuple[int, float, str | None]]:
        """`(id, received_at, event)` of these events, in id order (rate charts)."""
        rows: list[tuple[int, float, str | None]] = []
        for chunk, marks in _chunks(ids):
            rows.extend(
                (int(i), float(at), event)
                for i, at, event in self._conn.execute(
                    f"SELECT id, received_at, event FROM events WHERE id IN ({marks})", chunk
                )
            )
        return sorted(rows)

    def senders(self) -> list[Sender]:
        """Every stored sender token (spec §4: one per app or webhook of a portal)."""
        rows = self._conn.execute("SELECT member_id, application_token, label FROM sender_tokens")
        return [Sender(m, t, label) for m, t, label in rows]

    def ids_among(
        self, ids: Sequence[int], where: str = "", params: Sequence[object] = ()
    ) -> array[int]:
        """Those of `ids` that match `where`, ascending (a committed batch against a filter)."""
        cond = f" AND ({where})" if where else ""
        found: list[int] = []
        for chunk, marks in _chunks(ids):
            sql = f"SELECT id FROM events WHERE id IN ({marks}){cond}"
            found.extend(r[0] for r in self._conn.execute(sql, [*chunk, *params]))
        return array("q", sorted(found))

    def key_rows(self, ids: Sequence[int]) -> list[tuple[int, float, str, Any, Any, Any]]:
        """(id, received_at, event, entity_id, member_id, entity_type_id) of accepted events
        with a code, in id order: what the traffic analysis needs, without decoding payloads
        (refused requests say nothing of the portal's traffic)."""
        rows: list[tuple[int, float, str, Any, Any, Any]] = []
        for start in range(0, len(ids), 500):
            chunk = list(ids[start : start + 500])
            marks = ",".join("?" * len(chunk))
            rows += self._conn.execute(
                "SELECT id, received_at, event, entity_id, member_id, entity_type_id FROM events "
                f"WHERE id IN ({marks}) AND event IS NOT NULL AND status = 'ok' ORDER BY id",
                chunk,
            ).fetchall()
        return rows

    def add_findings(self, rows: Sequence[tuple[int, str, str]]) -> None:
        """Store findings raised after the fact (event_id, code, detail), e.g. loops."""
        insert_findings(self._conn, rows)

    def forward_answers(self, ids: Sequence[int]) -> dict[int, float]:
        """When the forward target answered each of these events (Unix time), if it did."""
        marks = ",".join("?" * len(ids))
        rows = self._conn.execute(
            "SELECT event_id, max(started_at + latency_ms / 1000.0) FROM attempts "
            f"WHERE kind = 'forward' AND status IS NOT NULL AND event_id IN ({marks}) "
            "GROUP BY event_id",
            list(ids),
        )
        return {int(event_id): float(at) for event_id, at in rows}

    def add_sender(
        self, sender: Sender, *, domain: str | None = None, source: str = "user"
    ) -> None:
        """Store a sender's token (a known one gets the new label)."""
        self._conn.execute(
            "INSERT INTO sender_tokens(member_id, application_token, label, domain, source, "
            "learned_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(member_id, application_token) "
            "DO UPDATE SET label = excluded.label",
            (sender.member_id, sender.token, sender.label, domain, source, time.time()),
        )

    def setting(self, key: str) -> str | None:
        row = self._conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_setting(self, key: str, value: str) -> None:
        self._conn.execute(
            "INSERT INTO settings(key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )


def _chunks(ids: Sequence[int], size: int = 500) -> Iterator[tuple[list[int], str]]:
    """`ids` in chunks small enough for one `IN (?, …)`, each with its placeholders."""
    for start in range(0, len(ids), size):
        chunk = list(ids[start : start + size])
        yield chunk, ",".join("?" * len(chunk))


__all__ = ["EVENT_COLUMNS", "EventStore", "StoreError", "connect", "row_to_event"]
