"""The public route to the local receiver: ngrok or the user's own URL, proven, kept up, frugal.

Bitrix24 only delivers to a public URL, and the worst failure of a webhook tool is a listener that
looks alive and receives nothing. So "reachable" is only ever reported after the public URL was
proven: a one-time probe went out through it and came back from this receiver, or a delivery
arrived through it. Probes cost tunnel requests (ngrok's free plan has 20,000 a month), so they
follow `tunnel_budget.ProbeSchedule`: at start, after a wake or a URL change, and otherwise only
when nothing proved the path for `probe_interval`. A dead agent, or one that keeps failing probes
that ngrok did not answer itself, is restarted with backoff and the new URL published through
`on_state`. A tunnel that cannot start is reported as "failed" and never takes the receiver down.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import httpx

from b24monitor.core.errors import TunnelError
from b24monitor.core.tasks import spawn
from b24monitor.services.ngrok_agent import NgrokAgent
from b24monitor.services.ngrok_process import version_text
from b24monitor.services.tunnel_budget import Clock, ProbeSchedule, PublicArrivals
from b24monitor.services.tunnel_ledger import TrafficLedger
from b24monitor.services.tunnel_probe import ProbeResult, WakeDetector, probe
from b24monitor.services.tunnel_settings import (
    AUTHTOKEN_ENV,
    NGROK_PATH_ENV,
    Mode,
    State,
    TunnelSettings,
    TunnelState,
    TunnelUsage,
    agent_config,
)

# The settings and state types live in tunnel_settings; callers keep importing them from here.
__all__ = [
    "AUTHTOKEN_ENV",
    "NGROK_PATH_ENV",
    "Mode",
    "Tunnel",
    "TunnelSettings",
    "TunnelState",
    "TunnelUsage",
]

log = logging.getLogger(__name__)

TICK = 1.0  # how often the agent's liveness, arrivals and a sleep/resume are checked, in seconds
MAX_BACKOFF = 60.0
# A failed probe waits this long for the agent's exit: a dying agent drops its relay first.
EXIT_GRACE_S = 0.5


class Tunnel:
    """Starts, proves, watches and stops the public route to 127.0.0.1:`local_port`."""

    def __init__(
        self,
        settings: TunnelSettings,
        *,
        local_port: int,
        register_probe: Callable[[str], None],
        on_state: Callable[[TunnelState], None],
        http: httpx.AsyncClient | None = None,
        arrivals: PublicArrivals | None = None,
        clock: Clock | None = None,
    ) -> None:
        if settings.mode == "url" and not settings.public_url:
            raise ValueError("TunnelSettings.public_url is required in mode 'url'")
        if settings.mode == "ngrok" and settings.config_path is None:
            raise ValueError("TunnelSettings.config_path is required in mode 'ngrok'")
        self._settings = settings
        self._port = local_port
        self._register_probe = register_probe
        self._on_state = on_state
        self._http = http
        self._own_http = http is None
        self._state = TunnelState("stopped")
        self._agent: NgrokAgent | None = None
        self._watcher: asyncio.Task[None] | None = None
        self._backoff = 1.0
        self._clock = clock or Clock()
        self._schedule = ProbeSchedule(settings.probe_interval, self._clock)
        self._arrivals = arrivals or PublicArrivals()
        self._seen_arrivals = self._arrivals.count
        self.ledger = TrafficLedger(settings.ledger_path, self._clock.wall)

    @property
    def state(self) -> TunnelState:
        return self._state

    @property
    def public_url(self) -> str | None:
        return self._state.public_url

    @property
    def last_proof(self) -> float | None:
        """Wall time the public path last proved to work (a probe or a delivery through it).

        A canary or any other proof-based check can read this and skip its own request while a
        recent proof exists; one it does send should be counted with `count_own_request()`.
        """
        return self._schedule.last_proof

    def count_own_request(self) -> None:
        """Count a request b24monitor itself sent through the tunnel (e.g. a canary)."""
        self.ledger.count_own()

    def usage(self) -> TunnelUsage:
        agent = self._agent
        return TunnelUsage(
            month=self.ledger.month,
            own_requests=self.ledger.own,
            deliveries=self.ledger.deliveries,
            last_proof=self._schedule.last_proof,
            agent_version=version_text(agent.version) if agent and agent.version else None,
            agent_path=str(agent.path) if agent else None,
        )

    async def start(self) -> TunnelState:
        """Bring the tunnel up and probe it once; never raises for tunnel failures."""
        mode = self._settings.mode
        if mode == "none":
            self._on_state(self._state)  # local only: say so once, then stay quiet
            return self._state
        if self._http is None:
            self._http = httpx.AsyncClient()
        if mode == "url":
            assert self._settings.public_url is not None
            self._publish("starting", self._settings.public_url.rstrip("/"))
        elif not await self._start_agent():
            return self._state
        await self._probe()
        self._watcher = spawn(self._watch(), name="tunnel-watch", on_error=self._on_watch_failed)
        return self._state

    async def stop(self) -> None:
        """Stop probing and kill the agent; leaves no agent process behind."""
        if self._watcher is not None:
            self._watcher.cancel()
            await asyncio.wait({self._watcher})
            self._watcher = None
        if self._agent is not None:
            await self._agent.stop()
            self._agent = None
        if self._own_http and self._http is not None:
            await self._http.aclose()
            self._http = None
        self.ledger.save()
        self._publish("stopped")

    async def _start_agent(self) -> bool:
        self._publish("starting", reason="starting the ngrok agent")
        agent = NgrokAgent(
            agent_config(self._settings),
            on_progress=lambda message: self._publish("starting", reason=message),
        )
        self._agent = agent
        try:
            url = await agent.start(self._port)
        except TunnelError as exc:
            await agent.stop()
            self._publish("failed", reason=str(exc))
            return False
        self._publish("starting", url)
        return True

    async def _probe(self) -> ProbeResult:
        url = self._state.public_url
        assert url is not None and self._http is not None
        self.ledger.count_own()
        result = await probe(
            self._http,
            url,
            self._register_probe,
            local_port=self._port,
            within=self._settings.probe_timeout,
        )
        if result.reason is None:
            self._schedule.proved()
            self._backoff = 1.0
            self._publish("reachable", url)
        elif (
            self._agent is not None and await self._agent.exit_code_within(EXIT_GRACE_S) is not None
        ):
            pass  # a dying agent closes its relay first: its exit explains the failure (_watch)
        else:
            self._schedule.failed()
            self._publish("unreachable", url, result.reason)
        return result

    async def _watch(self) -> None:
        """Every tick: note arrivals, restart a dead agent, probe when the schedule says so."""
        tick = min(TICK, self._settings.probe_interval)
        wake = WakeDetector(tick, wall=self._clock.wall, mono=self._clock.mono)
        while True:
            await self._clock.sleep(tick)
            self._take_arrivals()
            code = self._agent.exit_code() if self._agent is not None else None
            if code is not None:
                await self._restart(f"the ngrok agent exited (code {code})")
            else:
                if wake.woke():
                    self._schedule.now()
                if not self._schedule.due():
                    continue
                result = await self._probe()
                # ngrok answering itself (offline, quota) is not cured by a new agent.
                failing = result.reason is not None and result.ngrok_code is None
                if failing and self._agent and self._schedule.failures >= self._restart_after:
                    await self._restart(
                        f"the tunnel failed {self._schedule.failures} probes in a row"
                    )
            wake.reset()  # a slow probe or restart is not a sleep

    @property
    def _restart_after(self) -> int:
        return self._settings.restart_after

    def _take_arrivals(self) -> None:
        """Deliveries that came through the public URL since the last tick prove the path."""
        count = self._arrivals.count
        new, self._seen_arrivals = count - self._seen_arrivals, count
        if new <= 0:
            return
        self.ledger.count_deliveries(new)
        self._schedule.proved()
        url = self._state.public_url
        if url is not None and self._state.state in ("reachable", "unreachable"):
            self._publish("reachable", url)

    async def _restart(self, why: str) -> None:
        """Replace the agent, with growing pauses while it will not start; publish the new URL."""
        agent = self._agent
        assert agent is not None
        self._publish("unreachable", reason=f"{why}; restarting it")
        while True:
            await agent.stop()
            await self._clock.sleep(self._backoff)
            self._backoff = min(self._backoff * 2, MAX_BACKOFF)
            try:
                url = await agent.start(self._port)
            except TunnelError as exc:
                retry = f"retrying in {self._backoff:g} s"
                self._publish(
                    "unreachable", reason=f"the ngrok agent did not restart: {exc} ({retry})"
                )
                continue
            self._publish("starting", url)
            await self._probe()  # a new URL is proven at once
            return

    def _warning(self) -> str | None:
        if self._settings.mode != "ngrok":
            return None
        aged = self._agent.age_warning() if self._agent is not None else None
        return self.ledger.warning() or aged

    def _on_watch_failed(self, name: str, exc: BaseException) -> None:
        self._publish("failed", reason=f"the tunnel monitor stopped ({exc}) — restart b24monitor")

    def _publish(
        self, state: State, public_url: str | None = None, reason: str | None = None
    ) -> None:
        if public_url is not None and public_url != self._state.public_url:
            self._arrivals.watch(public_url)
        new = TunnelState(state, public_url, reason, self._warning(), self.usage())
        if new == self._state:
            return
        self._state = new
        log.info("tunnel %s %s%s", state, public_url or "-", f": {reason}" if reason else "")
        self._on_state(new)
