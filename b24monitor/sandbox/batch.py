"""The `batch` method: up to 50 calls in one request, with `$result[...]` references (spec §5.5).

Sub-calls run with the outer call's auth, one after another; failures go to `result_error` and,
with halt=1, stop the batch. The outer request is what the rate limit counts (spec §5.4).
References are resolved in the decoded parameter values, like the portal does, so they work
whether a client writes `$result[...]` plainly or percent-encodes it inside the command.
Simplified: `$result[key][field]` references substitute scalar values only.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from b24monitor.core.phpform import parse_form
from b24monitor.sandbox.api_errors import ApiError, argument_error
from b24monitor.sandbox.calls import Caller, Params, Reply
from b24monitor.sandbox.envelope import php_array, time_block
from b24monitor.sandbox.state import PortalState

MAX_COMMANDS = 50
AUTH_PARAMS = frozenset({"auth", "access_token", "auth_connector"})

Call = Callable[[PortalState, Caller, str, Params], Reply]

_REFERENCE = re.compile(r"\$result\[([^\]]+)\]((?:\[[^\]]*\])*)")


def _resolve(results: dict[str, Any], match: re.Match[str]) -> str:
    """The value a `$result[key][a][b]` reference points to; "" if missing."""
    value: Any = results.get(match.group(1))
    for segment in re.findall(r"\[([^\]]*)\]", match.group(2)):
        if isinstance(value, list) and segment.isdigit() and int(segment) < len(value):
            value = value[int(segment)]
        elif isinstance(value, dict):
            value = value.get(segment)
        else:
            value = None
    if value is None or isinstance(value, dict | list):
        return ""
    if isinstance(value, bool):
        value = int(value)
    return str(value)


def _substituted(value: Any, results: dict[str, Any]) -> Any:
    """`value` with every reference in its strings replaced (nested maps and lists too)."""
    if isinstance(value, str):
        return _REFERENCE.sub(lambda m: _resolve(results, m), value)
    if isinstance(value, dict):
        return {k: _substituted(v, results) for k, v in value.items()}
    if isinstance(value, list):
        return [_substituted(v, results) for v in value]
    return value


def _parse_command(command: Any, results: dict[str, Any]) -> tuple[str, Params]:
    """`method?query` → method name and parameters, after substituting references."""
    if not isinstance(command, str) or not command.strip():
        raise argument_error("CMD", "Batch command must be a string 'method?params'")
    method, _, query = command.partition("?")
    params = _substituted(parse_form(query.encode("utf-8")), results)
    params = {k: v for k, v in params.items() if k.lower() not in AUTH_PARAMS}
    return method.strip().lower().removesuffix(".json"), Params(params)


def run_batch(state: PortalState, caller: Caller, p: Params, call: Call) -> Reply:
    """Run every command of `cmd` and gather results, errors, totals, nexts and times."""
    commands = p.get("cmd")
    if isinstance(commands, list):
        commands = {str(i): c for i, c in enumerate(commands)}
    if not isinstance(commands, dict):
        commands = {}
    halt = p.flag("halt", False)
    out: dict[str, dict[str, Any]] = {k: {} for k in ("result", "error", "total", "next", "time")}
    for index, (key, command) in enumerate(commands.items()):
        if index >= MAX_COMMANDS:
            text = f"Max batch length exceeded ({MAX_COMMANDS})"
            out["error"][key] = ApiError(400, "ERROR_BATCH_LENGTH_EXCEEDED", text).body()
            continue
        if not _run_one(state, caller, str(key), command, out, call) and halt:
            break
    return Reply(
        {
            "result": php_array(out["result"]),
            "result_error": php_array(out["error"]),
            "result_total": php_array(out["total"]),
            "result_next": php_array(out["next"]),
            "result_time": php_array(out["time"]),
        }
    )


def _run_one(
    state: PortalState,
    caller: Caller,
    key: str,
    command: Any,
    out: dict[str, dict[str, Any]],
    call: Call,
) -> bool:
    """Run one command into `out`; False when it failed."""
    started = time.time()
    try:
        method, params = _parse_command(command, out["result"])
        if method == "batch":
            text = "Method is not allowed for batch usage"
            raise ApiError(405, "ERROR_BATCH_METHOD_NOT_ALLOWED", text)
        reply = call(state, caller, method, params)
    except ApiError as exc:
        out["error"][key] = exc.body()
        return False
    finally:
        finished = time.time()
        out["time"][key] = time_block(started, finished, finished - started)
    out["result"][key] = reply.result
    if reply.total is not None:
        out["total"][key] = reply.total
    if reply.next is not None:
        out["next"][key] = reply.next
    return True
