"""The engine's control channel: windows attach to the Session holding the data dir's lock.

Protocol (issue 14; ENGINE-PROTOCOL.md): newline-delimited JSON over `<data dir>/engine.sock`
(services/control_socket.py: 0600 socket, own uid only, token from engine.token), or over
loopback TCP where unix sockets are missing (Windows; B24MONITOR_CONTROL=tcp): the port in
engine.address, the same token, no peer-uid check.

Client → engine: first `{"op":"hello","token":…}`; then requests, each with an integer "id":
`rest` (method, params → the method's `result`), `switch_portal` (name), `start_tunnel`
((re)starts the route → the tunnel line), `reconcile` (→ {subscriptions}), `stop`, `status` (→
the hello dict without "type"); beyond ENGINE-PROTOCOL.md: `set_wanted` (subscriptions [[event,
"online"|"offline"], …], wanted), `ping` (within → {seconds}), `set_safety_net` (enabled); added
by the window's side: `rest_page` (as `rest`, → {result, total, next}: list methods walked page
by page, spec §5.6), `authorize_url` (portal_url → the approval URL with the engine's OAuth
state, spec §5.2); for windows (services/control_windows.py): `window` (pid, background: the
window announces itself and whether "keep capturing" sent it to the background → {windows}),
`show_window` (a second start of b24monitor: the newest background window is sent
`show_window` → {shown: true, pid}, or {shown: false, windows} when none waits), and `stop`
with "unless_windows": true (→ {stopping: false, windows} while other windows are attached; a
window never stops a terminal's `listen`: cannot_stop), or with "restart": true (a window
restarts its engine: the bye says `restarting`, and the other windows wait for the new one).
Engine → client: `hello` (engine_state: the agreed fields plus "started", "subscriptions" and
"windows" [{pid, background}]; "receiver" carries "stray_hits"), or `refused` {message} and
close; then one line per piece of news — `committed` {ids, lifecycle}, `tunnel` {…the `listen
--json` tunnel line}, `notice` {"notice": the portal/guard notice dict, nested because it has
its own "type"}, `attempt` {…the forward line's fields, started_at}, `alert` {…the alert line
plus every Alert field}, `portal` {portal}, `show_window` (to one window) — and `reply` {id, ok,
result | error {code, message}}; `bye` {reason: stopping | restarting | replaced | too_slow}
before the engine closes the channel.

Everything here runs on the session's loop and never waits for a client: news is encoded once
and put on each client's bounded queue; a client whose queue is full is dropped (`too_slow`)
and re-reads the rows from SQLite when it comes back. The capture thread is never involved: it
only hands batches to the loop (services/session.py), as it did before this channel existed.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hmac
import json
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from b24monitor.core.errors import B24MonitorError, PortalError
from b24monitor.core.tasks import spawn
from b24monitor.services import control_socket as where
from b24monitor.services.control_windows import Windows
from b24monitor.services.engine_state import (
    alert_message,
    attempt_message,
    engine_state,
    to_json,
    tunnel_record,
)

if TYPE_CHECKING:
    from b24monitor.core.replay import Attempt
    from b24monitor.core.traffic_patterns import Alert
    from b24monitor.services.portal_link import Notice
    from b24monitor.services.session import Session
    from b24monitor.services.tunnel import TunnelState

log = logging.getLogger(__name__)

QUEUE_LINES = 10_000  # per client: past this the client is too slow and dropped
HELLO_TIMEOUT_S = 10.0
BYE_GRACE_S = 10.0  # how long a dropped client may take to read what is still buffered
STOP_GRACE_S = 2.0  # … and a client of a stopping engine: a hung window must not hold the stop
LINE_LIMIT = 1 << 20  # one request line (a REST call's params)


class RequestFailed(Exception):
    """A request the engine cannot do: its `code` and one sentence go back in the reply."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class _Client:
    """One attached client: its stream, its bounded outgoing queue and the task draining it."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.queue: asyncio.Queue[bytes] = asyncio.Queue(QUEUE_LINES)
        self.pump: asyncio.Task[None] | None = None
        self.leaving = False

    def send(self, line: bytes) -> bool:
        """Queue one line; False when the queue is full (the client fell behind)."""
        try:
            self.queue.put_nowait(line)
        except asyncio.QueueFull:
            return False
        return True

    async def drain_queue(self) -> None:
        while True:
            lines = [await self.queue.get()]
            while not self.queue.empty() and len(lines) < 512:
                lines.append(self.queue.get_nowait())
            self.writer.write(b"".join(lines))  # whole lines: a cancel lands between them
            await self.writer.drain()

    async def leave(
        self, bye: bytes | None, *, flush: bool = False, grace: float = BYE_GRACE_S
    ) -> None:
        """Stop the pump, say bye (after the queued lines when `flush`), close; a client that
        reads nothing for `grace` seconds is cut off."""
        self.leaving = True
        if self.pump is not None:
            self.pump.cancel()
            await asyncio.gather(self.pump, return_exceptions=True)
        queued = []
        while flush and not self.queue.empty():
            queued.append(self.queue.get_nowait())
        with contextlib.suppress(ConnectionError, RuntimeError, TimeoutError):
            if not self.writer.is_closing():
                self.writer.write(b"".join([*queued, bye or b""]))
            self.writer.close()
            await asyncio.wait_for(self.writer.wait_closed(), grace)
        if not self.writer.transport.is_closing() or self.writer.transport.get_write_buffer_size():
            self.writer.transport.abort()  # a client that reads nothing cannot hold us


def _line(message: dict[str, Any]) -> bytes:
    return (to_json(message) + "\n").encode()


class ControlServer:
    """Serves one Session's control channel on its data dir's engine.sock while it runs."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.data_dir = session.config.data_dir
        self._server: asyncio.AbstractServer | None = None
        self._token = ""
        self._clients: set[_Client] = set()
        self._handlers: set[asyncio.Task[None]] = set()
        self._disconnect: list[Callable[[], None]] = []
        self._own_uid = os.getuid() if hasattr(os, "getuid") else -1
        self.windows: Windows[_Client] = Windows()
        self.bye_reason = "stopping"  # "restarting" once a window asked for a restart

    @property
    def clients(self) -> int:
        """How many clients are attached (past their hello)."""
        return len(self._clients)

    async def start(self) -> None:
        """Write a fresh token, then listen on engine.sock (0600) and hear the session's news."""
        self._token = await asyncio.to_thread(where.write_token, self.data_dir)
        await asyncio.to_thread(self._remove_files, token=False)  # a crashed engine's address
        if where.serve_tcp():
            sock = await asyncio.to_thread(self._tcp_socket)
            self._server = await asyncio.start_server(self._accept, sock=sock, limit=LINE_LIMIT)
            port = sock.getsockname()[1]
            await asyncio.to_thread(where.write_address, self.data_dir, port)
        else:
            sock = await asyncio.to_thread(self._bound_socket)
            self._server = await asyncio.start_unix_server(
                self._accept, sock=sock, limit=LINE_LIMIT
            )
        s = self.session
        self._disconnect = [
            s.committed_batch.connect(self._on_batch),
            s.tunnel_changed.connect(self._on_tunnel),
            s.notice.connect(self._on_notice),
            s.attempt_recorded.connect(self._on_attempt),
            s.alerts.connect(self._on_alert),
            s.portal_changed.connect(self._on_portal),
        ]

    def _tcp_socket(self) -> socket.socket:
        """Loopback only, an ephemeral port: only local processes that read the token get in."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.bind((where.LOOPBACK, 0))
        except BaseException:
            sock.close()
            raise
        return sock

    def _bound_socket(self) -> socket.socket:
        path = where.socket_path(self.data_dir)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            with where.bindable(path) as address:
                sock.bind(address)  # a crashed engine's socket was removed: we hold the lock
                os.chmod(address, 0o600)  # before listen(): nobody could connect yet
        except BaseException:
            sock.close()
            raise
        return sock

    async def stop(self, reason: str | None = None) -> None:
        """Say bye to every client, close the socket and remove engine.sock/.address/.token."""
        reason = reason or self.bye_reason
        for disconnect in self._disconnect:
            disconnect()
        self._disconnect = []
        if self._server is None:
            return
        server, self._server = self._server, None
        server.close()
        bye = _line({"type": "bye", "reason": reason})
        clients, self._clients = list(self._clients), set()
        self.windows = Windows()
        leaving = (c.leave(bye, flush=True, grace=STOP_GRACE_S) for c in clients)
        await asyncio.gather(*leaving, return_exceptions=True)
        for task in list(self._handlers):
            task.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        await asyncio.to_thread(self._remove_files)

    def _remove_files(self, *, token: bool = True) -> None:
        """Remove the channel's files (the token too with `token`): we hold the engine lock,
        so whatever is there is ours or a dead engine's."""
        if token:
            with contextlib.suppress(FileNotFoundError):
                where.token_path(self.data_dir).unlink()
        with contextlib.suppress(FileNotFoundError):
            where.address_path(self.data_dir).unlink()
        with (
            where.bindable(where.socket_path(self.data_dir)) as address,
            contextlib.suppress(FileNotFoundError),
        ):
            os.unlink(address)

    # -- news --------------------------------------------------------------------------------

    def broadcast(self, message: dict[str, Any]) -> None:
        """Queue `message` for every attached client (encoded once); drop the ones behind."""
        if not self._clients:
            return
        line = _line(message)
        for client in list(self._clients):
            if not client.send(line):
                self._drop(client, "too_slow")

    def _drop(self, client: _Client, reason: str) -> None:
        self._clients.discard(client)
        self.windows.forget(client)
        client.leaving = True  # now, not when the task below first runs: nothing more is sent
        log.info("control client dropped: %s", reason)
        spawn(client.leave(_line({"type": "bye", "reason": reason})), name="control-drop")

    def _on_batch(self, batch: tuple[list[int], list[int]]) -> None:
        ids, lifecycle = batch
        self.broadcast({"type": "committed", "ids": ids, "lifecycle": lifecycle})

    def _on_tunnel(self, state: TunnelState) -> None:
        self.broadcast(tunnel_record(self.session, state))

    def _on_notice(self, notice: Notice) -> None:
        self.broadcast({"type": "notice", "notice": notice})

    def _on_attempt(self, attempt: Attempt) -> None:
        self.broadcast(attempt_message(attempt))

    def _on_alert(self, alert: Alert) -> None:
        self.broadcast(alert_message(alert))

    def _on_portal(self, name: str | None) -> None:
        self.broadcast({"type": "portal", "portal": name})

    # -- one connection ----------------------------------------------------------------------

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        client = _Client(reader, writer)
        try:
            if await self._admit(client):
                await self._serve(client)
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            pass  # the client hung up or sent a line past the limit: nothing to answer
        finally:
            self._handlers.discard(task)
            if client in self._clients:
                self._clients.discard(client)
            self.windows.forget(client)
            if not client.leaving:
                await client.leave(None)

    async def _admit(self, client: _Client) -> bool:
        """Own user, then a hello with the right token within HELLO_TIMEOUT_S."""
        sock = client.writer.get_extra_info("socket")
        if not where.peer_allowed(where.peer_uid(sock), self._own_uid):
            client.writer.write(_refused("this engine belongs to another user"))
            return False
        try:
            first = await asyncio.wait_for(client.reader.readline(), HELLO_TIMEOUT_S)
        except TimeoutError:
            return False
        hello = _parse(first)
        token = hello.get("token") if hello is not None else None
        if hello is None or hello.get("op") != "hello" or not isinstance(token, str):
            client.writer.write(_refused("the first line must be a hello with the engine token"))
            return False
        if not hmac.compare_digest(token.encode(), self._token.encode()):
            client.writer.write(_refused("the token is not this engine's (read engine.token)"))
            return False
        # No await between the snapshot and joining: no news is lost or seen twice.
        client.send(_line(self._state()))
        self._clients.add(client)
        client.pump = spawn(client.drain_queue(), name="control-pump")
        return True

    async def _serve(self, client: _Client) -> None:
        while raw := await client.reader.readline():
            if client.leaving:
                continue  # dropped: read on, so a client still writing gets to read its bye
            request = _parse(raw)
            if request is None or not isinstance(request.get("id"), int):
                why = 'a request is a JSON object with an integer "id" and an "op"'
                self._reply(client, None, error=("bad_request", why))
                continue
            op = str(request.get("op"))
            handler = self._ops().get(op)
            if op in self._window_ops():
                handler = functools.partial(self._window_ops()[op], client)
            if handler is None:
                why = f"unknown op {request.get('op')!r}"
                self._reply(client, request["id"], error=("unknown_op", why))
            else:
                spawn(self._answer(client, request, handler), name="control-request")

    async def _answer(
        self,
        client: _Client,
        request: dict[str, Any],
        handler: Callable[[dict[str, Any]], Awaitable[Any]],
    ) -> None:
        rid = request["id"]
        try:
            result = await handler(request)
        except RequestFailed as exc:
            self._reply(client, rid, error=(exc.code, str(exc)))
        except PortalError as exc:
            self._reply(client, rid, error=(getattr(exc, "code", None) or type(exc).__name__,
                                            str(exc)))  # fmt: skip
        except B24MonitorError as exc:
            self._reply(client, rid, error=(type(exc).__name__, str(exc)))
        except Exception:
            log.exception("control request %r failed", request.get("op"))
            self._reply(client, rid, error=("internal", "the engine failed to do this; its "
                                            "log has the details"))  # fmt: skip
        else:
            self._reply(client, rid, result=result)

    def _reply(
        self,
        client: _Client,
        rid: int | None,
        *,
        result: Any = None,
        error: tuple[str, str] | None = None,
    ) -> None:
        if client.leaving or client not in self._clients:
            return
        reply: dict[str, Any] = {"type": "reply", "id": rid, "ok": error is None}
        if error is None:
            reply["result"] = result
        else:
            reply["error"] = {"code": error[0], "message": error[1]}
        if not client.send(_line(reply)):
            self._drop(client, "too_slow")

    # -- requests ----------------------------------------------------------------------------

    def _ops(self) -> dict[str, Callable[[dict[str, Any]], Awaitable[Any]]]:
        return {
            "rest": self._rest,
            "rest_page": self._rest_page,
            "switch_portal": self._switch_portal,
            "start_tunnel": self._start_tunnel,
            "reconcile": self._reconcile,
            "authorize_url": self._authorize_url,
            "status": self._status,
            # Beyond ENGINE-PROTOCOL.md (additive): the window's intents that need the engine.
            "set_wanted": self._set_wanted,
            "ping": self._ping,
            "set_safety_net": self._set_safety_net,
        }

    async def _rest(self, request: dict[str, Any]) -> Any:
        """A REST call with the engine's tokens: only the engine refreshes them (spec §5.2)."""
        method, params = request.get("method"), request.get("params") or {}
        if not isinstance(method, str) or not isinstance(params, dict):
            raise RequestFailed("bad_request", "rest needs a \"method\" string and \"params\" "
                                "object")  # fmt: skip
        portal = self._portal()
        return await portal.client.call(method, params)

    async def _rest_page(self, request: dict[str, Any]) -> Any:
        """`rest` with the answer's paging fields, so a client can walk a list (spec §5.6)."""
        method, params = request.get("method"), request.get("params") or {}
        if not isinstance(method, str) or not isinstance(params, dict):
            raise RequestFailed("bad_request", "rest_page needs a \"method\" string and "
                                "\"params\" object")  # fmt: skip
        page = await self._portal().client.request(method, params)
        return {"result": page.result, "total": page.total, "next": page.next}

    async def _switch_portal(self, request: dict[str, Any]) -> Any:
        name = request.get("name")
        if name is not None and not isinstance(name, str):
            raise RequestFailed("bad_request", 'switch_portal needs "name": a profile or null')
        await self.session.switch_portal(name)
        return {"portal": name}

    async def _start_tunnel(self, request: dict[str, Any]) -> Any:
        session = self.session
        if session.capture is None:
            raise RequestFailed("stopped", "the engine is stopping")
        if session.tunnel is not None:  # a restart: the old agent must not linger
            await session.tunnel.stop()
        state = await session.start_tunnel()
        return tunnel_record(session, state)

    async def _reconcile(self, request: dict[str, Any]) -> Any:
        portal = self._portal()
        await self.session.attach_portal()
        return {"subscriptions": portal.report}

    async def _authorize_url(self, request: dict[str, Any]) -> Any:
        """Where the user approves the app (spec §5.2): the engine's link checks the redirect's
        state, so the URL must carry the engine's state, not a window's."""
        portal_url = request.get("portal_url")
        if not isinstance(portal_url, str) or not portal_url.strip():
            raise RequestFailed("bad_request", 'authorize_url needs "portal_url"')
        return self._portal().authorize_url(portal_url, self.session.handler_url)

    def _window_ops(self) -> dict[str, Callable[[_Client, dict[str, Any]], Awaitable[Any]]]:
        """The requests whose answer depends on who asks (see control_windows.py)."""
        return {"stop": self._stop, "window": self._window, "show_window": self._show_window}

    async def _stop(self, client: _Client, request: dict[str, Any]) -> Any:
        """Stop capturing; with "unless_windows", only when no other window is attached."""
        if not len(self.session.stop_requested):
            raise RequestFailed("cannot_stop", "this engine runs inside a window: close the "
                                "window to stop it")  # fmt: skip
        if self.windows.is_window(client) and self.session.config.engine == "listen":
            raise RequestFailed("cannot_stop", "this engine is a `b24monitor listen` started "
                                "in a terminal: stop it there")  # fmt: skip
        others = self.windows.others(client)
        if request.get("unless_windows") is True and others:
            return {"stopping": False, "windows": others}
        if request.get("restart") is True:
            self.bye_reason = "restarting"
        self.session.stop_requested.emit("a control client asked")
        return {"stopping": True}

    async def _window(self, client: _Client, request: dict[str, Any]) -> Any:
        """A window says who it is and whether it waits in the background."""
        pid, background = request.get("pid"), request.get("background")
        if not isinstance(pid, int) or not isinstance(background, bool):
            raise RequestFailed("bad_request", 'window needs "pid" and "background": true or '
                                "false")  # fmt: skip
        self.windows.announce(client, pid, background)
        return {"windows": self.windows.count()}

    async def _show_window(self, client: _Client, request: dict[str, Any]) -> Any:
        """b24monitor started again: bring back the window waiting in the background, if one
        does (→ its pid); else the starter opens a window of its own."""
        waiting = self.windows.background()
        if waiting is None:
            return {"shown": False, "windows": self.windows.count()}
        target, info = waiting
        self.windows.announce(target, info.pid, False)  # a second start meanwhile opens anew
        if not target.send(_line({"type": "show_window"})):
            self._drop(target, "too_slow")
            return {"shown": False, "windows": self.windows.count()}
        return {"shown": True, "pid": info.pid}

    async def _set_wanted(self, request: dict[str, Any]) -> Any:
        """Tick or untick [[event, "online"|"offline"], …]: remembered, then one reconcile."""
        pairs, wanted = request.get("subscriptions"), request.get("wanted")
        ok = isinstance(pairs, list) and isinstance(wanted, bool)
        if not ok or not all(_is_subscription(p) for p in pairs or ()):
            why = 'set_wanted needs "subscriptions": [[event, "online"|"offline"], …], "wanted"'
            raise RequestFailed("bad_request", why)
        portal = self._portal()
        keys = [(str(event), mode) for event, mode in pairs or ()]
        if len(keys) == 1:
            await portal.set_wanted(keys[0][0], keys[0][1], wanted)
        else:
            await portal.set_wanted_many(keys, wanted)
        return {"subscriptions": portal.report}

    async def _ping(self, request: dict[str, Any]) -> Any:
        """event.test until its ONAPPTEST arrives here (spec §2.5): the seconds it took."""
        within = request.get("within", 30.0)
        if not isinstance(within, (int, float)) or not 0 < within <= 600:
            raise RequestFailed("bad_request", 'ping takes "within": seconds, at most 600')
        return {"seconds": await self._portal().ping(float(within))}

    async def _set_safety_net(self, request: dict[str, Any]) -> Any:
        enabled = request.get("enabled")
        if not isinstance(enabled, bool):
            raise RequestFailed("bad_request", 'set_safety_net needs "enabled": true or false')
        guard = self.session.guard
        if guard is None:
            raise RequestFailed("no_guard", "the safety net needs a linked application profile")
        await guard.set_safety_net(enabled)
        return {"enabled": enabled}

    async def _status(self, request: dict[str, Any]) -> Any:
        state = self._state()
        state.pop("type")
        return state

    def _state(self) -> dict[str, Any]:
        """engine_state plus the attached windows: [{pid, background}]."""
        return engine_state(self.session) | {"windows": self.windows.listed()}

    def _portal(self) -> Any:
        portal = self.session.portal
        if portal is None:
            raise RequestFailed("no_portal", "the engine follows no portal: switch to a "
                                "profile first")  # fmt: skip
        return portal


def _is_subscription(pair: Any) -> bool:
    return (
        isinstance(pair, list)
        and len(pair) == 2
        and isinstance(pair[0], str)
        and pair[1] in ("online", "offline")
    )


def _refused(message: str) -> bytes:
    return _line({"type": "refused", "message": message})


def _parse(raw: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) else None
