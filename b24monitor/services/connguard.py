"""Connections as a bounded resource: a cap, a deadline for the request head, and counters.

The receiver sits behind a public URL, so whoever finds it can open connections and send
nothing. Each one costs a file descriptor; at the descriptor limit the accept loop stalls and
every real delivery times out. `ConnectionGuard` wraps aiohttp's protocol factory: a connection
that has not sent a complete request head within `head_timeout_s` is closed, and at
`max_connections` the oldest such head-less connection makes room for the new one (a connection
that sent its head is serving a request and is never evicted); when every slot is serving a
request, the new connection is refused at once with a 503. aiohttp's own keep-alive timeout
closes idle connections between requests.
"""

from __future__ import annotations

import asyncio
import resource
from collections.abc import Callable
from dataclasses import dataclass

_REFUSAL = (
    b"HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Type: text/plain\r\n"
    b"Content-Length: 41\r\n\r\ntoo many open connections; try again soon\n"
)


@dataclass
class ConnectionCounters:
    """Written on the capture thread only; readers on other threads see plain int snapshots."""

    aborted: int = 0  # the client hung up in the middle of a request
    refused: int = 0  # turned away at the connection cap
    timeouts: int = 0  # no complete request head (or body) in time


def raise_descriptor_limit() -> int:
    """Raise the soft RLIMIT_NOFILE to the hard one; returns the soft limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass  # keep the soft limit we have; the cap below is derived from it
    return int(soft)


def default_max_connections(descriptor_limit: int) -> int:
    """A quarter of the descriptor limit; accept bursts, store, tunnel and GUI need the rest."""
    return max(16, min(descriptor_limit // 4, 8192))


def accept_backlog(descriptor_limit: int) -> int:
    """The listen backlog, which asyncio also uses as the number of sockets it accepts in one go.

    Sockets accepted in one go hold descriptors before the guard sees them, and connections the
    guard closes release theirs a loop iteration later; at the descriptor limit asyncio stops
    accepting for a whole second. A burst of limit/16 keeps the peak well below the limit.
    """
    return max(16, min(descriptor_limit // 16, 1024))


class ConnectionGuard:
    """Tracks live connections; `wrap(factory)` is what the listening socket is created with."""

    def __init__(
        self, max_connections: int, head_timeout_s: float, counters: ConnectionCounters
    ) -> None:
        self.max_connections = max_connections
        self.head_timeout_s = head_timeout_s
        self.counters = counters
        self._live: set[_Guarded] = set()
        self._headless: dict[_Guarded, None] = {}  # insertion order = oldest first

    @property
    def live(self) -> int:
        return len(self._live)

    def wrap(self, factory: Callable[[], asyncio.Protocol]) -> Callable[[], asyncio.Protocol]:
        return lambda: _Guarded(self, factory)

    def _admit(self, conn: _Guarded) -> bool:
        if len(self._live) >= self.max_connections:
            if not self._headless:
                self.counters.refused += 1
                return False
            oldest = next(iter(self._headless))
            self.counters.refused += 1
            oldest.close()
            self._forget(oldest)  # its slot is free now, whenever the loop reports it lost
        self._live.add(conn)
        self._headless[conn] = None
        return True

    def _head_complete(self, conn: _Guarded) -> None:
        self._headless.pop(conn, None)

    def _forget(self, conn: _Guarded) -> None:
        self._live.discard(conn)
        self._headless.pop(conn, None)


class _Guarded(asyncio.Protocol):
    """Stands between the transport and aiohttp's protocol, watching for the end of the head."""

    def __init__(self, guard: ConnectionGuard, factory: Callable[[], asyncio.Protocol]) -> None:
        self._guard = guard
        self._factory = factory
        self._inner: asyncio.Protocol | None = None
        self._transport: asyncio.Transport | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._head_done = False
        self._closed_by_us = False
        self._seen = 0
        self._tail = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        if not self._guard._admit(self):
            transport.write(_REFUSAL)
            transport.close()
            return
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(self._guard.head_timeout_s, self._on_head_timeout)

    def data_received(self, data: bytes) -> None:
        if self._inner is None:
            if self._transport is None or self._transport.is_closing():
                return
            # aiohttp's protocol is made at the first byte: a flood of silent connections
            # costs the loop a timer each, not an HTTP parser and a task each.
            self._inner = self._factory()
            self._inner.connection_made(self._transport)
        if not self._head_done:
            self._watch_head(data)
        self._inner.data_received(data)

    def _watch_head(self, data: bytes) -> None:
        # Only the bytes up to the first blank line are scanned: bodies cost nothing here.
        self._seen += len(data)
        window = self._tail + data
        if b"\r\n\r\n" in window or b"\n\n" in window:
            self._head_done = True
            self._guard._head_complete(self)
            if self._timer is not None:
                self._timer.cancel()
        else:
            self._tail = window[-3:]

    def _on_head_timeout(self) -> None:
        self._guard.counters.timeouts += 1
        self.close()

    def close(self) -> None:
        self._closed_by_us = True
        if self._transport is not None and not self._transport.is_closing():
            self._transport.close()

    def eof_received(self) -> bool | None:
        return self._inner.eof_received() if self._inner is not None else None

    def pause_writing(self) -> None:
        if self._inner is not None:
            self._inner.pause_writing()

    def resume_writing(self) -> None:
        if self._inner is not None:
            self._inner.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if not (self._head_done or self._closed_by_us) and self._seen:
            self._guard.counters.aborted += 1  # hung up halfway through the request head
        self._guard._forget(self)
        if self._inner is not None:
            self._inner.connection_lost(exc)
            self._inner = None
