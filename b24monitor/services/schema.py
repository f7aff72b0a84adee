"""The event database's schema as ordered migrations; `PRAGMA user_version` is the applied count."""

from __future__ import annotations

MIGRATIONS: tuple[str, ...] = (
    # 1: events, their indexes and full-text search over the decoded payload.
    """
    CREATE TABLE events (
        id            INTEGER PRIMARY KEY,
        received_at   REAL    NOT NULL,          -- Unix seconds (wall clock, float)
        event         TEXT,                      -- upper-case code, NULL when missing
        member_id     TEXT,
        domain        TEXT,
        entity_id     TEXT,
        entity_type_id TEXT,                     -- smart processes (spec §6.1)
        user_id       TEXT,
        handler_id    TEXT,
        ts            INTEGER,                   -- the delivery's own ts (spec §1.4)
        verified      INTEGER,                   -- 1 match, 0 mismatch, NULL unknown (spec §4)
        status        TEXT    NOT NULL,          -- ok | malformed | rejected
        error         TEXT,                      -- why malformed or rejected
        http_status   INTEGER NOT NULL,          -- what we answered
        method        TEXT    NOT NULL,
        path          TEXT    NOT NULL,
        peer          TEXT,
        size          INTEGER NOT NULL,
        content_type  TEXT    NOT NULL,
        headers       TEXT    NOT NULL,          -- JSON list of [name, value]
        body          BLOB    NOT NULL,          -- raw bytes: the source of truth
        data          TEXT,                      -- decoded payload as JSON, NULL when malformed
        pinned        INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX events_event ON events(event);
    CREATE INDEX events_received_at ON events(received_at);
    CREATE INDEX events_entity ON events(entity_id);
    CREATE INDEX events_member ON events(member_id);
    -- The filter language matches member:/domain: case-insensitively on upper(column).
    CREATE INDEX events_member_upper ON events(upper(member_id));
    CREATE INDEX events_domain_upper ON events(upper(domain));
    -- Full-text search over the event code and the payload's `data` block. Contentless: the text
    -- is derived from the row, so nothing is stored twice, and the `auth` block (long random
    -- tokens: slow to index, useless to search) stays out. Rows are indexed by the writer
    -- after their deliveries were acknowledged (store.index_fulltext): indexing doubled the
    -- cost of a commit, and an acknowledgement must not wait for search. Deletes re-derive the
    -- same text, and only for rows already indexed (a contentless index must never be told
    -- to forget text it does not hold).
    CREATE VIRTUAL TABLE events_fts USING fts5(
        text, content='', tokenize='unicode61 remove_diacritics 2'
    );
    CREATE TRIGGER events_fts_delete AFTER DELETE ON events
    WHEN old.data IS NOT NULL AND old.id <= coalesce(
        (SELECT CAST(value AS INTEGER) FROM settings WHERE key = 'fts_indexed_upto'), 0
    ) BEGIN
        INSERT INTO events_fts(events_fts, rowid, text) VALUES (
            'delete', old.id,
            coalesce(old.event, '') || ' ' || coalesce(json_extract(old.data, '$.data'), '')
        );
    END;
    CREATE TABLE app_tokens (
        member_id          TEXT PRIMARY KEY,
        application_token  TEXT NOT NULL,
        domain             TEXT,
        source             TEXT NOT NULL,        -- install | user
        learned_at         REAL NOT NULL
    );
    CREATE TABLE settings (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    """,
    # 2: forward and replay attempts of stored events (services/attempts_store.py).
    """
    CREATE TABLE attempts (
        id               INTEGER PRIMARY KEY,
        event_id         INTEGER NOT NULL,      -- the stored event that was sent
        kind             TEXT    NOT NULL,      -- forward | replay
        variant          TEXT    NOT NULL,      -- as-recorded | token-stripped | edited
        replay_of        INTEGER,               -- replays: the earlier attempt they repeat
        target           TEXT    NOT NULL,
        started_at       REAL    NOT NULL,      -- Unix seconds
        status           INTEGER,               -- the target's HTTP status, NULL: no answer
        latency_ms       REAL,                  -- NULL: never sent (queue full, stopped)
        response_headers TEXT    NOT NULL,      -- JSON list of [name, value]
        response_body    BLOB    NOT NULL,      -- cut at the forwarder's response limit
        truncated        INTEGER NOT NULL DEFAULT 0,
        error            TEXT,
        request_body     BLOB                   -- what was sent, when not the stored body
    );
    CREATE INDEX attempts_event ON attempts(event_id);
    -- Attempts go with their event (retention, user deletes): without its body they mean nothing.
    CREATE TRIGGER attempts_follow_event AFTER DELETE ON events BEGIN
        DELETE FROM attempts WHERE event_id = old.id;
    END;
    """,
    # issue 10: one token per sender, not per portal (spec §4 errata). Every stored token is
    # kept; each sender has a label (profile name, "webhook NAME", "learned from install") and
    # every event records the label of the sender whose token it carried.
    """
    CREATE TABLE sender_tokens (
        member_id          TEXT NOT NULL,
        application_token  TEXT NOT NULL,
        label              TEXT NOT NULL,
        domain             TEXT,
        client_endpoint    TEXT,                -- where app.info proves a new install (spec §4)
        source             TEXT NOT NULL,       -- install | user
        learned_at         REAL NOT NULL,
        PRIMARY KEY (member_id, application_token)
    );
    INSERT INTO sender_tokens(member_id, application_token, label, domain, source, learned_at)
    SELECT member_id, application_token,
           CASE source WHEN 'install' THEN 'learned from install' ELSE 'entered by you' END,
           domain, source, learned_at
    FROM app_tokens;
    DROP TABLE app_tokens;
    ALTER TABLE events ADD COLUMN sender TEXT;  -- label of the matching sender, NULL: none
    """,
    # issue 12: findings — Bitrix24-aware checks per stored event (core/findings.py), written
    # after the acknowledgement by the writer (services/findings.py) and by the traffic analysis.
    """
    CREATE TABLE findings (
        event_id  INTEGER NOT NULL,
        code      TEXT    NOT NULL,              -- a code of core/findings.CHECKS
        detail    TEXT    NOT NULL DEFAULT '',   -- the figures behind it, e.g. "45 s"
        PRIMARY KEY (event_id, code)
    ) WITHOUT ROWID;                             -- one b-tree less to write per finding
    -- finding:CODE filters search this index; finding:any uses the primary key.
    CREATE INDEX findings_code ON findings(code, event_id);
    CREATE TRIGGER findings_follow_event AFTER DELETE ON events BEGIN
        DELETE FROM findings WHERE event_id = old.id;
    END;
    -- Events stored before this version are not checked: on a big store that would take minutes.
    INSERT OR REPLACE INTO settings(key, value)
        SELECT 'findings_checked_upto', CAST(coalesce(max(id), 0) AS TEXT) FROM events;
    """,
    # issue 15: the rows whose bodies count against the hostile budget (services/writer.py
    # sums them at open); a partial index, so verified traffic costs nothing extra.
    """
    CREATE INDEX events_not_ok ON events(status) WHERE status != 'ok';
    """,
    # issue 11: where an event came from, the offline-twin key that keeps recovered events from
    # being stored twice, an index for the safety net's match (same event and object, by ts),
    # canary round trips and the coverage timeline.
    """
    ALTER TABLE events ADD COLUMN origin TEXT NOT NULL DEFAULT 'online';
    ALTER TABLE events ADD COLUMN source_key TEXT;  -- recovered: MESSAGE_ID|TIMESTAMP_X
    CREATE UNIQUE INDEX events_source_key ON events(source_key) WHERE source_key IS NOT NULL;
    CREATE INDEX events_event_entity_ts ON events(event, entity_id, ts);
    CREATE INDEX events_origin ON events(origin) WHERE origin <> 'online';
    CREATE TABLE canary_trips (
        id          INTEGER PRIMARY KEY,
        sent_at     REAL    NOT NULL,           -- Unix seconds
        latency_ms  REAL,                       -- NULL: lost (never came back)
        nonce       TEXT    NOT NULL
    );
    CREATE TABLE coverage (
        id          INTEGER PRIMARY KEY,
        started_at  REAL    NOT NULL,           -- Unix seconds
        ended_at    REAL,                       -- NULL: still the current state
        covered     INTEGER NOT NULL,           -- 1: every part of the capture path was proven
        reason      TEXT                        -- when not covered: the first part that failed
    );
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)
