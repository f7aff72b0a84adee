"""What the tunnel is told and what it tells: its settings, its state, this month's usage.

Kept apart from `tunnel` (the machinery) so front ends and the CLI can read the types without
the agent code; `tunnel` re-exports them.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pyngrok import installer

from b24monitor.services.ngrok_agent import AgentConfig
from b24monitor.services.tunnel_budget import IDLE_PROBE_INTERVAL
from b24monitor.services.tunnel_ledger import FREE_MONTHLY_REQUESTS

Mode = Literal["ngrok", "url", "none"]
State = Literal["starting", "reachable", "unreachable", "failed", "stopped"]

NGROK_PATH_ENV = "B24MONITOR_NGROK_PATH"
AUTHTOKEN_ENV = "NGROK_AUTHTOKEN"


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
