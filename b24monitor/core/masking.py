"""Secret masking: hide Bitrix24 tokens in decoded payloads, raw request bodies and HTTP headers.

Spec §4: tokens must never be shown or written in clear by default. A masked value keeps its
first 4 characters (only when the value is long enough that they give little away) and its
length, so a developer can still tell two tokens apart: `9e7d…(32)`. Every view and export uses
this one style through `mask_value`.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote_plus, unquote_plus

SECRET_KEYS: frozenset[str] = frozenset(
    {
        "access_token",
        "refresh_token",
        "application_token",
        # The iframe POST of UI apps spells them in upper case (spec §4).
        "APPLICATION_TOKEN",
        "AUTH_ID",
        "REFRESH_ID",
    }
)
"""Payload keys whose values are secrets; matched case-insensitively, at any depth."""

SECRET_HEADERS: frozenset[str] = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie"}
)
"""Header names (lower case) whose values are secrets."""

# Header names containing these words are masked too (X-Auth-Token, X-Api-Key, X-Secret, ...).
_SECRET_HEADER_WORDS = ("auth", "token", "secret", "api-key", "apikey", "password", "session")

MASK = "…"
_PREFIX_LEN = 4
_MIN_LEN_FOR_PREFIX = 16  # shorter values would give away too large a share in the prefix

_CACHED_KEY_LENGTH = 256  # longer keys are not cached, so the cache stays small

_FOLDED_KEYS = frozenset(key.casefold() for key in SECRET_KEYS)
_SEGMENT = re.compile(r"\[([^\]]*)\]")
_JSON_SECRET = re.compile(
    rb'("(?:' + b"|".join(re.escape(k.encode()) for k in sorted(_FOLDED_KEYS)) + rb')"\s*:\s*")'
    rb'((?:[^"\\]|\\.)*)"',
    re.IGNORECASE,
)


def is_secret_key(key: str) -> bool:
    """True if a payload key names a token (case-insensitive)."""
    return key.casefold() in _FOLDED_KEYS


def mask_value(value: str) -> str:
    """`9e7d1c2b…` (32 chars) → `9e7d…(32)`; short values keep no prefix; "" stays ""."""
    prefix, tail = _mask_parts(value)
    return prefix + tail


def _mask_parts(value: str) -> tuple[str, str]:
    if not value:
        return "", ""  # an empty token hides nothing, and showing it is empty helps debugging
    prefix = value[:_PREFIX_LEN] if len(value) >= _MIN_LEN_FOR_PREFIX else ""
    return prefix, f"{MASK}({len(value)})"


def mask_secrets(obj: Any) -> Any:
    """Deep copy of decoded data with the value under every secret key masked, at any depth."""
    if isinstance(obj, dict):
        return {
            key: _mask_all(value)
            if isinstance(key, str) and is_secret_key(key)
            else mask_secrets(value)
            for key, value in obj.items()
        }
    if isinstance(obj, list | tuple):
        return [mask_secrets(item) for item in obj]
    return obj  # scalars are immutable, so returning them keeps the result a full copy


def _mask_all(value: Any) -> Any:
    """Mask every scalar below a secret key (`auth[access_token][0]=…` is still a token)."""
    if isinstance(value, dict):
        return {key: _mask_all(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_mask_all(item) for item in value]
    if value is None:
        return None
    return mask_value(value if isinstance(value, str) else str(value))


def mask_form_body(body: bytes) -> bytes:
    """Mask the values of form pairs whose key names a secret; every other byte stays as it was.

    A pair counts as secret when any segment of its key does (`auth%5Baccess_token%5D`,
    `AUTH_ID`), matching `mask_secrets`. The body is not re-encoded: only the secret values are
    replaced, so the result is still the delivery as received, minus the tokens.
    """
    if not body:
        return body
    return b"&".join(_mask_pair(pair) for pair in body.split(b"&"))


def _mask_pair(pair: bytes) -> bytes:
    raw_key, sep, raw_value = pair.partition(b"=")
    if not sep or not raw_value or not _key_names_secret(raw_key):
        return pair
    prefix, tail = _mask_parts(_form_text(raw_value))
    # The prefix is re-encoded so it decodes back to itself; the `…(n)` tail is left readable.
    return raw_key + b"=" + quote_plus(prefix).encode("ascii") + tail.encode("utf-8")


def _form_text(raw: bytes) -> str:
    text = raw.decode("utf-8", errors="replace")
    if b"%" in raw or b"+" in raw:
        return unquote_plus(text, errors="replace")
    return text


def _key_names_secret(raw_key: bytes) -> bool:
    if len(raw_key) > _CACHED_KEY_LENGTH:
        return _decoded_key_names_secret(raw_key)
    return _cached_key_names_secret(raw_key)


def _decoded_key_names_secret(raw_key: bytes) -> bool:
    key = _form_text(raw_key)
    segments = [key.split("[", 1)[0], *_SEGMENT.findall(key)]
    return any(is_secret_key(segment) for segment in segments)


# Every delivery repeats the same few dozen keys; caching their verdict halves the export time.
_cached_key_names_secret = functools.lru_cache(maxsize=4096)(_decoded_key_names_secret)


def mask_json_body(body: bytes) -> bytes:
    """Mask `"access_token": "…"` string values in a JSON body; other bytes stay as they are.

    Bitrix24 never sends JSON events (spec §1.2), but the receiver accepts JSON from test tools,
    and those bodies must not leak tokens either.
    """
    return _JSON_SECRET.sub(_mask_json_match, body)


def _mask_json_match(match: re.Match[bytes]) -> bytes:
    raw = match.group(2).decode("utf-8", errors="replace")
    try:
        value = json.loads(f'"{raw}"')  # the length hint counts characters, not escapes
    except ValueError:
        value = raw
    prefix, tail = _mask_parts(value)
    # Re-escaping the prefix keeps the JSON valid even when it ends inside an escape sequence.
    escaped = json.dumps(prefix, ensure_ascii=False)[1:-1]
    return match.group(1) + (escaped + tail).encode("utf-8") + b'"'


def mask_body(body: bytes) -> bytes:
    """Mask tokens in a raw request body, whether it is a form (the norm) or JSON."""
    return mask_json_body(mask_form_body(body))


def is_secret_header(name: str) -> bool:
    """True for Authorization, Cookie and other headers whose name says they carry a secret."""
    lowered = name.lower()
    return lowered in SECRET_HEADERS or any(word in lowered for word in _SECRET_HEADER_WORDS)


def mask_headers(headers: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """Headers with the values of secret-bearing ones masked; `Bearer xyz` keeps its scheme."""
    return tuple(
        (name, _mask_header_value(value) if is_secret_header(name) else value)
        for name, value in headers
    )


def _mask_header_value(value: str) -> str:
    scheme, space, credentials = value.partition(" ")
    if space and scheme.isalpha() and credentials:
        return f"{scheme} {mask_value(credentials)}"
    return mask_value(value)
