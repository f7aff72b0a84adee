"""The hostile-body budget: a sliding minute and a running total."""

from __future__ import annotations

from b24monitor.core.budget import HostileBudget, StoreLimits


def test_the_per_minute_budget_slides() -> None:
    budget = HostileBudget(StoreLimits(hostile_per_minute=3, hostile_total_bytes=10**9))
    assert [budget.admit(10, 100.0 + i) for i in range(5)] == [True, True, True, False, False]
    assert budget.admit(10, 160.0)  # the first one left the minute
    assert not budget.admit(10, 160.5)


def test_the_total_counts_what_was_stored_before() -> None:
    budget = HostileBudget(StoreLimits(hostile_total_bytes=1000), used_bytes=900)
    assert not budget.admit(200, 0.0)
    assert budget.admit(100, 0.0)
    assert not budget.admit(1, 0.0)
    assert budget.used_bytes == 1000
