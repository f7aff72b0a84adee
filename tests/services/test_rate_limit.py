"""The client-side leaky bucket mirrors the portal's: burst 50, then 2 per second (spec §5.4)."""

from __future__ import annotations

import pytest
from fake_rest import FakeClock

from b24monitor.services.rate_limit import LeakyBucket


def test_burst_then_sustained_rate() -> None:
    clock = FakeClock()
    bucket = LeakyBucket(clock=clock, sleep=clock.sleep)
    waits = [bucket.reserve() for _ in range(54)]
    assert waits[:50] == [0.0] * 50
    assert waits[50:] == [0.5, 1.0, 1.5, 2.0]


def test_bucket_drains_over_time() -> None:
    clock = FakeClock()
    bucket = LeakyBucket(clock=clock, sleep=clock.sleep)
    for _ in range(50):
        bucket.reserve()
    clock.now += 10
    assert bucket.level == pytest.approx(30)
    clock.now += 100
    assert bucket.level == 0


def test_fill_makes_the_next_request_wait_one_slot() -> None:
    clock = FakeClock()
    bucket = LeakyBucket(rate=5, burst=250, clock=clock, sleep=clock.sleep)
    bucket.fill()
    assert bucket.reserve() == pytest.approx(0.2)


@pytest.mark.asyncio
async def test_acquire_sleeps_only_when_needed() -> None:
    clock = FakeClock()
    bucket = LeakyBucket(burst=2, clock=clock, sleep=clock.sleep)
    for _ in range(4):
        await bucket.acquire()
    assert clock.sleeps == [0.5, 0.5]  # sequential: the clock moved during the first sleep


def test_enterprise_plan_bursts_250_then_five_per_second() -> None:
    clock = FakeClock()
    bucket = LeakyBucket.for_plan("enterprise", clock=clock, sleep=clock.sleep)
    waits = [bucket.reserve() for _ in range(252)]
    assert waits[:250] == [0.0] * 250
    assert waits[250:] == [0.2, 0.4]


def test_plan_none_is_unpaced_until_the_portal_says_query_limit_exceeded() -> None:
    clock = FakeClock()
    bucket = LeakyBucket.for_plan("none", clock=clock, sleep=clock.sleep)
    assert [bucket.reserve() for _ in range(500)] == [0.0] * 500
    bucket.fill()  # a self-hosted portal with a limit configured answered 503 (spec §5.4)
    assert bucket.paced
    assert bucket.reserve() == 0.5
