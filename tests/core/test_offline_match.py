"""The safety net's pure half: queue rows, their time with the portal's offset, their object."""

from __future__ import annotations

from b24monitor.core.offline_match import parse_timestamp, queue_row
from b24monitor.core.offline_twins import twins_of
from b24monitor.core.subscriptions import Subscription


def test_timestamp_x_offset_is_applied() -> None:
    # 14:03:12 at +03:00 is 11:03:12 UTC (spec §2.6: TIMESTAMP_X carries the portal's offset).
    assert parse_timestamp("2025-11-28T14:03:12+03:00") == parse_timestamp("2025-11-28T11:03:12Z")
    assert parse_timestamp("not a time") is None


def test_row_names_its_object_and_covering_time() -> None:
    row = queue_row({"ID": "58", "TIMESTAMP_X": "2025-11-28T14:03:12+03:00",
                     "EVENT_NAME": "oncrmdealupdate", "EVENT_DATA": {"FIELDS": {"ID": "3187"}},
                     "EVENT_ADDITIONAL": {"user_id": "1"},
                     "MESSAGE_ID": "5f0c2d6b9a1e4c7d8b3a2f1e0d9c8b7a"})  # fmt: skip
    assert (row.event, row.object_id, row.user_id) == ("ONCRMDEALUPDATE", "3187", "1")
    at = parse_timestamp("2025-11-28T11:03:12+00:00")
    assert at is not None and row.earliest_covering_ts(2.0) == int(at) - 2
    assert row.payload == {"event": "ONCRMDEALUPDATE", "data": {"FIELDS": {"ID": "3187"}},
                           "ts": str(int(at))}  # fmt: skip
    assert row.source_key == "5f0c2d6b9a1e4c7d8b3a2f1e0d9c8b7a|2025-11-28T14:03:12+03:00"


def test_twins_follow_online_subscriptions_but_not_lifecycle_or_signals() -> None:
    wanted = {Subscription("ONCRMDEALADD"), Subscription("ONAPPTEST"),
              Subscription("ONTASKADD", "offline")}  # fmt: skip
    assert twins_of(wanted) == {Subscription("ONCRMDEALADD", "offline")}
