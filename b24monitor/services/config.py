"""build_config: the one way a front end turns its options into a checked SessionConfig.

`b24monitor listen` (flags) and the desktop app (Settings) both call it, so a port range, a body
limit floor, a public URL's form or the retention units are decided here once.
"""

from __future__ import annotations

from pathlib import Path

from b24monitor.core.budget import StoreLimits
from b24monitor.core.errors import UsageError
from b24monitor.core.findings import DEFAULT_DELAY_THRESHOLD_S
from b24monitor.core.replay import Routes
from b24monitor.services.receiver import ReceiverSettings
from b24monitor.services.session import SessionConfig, normalize_public_url
from b24monitor.services.tunnel import TunnelSettings
from b24monitor.services.writer import Retention

MIN_BODY_LIMIT = 1024
DEFAULT_BODY_LIMIT = 1024 * 1024


def build_config(
    data_dir: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    body_limit: int = DEFAULT_BODY_LIMIT,
    public_url: str | None = None,
    keep_rows: int | None = None,
    keep_days: float | None = None,
    tunnel: TunnelSettings | None = None,
    portal: str | None = None,
    keep_bindings: bool = False,
    forward: Routes | None = None,
    max_connections: int | None = None,
    limits: StoreLimits | None = None,
    engine: str = "listen",
    delay_threshold_s: float = DEFAULT_DELAY_THRESHOLD_S,
) -> SessionConfig:
    """A SessionConfig from plain options; None means "no limit" / "not set".

    `engine` names the front end in the data dir's engine lock: "listen", "engine" or "window".

    Raises:
        UsageError: a port outside 0–65535, a body limit under 1 KiB or a public URL that is
            not http(s), or a queue-delay threshold that is not a positive number of seconds.
    """
    if not 0 <= port <= 65535:
        raise UsageError(f"port {port} is not a port number (0–65535)")
    if body_limit < MIN_BODY_LIMIT:
        raise UsageError(f"the body limit must be at least {MIN_BODY_LIMIT} bytes")
    if not 0 < delay_threshold_s < float("inf"):
        raise UsageError(f"the queue-delay threshold {delay_threshold_s:g} s must be above 0 s")
    return SessionConfig(
        data_dir=data_dir,
        receiver=ReceiverSettings(
            host=host, port=port, body_limit=body_limit, max_connections=max_connections
        ),
        public_url=normalize_public_url(public_url) if public_url else None,
        retention=Retention(
            max_rows=keep_rows, max_age_s=keep_days * 86400.0 if keep_days is not None else None
        ),
        tunnel=tunnel or TunnelSettings(),
        portal=portal,
        keep_bindings=keep_bindings,
        forward=forward,
        limits=limits or StoreLimits(),
        engine=engine,
        delay_threshold_s=delay_threshold_s,
    )
