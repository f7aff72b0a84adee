"""`b24monitor wait` next to a running `listen`: returns on matches, exits 1 on timeout."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def start_wait(data_dir: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "b24monitor", "--data-dir", str(data_dir), "wait", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def test_wait_prints_each_match_and_exits_0_when_enough_matched(
    monitor: Any, tmp_path: Path, make_delivery: Callable[..., bytes]
) -> None:
    m = monitor()
    url = m.next_json()["handler_url"]
    # --since 1: events from the very first on, so posting cannot race the waiter's start.
    waiter = start_wait(tmp_path / "data", "--filter", "event:ONTASK*", "--count", "2",
                        "--since", "1", "--timeout", "60")  # fmt: skip
    for event in ("ONCRMDEALADD", "ONTASKADD", "ONCRMDEALADD", "ONTASKUPDATE", "ONTASKADD"):
        assert httpx.post(url, content=make_delivery(event), headers=FORM).status_code == 200
    out, err = waiter.communicate(timeout=60)
    assert waiter.returncode == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    assert [(line["type"], line["id"], line["event"]) for line in lines] == [
        ("event", 2, "ONTASKADD"), ("event", 4, "ONTASKUPDATE")]  # fmt: skip
    listened = [m.next_of_type("event") for _ in range(5)]
    assert lines[0] == listened[1]  # the very line listen --json printed


def test_wait_sees_findings_and_since_now_skips_the_past(
    monitor: Any, tmp_path: Path, make_delivery: Callable[..., bytes]
) -> None:
    m = monitor()
    url = m.next_json()["handler_url"]
    httpx.post(url, content=make_delivery(user_id=None), headers=FORM)
    m.next_of_type("event")
    past = start_wait(tmp_path / "data", "--filter", "finding:no_access_token", "--timeout", "1")
    _, err = past.communicate(timeout=30)
    assert past.returncode == 1  # --since now: the robot delivery before it does not count
    assert "0 of 1 events matching 'finding:no_access_token' arrived within 1 s" in err
    again = start_wait(tmp_path / "data", "--filter", "finding:no_access_token", "--since", "1")
    out, _ = again.communicate(timeout=30)
    assert again.returncode == 0 and json.loads(out)["findings"][0]["code"] == "no_access_token"


def test_wait_without_a_listener_times_out_with_one_sentence(tmp_path: Path) -> None:
    waiter = start_wait(tmp_path / "nothing", "--timeout", "0.3")
    _, err = waiter.communicate(timeout=30)
    assert waiter.returncode == 1
    assert err.count("\n") == 1 and "is `b24monitor listen` running on this data dir?" in err


def _handler_url(proc: subprocess.Popen[str]) -> str:
    """The handler URL `wait --listen` announces on stderr (stdout holds only matches)."""
    assert proc.stderr is not None
    while True:
        line = proc.stderr.readline()
        assert line, "wait --listen exited before listening"
        if line.startswith("Handler URL: "):
            return line.removeprefix("Handler URL: ").strip()


def test_wait_listen_runs_its_own_receiver_and_exits_0_on_the_count(
    tmp_path: Path, make_delivery: Callable[..., bytes]
) -> None:
    waiter = start_wait(tmp_path / "data", "--listen", "--filter", "event:ONTASK*", "--count",
                        "2", "--timeout", "60", "--delay-threshold", "200")  # fmt: skip
    try:
        url = _handler_url(waiter)
        late = int(time.time()) - 120  # under --delay-threshold 200: no queue_delay finding
        for event in ("ONCRMDEALADD", "ONTASKADD", "ONCRMDEALADD", "ONTASKUPDATE"):
            body = make_delivery(event, ts=late)
            assert httpx.post(url, content=body, headers=FORM).status_code == 200
        assert waiter.stdout is not None
        out = waiter.stdout.read()
        assert waiter.wait(timeout=30) == 0
    finally:
        if waiter.poll() is None:
            waiter.kill()
        waiter.communicate()
    lines = [json.loads(line) for line in out.splitlines()]
    assert [(line["type"], line["event"]) for line in lines] == [
        ("event", "ONTASKADD"), ("event", "ONTASKUPDATE")]  # fmt: skip
    assert all("queue_delay" not in [f["code"] for f in line["findings"]] for line in lines)


def test_wait_listen_times_out_with_one_sentence(tmp_path: Path) -> None:
    waiter = start_wait(tmp_path / "data", "--listen", "--timeout", "0.5")
    out, err = waiter.communicate(timeout=60)
    assert waiter.returncode == 1 and out == ""
    assert "0 of 1 events matching any filter arrived within 0.5 s" in err
    assert "is the portal sending to the handler URL above?" in err


def test_wait_refuses_receiver_flags_without_listen(tmp_path: Path) -> None:
    waiter = start_wait(tmp_path / "data", "--port", "8080", "--timeout", "0.3")
    _, err = waiter.communicate(timeout=30)
    assert waiter.returncode == 2 and "--port is a receiver flag: add --listen" in err
