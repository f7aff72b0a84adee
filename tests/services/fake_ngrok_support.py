"""The fake ngrok agent's fixtures and helpers, shared by the tunnel tests.

Every agent the fake starts writes its pid to the state dir; after each test none may be alive.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from pathlib import Path

from b24monitor.services.session import Session
from b24monitor.services.tunnel import Tunnel, TunnelSettings, TunnelState
from b24monitor.services.tunnel_budget import Clock

FAKE_NGROK = Path(__file__).resolve().parents[1] / "fake_ngrok" / "ngrok"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
TOKEN = "2abcSECRETauthtoken_0123456789"


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # a zombie still answers: only a reaped process counts as gone
    except ProcessLookupError:
        return False
    return True


def agent_pids(state: Path) -> list[int]:
    pids = state / "pids"
    return [int(line) for line in pids.read_text().split()] if pids.exists() else []


class Recorder:
    """Collects published states and waits for one that matches."""

    def __init__(self) -> None:
        self.states: list[TunnelState] = []

    def __call__(self, state: TunnelState) -> None:
        self.states.append(state)

    async def wait_for(self, match: Callable[[TunnelState], bool], within: float) -> TunnelState:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            found = [s for s in self.states if match(s)]
            if found:
                return found[0]
            await asyncio.sleep(0.05)
        raise AssertionError(f"no matching state within {within} s; saw {self.states}")


def ngrok_settings(tmp_path: Path, **overrides: object) -> TunnelSettings:
    settings = TunnelSettings(
        mode="ngrok",
        authtoken=TOKEN,
        ngrok_path=FAKE_NGROK,
        config_path=tmp_path / "data" / "ngrok" / "ngrok.yml",
        probe_interval=1.0,
        probe_timeout=1.0,
        start_timeout=10.0,
    )
    for key, value in overrides.items():
        setattr(settings, key, value)
    return settings


def make_tunnel(
    session: Session, settings: TunnelSettings, recorder: Recorder, clock: Clock | None = None
) -> Tunnel:
    assert session.capture is not None
    return Tunnel(
        settings,
        local_port=session.capture.port,
        register_probe=session.capture.register_probe,
        on_state=recorder,
        arrivals=session.arrivals,
        clock=clock,
    )
