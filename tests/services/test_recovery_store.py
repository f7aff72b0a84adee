"""Matching queue rows against stored online deliveries, and storing the missed ones once."""

from __future__ import annotations

import json
from pathlib import Path

from b24monitor.core.offline_match import QueueRow
from b24monitor.core.phpform import build_form
from b24monitor.services.recovery_store import RecoveryStore
from b24monitor.services.store import EventStore, connect

AT = 1_764_327_792  # 2025-11-28T14:03:12+03:00


def online(db: Path, event: str, entity: str, ts: int, *, status: str = "ok") -> None:
    payload = {"event": event, "data": {"FIELDS": {"ID": entity}}, "ts": str(ts)}
    conn = connect(db)
    conn.execute(
        "INSERT INTO events(received_at, event, entity_id, ts, status, http_status, method, path,"
        " size, content_type, headers, body, data) VALUES (?,?,?,?,?,200,'POST','/h',0,'f','[]',"
        "?,?)",
        (ts, event, entity, ts, status, build_form(payload).encode(), json.dumps(payload)),
    )
    conn.close()


def row(entity: str, when: str, message_id: str = "a" * 32) -> QueueRow:
    return QueueRow("ONCRMDEALUPDATE", {"FIELDS": {"ID": entity}}, when, message_id, "1")


def test_a_row_is_covered_only_by_a_late_enough_ok_delivery_of_the_same_object(
    tmp_path: Path,
) -> None:
    db = tmp_path / "events.sqlite3"
    EventStore(db).close()
    at = AT
    online(db, "ONCRMDEALUPDATE", "1", at - 1)  # within the tolerance
    online(db, "ONCRMDEALUPDATE", "2", at - 60)  # an older change: the newer one was missed
    online(db, "ONCRMDEALUPDATE", "3", at, status="rejected")  # a forged POST covers nothing
    online(db, "ONCRMDEALADD", "4", at)  # another event of the same object
    store = RecoveryStore(db)
    when = "2025-11-28T14:03:12+03:00"
    rows = [row(str(i), when) for i in range(1, 5)]
    assert store.covered(rows) == {0}
    store.close()


def test_recovered_events_are_stored_once_with_their_row_time_and_no_auth(tmp_path: Path) -> None:
    db = tmp_path / "events.sqlite3"
    EventStore(db).close()
    store = RecoveryStore(db)
    missed = [row("7", "2025-11-28T14:03:12+03:00")]
    first = store.store_recovered(missed, member_id="m1", portal="acme.bitrix24.com",
                                  sender="acme")  # fmt: skip
    again = store.store_recovered(missed, member_id="m1", portal="acme.bitrix24.com")
    store.close()
    assert len(first) == 1 and again == []
    reader = EventStore(db)
    [ev] = reader.fetch(first)
    reader.close()
    assert (ev.origin, ev.event, ev.entity_id, ev.verified) == ("recovered", "ONCRMDEALUPDATE",
                                                                 "7", True)  # fmt: skip
    assert ev.received_at == AT and ev.ts == AT and ev.sender == "acme"
    assert ev.data is not None and "auth" not in ev.data
    assert ev.payload_data == {"FIELDS": {"ID": "7"}}
