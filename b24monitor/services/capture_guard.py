"""Never miss an event: the safety net, canary, bindings watchdog and coverage of one portal.

The session builds one guard per linked app profile and forwards what it hears (portal
notices, tunnel states, committed batches); the guard runs its parts on the front end's loop,
after the 200s — nothing here touches the capture path (architecture guide, "Derived facts
after the 200").
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from b24monitor.core.offline_twins import twins_of
from b24monitor.core.tasks import spawn
from b24monitor.services.canary import Canary, Health
from b24monitor.services.diagnosis import find_cause
from b24monitor.services.guard_store import GuardStore
from b24monitor.services.portal_link import Notice, PortalLink
from b24monitor.services.safety_net import SafetyNet
from b24monitor.services.tunnel import TunnelState
from b24monitor.services.watchdog import check_bindings

if TYPE_CHECKING:
    from b24monitor.services.session import Session

TICK_S = 15.0  # coverage heartbeat: how late a crash's gap may start at worst


@dataclass(frozen=True, slots=True)
class GuardSettings:
    """listen --safety-net / --safety-net-interval / --canary-interval."""

    safety_net: bool | None = None  # None: as last chosen for the profile, else the default
    safety_net_default: bool = False  # the GUI: on for app profiles until the user says no
    safety_net_interval: float = 30.0
    canary_interval: float = 60.0  # 0 turns the canary off (the watchdog still runs)
    grace: float = 10.0  # queue rows younger than this wait for their live POST


class CaptureGuard:
    """Starts and stops the guard parts of one linked portal; routes the session's news."""

    def __init__(self, session: Session, link: PortalLink, settings: GuardSettings) -> None:
        self._session = session
        self._link = link
        self._settings = settings
        self.safety_net: SafetyNet | None = None
        self.canary: Canary | None = None
        self._store: GuardStore | None = None
        self._ticker: asyncio.Task[None] | None = None
        self._tunnel_ok = True
        self._stopped = False
        self._covered: tuple[bool, str | None] | None = None
        # At once, not in start(): the first reconcile may run before start() gets here.
        link.twins.default = settings.safety_net_default
        if settings.safety_net is not None and link.subscriptions is not None:
            link.twins.set_enabled(settings.safety_net)
        elif settings.safety_net and link.subscriptions is None:
            session.notify({"type": "error", "where": "safety-net", "code": "NEEDS_APP",
                            "message": f"profile “{link.profile_name}” is an outgoing webhook: "
                            "the safety net needs a local application's offline queue; live "
                            "capture goes on"})  # fmt: skip

    async def start(self) -> None:
        link, settings, session = self._link, self._settings, self._session
        if link.subscriptions is None:
            return  # a webhook profile: no app, no offline queue, no event.test
        store = await asyncio.to_thread(GuardStore, session.db_path)
        await asyncio.to_thread(store.close_crashed)
        self._store = store
        self._assess()  # the timeline starts now, however short this session turns out
        if link.twins.enabled():
            await self._start_safety_net()
        self.canary = Canary(
            interval=settings.canary_interval, ping=self._ping, diagnose=self._diagnose,
            watchdog=lambda: check_bindings(link, session.notify), record=self._record,
            on_health=self._on_health, ready=link.can_bind,
        )  # fmt: skip
        self.canary.start()
        self._ticker = spawn(self._tick(), name="coverage-tick")
        if self._stopped:  # the session stopped while this was starting
            await self.stop()

    async def _start_safety_net(self) -> None:
        link, settings, session = self._link, self._settings, self._session
        self.safety_net = SafetyNet(
            link.client, session.db_path, profile_name=link.profile_name,
            member_id=lambda: link.profile.member_id or None,
            domain=lambda: link.profile.domain or "",
            on_recovered=session.dispatch_ids, notify=session.notify, scope=self._scope,
            interval=settings.safety_net_interval, grace=settings.grace,
        )  # fmt: skip
        await self.safety_net.start()

    async def set_safety_net(self, enabled: bool) -> None:
        """The user's switch: remember it, bind or release the twins, start or stop sweeping."""
        link = self._link
        if link.subscriptions is None or self._stopped:
            return
        link.twins.set_enabled(enabled)
        if enabled and self.safety_net is None:
            await self._start_safety_net()
        elif not enabled and self.safety_net is not None:
            await self.safety_net.stop()
            self.safety_net = None
        await link.set_wanted_many((), True)  # one reconcile: twins bound, or released
        self._session.notify({"type": "safety-net-switched", "enabled": enabled})

    async def stop(self) -> None:
        self._stopped = True
        if self._ticker is not None:
            self._ticker.cancel()
            await asyncio.gather(self._ticker, return_exceptions=True)
            self._ticker = None
        if self.canary is not None:
            await self.canary.stop()
            self.canary = None
        if self.safety_net is not None:
            await self.safety_net.stop()
            self.safety_net = None
        if self._store is not None:
            store, self._store = self._store, None
            await asyncio.to_thread(store.close_stretch)
            await asyncio.to_thread(store.close)

    def last_trips(self, count: int = 20) -> list[tuple[float, float | None]]:
        """The newest canary round trips (sent at, ms or None when lost), newest first."""
        return self._store.last_trips(count) if self._store is not None else []

    # -- news from the session ---------------------------------------------------------------

    def on_notice(self, notice: Notice) -> None:
        """ONOFFLINEEVENT: new queue rows — sweep now (spec §3.4); reports move coverage."""
        if notice.get("type") in ("offline", "installed") and self.safety_net is not None:
            self.safety_net.kick()
        if notice.get("type") == "subscriptions":
            self._assess()

    def on_tunnel(self, state: TunnelState) -> None:
        """The tunnel came back: what was sent meanwhile is in the queue — sweep now."""
        ok = state.state == "reachable"
        if ok and not self._tunnel_ok and self.safety_net is not None:
            self.safety_net.kick()
        self._tunnel_ok = ok
        self._assess()

    def on_batch(self, ids: list[int]) -> None:
        """Committed deliveries: a verified live one proves the path (no canary needed)."""
        if self.canary is None or self._store is None:
            return
        at = self._store.last_verified_delivery(ids)
        if at is not None:
            self.canary.saw_delivery(at)

    def _scope(self) -> list[str] | None:
        """Which queue rows the safety net may take: all, unless other offline bindings share
        the queue (the user's own offline events, another tool's) — then the twins' only."""
        link = self._link
        if link.subscriptions is None:
            return []
        wanted = link.subscriptions.desired().wanted
        twins = {s.event for s in twins_of(wanted)}
        offline = {r.event for r in link.report.rows if r.mode == "offline"}
        offline |= {s.event for s in wanted if s.mode == "offline"}
        if not link.report.rows or offline - twins:
            return sorted(twins)  # not known yet, or shared: only what is surely ours
        return None

    # -- canary plumbing ---------------------------------------------------------------------

    async def _ping(self, within: float, source: str) -> float:
        return await self._link.ping(within, source=source)

    async def _diagnose(self) -> str:
        session = self._session
        return await find_cause(
            client=self._link.client, host=session.config.receiver.host,
            port=session.capture.port if session.capture else 0,
            tunnel=lambda: session.tunnel.state if session.tunnel else None,
            handler_url=session.handler_url,
        )  # fmt: skip

    async def _record(self, sent_at: float, latency_ms: float | None) -> None:
        if self._store is not None:
            await asyncio.to_thread(self._store.add_trip, sent_at, latency_ms, "")

    def _on_health(self, health: Health) -> None:
        self._session.notify(health.notice())
        self._assess()

    # -- coverage ----------------------------------------------------------------------------

    async def _tick(self) -> None:
        wall, mono = time.time(), time.monotonic()
        while True:
            self._assess()
            if self._store is not None:
                await asyncio.to_thread(self._store.heartbeat)
            await asyncio.sleep(TICK_S)
            # Asleep, the wall clock runs on and the monotonic one stands still: after a wake,
            # what changed meanwhile is in the queue — sweep now.
            now_wall, now_mono = time.time(), time.monotonic()
            if (now_wall - wall) - (now_mono - mono) > TICK_S:
                await self._on_wake(asleep_from=wall + TICK_S)
            wall, mono = now_wall, now_mono

    async def _on_wake(self, asleep_from: float) -> None:
        """The machine slept: that time was a gap (nothing watched), and a sweep is due."""
        if self._store is not None:
            await asyncio.to_thread(self._store.close_stretch, asleep_from)
            self._covered = None  # the next assessment opens a new stretch from now
        if self.safety_net is not None:
            self.safety_net.kick()

    def _assess(self) -> None:
        """Covered = receiver up, public URL proven, bindings in place, canary not broken."""
        if self._store is None:
            return
        covered, reason = self._coverage()
        if self._covered != (covered, reason):
            self._covered = (covered, reason)
            self._store.open_stretch(covered, reason, time.time())
            self._session.notify({"type": "coverage", "covered": covered, "reason": reason})

    def _coverage(self) -> tuple[bool, str | None]:
        session, link = self._session, self._link
        if session.capture is None:
            return False, "the receiver is not running"
        tunnel = session.tunnel.state if session.tunnel else None
        if tunnel is not None and tunnel.state != "reachable":
            return False, f"the public URL is not proven ({tunnel.state})"
        if not link.can_bind():
            return False, "the app is not installed or the portal cannot reach this listener"
        rows = link.report.rows
        if not rows or any(r.state in ("error", "pending") for r in rows):
            return False, "the bindings are not in place"
        health = self.canary.health if self.canary else None
        if health is not None and health.state == "broken":
            return False, health.reason
        return True, None
