"""Accepts the receiver's connections itself: until its first byte, a connection is a bare socket.

A flood of connections that send nothing (issue 15: idle connections held at the cap, hundreds
renewed every second) would otherwise cost each one asyncio's accept Task, a transport and a
protocol, only for services/connguard.py to evict it moments later. Here a new connection is
its socket and a reader callback; the transport and HttpConnection (services/http_protocol.py)
are made when its first byte arrives, and evicting it is closing the socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import socket
from typing import Any

from b24monitor.services.http_protocol import HttpConnection, HttpServer

log = logging.getLogger(__name__)

KERNEL_BACKLOG = 4096  # capped by net.core.somaxconn
PEEK_BYTES = 4096  # a delivery's head is under 1 KB (services/http_protocol.py)
ACCEPT_RETRY_S = 0.1  # out of descriptors: accept again after this (a closed one frees one)
_OUT_OF_RESOURCES = (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM)


def listening_sockets(host: str, port: int) -> list[socket.socket]:
    """Bound, listening, non-blocking sockets for `host` (every address it resolves to, as
    loop.create_server binds them). The kernel's queue is long, so a connection burst waits
    instead of dropping SYNs, which a client would only retry a second later."""
    infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM,
                               flags=socket.AI_PASSIVE)  # fmt: skip
    sockets: list[socket.socket] = []
    try:
        for family, kind, proto, _name, address in dict.fromkeys(infos):
            sock = socket.socket(family, kind, proto)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(address)
            sock.listen(KERNEL_BACKLOG)
            sock.setblocking(False)
    except OSError:
        for sock in sockets:
            sock.close()
        raise
    return sockets


class Bare:
    """A connection as the guard sees it before (and while) it becomes an HttpConnection."""

    __slots__ = ("_acceptor", "closed", "conn", "sock")

    def __init__(self, sock: socket.socket, acceptor: Acceptor) -> None:
        self.sock = sock
        self.conn: HttpConnection | None = None  # once its transport is made
        self.closed = False  # evicted or timed out before its transport was made
        self._acceptor = acceptor

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
        elif not self.closed:
            self.closed = True
            self._acceptor.drop(self)


class Acceptor:
    """Accepts on the listening sockets, at most `burst` per wake-up (connguard.accept_backlog),
    and hands each connection to `server` at its first byte."""

    def __init__(self, sockets: list[socket.socket], server: HttpServer, burst: int) -> None:
        self.sockets = sockets
        self._server = server
        self._burst = burst
        self._loop = asyncio.get_running_loop()
        self._bare: set[Bare] = set()  # waiting for their first byte
        self._making: set[asyncio.Task[Any]] = set()  # transports being made
        self._retry: asyncio.TimerHandle | None = None
        self._serving = False

    def start(self) -> None:
        self._serving = True
        for sock in self.sockets:
            self._loop.add_reader(sock.fileno(), self._accept, sock)

    def _accept(self, listening: socket.socket) -> None:
        guard = self._server.guard
        for _ in range(self._burst):
            try:
                sock, _address = listening.accept()
            except (BlockingIOError, InterruptedError, ConnectionAbortedError):
                return
            except OSError as exc:
                if exc.errno not in _OUT_OF_RESOURCES:
                    raise
                self._pause()  # at the descriptor limit: the guard's closes free some soon
                return
            sock.setblocking(False)
            bare = Bare(sock, self)
            if not guard.admit(bare):  # every slot serves a request
                _refuse(sock, guard.refusal)
                continue
            self._bare.add(bare)
            self._loop.add_reader(sock.fileno(), self._first_byte, bare)

    def _pause(self) -> None:
        for sock in self.sockets:
            self._loop.remove_reader(sock.fileno())
        if self._retry is None:
            self._retry = self._loop.call_later(ACCEPT_RETRY_S, self._resume)

    def _resume(self) -> None:
        self._retry = None
        if self._serving:
            self.start()

    def _first_byte(self, bare: Bare) -> None:
        """Readable: its first bytes, or its end. An end (or a reset) before any byte closes it
        quietly, as the connection protocol would: nothing was asked, nothing is counted."""
        self._loop.remove_reader(bare.sock.fileno())
        self._bare.discard(bare)
        try:
            peek = bare.sock.recv(PEEK_BYTES, socket.MSG_PEEK)
        except (BlockingIOError, InterruptedError):
            self._loop.add_reader(bare.sock.fileno(), self._first_byte, bare)
            self._bare.add(bare)
            return
        except OSError:
            peek = b""
        if not peek:
            self._server.guard.forget(bare)
            bare.closed = True
            bare.sock.close()
            return
        if b"\r\n\r\n" in peek:
            # Its whole head is in: it serves a request, as its protocol will find a few loop
            # iterations from now, and is not evicted meanwhile (an idle flood's accept bursts
            # would otherwise push a real delivery out in that time).
            self._server.guard.head_complete(bare)
        task = self._loop.create_task(self._connect(bare))  # held in _making, as spawn() would
        self._making.add(task)
        task.add_done_callback(self._making.discard)

    async def _connect(self, bare: Bare) -> None:
        try:
            await self._loop.connect_accepted_socket(
                lambda: HttpConnection(self._server, bare), sock=bare.sock
            )
        except OSError:  # it went away while its transport was being made
            self._server.guard.forget(bare)
            bare.sock.close()

    def drop(self, bare: Bare) -> None:
        """Close a connection still waiting for its first byte (evicted, timed out, stopping);
        one whose transport is being made is closed by its protocol when that is done."""
        if bare in self._bare:
            self._bare.discard(bare)
            self._loop.remove_reader(bare.sock.fileno())
            bare.sock.close()

    async def close(self) -> None:
        """Stop accepting and close the bare connections; transports being made are awaited
        (their protocols see the server stopping)."""
        self._serving = False
        if self._retry is not None:
            self._retry.cancel()
            self._retry = None
        for sock in self.sockets:
            self._loop.remove_reader(sock.fileno())
            sock.close()
        for bare in list(self._bare):
            self._server.guard.forget(bare)
            bare.close()
        while self._making:
            await asyncio.gather(*self._making, return_exceptions=True)


def _refuse(sock: socket.socket, refusal: bytes) -> None:
    """A 503 into a fresh socket's empty send buffer, then close."""
    with contextlib.suppress(OSError):  # it is gone already
        sock.send(refusal)
    sock.close()
