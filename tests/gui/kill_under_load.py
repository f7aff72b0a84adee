"""Senders that SIGKILL the engine right after it acknowledged a number of deliveries.

The durability tests of a window's engine (test_own_engine, test_engine_follow) need the same
traffic: several senders posting distinct deals, and the kill landing between two 200s.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Callable

import httpx

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


async def kill_after_acks(
    url: str, pid: int, make_delivery: Callable[..., bytes], *, acks: int, senders: int
) -> list[str]:
    """Post deals from `senders` workers until `acks` were answered 200, SIGKILL `pid` right
    after one of them, and return the ids the engine acknowledged (each must be stored)."""
    acknowledged: list[str] = []
    killed = asyncio.Event()

    async def sender(worker: int) -> None:
        async with httpx.AsyncClient(timeout=5) as client:
            for i in range(10_000):
                if killed.is_set():
                    return
                entity = f"{worker}-{i}"
                body = make_delivery(data={"FIELDS": {"ID": entity}})
                try:
                    answer = await client.post(url, content=body, headers=FORM)
                except httpx.HTTPError:
                    return
                if answer.status_code == 200:
                    acknowledged.append(entity)
                    if len(acknowledged) >= acks and not killed.is_set():
                        os.kill(pid, signal.SIGKILL)  # right after a 200
                        killed.set()

    await asyncio.gather(*(sender(w) for w in range(senders)))
    assert killed.is_set() and len(acknowledged) >= acks
    return acknowledged
