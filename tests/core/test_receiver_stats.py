"""What the receiver watch tells the user, and when."""

from __future__ import annotations

from b24monitor.core.receiver_stats import ReceiverStats, ReceiverWatch, watch_text


def test_connection_counts_once_a_minute_and_only_when_they_grew() -> None:
    watch = ReceiverWatch(every_s=60)
    assert watch.check(ReceiverStats(aborted=2), 0.0) == []
    assert watch.check(ReceiverStats(aborted=5), 30.0) == []
    first = watch.check(ReceiverStats(aborted=5, refused=1), 60.0)
    assert first == [{"type": "receiver", "aborted": 5, "refused": 1, "timeouts": 0}]
    assert watch.check(ReceiverStats(aborted=5, refused=1), 120.0) == []  # nothing new
    last = watch.check(ReceiverStats(aborted=6, refused=1, timeouts=4), 130.0, final=True)
    assert last == [{"type": "receiver", "aborted": 1, "refused": 0, "timeouts": 4}]
    assert (
        watch_text(last[0]) == "receiver: 1 aborted, 0 refused, 4 timed out since the last report"
    )


def test_the_budget_is_told_once_and_the_disk_on_every_change() -> None:
    watch = ReceiverWatch()
    told = watch.check(ReceiverStats(bodies_not_kept=1, disk="low", free_bytes=500 * 2**20), 1.0)
    assert [t["type"] for t in told] == ["budget", "disk"]
    assert "500 MiB" in told[1]["message"]
    assert watch.check(ReceiverStats(bodies_not_kept=9, disk="low"), 2.0) == []
    floor = watch.check(ReceiverStats(bodies_not_kept=9, disk="floor", free_bytes=2**20), 3.0)
    assert floor[0]["level"] == "floor" and "only verified" in floor[0]["message"]
