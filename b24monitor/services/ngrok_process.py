"""The ngrok agent process itself: its private config, its version, its start, its stderr.

pyngrok would start the agent with `--authtoken <token>` on the command line (readable by every
user of the machine in the process list) and let its stderr — where the agent prints fatal errors,
authtoken included — go straight to our terminal. So the agent is started here, the way pyngrok
9.1's `process._start_process` does (same start-up line protocol, registered in pyngrok's process
table so `ngrok.connect` uses it), but with the authtoken in our own 0600 config file and stderr
captured, redacted and logged. The config also turns request inspection off (`inspect_db_size:
-1`, agent config v3): otherwise the agent keeps every request — ONAPPINSTALL bodies with their
tokens — readable without authentication on its local web port. `Redactor` hides the authtoken
in whatever the agent says (ngrok echoes it in ERR_NGROK_105/107).
"""

from __future__ import annotations

import atexit
import collections
import datetime as dt
import logging
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from pyngrok import conf, process

from b24monitor.services.filelock import write_json

log = logging.getLogger(__name__)

MIN_ENDPOINTS_VERSION = (3, 30, 0)  # the agent API's /api/endpoints (config v3) appeared here


def write_agent_config(path: Path, authtoken: str | None) -> None:
    """Our private agent config (JSON is valid YAML), mode 0600 from its first byte."""
    agent: dict[str, object] = {"inspect_db_size": -1}  # -1: no inspection database at all
    if authtoken:
        agent["authtoken"] = authtoken
    write_json(path, {"version": "3", "agent": agent}, mode=0o600)


def agent_version(ngrok_path: Path) -> tuple[int, ...] | None:
    """The agent's version from `ngrok --version` ("ngrok version 3.39.8"), None if unreadable."""
    try:
        out = subprocess.run(
            [str(ngrok_path), "--version"], capture_output=True, text=True, timeout=15
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    found = re.search(r"version (\d+)\.(\d+)\.(\d+)", out)
    return tuple(int(part) for part in found.groups()) if found else None


def version_text(version: tuple[int, ...] | None) -> str:
    return ".".join(map(str, version)) if version else "unknown"


class StderrTail:
    """The agent's stderr, redacted: logged line by line, the last lines kept for error texts."""

    def __init__(self, redact: Callable[[str], str]) -> None:
        self._redact = redact
        self._lines: collections.deque[str] = collections.deque(maxlen=20)
        self._thread: threading.Thread | None = None

    def text(self) -> str:
        return "\n".join(self._lines)

    def follow(self, proc: subprocess.Popen[str]) -> None:
        self._thread = threading.Thread(target=self.drain, args=(proc,), daemon=True)
        self._thread.start()

    def wait(self, timeout: float) -> None:
        """Let the drain catch up with an agent that exited (its last lines say why)."""
        if self._thread is not None:
            self._thread.join(timeout)

    def drain(self, proc: subprocess.Popen[str]) -> None:
        """Runs in a daemon thread until the agent closes its stderr."""
        assert proc.stderr is not None
        for line in proc.stderr:
            # The agent prefixes fatal lines with "ERROR:  "; keep ngrok's text only.
            clean = self._redact(line.rstrip()).removeprefix("ERROR:").strip()
            if clean:
                self._lines.append(clean)
                log.info("ngrok agent stderr: %s", clean)


def start_agent(config: conf.PyngrokConfig, stderr: StderrTail) -> process.NgrokProcess:
    """Start the agent (blocking, as pyngrok does) and register it with pyngrok; raise on failure.

    Runs in a worker thread; the caller time-boxes it and kills a silent agent.
    """
    from pyngrok.exception import PyngrokNgrokError

    path = config.ngrok_path
    argv = [path, "start", "--none", "--log", "stdout", "--config", str(config.config_path)]
    if config.region:
        argv += ["--region", config.region]
    with process._current_processes_lock:
        if process.is_process_running(path):
            return process._current_processes[path]
        # As pyngrok does: no console window for the agent under a windowed Windows build.
        no_window = sys.platform == "win32" and not process._has_console()
        proc = subprocess.Popen(
            argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
            creationflags=subprocess.CREATE_NO_WINDOW if no_window else 0,  # type: ignore[attr-defined,unused-ignore]
        )
        atexit.register(process._terminate_process, proc)
        stderr.follow(proc)
        agent = process.NgrokProcess(proc, config)
        process._current_processes[path] = agent
        _await_start_up(agent, config.startup_timeout)
        if agent.healthy():
            agent.startup_error = None
            agent.start_monitor_thread()
            return agent
        process.kill_process(path)
        stderr.wait(2.0)
        error = agent.startup_error or stderr.text() or "The ngrok process was unable to start."
        raise PyngrokNgrokError(f"The ngrok process errored on start: {error}", agent.logs, error)


def _await_start_up(agent: process.NgrokProcess, timeout: float) -> None:
    """pyngrok's start-up loop: read log lines until healthy, exited or out of time."""
    deadline = time.time() + timeout
    stdout = agent.proc.stdout
    while stdout is not None and time.time() < deadline:
        agent._log_startup_line(stdout.readline())
        if agent.healthy() or agent.proc.poll() is not None:
            return


# End of life of agent minor versions, from ngrok's agent version support policy (release
# support chart); free-plan agents past it are refused with ERR_NGROK_121.
_END_OF_LIFE = {
    19: "2026-02-17", 20: "2026-04-20", 21: "2026-05-13", 22: "2026-05-20", 23: "2026-08-26",
    24: "2026-09-17", 25: "2026-10-01", 26: "2026-10-07", 27: "2026-10-28", 28: "2027-11-11",
    29: "2027-11-17", 30: "2027-12-23", 31: "2027-12-20", 32: "2027-12-23", 33: "2028-01-12",
    34: "2028-02-11",
}  # fmt: skip
WARN_DAYS = 60


def end_of_life_warning(version: tuple[int, ...] | None, today: str) -> str | None:
    """A sentence when ngrok stops (or stopped) accepting this agent within WARN_DAYS, else None.

    `today` is an ISO date; versions newer than the chart are current.
    """
    if version is None or version[0] != 3 or version[1] > max(_END_OF_LIFE):
        return None
    eol = _END_OF_LIFE.get(version[1], "2026-01-01")  # before 3.19: long past its end of life
    days = (dt.date.fromisoformat(eol) - dt.date.fromisoformat(today)).days
    if days > WARN_DAYS:
        return None
    when = "stopped accepting it on" if days < 0 else "stops accepting it on"
    return (
        f"the ngrok agent is version {version_text(version)}: ngrok {when} {eol} for free "
        "accounts — update it with `ngrok update`"
    )


class Redactor(logging.Filter):
    """Hides the authtoken in pyngrok's log records and in texts (ngrok echoes it in 105/107)."""

    # A logger's filters do not apply to records propagated from its children: name each one.
    LOGGERS = ("pyngrok.process", "pyngrok.process.ngrok", "pyngrok.ngrok", "pyngrok.installer")
    # ngrok prints the token it was given after "Your authtoken: ", even one we never saw.
    ECHOED = re.compile(r"(Your authtoken: )[^\s\\\"]+")

    def __init__(self, secret: str | None) -> None:
        super().__init__()
        self._secret = secret

    def install(self) -> None:
        for name in self.LOGGERS:
            logging.getLogger(name).addFilter(self)

    def uninstall(self) -> None:
        for name in self.LOGGERS:
            logging.getLogger(name).removeFilter(self)

    def redact(self, text: str) -> str:
        if self._secret:
            text = text.replace(self._secret, "[authtoken]")
        return self.ECHOED.sub(r"\1[authtoken]", text)

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = self.redact(record.msg)
        if record.name == "pyngrok.process.ngrok" and record.levelno > logging.INFO:
            # The agent's own error lines are reported as one sentence by the tunnel; keep
            # them for --debug logs only instead of dumping them raw on the terminal.
            record.levelno, record.levelname = logging.INFO, "INFO"
            return logging.getLogger("pyngrok").isEnabledFor(logging.INFO)
        return True
