"""The embedded HTTP receiver: accepts Bitrix24 deliveries at the secret handler path.

aiohttp.web embedded in an already running loop (AppRunner + TCPSite, never `run_app`), bound
to 127.0.0.1 by default: only the tunnel reaches it from outside. The handler path carries an
unguessable per-data-dir segment, so scanners that find the public URL are counted as stray hits
instead of being recorded as events. A delivery is answered only after `store` has committed it;
a commit that fails is answered 503, never 200. Connections are bounded by services/connguard.py,
and a client that hangs up is counted, never logged as a traceback (issue 15).
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from b24monitor.core.errors import StoreError, StoreFull
from b24monitor.core.model import Delivery
from b24monitor.services.connguard import (
    ConnectionCounters,
    ConnectionGuard,
    accept_backlog,
    default_max_connections,
    raise_descriptor_limit,
)
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
        self._runner: web.AppRunner | None = None
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
        app = web.Application(client_max_size=self.settings.body_limit)
        app.router.add_route("*", self.handler_path, self._on_handler)
        app.router.add_get("/healthz", self._on_healthz)
        app.router.add_get(PROBE_PREFIX + "{token}", self._on_probe)
        app.router.add_route("*", "/{tail:.*}", self._on_stray)
        self._runner = web.AppRunner(
            app, access_log=None, handle_signals=False, keepalive_timeout=self.settings.keepalive_s
        )
        await self._runner.setup()
        limit = raise_descriptor_limit()
        cap = self.settings.max_connections or default_max_connections(limit)
        self.guard = ConnectionGuard(cap, self.settings.head_timeout_s, self.counters)
        site = _GuardedSite(
            self._runner, self.guard, self.settings.host, self.settings.port, accept_backlog(limit)
        )
        await site.start()
        self.port = site.port

    async def stop(self) -> None:
        """Stop accepting; requests already in flight finish (their commits are awaited)."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _on_handler(self, request: web.Request) -> web.Response:
        if request.method == "GET" and "code" in request.query and self.on_oauth_code:
            return self._on_oauth_redirect(request)
        if self.arrivals is not None:
            self.arrivals.note(request.host, request.headers.get("X-Forwarded-Host"))
        if request.method != "POST":
            return web.Response(status=405, text="use POST\n", headers={"Allow": "POST"})
        limit = self.settings.body_limit
        if request.content_length is not None and request.content_length > limit:
            return self._refuse_oversize(request, request.content_length)  # not a byte read
        try:
            body = await self._read_body(request)
        except web.HTTPRequestEntityTooLarge:  # chunked, or more than its Content-Length said
            return self._refuse_oversize(request, request.content_length or 0)
        except TimeoutError:
            self.counters.timeouts += 1
            return web.Response(status=408, text="body not received in time\n")
        except ConnectionResetError:  # the client hung up mid-body: nobody is left to answer
            self.counters.aborted += 1
            return web.Response(status=400, text="connection lost\n")
        try:
            outcome = await self._submit(_delivery(request, body))
        except StoreFull:
            return web.Response(status=503, text=DISK_FULL)
        except (StoreError, OSError) as exc:
            return web.Response(status=503, text=f"the delivery could not be stored ({exc})\n")
        text = "ok\n" if outcome.http_status == 200 else f"{outcome.reason}\n"
        return web.Response(status=outcome.http_status, text=text)

    async def _read_body(self, request: web.Request) -> bytes:
        """The body, cut off after body_timeout_s; a body that came whole with the head (the
        usual delivery) is read without arming a timer, which cost the ack path a task."""
        if request.content.is_eof():
            return await request.read()
        async with asyncio.timeout(self.settings.body_timeout_s):
            return await request.read()

    def _refuse_oversize(self, request: web.Request, announced: int) -> web.Response:
        """413 at once; the request's metadata goes to the table like any rejected one's, in a
        later batch (issue 15): the answer does not depend on the store."""
        if self._note is not None:
            self._note(_delivery(request, b"", announced))
        return _too_large(self.settings.body_limit)

    def _on_oauth_redirect(self, request: web.Request) -> web.Response:
        """The portal's authorize page sent the browser back with `code` (spec §5.2)."""
        assert self.on_oauth_code is not None
        self.on_oauth_code(dict(request.query))
        return web.Response(text="b24monitor received the authorization; you can close this tab.\n")

    async def _on_healthz(self, request: web.Request) -> web.Response:
        return web.Response(text="ok\n")

    async def _on_probe(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        if self._probes.pop(token, None) is not None:
            return web.Response(text=f"b24monitor-probe {token}")
        return await self._on_stray(request)

    async def _on_stray(self, request: web.Request) -> web.Response:
        self.stray_hits += 1
        return web.Response(status=404, text="not found\n")


DISK_FULL = "the monitor's disk is full, so this delivery was not stored; send it again later\n"


class _GuardedSite(web.BaseSite):
    """A TCP site whose connections go through the ConnectionGuard first."""

    def __init__(
        self, runner: web.AppRunner, guard: ConnectionGuard, host: str, port: int, backlog: int
    ) -> None:
        super().__init__(runner, backlog=backlog)
        self._guard = guard
        self._host = host
        self.port = port

    @property
    def name(self) -> str:
        return f"http://{self._host}:{self.port}"

    async def start(self) -> None:
        await super().start()
        server = self._runner.server
        assert server is not None
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            self._guard.wrap(server), self._host, self.port, backlog=self._backlog
        )
        for bound in self._server.sockets:
            # asyncio accepts up to `backlog` sockets in one go (kept small, see accept_backlog);
            # the kernel's queue may be long, so a connection burst waits instead of dropping
            # SYNs, which a client would only retry a second later.
            with socket.socket(fileno=os.dup(bound.fileno())) as same:
                same.listen(KERNEL_BACKLOG)
        self.port = self._server.sockets[0].getsockname()[1]


def _delivery(request: web.Request, body: bytes, announced: int | None = None) -> Delivery:
    return Delivery(
        received_at=time.time(),
        method=request.method,
        path=request.path,
        headers=tuple(request.headers.items()),
        body=body,
        content_type=request.headers.get("Content-Type", ""),
        peer=request.remote,
        announced=announced,
    )


def _too_large(limit: int) -> web.Response:
    return web.Response(status=413, text=f"body larger than the {limit}-byte limit\n")
