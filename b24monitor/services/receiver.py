"""The embedded HTTP receiver: accepts Bitrix24 deliveries at the secret handler path.

What each request means (routing and answers); the HTTP wire is services/http_protocol.py, a
lean httptools server on the capture thread's loop, bound to 127.0.0.1 by default: only the
tunnel reaches it from outside. The handler path carries an unguessable per-data-dir segment,
so scanners that find the public URL are counted as stray hits instead of being recorded as
events. A delivery is answered only after `store` has committed it;
a commit that fails is answered 503, never 200. Connections are bounded by services/connguard.py,
and a client that hangs up is counted, never logged as a traceback (issue 15).
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from b24monitor.core.errors import StoreError, StoreFull
from b24monitor.core.model import Delivery
from b24monitor.services.connguard import (
    ConnectionCounters,
    ConnectionGuard,
    accept_backlog,
    default_max_connections,
    raise_descriptor_limit,
)
from b24monitor.services.http_messages import Reply, Request
from b24monitor.services.http_protocol import HttpServer
from b24monitor.services.tunnel_budget import PublicArrivals
from b24monitor.services.writer import Outcome

HANDLER_PATH_PREFIX = "/b24/"
HANDLER_PATH_SUFFIX = "/events"
PROBE_PREFIX = "/probe/"
PROBE_TTL_S = 300.0
KERNEL_BACKLOG = 4096  # capped by net.core.somaxconn


def new_handler_path() -> str:
    """A fresh secret handler path, `/b24/<22 url-safe chars>/events`."""
    return f"{HANDLER_PATH_PREFIX}{secrets.token_urlsafe(16)}{HANDLER_PATH_SUFFIX}"


@dataclass(frozen=True, slots=True)
class ReceiverSettings:
    host: str = "127.0.0.1"
    port: int = 0  # 0 = any free port
    body_limit: int = 1024 * 1024
    body_timeout_s: float = 10.0  # a client that stalls mid-body is cut off after this
    head_timeout_s: float = 5.0  # a connection that sends no complete request head is closed
    keepalive_s: float = 10.0  # idle keep-alive connections are closed after this
    max_connections: int | None = None  # None: half the descriptor limit


class Receiver:
    """Serves the handler path, /healthz and single-use probe paths; counts everything else."""

    def __init__(
        self,
        settings: ReceiverSettings,
        handler_path: str,
        submit: Callable[[Delivery], Awaitable[Outcome]],
        on_oauth_code: Callable[[dict[str, str]], None] | None = None,
        arrivals: PublicArrivals | None = None,
        note: Callable[[Delivery], None] | None = None,
    ) -> None:
        self.settings = settings
        self._note = note  # records a request answered without the store (a 413)
        self.arrivals = arrivals  # handler requests through the public URL prove the tunnel
        self.handler_path = handler_path
        self._submit = submit
        self.on_oauth_code = on_oauth_code
        self._server: asyncio.Server | None = None
        self._http: HttpServer | None = None
        self._probes: dict[str, float] = {}  # token → registered at (monotonic)
        self.stray_hits = 0
        self.port = 0
        self.counters = ConnectionCounters()
        self.guard: ConnectionGuard | None = None

    def register_probe(self, token: str) -> None:
        """Allow one GET of /probe/<token> within PROBE_TTL_S (called from the tunnel's thread)."""
        now = time.monotonic()
        # Probes that never arrived (a dead tunnel) expire instead of piling up.
        for stale in [t for t, at in list(self._probes.items()) if now - at > PROBE_TTL_S]:
            self._probes.pop(stale, None)
        self._probes[token] = now

    async def start(self) -> None:
        limit = raise_descriptor_limit()
        cap = self.settings.max_connections or default_max_connections(limit)
        self.guard = ConnectionGuard(cap, self.settings.head_timeout_s, self.counters)
        self._http = HttpServer(
            self,
            self.guard,
            body_limit=self.settings.body_limit,
            body_timeout_s=self.settings.body_timeout_s,
            keepalive_s=self.settings.keepalive_s,
        )
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            self._http, self.settings.host, self.settings.port, backlog=accept_backlog(limit)
        )
        for bound in self._server.sockets:
            # asyncio accepts up to `backlog` sockets in one go (kept small, see accept_backlog);
            # the kernel's queue may be long, so a connection burst waits instead of dropping
            # SYNs, which a client would only retry a second later.
            with socket.socket(fileno=os.dup(bound.fileno())) as same:
                same.listen(KERNEL_BACKLOG)
                _defer_accept(same, self.settings.head_timeout_s)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stop accepting; requests already in flight finish (their commits are awaited)."""
        if self._server is None or self._http is None:
            return
        self._server.close()
        if self.guard is not None:
            self.guard.close()
        await self._http.shutdown()
        await self._server.wait_closed()
        self._server = None

    # -- routing (services/http_protocol.py's Handler) ------------------------------------------

    def on_head(self, request: Request) -> Reply | None:
        """Before the body: a delivery whose Content-Length is over the limit is refused with
        413 without reading a byte of it; a delivery's body is kept, any other is skipped."""
        if request.path == self.handler_path and request.method == "POST":
            length = request.content_length
            if length is not None and length > self.settings.body_limit:
                return self._refuse_oversize(request, length)
            request.keep_body = True
        return None

    def on_request(self, request: Request) -> Reply | Coroutine[Any, Any, Reply]:
        path = request.path
        if path == self.handler_path:
            return self._on_handler(request)
        if path == "/healthz" and request.method in ("GET", "HEAD"):
            return _OK
        if path.startswith(PROBE_PREFIX) and request.method in ("GET", "HEAD"):
            return self._on_probe(path[len(PROBE_PREFIX) :])
        return self._on_stray()

    def on_too_large(self, request: Request) -> Reply:
        """A body sent without a length (chunked) grew past the limit."""
        return self._refuse_oversize(request, request.content_length or 0)

    def _on_handler(self, request: Request) -> Reply | Coroutine[Any, Any, Reply]:
        if request.method == "GET" and self.on_oauth_code and request.query:
            # The first value of each name, as aiohttp's request.query gave it.
            query = dict(parse_qsl(request.query, keep_blank_values=True)[::-1])
            if "code" in query:
                return self._on_oauth_redirect(query)
        if self.arrivals is not None:
            self.arrivals.note(request.header("host"), request.header("x-forwarded-host"))
        if request.method != "POST":
            return _NOT_POST
        return self._store(request)

    async def _store(self, request: Request) -> Reply:
        """A 200 only once the delivery is committed (spec §1.1: no retries; §1.5: the sender
        takes a 200 as delivered); a commit that fails is a 503."""
        try:
            outcome = await self._submit(_delivery(request, bytes(request.body)))
        except StoreFull:
            return _DISK_FULL
        except (StoreError, OSError) as exc:
            return Reply(503, f"the delivery could not be stored ({exc})\n")
        if outcome.http_status == 200:
            return _OK
        return Reply(outcome.http_status, f"{outcome.reason}\n")

    def _refuse_oversize(self, request: Request, announced: int) -> Reply:
        """413 at once; the request's metadata goes to the table like any rejected one's, in a
        later batch (issue 15): the answer does not depend on the store."""
        if self._note is not None:
            self._note(_delivery(request, b"", announced))
        return Reply(413, f"body larger than the {self.settings.body_limit}-byte limit\n")

    def _on_oauth_redirect(self, query: dict[str, str]) -> Reply:
        """The portal's authorize page sent the browser back with `code` (spec §5.2)."""
        assert self.on_oauth_code is not None
        self.on_oauth_code(query)
        return _AUTHORIZED

    def _on_probe(self, token: str) -> Reply:
        if token and "/" not in token and self._probes.pop(token, None) is not None:
            return Reply(200, f"b24monitor-probe {token}")
        return self._on_stray()

    def _on_stray(self) -> Reply:
        self.stray_hits += 1
        return _NOT_FOUND


_OK = Reply(200, "ok\n")
_NOT_FOUND = Reply(404, "not found\n")
_NOT_POST = Reply(405, "use POST\n", (("Allow", "POST"),))
_AUTHORIZED = Reply(200, "b24monitor received the authorization; you can close this tab.\n")
_DISK_FULL = Reply(
    503, "the monitor's disk is full, so this delivery was not stored; send it again later\n"
)


def _delivery(request: Request, body: bytes, announced: int | None = None) -> Delivery:
    return Delivery(
        received_at=time.time(),
        method=request.method,
        path=request.path,
        headers=tuple(request.headers),
        body=body,
        content_type=request.header("content-type") or "",
        peer=request.peer,
        announced=announced,
    )


def _defer_accept(listening: socket.socket, seconds: float) -> None:
    """Linux: a connection reaches the receiver only once its first bytes have come (or after
    `seconds`), as nginx's `listen … deferred` does. Bitrix24 sends its request as soon as it
    connects (spec §1.2); a connection that sends nothing costs the kernel a half-open entry,
    not an accept, a descriptor and an eviction on the capture thread (issue 15: the idle
    flood of bench/hostile.py was most of the receiver's work under attack). One that is
    still silent after `seconds` is accepted and meets the connection guard's head deadline."""
    option = getattr(socket, "TCP_DEFER_ACCEPT", None)
    if option is not None:
        listening.setsockopt(socket.IPPROTO_TCP, option, max(1, round(seconds)))
