"""“Try without a portal”: the sandbox portal wired to a session by itself, for both front ends.

Starts a simulated portal on loopback (b24monitor.sandbox), (re)creates the app profile
`sandbox` with its client credentials, remembers which events to bind, installs the app at the
session's handler URL (ONAPPINSTALL, like a real "uses only API" app, spec §5.2) and generates
traffic for what gets bound. The session's PortalLink does the rest exactly as with a real
portal: token capture, one batch of binds, verification, unbinding on exit.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable
from pathlib import Path

from b24monitor.core.errors import ProfileError
from b24monitor.core.subscriptions import Mode, Subscription
from b24monitor.core.tasks import spawn
from b24monitor.sandbox import SandboxPortal, TrafficGenerator
from b24monitor.services.profiles import Profile, ProfileStore
from b24monitor.services.secrets import open_secret_store
from b24monitor.services.subscriptions import DesiredStore

DEMO_PROFILE = "sandbox"
DEFAULT_EVENTS = (
    "ONCRMDEALADD", "ONCRMDEALUPDATE", "ONCRMLEADADD", "ONCRMCONTACTADD", "ONTASKADD",
    "ONTASKUPDATE", "ONCALENDARENTRYADD",
)  # fmt: skip


class DemoPortal:
    """A running sandbox portal plus the `sandbox` profile pointing at it."""

    def __init__(
        self,
        data_dir: Path,
        *,
        rate: float = 1.0,
        seed: int | None = None,
        profiles: ProfileStore | None = None,
    ) -> None:
        """`profiles`: the session's (the desktop app has one); else opened at start()."""
        self._data_dir = data_dir
        self._profiles = profiles
        self._rate = rate
        self._seed = seed
        self.portal = SandboxPortal(seed=seed, rate_limit=True)
        self._traffic: TrafficGenerator | None = None
        self._traffic_task: asyncio.Task[int] | None = None

    async def start(
        self,
        online: Iterable[str] = DEFAULT_EVENTS,
        offline: Iterable[str] = (),
    ) -> str:
        """Start the portal, recreate the profile, remember the events; returns the profile."""
        await self.portal.start()
        profiles = self._profiles or ProfileStore(
            self._data_dir, await asyncio.to_thread(open_secret_store)
        )
        # Each sandbox run is a new portal (new member_id): an old install must not linger.
        with contextlib.suppress(ProfileError):
            profiles.remove(DEMO_PROFILE)
        profiles.add(Profile(DEMO_PROFILE, "app", client_id=self.portal.client_id,
                             client_secret=self.portal.client_secret))  # fmt: skip
        desired = DesiredStore(self._data_dir, DEMO_PROFILE)
        modes: list[tuple[Iterable[str], Mode]] = [(online, "online"), (offline, "offline")]
        for codes, mode in modes:
            for code in codes:
                desired.set(Subscription(code.strip().upper(), mode), True)
        return DEMO_PROFILE

    async def install(self, handler_url: str) -> None:
        """ONAPPINSTALL to our handler; then traffic for whatever gets bound."""
        await self.portal.install(handler_url)
        self._traffic = TrafficGenerator(self.portal, rate=self._rate, seed=self._seed)
        self._traffic_task = spawn(self._traffic.run(), name="sandbox-traffic")

    async def stop(self) -> None:
        if self._traffic_task is not None:
            self._traffic_task.cancel()
            with contextlib.suppress(BaseException):
                await self._traffic_task
        await self.portal.stop()
