"""REST methods of the offline queue: event.offline.get, .list, .clear, .error (spec §2.6–2.9).

All need an application token and a portal administrator; the queue partition is chosen by the
caller's auth_connector (spec §3.1).
"""

from __future__ import annotations

from typing import Any

from b24monitor.sandbox.api_errors import access_denied, argument_error, wrong_license
from b24monitor.sandbox.calls import Caller, MethodSpec, Params, Reply
from b24monitor.sandbox.offline_filter import parse_filter, parse_order
from b24monitor.sandbox.offline_queue import GET_FIELDS, LIST_FIELDS, OfflineRow
from b24monitor.sandbox.state import PortalState

PAGE_SIZE = 50
"""event.offline.list pages are fixed at 50 rows (spec §2.7, §5.6)."""


def _admin_only(state: PortalState, caller: Caller) -> None:
    if not caller.admin:
        raise access_denied()
    if caller.connector and not state.app.features.get("rest_auth_connector"):
        raise wrong_license("auth_connector")


def _get_record(row: OfflineRow) -> dict[str, Any]:
    record = row.record()
    del record["PROCESS_ID"], record["ERROR"]  # get does not show these columns (spec §2.6)
    return record


def offline_get(state: PortalState, caller: Caller, p: Params) -> Reply:
    """Reserve (clear=0) or take and delete (clear=1, default) the oldest queued rows (§2.6)."""
    _admin_only(state, caller)
    where = parse_filter(p.get("filter"), GET_FIELDS)
    order = parse_order(p.get("order"), GET_FIELDS, {"TIMESTAMP_X": "ASC"})
    limit = p.integer("limit", 50)
    if limit <= 0:
        raise argument_error("LIMIT", "Argument 'LIMIT' must be greater than 0")
    clear = p.flag("clear", True)
    if not clear and not state.app.features.get("rest_offline_extended"):
        raise wrong_license("extended offline events handling")
    given = p.text("process_id")
    error = p.flag("error", False)
    if given:  # re-read an existing reservation, no new one (spec §2.6)
        rows = state.queue.select(
            caller.connector, where, order, limit=limit, scope=lambda r: r.process_id == given
        )
        process_id = given
    else:
        rows = state.queue.select(
            caller.connector,
            where,
            order,
            limit=limit,
            scope=lambda r: not r.process_id and r.error == error,
        )
        process_id = state.ids.alnum(32)
        state.queue.reserve(rows, process_id)
    records = [_get_record(row) for row in rows]
    if clear:
        state.queue.delete(rows)
        return Reply({"process_id": given or None, "events": records})
    return Reply({"process_id": process_id, "events": records})


def offline_list(state: PortalState, caller: Caller, p: Params) -> Reply:
    """Read the queue without changing it: normal, reserved and errored rows, 50 a page (§2.7)."""
    _admin_only(state, caller)
    where = parse_filter(p.get("filter"), LIST_FIELDS)
    order = parse_order(p.get("order"), LIST_FIELDS, {"ID": "ASC"})
    start = max(0, p.integer("start", 0))
    rows = state.queue.select(caller.connector, where, order)
    page = [row.record() for row in rows[start : start + PAGE_SIZE]]
    more = start + PAGE_SIZE < len(rows)
    return Reply(page, total=len(rows), next=start + PAGE_SIZE if more else None)


def _process_id(p: Params) -> str:
    process_id = p.text("process_id")
    if not process_id:
        raise argument_error("PROCESS_ID")
    return process_id


def _message_ids(p: Params, required: bool) -> list[str] | None:
    """message_id must be an array of 32-char strings (core, spec §2.8, §7.10)."""
    raw = p.get("message_id")
    if raw is None and not required:
        return None
    if not isinstance(raw, list) or not all(isinstance(m, str) and len(m) == 32 for m in raw):
        raise argument_error("MESSAGE_ID", "Argument 'MESSAGE_ID' must be an array of message IDs")
    return raw


def _row_ids(p: Params) -> list[int] | None:
    raw = p.get("id")
    if raw is None:
        return None
    if not isinstance(raw, list) or not all(str(i).isdigit() and int(i) > 0 for i in raw):
        raise argument_error("ID", "Argument 'ID' must be an array of positive integers")
    return [int(i) for i in raw]


def offline_clear(state: PortalState, caller: Caller, p: Params) -> Reply:
    """Delete rows of a reservation, all or only some message_id[] / id[] (spec §2.8)."""
    _admin_only(state, caller)
    process_id = _process_id(p)
    message_ids = _message_ids(p, required=False)
    row_ids = _row_ids(p) if message_ids is None else None  # message_id takes precedence
    rows = state.queue.reserved(caller.connector, process_id)
    if message_ids is not None:
        rows = [r for r in rows if r.message_id in message_ids]
    elif row_ids is not None:
        rows = [r for r in rows if r.id in row_ids]
    state.queue.delete(rows)
    return Reply(True)


def offline_error(state: PortalState, caller: Caller, p: Params) -> Reply:
    """Flag reserved rows as failed and release them (spec §2.9); an empty list does nothing.

    Only un-flagged rows change (the core's `ERROR=0` condition): re-failed rows stay reserved.
    """
    _admin_only(state, caller)
    process_id = _process_id(p)
    message_ids = _message_ids(p, required=True) or []
    rows = [
        r for r in state.queue.reserved(caller.connector, process_id) if r.message_id in message_ids
    ]
    state.queue.mark_error(rows)
    return Reply(True)


METHODS = {
    "event.offline.get": MethodSpec(offline_get, app_only=True),
    "event.offline.list": MethodSpec(offline_list, app_only=True),
    "event.offline.clear": MethodSpec(offline_clear, app_only=True),
    "event.offline.error": MethodSpec(offline_error, app_only=True),
}
