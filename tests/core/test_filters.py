"""The filter language: what each expression selects from a real event database, and its errors."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from b24monitor.core.errors import FilterSyntaxError
from b24monitor.core.filter_fields import HIDDEN_BY_DEFAULT
from b24monitor.core.filters import FIELDS, help_text, parse
from b24monitor.services.schema import MIGRATIONS
from b24monitor.services.store import index_fulltext

ACME = "0c4f5e9a8b7d6c5e4f3a2b1c0d9e8f7a"
BETA = "BEEF0000111122223333444455556666"  # stored upper-case: member: must ignore case
GAMMA = "9a9a9a9a000011112222333344445555"
EVIL = "dddd0000111122223333444455556666"


@pytest.fixture(autouse=True)
def _local_zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Run in UTC+5, so that "naive means local time" differs from UTC where the OS allows it."""
    if hasattr(time, "tzset"):
        monkeypatch.setenv("TZ", "EKT-05")  # POSIX spelling of UTC+5; needs no tz database
        time.tzset()
    yield
    monkeypatch.undo()
    if hasattr(time, "tzset"):
        time.tzset()


def local(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> float:
    return datetime(year, month, day, hour, minute, second).timestamp()  # naive: local time


def utc(year: int, month: int, day: int, hour: int, minute: int) -> float:
    return datetime(year, month, day, hour, minute, tzinfo=UTC).timestamp()


def now() -> float:
    return local(2026, 11, 28, 12, 0)


def rows() -> list[dict[str, Any]]:
    """Twenty deliveries: ids 1-20, the columns a filter can see."""
    now_ = now()
    acme = {"member_id": ACME, "domain": "acme.bitrix24.com", "user_id": "1", "handler_id": "10"}
    beta = {"member_id": BETA, "domain": "Beta.Bitrix24.RU", "user_id": "7", "handler_id": "11"}
    gamma = {"member_id": GAMMA, "domain": "gamma.example.com", "user_id": "2", "handler_id": "12"}
    deal = {"event": "ONCRMDEALADD", "verified": 1, **acme}

    def day(entity: str, at: float, text: str) -> dict[str, Any]:
        return {**deal, "entity_id": entity, "received_at": at, "data": {"comment": text}}

    return [
        {
            **deal,
            "entity_id": "3187",
            "received_at": now_ - 60,
            "sender": "dev-app",
            "data": {"FIELDS": {"ID": "3187"}, "comment": "Иван Петров создал сделку"},
        },
        {
            **deal,
            "event": "ONCRMDEALUPDATE",
            "entity_id": "3187",
            "received_at": now_ - 600,
            "pinned": 1,
            "sender": "webhook crm-sync",
            "data": {"FIELDS": {"ID": "3187"}, "comment": "Петров Иван обновил сделку"},
        },
        {
            **beta,
            "event": "ONCRMDEALDELETE",
            "entity_id": "5",
            "verified": 0,
            "received_at": now_ - 7205,
            "sender": "learned from install",
            "data": {"comment": "robot deleted it"},
        },
        {
            **beta,
            "event": "ONCRMLEADADD",
            "entity_id": "5",
            "verified": None,
            "received_at": now_ - 3 * 86400 - 10,
            "data": {"comment": "foo-bar baz"},
        },
        {
            **acme,
            "event": "ONTASKADD",
            "entity_id": "31870",
            "user_id": "2",
            "handler_id": "12",
            "verified": 1,
            "received_at": now_ - 20,
            "sender": "Webhook CRM-Sync",
            "data": {"title": "Задача для робота"},
        },
        {
            **gamma,
            "event": "ONTASKUPDATE",
            "entity_id": "42",
            "verified": None,
            "received_at": local(2026, 11, 27, 9, 0),
            "data": {"title": "robot run"},
        },
        {
            **gamma,
            "event": "ONIMBOTMESSAGEADD",
            "user_id": "3",
            "handler_id": "13",
            "verified": 0,
            "received_at": local(2026, 11, 26, 23, 59, 59),
            "data": {"text": 'a"b quote'},
        },
        {"status": "malformed", "received_at": now_ - 30},
        {
            **deal,
            "member_id": EVIL,
            "domain": "evil.example.org",
            "entity_id": "3187",
            "verified": 0,
            "status": "rejected",
            "received_at": now_ - 7140,
            "data": {"comment": "AND OR NOT NEAR * ^ data: ("},
        },
        {
            **deal,
            "event": "ONCRMCONTACTADD",
            "entity_id": "3187",
            "received_at": local(2026, 11, 25, 8, 0),
            "data": {"name": "Мария Иванова"},
        },
        {
            **acme,
            "event": "ONAPP[TEST]",
            "verified": None,
            "received_at": local(2026, 11, 25, 8, 0),
            "data": {"x": "1"},
        },
        day("100", local(2026, 11, 20, 0, 0, 0), "ровно полночь"),
        day("101", local(2026, 11, 20, 23, 59, 59), "перед полуночью"),
        day("102", local(2026, 11, 21, 0, 0, 0), "следующий день"),
        day("103", utc(2026, 11, 10, 7, 0), "по UTC"),
        *(day(str(200 + n), local(2026, 10, 1 + n), f"старое событие {n}") for n in range(5)),
    ]


ALL = set(range(1, 21))


@pytest.fixture
def db() -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(":memory:")
    for migration in MIGRATIONS:
        connection.executescript(migration)
    for number, row in enumerate(rows(), start=1):
        data = row.get("data")
        values = {
            "id": number,
            "status": "ok",
            "http_status": 200,
            "method": "POST",
            "path": "/h",
            "size": 0,
            "content_type": "application/x-www-form-urlencoded",
            "headers": "[]",
            "body": b"",
            **row,
            # The column holds the whole decoded payload; full text searches its `data` block.
            # ensure_ascii=False: the store keeps Cyrillic readable, so FTS5 can tokenize it.
            "data": None if data is None else json.dumps({"data": data}, ensure_ascii=False),
        }
        names = ", ".join(values)
        marks = ", ".join("?" * len(values))
        connection.execute(f"INSERT INTO events ({names}) VALUES ({marks})", list(values.values()))
    connection.commit()
    index_fulltext(connection)  # the writer does this after acknowledging deliveries
    yield connection
    connection.close()


def select(db: sqlite3.Connection, expression: str, at: float | None = None) -> set[int]:
    sql, params = parse(expression).to_sql(now() if at is None else at)
    return {row[0] for row in db.execute(f"SELECT id FROM events WHERE {sql}", params)}


# -- fields --------------------------------------------------------------------------------------

DEALS = {1, 2, 3, 9, 12, 13, 14, 15, 16, 17, 18, 19, 20}


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("event:ONCRMDEAL*", DEALS),
        ("event:oncrmdeal*", DEALS),
        ("event:OnCrmLeadAdd", {4}),
        ("event:ONTASK???", {5}),
        ("event:*UPDATE", {2, 6}),
        ("event:ONAPP[*", {11}),
        ("event:ONAPP[TEST]", {11}),
        ("id:3187", {1, 2, 9, 10}),
        ("id:3187*", {1, 2, 5, 9, 10}),
        ("member:beef*", {3, 4}),
        (f"member:{ACME.upper()}", {1, 2, 5, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20}),
        ("domain:beta.bitrix24.ru", {3, 4}),
        ("domain:*.EXAMPLE.*", {6, 7, 9}),
        ("user:7", {3, 4}),
        ("handler:12", {5, 6}),
        ("sender:dev-app", {1}),
        ('sender:"webhook crm-sync"', {2, 5}),  # quoted: the label has a space; any case
        ("sender:webhook*", {2, 5}),
        ('sender:"learned from install"', {3}),
        ("sender:dev", set()),  # a whole label, unless wildcards say otherwise
        ("verified:yes", {1, 2, 5, 10, 12, 13, 14, 15, 16, 17, 18, 19, 20}),
        ("verified:NO", {3, 7, 9}),
        ("verified:unknown", {4, 6, 8, 11}),
        ("status:malformed", {8}),
        ("status:rejected", {9}),
        ("status:ok", ALL - {8, 9}),
        ("pinned:yes", {2}),
        ("pinned:no", ALL - {2}),
        ("EVENT:ONTASKADD", {5}),
    ],
)
def test_field_selects_matching_events(
    db: sqlite3.Connection, expression: str, expected: set[int]
) -> None:
    assert select(db, expression) == expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("-event:ONCRM*", {5, 6, 7, 8, 11}),  # the malformed row without an event is kept
        ("-verified:yes", {3, 4, 6, 7, 8, 9, 11}),
        ("-id:3187", ALL - {1, 2, 9, 10}),
        ('-sender:"webhook crm-sync"', ALL - {2, 5}),  # rows without a sender are kept
        ("-robot", ALL - {3, 6}),
        ("--robot", {3, 6}),
        ("event:ONTASK* OR status:malformed", {5, 6, 8}),
        ("user:7 OR handler:12 verified:unknown", {3, 4, 6}),
        ("(user:7 OR handler:12) verified:unknown", {4, 6}),
        ("-(event:ONTASK* OR status:malformed)", ALL - {5, 6, 8}),
        ("robot AND event:ONTASK*", {6}),
        ("event:ONCRMDEAL* -pinned:yes user:1 -id:1* -id:2*", {1, 9}),
        ("   ", ALL),
    ],
)
def test_negation_and_or_combine(
    db: sqlite3.Connection, expression: str, expected: set[int]
) -> None:
    assert select(db, expression) == expected


def test_fragment_is_safe_to_combine_with_more_conditions(db: sqlite3.Connection) -> None:
    sql, params = parse("event:ONTASK* OR status:malformed").to_sql(now())
    found = db.execute(f"SELECT id FROM events WHERE {sql} AND id > ?", [*params, 5]).fetchall()
    assert {row[0] for row in found} == {6, 8}


# -- full text -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("robot", {3, 6}),
        ("ROBOT", {3, 6}),
        ("Робота", {5}),
        ("ИВАН", {1, 2}),
        ("Иван Петров", {1, 2}),
        ('"Иван Петров"', {1}),
        ('text:"Петров Иван"', {2}),
        ("Ива*", {1, 2, 10}),
        ('"Иван Пет"*', {1}),
        ("полуночью OR полночь", {12, 13}),
    ],
)
def test_bare_words_search_the_payload(
    db: sqlite3.Connection, expression: str, expected: set[int]
) -> None:
    assert select(db, expression) == expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("foo-bar", {4}),
        ('a"b', {7}),
        ('"AND"', {9}),
        ("NEAR", {9}),
        ("NOT", {9}),
        ('"data:"', {9}),
        ("^robot", {3, 6}),
        ('"x OR y"', set()),
        ("NEAR(a b)", set()),
        ("*", ALL),  # no letters or digits: nothing to narrow by
        ("robot *", {3, 6}),
        ("a'b", {7}),  # the apostrophe separates words, as in the payload
        ('"\\"quoted\\""', set()),
        ("-OR", ALL - {9}),
    ],
)
def test_fts_syntax_in_user_text_is_searched_literally(
    db: sqlite3.Connection, expression: str, expected: set[int]
) -> None:
    assert select(db, expression) == expected


# -- times ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("since:-15m", {1, 2, 5, 8}),
        ("since:15m", {1, 2, 5, 8}),
        ("since:-30s", {5, 8}),  # 30 seconds ago exactly is included
        ("since:-2h", {1, 2, 5, 8, 9}),
        ("until:-2h", {3, 4, 6, 7, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20}),
        ("since:-3d", {1, 2, 3, 5, 6, 7, 8, 9}),
        ("since:-1w -since:-3d", {4, 10, 11}),
        ("until:2026-11-20", {12, 13, 15, 16, 17, 18, 19, 20}),
        ("since:2026-11-21 until:2026-11-21", {14}),
        ("since:2026-11-20T23:59:59 until:2026-11-21T00:00", {13, 14}),
        ("since:2026-11-10T07:00Z until:2026-11-10T07:00Z", {15}),
        ("since:2026-11-10T07:00:01Z until:2026-11-11", set()),
        ("until:2026-11-10T10:00+03:00 since:2026-11-10", {15}),
        ("until:2026-11-10T09:59+03:00 since:2026-11-10", set()),
        ('since:"2026-11-27 09:00" until:2026-11-27T09:00', {6}),
    ],
)
def test_times_select_by_received_at(
    db: sqlite3.Connection, expression: str, expected: set[int]
) -> None:
    assert select(db, expression) == expected


@pytest.mark.skipif(not hasattr(time, "tzset"), reason="needs time.tzset to fix the local zone")
def test_naive_times_are_local(db: sqlite3.Connection) -> None:
    # The row is 07:00 UTC, which is 12:00 in the test's UTC+5 zone.
    assert select(db, "since:2026-11-10T12:00 until:2026-11-10T12:00") == {15}
    assert select(db, "since:2026-11-10T07:00 until:2026-11-10T07:00") == set()


def test_ages_count_back_from_the_given_now(db: sqlite3.Connection) -> None:
    assert select(db, "since:-15m", at=now() + 3600) == set()
    assert select(db, "since:-2h", at=now() + 3600) == {1, 2, 5, 8}


def test_ages_default_to_the_current_time() -> None:
    before = time.time()
    _, params = parse("since:-1h").to_sql()
    assert before - 3600 <= float(params[0]) <= time.time() - 3600  # type: ignore[arg-type]


# -- indexes -------------------------------------------------------------------------------------


@pytest.mark.parametrize("order", ["", "ORDER BY id"])
@pytest.mark.parametrize(
    ("expression", "index"),
    [
        # The safety net's (event, entity_id, ts) index serves event: as well (issue 11).
        ("event:ONCRMDEAL*", "events_event*"),
        ("event:oncrmdealadd", "events_event*"),
        ("id:5", "events_entity"),
        ("id:31*", "events_entity"),
        ("since:-15m until:-1m", "events_received_at"),
    ],
)
def test_selective_fields_search_an_index(
    db: sqlite3.Connection, expression: str, index: str, order: str
) -> None:
    # A million stored events stay fast only if these SEARCH an index instead of a SCAN.
    sql, params = parse(expression).to_sql(now())
    query = f"EXPLAIN QUERY PLAN SELECT id FROM events WHERE {sql} {order}"
    plan = " | ".join(row[3] for row in db.execute(query, params))
    names = [index[:-1], index[:-1] + "_entity_ts"] if index.endswith("*") else [index]
    assert any(
        f"SEARCH events USING COVERING INDEX {name} " in plan
        or f"SEARCH events USING INDEX {name} " in plan
        for name in names
    ), plan


@pytest.mark.parametrize(
    ("expression", "index"),
    [("", "events_event"), ("event:ONCRMDEALADD", "events_event"), ("id:5", "events_entity")],
)
def test_hiding_canaries_keeps_the_ids_in_the_index(
    db: sqlite3.Connection, expression: str, index: str
) -> None:
    # The ids of a million matches come from the index alone, never row by row from the table;
    # the canaries to leave out are found through their own partial index.
    sql, params = parse(expression).to_sql(now())
    query = f"EXPLAIN QUERY PLAN SELECT id FROM events INDEXED BY {index} WHERE {sql} ORDER BY id"
    plan = [row[3] for row in db.execute(query, params)]
    assert plan[0].startswith(f"SEARCH events USING COVERING INDEX {index} ") or plan[0] == (
        f"SCAN events USING COVERING INDEX {index}"
    ), plan
    assert "SEARCH events USING COVERING INDEX events_origin (origin=?)" in plan, plan


def test_a_lone_since_searches_the_time_index(db: sqlite3.Connection) -> None:
    sql, params = parse("since:-15m").to_sql(now())
    plan = db.execute(f"EXPLAIN QUERY PLAN SELECT id FROM events WHERE {sql}", params).fetchall()
    assert "INDEX events_received_at " in plan[0][3]


# -- the parsed filter ---------------------------------------------------------------------------


@pytest.mark.parametrize("expression", ["", "   ", "\t\n"])
def test_blank_expression_matches_everything(expression: str) -> None:
    parsed = parse(expression)
    assert parsed.is_empty
    assert parsed.to_sql() == (HIDDEN_BY_DEFAULT, [])  # canaries are hidden by default
    assert str(parsed) == ""
    assert parsed.expression == expression


@pytest.mark.parametrize(
    ("expression", "canonical"),
    [
        ("event:ONCRMDEAL*  robot", "event:ONCRMDEAL* robot"),
        ("a AND b", "a b"),
        ("(a OR b) c", "(a OR b) c"),
        ("a OR (b c)", "a OR b c"),
        ('-( a OR "b c" )', '-(a OR "b c")'),
        ('text:"a \\"q\\" b" "OR" "-x" "id:1"', 'text:"a \\"q\\" b" "OR" "-x" "id:1"'),
        ('a"b', '"a\\"b"'),
        ('"Иван Пет"*', '"Иван Пет*"'),
    ],
)
def test_str_is_a_canonical_expression_with_the_same_meaning(
    db: sqlite3.Connection, expression: str, canonical: str
) -> None:
    parsed = parse(expression)
    assert str(parsed) == canonical
    assert parsed.expression == expression
    assert not parsed.is_empty
    assert parse(canonical).to_sql(now()) == parsed.to_sql(now())


@pytest.mark.parametrize(
    ("expression", "column", "words"),
    [
        ("event:ONCRM* evnt:X", 14, "did you mean 'event'"),
        ("Иван memb:1", 6, "did you mean 'member'"),
        ("http://example.com", 1, "double quotes"),
        ("verified:maybe", 10, "yes, no or unknown"),
        ("status:done", 8, "ok, malformed or rejected"),
        ("pinned:1", 8, "yes or no"),
        ("since:yesterdayish", 7, "since: expects"),
        ("until:2026-13-01", 7, "until: expects"),
        ("since:-15x", 7, "since: expects"),
        ("event:", 7, "needs a value"),
        ("robot event: x", 13, "needs a value"),
        ('event:""', 7, "needs a value"),
        ('a "Иван', 3, "never closed"),
        ('event:"ONCRM', 7, "never closed"),
        ('"a"b', 4, "space after the closing quote"),
        ("a OR", 3, "OR needs a term"),
        ("OR a", 1, "OR needs a term"),
        ("a OR OR b", 3, "OR needs a term"),
        ("a AND", 3, "AND needs a term"),
        ("(a OR) b", 4, "OR needs a term"),
        ("(a OR b", 1, "never closed"),
        ("a (", 3, "never closed"),
        ("a)", 2, "no matching"),
        ("()", 2, "empty"),
        ("- a", 1, "'-' must be directly followed"),
        ("a -", 3, "'-' must be directly followed"),
    ],
)
def test_syntax_errors_point_at_the_column(expression: str, column: int, words: str) -> None:
    with pytest.raises(FilterSyntaxError) as caught:
        parse(expression)
    error = caught.value
    assert (error.column, error.expression) == (column, expression)
    assert words in error.message
    assert error.message.endswith((".", "?")) and error.message.count(". ") == 0
    assert f"column {column}" in str(error)


@pytest.mark.parametrize(
    "expression",
    ["foo-bar", 'a"b', "AND", "*", "a:b", "NEAR(", '"', "\\", "''", "-", "OR", ")(", "^", "x*y*"],
)
def test_user_input_never_reaches_sqlite_as_syntax(db: sqlite3.Connection, expression: str) -> None:
    with contextlib.suppress(FilterSyntaxError):  # ours, with a column; sqlite3.Error is not
        select(db, expression)


# -- the field table -----------------------------------------------------------------------------


def test_every_documented_example_runs(db: sqlite3.Connection) -> None:
    for field in FIELDS:
        assert field.example.startswith(f"{field.name}:")
        select(db, field.example)


def test_help_lists_every_field_and_the_syntax() -> None:
    text = help_text()
    for field in FIELDS:
        assert f"{field.example}  " in text and field.description in text
    assert "OR" in text and "-event:ONTASK*" in text and '"double quotes"' in text
    assert len({field.name for field in FIELDS}) == len(FIELDS)


def test_canary_round_trips_are_hidden_unless_an_origin_is_asked_for(
    db: sqlite3.Connection,
) -> None:
    db.execute("UPDATE events SET origin = 'canary' WHERE id = 1")
    db.execute("UPDATE events SET origin = 'recovered' WHERE id = 2")
    assert select(db, "") == ALL - {1}
    assert select(db, "event:ONCRMDEAL*") == DEALS - {1}
    assert select(db, "origin:canary") == {1}
    assert select(db, "-origin:recovered") == ALL - {2}
    assert select(db, "origin:recovered OR origin:canary") == {1, 2}
