"""The ngrok agent through pyngrok: install, start time-boxed, watch, kill; errors in one sentence.

pyngrok's calls block, so each runs in a worker thread. Its `startup_timeout` is only checked
between the agent's output lines, so an agent that prints nothing would hang `connect()` for ever:
the start is time-boxed from outside and the agent killed on timeout
(../shared/guide/testing.md, "ngrok without the ngrok service").
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pyngrok import conf, installer, ngrok, process
from pyngrok.exception import PyngrokError, PyngrokNgrokError, PyngrokNgrokHTTPError
from pyngrok.log import NgrokLog

from b24monitor.core.errors import TunnelError

log = logging.getLogger(__name__)

# pyngrok prints download progress to stdout, which is None in a windowed build.
installer._print_progress_enabled = False

ENDPOINT_NAME = "b24monitor"
AUTHTOKEN_PAGE = "https://dashboard.ngrok.com/get-started/your-authtoken"
DOWNLOAD_FAILED = (
    "could not download the ngrok agent (no internet?) — pass --ngrok-path or install ngrok"
)
# Lines ngrok prints when it cannot reach its service at all.
_OFFLINE = re.compile(
    r"failed to dial|no such host|dial tcp|i/o timeout|connection refused|network is unreachable"
    r"|tls: |x509",
    re.IGNORECASE,
)

_SAVE_TOKEN = f"from {AUTHTOKEN_PAGE} and save it in b24monitor or set NGROK_AUTHTOKEN"
OFFLINE_SENTENCE = (
    "the ngrok agent cannot reach the ngrok service (no internet or a firewall?) — check the "
    "connection, or pass --public-url if you have a public URL of your own"
)
# (what the error text contains, the sentence); first match wins. {code}/{domain} are filled in.
_EXPLANATIONS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"ERR_NGROK_4018"),
        f"ngrok needs an authtoken (ERR_NGROK_4018) — get one {_SAVE_TOKEN}",
    ),
    (
        re.compile(r"ERR_NGROK_10[57]\b|authentication failed"),
        f"ngrok rejected the authtoken ({{code}}) — copy it again {_SAVE_TOKEN}",
    ),
    (
        re.compile(r"ERR_NGROK_108\b|simultaneous ngrok agent sessions"),
        "your ngrok account allows only one agent at a time (ERR_NGROK_108) — stop the other "
        "ngrok agent (https://dashboard.ngrok.com/agents) and try again",
    ),
    (
        re.compile(r"ERR_NGROK_334\b|is already online"),
        "the ngrok endpoint{domain} is already online elsewhere (ERR_NGROK_334) — stop the other "
        "agent using it",
    ),
    (
        re.compile(r"ERR_NGROK_\d+"),
        "ngrok refused the tunnel ({code}: {summary}) — see https://ngrok.com/docs/errors/{slug}",
    ),
    (_OFFLINE, OFFLINE_SENTENCE),
    (
        re.compile(r"unable to start"),
        "the ngrok agent exited during start-up — run it by hand to see why, or pass another "
        "--ngrok-path",
    ),
)


def explain_ngrok_error(text: str, domain: str | None = None) -> str:
    """One sentence (why + what to do) for an ngrok or pyngrok error text."""
    return known_ngrok_error(text, domain) or (
        f"the ngrok agent failed ({_summary(text)}) — run it by hand to see why"
    )


def known_ngrok_error(text: str, domain: str | None = None) -> str | None:
    """The sentence for an error we recognise, else None."""
    code_match = re.search(r"ERR_NGROK_\d+", text)
    code = code_match.group(0) if code_match else "authentication failed"
    sentence = next((s for pattern, s in _EXPLANATIONS if pattern.search(text)), None)
    if sentence is None:
        return None
    return sentence.format(
        code=code,
        slug=code.lower().replace("_", "-"),
        domain=f" {domain}" if domain else "",
        summary=_summary(text),
    )


def _summary(text: str) -> str:
    return text.split("\\n")[0].split("\n")[0][:160]  # ngrok escapes newlines in its log lines


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
        self._redactor = _Redactor(config.authtoken)
        self._pyngrok = conf.PyngrokConfig(
            ngrok_path=str(config.ngrok_path),
            config_path=str(config.config_path),
            auth_token=config.authtoken,
            region=config.region,
            # pyngrok's own limit is a fallback only; ours (below) also covers a silent agent.
            startup_timeout=math.ceil(config.start_timeout) + 1,
            log_event_callback=self._on_agent_log,
        )

    def exit_code(self) -> int | None:
        """None while the agent runs (or was never started); its exit code once it died."""
        return self._proc.poll() if self._proc is not None else None

    async def start(self, local_port: int) -> str:
        """Start the agent and an endpoint to 127.0.0.1:`local_port`; return the public URL."""
        await self._ensure_installed()
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
            await asyncio.wait({work}, timeout=5)  # let pyngrok reap it and clear its state
            if work.done() and not work.cancelled():
                work.exception()  # pyngrok's "unable to start": expected, and now retrieved
            if isinstance(exc, asyncio.CancelledError):
                raise
            raise TunnelError(self._timeout_sentence()) from None
        except PermissionError:
            raise TunnelError(self._not_executable()) from None
        except (PyngrokError, OSError) as exc:
            raise TunnelError(self._explain(exc)) from None
        self._proc = proc
        log.info("ngrok agent (pid %s) serves %s", proc.pid, url)
        return url

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

    def _connect(self, local_port: int) -> tuple[str, subprocess.Popen[str]]:
        """Runs in a worker thread: start the agent and the endpoint (pyngrok blocks)."""
        ngrok.kill(self._pyngrok)  # an agent left over from an earlier start of ours
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
        agent = ngrok.get_ngrok_process(self._pyngrok)
        if tunnel.public_url is None:  # pyngrok raises first; this keeps the types honest
            raise PyngrokError("the agent reported no public URL")
        return tunnel.public_url, agent.proc

    def _kill_starting_agent(self) -> None:
        # pyngrok holds its process lock for the whole start, so kill_process() would wait for
        # the very start we are abandoning; SIGKILL the child directly and let pyngrok clean up.
        starting = process._current_processes.get(str(self._config.ngrok_path))
        if starting is not None and starting.proc.poll() is None:
            log.info("killing the ngrok agent (pid %s)", starting.proc.pid)
            starting.proc.kill()

    def _on_agent_log(self, line: NgrokLog) -> None:
        if line.lvl in ("ERROR", "CRITICAL"):
            self._last_error = line.err or line.msg

    def _timeout_sentence(self) -> str:
        # An agent that keeps retrying (offline, say) never exits: its last error says why.
        last = self._redactor.redact(self._last_error or "")
        known = known_ngrok_error(last, self._config.domain) if last else None
        return known or (
            f"the ngrok agent did not start in {self._config.start_timeout:g} s — check the "
            "internet connection, or pass --ngrok-path with a working ngrok agent"
        )

    def _not_executable(self) -> str:
        return (
            f"the ngrok agent at {self._config.ngrok_path} is not executable — run "
            "`chmod +x` on it or pass another --ngrok-path"
        )

    def _explain(self, exc: BaseException) -> str:
        parts = [str(exc)]
        if isinstance(exc, PyngrokNgrokError) and exc.ngrok_error:
            parts.append(exc.ngrok_error)
        if isinstance(exc, PyngrokNgrokHTTPError):
            parts.append(exc.body)
        text = self._redactor.redact(" ".join(parts))
        log.info("ngrok agent failed: %s", text)
        return explain_ngrok_error(text, self._config.domain)


class _Redactor(logging.Filter):
    """Hides the authtoken in pyngrok's log records (ngrok echoes it in ERR_NGROK_105)."""

    # A logger's filters do not apply to records propagated from its children: name each one.
    LOGGERS = ("pyngrok.process", "pyngrok.process.ngrok", "pyngrok.ngrok", "pyngrok.installer")

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
        return text.replace(self._secret, "[authtoken]") if self._secret else text

    def filter(self, record: logging.LogRecord) -> bool:
        if self._secret and isinstance(record.msg, str):
            record.msg = self.redact(record.msg)
        return True
