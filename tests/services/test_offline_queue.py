"""Offline queue: read-only listing, safe reserve → clear/error, destructive only on request."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest
from fake_rest import TIME, FakeClock, FakePortal, RestFault, installed_store

from b24monitor.core.errors import DestructiveReadRefused, PortalAccessDenied
from b24monitor.services.offline_queue import OfflineQueue, OfflineRecord
from b24monitor.services.portal_client import PortalClient

PROCESS_ID = "hQ3vXb9LmT0aZr5KcW8yNd2Jf6Up1sGe"
# event.offline.get's records (spec §2.6).
RESERVED = [
    {
        "ID": "58",
        "TIMESTAMP_X": "2025-11-28T14:03:12+03:00",
        "EVENT_NAME": "ONCRMDEALUPDATE",
        "EVENT_DATA": {"FIELDS": {"ID": "3187"}},
        "EVENT_ADDITIONAL": {"user_id": "1"},
        "MESSAGE_ID": "5f0c2d6b9a1e4c7d8b3a2f1e0d9c8b7a",
    },
    {
        "ID": "61",
        "TIMESTAMP_X": "2025-11-28T14:04:40+03:00",
        "EVENT_NAME": "ONTASKADD",
        "EVENT_DATA": {
            "FIELDS_BEFORE": "undefined",
            "FIELDS_AFTER": {"ID": "905"},
            "IS_ACCESSIBLE_BEFORE": "N",
            "IS_ACCESSIBLE_AFTER": "undefined",
        },
        "EVENT_ADDITIONAL": {"user_id": "7"},
        "MESSAGE_ID": "a04b9e51c7d2f3e6b8a1c0d9e2f3a4b5",
    },
]


def make_queue(tmp_path: Path, portal: FakePortal, extended: bool = True) -> OfflineQueue:
    portal.methods["feature.get"] = lambda p: {"value": "Y" if extended else "N"}
    portal.methods["event.offline.get"] = lambda p: {
        "process_id": PROCESS_ID if str(p.get("clear")) == "0" else None,
        "events": RESERVED,
    }
    portal.methods["event.offline.clear"] = lambda p: True
    portal.methods["event.offline.error"] = lambda p: True
    clock = FakeClock()
    store = installed_store(tmp_path, portal)
    return OfflineQueue(
        PortalClient("acme", store, portal.client(), clock=clock, sleep=clock.sleep)
    )


def calls_of(portal: FakePortal) -> list[tuple[str, dict[str, Any]]]:
    return [(m, p) for m, p in portal.calls if m != "feature.get"]


@pytest.mark.asyncio
async def test_list_all_reads_every_page_with_process_id_and_error(tmp_path: Path) -> None:
    portal = FakePortal()
    queue = make_queue(tmp_path, portal)
    rows = [
        {**RESERVED[0], "PROCESS_ID": "", "ERROR": "0"},
        {**RESERVED[1], "PROCESS_ID": PROCESS_ID, "ERROR": "1"},
    ] * 30

    def page(params: dict[str, Any]) -> httpx.Response:
        start = int(params.get("start", 0))
        body: dict[str, Any] = {"result": rows[start : start + 50], "total": 60, "time": TIME}
        if start == 0:
            body["next"] = 50
        return httpx.Response(200, json=body)

    portal.methods["event.offline.list"] = page
    records = await queue.list_all({"=EVENT_NAME": "ONTASKADD"})
    assert len(records) == 60
    assert records[1] == OfflineRecord(
        id=61,
        event="ONTASKADD",
        timestamp="2025-11-28T14:04:40+03:00",
        message_id="a04b9e51c7d2f3e6b8a1c0d9e2f3a4b5",
        data=RESERVED[1]["EVENT_DATA"],
        additional={"user_id": "7"},
        process_id=PROCESS_ID,
        error=True,
    )
    assert records[1].user_id == "7"
    assert portal.calls[0][1] == {"filter": {"=EVENT_NAME": "ONTASKADD"}}


@pytest.mark.asyncio
async def test_safe_consume_reserves_processes_and_clears(tmp_path: Path) -> None:
    portal = FakePortal()
    queue = make_queue(tmp_path, portal)
    seen: list[Sequence[OfflineRecord]] = []

    async def handle(records: Sequence[OfflineRecord]) -> list[str]:
        seen.append(records)
        return []

    result = await queue.consume_safely(handle, limit=10)
    assert [r.id for r in seen[0]] == [58, 61]
    assert calls_of(portal) == [
        ("event.offline.get", {"clear": 0, "limit": 10, "error": 0}),
        # Exactly the processed rows: a bare clear would also delete re-failed rows (§2.9).
        (
            "event.offline.clear",
            {"process_id": PROCESS_ID, "message_id": [r["MESSAGE_ID"] for r in RESERVED]},
        ),
    ]
    assert (result.process_id, result.destructive, result.failed) == (PROCESS_ID, False, ())
    assert result.cleared == (RESERVED[0]["MESSAGE_ID"], RESERVED[1]["MESSAGE_ID"])


@pytest.mark.asyncio
async def test_failed_rows_are_flagged_before_the_rest_is_cleared(tmp_path: Path) -> None:
    portal = FakePortal()
    queue = make_queue(tmp_path, portal)
    failed_id = str(RESERVED[1]["MESSAGE_ID"])

    async def handle(records: Sequence[OfflineRecord]) -> list[str]:
        return [failed_id, "not-in-this-batch"]

    result = await queue.consume_safely(handle)
    assert [m for m, _ in calls_of(portal)] == [
        "event.offline.get",
        "event.offline.error",
        "event.offline.clear",
    ]
    assert calls_of(portal)[1][1] == {"process_id": PROCESS_ID, "message_id": [failed_id]}
    assert result.failed == (failed_id,)
    assert failed_id not in calls_of(portal)[2][1]["message_id"]
    assert result.cleared == (RESERVED[0]["MESSAGE_ID"],)


@pytest.mark.asyncio
async def test_a_crashing_handler_flags_everything_and_clears_nothing(tmp_path: Path) -> None:
    portal = FakePortal()
    queue = make_queue(tmp_path, portal)

    async def handle(records: Sequence[OfflineRecord]) -> list[str]:
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        await queue.consume_safely(handle)
    assert [m for m, _ in calls_of(portal)] == ["event.offline.get", "event.offline.error"]
    assert len(calls_of(portal)[1][1]["message_id"]) == 2


@pytest.mark.asyncio
async def test_a_failing_error_call_clears_nothing(tmp_path: Path) -> None:
    portal = FakePortal()
    queue = make_queue(tmp_path, portal)

    def refuse(_params: dict[str, Any]) -> Any:
        raise RestFault(403, "ACCESS_DENIED", "Access denied!")

    portal.methods["event.offline.error"] = refuse

    async def handle(records: Sequence[OfflineRecord]) -> list[str]:
        return [str(RESERVED[0]["MESSAGE_ID"])]

    with pytest.raises(PortalAccessDenied, match="offline events need a portal administrator"):
        await queue.consume_safely(handle)
    assert "event.offline.clear" not in [m for m, _ in portal.calls]


@pytest.mark.asyncio
async def test_without_extended_feature_destructive_read_needs_confirmation(
    tmp_path: Path,
) -> None:
    portal = FakePortal()
    queue = make_queue(tmp_path, portal, extended=False)

    async def handle(records: Sequence[OfflineRecord]) -> list[str]:
        return []

    with pytest.raises(DestructiveReadRefused, match="rest_offline_extended"):
        await queue.consume_safely(handle)
    assert calls_of(portal) == []
    result = await queue.consume_safely(handle, confirm_destructive=True)
    assert calls_of(portal) == [("event.offline.get", {"clear": 1, "limit": 50, "error": 0})]
    assert result.destructive and len(result.cleared) == 2


@pytest.mark.asyncio
async def test_empty_queue_and_reprocessing_errors(tmp_path: Path) -> None:
    portal = FakePortal()
    queue = make_queue(tmp_path, portal)
    portal.methods["event.offline.get"] = lambda p: {"process_id": PROCESS_ID, "events": []}

    async def handle(records: Sequence[OfflineRecord]) -> list[str]:
        raise AssertionError("not called for an empty queue")

    result = await queue.consume_safely(handle, errors=True)
    assert result.records == ()
    assert calls_of(portal) == [("event.offline.get", {"clear": 0, "limit": 50, "error": 1})]


@pytest.mark.asyncio
async def test_mark_error_sends_an_array(tmp_path: Path) -> None:
    portal = FakePortal()
    queue = make_queue(tmp_path, portal)
    await queue.mark_error(PROCESS_ID, [])
    await queue.mark_error(PROCESS_ID, ("5f0c2d6b9a1e4c7d8b3a2f1e0d9c8b7a",))
    assert calls_of(portal) == [
        (
            "event.offline.error",
            {"process_id": PROCESS_ID, "message_id": ["5f0c2d6b9a1e4c7d8b3a2f1e0d9c8b7a"]},
        )
    ]


@pytest.mark.parametrize(
    ("value", "available"),
    [("Y", True), ("ru_selfhosted", True), ("en_selfhosted", True), ("N", False), ("", False),
     (None, False), ("n", False)],
)  # fmt: skip
def test_feature_values_of_cloud_and_self_hosted_portals(value: Any, available: bool) -> None:
    from b24monitor.services.offline_queue import feature_available

    assert feature_available(value) is available
