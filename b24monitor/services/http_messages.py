"""HTTP/1.1 messages as the receiver's server sees them: a parsed request, a rendered answer.

Both are made once per request on the capture thread, so they are plain slotted classes; the
answers the receiver gives most are rendered once, as module constants (services/receiver.py).
"""

from __future__ import annotations

import time
from http import HTTPStatus
from urllib.parse import unquote

import httptools

# The headers the server and the receiver look at (lower case), found in one pass.
SEEN = frozenset(("content-length", "content-type", "expect", "host", "x-forwarded-host"))


class Reply:
    """One answer, its status line and headers rendered once (most are module constants)."""

    __slots__ = ("_body", "_head", "status")

    def __init__(self, status: int, text: str, headers: tuple[tuple[str, str], ...] = ()) -> None:
        self.status = status
        self._body = text.encode()
        extra = "".join(f"{k}: {v}\r\n" for k, v in headers)
        self._head = (
            f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            f"Content-Length: {len(self._body)}\r\n{extra}"
        ).encode("latin-1")

    def wire(self, connection: bytes, head_only: bool = False) -> bytes:
        """The bytes to send; `connection` is a Connection header line or b"" (http_protocol)."""
        head = self._head + _date_line() + connection + b"\r\n"
        return head if head_only else head + self._body


_date = [0, b""]


def _date_line() -> bytes:
    """The Date header (RFC 9110 §6.6.1), rendered once a second."""
    now = int(time.time())
    if now != _date[0]:
        stamp = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(now))
        _date[:] = [now, f"Date: {stamp}\r\n".encode()]
    return _date[1]  # type: ignore[return-value]


class Request:
    """One request as the handler sees it: header names keep their case, values are str."""

    __slots__ = (
        "body",
        "content_length",
        "headers",
        "http10",
        "keep_alive",
        "keep_body",
        "method",
        "path",
        "peer",
        "query",
        "seen",
    )  # fmt: skip

    def __init__(
        self, method: str, target: bytes, headers: list[tuple[str, str]], peer: str | None
    ) -> None:
        self.method = method
        if target[:1] != b"/":  # absolute-form (RFC 9112 §3.2.2) or garbage: the parser's view
            url = httptools.parse_url(target)
            target = (url.path or b"/") + (b"?" + url.query if url.query else b"")
        raw_path, _, raw_query = target.partition(b"?")
        path = raw_path.decode("utf-8", "surrogateescape")
        self.path = unquote(path) if "%" in path else path  # what aiohttp's request.path gave
        self.query = raw_query.decode("utf-8", "surrogateescape")
        self.headers = headers
        self.peer = peer
        self.keep_alive = True
        self.http10 = False
        self.content_length: int | None = None
        self.seen: dict[str, str] = {}  # first value of each header named in SEEN
        self.body = bytearray()
        self.keep_body = False  # set by the handler's on_head when it wants the body

    def header(self, name: str) -> str | None:
        """The first value of a header, by lower-case name (one of SEEN, found in one pass)."""
        return self.seen.get(name)
