"""Everyday activities outside CRM: tasks, comments, calendar, hires, feed posts, phone calls.

Payload shapes follow spec §6.1: task events use FIELDS_BEFORE/FIELDS_AFTER with the literal
string `undefined` on the missing side, calendar events a lower-case `id`, ONUSERADD a flat user
record, ONVOXIMPLANTCALLEND flat call fields.
"""

from __future__ import annotations

from typing import Any

from b24monitor.sandbox.users import User
from b24monitor.sandbox.world import (
    CLIENTS,
    FIRST_NAMES,
    LAST_NAMES,
    MEETINGS,
    TASKS,
    Action,
    Event,
    World,
)

UNDEFINED = "undefined"  # spec §1.3


def _task_data(before: Any, after: Any, seen_before: str, seen_after: str) -> dict[str, Any]:
    return {
        "FIELDS_BEFORE": before,
        "FIELDS_AFTER": after,
        "IS_ACCESSIBLE_BEFORE": seen_before,
        "IS_ACCESSIBLE_AFTER": seen_after,
    }


def _task_fields(w: World) -> dict[str, Any]:
    return {"TITLE": f"{w.pick(TASKS)}: {w.pick(CLIENTS)}", "STATUS": "2"}


def task_add(w: World) -> Event:
    """A task is created."""
    task = {"ID": str(w.entities.add("task", _task_fields(w)))}
    return "ONTASKADD", _task_data(UNDEFINED, task, "N", UNDEFINED), w.actor()


def task_update(w: World) -> Event:
    """A task changes (sometimes through a workflow)."""
    task_id = w.existing("task", lambda: _task_fields(w))
    w.entities.update("task", task_id, {"STATUS": "3"})
    task = {"ID": str(task_id)}
    return "ONTASKUPDATE", _task_data(task, task, UNDEFINED, UNDEFINED), w.actor(0.1)


def task_delete(w: World) -> Event:
    """A task is deleted."""
    task_id = w.existing("task", lambda: _task_fields(w))
    w.entities.delete("task", task_id)
    data = _task_data({"ID": str(task_id)}, UNDEFINED, UNDEFINED, "N")
    return "ONTASKDELETE", data, w.actor()


def task_comment(w: World) -> Event:
    """Somebody comments on a task."""
    task_id = w.existing("task", lambda: _task_fields(w))
    comment = w.entities.add("task_comment", {"TASK_ID": str(task_id)})
    after = {"ID": str(comment), "TASK_ID": str(task_id)}
    return "ONTASKCOMMENTADD", _task_data(UNDEFINED, after, UNDEFINED, UNDEFINED), w.actor()


def calendar(verb: str) -> Action:
    """An ADD, UPDATE or DELETE of a calendar entry."""

    def act(w: World) -> Event:
        def fields() -> dict[str, Any]:
            return {"NAME": w.pick(MEETINGS)}

        if verb == "ADD":
            entry = w.entities.add("calendar", fields())
        else:
            entry = w.existing("calendar", fields)
        if verb == "DELETE":
            w.entities.delete("calendar", entry)
        return f"ONCALENDARENTRY{verb}", {"id": str(entry)}, w.actor()

    return act


def user_add(w: World) -> Event:
    """HR hires somebody."""
    user_id = w.users.next_id()
    user = User(
        user_id,
        w.pick(FIRST_NAMES),
        w.pick(LAST_NAMES),
        f"user{user_id}@sandbox.example",
        department=w.rng.choice((1, 3, 5)),
    )
    w.users.add(user)
    record = user.record()
    del record["ADMIN"]
    return "ONUSERADD", record, w.actor()


def post_add(w: World) -> Event:
    """Somebody posts in the activity stream."""
    post = w.entities.add("post", {"TITLE": "Итоги недели"})
    return "ONLIVEFEEDPOSTADD", {"FIELDS": {"POST_ID": str(post)}}, w.actor()


def call_end(w: World) -> Event:
    """A phone call ends; the PBX reports it, not a user's hit, so no tokens."""
    data = {
        "CALL_ID": f"externalCall.{w.rng.getrandbits(64):016x}",
        "CALL_TYPE": "2",
        "PHONE_NUMBER": f"+7916{w.rng.randrange(10**7):07d}",
        "PORTAL_USER_ID": str(w.actor() or 1),
        "CALL_DURATION": str(w.rng.randrange(5, 600)),
        "CALL_START_DATE": "2025-11-28T14:03:10+03:00",
        "COST": "0.00",
        "COST_CURRENCY": "RUR",
        "CALL_FAILED_CODE": "200",
        "CALL_FAILED_REASON": "Success call",
        "CRM_ACTIVITY_ID": str(w.rng.randrange(1000, 9999)),
    }
    return "ONVOXIMPLANTCALLEND", data, None
