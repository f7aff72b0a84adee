"""b24monitor's own requests through the tunnel stay within budget, with simulated time.

The tunnel's clock is injected: every tick it waits advances simulated time at once, so hours
pass in about a second of real time. The requests are counted by the fake agent's edge, which
sees every request that went through the public URL.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import httpx
import pytest
from fake_ngrok_support import FORM, Recorder, make_tunnel, ngrok_settings

from b24monitor.services.session import Session
from b24monitor.services.tunnel import Tunnel
from b24monitor.services.tunnel_budget import IDLE_PROBE_INTERVAL, Clock
from b24monitor.services.tunnel_ledger import TrafficLedger


class SimulatedTime:
    """Monotonic and wall clocks that only move when the tunnel sleeps, up to where the test is.

    Time stands still at the point `until()` asked for, so what the test sees there is exact.
    """

    def __init__(self) -> None:
        self.mono = 1000.0
        self.wall = time.time()
        self.limit = self.mono

    def clock(self) -> Clock:
        return Clock(mono=lambda: self.mono, wall=lambda: self.wall, sleep=self.sleep)

    async def sleep(self, seconds: float) -> None:
        while self.mono >= self.limit:  # noqa: ASYNC110 (time stands still until the test moves)
            await asyncio.sleep(0.002)
        self.mono += seconds
        self.wall += seconds
        await asyncio.sleep(0)

    async def until(self, mono: float) -> None:
        self.limit = mono
        deadline = time.monotonic() + 60
        while self.mono < mono:
            assert time.monotonic() < deadline, "simulated time stopped moving"
            await asyncio.sleep(0.002)


def edge_requests(fake_state: Path) -> list[dict[str, str]]:
    path = fake_state / "edge.jsonl"
    lines = path.read_text().splitlines() if path.exists() else []
    return [json.loads(line) for line in lines]


def probes(fake_state: Path) -> int:
    return sum(1 for r in edge_requests(fake_state) if r["path"].startswith("/probe/"))


async def started(session: Session, tmp_path: Path, sim: SimulatedTime) -> Tunnel:
    settings = ngrok_settings(tmp_path, probe_interval=IDLE_PROBE_INTERVAL)
    tunnel = make_tunnel(session, settings, Recorder(), clock=sim.clock())
    state = await tunnel.start()
    assert state.state == "reachable"
    return tunnel


@pytest.mark.asyncio
async def test_idle_listener_sends_at_most_its_budget(
    tmp_path: Path, fake_state: Path, session: Session
) -> None:
    sim = SimulatedTime()
    tunnel = await started(session, tmp_path, sim)
    try:
        await sim.until(sim.mono + 600)  # ten idle minutes: only the start probe
        assert probes(fake_state) == 1
        await sim.until(sim.mono + 3 * 3600)  # three idle hours: two probes an hour at most
        idle_hours = probes(fake_state)
    finally:
        await tunnel.stop()
    assert 1 + 3 <= idle_hours <= 1 + 3 * 2
    assert tunnel.ledger.own == idle_hours  # counted as b24monitor's own requests


@pytest.mark.asyncio
async def test_busy_listener_sends_no_probes(
    tmp_path: Path, fake_state: Path, session: Session
) -> None:
    sim = SimulatedTime()
    tunnel = await started(session, tmp_path, sim)
    url = tunnel.public_url
    assert url is not None
    try:
        async with httpx.AsyncClient() as client:
            end = sim.mono + 2 * 3600
            while sim.mono < end:  # a delivery every ~10 simulated minutes, for two hours
                await sim.until(sim.mono + 600)
                response = await client.post(
                    url + session.handler_path, content=b"event=ONTASKADD", headers=FORM
                )
                assert response.status_code == 200
        await sim.until(sim.mono + 5)  # the last arrival is taken on the next tick
        proof = tunnel.last_proof
    finally:
        await tunnel.stop()
    assert probes(fake_state) == 1  # the start probe; deliveries proved the path ever since
    assert tunnel.ledger.deliveries >= 11 and tunnel.ledger.own == 1
    assert proof is not None and proof >= sim.wall - 600 - 5


@pytest.mark.asyncio
async def test_wake_from_sleep_probes_at_once(
    tmp_path: Path, fake_state: Path, session: Session
) -> None:
    sim = SimulatedTime()
    tunnel = await started(session, tmp_path, sim)
    try:
        await sim.until(sim.mono + 5)
        sim.wall += 3600  # suspended: the wall clock ran on, the monotonic one stood still
        await sim.until(sim.mono + 5)
        woke = probes(fake_state)
    finally:
        await tunnel.stop()
    assert woke == 2


@pytest.mark.asyncio
async def test_failing_probes_back_off(
    tmp_path: Path, fake_state: Path, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_NGROK_MODE", "edge_error=3200")
    sim = SimulatedTime()
    settings = ngrok_settings(tmp_path, probe_interval=IDLE_PROBE_INTERVAL)
    tunnel = make_tunnel(session, settings, Recorder(), clock=sim.clock())
    try:
        assert (await tunnel.start()).state == "unreachable"
        await sim.until(sim.mono + 600)
    finally:
        await tunnel.stop()
    # Retries after 30, 60, 120 and 240 s: 5 probes in ten minutes, not 120 (one per 5 s).
    assert probes(fake_state) == 5


def test_ledger_counts_the_month_persists_and_warns_near_the_quota(tmp_path: Path) -> None:
    now = [time.mktime((2026, 12, 3, 12, 0, 0, 0, 0, -1))]
    path = tmp_path / "tunnel-traffic.json"
    ledger = TrafficLedger(path, wall=lambda: now[0])
    ledger.count_own(3)
    ledger.count_deliveries(15_000)
    assert ledger.warning() is None
    ledger.count_deliveries(996)
    ledger.save()
    again = TrafficLedger(path, wall=lambda: now[0])  # a restart keeps the month's counts
    assert (again.own, again.deliveries) == (3, 15_996)
    assert again.warning() is None
    again.count_own()
    warning = again.warning()
    assert warning is not None and warning.startswith(
        "16,000 requests went through the ngrok tunnel this month (4 of them b24monitor's own) "
        "of the 20,000 ngrok's free plan allows — past that ngrok blocks every request, "
        "Bitrix24's deliveries included (ERR_NGROK_727)"
    )
    now[0] = time.mktime((2027, 1, 1, 0, 30, 0, 0, 0, -1))
    again.count_own()
    assert (again.month, again.own, again.deliveries) == ("2027-01", 1, 0)
