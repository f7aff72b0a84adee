"""The filter language's field table: what each `name:value` term means in SQL, and its help text.

Every field is one `FilterField` row; `help_text()` and the GUI's help popup are generated from
`FIELDS`, so a new field is one new row (mitmproxy `flowfilter.py` keeps its filters the same way).
A compiler checks its value once, at parse time, and returns a `Clause`: a function of "now" that
yields an SQL condition over the `events` table's plain column names and its parameters.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from b24monitor.core.errors import FilterSyntaxError
from b24monitor.core.findings import CHECKS_BY_CODE

Clause = Callable[[float], tuple[str, list[object]]]
"""Given the current Unix time, an SQL condition and its parameters."""


@dataclass(frozen=True, slots=True)
class FilterField:
    """One `name:value` term of the filter language."""

    name: str
    description: str
    example: str
    compile: Callable[[str], Clause]
    """Checks a non-empty value; raises FilterSyntaxError (the parser fills in the column)."""


def _fixed(sql: str, params: list[object]) -> Clause:
    return lambda now: (sql, list(params))


def _bad(message: str) -> FilterSyntaxError:
    return FilterSyntaxError(message, 0)


# -- globs -------------------------------------------------------------------------------------

_ASCII_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _ascii_upper(text: str) -> str:
    # SQLite's built-in upper() folds ASCII only; folding more here would make patterns disagree.
    return text.translate(_ASCII_UPPER)


def _successor(prefix: str) -> str | None:
    """The smallest string above every string that starts with `prefix` (None: there is none)."""
    code = ord(prefix[-1]) + 1
    if 0xD800 <= code <= 0xDFFF:  # surrogates cannot be stored as UTF-8
        code = 0xE000
    if code > 0x10FFFF:
        return None
    return prefix[:-1] + chr(code)


def _glob(column: str, pattern: str) -> Clause:
    """`column = ?` for plain values, else GLOB with `*`/`?` wildcards (`[` is literal)."""
    if "*" not in pattern and "?" not in pattern:
        return _fixed(f"{column} = ?", [pattern])
    conditions: list[str] = []
    params: list[object] = []
    prefix = re.split(r"[*?]", pattern, maxsplit=1)[0]
    if prefix:
        # The range on the literal prefix lets event:ONCRMDEAL* SEARCH events_event instead of
        # scanning a million rows; GLOB checks the rest. SQLite derives such a range from a
        # bound GLOB itself only for a plain column and only when it re-prepares with the value.
        conditions.append(f"{column} >= ?")
        params.append(prefix)
        upper = _successor(prefix)
        if upper is not None:
            conditions.append(f"{column} < ?")
            params.append(upper)
    conditions.append(f"{column} GLOB ?")
    params.append(pattern.replace("[", "[[]"))
    return _fixed(" AND ".join(conditions), params)


def _glob_of(column: str, *, fold: bool = False) -> Callable[[str], Clause]:
    if fold:
        # Compared on upper(column) so that a schema index on that expression would be used.
        return lambda value: _glob(f"upper({column})", _ascii_upper(value))
    return lambda value: _glob(column, value)


def _event(value: str) -> Clause:
    # Event codes are stored upper-case (the decoder folds them), so the plain index serves.
    return _glob("event", _ascii_upper(value))


# -- choices -----------------------------------------------------------------------------------


def _choice(name: str, options: dict[str, str]) -> Callable[[str], Clause]:
    def compile_choice(value: str) -> Clause:
        sql = options.get(value.lower())
        if sql is None:
            *others, last = options
            raise _bad(f"{name}: expects {', '.join(others)} or {last}, not '{value}'.")
        return _fixed(sql, [])

    return compile_choice


# -- times -------------------------------------------------------------------------------------

_AGE = re.compile(r"-?(\d{1,9})([smhdw])")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def _day_start(day: date) -> float:
    return datetime.combine(day, time()).timestamp()  # naive: local midnight


def _instant(name: str, value: str) -> tuple[float, float | None]:
    """The value's moment and, for a bare date, the start of the next day (local time)."""
    try:
        try:
            day = date.fromisoformat(value)
        except ValueError:
            return datetime.fromisoformat(value).timestamp(), None  # naive means local time
        return _day_start(day), _day_start(day + timedelta(days=1))
    except (ValueError, OverflowError, OSError):
        raise _bad(
            f"{name}: expects a date like 2026-11-28, a time like 2026-11-28T12:00 "
            f"or an age like -15m, -2h, -3d, not '{value}'."
        ) from None


def _age(value: str) -> float | None:
    match = _AGE.fullmatch(value)
    return None if match is None else int(match[1]) * _UNIT_SECONDS[match[2]]


def _since(value: str) -> Clause:
    age = _age(value)
    if age is not None:
        return lambda now: ("received_at >= ?", [now - age])
    start, _ = _instant("since", value)
    return _fixed("received_at >= ?", [start])


def moment(value: str, now: float, name: str = "since") -> float:
    """A date, time or age (-2h) as Unix seconds — the `since:` value rules, for other commands."""
    age = _age(value)
    return now - age if age is not None else _instant(name, value)[0]


def _until(value: str) -> Clause:
    age = _age(value)
    if age is not None:
        return lambda now: ("received_at <= ?", [now - age])
    moment, next_day = _instant("until", value)
    if next_day is not None:  # a bare date includes the whole day
        return _fixed("received_at < ?", [next_day])
    return _fixed("received_at <= ?", [moment])


# -- full text ---------------------------------------------------------------------------------


def _is_searchable(char: str) -> bool:
    # The unicode61 tokenizer's default token characters: letters, digits, private use.
    category = unicodedata.category(char)
    return category[0] in "LN" or category == "Co"


def _text(value: str) -> Clause:
    words = value.rstrip("*")
    if not any(_is_searchable(char) for char in words):
        return _fixed("1", [])  # nothing a tokenizer would index: the word cannot narrow
    # One FTS5 string (quotes doubled) is a phrase whatever the user typed, so no user input
    # can be read as FTS5 syntax (AND, NEAR, column:, ^); a trailing * asks for a prefix.
    query = '"' + words.replace('"', '""') + '"' + (" *" if words != value else "")
    return _fixed("id IN (SELECT rowid FROM events_fts WHERE events_fts MATCH ?)", [query])


# -- findings ----------------------------------------------------------------------------------


def _finding(value: str) -> Clause:
    code = value.lower()
    if code == "any":
        return _fixed("id IN (SELECT event_id FROM findings)", [])
    if code not in CHECKS_BY_CODE:
        codes = ", ".join(CHECKS_BY_CODE)
        raise _bad(f"finding: expects any or one of {codes}, not '{value}'.")
    return _fixed("id IN (SELECT event_id FROM findings WHERE code = ?)", [code])


# -- the table ---------------------------------------------------------------------------------

_VERIFIED = {"yes": "verified = 1", "no": "verified = 0", "unknown": "verified IS NULL"}
_STATUS = {status: f"status = '{status}'" for status in ("ok", "malformed", "rejected")}
_PINNED = {"yes": "pinned <> 0", "no": "pinned = 0"}
_ORIGIN = {o: f"origin = '{o}'" for o in ("online", "recovered", "replayed", "canary")}
# By id, not `origin <> 'canary'`: that test reads every matching row from the table, so the
# million-row event:/id:/blank queries lost their covering index (5x slower, bench/gui.py). The
# few canary ids come from the partial index events_origin, which SQLite only uses when the
# query repeats its condition (origin <> 'online').
HIDDEN_BY_DEFAULT = (
    "id NOT IN (SELECT id FROM events WHERE origin <> 'online' AND origin = 'canary')"
)
"""Added to every filter that does not ask for an origin: canary round trips are plumbing."""

# fmt: off
FIELDS: tuple[FilterField, ...] = (
    FilterField("text", "words in the decoded payload, any case; what bare words search",
                'text:"Иван Петров"', _text),
    FilterField("event", "event code; * and ? are wildcards, any case", "event:ONCRMDEAL*", _event),
    FilterField("id", "entity ID (FIELDS.ID); wildcards allowed", "id:3187", _glob_of("entity_id")),
    FilterField("member", "portal member_id, any case; wildcards allowed", "member:0c4f*",
                _glob_of("member_id", fold=True)),
    FilterField("domain", "portal domain, any case; wildcards allowed", "domain:*.bitrix24.com",
                _glob_of("domain", fold=True)),
    FilterField("user", "user ID of the delivery", "user:1", _glob_of("user_id")),
    FilterField("handler", "event handler ID", "handler:7", _glob_of("handler_id")),
    FilterField("sender", "the sender named after ✔ (a profile, \"webhook NAME\"); any case",
                'sender:"webhook crm-sync"', _glob_of("sender", fold=True)),
    FilterField("verified", "token matched (yes), did not (no), or no token known (unknown)",
                "verified:no", _choice("verified", _VERIFIED)),
    FilterField("status", "ok, malformed (body did not decode) or rejected", "status:malformed",
                _choice("status", _STATUS)),
    FilterField("pinned", "pinned events (yes) or the others (no)", "pinned:yes",
                _choice("pinned", _PINNED)),
    FilterField("finding", "a check tripped: any, or its code (listed under Checks)",
                "finding:queue_delay", _finding),
    FilterField("origin", "online (POSTed), recovered (missed, fetched from the offline queue), "
                "replayed or canary (health checks; hidden unless asked for)", "origin:recovered",
                _choice("origin", _ORIGIN)),
    FilterField("since", "received at or after a date, time (naive = local; Z, +03:00) or age",
                "since:-15m", _since),
    FilterField("until", "received at or before; a bare date includes that whole day",
                "until:2026-11-28", _until),
)
# fmt: on

FIELDS_BY_NAME: dict[str, FilterField] = {field.name: field for field in FIELDS}

_SYNTAX = """\
Terms separated by spaces must all match; AND may be written out.
A OR B matches either side; parentheses group: (event:ONCRMDEAL* OR event:ONCRMLEAD*) verified:no
-term excludes what the term matches: -event:ONTASK* -robot
Bare words search the payload; "double quotes" keep a phrase or a value with spaces together,
\\" is a quote inside them, and a trailing * matches word prefixes: Ива*
Ages count back from now: 30s, 15m, 2h, 3d, 1w (the minus is optional)."""


def help_text() -> str:
    """The filter language's help: one line per field, then the syntax rules."""
    width = max(len(field.example) for field in FIELDS) + 2
    rows = [f"  {field.example:<{width}}{field.description}" for field in FIELDS]
    return "Filter fields:\n" + "\n".join(rows) + "\n\n" + _SYNTAX + "\n"
