"""Proof that a public URL reaches this b24monitor: a one-time probe, and a clock that sees sleep.

A tunnel whose agent runs is not proof of anything: only a request that went out through the
public URL and came back with a token that just this receiver knows is. An answer that ngrok gave
itself (offline endpoint, quota, rate limit) carries an `ngrok-error-code` header: that is
ngrok's side, said as such, never blamed on the local forwarding.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from b24monitor.services.ngrok_errors import explain_edge

PROBE_PATH = "/probe/"
# ngrok's free plan puts an HTML warning page in front of browser-like clients; skip it.
_PROBE_HEADERS = {"ngrok-skip-browser-warning": "1", "User-Agent": "b24monitor-probe"}


@dataclass(frozen=True)
class ProbeResult:
    """`reason` is None when the probe came back; `ngrok_code` when ngrok answered it itself."""

    reason: str | None
    ngrok_code: str | None = None


async def probe(
    http: httpx.AsyncClient,
    public_url: str,
    register_probe: Callable[[str], None],
    *,
    local_port: int,
    within: float,
) -> ProbeResult:
    """GET <public_url>/probe/<new token> once and say what became of it."""
    token = secrets.token_urlsafe(16)
    register_probe(token)
    url = public_url.rstrip("/") + PROBE_PATH + token
    try:
        response = await http.get(
            url, headers=_PROBE_HEADERS, timeout=within, follow_redirects=False
        )
    except httpx.TimeoutException:
        return ProbeResult(
            f"{public_url} did not answer within {within:g} s — it accepts connections but does "
            f"not forward them to this b24monitor (127.0.0.1:{local_port})"
        )
    except httpx.HTTPError as exc:
        why = f"{public_url} cannot be reached ({_describe(exc)}) — check the tunnel or the URL"
        return ProbeResult(why)
    if response.status_code == 200 and response.text == f"b24monitor-probe {token}":
        return ProbeResult(None)
    code = response.headers.get("ngrok-error-code", "").strip().upper()
    if code:
        return ProbeResult(explain_edge(code, public_url, response.text), code)
    return ProbeResult(
        f"{public_url} answered HTTP {response.status_code} but the probe never reached this "
        f"b24monitor — make it forward to 127.0.0.1:{local_port}"
    )


def _describe(exc: httpx.HTTPError) -> str:
    return str(exc) or type(exc).__name__


class WakeDetector:
    """Notices a sleep/resume: far more time passed between two ticks than the tick length.

    Both clocks are read because neither alone sees every sleep: the monotonic clock stops
    during suspend on Linux and macOS, the wall clock keeps running (and also jumps when the
    time is set, which at worst costs one extra probe).
    """

    SLACK = 10.0  # seconds beyond one tick that count as "the machine was away"

    def __init__(
        self,
        tick: float,
        *,
        wall: Callable[[], float] = time.time,
        mono: Callable[[], float] = time.monotonic,
    ) -> None:
        self._tick = tick
        self._wall = wall
        self._mono = mono
        self._last = (wall(), mono())

    def reset(self) -> None:
        """Forget the time since the last tick (our own long work is not a sleep)."""
        self._last = (self._wall(), self._mono())

    def woke(self) -> bool:
        """True once after each gap much longer than a tick; call it once per tick."""
        now = (self._wall(), self._mono())
        gap = max(now[0] - self._last[0], now[1] - self._last[1])
        self._last = now
        return gap > self._tick + self.SLACK
