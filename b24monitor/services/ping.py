"""Ping: fire ONAPPTEST with event.test and time how long the delivery takes to arrive (spec §2.5).

event.test echoes its parameters into the delivery's `data.QUERY`, so a random nonce identifies
our own test event. The session provides `wait_for_delivery(nonce)`: it must register its
waiter when called (e.g. return a Future it resolves when the receiver stores an ONAPPTEST whose
data.QUERY.nonce matches) — registration happens before event.test is sent, so a fast delivery
cannot slip past it. ONAPPTEST must be bound online at the current handler URL (the
SubscriptionManager does that with ping=True).
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any

from b24monitor.core.errors import PingTimeout
from b24monitor.services.portal_client import PortalClient

NONCE_PARAM = "nonce"
"""The event.test parameter carrying the nonce; arrives as data[QUERY][nonce]."""

WaitForDelivery = Callable[[str], Awaitable[Any]]


async def ping(
    client: PortalClient,
    wait_for_delivery: WaitForDelivery,
    *,
    within: float = 30.0,
    clock: Callable[[], float] = time.monotonic,
    source: str = "b24monitor ping",
) -> float:
    """Seconds from sending event.test to the matching ONAPPTEST delivery (at most `within`)."""
    nonce = secrets.token_hex(8)
    arrival = wait_for_delivery(nonce)  # registered now, before the event can exist
    started = clock()
    try:
        await client.call("event.test", {NONCE_PARAM: nonce, "source": source})
        async with asyncio.timeout(within):
            await arrival
    except TimeoutError:
        raise PingTimeout(within) from None
    finally:
        _discard(arrival)
    return clock() - started


def _discard(arrival: Awaitable[Any]) -> None:
    """Cancel a waiter that will never be awaited again (no 'never awaited' warnings)."""
    if isinstance(arrival, asyncio.Future) and not arrival.done():
        arrival.cancel()
    elif asyncio.iscoroutine(arrival):
        arrival.close()
