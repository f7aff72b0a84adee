"""Connections as a bounded resource: a cap, a deadline for the request head, and counters.

The receiver sits behind a public URL, so whoever finds it can open connections and send
nothing. Each one costs a file descriptor; at the descriptor limit the accept loop stalls and
every real delivery times out. `ConnectionGuard` is told by each connection (the HTTP protocol
of services/http_protocol.py) when it opens, completes its first head and goes: a connection
that has not sent a complete request head within `head_timeout_s` is closed, and at
`max_connections` the oldest such head-less connection makes room for the new one (a connection
that sent its head is serving a request and is never evicted); when every slot is serving a
request, the new connection is refused at once with a 503. The protocol's keep-alive timeout
closes idle connections between requests.
"""

from __future__ import annotations

import asyncio
import resource
from dataclasses import dataclass
from typing import Protocol

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


class Guarded(Protocol):
    """A connection as the guard sees it (services/http_protocol.py's HttpConnection)."""

    def close(self) -> None: ...


class ConnectionGuard:
    """Tracks live connections; the connection protocol calls admit, head_complete, forget."""

    refusal = _REFUSAL

    def __init__(
        self, max_connections: int, head_timeout_s: float, counters: ConnectionCounters
    ) -> None:
        self.max_connections = max_connections
        self.head_timeout_s = head_timeout_s
        self.counters = counters
        self._live: set[Guarded] = set()
        self._headless: dict[Guarded, float] = {}  # → admitted at (loop time); oldest first
        self._sweep: asyncio.TimerHandle | None = None

    @property
    def live(self) -> int:
        return len(self._live)

    def admit(self, conn: Guarded) -> bool:
        """A new connection: False when it must be refused (answer `refusal` and close)."""
        if len(self._live) >= self.max_connections:
            if not self._headless:
                self.counters.refused += 1
                return False
            oldest = next(iter(self._headless))
            self.counters.refused += 1
            oldest.close()
            self.forget(oldest)  # its slot is free now, whenever the loop reports it lost
        self._live.add(conn)
        self._headless[conn] = asyncio.get_running_loop().time()
        if self._sweep is None:
            self._arm()
        return True

    def _arm(self) -> None:
        """One timer for all head-less connections, due at the oldest one's deadline: a
        connection costs no timer of its own (a burst of new connections, a silent flood)."""
        if self._headless:
            due = next(iter(self._headless.values())) + self.head_timeout_s
            self._sweep = asyncio.get_running_loop().call_at(due, self._close_overdue)

    def _close_overdue(self) -> None:
        self._sweep = None
        now = asyncio.get_running_loop().time()
        while self._headless:
            conn, admitted = next(iter(self._headless.items()))
            if admitted + self.head_timeout_s > now:
                break
            self.counters.timeouts += 1  # no complete request head in time
            self.forget(conn)
            conn.close()
        self._arm()

    def close(self) -> None:
        """The server stops: no more sweeps."""
        if self._sweep is not None:
            self._sweep.cancel()
            self._sweep = None

    def head_complete(self, conn: Guarded) -> None:
        """Its first request head arrived: it serves a request and is never evicted."""
        self._headless.pop(conn, None)

    def forget(self, conn: Guarded) -> None:
        self._live.discard(conn)
        self._headless.pop(conn, None)
