"""Ping: event.test → ONAPPTEST delivery, timed; the waiter is registered before the call."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from fake_rest import FakeClock, FakePortal, RestFault, installed_store

from b24monitor.core.errors import PingTimeout, WrongAuthType
from b24monitor.services.ping import NONCE_PARAM, ping
from b24monitor.services.portal_client import PortalClient


def make_client(tmp_path: Path, portal: FakePortal, clock: FakeClock) -> PortalClient:
    store = installed_store(tmp_path, portal)
    return PortalClient("acme", store, portal.client(), clock=clock, sleep=clock.sleep)


@pytest.mark.asyncio
async def test_latency_from_event_test_to_matching_delivery(tmp_path: Path) -> None:
    portal = FakePortal()
    clock = FakeClock()
    waiters: dict[str, asyncio.Future[None]] = {}

    def wait_for_delivery(nonce: str) -> asyncio.Future[None]:
        waiters[nonce] = asyncio.get_running_loop().create_future()
        return waiters[nonce]

    def event_test(params: dict[str, Any]) -> int:
        # The delivery "arrives" 0.8 s later, even before event.test has answered.
        clock.now += 0.8
        waiters[params[NONCE_PARAM]].set_result(None)
        return 1

    portal.methods["event.test"] = event_test
    latency = await ping(make_client(tmp_path, portal, clock), wait_for_delivery, clock=clock)
    assert latency == pytest.approx(0.8)
    assert portal.calls[0][1]["source"] == "b24monitor ping"


@pytest.mark.asyncio
async def test_no_delivery_is_a_ping_timeout(tmp_path: Path) -> None:
    portal = FakePortal()
    clock = FakeClock()
    portal.methods["event.test"] = lambda _p: 1
    futures: list[asyncio.Future[None]] = []

    def never(nonce: str) -> asyncio.Future[None]:
        futures.append(asyncio.get_running_loop().create_future())
        return futures[-1]

    with pytest.raises(PingTimeout, match=r"no ONAPPTEST delivery arrived within 0\.05 s"):
        await ping(make_client(tmp_path, portal, clock), never, within=0.05)
    assert futures[0].cancelled()


@pytest.mark.asyncio
async def test_a_refused_event_test_closes_a_coroutine_waiter(tmp_path: Path) -> None:
    portal = FakePortal()
    clock = FakeClock()

    def refuse(_params: dict[str, Any]) -> Any:
        raise RestFault(403, "WRONG_AUTH_TYPE", "Current authorization type is denied")

    portal.methods["event.test"] = refuse

    async def wait_for_delivery(nonce: str) -> None:
        await asyncio.sleep(10)

    with pytest.raises(WrongAuthType):
        await ping(make_client(tmp_path, portal, clock), wait_for_delivery)
