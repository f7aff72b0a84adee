"""Attach to a data dir's running engine: hello, its news as they come, requests and replies.

    client = await connect(data_dir)          # EngineNotRunning / EngineRefused / EngineGone
    client.hello["handler_url"]               # the engine's state at attach time
    async for message in client:              # committed, tunnel, notice, attempt, alert,
        ...                                   #   portal, bye — until the channel closes
    await client.request("rest", method="event.get", params={})   # EngineRequestFailed

The protocol is described in services/control_server.py. Rows are not sent over the channel:
a client reads them from the SQLite store (`hello["db_path"]`) by the ids of `committed`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

from b24monitor.core.errors import (
    EngineGone,
    EngineNotRunning,
    EngineRefused,
    EngineRequestFailed,
)
from b24monitor.core.tasks import spawn
from b24monitor.services import control_socket as where

LINE_LIMIT = 64 << 20  # a hello with a large subscriptions report, a batch of many ids

Message = dict[str, Any]


async def connect(data_dir: Path, *, within: float = 10.0) -> EngineClient:
    """Attach to the engine of `data_dir`; returns once its hello arrived.

    Raises:
        EngineNotRunning: nothing serves the data dir's engine.sock (or engine.address).
        EngineRefused: the engine refused us (token, another user's engine).
        EngineGone: the engine closed the channel or did not answer `within` seconds.
    """
    reader, writer = await _open(data_dir)
    token = await asyncio.to_thread(where.read_token, data_dir)
    if token is None:
        writer.close()
        raise EngineRefused(
            f"cannot read the engine token of data folder {data_dir} ({where.TOKEN_NAME}): "
            "run as the user who started the engine"
        )
    writer.write((json.dumps({"op": "hello", "token": token}) + "\n").encode())
    try:
        first = await asyncio.wait_for(reader.readline(), within)
    except TimeoutError:
        writer.close()
        raise EngineGone(
            f"the engine of data folder {data_dir} did not say hello within {within:g} s: "
            "stop it and start it again"
        ) from None
    except ConnectionError:
        first = b""  # reset: the engine is going away as we come
    hello = _parse(first)
    if hello is None or hello.get("type") != "hello":
        writer.close()
        if hello is not None and hello.get("type") == "refused":
            raise EngineRefused(f"the engine of data folder {data_dir} refused this connection: "
                                f"{hello.get('message')}")  # fmt: skip
        raise EngineGone(f"the engine of data folder {data_dir} closed the connection before "
                         "saying hello: it is probably stopping; try again")  # fmt: skip
    return EngineClient(data_dir, reader, writer, hello)


async def _open(data_dir: Path) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """The engine's streams over the transport it serves: loopback TCP when it left an
    engine.address, else its unix socket."""
    address = await asyncio.to_thread(where.read_address, data_dir)
    if address is None:
        sock = await _connected_socket(data_dir)
        return await asyncio.open_unix_connection(sock=sock, limit=LINE_LIMIT)
    try:
        return await asyncio.open_connection(*address, limit=LINE_LIMIT)
    except ConnectionRefusedError:
        raise _not_running(data_dir) from None


def _not_running(data_dir: Path) -> EngineNotRunning:
    return EngineNotRunning(
        f"no b24monitor engine runs for data folder {data_dir}: start one with "
        "`b24monitor listen --engine` or open the window"
    )


async def _connected_socket(data_dir: Path) -> socket.socket:
    path = where.socket_path(data_dir)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.setblocking(False)
    try:
        with where.bindable(path) as address:
            await asyncio.get_running_loop().sock_connect(sock, address)
    except (FileNotFoundError, ConnectionRefusedError):
        sock.close()
        raise _not_running(data_dir) from None
    except PermissionError:
        sock.close()
        raise EngineRefused(f"the engine of data folder {data_dir} belongs to another user: "
                            "run as that user or use your own --data-dir") from None  # fmt: skip
    except BaseException:
        sock.close()
        raise
    return sock


class EngineClient:
    """One attachment to an engine: `hello`, news by iteration or callbacks, `request()`."""

    def __init__(
        self,
        data_dir: Path,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        hello: Message,
    ) -> None:
        self.data_dir = data_dir
        self.hello = hello
        self.bye: str | None = None  # the engine's reason, once it said bye
        self._reader, self._writer = reader, writer
        self._news: asyncio.Queue[Message | None] = asyncio.Queue()
        self._listeners: list[Callable[[Message], object]] = []
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._next_id = 1
        self._gone: EngineGone | None = None
        self._reading = spawn(self._read(), name="engine-client-read")

    @property
    def closed(self) -> bool:
        return self._gone is not None

    def on_message(self, listener: Callable[[Message], object]) -> Callable[[], None]:
        """`listener(message)` for every piece of news, on this loop; returns a disconnect."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    async def request(self, op: str, **args: Any) -> Any:
        """Send `op` with `args` and return the engine's result.

        Raises:
            EngineRequestFailed: the engine answered with an error (its code and sentence).
            EngineGone: the channel closed before the answer came.
        """
        if self._gone is not None:
            raise self._gone
        rid, self._next_id = self._next_id, self._next_id + 1
        answer: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[rid] = answer
        try:
            self._writer.write((json.dumps({**args, "op": op, "id": rid}) + "\n").encode())
            await self._writer.drain()
            return await answer
        except ConnectionError:
            raise self._went_away() from None
        finally:
            self._pending.pop(rid, None)

    def __aiter__(self) -> EngineClient:
        return self

    async def __anext__(self) -> Message:
        """The next piece of news (a `bye` is the last); the end when the channel closed."""
        message = await self._news.get()
        if message is None:
            self._news.put_nowait(None)  # every later reader sees the end too
            raise StopAsyncIteration
        return message

    async def close(self) -> None:
        """Detach (the engine runs on)."""
        self._writer.close()
        with contextlib.suppress(ConnectionError):
            await self._writer.wait_closed()
        await asyncio.gather(self._reading, return_exceptions=True)

    async def _read(self) -> None:
        try:
            while raw := await self._reader.readline():
                message = _parse(raw)
                if message is not None:
                    self._dispatch(message)
        except (ConnectionError, ValueError):
            pass  # reset by the engine, or a line past the limit: the channel is unusable
        finally:
            self._went_away()
            self._writer.close()

    def _dispatch(self, message: Message) -> None:
        if message.get("type") == "reply":
            answer = self._pending.get(message.get("id", -1))
            if answer is not None and not answer.done():
                if message.get("ok"):
                    answer.set_result(message.get("result"))
                else:
                    error = message.get("error") or {}
                    answer.set_exception(EngineRequestFailed(
                        str(error.get("code")), str(error.get("message"))))  # fmt: skip
            return
        if message.get("type") == "bye":
            self.bye = str(message.get("reason"))
        self._news.put_nowait(message)
        for listener in list(self._listeners):
            listener(message)

    def _went_away(self) -> EngineGone:
        if self._gone is None:
            why = {"stopping": "it stopped", "replaced": "another engine replaced it",
                   "too_slow": "this client fell behind"}.get(self.bye or "", "it closed the "
                                                                  "channel")  # fmt: skip
            self._gone = EngineGone(f"the engine of data folder {self.data_dir} (pid "
                                    f"{self.hello.get('pid')}) went away: {why}; attach again "
                                    "to go on")  # fmt: skip
            for answer in self._pending.values():
                if not answer.done():
                    answer.set_exception(self._gone)
            self._news.put_nowait(None)
        return self._gone


def _parse(raw: bytes) -> Message | None:
    try:
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) else None
