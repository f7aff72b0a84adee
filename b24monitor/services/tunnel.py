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
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import httpx
from pyngrok import installer

from b24monitor.core.errors import TunnelError
from b24monitor.core.tasks import spawn
from b24monitor.services.ngrok_agent import AgentConfig, NgrokAgent
from b24monitor.services.ngrok_process import version_text
from b24monitor.services.tunnel_budget import (
    IDLE_PROBE_INTERVAL,
    Clock,
    ProbeSchedule,
    PublicArrivals,
)
from b24monitor.services.tunnel_ledger import FREE_MONTHLY_REQUESTS, TrafficLedger
from b24monitor.services.tunnel_probe import ProbeResult, WakeDetector, probe

log = logging.getLogger(__name__)

Mode = Literal["ngrok", "url", "none"]
State = Literal["starting", "reachable", "unreachable", "failed", "stopped"]

NGROK_PATH_ENV = "B24MONITOR_NGROK_PATH"
AUTHTOKEN_ENV = "NGROK_AUTHTOKEN"
TICK = 1.0  # how often the agent's liveness, arrivals and a sleep/resume are checked, in seconds
MAX_BACKOFF = 60.0


@dataclass
class TunnelSettings:
    """How b24monitor becomes reachable from Bitrix24."""

    mode: Mode = "none"
    authtoken: str | None = field(default=None, repr=False)  # a secret: never in logs or repr
    domain: str | None = None  # a reserved/static ngrok domain
    region: str | None = None  # rarely useful: the agent picks the nearest point of presence
    # The agent executable. Never looked up on PATH: inside a venv, `ngrok` there is pyngrok's
    # downloader script, not the agent (../shared/guide/testing.md).
    ngrok_path: Path | None = None
    # Our own ngrok config (under the data dir), so the user's global one is never rewritten;
    # a downloaded agent is kept next to it. Required in mode "ngrok".
    config_path: Path | None = None
    public_url: str | None = None  # mode "url"
    probe_interval: float = IDLE_PROBE_INTERVAL  # probe after this long without any proof
    ledger_path: Path | None = None  # this month's tunnel requests (tunnel_ledger); None: memory
    start_timeout: float = 20.0
    probe_timeout: float = 10.0
    restart_after: int = 3  # failed probes in a row before the agent is restarted


@dataclass(frozen=True)
class TunnelUsage:
    """For tooltips and `tunnel check`: this month's tunnel requests, the last proof, the agent."""

    month: str
    own_requests: int  # sent by b24monitor itself (probes, canaries)
    deliveries: int  # arrived through the public URL
    last_proof: float | None  # wall time the public path last proved to work
    agent_version: str | None = None
    agent_path: str | None = None

    def describe(self) -> list[str]:
        """Lines for a tooltip or `tunnel check`: the agent, the month's requests, the proof."""
        lines = []
        if self.agent_path:
            lines.append(
                f"ngrok agent {self.agent_version or '(version unknown)'} at {self.agent_path}"
            )
        lines.append(
            f"requests through the tunnel in {self.month}: {self.own_requests} sent by b24monitor "
            f"itself (probes), {self.deliveries} deliveries (ngrok's free plan allows "
            f"{FREE_MONTHLY_REQUESTS:,} a month in all)"
        )
        if self.last_proof is not None:
            when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.last_proof))
            lines.append(f"the public URL last proved to work at {when}")
        return lines


@dataclass(frozen=True)
class TunnelState:
    """What the user sees: the state, the public URL if any, and why (one sentence) if not fine.

    `warning` is a sentence worth showing even while all is fine (quota nearing, agent ageing).
    """

    state: State
    public_url: str | None = None
    reason: str | None = None
    warning: str | None = None
    usage: TunnelUsage | None = field(default=None, compare=False)


def agent_config(settings: TunnelSettings) -> AgentConfig:
    """Resolve the agent path (flag, then $B24MONITOR_NGROK_PATH, then a download) and token."""
    if settings.config_path is None:
        raise ValueError("TunnelSettings.config_path is required in mode 'ngrok'")
    explicit = settings.ngrok_path or os.environ.get(NGROK_PATH_ENV)
    if explicit:
        path, download = Path(explicit).expanduser(), False
    else:
        path, download = settings.config_path.parent / installer.get_ngrok_bin(), True
    return AgentConfig(
        ngrok_path=path,
        download=download,
        config_path=settings.config_path,
        authtoken=settings.authtoken or os.environ.get(AUTHTOKEN_ENV) or None,
        region=settings.region,
        domain=settings.domain,
        start_timeout=settings.start_timeout,
    )


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
