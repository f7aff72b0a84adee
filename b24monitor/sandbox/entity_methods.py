"""Methods for the objects events point at: crm.*.get/update, crm.item.get, tasks.task.get, users.

The reads let a monitor show "what changed" after an event (spec §1.5). `crm.*.update` fires
ONCRM<KIND>UPDATE like the real portal, also when nothing changed, with the caller's event-session
counter less one: a handler that writes back with the event's own token is stopped by the
portal's guard, one that uses a stored token starts a fresh count and can loop (spec §1.1).
Simplified: a few fields each, and the crm "Not found" answer of the real portal (400 with an
empty error code).
"""

from __future__ import annotations

from b24monitor.sandbox.api_errors import ApiError, argument_error
from b24monitor.sandbox.calls import Caller, Method, MethodSpec, Params, Reply
from b24monitor.sandbox.state import PortalState


def _not_found() -> ApiError:
    return ApiError(400, "", "Not found")


def _crm_get(kind: str) -> Method:
    def method(state: PortalState, caller: Caller, p: Params) -> Reply:
        item_id = p.integer("id", 0)
        if item_id <= 0:
            raise argument_error("ID", "ID is not defined or invalid.")
        item = state.entities.get(kind, item_id)
        if item is None:
            raise _not_found()
        return Reply(item)

    method.__doc__ = f"crm.{kind}.get: one {kind} by ID."
    return method


def _crm_update(kind: str) -> Method:
    def method(state: PortalState, caller: Caller, p: Params) -> Reply:
        item_id = p.integer("id", 0)
        if item_id <= 0:
            raise argument_error("ID", "ID is not defined or invalid.")
        if state.entities.get(kind, item_id) is None:
            raise _not_found()
        fields = p.get("fields")
        state.entities.update(kind, item_id, dict(fields) if isinstance(fields, dict) else {})
        code = f"ONCRM{kind.upper()}UPDATE"
        state.sink.emit_soon(code, {"FIELDS": {"ID": str(item_id)}}, caller.user_id,
                             caller.session - 1)  # fmt: skip
        return Reply(True)

    method.__doc__ = f"crm.{kind}.update: change a {kind}'s fields; fires ONCRM…UPDATE."
    return method


def crm_item_get(state: PortalState, caller: Caller, p: Params) -> Reply:
    """crm.item.get: a smart-process item by entityTypeId and id, as {item: {...}}."""
    type_id = p.integer("entityTypeId", 0)
    item = state.entities.get("dynamic", p.integer("id", 0))
    if item is None or item.get("entityTypeId") != type_id:
        raise _not_found()
    return Reply({"item": item})


def task_get(state: PortalState, caller: Caller, p: Params) -> Reply:
    """tasks.task.get: one task by taskId, as {task: {...}}."""
    task = state.entities.get("task", p.integer("taskId", 0))
    if task is None:
        raise ApiError(400, "ERROR_CORE", "Task not found or not accessible")
    return Reply({"task": task})


def user_get(state: PortalState, caller: Caller, p: Params) -> Reply:
    """user.get: all users, or the one whose ID is given (ID or FILTER[ID])."""
    wanted = p.get("id")
    flt = p.get("filter")
    if wanted is None and isinstance(flt, dict):
        wanted = {str(k).upper(): v for k, v in flt.items()}.get("ID")
    users = [state.users.get(uid) for uid in state.users.ids()]
    records = [u.record() for u in users if u is not None]
    if wanted is not None:
        records = [r for r in records if r["ID"] == str(wanted)]
    return Reply(records, total=len(records))


_CRM_KINDS: tuple[str, ...] = ("deal", "lead", "contact", "company")
_crm_methods: dict[str, MethodSpec] = {
    **{f"crm.{kind}.get": MethodSpec(_crm_get(kind), scope="crm") for kind in _CRM_KINDS},
    **{f"crm.{kind}.update": MethodSpec(_crm_update(kind), scope="crm") for kind in _CRM_KINDS},
}

METHODS: dict[str, MethodSpec] = {
    **_crm_methods,
    "crm.item.get": MethodSpec(crm_item_get, scope="crm"),
    "tasks.task.get": MethodSpec(task_get, scope="task"),
    "user.get": MethodSpec(user_get, scope="user"),
}
