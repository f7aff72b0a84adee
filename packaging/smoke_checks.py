"""Smoke checks for an installed b24monitor: a wheel in a venv, or the PyInstaller bundle.

    python3 packaging/smoke_checks.py [--no-gui] [--no-x11] [--no-ngrok] -- COMMAND...

COMMAND is how to start b24monitor (`dist/b24monitor/b24monitor`, `venv/bin/b24monitor`). Runs,
each as a real process in a fresh data dir with its own XDG folders:
  version  `--version` prints the version
  listen   `listen --json --tunnel none`: the "listening" line, one POSTed delivery comes back
           as an "event" line, SIGTERM exits 0, nothing on stderr
  gui      the desktop app with QT_QPA_PLATFORM=offscreen on a fixed port: a POST is answered
           200 (the session runs), SIGTERM closes the main window the normal way (its layout is
           saved to gui.ini) and exits 0; stderr holds nothing but offscreen size-hint notes
  gui-x11  the same on Xvfb with the xcb platform plugin, when Xvfb is installed
  export   `export` prints every delivery stored above
  sandbox  the simulated portal (it reads its shipped event list) starts, answers a REST call,
           and exits 0 on SIGTERM
  portal   `portal add`, `listen --portal`, the simulated portal installs the app, `events`
           describes the portal's events from the shipped catalog (EN and RU); both exit 0
  ngrok    `tunnel check --tunnel ngrok` with a dummy token reaches pyngrok's download: offline
           it must fail on the network (not on a missing module or certificate store)
Standard library only, so it runs with any Python 3.11 next to a bundle. Exits 1 on any failure.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

START_TIMEOUT = 45.0  # a cold bundle on a busy 2-core machine unpacks nothing but still loads Qt
STOP_TIMEOUT = 20.0
# What the offscreen platform says about native windows; not a fault of ours.
HARMLESS_STDERR = ("This plugin does not support propagateSizeHints()",)
# Qt plugins the desktop app must load besides its platform plugin: the SVG icon engine.
REQUIRED_PLUGINS = ("qsvgicon",)  # and the platform's; lib…so, …dll, lib…dylib
# Reasons pyngrok's download may fail here that prove the code path itself works.
NETWORK_FAILURES = (
    "urlopen error", "timed out", "Name or service not known", "Temporary failure in name",
    "Network is unreachable", "Connection refused", "No address associated",
)  # fmt: skip


class SmokeError(Exception):
    """One check failed; the message says which and shows the process output."""


def delivery_body() -> bytes:
    """A Bitrix24 delivery as PHP's http_build_query writes it (bracket keys, `+` for spaces)."""
    fields = {
        "event": "ONCRMDEALADD",
        "event_handler_id": "412",
        "data[FIELDS][ID]": "3187",
        "ts": "1764338592",
        "auth[domain]": "acme.bitrix24.com",
        "auth[client_endpoint]": "https://acme.bitrix24.com/rest/",
        "auth[member_id]": "0c4f5e9a8b7d6c5e4f3a2b1c0d9e8f7a",
        "auth[application_token]": "9e7d1c2b3a4f5e6d7c8b9a0f1e2d3c4b",
    }
    return urllib.parse.urlencode(fields).encode()


def post(url: str, timeout: float = 5.0) -> int:
    request = urllib.request.Request(
        url,
        data=delivery_body(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return int(response.status)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Child:
    """A started b24monitor whose stdout and stderr are read on threads, line by line."""

    def __init__(self, command: list[str], env: dict[str, str], cwd: Path) -> None:
        self.command = command
        self.proc = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=env, cwd=cwd, text=True, encoding="utf-8", errors="replace",
        )  # fmt: skip
        self.stdout: queue.Queue[str | None] = queue.Queue()
        self.stderr_lines: list[str] = []
        self._threads = [
            threading.Thread(target=self._pump_stdout, daemon=True),
            threading.Thread(target=self._pump_stderr, daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def _pump_stdout(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.stdout.put(line)
        self.stdout.put(None)

    def _pump_stderr(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.stderr_lines.append(line.rstrip("\n"))

    def next_json(self, kind: str, timeout: float) -> dict[str, Any]:
        """The next JSON line of type `kind`, skipping others."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            try:
                line = self.stdout.get(timeout=max(remaining, 0.01))
            except queue.Empty:
                raise self.failure(f"no {kind!r} line within {timeout:.0f} s") from None
            if line is None:
                raise self.failure(f"exited ({self.proc.wait()}) before a {kind!r} line")
            try:
                obj: dict[str, Any] = json.loads(line)
            except json.JSONDecodeError:
                raise self.failure(f"printed a line that is not JSON: {line!r}") from None
            if obj.get("type") == kind:
                return obj

    def next_line_with(self, text: str, timeout: float) -> str:
        """The next stdout line that contains `text`."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.stdout.get(timeout=max(deadline - time.monotonic(), 0.01))
            except queue.Empty:
                raise self.failure(f"printed no {text!r} within {timeout:.0f} s") from None
            if line is None:
                raise self.failure(f"exited ({self.proc.wait()}) before printing {text!r}")
            if text in line:
                return line

    def terminate(self) -> int:
        """SIGTERM, then the exit code (killed and failed if it does not stop in time)."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise self.failure(f"did not exit within {STOP_TIMEOUT:.0f} s of SIGTERM") from None
        self.join()
        return code

    def join(self) -> None:
        for thread in self._threads:
            thread.join(timeout=5)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.join()

    def failure(self, what: str) -> SmokeError:
        stderr = "\n".join(self.stderr_lines[-40:]) or "(nothing)"
        return SmokeError(f"`{' '.join(self.command)}` {what}; stderr:\n{stderr}")


class Smoke:
    """The checks, sharing one data dir and one environment."""

    def __init__(self, command: list[str], work: Path) -> None:
        self.command = command
        self.work = work
        self.data_dir = work / "data"
        self.env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONDONTWRITEBYTECODE": "1"}
        for name in ("B24MONITOR_DATA_DIR", "B24MONITOR_NGROK_PATH", "NGROK_AUTHTOKEN"):
            self.env.pop(name, None)
        for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_RUNTIME_DIR"):
            folder = work / name.lower()
            folder.mkdir(mode=0o700)
            self.env[name] = str(folder)
        self.handler_path = ""
        self.posted = 0

    def start(self, *args: str, env: dict[str, str] | None = None) -> Child:
        full = [*self.command, "--data-dir", str(self.data_dir), *args]
        return Child(full, env or self.env, cwd=self.work)

    def run(self, *args: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
        full = [*self.command, "--data-dir", str(self.data_dir), *args]
        try:
            return subprocess.run(
                full, stdin=subprocess.DEVNULL, capture_output=True, text=True, env=self.env,
                cwd=self.work, timeout=timeout, encoding="utf-8", errors="replace",
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            raise SmokeError(f"`{' '.join(full)}` did not finish within {timeout:.0f} s") from None

    def check_version(self) -> str:
        done = self.run("--version")
        if done.returncode != 0 or not done.stdout.startswith("b24monitor "):
            raise SmokeError(f"--version: exit {done.returncode}: {done.stdout}{done.stderr}")
        return done.stdout.strip()

    def check_listen(self) -> str:
        child = self.start("listen", "--json", "--tunnel", "none")
        try:
            hello = child.next_json("listening", START_TIMEOUT)
            listening_since = time.monotonic()
            self.handler_path = hello["handler_url"].removeprefix(hello["local_url"])
            status = post(hello["handler_url"])
            if status != 200:
                raise child.failure(f"answered the delivery with {status}")
            self.posted += 1
            event = child.next_json("event", 15)
            if (event.get("event"), event.get("entity_id")) != ("ONCRMDEALADD", "3187"):
                raise child.failure(f"printed the wrong event line: {event}")
            time.sleep(max(0.0, 2.0 - (time.monotonic() - listening_since)))  # run a while
            code = child.terminate()
        finally:
            child.kill()
        if code != 0:
            raise child.failure(f"exited {code} on SIGTERM")
        if child.stderr_lines:
            raise child.failure("wrote to stderr")
        return f"event {event['id']} at {hello['local_url']}, exit 0 on SIGTERM"

    def check_gui(self) -> str:
        return self._run_gui("offscreen", {})

    def check_gui_x11(self) -> str:
        """The same on a real X server (Xvfb): the xcb plugin and its bundled xcb libraries."""
        read_end, write_end = os.pipe()
        xvfb = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write_end), "-screen", "0", "1280x800x24",
             "-nolisten", "tcp"],
            pass_fds=(write_end,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        os.close(write_end)
        try:
            with os.fdopen(read_end) as display_fd:  # Xvfb writes its display number when ready
                display = display_fd.readline().strip()
            if not display:
                raise SmokeError(f"Xvfb did not start (exit {xvfb.poll()})")
            return self._run_gui("xcb", {"DISPLAY": f":{display}"})
        finally:
            xvfb.terminate()
            xvfb.wait(timeout=10)

    def _run_gui(self, platform: str, extra_env: dict[str, str]) -> str:
        port = free_port()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        settings = self.data_dir / "gui.ini"
        settings.write_text(f"[receiver]\nport={port}\n", encoding="utf-8")
        # Qt logs each plugin it loads: proof that the platform and SVG icon plugins work.
        env = {
            **self.env,
            **extra_env,
            "QT_QPA_PLATFORM": platform,
            "QT_LOGGING_RULES": "qt.core.library.debug=true",
        }
        child = self.start(env=env)
        try:
            url = f"http://127.0.0.1:{port}{self.handler_path}"
            waited = self._post_until_answered(child, url)
            self.posted += 1
            # The window is shown and SIGTERM handled right after the receiver starts
            # (gui/app.py: session, store worker, window.start(), then the signal watcher).
            time.sleep(1.5)
            code = child.terminate()
        finally:
            child.kill()
        if code != 0:
            raise child.failure(f"exited {code} on SIGTERM")
        if "geometry=" not in settings.read_text(encoding="utf-8"):
            raise child.failure("exited without saving the main window's layout to gui.ini")
        loaded = [line for line in child.stderr_lines if "loaded library" in line]
        plugins = (f"q{platform}", *REQUIRED_PLUGINS)
        for plugin in plugins:
            if not any(plugin in line for line in loaded):
                raise child.failure(f"did not load the Qt plugin {plugin}")
        noise = [
            line
            for line in child.stderr_lines
            if line.strip() not in HARMLESS_STDERR and "loaded library" not in line
        ]
        if noise:
            raise child.failure("wrote unexpected lines to stderr")
        return (
            f"receiver answered after {waited:.1f} s, window closed on SIGTERM, exit 0, "
            f"loaded plugins {', '.join(plugins)}"
        )

    def _post_until_answered(self, child: Child, url: str) -> float:
        started = time.monotonic()
        while time.monotonic() - started < START_TIMEOUT:
            if child.proc.poll() is not None:
                raise child.failure(f"exited ({child.proc.returncode}) before it answered")
            try:
                status = post(url, timeout=2)
            except OSError:  # not listening yet (URLError is an OSError)
                time.sleep(0.2)
                continue
            if status != 200:
                raise child.failure(f"answered the delivery with {status}")
            return time.monotonic() - started
        raise child.failure(f"did not answer on {url} within {START_TIMEOUT:.0f} s")

    def check_sandbox(self) -> str:
        child = Child([*self.command, "sandbox"], self.env, cwd=self.work)
        try:
            line = child.next_line_with("REST endpoint", START_TIMEOUT)
            rest = line.split()[-1]
            with urllib.request.urlopen(rest + "profile.json", timeout=5) as response:
                answered = response.status  # no token: the portal's own error, as JSON
        except urllib.error.HTTPError as exc:
            answered = exc.code
        finally:
            code = child.terminate() if child.proc.poll() is None else child.proc.wait()
            child.kill()
        if code != 0:
            raise child.failure(f"exited {code} on SIGTERM")
        if child.stderr_lines:
            raise child.failure("wrote to stderr")
        return f"simulated portal answered {answered} at {rest}, exit 0 on SIGTERM"

    def check_portal(self) -> str:
        """portal add → listen --portal → the simulated portal installs the app → `events`
        lists the portal's events described from the shipped catalog (EN and RU)."""
        data = ["--data-dir", str(self.work / "portal-data")]
        app = ["--client-id", "local.smoke.1", "--client-secret", "smoke-secret"]
        added = subprocess.run(
            [*self.command, *data, "portal", "add", "smoke", *app], stdin=subprocess.DEVNULL,
            capture_output=True, text=True, env=self.env, cwd=self.work, timeout=60,
        )  # fmt: skip
        if added.returncode != 0:
            raise SmokeError(f"portal add: exit {added.returncode}: {added.stderr}")
        listen = Child([*self.command, *data, "listen", "--json", "--portal", "smoke",
                        "--tunnel", "none"], self.env, cwd=self.work)  # fmt: skip
        portal: Child | None = None
        try:
            handler_url = listen.next_json("listening", START_TIMEOUT)["handler_url"]
            portal = Child([*self.command, "sandbox", "--no-rate-limit", *app,
                            "--install", handler_url], self.env, cwd=self.work)  # fmt: skip
            listen.next_json("installed", START_TIMEOUT)
            events = self._portal_events(data)
            # listen first: on SIGTERM it unbinds its events from the portal.
            stopped = [(listen, listen.terminate()), (portal, portal.terminate())]
        finally:
            for child in (listen, portal):
                if child is not None:
                    child.kill()
        for child, code in stopped:
            if code != 0 or child.stderr_lines:
                raise child.failure(f"exited {code} on SIGTERM or wrote to stderr")
        return f"{events} events listed with their EN/RU descriptions"

    def _portal_events(self, data: list[str]) -> int:
        done = subprocess.run(
            [*self.command, *data, "events", "--portal", "smoke", "--json"],
            stdin=subprocess.DEVNULL, capture_output=True, text=True, env=self.env,
            cwd=self.work, timeout=60,
        )  # fmt: skip
        if done.returncode != 0:
            raise SmokeError(f"events --portal: exit {done.returncode}: {done.stderr}")
        entries = {entry["event"]: entry for entry in json.loads(done.stdout)}
        deal = entries.get("ONCRMDEALADD") or {}
        if not (deal.get("description") and deal.get("description_ru")):
            raise SmokeError(f"the shipped catalog did not describe ONCRMDEALADD: {deal}")
        return len(entries)

    def check_export(self) -> str:
        done = self.run("export")
        records = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
        if done.returncode != 0 or len(records) != self.posted:
            raise SmokeError(
                f"export: exit {done.returncode}, {len(records)} records, expected "
                f"{self.posted}: {done.stderr}"
            )
        return f"{len(records)} records"

    def check_ngrok(self) -> str:
        env = {**self.env, "NGROK_AUTHTOKEN": "smoke-test-not-a-token"}
        full = [*self.command, "--debug", "--data-dir", str(self.data_dir)]
        full += ["tunnel", "check", "--tunnel", "ngrok", "--json"]
        try:
            done = subprocess.run(
                full, stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env,
                cwd=self.work, timeout=90, encoding="utf-8", errors="replace",
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            raise SmokeError("tunnel check did not finish within 90 s") from None
        output = done.stdout + done.stderr
        if "Traceback" in output:
            raise SmokeError(f"tunnel check crashed:\n{output[-4000:]}")
        if "downloaded the ngrok agent" in output:
            return "downloaded the ngrok agent (this machine is online)"
        reason = next((ln for ln in output.splitlines() if "ngrok download failed" in ln), "")
        if not reason:
            raise SmokeError(f"tunnel check never reached the ngrok download:\n{output[-4000:]}")
        if not any(marker in reason for marker in NETWORK_FAILURES):
            raise SmokeError(f"the ngrok download failed for a reason of ours: {reason}")
        return "download reached the network and failed there (offline): " + reason[-80:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-gui", action="store_true", help="skip the desktop app check")
    parser.add_argument("--no-x11", action="store_true", help="skip the app on Xvfb")
    parser.add_argument("--no-ngrok", action="store_true", help="skip the ngrok download check")
    parser.add_argument("command", nargs="+", help="how to start b24monitor")
    args = parser.parse_args(argv)
    if os.sep in args.command[0]:  # the checks run in a temporary folder: make it absolute
        args.command[0] = os.path.abspath(args.command[0])
    with tempfile.TemporaryDirectory(prefix="b24monitor-smoke-") as tmp:
        smoke = Smoke(args.command, Path(tmp))
        checks = [("version", smoke.check_version), ("listen", smoke.check_listen)]
        if not args.no_gui:
            checks.append(("gui", smoke.check_gui))
            if not args.no_x11 and shutil.which("Xvfb"):
                checks.append(("gui-x11", smoke.check_gui_x11))
        checks.append(("export", smoke.check_export))
        checks.append(("sandbox", smoke.check_sandbox))
        checks.append(("portal", smoke.check_portal))
        if not args.no_ngrok:
            checks.append(("ngrok", smoke.check_ngrok))
        started_all = time.monotonic()
        passed = 0
        for name, check in checks:
            started = time.monotonic()
            try:
                detail = check()
            except Exception as exc:  # a SmokeError, or a crash of the check itself
                what = str(exc) if isinstance(exc, SmokeError) else f"{type(exc).__name__}: {exc}"
                print(f"smoke: {name}: FAILED: {what}", file=sys.stderr)
                print(f"smoke: {passed} passed, 1 failed", flush=True)
                return 1
            passed += 1
            print(f"smoke: {name}: ok in {time.monotonic() - started:.1f} s — {detail}", flush=True)
        print(f"smoke: all checks took {time.monotonic() - started_all:.0f} s")
        print(f"smoke: {passed} passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
