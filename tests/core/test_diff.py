"""The payload tree diff: only differences, dotted paths, lists by index, tokens left out."""

from __future__ import annotations

import pytest

from b24monitor.core.diff import Change, diff_payloads, format_changes, format_path, parse_path
from b24monitor.core.errors import UsageError


def test_nested_structures_with_lists_show_only_differences() -> None:
    old = {
        "event": "ONCRMDEALUPDATE",
        "data": {
            "FIELDS": {"ID": "7", "TITLE": "Old", "GONE": "x"},
            "PRODUCTS": [{"ID": "1", "PRICE": "10"}, {"ID": "2", "PRICE": "20"}],
            "UF": ["1", "2", "3"],
        },
    }
    new = {
        "event": "ONCRMDEALUPDATE",
        "data": {
            "FIELDS": {"ID": "7", "TITLE": "New", "STAGE_ID": "WON"},
            "PRODUCTS": [{"ID": "1", "PRICE": "15"}, {"ID": "2", "PRICE": "20"}, {"ID": "3"}],
            "UF": ["1"],
        },
    }
    assert diff_payloads(old, new) == [
        Change("data.FIELDS.TITLE", "changed", "Old", "New"),
        Change("data.FIELDS.GONE", "removed", old="x"),
        Change("data.FIELDS.STAGE_ID", "added", new="WON"),
        Change("data.PRODUCTS[0].PRICE", "changed", "10", "15"),
        Change("data.PRODUCTS[2]", "added", new={"ID": "3"}),
        Change("data.UF[1]", "removed", old="2"),
        Change("data.UF[2]", "removed", old="3"),
    ]


def test_shape_changes_are_one_change() -> None:
    old = {"data": {"FIELDS_BEFORE": "undefined"}}
    new = {"data": {"FIELDS_BEFORE": {"ID": "5"}}}
    assert diff_payloads(old, new) == [
        Change("data.FIELDS_BEFORE", "changed", "undefined", {"ID": "5"})
    ]
    assert diff_payloads({"a": ["1"]}, {"a": {"0": "1"}}) == [
        Change("a", "changed", ["1"], {"0": "1"})
    ]


def test_tokens_are_ignored_unless_all_and_then_masked() -> None:
    token_a, token_b = "a" * 40, "b" * 40
    old = {"auth": {"access_token": token_a, "expires": "100", "domain": "x.bitrix24.com"}}
    new = {"auth": {"access_token": token_b, "expires": "200", "domain": "y.bitrix24.com"}}
    assert diff_payloads(old, new) == [
        Change("auth.domain", "changed", "x.bitrix24.com", "y.bitrix24.com")
    ]
    everything = diff_payloads(old, new, include_secrets=True)
    assert [c.path for c in everything] == ["auth.access_token", "auth.expires", "auth.domain"]
    assert (everything[0].old, everything[0].new) == ("aaaa…(40)", "bbbb…(40)")  # still masked
    # An added auth block still hides the tokens inside it by default.
    added = diff_payloads({}, {"auth": {"access_token": token_a}})
    assert added == [Change("auth", "added", new={"access_token": "aaaa…(40)"})]


def test_identical_payloads_and_text_output() -> None:
    assert diff_payloads({"a": {"b": ["1"]}}, {"a": {"b": ["1"]}}) == []
    assert format_changes([]) == "no differences"
    text = format_changes(
        [
            Change("data.FIELDS.TITLE", "changed", "Сделка", "Deal"),
            Change("data.X", "added", new="1"),
            Change("data.Y", "removed", old={"A": "1"}),
        ]
    )
    assert text.splitlines() == [
        '~ data.FIELDS.TITLE: "Сделка" → "Deal"',
        '+ data.X: "1"',
        '- data.Y: {"A": "1"}',
    ]
    assert Change("p", "added", new="1").record() == {"path": "p", "kind": "added", "new": "1"}


def test_paths_round_trip_and_bad_paths_are_usage_errors() -> None:
    assert parse_path("data.PRODUCTS[1].PRICE") == ["data", "PRODUCTS", 1, "PRICE"]
    assert format_path(("data", "PRODUCTS", 1, "PRICE")) == "data.PRODUCTS[1].PRICE"
    assert parse_path("data.FIELDS.ID") == ["data", "FIELDS", "ID"]
    for bad in ("", ".data", "data..ID", "data[x]"):
        with pytest.raises(UsageError):
            parse_path(bad)
