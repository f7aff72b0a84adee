"""The ngrok agent through pyngrok: install, keep current, start time-boxed, watch, kill.

pyngrok's calls block, so each runs in a worker thread. Its `startup_timeout` is only checked
between the agent's output lines, so an agent that prints nothing would hang the start for ever:
the start is time-boxed from outside and the agent killed on timeout
(../shared/guide/testing.md, "ngrok without the ngrok service"). ngrok stops accepting free-plan
agents some 16 months after their release (ERR_NGROK_121), and agents before 3.30.0 lack the
/api/endpoints API: an agent b24monitor downloaded is updated in both cases, an agent the user
chose is updated when ngrok demands it and otherwise only named as too old.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from pyngrok import conf, installer, ngrok, process
from pyngrok.exception import PyngrokError, PyngrokNgrokError, PyngrokNgrokHTTPError
from pyngrok.log import NgrokLog

from b24monitor.core.errors import TunnelError
from b24monitor.services import ngrok_errors, ngrok_process
from b24monitor.services.ngrok_process import MIN_ENDPOINTS_VERSION, Redactor, version_text

log = logging.getLogger(__name__)

# pyngrok prints download progress to stdout, which is None in a windowed build.
installer._print_progress_enabled = False

ENDPOINT_NAME = "b24monitor"
DOWNLOAD_FAILED = (
    "could not download the ngrok agent (no internet?) — pass --ngrok-path or install ngrok"
)
TOO_OLD = "ERR_NGROK_121"


class AgentRefused(TunnelError):
    """The agent or ngrok refused the start; `code` is ngrok's error code when it gave one."""

    def __init__(self, message: str, code: str | None) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class AgentConfig:
    """Everything the agent needs; `download` allows fetching it to `ngrok_path` when missing."""

    ngrok_path: Path
    download: bool
    config_path: Path
    authtoken: str | None = field(default=None, repr=False)  # a secret: never in logs or repr
    region: str | None = None
    domain: str | None = None
    start_timeout: float = 20.0


class NgrokAgent:
    """One ngrok agent process with one endpoint forwarding to a local port."""

    def __init__(self, config: AgentConfig, *, on_progress: Callable[[str], None]) -> None:
        self._config = config
        self._on_progress = on_progress
        self._proc: subprocess.Popen[str] | None = None
        self._last_error: str | None = None
        self._redactor = Redactor(config.authtoken)
        self._stderr = ngrok_process.StderrTail(self._redactor.redact)
        self._pyngrok = conf.PyngrokConfig(
            ngrok_path=str(config.ngrok_path),
            config_path=str(config.config_path),
            region=config.region,
            # pyngrok's own limit is a fallback only; ours (below) also covers a silent agent.
            startup_timeout=math.ceil(config.start_timeout) + 1,
            log_event_callback=self._on_agent_log,
        )
        # The token lives in our 0600 config file only; pyngrok would fall back to
        # $NGROK_AUTHTOKEN and put it on the agent's command line.
        self._pyngrok.auth_token = None
        self.version: tuple[int, ...] | None = None

    @property
    def path(self) -> Path:
        return self._config.ngrok_path

    def exit_code(self) -> int | None:
        """None while the agent runs (or was never started); its exit code once it died."""
        return self._proc.poll() if self._proc is not None else None

    async def exit_code_within(self, seconds: float) -> int | None:
        """Like exit_code(), but waits up to `seconds` for an agent that is on its way out."""
        proc = self._proc
        if proc is None:
            return None
        try:
            return await asyncio.to_thread(proc.wait, seconds)
        except subprocess.TimeoutExpired:
            return None

    async def start(self, local_port: int) -> str:
        """Start the agent and an endpoint to 127.0.0.1:`local_port`; return the public URL."""
        await self._ensure_installed()
        ngrok_process.write_agent_config(self._config.config_path, self._config.authtoken)
        await self._ensure_current()
        try:
            return await self._start_once(local_port)
        except AgentRefused as exc:
            if exc.code != TOO_OLD:
                raise
            await self._update(str(exc), refused=exc)
        return await self._start_once(local_port)

    async def stop(self) -> None:
        """Kill the agent (if any) and wait until it is gone."""
        self._kill_starting_agent()
        await asyncio.to_thread(ngrok.kill, self._pyngrok)
        if self._proc is not None:
            await asyncio.to_thread(self._proc.wait)
            self._proc = None
        self._redactor.uninstall()

    async def _ensure_installed(self) -> None:
        path = self._config.ngrok_path
        if path.exists():
            if not os.access(path, os.X_OK):
                raise TunnelError(self._not_executable())
            return
        if not self._config.download:
            raise TunnelError(
                f"there is no ngrok agent at {path} — check --ngrok-path or B24MONITOR_NGROK_PATH"
            )
        self._on_progress(f"downloading the ngrok agent to {path} (first run)")
        try:
            await asyncio.to_thread(installer.install_ngrok, str(path))
        except (PyngrokError, OSError) as exc:
            log.info("ngrok download failed: %s", exc)
            raise TunnelError(DOWNLOAD_FAILED) from None
        self._on_progress("downloaded the ngrok agent")

    async def _ensure_current(self) -> None:
        """Read the agent's version; update an old one we downloaded, name one the user chose."""
        self.version = await asyncio.to_thread(ngrok_process.agent_version, self.path)
        if self.version is None:
            return
        old = version_text(self.version)
        ending = ngrok_process.end_of_life_warning(self.version, date.today().isoformat())
        if self.version >= MIN_ENDPOINTS_VERSION and ending is None:
            return
        if self._config.download and self.version < MIN_ENDPOINTS_VERSION:
            await self._update(f"version {old} lacks the /api/endpoints API")
        elif self._config.download and ending is not None:
            try:  # best effort: the agent still works until ngrok refuses it (then: 121)
                await self._update(f"version {old} is at the end of ngrok's support")
            except TunnelError as exc:
                log.warning("%s", exc)
        elif self.version < MIN_ENDPOINTS_VERSION:
            raise TunnelError(
                f"the ngrok agent at {self.path} is version {old}, older than 3.30.0, and lacks "
                "the /api/endpoints API b24monitor needs — update it with `ngrok update` or "
                "drop --ngrok-path so b24monitor downloads a current agent"
            )

    def age_warning(self) -> str | None:
        """A sentence when this agent is at or near its end of life for free accounts."""
        return ngrok_process.end_of_life_warning(self.version, date.today().isoformat())

    async def _update(self, why: str, refused: AgentRefused | None = None) -> None:
        """Run the agent's own `ngrok update` (via pyngrok) and say so; raise if it did not help."""
        old = version_text(self.version)
        self._on_progress(f"updating the ngrok agent at {self.path} ({why})")
        try:
            await asyncio.to_thread(ngrok.update, self._pyngrok)
        except (PyngrokError, OSError, subprocess.SubprocessError) as exc:
            failure = self._redactor.redact(str(exc)).splitlines()[0][:160]
            log.warning("ngrok update failed: %s", failure)
            first = str(refused) if refused else f"the ngrok agent at {self.path} is too old"
            raise TunnelError(f"{first}; `ngrok update` failed there ({failure})") from None
        self.version = await asyncio.to_thread(ngrok_process.agent_version, self.path)
        message = (
            f"updated the ngrok agent at {self.path} from {old} to {version_text(self.version)}"
        )
        log.warning("%s (%s)", message, why)
        self._on_progress(message)

    async def _start_once(self, local_port: int) -> str:
        self._last_error = None
        self._redactor.install()
        loop = asyncio.get_running_loop()
        work = loop.run_in_executor(None, self._connect, local_port)
        timeout = self._config.start_timeout
        try:
            # shield: on timeout the worker thread keeps running until the agent is killed.
            url, proc = await asyncio.wait_for(asyncio.shield(work), timeout)
        except (TimeoutError, asyncio.CancelledError) as exc:
            self._kill_starting_agent()
            await asyncio.wait({work}, timeout=5)  # let the start reap it and clear its state
            if work.done() and not work.cancelled():
                work.exception()  # "unable to start": expected, and now retrieved
            if isinstance(exc, asyncio.CancelledError):
                raise
            raise AgentRefused(self._timeout_sentence(), None) from None
        except PermissionError:
            raise TunnelError(self._not_executable()) from None
        except (PyngrokError, OSError) as exc:
            raise self._explain(exc) from None
        self._proc = proc
        log.info("ngrok agent (pid %s) serves %s", proc.pid, url)
        return url

    def _connect(self, local_port: int) -> tuple[str, subprocess.Popen[str]]:
        """Runs in a worker thread: start the agent and the endpoint (both block)."""
        ngrok.kill(self._pyngrok)  # an agent left over from an earlier start of ours
        agent = ngrok_process.start_agent(self._pyngrok, self._stderr)
        options: dict[str, str] = {}
        if self._config.domain:
            domain = self._config.domain
            options["url"] = domain if "://" in domain else f"https://{domain}"
        tunnel = ngrok.connect(
            f"http://127.0.0.1:{local_port}",  # not localhost: that may resolve to ::1
            name=ENDPOINT_NAME,
            pyngrok_config=self._pyngrok,
            **options,
        )
        if tunnel.public_url is None:  # pyngrok raises first; this keeps the types honest
            raise PyngrokError("the agent reported no public URL")
        return tunnel.public_url, agent.proc

    def _kill_starting_agent(self) -> None:
        # The start holds pyngrok's process lock, so kill_process() would wait for the very
        # start we are abandoning; SIGKILL the child directly and let the start clean up.
        starting = process._current_processes.get(str(self._config.ngrok_path))
        if starting is not None and starting.proc.poll() is None:
            log.info("killing the ngrok agent (pid %s)", starting.proc.pid)
            starting.proc.kill()

    def _on_agent_log(self, line: NgrokLog) -> None:
        if line.lvl in ("ERROR", "CRITICAL"):
            self._last_error = self._redactor.redact(line.err or line.msg or "")

    def _timeout_sentence(self) -> str:
        # An agent that keeps retrying (offline, say) never exits: its last error says why.
        last = self._last_error or self._stderr.text()
        known = ngrok_errors.explain(last, domain=self._config.domain) if last else None
        return known or (
            f"the ngrok agent did not start in {self._config.start_timeout:g} s — check the "
            "internet connection, or pass --ngrok-path with a working ngrok agent"
        )

    def _not_executable(self) -> str:
        return (
            f"the ngrok agent at {self._config.ngrok_path} is not executable — run "
            "`chmod +x` on it or pass another --ngrok-path"
        )

    def _explain(self, exc: BaseException) -> AgentRefused:
        parts = [str(exc)]
        if isinstance(exc, PyngrokNgrokError) and exc.ngrok_error:
            parts.append(exc.ngrok_error)
        if isinstance(exc, PyngrokNgrokHTTPError):
            parts.append(exc.body)
        parts.append(self._stderr.text())
        text = self._redactor.redact("\n".join(parts))
        log.info("ngrok agent failed: %s", text)
        error = ngrok_errors.NgrokError.parse(text)
        sentence = ngrok_errors.explain(text, domain=self._config.domain)
        if sentence is None and "unable to start" in text:
            sentence = (
                "the ngrok agent exited during start-up — run it by hand to see why, or pass "
                "another --ngrok-path"
            )
        summary = text.split("\\n")[0].split("\n")[0][:160]
        fallback = f"the ngrok agent failed ({summary}) — run it by hand to see why"
        return AgentRefused(sentence or fallback, error.code)
