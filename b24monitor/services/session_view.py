"""SessionView: what a window needs from a session — its own engine, or another process's.

The window's panes take this instead of the Session class, so the same panes draw an
in-process Session (services/session.py) or a RemoteSession attached to the engine of another
process over the control channel (services/remote_session.py). Read-only properties, so both
plain attributes and properties satisfy it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import httpx

from b24monitor.core.receiver_stats import ReceiverStats
from b24monitor.core.replay import Attempt
from b24monitor.core.signals import Signal
from b24monitor.core.traffic_patterns import Alert
from b24monitor.services.portal_link import Notice, PortalLink
from b24monitor.services.profiles import ProfileStore
from b24monitor.services.session import SessionConfig
from b24monitor.services.tunnel_settings import TunnelState

if TYPE_CHECKING:
    from b24monitor.services.secrets import SecretStore


class ReceiverView(Protocol):
    """The receiver's counters for the status bar (a CaptureThread, or the engine's last)."""

    @property
    def stray_hits(self) -> int: ...

    def stats(self) -> ReceiverStats: ...


class GuardView(Protocol):
    """The capture guard as the panes use it: the safety-net switch, the canary's trips."""

    async def set_safety_net(self, enabled: bool) -> None: ...

    def last_trips(self, count: int = 20) -> list[tuple[float, float | None]]: ...


class SessionView(Protocol):
    """The session surface the window's panes use."""

    @property
    def config(self) -> SessionConfig: ...
    @property
    def db_path(self) -> Path: ...
    @property
    def handler_path(self) -> str: ...
    @property
    def public_url(self) -> str | None: ...
    @property
    def local_url(self) -> str: ...
    @property
    def handler_url(self) -> str: ...
    @property
    def tunnel_state(self) -> TunnelState: ...
    @property
    def portal(self) -> PortalLink | None: ...
    @property
    def guard(self) -> GuardView | None: ...
    @property
    def capture(self) -> ReceiverView | None: ...
    @property
    def secrets(self) -> SecretStore: ...
    @property
    def profiles(self) -> ProfileStore: ...
    @property
    def http(self) -> httpx.AsyncClient: ...
    @property
    def committed(self) -> Signal[list[int]]: ...
    @property
    def tunnel_changed(self) -> Signal[TunnelState]: ...
    @property
    def notice(self) -> Signal[Notice]: ...
    @property
    def attempt_recorded(self) -> Signal[Attempt]: ...
    @property
    def alerts(self) -> Signal[Alert]: ...

    async def switch_portal(self, name: str | None) -> None: ...
    async def start_tunnel(self) -> TunnelState: ...
    async def stop(self) -> None: ...
