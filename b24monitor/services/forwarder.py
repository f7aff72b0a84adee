"""Forwarding: POST each committed event on to the developer's handler, after Bitrix24 got its 200.

The session calls `enqueue(ids)` on the front end's loop once per committed batch, so nothing
here can delay an acknowledgement (architecture guide, "The path of one delivery"): the capture
thread has answered before the ids arrive. Each target has its own lane, one request at a time,
so events reach a target in the order they arrived. A lane holds ids only and at most
`queue_limit` of them; what does not fit is recorded as not forwarded, never dropped silently
(Bitrix24 never resends, spec §1.1, so a developer must be able to see what their handler missed).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from itertools import islice
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from b24monitor.core.replay import (
    QUEUE_FULL,
    STOPPED,
    Attempt,
    Kind,
    OutgoingRequest,
    Routes,
    as_recorded,
)
from b24monitor.core.tasks import spawn
from b24monitor.services.attempts_store import AttemptStore

AttemptListener = Callable[[Attempt], None]
_FETCH_CHUNK = 16  # events read per store call: few thread hops, little memory


@dataclass(eq=False)
class _Lane:
    """The queue of one target: ids waiting (the first one may be in flight) and its worker."""

    target: str
    ids: deque[int] = field(default_factory=deque)
    task: asyncio.Task[None] | None = None


class Forwarder:
    """Routes committed events to targets and records every attempt (and every event not sent)."""

    def __init__(
        self,
        store_path: Path,
        routes: Routes,
        *,
        http: httpx.AsyncClient,
        queue_limit: int = 1000,
        response_limit: int = 64 * 1024,
        timeout: float = 10.0,
        on_attempt: AttemptListener | None = None,
    ) -> None:
        self.routes = routes
        self._path = store_path
        self._http = http
        self._queue_limit = queue_limit
        self._response_limit = response_limit
        self._timeout = timeout
        self._on_attempt = on_attempt
        self._store: AttemptStore | None = None
        self._intake: list[int] = []  # ids not yet routed (routing needs their event codes)
        self._lanes: dict[str, _Lane] = {}
        self._unsaved: list[Attempt] = []
        self._dispatcher: asyncio.Task[None] | None = None
        self._recorder: asyncio.Task[None] | None = None
        self._closed = False

    async def start(self) -> None:
        """Open the forwarder's own connection to the event database."""
        self._store = await asyncio.to_thread(AttemptStore, self._path)

    @property
    def pending(self) -> int:
        """Events waiting to be sent (or in flight), over all targets."""
        return len(self._intake) + sum(len(lane.ids) for lane in self._lanes.values())

    def enqueue(self, ids: Sequence[int]) -> None:
        """Queue committed events for forwarding; call on the forwarder's loop, never blocks."""
        if self._closed or not ids:
            return
        self._intake.extend(ids)
        if self._dispatcher is None or self._dispatcher.done():
            self._dispatcher = spawn(self._dispatch(), name="forward-dispatch")

    async def stop(self, *, grace_s: float = 0.0) -> None:
        """Wait up to `grace_s` for the queues to empty, then record what is left as not sent.

        Call after the capture thread has stopped, so its last batches are recorded too.
        """
        self._closed = True
        if grace_s > 0:
            await asyncio.wait(self._busy_tasks(), timeout=grace_s)
        tasks = self._busy_tasks()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        leftover = [Attempt(i, "forward", t, started_at=time.time(), error=STOPPED)
                    for t, i in await self._route(self._intake)]  # fmt: skip
        for lane in self._lanes.values():
            leftover += [Attempt(i, "forward", lane.target, started_at=time.time(), error=STOPPED)
                         for i in lane.ids]  # fmt: skip
            lane.ids.clear()
        self._intake.clear()
        self._record(leftover)
        if self._recorder is not None:
            await asyncio.gather(self._recorder, return_exceptions=True)
        if self._store is not None:
            await asyncio.to_thread(self._store.close)
            self._store = None

    def _busy_tasks(self) -> list[asyncio.Task[None]]:
        tasks = [self._dispatcher, *(lane.task for lane in self._lanes.values())]
        return [t for t in tasks if t is not None and not t.done()]

    async def _route(self, ids: Sequence[int]) -> list[tuple[str, int]]:
        """(target, id) per event, in id order; events no route wants are left out."""
        if not ids or self._store is None:
            return []
        codes = await asyncio.to_thread(self._store.codes_of, list(ids))
        routed = ((self.routes.target_for(code), event_id) for event_id, code in codes)
        return [(target, event_id) for target, event_id in routed if target is not None]

    async def _dispatch(self) -> None:
        while self._intake:
            count = len(self._intake)
            routed = await self._route(self._intake[:count])
            del self._intake[:count]  # only now: a stop() meanwhile still sees these ids
            refused = []
            for target, event_id in routed:
                lane = self._lanes.setdefault(target, _Lane(target))
                if len(lane.ids) >= self._queue_limit:
                    refused.append(
                        Attempt(
                            event_id, "forward", target, started_at=time.time(), error=QUEUE_FULL
                        )
                    )
                    continue
                lane.ids.append(event_id)
                if lane.task is None or lane.task.done():
                    lane.task = spawn(self._drain(lane), name=f"forward {target}")
            self._record(refused)

    async def _drain(self, lane: _Lane) -> None:
        assert self._store is not None
        while lane.ids:
            chunk = list(islice(lane.ids, _FETCH_CHUNK))
            events = {ev.id: ev for ev in await asyncio.to_thread(self._store.events, chunk)}
            for event_id in chunk:
                ev = events.get(event_id)  # gone: deleted by retention or the user meanwhile
                if ev is not None:
                    attempt = await post_event(
                        self._http, as_recorded(ev), lane.target, kind="forward",
                        timeout_s=self._timeout, response_limit=self._response_limit,
                    )  # fmt: skip
                    self._record([attempt])
                lane.ids.popleft()  # only once sent: a stop() mid-request records it as unsent

    def _record(self, attempts: list[Attempt]) -> None:
        """Store attempts in the background, many per transaction, then tell the listener."""
        if not attempts or self._store is None:
            return
        self._unsaved.extend(attempts)
        if self._recorder is None or self._recorder.done():
            self._recorder = spawn(self._save(), name="forward-record")

    async def _save(self) -> None:
        while self._unsaved and self._store is not None:
            batch, self._unsaved = self._unsaved, []
            ids = await asyncio.to_thread(self._store.add_attempts, batch)
            if self._on_attempt is not None:
                for attempt, new_id in zip(batch, ids, strict=True):
                    self._on_attempt(replace(attempt, id=new_id))


async def post_event(
    http: httpx.AsyncClient,
    request: OutgoingRequest,
    target: str,
    *,
    kind: Kind,
    timeout_s: float = 10.0,
    response_limit: int = 64 * 1024,
    replay_of: int | None = None,
) -> Attempt:
    """POST one event to `target` and describe what happened; network failures are recorded."""
    started_at = time.time()
    t0 = time.perf_counter()
    fields: dict[str, Any] = {}
    try:
        async with asyncio.timeout(timeout_s):
            async with http.stream(
                "POST",
                target,
                content=request.body,
                headers=request.headers(kind),
                timeout=timeout_s,
            ) as response:
                body, truncated = await _read_limited(response, response_limit)
                fields = {
                    "status": response.status_code,
                    "response_headers": tuple(response.headers.multi_items()),
                    "response_body": body,
                    "truncated": truncated,
                }
    except (TimeoutError, httpx.TimeoutException):
        # A status whose body never finished is no answer either: Bitrix24 would time out too.
        fields = {
            "error": f"no answer within {timeout_s:g} s; make the handler answer sooner "
            "(Bitrix24 throttles slow handlers)"
        }
    except Exception as exc:  # one odd failure must not wedge the target's lane: record it
        fields = {"error": describe_failure(exc, target)}
    return Attempt(
        request.event_id, kind, target, request.variant, started_at=started_at,
        latency_ms=(time.perf_counter() - t0) * 1000, replay_of=replay_of,
        request_body=None if request.variant == "as-recorded" else request.body, **fields,
    )  # fmt: skip


async def _read_limited(response: httpx.Response, limit: int) -> tuple[bytes, bool]:
    """The body up to `limit` bytes, and whether there was more (the rest is not read)."""
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > limit:
            return bytes(body[:limit]), True
    return bytes(body), False


def describe_failure(exc: Exception, target: str) -> str:
    """One sentence for a request that got no HTTP answer: what happened, what to do."""
    host = urlsplit(target).netloc or target
    if isinstance(exc, httpx.ConnectError):
        text = str(exc)
        refused = "refused" in text.lower() or "all connection attempts failed" in text.lower()
        reason = "connection refused" if refused else (text or type(exc).__name__)
        return f"could not connect to {host} ({reason}); start the handler there or fix the URL"
    return f"the request to {host} failed ({type(exc).__name__}: {exc}); check the handler's log"
