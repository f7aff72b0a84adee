"""Start a data dir's capture engine as its own process: `b24monitor listen --engine` + settings.

The window does not capture in its own process when it can help it (issue 14): capture then
outlives a closed or crashed window, and never shares an interpreter lock with the GUI. The
engine is started in a session of its own (no controlling terminal, no signal from the
window's process group), its output goes to `<data dir>/engine.log`, and the caller attaches
to it over the control channel once it answers. A start that fails says why in one sentence:
the engine's own last line in its log (a port in use, a bad setting).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from b24monitor.core.errors import B24MonitorError
from b24monitor.services.session import SessionConfig

LOG_NAME = "engine.log"
START_TIMEOUT_S = 60.0  # a first start may open a large store or wait for the keyring

T = TypeVar("T")


class EngineStartFailed(B24MonitorError):
    """The engine process ended or stayed silent before it could be attached to."""


def engine_command(config: SessionConfig) -> list[str]:
    """The command line of an engine with the window's settings (what `listen` takes)."""
    args = [*_launcher(), "--data-dir", str(config.data_dir), "listen", "--engine"]
    receiver = config.receiver
    args += ["--host", receiver.host, "--port", str(receiver.port)]
    args += ["--body-limit", str(receiver.body_limit)]
    if config.retention.max_rows is not None:
        args += ["--keep-rows", str(config.retention.max_rows)]
    if config.retention.max_age_s is not None:
        args += ["--keep-days", repr(config.retention.max_age_s / 86400)]
    args += _tunnel_args(config)
    if config.portal is not None:
        args += ["--portal", config.portal]
    if config.keep_bindings:
        args.append("--keep-bindings")
    if config.forward is not None:
        for pattern, url in config.forward.rules:
            args += ["--forward-to", f"{pattern}={url}"]
        if config.forward.default is not None:
            args += ["--forward-to", config.forward.default]
    return args


def _tunnel_args(config: SessionConfig) -> list[str]:
    if config.public_url is not None:
        return ["--public-url", config.public_url]
    tunnel = config.tunnel
    if tunnel.mode != "ngrok":
        return ["--tunnel", "none"]
    args = ["--tunnel", "ngrok"]
    if tunnel.domain:
        args += ["--ngrok-domain", tunnel.domain]
    if tunnel.region:
        args += ["--ngrok-region", tunnel.region]
    if tunnel.ngrok_path is not None:
        args += ["--ngrok-path", str(tunnel.ngrok_path)]
    return args


def _launcher() -> list[str]:
    """This b24monitor: the frozen app itself, else the interpreter running the package."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    return [sys.executable, "-m", "b24monitor"]


def spawn_engine(config: SessionConfig) -> subprocess.Popen[bytes]:
    """Start the engine detached from this process; its output goes to engine.log."""
    config.data_dir.mkdir(parents=True, exist_ok=True)
    log_path = config.data_dir / LOG_NAME
    with open(log_path, "ab") as log:
        os.chmod(log_path, 0o600)
        return subprocess.Popen(
            engine_command(config),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,  # survives the window; Ctrl+C in its terminal stays its own
            close_fds=True,
        )


async def wait_attachable(
    process: subprocess.Popen[bytes],
    attach: Callable[[], Awaitable[T]],
    data_dir: Path,
    *,
    within: float = START_TIMEOUT_S,
) -> T:
    """Attach once the engine answers; its last log line if it ends first or stays silent."""
    deadline = time.monotonic() + within
    while True:
        try:
            return await attach()
        except (OSError, B24MonitorError):
            if process.poll() is not None:
                raise EngineStartFailed(_why(data_dir, process.returncode)) from None
            if time.monotonic() > deadline:
                raise EngineStartFailed(
                    f"the capture engine (pid {process.pid}) did not answer within "
                    f"{within:.0f} s; see {data_dir / LOG_NAME}"
                ) from None
        await asyncio.sleep(0.1)


def _why(data_dir: Path, code: int | None) -> str:
    """The engine's own sentence: the last non-empty line of its log."""
    try:
        lines = (data_dir / LOG_NAME).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        lines = []
    last = next((line.strip() for line in reversed(lines) if line.strip()), "")
    last = last.removeprefix("b24monitor: ").removeprefix("error: ")
    return last or f"the capture engine stopped at once (exit code {code}); see {LOG_NAME}"
