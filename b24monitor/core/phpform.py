"""PHP bracket forms: parse `a[b][0]=v` bodies into nested data and build them like http_build_query.

Bitrix24 delivers every event as `application/x-www-form-urlencoded` built by PHP's
`http_build_query` (spec §1.2); keys are percent-encoded too and `+` means space (spec §1.3).
Parsing follows PHP's `parse_str` where it matters for the monitor: numeric segments and `[]`
make lists, a later scalar replaces an earlier one, and every value stays a string.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote_plus, unquote_plus

from b24monitor.core.errors import MalformedDelivery

MAX_DEPTH = 64
"""Deeper keys are refused (PHP's own `max_input_nesting_level` default is 64)."""

MAX_FIELDS = 20_000
"""More pairs than this are refused; a real delivery has a few dozen (PHP's default is 1,000)."""


def parse_form(body: bytes) -> dict[str, Any]:
    """Decode a PHP-style form body into nested dicts and lists of strings.

    Raises MalformedDelivery for invalid UTF-8, too many fields, too deep keys, or keys whose
    shapes conflict (`a=1&a[b]=2`).
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedDelivery(f"body is not valid UTF-8 (byte {exc.start})") from None
    if not text:
        return {}
    pairs = text.split("&")
    if len(pairs) > MAX_FIELDS:
        raise MalformedDelivery(f"body has {len(pairs)} fields, more than the {MAX_FIELDS} allowed")
    root: dict[str, Any] = {}
    try:
        for pair in pairs:
            if not pair:
                continue
            raw_key, sep, raw_value = pair.partition("=")
            key = _unquote(raw_key)
            if not key:
                continue  # PHP ignores pairs with an empty name
            _assign(root, key, _unquote(raw_value) if sep else "")
    except UnicodeDecodeError:
        raise MalformedDelivery("a percent-encoded value is not valid UTF-8") from None
    converted: dict[str, Any] = lists_from_numeric_maps(root)
    return converted


def _unquote(text: str) -> str:
    # Most keys and values need no decoding; skipping unquote_plus halves the parse time.
    if "%" in text or "+" in text:
        return unquote_plus(text, errors="strict")
    return text


def _split_key(key: str) -> list[str]:
    """`data[FIELDS][ID]` → ['data', 'FIELDS', 'ID']; `a[]` → ['a', '']."""
    bracket = key.find("[")
    if bracket <= 0:
        return [key]
    segments = [key[:bracket]]
    rest = key[bracket:]
    while rest.startswith("["):
        end = rest.find("]")
        if end < 0:
            break  # PHP keeps an unclosed tail as part of the key; we drop it silently
        segments.append(rest[1:end])
        if len(segments) > MAX_DEPTH:
            raise MalformedDelivery(f"key nests deeper than {MAX_DEPTH} levels")
        rest = rest[end + 1 :]
    return segments


def _assign(root: dict[str, Any], key: str, value: str) -> None:
    segments = _split_key(key)
    node: dict[str, Any] = root
    for segment in segments[:-1]:
        node = _child_map(node, segment, key)
    last = segments[-1]
    if last == "":
        last = str(_next_index(node))  # `a[]=v` appends (spec §1.3)
    if isinstance(node.get(last), dict):
        raise MalformedDelivery(f"key {key!r} gives a plain value where nested fields were given")
    node[last] = value


def _child_map(node: dict[str, Any], segment: str, key: str) -> dict[str, Any]:
    if segment == "":
        segment = str(_next_index(node))  # `a[][x]=v`: PHP appends with the next integer key
    child = node.get(segment)
    if child is None:
        child = {}
        node[segment] = child
    elif not isinstance(child, dict):
        raise MalformedDelivery(f"key {key!r} conflicts with a plain value given earlier")
    return child


def _next_index(node: dict[str, Any]) -> int:
    ints = [int(k) for k in node if k.isdigit()]
    return max(ints) + 1 if ints else 0


def lists_from_numeric_maps(value: Any) -> Any:
    """Turn maps whose keys are exactly 0..n-1 into lists, recursively (PHP arrays → JSON)."""
    if isinstance(value, dict):
        converted = {k: lists_from_numeric_maps(v) for k, v in value.items()}
        keys = list(converted)
        if keys and all(k.isdigit() for k in keys) and sorted(map(int, keys)) == list(
            range(len(keys))
        ):
            return [converted[str(i)] for i in range(len(keys))]
        return converted
    return value


def build_form(data: Mapping[str, Any]) -> str:
    """Encode nested data the way PHP's http_build_query does (None and empty lists dropped)."""
    parts: list[str] = []
    for key, value in data.items():
        _build(parts, str(key), value)
    return "&".join(parts)


def _build(parts: list[str], key: str, value: Any) -> None:
    if value is None:
        return  # http_build_query drops nulls (spec §1.3)
    if isinstance(value, Mapping):
        for k, v in value.items():
            _build(parts, f"{key}[{k}]", v)
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            _build(parts, f"{key}[{i}]", v)
    else:
        if isinstance(value, bool):
            value = "1" if value else "0"
        parts.append(f"{quote_plus(key)}={quote_plus(str(value))}")
