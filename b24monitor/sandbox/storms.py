"""A mass change on the sandbox portal: one event per changed object, as fast as the portal goes.

Spec §1.1: mass changes produce one POST per changed object (1000 deals changed → 1000 calls),
with no batching or rate control on the sender's side — the storm the monitor must recognise.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from b24monitor.sandbox.portal import SandboxPortal

FIRST_STORM_ID = 50_000
"""Objects of a storm get IDs from here on, apart from the traffic generator's."""


async def mass_change(
    portal: SandboxPortal, code: str, count: int, *, user_id: int | None = 1, concurrency: int = 50
) -> int:
    """Fire `code` once for each of `count` objects; returns how many deliveries answered 2xx."""
    gate = asyncio.Semaphore(max(1, concurrency))
    delivered = 0

    async def one(item_id: int) -> None:
        nonlocal delivered
        async with gate:
            records = await portal.fire(code, {"FIELDS": {"ID": str(item_id)}}, user_id=user_id)
        delivered += sum(1 for r in records if r.ok)

    async with asyncio.TaskGroup() as group:
        for i in range(count):
            group.create_task(one(FIRST_STORM_ID + i))
    return delivered
