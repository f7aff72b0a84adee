"""Read-only methods a real client calls first: user.current, server.time, crm.deal.list,
tasks.task.list — so an SDK pointed at the sandbox (spec §5.1) starts without errors.

Lists page like the portal's (spec §5.6): at most 50 items, `total`, and `next` while more
exist; `start=-1` drops the count (and `next`), for clients that page by a `>ID` filter.
Simplified: filters understand `ID` and `>ID` / `<ID` only, ordering only by ID.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from b24monitor.sandbox.calls import Caller, MethodSpec, Params, Reply
from b24monitor.sandbox.state import PortalState

PAGE = 50


def user_current(state: PortalState, caller: Caller, p: Params) -> Reply:
    """The calling user, as user.get shows users."""
    user = state.users.get(caller.user_id)
    return Reply(user.record() if user is not None else {"ID": str(caller.user_id)})


def server_time(state: PortalState, caller: Caller, p: Params) -> Reply:
    """The portal's clock, ISO-8601 with its UTC offset (like `date_start` of spec §5.7)."""
    now = datetime.fromtimestamp(state.edition.now()).astimezone()
    return Reply(now.isoformat(timespec="seconds"))


def crm_deal_list(state: PortalState, caller: Caller, p: Params) -> Reply:
    """Deals by ID, one page at a time."""
    return _page(_items(state, "deal", p), p, lambda item: item)


def tasks_task_list(state: PortalState, caller: Caller, p: Params) -> Reply:
    """Tasks by ID as {tasks: [...]} with lowerCamel field names, one page at a time."""
    reply = _page(_items(state, "task", p), p, _camel)
    return Reply({"tasks": reply.result}, total=reply.total, next=reply.next)


def _camel(item: dict[str, Any]) -> dict[str, Any]:
    return {key[:1].lower() + key[1:].lower(): value for key, value in item.items()}


def _items(state: PortalState, kind: str, p: Params) -> list[dict[str, Any]]:
    items = [state.entities.get(kind, i) for i in state.entities.ids(kind)]
    found = [item for item in items if item is not None and _matches(item, p.get("filter"))]
    order = p.get("order")
    descending = isinstance(order, dict) and str(order.get("ID", "")).upper() == "DESC"
    return sorted(found, key=lambda item: int(item["ID"]), reverse=descending)


def _matches(item: dict[str, Any], flt: Any) -> bool:
    if not isinstance(flt, dict):
        return True
    item_id = int(item["ID"])
    tests = {"ID": item_id.__eq__, ">ID": item_id.__gt__, "<ID": item_id.__lt__,
             ">=ID": item_id.__ge__, "<=ID": item_id.__le__}  # fmt: skip
    for key, value in flt.items():
        test = tests.get(str(key).upper())
        if test is not None and str(value).lstrip("-").isdigit() and not test(int(value)):
            return False
    return True


def _page(items: list[dict[str, Any]], p: Params, shape: Any) -> Reply:
    start = p.integer("start", 0)
    if start < 0:
        return Reply([shape(item) for item in items[:PAGE]])
    chunk = [shape(item) for item in items[start : start + PAGE]]
    more = start + PAGE < len(items)
    return Reply(chunk, total=len(items), next=start + PAGE if more else None)


METHODS: dict[str, MethodSpec] = {
    "user.current": MethodSpec(user_current, scope="user"),
    "server.time": MethodSpec(server_time),
    "crm.deal.list": MethodSpec(crm_deal_list, scope="crm"),
    "tasks.task.list": MethodSpec(tasks_task_list, scope="task"),
}
