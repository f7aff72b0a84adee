"""RemoteSession: a window's view of the capture engine another process runs for its data dir.

It offers the surface the window's panes use on an in-process Session — the handler and local
URLs, the tunnel state, the linked portal, the shared services (secrets, profiles, an HTTP
client for replays) and the five Signals (committed, tunnel_changed, notice, attempt_recorded,
alerts) — fed by the engine's control channel (ENGINE-PROTOCOL.md) instead of a capture thread.
Rows are still read straight from SQLite by the window's own store worker; only ids and news
travel here. The user's intents (switch portal, start the tunnel, reconcile, REST calls of the
subscriptions dock and the offline pane) go to the engine as requests.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import httpx

from b24monitor.core.errors import (
    B24MonitorError,
    EngineError,
    EngineGone,
    EngineRequestFailed,
)
from b24monitor.core.receiver_stats import ReceiverStats
from b24monitor.core.replay import Attempt, Routes
from b24monitor.core.signals import Signal
from b24monitor.core.tasks import spawn
from b24monitor.core.traffic_patterns import Alert
from b24monitor.services import control_client
from b24monitor.services import remote_wire as wire
from b24monitor.services.control_socket import served
from b24monitor.services.engine_spawn import running_engine, wait_gone
from b24monitor.services.portal_link import Notice
from b24monitor.services.profiles import ProfileStore
from b24monitor.services.remote_portal import EngineRestError, RemotePortalLink
from b24monitor.services.session import DB_NAME, SessionConfig
from b24monitor.services.tunnel_settings import TunnelState

if TYPE_CHECKING:
    from b24monitor.services.secrets import SecretStore

STOP_WAIT_S = 30.0  # an engine drains its last batches and closes the store before it exits
STATUS_EVERY_S = 2.0  # the receiver's counters for the status bar: a cheap `status` request
FOLLOW_EVERY_S = 1.0  # a detached window looks this often for an engine to attach to
# Another window restarts the engine: how long the old one may take to let go of the lock and
# the new one to take it, before this window starts one itself (the lock decides who runs).
RESTART_GRACE_S = 20.0


class EngineChannel(Protocol):
    """An open control channel (services/control_client.py EngineClient)."""

    hello: dict[str, Any]

    async def request(self, op: str, **args: Any) -> Any:
        """Send `op`, wait for its reply; raises EngineRequestFailed or EngineGone."""
        ...

    def __aiter__(self) -> AsyncIterator[dict[str, Any]]:
        """The engine's news, one dict each, until the channel closes."""
        ...

    async def close(self) -> None: ...


Connect = Callable[[], Awaitable[EngineChannel]]


def connector(data_dir: Path) -> Connect:
    """How a RemoteSession reaches the engine of `data_dir`: its unix socket and token."""

    async def connect() -> EngineChannel:
        return await control_client.connect(data_dir)

    return connect


class RemoteReceiver:
    """What the status bar asks a capture thread for, from the engine's last counters."""

    def __init__(self) -> None:
        self.stray_hits = 0
        self._stats = ReceiverStats()

    def stats(self) -> ReceiverStats:
        return self._stats

    def update(self, counters: Any) -> None:
        self._stats = wire.receiver_stats(counters)
        if isinstance(counters, dict) and isinstance(counters.get("stray_hits"), int):
            self.stray_hits = counters["stray_hits"]


class RemoteGuard:
    """The engine's capture guard, switched over the channel (`set_safety_net` op)."""

    def __init__(self, session: RemoteSession) -> None:
        self._session = session
        self.trips: list[tuple[float, float | None]] = []

    async def set_safety_net(self, enabled: bool) -> None:
        """The engine switches; its `safety-net-switched` notice comes back to every window."""
        await self._session.request("set_safety_net", enabled=enabled)

    def last_trips(self, count: int = 20) -> list[tuple[float, float | None]]:
        return self.trips[:count]

    def update(self, guard: Any) -> None:
        trips = guard.get("last_trips") if isinstance(guard, dict) else None
        self.trips = [
            (float(t[0]), float(t[1]) if isinstance(t[1], int | float) else None)
            for t in trips or ()
            if isinstance(t, list) and len(t) == 2 and isinstance(t[0], int | float)
        ]


class RemoteSession:
    """The engine of another process, seen through its control channel; attach with start()."""

    def __init__(self, config: SessionConfig, *, secrets: SecretStore, connect: Connect) -> None:
        self.config = config
        self._secrets = secrets
        self._connect = connect
        self.db_path = config.data_dir / DB_NAME
        self.guard: RemoteGuard | None = None  # the engine's, while it guards a portal
        self.capture: RemoteReceiver | None = None
        self.handler_path = ""
        self.public_url: str | None = None
        self._local_url = ""
        self.tunnel_state = TunnelState("stopped")
        self.portal: RemotePortalLink | None = None
        self.engine: dict[str, Any] = {}  # the hello: pid, command ("listen", "window", …)
        self.committed: Signal[list[int]] = Signal("committed")
        self.tunnel_changed: Signal[TunnelState] = Signal("tunnel_changed")
        self.notice: Signal[Notice] = Signal("notice")
        self.attempt_recorded: Signal[Attempt] = Signal("attempt_recorded")
        self.alerts: Signal[Alert] = Signal("alerts")
        self.portal_changed: Signal[str | None] = Signal("portal_changed")  # the engine switched
        self.detached: Signal[str] = Signal("detached")  # the channel closed: bye's reason
        # A window's engine that died, or that another window restarted, is running again and
        # this window attached to it (issue 14): "", or why it could not be started.
        self.revived: Signal[str] = Signal("revived")
        # Start (or attach to) the data dir's engine as a window does; set by engine_attach.
        self.revive: Callable[[], Awaitable[None]] | None = None
        # Detached, the window attached by itself to the engine that came next (a `listen`
        # started again in a terminal, a channel that dropped a slow window): its command.
        self.reattached: Signal[str] = Signal("reattached")
        # b24monitor was started again while this window waited in the background: show it.
        self.show_window: Signal[int] = Signal("show_window")  # carries the engine's pid
        # A restarted engine could not take its old port back: the sentence (engine_attach).
        self.moved: Signal[str] = Signal("moved")
        self._background: bool | None = None  # as last announced; None: not a window
        self._stopping = False
        self._restarting = False
        self._channel: EngineChannel | None = None
        self._reader: asyncio.Task[None] | None = None
        self._poller: asyncio.Task[None] | None = None
        self._follow: asyncio.Task[None] | None = None  # revive, or wait for the next engine
        self._profiles: ProfileStore | None = None
        self._http: httpx.AsyncClient | None = None

    # -- the surface the panes use ----------------------------------------------------------

    @property
    def secrets(self) -> SecretStore:
        return self._secrets

    @property
    def profiles(self) -> ProfileStore:
        if self._profiles is None:
            self._profiles = ProfileStore(self.config.data_dir, self._secrets)
        return self._profiles

    @property
    def http(self) -> httpx.AsyncClient:
        """The window's own client: replays to the forward target go straight from here."""
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=30.0)
        return self._http

    @property
    def local_url(self) -> str:
        return self._local_url

    @property
    def handler_url(self) -> str:
        return (self.public_url or self.local_url) + self.handler_path

    @property
    def attached(self) -> bool:
        return self._channel is not None

    @property
    def windows_engine(self) -> bool:
        """The engine is a window's (`listen --engine`): its windows may stop or restart it."""
        return self.engine.get("command") == "engine"

    @property
    def engine_pid(self) -> int | None:
        pid = self.engine.get("pid")
        return pid if isinstance(pid, int) else None

    # -- life cycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Open the channel, take the engine's hello, start hearing its news."""
        channel = await self._connect()
        self._channel = channel
        self._take_hello(channel.hello)
        self.capture = RemoteReceiver()
        self.capture.update(channel.hello.get("receiver"))
        self._reader = spawn(self._read(channel), name="engine-news")
        spawn(self._tell_hello_health(channel.hello), name="engine-health")
        if self._poller is not None:  # attached again (a restarted engine): one poller
            self._poller.cancel()
        self._poller = spawn(self._poll_status(), name="engine-status")
        if self._background is not None:  # a restarted engine learns of this window again
            spawn(self._announce(self._background), name="engine-window")

    async def stop(self) -> None:
        """Detach: the engine keeps capturing (stop_engine() is the user's "stop capturing")."""
        self._stopping = True
        for task in (self._follow, self._poller, self._reader):
            if task is not None and task is not asyncio.current_task():
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        self._poller = self._reader = self._follow = None
        channel, self._channel = self._channel, None
        if channel is not None:
            await channel.close()
        self.capture = None
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    def announce_window(self, background: bool) -> None:
        """Tell the engine this is a window, and whether it waits in the background: another
        start of b24monitor then shows it, and stopping leaves other windows capturing."""
        self._background = background
        if self._channel is not None:
            spawn(self._announce(background), name="engine-window")

    async def _announce(self, background: bool) -> None:
        with contextlib.suppress(EngineError, OSError):  # an older engine: no window op
            await self.request("window", pid=os.getpid(), background=background)

    async def stop_engine(self) -> int:
        """The user chose to stop capturing: the engine stops (this waits until its process
        is gone, so its store and lock are free), then this window detaches. While other
        windows are attached the engine goes on for them: returns how many (0: stopped)."""
        others = await self._stop_engine_process(unless_windows=True)
        await self.stop()
        return others

    async def restart_engine(self) -> None:
        """Stop the engine and start it again (new settings); the window stays attached.

        Raises:
            EngineStartFailed: the new engine ended or stayed silent (its sentence says why).
        """
        revive = self.revive
        if revive is None:
            raise EngineGone("this engine was not started by this window: restart it where it runs")
        self._restarting = True
        try:
            await self._stop_engine_process(restart=True)  # the other windows wait for the next
            await revive()
        finally:
            self._restarting = False

    async def take_over(self) -> None:
        """The engine this window showed stopped (a `listen` stopped in its terminal): start
        the window's own engine, or attach to one that started meanwhile.

        Raises:
            EngineStartFailed: the new engine ended or stayed silent (its sentence says why).
        """
        revive = self.revive
        if revive is None:
            raise EngineGone("this window cannot start a capture engine: open b24monitor again")
        self._then(None)  # no waiting for the next engine while this one starts
        await revive()

    async def _stop_engine_process(
        self, *, unless_windows: bool = False, restart: bool = False
    ) -> int:
        pid, reader = self.engine_pid, self._reader
        answer: Any = None
        ask = {"unless_windows": unless_windows} | ({"restart": True} if restart else {})
        with contextlib.suppress(EngineError, OSError):
            answer = await self.request("stop", **ask)
        if isinstance(answer, dict) and answer.get("stopping") is False:
            return int(answer.get("windows") or 0)
        if reader is not None:  # the engine's bye closes the channel after its last news
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(reader), STOP_WAIT_S)
        if pid is not None:
            await wait_gone(pid, STOP_WAIT_S)
        return 0

    # -- intents --------------------------------------------------------------------------------

    async def request(self, op: str, **fields: Any) -> Any:
        channel = self._channel
        if channel is None:
            raise EngineGone("the capture engine is not reachable: reopen b24monitor")
        return await channel.request(op, **fields)

    async def switch_portal(self, name: str | None) -> None:
        """Ask the engine to follow another profile (or none); this window follows it too."""
        await self.request("switch_portal", name=name)
        self._follow_portal(name)

    async def start_tunnel(self) -> TunnelState:
        """The engine brings up its own public route as it starts (`listen` does); its states
        arrive as tunnel news, so the window asks for nothing here."""
        return self.tunnel_state

    async def attach_portal(self) -> None:
        """Bindings follow the engine's URL: the engine reconciles them."""
        if self.portal is not None:
            await self.request("reconcile")

    async def _rest(self, method: str, params: Mapping[str, Any]) -> Any:
        try:
            return await self.request("rest_page", method=method, params=dict(params))
        except EngineRequestFailed as exc:
            raise EngineRestError(exc.code, str(exc)) from None
        except EngineError as exc:  # the channel went away: the pane shows the sentence
            raise EngineRestError("engine_gone", str(exc)) from None

    async def _ask(self, op: str, fields: dict[str, Any]) -> Any:
        return await self.request(op, **fields)

    # -- the engine's news ----------------------------------------------------------------------

    def _take_hello(self, hello: dict[str, Any]) -> None:
        self.engine = dict(hello)
        self.handler_path = str(hello.get("handler_path") or "")
        self._local_url = str(hello.get("local_url") or "")
        public = hello.get("public_url")
        self.public_url = public if isinstance(public, str) and public else None
        if isinstance(hello.get("db_path"), str):
            self.db_path = Path(hello["db_path"])
        self.tunnel_state = wire.tunnel_state(hello.get("tunnel"))
        routes = _routes(hello.get("forward"))
        self.config = replace(self.config, forward=routes, portal=_name(hello.get("portal")))
        self._follow_portal(_name(hello.get("portal")))
        self._take_guard(hello.get("guard"))
        if self.portal is not None and isinstance(hello.get("subscriptions"), dict):
            self.portal.report = wire.reconcile_report(hello["subscriptions"])

    async def _tell_hello_health(self, hello: dict[str, Any]) -> None:
        """The canary's last verdict, for the status bar (told once the window listens)."""
        guard = hello.get("guard")
        health = guard.get("health") if isinstance(guard, dict) else None
        if isinstance(health, dict) and health.get("type") == "health":
            self.notice.emit(wire.notice(health))

    def _take_guard(self, guard: Any) -> None:
        if self.guard is not None:
            self.guard.update(guard)

    def _follow_portal(self, name: str | None) -> None:
        current = self.portal.profile_name if self.portal is not None else None
        if name == current:
            return
        self.portal = None
        self.guard = RemoteGuard(self) if name is not None else None
        if name is not None:
            self.portal = RemotePortalLink(
                name, self.profiles, self.config.data_dir, self.http,
                rest=self._rest, ask=self._ask, notify=self.notice.emit,
            )  # fmt: skip
            # As the engine's guard decides: a window's engine catches missed events by default.
            self.portal.twins.default = self.engine.get("command") in ("engine", "window")
            spawn(self.portal.attach(self.handler_url, public=self.public_url is not None),
                  name="remote-portal-attach")  # fmt: skip

    async def _read(self, channel: EngineChannel) -> None:
        reason = "lost"  # no bye: the engine was killed or crashed
        async for message in channel:
            if message.get("type") == "bye":
                reason = str(message.get("reason") or "stopping")
                continue  # the channel closes right after
            self._on_message(message)
        if self._channel is channel:
            self._channel = None
            self.capture = None
            if self._poller is not None:
                self._poller.cancel()
            self.detached.emit(reason)
            if self._restarting or self._stopping:
                return  # restart_engine() starts the next engine itself
            ours = reason in ("lost", "restarting") and self.windows_engine
            if ours and self.revive is not None:
                self._then(self._revive(self.revive, reason))
            else:  # a listen stopped in its terminal: the user decides (take_over), or starts it
                self._then(self._await_engine())

    def _then(self, work: Coroutine[Any, Any, None] | None) -> None:
        """What this detached window does next (one thing at a time): revive, or wait."""
        if self._follow is not None:
            self._follow.cancel()
        self._follow = spawn(work, name="engine-follow") if work is not None else None

    async def _revive(self, revive: Callable[[], Awaitable[None]], reason: str) -> None:
        """Start the engine again (or attach to the one another window started) and re-attach;
        what arrived meanwhile is in the store."""
        try:
            if reason == "restarting":
                await self._await_restart()
            await revive()
        except (B24MonitorError, OSError) as exc:
            self.revived.emit(str(exc) or type(exc).__name__)
            self._follow = spawn(self._await_engine(), name="engine-follow")
            return
        self.revived.emit("")

    async def _await_restart(self) -> None:
        """Another window restarts the engine: wait for the old process to go and the new one
        to take the lock; after RESTART_GRACE_S without one, revive() starts it here."""
        if self.engine_pid is not None:
            await wait_gone(self.engine_pid, STOP_WAIT_S)
        deadline = time.monotonic() + RESTART_GRACE_S
        data_dir = self.config.data_dir
        while time.monotonic() < deadline:
            if await asyncio.to_thread(running_engine, data_dir) is not None:
                return
            await asyncio.sleep(0.1)

    async def _await_engine(self) -> None:
        """Attach to the next engine of the data dir as soon as one answers."""
        while True:
            await asyncio.sleep(FOLLOW_EVERY_S)
            if not await asyncio.to_thread(served, self.config.data_dir):
                continue
            try:
                await self.start()
            except (OSError, B24MonitorError):
                continue  # a killed engine's socket, or one still starting
            self._follow = None
            self.reattached.emit(str(self.engine.get("command") or ""))
            return

    def _on_message(self, message: dict[str, Any]) -> None:
        match message.get("type"):
            case "committed":
                ids = [int(i) for i in message.get("ids") or ()]
                if ids:  # its lifecycle events (installs, pings) are the engine's to handle
                    self.committed.emit(ids)
            case "tunnel":
                self._on_tunnel(wire.tunnel_state(message))
            case "notice":
                self._on_notice(wire.notice(message.get("notice")))
            case "attempt":
                self.attempt_recorded.emit(wire.attempt(message))
            case "alert":
                self.alerts.emit(wire.alert(message))
            case "show_window":
                self.show_window.emit(self.engine_pid or 0)
            case "portal":
                name = _name(message.get("portal"))
                before = self.portal.profile_name if self.portal is not None else None
                self._follow_portal(name)
                if name != before:
                    self.portal_changed.emit(name)

    def _on_tunnel(self, state: TunnelState) -> None:
        self.tunnel_state = state
        if state.state == "reachable" and state.public_url:  # as Session: only a proven URL
            self.public_url = state.public_url
            if self.portal is not None:
                spawn(self.portal.attach(self.handler_url, public=True), name="remote-url")
        self.tunnel_changed.emit(state)

    def _on_notice(self, notice: Notice) -> None:
        if notice.get("type") == "subscriptions" and self.portal is not None:
            self.portal.report = notice["report"]  # what the dock and the status bar redraw from
        self.notice.emit(notice)

    async def _poll_status(self) -> None:
        while True:
            await asyncio.sleep(STATUS_EVERY_S)
            try:
                status = await self.request("status")
            except (EngineError, OSError):
                continue  # a lost channel is told by the reader
            if isinstance(status, dict) and self.capture is not None:
                self.capture.update(status.get("receiver"))
                self._take_guard(status.get("guard"))


def _name(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _routes(value: Any) -> Routes | None:
    """The engine's forward routes, first match wins: [{"pattern": glob or None, "url"}]."""
    if not isinstance(value, list) or not value:
        return None
    rules: list[tuple[str, str]] = []
    default = None
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("url"), str):
            continue
        if isinstance(item.get("pattern"), str):
            rules.append((item["pattern"], item["url"]))
        else:
            default = item["url"]
    return Routes(default, tuple(rules))
