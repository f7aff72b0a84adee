"""CRM activities: deals, leads, contacts, companies and smart-process items change.

`data` carries only the ID (spec §6.1), plus ENTITY_TYPE_ID for smart-process items and the new
pipeline for ONCRMDEALMOVETOCATEGORY. Updates are partly made by robots, as on real portals.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from b24monitor.sandbox.catalog import DEFAULT_SMART_PROCESSES
from b24monitor.sandbox.world import (
    CLIENTS,
    DEALS,
    FIRST_NAMES,
    LAST_NAMES,
    Action,
    Event,
    World,
)

SMART_PROCESS = next(iter(DEFAULT_SMART_PROCESSES))


def _title(kind: str, w: World) -> str:
    person = f"{w.pick(FIRST_NAMES)} {w.pick(LAST_NAMES)}"
    titles = {
        "deal": f"{w.pick(DEALS)} для {w.pick(CLIENTS)}",
        "lead": f"Заявка с сайта: {person}",
        "contact": person,
        "company": w.pick(CLIENTS),
    }
    return titles[kind]


def _fields(kind: str, w: World) -> Callable[[], dict[str, Any]]:
    def make() -> dict[str, Any]:
        return {"TITLE": _title(kind, w), "STAGE_ID": "NEW", "ASSIGNED_BY_ID": str(w.actor() or 1)}

    return make


def crm(kind: str, verb: str, robot_share: float = 0.0) -> Action:
    """An ADD, UPDATE or DELETE of a deal, lead, contact or company."""

    def act(w: World) -> Event:
        if verb == "ADD":
            item_id = w.entities.add(kind, _fields(kind, w)())
        else:
            item_id = w.existing(kind, _fields(kind, w))
        if verb == "DELETE":
            w.entities.delete(kind, item_id)
        elif verb == "UPDATE":
            w.entities.update(kind, item_id, {"STAGE_ID": w.pick(("PREPARATION", "WON"))})
        code = f"ONCRM{kind.upper()}{verb}"
        return code, {"FIELDS": {"ID": str(item_id)}}, w.actor(robot_share)

    return act


def move_deal(w: World) -> Event:
    """A deal moves to another pipeline (often by a robot)."""
    deal = w.existing("deal", _fields("deal", w))
    w.entities.update("deal", deal, {"CATEGORY_ID": "2", "STAGE_ID": "C2:NEW"})
    data = {"FIELDS": {"ID": str(deal), "CATEGORY_ID": "2", "STAGE_ID": "C2:NEW"}}
    return "ONCRMDEALMOVETOCATEGORY", data, w.actor(0.5)


def dynamic(verb: str) -> Action:
    """An ADD, UPDATE or DELETE of a smart-process item."""

    def act(w: World) -> Event:
        def fields() -> dict[str, Any]:
            return {"title": f"Проект «{w.pick(CLIENTS)}»", "entityTypeId": SMART_PROCESS}

        if verb == "ADD":
            item_id = w.entities.add("dynamic", fields())
        else:
            item_id = w.existing("dynamic", fields)
        if verb == "DELETE":
            w.entities.delete("dynamic", item_id)
        data = {"FIELDS": {"ID": str(item_id), "ENTITY_TYPE_ID": str(SMART_PROCESS)}}
        return f"ONCRMDYNAMICITEM{verb}", data, w.actor(0.2)

    return act


def typed_variants(verb: str) -> tuple[str, ...]:
    """The type-specific codes a smart-process event also reaches (`..._1032`)."""
    return tuple(f"ONCRMDYNAMICITEM{verb}_{t}" for t in DEFAULT_SMART_PROCESSES)
