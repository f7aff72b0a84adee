"""`filter` and `order` parameters of the event.offline.* methods (spec §2.6, §2.7).

Filter keys carry an operator prefix (`=`, `!`, `!=`, `>`, `>=`, `<`, `<=`, `%` for "contains"),
values must be scalars. Strings compare case-insensitively, as MySQL's default collation does on
the real portal; `ID` compares as a number and `TIMESTAMP_X` as a point in time.
Simplified: an unknown field is an ERROR_ARGUMENT (the real ORM may differ in the message).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from b24monitor.sandbox.api_errors import argument_error

Record = Mapping[str, Any]
Predicate = Callable[[Record], bool]

_OPERATORS: tuple[tuple[str, Callable[[Any, Any], bool]], ...] = (
    (">=", operator.ge),
    ("<=", operator.le),
    ("!=", operator.ne),
    ("!", operator.ne),
    ("=", operator.eq),
    (">", operator.gt),
    ("<", operator.lt),
    ("%", lambda have, want: str(want) in str(have)),
)


def _comparable(field: str, value: Any) -> Any:
    """Bring a record value or a filter value into a form that compares correctly."""
    if field == "ID":
        return int(value)
    if field == "TIMESTAMP_X":
        stamp = datetime.fromisoformat(str(value))
        return stamp if stamp.tzinfo else stamp.astimezone()
    return str(value).casefold()


def parse_filter(raw: Any, fields: Iterable[str]) -> Predicate:
    """Turn a `filter` map into a predicate over records; bad input → ERROR_ARGUMENT FILTER."""
    if raw in (None, "", []):
        return lambda record: True
    if not isinstance(raw, Mapping):
        raise argument_error("FILTER", "Filter must be an array")
    allowed = set(fields)
    conditions = [_condition(str(key), value, allowed) for key, value in raw.items()]
    return lambda record: all(check(record) for check in conditions)


def _condition(key: str, value: Any, allowed: set[str]) -> Predicate:
    if isinstance(value, Mapping | list | tuple):
        raise argument_error("FILTER", f"Filter value for {key} must be a scalar")
    compare: Callable[[Any, Any], bool] = operator.eq
    field = key
    for prefix, function in _OPERATORS:
        if key.startswith(prefix):
            compare, field = function, key[len(prefix) :]
            break
    field = field.upper()
    if field not in allowed:
        raise argument_error("FILTER", f"Unknown filter field {field}")
    try:
        want = _comparable(field, value)
    except ValueError:
        raise argument_error("FILTER", f"Wrong filter value for {field}") from None
    return lambda record: compare(_comparable(field, record[field]), want)


def parse_order(
    raw: Any, fields: Iterable[str], default: Mapping[str, str]
) -> list[tuple[str, bool]]:
    """Turn an `order` map into [(field, descending)]; unknown fields → ERROR_ARGUMENT ORDER."""
    if raw in (None, "", []):
        raw = default
    if not isinstance(raw, Mapping):
        raise argument_error("ORDER", "Order must be an array")
    allowed = set(fields)
    keys: list[tuple[str, bool]] = []
    for field, direction in raw.items():
        name = str(field).upper()
        if name not in allowed:
            raise argument_error("ORDER", f"Unknown order field {name}")
        keys.append((name, str(direction).upper() == "DESC"))
    return keys


def sort_records(records: list[dict[str, Any]], order: list[tuple[str, bool]]) -> None:
    """Sort in place by the order keys; ties keep row-ID order, as a database would here."""
    records.sort(key=lambda r: int(r["ID"]))
    for field, descending in reversed(order):
        records.sort(key=lambda r, f=field: _comparable(f, r[f]), reverse=descending)  # type: ignore[misc]
