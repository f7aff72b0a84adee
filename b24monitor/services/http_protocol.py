"""The HTTP/1.1 wire of the receiver: requests parsed by httptools, answers written in order.

A lean server on asyncio.Protocol instead of aiohttp.web: every Bitrix24 delivery is one small
form POST (spec §1.2) answered by a short text (§1.5), and aiohttp's application, routing,
request/response objects and stream readers cost the capture thread more than the delivery's
own work (bench/receiver.py). This module knows HTTP only — framing, keep-alive, pipelining
(answers go out in request order), HTTP/1.0, chunked bodies, Expect: 100-continue, the body
limit and timeouts; what each request means is the `Handler`'s (services/receiver.py).
Connections are admitted, bounded and evicted by services/connguard.py.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Coroutine
from typing import Any, Protocol, cast

import httptools

from b24monitor.services.connguard import ConnectionCounters, ConnectionGuard
from b24monitor.services.http_messages import SEEN, Reply, Request

log = logging.getLogger(__name__)

KEEP_ALIVE_10 = b"Connection: keep-alive\r\n"  # an HTTP/1.0 client keeps the connection only so
CLOSE = b"Connection: close\r\n"
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
# llhttp buffers a head of any size; a delivery's is under 1 KB (aiohttp refused lines over 8 KB).
MAX_HEAD = 32 * 1024
LINGER_S = 2.0  # after refusing a request, how long its remaining bytes are read and dropped


class Handler(Protocol):
    def on_head(self, request: Request) -> Reply | None:
        """At the end of the head: an answer that needs no body (the connection then closes,
        its body unread), or None to receive the body (kept only if `request.keep_body`)."""

    def on_request(self, request: Request) -> Reply | Coroutine[Any, Any, Reply]:
        """The whole request has arrived: its answer, or an awaitable of it (a commit)."""

    def on_too_large(self, request: Request) -> Reply:
        """A kept body outgrew the limit while it streamed in (chunked, or no length)."""


class HttpServer:
    """Shared by the connections of one listening socket: settings, handler, in-flight work."""

    def __init__(
        self,
        handler: Handler,
        guard: ConnectionGuard,
        *,
        body_limit: int,
        body_timeout_s: float,
        keepalive_s: float,
    ) -> None:
        self.handler = handler
        self.guard = guard
        self.counters: ConnectionCounters = guard.counters
        self.body_limit = body_limit
        self.body_timeout_s = body_timeout_s
        self.keepalive_s = keepalive_s
        self.connections: set[HttpConnection] = set()
        self.in_flight: set[asyncio.Future[Reply]] = set()

    def __call__(self) -> HttpConnection:
        return HttpConnection(self)

    async def shutdown(self) -> None:
        """Idle connections close now; requests in flight are answered (their commits awaited)
        and their connections closed after."""
        for conn in list(self.connections):
            conn.shutdown()
        while self.in_flight:
            await asyncio.gather(*self.in_flight, return_exceptions=True)
        for conn in list(self.connections):
            conn.close()


class HttpConnection(asyncio.Protocol):
    """One client connection: parser callbacks build requests, a queue keeps answers in order."""

    def __init__(self, server: HttpServer) -> None:
        self._server = server
        self._transport: asyncio.Transport | None = None
        self._parser: httptools.HttpRequestParser | None = None
        self._peer: str | None = None
        self._url = b""
        self._headers: list[tuple[str, str]] = []
        self._request: Request | None = None  # the one whose body is being received
        self._answers: deque[list[bytes | None]] = deque()  # slots in request order
        self._body_timer: asyncio.TimerHandle | None = None
        self._idle_timer: asyncio.TimerHandle | None = None
        self._idle_since = 0.0
        self._first_head_done = False
        self._closed_by_us = False
        self._closing = False  # an answer that closes the connection is queued: read no more
        self._stopping = False  # the server stops: close once the answers are out
        self._seen = 0
        self._head_bytes = 0  # received since the current request's head began (at most)
        self._linger = False  # the last answer refused a request whose rest may still come
        self._linger_timer: asyncio.TimerHandle | None = None

    # -- asyncio.Protocol ---------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # A stream transport, asyncio's or uvloop's (which does not subclass asyncio.Transport).
        transport = cast(asyncio.Transport, transport)
        self._transport = transport
        if not self._server.guard.admit(self):
            transport.write(self._server.guard.refusal)
            transport.close()
            return
        self._server.connections.add(self)  # the guard closes it if no head comes in time

    def data_received(self, data: bytes) -> None:
        if self._closing or self._transport is None or self._transport.is_closing():
            return
        if self._parser is None:
            # Made at the first byte: a flood of silent connections costs no parser.
            self._parser = httptools.HttpRequestParser(self)
            peer = self._transport.get_extra_info("peername")
            self._peer = peer[0] if isinstance(peer, tuple) else None
        if not self._first_head_done:
            self._seen += len(data)
        if self._request is None:
            self._head_bytes += len(data)  # reset when the head is complete
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError:  # garbage, or an upgrade (websocket, h2c): no such
            self._request = None  # thing here; answered, so not counted as a hang-up
            if not self._closing:  # else its last answer is out already: nothing to add
                self._answer_now(_BAD_REQUEST, close=True)
            return
        if self._request is None and self._head_bytes > MAX_HEAD and not self._closing:
            self._answer_now(_HEAD_TOO_LARGE, close=True)
            return
        if self._request is not None and self._body_timer is None and not self._closing:
            # A body that did not come whole with its head: it must finish in time. The usual
            # delivery arrives in one segment and arms no timer.
            loop = asyncio.get_running_loop()
            self._body_timer = loop.call_later(self._server.body_timeout_s, self._body_timeout)

    def eof_received(self) -> bool | None:
        return None  # the transport closes; answers still owed go nowhere (as with aiohttp)

    def pause_writing(self) -> None:
        if self._transport is not None:
            self._transport.pause_reading()  # a client that pipelines but never reads

    def resume_writing(self) -> None:
        if self._transport is not None and not self._transport.is_closing():
            self._transport.resume_reading()

    def connection_lost(self, exc: Exception | None) -> None:
        for timer in (self._body_timer, self._idle_timer, self._linger_timer):
            if timer is not None:
                timer.cancel()
        counters = self._server.counters
        if not self._closed_by_us:
            if not self._first_head_done and self._seen:
                counters.aborted += 1  # hung up halfway through the request head (or garbage)
            elif self._request is not None:
                counters.aborted += 1  # hung up mid-body: nobody is left to answer
        self._request = None
        self._server.guard.forget(self)
        self._server.connections.discard(self)
        self._transport = None

    # -- httptools callbacks (RFC 9112 framing: Content-Length, chunked, keep-alive) ----------

    def on_message_begin(self) -> None:
        self._url = b""
        self._headers = []

    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append(
            (name.decode("utf-8", "surrogateescape"), value.decode("utf-8", "surrogateescape"))
        )

    def on_headers_complete(self) -> None:
        parser = self._parser
        if parser is None or self._closing:
            return  # pipelined behind an answer that closes the connection
        self._head_bytes = 0
        if not self._first_head_done:
            self._first_head_done = True
            self._server.guard.head_complete(self)
        request = Request(parser.get_method().decode("ascii"), self._url, self._headers,
                          self._peer)  # fmt: skip
        request.keep_alive = parser.should_keep_alive()
        request.http10 = parser.get_http_version() == "1.0"
        seen = request.seen
        for name, value in self._headers:  # one pass for every header the receiver reads
            low = name.lower()
            if low in SEEN and low not in seen:
                seen[low] = value
        if "content-length" in seen:
            length = seen["content-length"]
            request.content_length = int(length) if length.isdigit() else None
        expect = seen.get("expect", "").lower() == "100-continue"
        self._request = request
        early = self._server.handler.on_head(request)
        if early is not None:
            self._request = None  # its body is never read
            self._answer_now(early, close=True)
            return
        if expect and not self._answers and self._transport is not None:
            self._transport.write(_CONTINUE)  # RFC 9110 §10.1.1: go on, send the body

    def on_body(self, body: bytes) -> None:
        request = self._request
        if request is None or not request.keep_body or self._closing:
            return  # a body nobody reads (a stray request's) is only parsed past
        if len(request.body) + len(body) > self._server.body_limit:
            self._request = None
            self._answer_now(self._server.handler.on_too_large(request), close=True)
            return
        request.body += body

    def on_message_complete(self) -> None:
        request = self._request
        if request is None or self._closing:
            return
        self._request = None
        if self._body_timer is not None:
            self._body_timer.cancel()
            self._body_timer = None
        answer = self._server.handler.on_request(request)
        if isinstance(answer, Reply):
            self._answer_now(answer, request=request)
            return
        slot: list[bytes | None] = [None]
        self._answers.append(slot)
        if not request.keep_alive:
            self._closing = True
        # Held in in_flight until answered, its failure logged there: what spawn() does,
        # without a second done-callback per request.
        task = asyncio.get_running_loop().create_task(answer)
        self._server.in_flight.add(task)
        task.add_done_callback(lambda t: self._answered(t, slot, request))

    # -- answers ------------------------------------------------------------------------------

    def _answered(
        self, task: asyncio.Future[Reply], slot: list[bytes | None], request: Request
    ) -> None:
        self._server.in_flight.discard(task)
        if task.cancelled():
            reply = _SERVER_ERROR
        elif (exc := task.exception()) is not None:
            log.error("answering %s %s failed: %s", request.method, request.path, exc, exc_info=exc)
            reply = _SERVER_ERROR
        else:
            reply = task.result()
        slot[0] = reply.wire(self._connection_header(request))
        self._flush()

    def _answer_now(
        self, reply: Reply, *, request: Request | None = None, close: bool = False
    ) -> None:
        """Queue an answer that is ready; `close` (or a request that does not keep the
        connection) makes it the connection's last."""
        self._linger = self._linger or close
        close = close or request is None or not request.keep_alive
        self._closing = self._closing or close
        head_only = request is not None and request.method == "HEAD"
        self._answers.append([reply.wire(self._connection_header(request, close), head_only)])
        self._flush()

    def _connection_header(self, request: Request | None, close: bool = False) -> bytes:
        if close or request is None or not request.keep_alive or self._stopping:
            return CLOSE
        # HTTP/1.1 keeps connections by default; HTTP/1.0 (ab -k) needs it said (RFC 9112 §9.3).
        return KEEP_ALIVE_10 if request.http10 else b""

    def _flush(self) -> None:
        transport = self._transport
        answers = self._answers
        while answers and answers[0][0] is not None:
            data = answers.popleft()[0]
            if transport is not None and data is not None and not transport.is_closing():
                transport.write(data)
        if answers:
            return
        if self._linger:
            self._linger_close()
        elif self._closing or self._stopping:
            self.close()
        elif transport is not None and self._request is None:
            self._idle()

    def _linger_close(self) -> None:
        """Close after a refusal without losing it: a socket closed with unread bytes sends a
        reset, which may destroy the answer before the client reads it (RFC 9112 §9.6). So
        stop writing, drop what still comes, and close at the client's EOF or after LINGER_S."""
        self._closed_by_us = True
        transport = self._transport
        if transport is None or transport.is_closing() or self._linger_timer is not None:
            return
        if transport.can_write_eof():
            try:
                transport.write_eof()
            except OSError:  # the client is gone already (it closed before this answer)
                transport.close()
                return
        self._linger_timer = asyncio.get_running_loop().call_later(LINGER_S, self.close)

    def _idle(self) -> None:
        """Waiting for the next request: closed after keepalive_s (one timer per idle spell,
        re-armed lazily rather than cancelled at every request)."""
        loop = asyncio.get_running_loop()
        self._idle_since = loop.time()
        if self._idle_timer is None:
            self._idle_timer = loop.call_later(self._server.keepalive_s, self._idle_check)

    def _idle_check(self) -> None:
        self._idle_timer = None
        if self._transport is None:
            return
        busy = self._answers or self._request is not None
        left = self._idle_since + self._server.keepalive_s - asyncio.get_running_loop().time()
        if busy:
            return  # the answer re-arms it
        if left > 0:
            self._idle_timer = asyncio.get_running_loop().call_later(left, self._idle_check)
        else:
            self.close()

    def _body_timeout(self) -> None:
        self._body_timer = None
        if self._request is None:
            return
        self._request = None
        self._server.counters.timeouts += 1
        self._answer_now(_BODY_TIMEOUT, close=True)

    def shutdown(self) -> None:
        """The server stops: close now if nothing is owed, else after the owed answers."""
        self._stopping = True
        if not self._answers:
            self.close()

    def close(self) -> None:
        self._closed_by_us = True
        if self._transport is not None and not self._transport.is_closing():
            self._transport.close()


_BAD_REQUEST = Reply(400, "malformed HTTP request\n")
_HEAD_TOO_LARGE = Reply(431, "request head too large\n")  # RFC 6585 §5
_BODY_TIMEOUT = Reply(408, "body not received in time\n")
_SERVER_ERROR = Reply(500, "internal error\n")
