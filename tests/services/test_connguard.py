"""Connections are bounded: a head deadline, a cap that evicts idle ones first, 503 beyond it."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
import pytest_asyncio

from b24monitor.services.receiver import ReceiverSettings
from b24monitor.services.session import Session, SessionConfig

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
Conn = tuple[asyncio.StreamReader, asyncio.StreamWriter]


@pytest_asyncio.fixture
async def session(tmp_path: Path) -> AsyncIterator[Session]:
    settings = ReceiverSettings(head_timeout_s=0.5, max_connections=4, body_timeout_s=30)
    s = Session(SessionConfig(data_dir=tmp_path, receiver=settings))
    await s.start()
    try:
        yield s
    finally:
        await s.stop()


_opened: list[asyncio.StreamWriter] = []


@pytest_asyncio.fixture(autouse=True)
async def close_connections(session: Session) -> AsyncIterator[None]:
    yield  # closed before the session stops, which would wait for their requests
    for writer in _opened:
        writer.close()
        await writer.wait_closed()
    _opened.clear()


async def connect(s: Session) -> Conn:
    conn = await asyncio.open_connection("127.0.0.1", s.capture.port if s.capture else 0)
    _opened.append(conn[1])
    return conn


async def closed_by_server(conn: Conn) -> bytes:
    """Everything the server sent before closing (generous deadline: a failure, not a hang)."""
    return await asyncio.wait_for(conn[0].read(), timeout=20)


def counters(s: Session) -> tuple[int, int, int]:
    assert s.capture is not None
    st = s.capture.stats()
    return st.aborted, st.refused, st.timeouts


@pytest.mark.asyncio
async def test_connections_without_a_complete_head_are_closed(session: Session) -> None:
    silent = await connect(session)
    slow = await connect(session)
    slow[1].write(b"POST " + session.handler_path.encode() + b" HTTP/1.1\r\nHost: x\r\n")
    assert await closed_by_server(silent) == b""
    assert await closed_by_server(slow) == b""
    assert counters(session)[2] == 2


async def stalled(s: Session) -> Conn:
    """A connection that sent one byte of a request line and nothing more (slowloris)."""
    conn = await connect(s)
    conn[1].write(b"P")
    await conn[1].drain()
    return conn


@pytest.mark.asyncio
async def test_at_the_cap_idle_connections_make_room_for_a_delivery(
    session: Session, make_delivery: Callable[..., bytes]
) -> None:
    idle = [await stalled(session) for _ in range(4)]  # every slot, none sends a whole head
    for _ in range(200):  # each one reached the receiver (its byte came)
        if session.capture is not None and session.capture.receiver is not None:
            guard = session.capture.receiver.guard
            if guard is not None and guard.live == 4:
                break
        await asyncio.sleep(0.02)
    async with httpx.AsyncClient(timeout=20) as client:
        r = await client.post(session.handler_url, content=make_delivery(), headers=FORM)
    assert r.status_code == 200
    assert await closed_by_server(idle[0]) == b""  # the oldest idle one made room
    assert counters(session)[1] >= 1


@pytest.mark.asyncio
@pytest.mark.skipif(not hasattr(socket, "TCP_DEFER_ACCEPT"), reason="Linux's deferred accept")
async def test_silent_connections_take_no_slot(
    tmp_path: Path, make_delivery: Callable[..., bytes]
) -> None:
    """Connections that send nothing stay with the kernel (deferred accept for the head
    deadline, 5 s here): twice the cap of them evict nothing and delay no delivery."""
    settings = ReceiverSettings(head_timeout_s=5, max_connections=4)
    s = Session(SessionConfig(data_dir=tmp_path / "deferred", receiver=settings))
    await s.start()
    try:
        silent = [await connect(s) for _ in range(8)]
        async with httpx.AsyncClient(timeout=20) as client:
            for _ in range(3):
                r = await client.post(s.handler_url, content=make_delivery(), headers=FORM)
                assert r.status_code == 200
        assert counters(s) == (0, 0, 0)  # none refused (evicted) or timed out
        assert s.capture is not None and s.capture.receiver is not None
        guard = s.capture.receiver.guard
        assert guard is not None and guard.live <= 1  # the client's kept-alive one at most
        for _, writer in silent:
            writer.close()
        _opened.clear()
    finally:
        await s.stop()


@pytest.mark.asyncio
async def test_beyond_the_cap_of_busy_connections_a_new_one_gets_503(session: Session) -> None:
    busy = []
    for _ in range(4):  # each sent its head and is waiting for the rest of its body
        conn = await connect(session)
        conn[1].write(
            f"POST {session.handler_path} HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n"
            "Expect: 100-continue\r\n\r\n".encode()
        )
        # "100 Continue" comes once the handler reads the body: the head was seen.
        assert (await asyncio.wait_for(conn[0].readline(), 20)).startswith(b"HTTP/1.1 100")
        busy.append(conn)
    answer = await closed_by_server(await connect(session))
    assert answer.startswith(b"HTTP/1.1 503")
    assert b"too many open connections" in answer


@pytest.mark.asyncio
async def test_a_client_hanging_up_mid_body_is_counted(session: Session) -> None:
    conn = await connect(session)
    conn[1].write(
        f"POST {session.handler_path} HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n"
        "ab".encode()
    )
    await conn[1].drain()
    await asyncio.sleep(0.2)
    conn[1].close()
    await conn[1].wait_closed()
    for _ in range(200):
        if counters(session)[0] == 1:
            break
        await asyncio.sleep(0.05)
    assert counters(session)[0] == 1
    assert urlsplit(session.handler_url).path == session.handler_path
