"""The public route to the local receiver: ngrok or the user's own URL, proven by probes, kept up.

Bitrix24 only delivers to a public URL, and the worst failure of a webhook tool is a listener that
looks alive and receives nothing. So "reachable" is only ever reported after a one-time probe went
out through the public URL and came back from this receiver; probes repeat every
`probe_interval` and after the machine wakes from sleep. A dead agent, or one that keeps failing
probes, is restarted with backoff and the new public URL is published through `on_state`.
A tunnel that cannot start is reported as "failed" and never takes the receiver down.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import httpx
from pyngrok import installer

from b24monitor.core.errors import TunnelError
from b24monitor.core.tasks import spawn
from b24monitor.services.ngrok_agent import AgentConfig, NgrokAgent
from b24monitor.services.tunnel_probe import WakeDetector, probe

log = logging.getLogger(__name__)

Mode = Literal["ngrok", "url", "none"]
State = Literal["starting", "reachable", "unreachable", "failed", "stopped"]

NGROK_PATH_ENV = "B24MONITOR_NGROK_PATH"
AUTHTOKEN_ENV = "NGROK_AUTHTOKEN"
TICK = 1.0  # how often the agent's liveness and a sleep/resume are checked, in seconds
RETRY_PROBE = 5.0  # a failed probe is repeated this soon rather than after probe_interval
MAX_BACKOFF = 60.0


@dataclass
class TunnelSettings:
    """How b24monitor becomes reachable from Bitrix24."""

    mode: Mode = "none"
    authtoken: str | None = field(default=None, repr=False)  # a secret: never in logs or repr
    domain: str | None = None  # a reserved/static ngrok domain
    region: str | None = None
    # The agent executable. Never looked up on PATH: inside a venv, `ngrok` there is pyngrok's
    # downloader script, not the agent (../shared/guide/testing.md).
    ngrok_path: Path | None = None
    # Our own ngrok config (under the data dir), so the user's global one is never rewritten;
    # a downloaded agent is kept next to it. Required in mode "ngrok".
    config_path: Path | None = None
    public_url: str | None = None  # mode "url"
    probe_interval: float = 60.0
    start_timeout: float = 20.0
    probe_timeout: float = 10.0
    restart_after: int = 3  # failed probes in a row before the agent is restarted


@dataclass(frozen=True)
class TunnelState:
    """What the user sees: the state, the public URL if any, and why (one sentence) if not fine."""

    state: State
    public_url: str | None = None
    reason: str | None = None


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
        self._failures = 0  # failed probes in a row
        self._backoff = 1.0

    @property
    def state(self) -> TunnelState:
        return self._state

    @property
    def public_url(self) -> str | None:
        return self._state.public_url

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

    async def _probe(self) -> bool:
        url = self._state.public_url
        assert url is not None and self._http is not None
        why = await probe(
            self._http,
            url,
            self._register_probe,
            local_port=self._port,
            within=self._settings.probe_timeout,
        )
        if why is None:
            self._failures = 0
            self._backoff = 1.0
            self._publish("reachable", url)
            return True
        self._failures += 1
        self._publish("unreachable", url, why)
        return False

    async def _watch(self) -> None:
        """Every tick: restart a dead agent; probe when due or after a sleep/resume."""
        loop = asyncio.get_running_loop()
        interval = self._settings.probe_interval
        tick = min(TICK, interval)
        wake = WakeDetector(tick)
        due = loop.time() + interval
        while True:
            await asyncio.sleep(tick)
            code = self._agent.exit_code() if self._agent is not None else None
            if code is not None:
                await self._restart(f"the ngrok agent exited (code {code})")
            elif wake.woke() or loop.time() >= due:
                fine = await self._probe()
                if not fine and self._agent and self._failures >= self._settings.restart_after:
                    await self._restart(f"the tunnel failed {self._failures} probes in a row")
            else:
                continue
            fine = self._state.state == "reachable"
            due = loop.time() + (interval if fine else min(RETRY_PROBE, interval))
            wake.reset()  # a slow probe or restart is not a sleep

    async def _restart(self, why: str) -> None:
        """Replace the agent, with growing pauses while it will not start; publish the new URL."""
        agent = self._agent
        assert agent is not None
        self._publish("unreachable", reason=f"{why}; restarting it")
        while True:
            await agent.stop()
            await asyncio.sleep(self._backoff)
            self._backoff = min(self._backoff * 2, MAX_BACKOFF)
            try:
                url = await agent.start(self._port)
            except TunnelError as exc:
                retry = f"retrying in {self._backoff:g} s"
                self._publish(
                    "unreachable", reason=f"the ngrok agent did not restart: {exc} ({retry})"
                )
                continue
            self._failures = 0
            self._publish("starting", url)
            await self._probe()
            return

    def _on_watch_failed(self, name: str, exc: BaseException) -> None:
        self._publish("failed", reason=f"the tunnel monitor stopped ({exc}) — restart b24monitor")

    def _publish(
        self, state: State, public_url: str | None = None, reason: str | None = None
    ) -> None:
        new = TunnelState(state, public_url, reason)
        if new == self._state:
            return
        self._state = new
        log.info("tunnel %s %s%s", state, public_url or "-", f": {reason}" if reason else "")
        self._on_state(new)
