"""Tree diff of two decoded payloads: only what was added, removed or changed, by dotted path.

Paths read like the payload's own structure: `data.FIELDS.TITLE`, list items as `[0]`
(`data.PRODUCTS[1].PRICE`). The same syntax addresses fields for `replay --set`, so a path copied
from a diff can be edited directly. Lists are compared by index: Bitrix24 lists (UF_DEPARTMENT,
product rows) are positional, and a move shows up as changes rather than a guessed alignment.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from b24monitor.core.errors import UsageError
from b24monitor.core.masking import is_secret_key, mask_secrets

ChangeKind = Literal["added", "removed", "changed"]

_MISSING: Any = object()
# The tokens move with every delivery and auth.expires with them: comparing them is noise.
# `--all` compares them too; their values are printed masked either way (spec §4).
_TOKEN_PATHS = frozenset({("auth", "expires")})
_SEGMENT = re.compile(r"\[(\d+)\]|([^.\[\]]+)")
_MARKS = {"added": "+", "removed": "-", "changed": "~"}


@dataclass(frozen=True, slots=True)
class Change:
    """One difference: where, what kind, and the values on each side (absent side omitted)."""

    path: str
    kind: ChangeKind
    old: Any = None
    new: Any = None

    def record(self) -> dict[str, Any]:
        """The JSON shape of `diff --json`: old only when something was there, new likewise."""
        out: dict[str, Any] = {"path": self.path, "kind": self.kind}
        if self.kind != "added":
            out["old"] = self.old
        if self.kind != "removed":
            out["new"] = self.new
        return out


def parse_path(path: str) -> list[str | int]:
    """`data.FIELDS.ID` → ['data', 'FIELDS', 'ID']; `data.UF[0]` → ['data', 'UF', 0]."""
    segments: list[str | int] = []
    pos = 0
    text = path.strip()
    while pos < len(text):
        if text[pos] == "." and segments:
            pos += 1
        match = _SEGMENT.match(text, pos)
        if match is None:
            raise UsageError(
                f"path {path!r} is not valid at character {pos + 1}; "
                "write it like data.FIELDS.TITLE or data.PRODUCTS[0].ID"
            )
        index, name = match.groups()
        segments.append(int(index) if index is not None else name)
        pos = match.end()
    if not segments:
        raise UsageError("an empty path was given; write it like data.FIELDS.TITLE")
    return segments


def format_path(segments: tuple[str | int, ...]) -> str:
    """The inverse of parse_path: ('data', 'UF', 0) → `data.UF[0]`."""
    out = ""
    for segment in segments:
        if isinstance(segment, int):
            out += f"[{segment}]"
        else:
            out += f".{segment}" if out else segment
    return out


def diff_payloads(old: Any, new: Any, *, include_secrets: bool = False) -> list[Change]:
    """Every difference between two decoded payloads, in document order."""
    return list(_walk((), old, new, include_secrets))


def _walk(path: tuple[str | int, ...], old: Any, new: Any, secrets: bool) -> Iterator[Change]:
    if not secrets and _ignored(path):
        return
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        for key in [*old, *(k for k in new if k not in old)]:
            yield from _walk((*path, key), old.get(key, _MISSING), new.get(key, _MISSING), secrets)
    elif isinstance(old, list) and isinstance(new, list):
        for i in range(max(len(old), len(new))):
            left = old[i] if i < len(old) else _MISSING
            right = new[i] if i < len(new) else _MISSING
            yield from _walk((*path, i), left, right, secrets)
    elif old is _MISSING:
        yield Change(format_path(path), "added", new=_shown(path, new))
    elif new is _MISSING:
        yield Change(format_path(path), "removed", old=_shown(path, old))
    elif old != new or type(old) is not type(new):
        yield Change(format_path(path), "changed", _shown(path, old), _shown(path, new))


def _ignored(path: tuple[str | int, ...]) -> bool:
    if not path:
        return False
    last = path[-1]
    return (isinstance(last, str) and is_secret_key(last)) or path in _TOKEN_PATHS


def _shown(path: tuple[str | int, ...], value: Any) -> Any:
    """The value as a diff may print it: tokens masked, also with --all (spec §4)."""
    last = path[-1] if path else ""
    return mask_secrets({str(last): value})[str(last)]


def format_changes(changes: list[Change]) -> str:
    """Readable lines: `~ data.FIELDS.TITLE: "Old" → "New"`, `+ path: value`, `- path: value`."""
    if not changes:
        return "no differences"
    lines = []
    for change in changes:
        mark = _MARKS[change.kind]
        if change.kind == "changed":
            text = f"{_value(change.old)} → {_value(change.new)}"
        else:
            text = _value(change.new if change.kind == "added" else change.old)
        lines.append(f"{mark} {change.path}: {text}")
    return "\n".join(lines)


def _value(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
