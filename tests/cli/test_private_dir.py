"""The data folder gives nothing away: 0700 with 0600 files, whatever the umask (issue 15)."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _open_umask() -> None:
    os.umask(0)  # the most permissive umask: every mode below is set explicitly


def modes(folder: Path) -> dict[str, int]:
    """Relative path → permission bits, for the folder ('.') and everything in it."""
    found = {".": stat.S_IMODE(folder.stat().st_mode)}
    for path in folder.rglob("*"):
        found[str(path.relative_to(folder))] = stat.S_IMODE(path.lstat().st_mode)
    return found


def run_cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "b24monitor", "--data-dir", str(data_dir), *args],
        capture_output=True, text=True, timeout=60, preexec_fn=_open_umask,
    )  # fmt: skip


def test_a_new_data_folder_is_private_even_with_umask_0(
    monitor: Any, make_delivery: Callable[..., bytes], tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    assert run_cli(data_dir, "portal", "add", "hook", "--webhook-token", "t" * 32).returncode == 0
    m = monitor(preexec_fn=_open_umask)
    url = m.next_json()["handler_url"]
    assert httpx.post(url, content=make_delivery(), headers=FORM).status_code == 200
    live = modes(data_dir)  # while it runs: the WAL and the shared-memory file exist
    m.proc.send_signal(signal.SIGTERM)
    assert m.proc.wait(timeout=30) == 0
    exported = tmp_path / "revealed.jsonl"
    assert run_cli(data_dir, "export", "--reveal-secrets", "-o", str(exported)).returncode == 0

    assert live["."] == 0o700
    assert {"events.sqlite3", "events.sqlite3-wal", "events.sqlite3-shm"} <= set(live)
    assert "profiles.json" in live
    files = {name: mode for name, mode in live.items() if name != "."}
    assert files == {name: 0o600 for name in files}
    assert stat.S_IMODE(exported.stat().st_mode) == 0o600  # it holds unmasked tokens


def test_a_wider_data_folder_is_tightened_with_one_notice(monitor: Any, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    m = monitor()
    m.next_json()
    m.proc.send_signal(signal.SIGTERM)
    assert m.proc.wait(timeout=30) == 0
    (data_dir / "ngrok").mkdir()
    (data_dir / "ngrok" / "ngrok.yml").write_text("authtoken: secret\n")
    agent = data_dir / "ngrok" / "ngrok"
    agent.write_text("#!/bin/sh\n")
    os.chmod(data_dir, 0o755)
    os.chmod(data_dir / "events.sqlite3", 0o644)
    os.chmod(data_dir / "ngrok", 0o755)
    os.chmod(data_dir / "ngrok" / "ngrok.yml", 0o644)
    os.chmod(agent, 0o755)

    m = monitor()
    assert m.next_json()["type"] == "listening"
    notice = m.next_json()
    assert notice["type"] == "permissions"
    for change in ("the folder 0755→0700", "events.sqlite3 0644→0600", "ngrok 0755→0700",
                   "ngrok/ngrok.yml 0644→0600", "ngrok/ngrok 0755→0700"):  # fmt: skip
        assert change in notice["message"]
    after = modes(data_dir)
    assert after["."] == 0o700
    assert after["events.sqlite3"] == 0o600
    assert after["ngrok/ngrok.yml"] == 0o600
    assert after["ngrok/ngrok"] == 0o700  # the agent stays executable for its owner
