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
import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from b24monitor.core.budget import MB, MiB
from b24monitor.core.errors import B24MonitorError
from b24monitor.services.engine_lock import Owner, read_owner
from b24monitor.services.session import SessionConfig

LOG_NAME = "engine.log"
LOG_KEEP_BYTES = 1 << 20  # past this the next start moves the log to engine.log.1
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
    args += ["--delay-threshold", repr(config.delay_threshold_s)]
    args += _limit_args(config)
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


def _limit_args(config: SessionConfig) -> list[str]:
    """The hostile-traffic budget and disk guard from Settings (issue 15), as listen's flags."""
    limits = config.limits
    args = ["--hostile-per-minute", str(limits.hostile_per_minute),
            "--hostile-total-mb", repr(limits.hostile_total_bytes / MB),
            "--disk-warn-mb", repr(limits.disk_warn_bytes / MiB),
            "--disk-floor-mb", repr(limits.disk_floor_bytes / MiB)]  # fmt: skip
    if config.receiver.max_connections is not None:
        args += ["--max-connections", str(config.receiver.max_connections)]
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


# Started through a short-lived launcher that exits at once: the engine is then nobody's child
# (init reaps it), so a window that goes leaves no zombie and no "still running" child behind.
_LAUNCHER = (
    "import subprocess, sys\n"
    "with open(sys.argv[1], 'ab') as log:\n"
    "    p = subprocess.Popen(sys.argv[2:], stdin=subprocess.DEVNULL, stdout=log, stderr=log,\n"
    "                         start_new_session=True, close_fds=True)\n"
    "print(p.pid)\n"
)


def spawn_engine(config: SessionConfig) -> int:
    """Start the engine detached from this process (output to engine.log); returns its pid."""
    config.data_dir.mkdir(parents=True, exist_ok=True)
    log_path = config.data_dir / LOG_NAME
    if log_path.exists() and log_path.stat().st_size > LOG_KEEP_BYTES:  # one old log is kept
        os.replace(log_path, log_path.with_name(LOG_NAME + ".1"))
    log_path.touch(mode=0o600)
    os.chmod(log_path, 0o600)
    command = engine_command(config)
    if getattr(sys, "frozen", False):  # no interpreter to launch through: a direct child
        with open(log_path, "ab") as log:
            return subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                    start_new_session=True, close_fds=True).pid  # fmt: skip
    launched = subprocess.run(
        [sys.executable, "-c", _LAUNCHER, str(log_path), *command],
        capture_output=True, text=True, check=False, timeout=START_TIMEOUT_S,
    )  # fmt: skip
    if launched.returncode != 0 or not launched.stdout.strip().isdigit():
        raise EngineStartFailed(
            f"cannot start the capture engine ({launched.stderr.strip() or 'no output'}); "
            f"see {log_path}"
        )
    return int(launched.stdout.strip())


def alive(pid: int) -> bool:
    """Whether process `pid` still runs (a zombie of ours counts as gone)."""
    if hasattr(os, "WNOHANG"):  # our own child (the frozen app's engine): reap it if it ended
        with contextlib.suppress(ChildProcessError, OSError):
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def running_engine(data_dir: Path) -> Owner | None:
    """The live process holding the data dir's engine lock, if one does (a killed engine's
    name is left in the lock file: it does not count)."""
    owner = read_owner(data_dir)
    return owner if owner is not None and alive(owner.pid) else None


async def wait_gone(pid: int, within: float) -> bool:
    """Wait until process `pid` ended (its lock and store are free); False if still running."""
    for _ in range(max(1, int(within / 0.05))):
        if not alive(pid):
            return True
        await asyncio.sleep(0.05)
    return not alive(pid)


async def wait_attachable(
    pid: int,
    attach: Callable[[], Awaitable[T]],
    data_dir: Path,
    *,
    within: float = START_TIMEOUT_S,
) -> T:
    """Attach once the engine answers; its last log line if it ends first or stays silent.

    Several windows may start an engine at once (one engine died under all of them): the data
    dir's engine lock lets one run, the others end at once, and their windows wait here for
    the one that holds the lock instead."""
    deadline = time.monotonic() + within
    while True:
        try:
            return await attach()
        except (OSError, B24MonitorError):
            if not alive(pid):
                holder = await asyncio.to_thread(running_engine, data_dir)
                if holder is not None and holder.pid != pid:
                    pid = holder.pid  # it lost the lock to another window's engine: wait for that
                    continue
                try:
                    return await attach()
                except (OSError, B24MonitorError):
                    raise EngineStartFailed(_why(data_dir)) from None
            if time.monotonic() > deadline:
                raise EngineStartFailed(
                    f"the capture engine (pid {pid}) did not answer within "
                    f"{within:.0f} s; see {data_dir / LOG_NAME}"
                ) from None
        await asyncio.sleep(0.1)


def _why(data_dir: Path) -> str:
    """The engine's own sentence: the last non-empty line of its log."""
    try:
        lines = (data_dir / LOG_NAME).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        lines = []
    last = next((line.strip() for line in reversed(lines) if line.strip()), "")
    last = last.removeprefix("b24monitor: ").removeprefix("error: ")
    return last or f"the capture engine stopped at once; see {data_dir / LOG_NAME}"
