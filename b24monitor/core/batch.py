"""Bitrix24 `batch`: build the `cmd` map and map `result`/`result_error` back to calls (spec §5.5).

`cmd` is `key → "method?<http_build_query params>"`; in a JSON body the inner strings are plain
(not double-encoded). The answer's `result.result` and `result.result_error` are keyed the same
way; PHP encodes an empty map as `[]`, so either may arrive as a list. Keys are `c<i>`, never
bare numbers, so a full map is never turned into a JSON list either.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from b24monitor.core.errors import BatchCommandSkipped
from b24monitor.core.phpform import build_form
from b24monitor.core.portal_errors import from_envelope

LIMIT = 50
"""Commands per `batch` HTTP call; more fail with ERROR_BATCH_LENGTH_EXCEEDED (spec §5.5)."""

Call = tuple[str, Mapping[str, Any]]


def chunks(calls: Sequence[Call]) -> list[Sequence[Call]]:
    """`calls` cut into runs of at most LIMIT, in order."""
    return [calls[i : i + LIMIT] for i in range(0, len(calls), LIMIT)]


def command_map(calls: Sequence[Call]) -> dict[str, str]:
    """The `cmd` parameter for one batch request."""
    cmd: dict[str, str] = {}
    for i, (method, params) in enumerate(calls):
        query = build_form(params)
        cmd[f"c{i}"] = f"{method}?{query}" if query else method
    return cmd


def unpack(calls: Sequence[Call], answer: Any) -> list[Any]:
    """One item per call: its result, its typed PortalCallError, or BatchCommandSkipped."""
    answer = answer if isinstance(answer, Mapping) else {}
    results = _as_map(answer.get("result"))
    errors = _as_map(answer.get("result_error"))
    unpacked: list[Any] = []
    for i, (method, params) in enumerate(calls):
        key = f"c{i}"
        if key in errors:
            envelope = errors[key] if isinstance(errors[key], Mapping) else {}
            subject = str(params.get("event", "")).upper()
            unpacked.append(from_envelope(method, 400, envelope, subject))
        elif key in results:
            unpacked.append(results[key])
        else:  # not run: halt=1 stopped the batch at an earlier failure
            unpacked.append(BatchCommandSkipped(method))
    return unpacked


def _as_map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}
