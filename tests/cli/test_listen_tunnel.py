"""`listen --tunnel ngrok` as a user runs it, with the fake ngrok agent standing in for ngrok."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

FAKE_NGROK = Path(__file__).resolve().parents[1] / "fake_ngrok" / "ngrok"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
def fake_agent_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    state = tmp_path / "fake-ngrok"
    state.mkdir()
    monkeypatch.setenv("FAKE_NGROK_STATE_DIR", str(state))
    monkeypatch.setenv("NGROK_AUTHTOKEN", "2abcSECRETauthtoken_0123456789")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return state


def agent_pids(state: Path) -> list[int]:
    pids = state / "pids"
    return [int(x) for x in pids.read_text().split()] if pids.exists() else []


def test_listen_through_ngrok_is_proven_reachable_and_heals_after_the_agent_dies(
    monitor: Any, fake_agent_env: Path, make_delivery: Callable[..., bytes]
) -> None:
    m = monitor("--tunnel", "ngrok", "--ngrok-path", str(FAKE_NGROK))
    assert m.next_json()["type"] == "listening"
    up = m.next_of_type("tunnel")
    while up["state"] != "reachable":
        assert up["state"] == "starting", up
        up = m.next_of_type("tunnel")
    assert up["handler_url"].startswith(up["public_url"] + "/b24/")
    # A delivery to the public URL goes through the agent's relay and is captured.
    body = make_delivery("ONTASKADD", {"FIELDS_AFTER": {"ID": "905"}})
    assert httpx.post(up["handler_url"], content=body, headers=FORM).status_code == 200
    assert m.next_of_type("event")["entity_id"] == "905"

    [pid] = agent_pids(fake_agent_env)
    os.kill(pid, signal.SIGKILL)
    states = []
    while not states or states[-1]["state"] != "reachable":
        states.append(m.next_of_type("tunnel", timeout=30))
    assert states[0]["state"] == "unreachable" and states[0]["reason"]
    healed = states[-1]
    assert healed["public_url"] != up["public_url"]
    assert httpx.post(healed["handler_url"], content=body, headers=FORM).status_code == 200

    m.proc.send_signal(signal.SIGTERM)
    assert m.proc.wait(timeout=15) == 0
    assert [p for p in agent_pids(fake_agent_env) if _alive(p)] == []


def test_tunnel_failure_is_one_sentence_and_the_receiver_keeps_serving(
    monitor: Any, fake_agent_env: Path, monkeypatch: pytest.MonkeyPatch,
    make_delivery: Callable[..., bytes],
) -> None:  # fmt: skip
    monkeypatch.setenv("FAKE_NGROK_MODE", "auth_error")
    m = monitor("--tunnel", "ngrok", "--ngrok-path", str(FAKE_NGROK))
    hello = m.next_json()
    failed = m.next_of_type("tunnel")
    while failed["state"] == "starting":
        failed = m.next_of_type("tunnel")
    assert failed["state"] == "failed"
    assert "authtoken" in failed["reason"] and "SECRET" not in failed["reason"]
    response = httpx.post(hello["handler_url"], content=make_delivery(), headers=FORM)
    assert response.status_code == 200
    m.proc.send_signal(signal.SIGTERM)
    assert m.proc.wait(timeout=15) == 0


def tunnel_check(tmp_path: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "b24monitor", "--data-dir", str(tmp_path / "d"), "tunnel", "check",
         "--tunnel", "ngrok", "--ngrok-path", str(FAKE_NGROK), *flags],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_tunnel_check_reports_reachable_url_agent_and_month(
    fake_agent_env: Path, tmp_path: Path
) -> None:
    first = tunnel_check(tmp_path)
    assert first.returncode == 0, first.stderr
    assert "reachable" in first.stdout and "http://127.0.0.1:" in first.stdout
    assert f"ngrok agent 3.39.8 at {FAKE_NGROK}" in first.stdout
    month = time.strftime("%Y-%m")
    assert f"requests through the tunnel in {month}: 1 sent by b24monitor itself" in first.stdout
    second = tunnel_check(tmp_path)  # the month's count is kept in the data dir
    assert f"in {month}: 2 sent by b24monitor itself (probes), 0 deliveries" in second.stdout


def test_tunnel_check_says_the_region_is_deprecated(fake_agent_env: Path, tmp_path: Path) -> None:
    result = tunnel_check(tmp_path, "--ngrok-region", "eu")
    assert result.returncode == 0, result.stderr
    assert "warning: --ngrok-region is deprecated" in result.stderr


def test_refused_agent_never_shows_the_authtoken(
    fake_agent_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_NGROK_MODE", "start_error=107")  # ngrok echoes the token here
    result = tunnel_check(tmp_path)
    assert result.returncode == 1
    assert "(ERR_NGROK_107)" in result.stdout
    assert "SECRET" not in result.stdout + result.stderr
    argv = (fake_agent_env / "starts.jsonl").read_text()
    assert "SECRET" not in argv  # nor on the agent's command line


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
