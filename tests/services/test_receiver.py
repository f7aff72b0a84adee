"""The receiver on its own: every status code and limit, over real loopback HTTP, real writer.

The receiver runs on the test's loop with a real StoreWriter behind it (a temporary database),
so 400 and 403 are the writer's real verdicts. Slow and oversized clients are raw sockets: an
HTTP client library would not stall mid-body or lie about its length.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from b24monitor.services.receiver import Receiver, ReceiverSettings, new_handler_path
from b24monitor.services.store import EventStore
from b24monitor.services.writer import StoreWriter

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
LIMIT = 2048


@dataclass
class Rig:
    receiver: Receiver
    writer: StoreWriter
    db_path: Path
    oauth_codes: list[dict[str, str]] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.receiver.port}"

    @property
    def handler_url(self) -> str:
        return self.base + self.receiver.handler_path

    def stored(self) -> list[tuple[str | None, str]]:
        store = EventStore(self.db_path)
        try:
            return [(ev.event, ev.status) for ev in store.iter_events()]
        finally:
            store.close()


@asynccontextmanager
async def receiving(
    tmp_path: Path, *, body_timeout_s: float = 10.0, keepalive_s: float = 10.0
) -> AsyncIterator[Rig]:
    db_path = tmp_path / "events.sqlite3"
    writer = StoreWriter(db_path, on_committed=lambda outcomes: None)
    await writer.open()
    settings = ReceiverSettings(
        body_limit=LIMIT, body_timeout_s=body_timeout_s, keepalive_s=keepalive_s
    )
    codes: list[dict[str, str]] = []
    receiver = Receiver(settings, new_handler_path(), writer.submit, codes.append, note=writer.note)
    await receiver.start()
    try:
        yield Rig(receiver, writer, db_path, codes)
    finally:
        await receiver.stop()
        await writer.close()


async def stored_soon(rig: Rig, count: int) -> list[tuple[str | None, str]]:
    """The stored rows once there are `count` (a 413's record follows its answer)."""
    for _ in range(300):
        if len(rows := rig.stored()) >= count:
            return rows
        await asyncio.sleep(0.05)
    return rig.stored()


async def raw_exchange(port: int, head: bytes, body_parts: Sequence[bytes] = ()) -> bytes:
    """Send `head` and the body parts on a fresh connection; return the answer's head and body.

    Reads by the answer's Content-Length, not to EOF: the server may keep the socket a while.
    """
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(head)
        for part in body_parts:
            writer.write(part)
        await writer.drain()
        answer = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
        length = next(
            int(line.split(b":", 1)[1])
            for line in answer.lower().split(b"\r\n")
            if line.startswith(b"content-length:")
        )
        return answer + await asyncio.wait_for(reader.readexactly(length), 30)
    finally:
        writer.close()
        await writer.wait_closed()


@pytest.mark.asyncio
async def test_a_delivery_is_answered_200_only_once_it_is_stored(
    tmp_path: Path, make_delivery: Callable[..., bytes]
) -> None:
    async with receiving(tmp_path) as rig, httpx.AsyncClient() as client:
        reply = await client.post(rig.handler_url, content=make_delivery(), headers=FORM)
        assert (reply.status_code, reply.text) == (200, "ok\n")
        assert rig.stored() == [("ONCRMDEALUPDATE", "ok")]


@pytest.mark.asyncio
async def test_a_malformed_body_is_stored_raw_and_answered_400(tmp_path: Path) -> None:
    async with receiving(tmp_path) as rig, httpx.AsyncClient() as client:
        reply = await client.post(
            rig.handler_url, content=b'{"event": ', headers={"Content-Type": "application/json"}
        )
        assert reply.status_code == 400 and "not valid JSON" in reply.text
        assert rig.stored() == [(None, "malformed")]


@pytest.mark.asyncio
async def test_a_token_mismatch_is_stored_flagged_and_answered_403(
    tmp_path: Path, make_delivery: Callable[..., bytes]
) -> None:
    async with receiving(tmp_path) as rig, httpx.AsyncClient() as client:
        install = make_delivery("ONAPPINSTALL", {"VERSION": "1"})
        assert (
            await client.post(rig.handler_url, content=install, headers=FORM)
        ).status_code == 200
        forged = make_delivery("ONCRMDEALADD", token="f" * 32)
        reply = await client.post(rig.handler_url, content=forged, headers=FORM)
        assert reply.status_code == 403 and "matches none" in reply.text
        assert rig.stored() == [("ONAPPINSTALL", "ok"), ("ONCRMDEALADD", "rejected")]


@pytest.mark.asyncio
async def test_stray_paths_are_404_counted_and_not_stored(tmp_path: Path) -> None:
    async with receiving(tmp_path) as rig, httpx.AsyncClient() as client:
        replies = [
            await client.post(rig.base + "/wp-login.php", content=b"x"),
            await client.get(rig.base + "/b24/guess/events"),
        ]
        assert [r.status_code for r in replies] == [404, 404]
        assert rig.receiver.stray_hits == 2 and rig.stored() == []


@pytest.mark.asyncio
async def test_other_methods_on_the_handler_path_get_405_with_allow(tmp_path: Path) -> None:
    async with receiving(tmp_path) as rig, httpx.AsyncClient() as client:
        for method in ("GET", "PUT", "DELETE"):
            reply = await client.request(method, rig.handler_url)
            assert (reply.status_code, reply.headers["Allow"]) == (405, "POST")
        assert rig.stored() == [] and rig.receiver.stray_hits == 0


@pytest.mark.asyncio
async def test_an_oauth_redirect_to_the_handler_path_hands_over_the_code(tmp_path: Path) -> None:
    async with receiving(tmp_path) as rig, httpx.AsyncClient() as client:
        reply = await client.get(rig.handler_url, params={"code": "c0de", "state": "s"})
        assert reply.status_code == 200 and "received the authorization" in reply.text
        assert rig.oauth_codes == [{"code": "c0de", "state": "s"}]


@pytest.mark.asyncio
async def test_a_body_that_stalls_is_cut_off_with_408(tmp_path: Path) -> None:
    async with receiving(tmp_path, body_timeout_s=0.3) as rig:
        path = rig.receiver.handler_path
        head = (
            f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded"
            "\r\nContent-Length: 100\r\nConnection: close\r\n\r\n"
        ).encode()
        answer = await raw_exchange(rig.receiver.port, head, [b"event=ONCRMDEALADD"])
        assert answer.startswith(b"HTTP/1.1 408 ")
        assert rig.stored() == []


@pytest.mark.asyncio
async def test_a_declared_length_over_the_limit_is_refused_before_the_body(tmp_path: Path) -> None:
    async with receiving(tmp_path) as rig:
        head = (
            f"POST {rig.receiver.handler_path} HTTP/1.1\r\nHost: x\r\n"
            f"Content-Length: {LIMIT + 1}\r\nConnection: close\r\n\r\n"
        ).encode()
        answer = await raw_exchange(rig.receiver.port, head)  # not one byte of body sent
        assert answer.startswith(b"HTTP/1.1 413 ") and f"{LIMIT}-byte limit".encode() in answer
        # The user sees it in the table: its metadata, the size it announced, no body (issue 15).
        assert await stored_soon(rig, 1) == [(None, "malformed")]
        store = EventStore(rig.db_path)
        try:
            [ev] = list(store.iter_events())
        finally:
            store.close()
        assert (ev.status, ev.http_status, ev.size, ev.body) == ("malformed", 413, LIMIT + 1, b"")
        assert ev.error is not None and f"{LIMIT + 1} bytes announced" in ev.error


@pytest.mark.asyncio
async def test_a_streamed_body_over_the_limit_gets_413(tmp_path: Path) -> None:
    async with receiving(tmp_path) as rig:
        head = (
            f"POST {rig.receiver.handler_path} HTTP/1.1\r\nHost: x\r\n"
            "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        ).encode()
        chunk = b"a" * 1024
        parts = [b"%x\r\n%s\r\n" % (len(chunk), chunk)] * 3 + [b"0\r\n\r\n"]
        answer = await raw_exchange(rig.receiver.port, head, parts)
        assert answer.startswith(b"HTTP/1.1 413 ")
        assert await stored_soon(rig, 1) == [(None, "malformed")]  # its metadata only


@pytest.mark.asyncio
async def test_a_body_exactly_at_the_limit_is_accepted(tmp_path: Path) -> None:
    async with receiving(tmp_path) as rig, httpx.AsyncClient() as client:
        body = b"event=ONCRMDEALADD&data[FIELDS][ID]=1&pad=" + b"x" * LIMIT
        reply = await client.post(rig.handler_url, content=body[:LIMIT], headers=FORM)
        assert reply.status_code == 200


@pytest.mark.asyncio
async def test_healthz_and_single_use_probes(tmp_path: Path) -> None:
    async with receiving(tmp_path) as rig, httpx.AsyncClient() as client:
        assert (await client.get(rig.base + "/healthz")).text == "ok\n"
        rig.receiver.register_probe("t0ken")
        first = await client.get(rig.base + "/probe/t0ken")
        again = await client.get(rig.base + "/probe/t0ken")
        assert (first.status_code, first.text) == (200, "b24monitor-probe t0ken")
        assert again.status_code == 404 and rig.receiver.stray_hits == 1
