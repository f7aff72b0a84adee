"""The window's session for a data dir: attach to the engine running there, or run one.

One capture engine per data dir (issue 14). When another process already runs it — a
`b24monitor listen` in a terminal, another window — the window attaches to it over the control
channel (a RemoteSession) instead of being refused; otherwise the window runs the engine in
its own process: as a separate `listen --engine` process that outlives the window, or as an
in-process Session (which serves the control channel to later windows too).
Two windows started at the same moment race for the engine lock: the loser attaches. Every
window of a window's engine can start it again (it died, or another window restarted it): the
engine lock lets one new engine run, and every window attaches to that one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from b24monitor.core.errors import B24MonitorError
from b24monitor.services import control_client
from b24monitor.services.control_socket import served
from b24monitor.services.engine_spawn import (
    EngineStartFailed,
    running_engine,
    spawn_engine,
    wait_attachable,
    wait_gone,
)
from b24monitor.services.remote_session import STOP_WAIT_S, RemoteSession, connector
from b24monitor.services.session import Session, SessionConfig
from b24monitor.services.session_view import SessionView

if TYPE_CHECKING:
    from b24monitor.services.secrets import SecretStore


async def attach(config: SessionConfig, secrets: SecretStore) -> RemoteSession | None:
    """A RemoteSession on the data dir's running engine; None when no engine answers."""
    if not served(config.data_dir):
        return None
    remote = RemoteSession(config, secrets=secrets, connect=connector(config.data_dir))
    try:
        await remote.start()
    except (OSError, B24MonitorError):
        return None  # a crashed engine's socket, or one stopping right now
    return remote


async def show_background_window(data_dir: Path) -> int | None:
    """Bring back the data dir's window that waits in the background ("keep capturing"), so a
    second start of b24monitor does not open another; its pid, or None when no window waits
    (or no engine runs): the caller then opens a window of its own."""
    if not served(data_dir):
        return None
    try:
        client = await control_client.connect(data_dir)
    except (OSError, B24MonitorError):
        return None
    try:
        answer = await client.request("show_window")
    except (OSError, B24MonitorError):
        return None  # an engine from before windows announced themselves: open a window
    finally:
        await client.close()
    pid = answer.get("pid") if isinstance(answer, dict) and answer.get("shown") else None
    return pid if isinstance(pid, int) else None


async def open_session(
    config: SessionConfig,
    secrets: SecretStore,
    *,
    own_engine: bool = False,
    settings: Callable[[], SessionConfig] | None = None,
) -> SessionView:
    """Attach to the running engine, else start one: its own process with `own_engine`,
    else in this process.

    Raises:
        B24MonitorError, OSError: no engine runs and none can be started (the port, the
            database); the message is one sentence.
    """
    remote = await attach(config, secrets)
    if remote is not None:
        if own_engine:  # it may die, or another window restart it: this window carries on
            remote.revive = reviver(remote, settings or (lambda: config))[0]
        return remote
    if own_engine:
        return await start_engine(config, secrets, settings or (lambda: config))
    session = Session(config, secrets=secrets)
    try:
        await session.start()  # cleans up after itself when it fails
    except B24MonitorError:
        remote = await attach(config, secrets)  # another window won the race for the lock
        if remote is not None:
            return remote
        raise
    return session


async def start_engine(
    config: SessionConfig, secrets: SecretStore, settings: Callable[[], SessionConfig]
) -> RemoteSession:
    """Start `listen --engine` with the window's settings, attach; it is restarted if it dies,
    each time with the `settings()` current then.

    Raises:
        EngineStartFailed: the engine ended or stayed silent; its own sentence says why.
    """
    remote = RemoteSession(config, secrets=secrets, connect=connector(config.data_dir))
    revive, spawn = reviver(remote, settings)
    await spawn(config)
    remote.revive = revive
    return remote


Spawn = Callable[[SessionConfig], Awaitable[None]]


def reviver(
    remote: RemoteSession, settings: Callable[[], SessionConfig]
) -> tuple[Callable[[], Awaitable[None]], Spawn]:
    """How `remote` gets an engine again: attach to the one holding the data dir's lock, else
    start one with the `settings()` current then (on its old port); and the bare start."""

    async def spawn(current: SessionConfig) -> None:
        pid = await asyncio.to_thread(spawn_engine, current)
        await wait_attachable(pid, remote.start, current.data_dir)

    async def revive() -> None:
        data_dir = remote.config.data_dir
        if remote.engine_pid is not None:  # a killed engine's channel closes before it has ended
            await wait_gone(remote.engine_pid, STOP_WAIT_S)
        holder = await asyncio.to_thread(running_engine, data_dir)
        if holder is not None:  # another window (or a terminal) was quicker: attach to it
            await wait_attachable(holder.pid, remote.start, data_dir)
            return
        await spawn_on_the_same_port(remote, settings(), spawn)

    return revive, spawn


async def spawn_on_the_same_port(
    remote: RemoteSession,
    config: SessionConfig,
    spawn: Spawn,
) -> None:
    """Start the engine again where the last one listened when no port is fixed in Settings:
    the user's URL or tunnel points at that port. If it is taken, on any free port, and
    `remote.moved` says so."""
    old = urlsplit(remote.local_url).port if remote.local_url else None
    if config.receiver.port != 0 or not old:
        await spawn(config)
        return
    try:
        await spawn(replace(config, receiver=replace(config.receiver, port=old)))
        return
    except EngineStartFailed as exc:
        why = str(exc).rstrip(".")
    await spawn(config)
    remote.moved.emit(
        f"port {old} could not be used again ({why}), so the capture engine now receives at "
        f"{remote.local_url}: point your URL or tunnel there, or fix a port in Settings"
    )
