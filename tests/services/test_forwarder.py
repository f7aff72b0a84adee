"""Forwarding over real loopback HTTP: order, bytes, slow/dead/failing targets, a full queue."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web

from b24monitor.core.replay import EVENT_ID_HEADER, QUEUE_FULL, STOPPED, Attempt, parse_routes
from b24monitor.services.attempts_store import AttemptStore
from b24monitor.services.forwarder import Forwarder
from b24monitor.services.receiver import ReceiverSettings
from b24monitor.services.session import Session, SessionConfig

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
Make = Callable[..., bytes]


@dataclass
class Target:
    """A handler under test: records what it got; `delay`, `status`, `answer` shape its reply."""

    url: str = ""
    delay: float = 0.0
    status: int = 200
    answer: bytes = b"ok"
    gate: asyncio.Event | None = None  # when set, requests wait for it
    got: list[tuple[str, bytes, dict[str, str]]] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        if self.gate is not None:
            await self.gate.wait()
        await asyncio.sleep(self.delay)
        self.got.append((request.path, body, dict(request.headers)))
        return web.Response(status=self.status, body=self.answer, content_type="text/plain")


@asynccontextmanager
async def serve(target: Target) -> AsyncIterator[Target]:
    app = web.Application()
    app.router.add_post("/{tail:.*}", target.handle)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    target.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        yield target
    finally:
        if target.gate is not None:
            target.gate.set()
        await runner.cleanup()


@dataclass
class Running:
    session: Session
    forwarder: Forwarder
    attempts: list[Attempt]

    async def post(self, body: bytes, headers: dict[str, str] = FORM) -> None:
        """POST one delivery; it must be answered 200."""
        async with httpx.AsyncClient() as client:
            response = await client.post(self.session.handler_url, content=body, headers=headers)
        assert response.status_code == 200

    async def wait_attempts(self, count: int, within_s: float = 15.0) -> list[Attempt]:
        deadline = time.monotonic() + within_s
        while len(self.attempts) < count:
            assert time.monotonic() < deadline, f"only {len(self.attempts)} of {count} attempts"
            await asyncio.sleep(0.02)
        return sorted(self.attempts, key=lambda a: a.event_id)


@asynccontextmanager
async def running(tmp_path: Path, routes: list[str], **options: Any) -> AsyncIterator[Running]:
    session = Session(SessionConfig(data_dir=tmp_path, receiver=ReceiverSettings()))
    await session.start()
    attempts: list[Attempt] = []
    async with httpx.AsyncClient() as http:
        forwarder = Forwarder(
            session.db_path, parse_routes(routes), http=http, on_attempt=attempts.append, **options
        )
        await forwarder.start()
        session.committed.connect(forwarder.enqueue)
        try:
            yield Running(session, forwarder, attempts)
        finally:
            await session.stop()  # capture first: its last batches still reach the forwarder
            await forwarder.stop()


def stored_attempts(db: Path, event_id: int) -> list[Attempt]:
    store = AttemptStore(db)
    try:
        return store.attempts_for(event_id)
    finally:
        store.close()


@pytest.mark.asyncio
async def test_events_arrive_in_order_byte_for_byte(tmp_path: Path, make_delivery: Make) -> None:
    async with serve(Target()) as target, running(tmp_path, [target.url + "/hook"]) as run:
        bodies = [make_delivery(data={"FIELDS": {"ID": str(i)}}) for i in range(40)]
        bodies[3] += b"&data%5BX%5D=%7e+%C3%A9"  # escapes PHP would not produce stay as sent
        async with httpx.AsyncClient() as client:
            await asyncio.gather(
                *(client.post(run.session.handler_url, content=b, headers=FORM) for b in bodies)
            )
        json_body = b'{"event": "ONTASKADD", "data": {"FIELDS_AFTER": {"ID": "5"}}}'
        await run.post(json_body, {"Content-Type": "application/json"})
        attempts = await run.wait_attempts(41)
        assert run.session.store is not None
        stored = {ev.id: ev for ev in run.session.store.iter_events()}
    ids = [int(headers[EVENT_ID_HEADER]) for _, _, headers in target.got]
    assert ids == sorted(ids) == sorted(stored)  # per-target order is arrival order
    for _, body, headers in target.got:
        ev = stored[int(headers[EVENT_ID_HEADER])]
        assert body == ev.body
        assert headers["Content-Type"] == ev.content_type
    assert sorted(b for _, b, _ in target.got[:-1]) == sorted(bodies)
    assert target.got[-1][1] == json_body
    assert {(a.status, a.kind, a.variant) for a in attempts} == {(200, "forward", "as-recorded")}
    [saved] = stored_attempts(tmp_path / "events.sqlite3", 1)
    assert saved.status == 200 and saved.response_body == b"ok" and saved.latency_ms is not None
    assert ("content-type", "text/plain") in saved.response_headers


@pytest.mark.asyncio
async def test_routes_send_each_event_to_its_first_matching_target(
    tmp_path: Path, make_delivery: Make
) -> None:
    async with serve(Target()) as target:
        routes = [f"ONCRMDEAL*={target.url}/deals", f"{target.url}/all", f"ONTASK*={target.url}/t"]
        async with running(tmp_path, routes) as run:
            for code in ("ONCRMDEALADD", "ONTASKADD", "ONCRMLEADADD"):
                await run.post(make_delivery(code))
            await run.wait_attempts(3)
    assert [path for path, _, _ in target.got] == ["/deals", "/t", "/all"]


@pytest.mark.asyncio
async def test_slow_target_never_slows_the_receiver(tmp_path: Path, make_delivery: Make) -> None:
    # The target holds every request until the burst is over: had any acknowledgement waited
    # for a forward, the burst could not finish (a condition, not a stopwatch).
    gate = asyncio.Event()
    target = Target(delay=2.0, gate=gate)
    # The first forward waits at the gate for the whole burst: give it time on a loaded machine.
    async with serve(target), running(tmp_path, [target.url], timeout=120.0) as run:
        await asyncio.wait_for(burst(run.session, make_delivery, 150), 60)
        assert target.got == []  # every delivery got its 200; not one forward was answered yet
        gate.set()
        [first] = await run.wait_attempts(1, within_s=60)
        assert first.status == 200 and first.latency_ms is not None and first.latency_ms >= 2000
        assert run.forwarder.pending == 149  # the rest wait in the target's lane
    attempts = stored_attempts(tmp_path / "events.sqlite3", 150)
    assert [(a.status, a.error) for a in attempts] == [(None, STOPPED)]  # recorded, not dropped


async def burst(session: Session, make_delivery: Make, n: int) -> None:
    """`n` deliveries over 20 connections, each answered 200."""
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=20)) as client:

        async def one(i: int) -> None:
            body = make_delivery(data={"FIELDS": {"ID": str(i)}})
            response = await client.post(session.handler_url, content=body, headers=FORM)
            assert response.status_code == 200

        await asyncio.gather(*(one(i) for i in range(n)))


@pytest.mark.asyncio
async def test_refused_connection_is_recorded(tmp_path: Path, make_delivery: Make) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}/hook"
    async with running(tmp_path, [dead]) as run:
        await run.post(make_delivery())
        await run.post(make_delivery())
        attempts = await run.wait_attempts(2)
    for attempt in attempts:
        assert attempt.status is None and attempt.latency_ms is not None
        assert attempt.error is not None and "connection refused" in attempt.error
    assert stored_attempts(tmp_path / "events.sqlite3", 2)[0].error == attempts[1].error


@pytest.mark.asyncio
async def test_500_and_a_long_answer_are_recorded_truncated(
    tmp_path: Path, make_delivery: Make
) -> None:
    answer = b"Traceback: " + b"x" * 5000
    target = Target(status=500, answer=answer)
    async with serve(target), running(tmp_path, [target.url], response_limit=1024) as run:
        await run.post(make_delivery())
        [attempt] = await run.wait_attempts(1)
    assert attempt.status == 500 and attempt.error is None
    assert attempt.response_body == answer[:1024] and attempt.truncated
    [saved] = stored_attempts(tmp_path / "events.sqlite3", 1)
    assert saved.response_body == answer[:1024] and saved.truncated and saved.status == 500


@pytest.mark.asyncio
async def test_a_target_slower_than_the_timeout_is_recorded(
    tmp_path: Path, make_delivery: Make
) -> None:
    target = Target(delay=3.0)
    async with serve(target), running(tmp_path, [target.url], timeout=0.3) as run:
        await run.post(make_delivery())
        [attempt] = await run.wait_attempts(1)
    assert attempt.status is None
    assert attempt.error is not None and attempt.error.startswith("no answer within 0.3 s")


@pytest.mark.asyncio
async def test_queue_overflow_is_recorded_never_dropped(
    tmp_path: Path, make_delivery: Make
) -> None:
    target = Target(gate=asyncio.Event())
    async with serve(target), running(tmp_path, [target.url], queue_limit=3) as run:
        for i in range(10):
            await run.post(make_delivery(data={"FIELDS": {"ID": str(i)}}))
        full = await run.wait_attempts(7)
        assert {(a.error, a.status) for a in full} == {(QUEUE_FULL, None)}
        assert [a.event_id for a in full] == list(range(4, 11))  # the oldest three were kept
        assert target.gate is not None
        target.gate.set()
        everything = await run.wait_attempts(10)
    assert [a.event_id for a in everything if a.status == 200] == [1, 2, 3]
    assert [int(h[EVENT_ID_HEADER]) for _, _, h in target.got] == [1, 2, 3]


@pytest.mark.asyncio
async def test_attempts_go_with_their_event(tmp_path: Path, make_delivery: Make) -> None:
    async with serve(Target()) as target, running(tmp_path, [target.url]) as run:
        await run.post(make_delivery())
        await run.post(make_delivery())
        await run.wait_attempts(2)
        assert run.session.store is not None
        run.session.store.delete([1])  # as retention or the user would
    db = tmp_path / "events.sqlite3"
    assert stored_attempts(db, 1) == []
    assert len(stored_attempts(db, 2)) == 1
