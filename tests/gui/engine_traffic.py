"""Traffic for the tests of a window's engine (test_own_engine, test_engine_follow,
test_second_start): one delivery posted, the stored entities read back, and senders that SIGKILL
the engine right after it acknowledged a number of deliveries.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
from collections.abc import Callable
from pathlib import Path

import httpx

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def stored(data: Path) -> set[str]:
    """The entity ids of every event in the data dir's store."""
    conn = sqlite3.connect(data / "events.sqlite3")
    try:
        return {row[0] for row in conn.execute("SELECT entity_id FROM events")}
    finally:
        conn.close()


async def post(url: str, body: bytes) -> int:
    """POST one form-encoded delivery; its status code."""
    async with httpx.AsyncClient() as client:
        return (await client.post(url, content=body, headers=FORM)).status_code


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
