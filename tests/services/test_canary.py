"""The canary's verdicts: proof from live deliveries, lost round trips, the named cause."""

from __future__ import annotations

import pytest

from b24monitor.core.errors import PingTimeout
from b24monitor.services.canary import Canary, Health


class Path:
    """A stand-in portal path: each ping returns a latency or is lost."""

    def __init__(self) -> None:
        self.answers: list[float | None] = []
        self.pings = 0
        self.trips: list[float | None] = []
        self.seen: list[Health] = []
        self.now = 1000.0

    async def ping(self, within: float, source: str) -> float:
        self.pings += 1
        assert source == "b24monitor canary"
        answer = self.answers.pop(0)
        if answer is None:
            raise PingTimeout(within)
        return answer

    async def diagnose(self) -> str:
        return "the tunnel is unreachable"

    async def record(self, sent_at: float, ms: float | None) -> None:
        self.trips.append(ms)

    async def nothing(self) -> None:
        return None

    def canary(self) -> Canary:
        return Canary(interval=60, ping=self.ping, diagnose=self.diagnose,
                      watchdog=self.nothing, record=self.record, on_health=self.seen.append,
                      clock=lambda: self.now)  # fmt: skip


@pytest.mark.asyncio
async def test_two_lost_round_trips_are_broken_with_the_cause_and_one_answer_heals() -> None:
    path = Path()
    canary = path.canary()
    path.answers = [0.120, None, None, None, 0.080]
    for _ in range(5):
        await canary.cycle()
    assert path.trips == [120.0, None, None, None, 80.0]
    assert [(h.state, h.reason) for h in path.seen] == [
        ("ok", None),
        ("degraded", "one canary round trip was lost"),
        ("broken", "the tunnel is unreachable"),  # told once, not on the third loss
        ("ok", None),
    ]


@pytest.mark.asyncio
async def test_a_live_delivery_within_the_interval_is_proof_enough() -> None:
    path = Path()
    canary = path.canary()
    canary.saw_delivery(path.now - 10)
    await canary.cycle()
    assert path.pings == 0 and path.seen[-1].state == "ok"
    path.now += 61  # nothing arrived for a whole interval: now the canary flies
    path.answers = [0.05]
    await canary.cycle()
    assert path.pings == 1
