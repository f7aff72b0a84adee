"""The receiver's HTTP wire (services/http_protocol.py) as a client meets it, over raw sockets:
pipelined requests answered in order, keep-alive for HTTP/1.1 and HTTP/1.0, Connection: close,
chunked bodies, garbage, idle connections."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
from test_receiver import receiving, stored_soon

Conn = tuple[asyncio.StreamReader, asyncio.StreamWriter]


async def answer(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    """One answer read by its Content-Length: status, headers (lower-case names), body."""
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines if line)}
    body = await asyncio.wait_for(reader.readexactly(int(headers["content-length"])), 30)
    return int(status_line.split()[1]), headers, body


async def closed(reader: asyncio.StreamReader) -> bool:
    """True once the server closed the connection (generous deadline: a failure, not a hang)."""
    return await asyncio.wait_for(reader.read(), 30) == b""


def post(path: str, body: bytes, extra: str = "") -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n{extra}\r\n"
    ).encode() + body


@pytest.mark.asyncio
async def test_pipelined_requests_are_answered_in_the_order_they_came(
    tmp_path: Path, make_delivery: Callable[..., bytes]
) -> None:
    async with receiving(tmp_path) as rig:
        reader, writer = await asyncio.open_connection("127.0.0.1", rig.receiver.port)
        path = rig.receiver.handler_path
        # The delivery waits for its commit; the two after it could be answered at once.
        writer.write(
            post(path, make_delivery())
            + b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
            + b"GET /wp-login.php HTTP/1.1\r\nHost: x\r\n\r\n"
            + post(path, b'{"event": ', "Connection: close\r\n").replace(
                b"x-www-form-urlencoded", b"json"
            )
        )
        got = [await answer(reader) for _ in range(4)]
        assert [(status, body) for status, _, body in got[:3]] == [
            (200, b"ok\n"), (200, b"ok\n"), (404, b"not found\n"),
        ]  # fmt: skip
        assert got[3][0] == 400 and got[3][1]["connection"] == "close"
        assert await closed(reader)
        writer.close()
        assert rig.stored() == [("ONCRMDEALUPDATE", "ok"), (None, "malformed")]


@pytest.mark.asyncio
async def test_http_1_0_keeps_the_connection_only_when_asked(
    tmp_path: Path, make_delivery: Callable[..., bytes]
) -> None:
    async with receiving(tmp_path) as rig:
        path = rig.receiver.handler_path
        body = make_delivery()
        reader, writer = await asyncio.open_connection("127.0.0.1", rig.receiver.port)
        request = post(path, body, "Connection: Keep-Alive\r\n").replace(b"HTTP/1.1", b"HTTP/1.0")
        for _ in range(2):  # ApacheBench -k: the second goes on the same connection
            writer.write(request)
            status, headers, _ = await answer(reader)
            assert (status, headers["connection"]) == (200, "keep-alive")
        writer.close()
        reader, writer = await asyncio.open_connection("127.0.0.1", rig.receiver.port)
        writer.write(post(path, body).replace(b"HTTP/1.1", b"HTTP/1.0"))
        assert (await answer(reader))[0] == 200
        assert await closed(reader)
        writer.close()
        assert len(await stored_soon(rig, 3)) == 3


@pytest.mark.asyncio
async def test_a_chunked_delivery_within_the_limit_is_stored(
    tmp_path: Path, make_delivery: Callable[..., bytes]
) -> None:
    async with receiving(tmp_path) as rig:
        body = make_delivery()
        head = (
            f"POST {rig.receiver.handler_path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked"
            "\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\n"
        ).encode()
        chunks = [body[:100], body[100:]]
        reader, writer = await asyncio.open_connection("127.0.0.1", rig.receiver.port)
        writer.write(head)
        for chunk in chunks:  # in separate segments, as a streaming client sends them
            writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            await writer.drain()
        writer.write(b"0\r\n\r\n")
        assert (await answer(reader))[0] == 200
        writer.close()
        assert rig.stored() == [("ONCRMDEALUPDATE", "ok")]


@pytest.mark.asyncio
async def test_garbage_gets_400_and_the_connection_closes(tmp_path: Path) -> None:
    async with receiving(tmp_path) as rig:
        reader, writer = await asyncio.open_connection("127.0.0.1", rig.receiver.port)
        writer.write(b"\x16\x03\x01 GARBAGE \xff\xfe\r\n\r\n")  # e.g. TLS sent to plain HTTP
        status, headers, _ = await answer(reader)
        assert (status, headers["connection"]) == (400, "close")
        assert await closed(reader)
        writer.close()
        assert rig.stored() == [] and rig.receiver.counters.aborted == 0


@pytest.mark.asyncio
async def test_an_idle_kept_alive_connection_is_closed_after_the_keepalive_timeout(
    tmp_path: Path,
) -> None:
    async with receiving(tmp_path, keepalive_s=0.3) as rig:
        reader, writer = await asyncio.open_connection("127.0.0.1", rig.receiver.port)
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        status, headers, _ = await answer(reader)
        assert status == 200 and "connection" not in headers  # kept for the next request
        assert await closed(reader)  # nothing followed: the server let it go
        writer.close()


@pytest.mark.asyncio
async def test_an_endless_request_head_is_refused_431(tmp_path: Path) -> None:
    async with receiving(tmp_path) as rig:
        reader, writer = await asyncio.open_connection("127.0.0.1", rig.receiver.port)
        writer.write(f"POST {rig.receiver.handler_path} HTTP/1.1\r\nHost: x\r\n".encode())
        for i in range(100):  # 100 KB of headers and no end in sight
            writer.write(f"X-Pad-{i}: {'a' * 1000}\r\n".encode())
        status, headers, _ = await answer(reader)
        assert (status, headers["connection"]) == (431, "close")
        assert await closed(reader)
        writer.close()
        assert rig.stored() == []
