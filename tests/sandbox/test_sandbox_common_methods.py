"""The read-only methods a client calls first, and list paging (spec §5.6)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from b24monitor.sandbox import SandboxPortal

if TYPE_CHECKING:
    from tests.sandbox.conftest import Rest

pytestmark = pytest.mark.asyncio


async def test_lists_page_fifty_with_total_and_next(
    portal: SandboxPortal, installed: tuple[Rest, dict]
):
    rest, _ = installed
    ids = [portal.state.entities.add("deal", {"TITLE": f"D{n}"}) for n in range(60)]
    status, first = await rest("crm.deal.list")
    assert status == 200 and len(first["result"]) == 50
    assert (first["total"], first["next"]) == (60, 50)
    _, last = await rest("crm.deal.list", {"start": 50})
    assert [d["ID"] for d in last["result"]] == [str(i) for i in ids[50:]]
    assert last["total"] == 60 and "next" not in last
    # start=-1: no count, page by an ID filter instead.
    _, fast = await rest("crm.deal.list", {"start": -1, "filter": {">ID": ids[54]},
                                           "order": {"ID": "ASC"}})  # fmt: skip
    assert [d["ID"] for d in fast["result"]] == [str(i) for i in ids[55:]]
    assert "total" not in fast and "next" not in fast


async def test_user_current_server_time_method_get_and_tasks(
    portal: SandboxPortal, installed: tuple[Rest, dict]
):
    rest, _ = installed
    assert (await rest("user.current"))[1]["result"]["ID"] == "1"
    assert (await rest("server.time"))[1]["result"][19:20] in ("+", "-")
    got = (await rest("method.get", {"name": "event.bind"}))[1]["result"]
    assert got == {"isExisting": True, "isAvailable": True}
    got = (await rest("method.get", {"name": "no.such.method"}))[1]["result"]
    assert got == {"isExisting": False, "isAvailable": False}
    portal.state.entities.add("task", {"TITLE": "Call back", "STATUS": "2"})
    _, tasks = await rest("tasks.task.list")
    assert tasks["result"] == {"tasks": [{"id": "905", "title": "Call back", "status": "2"}]}
    assert tasks["total"] == 1
