"""Findings as a user meets them on the command line: JSON lines, plain lines, filter, export."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from tests.cli.cli_run import cli

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def test_findings_in_json_lines_filter_and_export(
    monitor: Any, tmp_path: Path, make_delivery: Callable[..., bytes]
) -> None:
    m = monitor()
    url = m.next_json()["handler_url"]
    now = int(time.time())
    httpx.post(url, content=make_delivery(ts=now), headers=FORM)
    httpx.post(url, content=make_delivery(user_id=None, ts=now - 120), headers=FORM)
    good, robot = m.next_of_type("event"), m.next_of_type("event")
    assert good["findings"] == []
    assert [f["code"] for f in robot["findings"]] == ["no_access_token", "queue_delay"]
    delay = robot["findings"][1]
    assert delay["severity"] == "warn" and delay["detail"].endswith(" s")
    assert 120 <= int(delay["detail"].removesuffix(" s")) < 180
    m.proc.send_signal(signal.SIGTERM)
    assert m.proc.wait(timeout=15) == 0

    data_dir = tmp_path / "data"
    out = cli(data_dir, "export", "--format", "jsonl", "--filter", "finding:queue_delay")
    assert [json.loads(line)["id"] for line in out.stdout.splitlines()] == [robot["id"]]
    out = cli(data_dir, "export", "--format", "jsonl", "--filter=-finding:any")
    assert [json.loads(line)["id"] for line in out.stdout.splitlines()] == [good["id"]]
    bad = cli(data_dir, "export", "--filter", "finding:nonsense")
    assert bad.returncode == 2 and "finding: expects any or one of" in bad.stderr


def test_plain_listen_marks_findings(tmp_path: Path, make_delivery: Callable[..., bytes]) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "b24monitor", "--data-dir", str(tmp_path), "listen"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert proc.stderr is not None and proc.stdout is not None
        url = ""
        while not url:
            line = proc.stderr.readline()
            assert line, "listen exited"
            if line.startswith("Handler URL: "):
                url = line.removeprefix("Handler URL: ").strip()
        httpx.post(url, content=make_delivery(user_id=None, ts=int(time.time())), headers=FORM)
        assert proc.stdout.readline().rstrip().endswith("⚠ no_access_token")
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=15)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def test_listen_help_lists_every_check(tmp_path: Path) -> None:
    out = cli(tmp_path, "listen", "--help")
    assert "finding:queue_delay" in out.stdout
    assert "no_access_token" in out.stdout and "two_handlers" in out.stdout


def test_delay_threshold_moves_the_queue_delay_finding(
    monitor: Any, tmp_path: Path, make_delivery: Callable[..., bytes]
) -> None:
    m = monitor("--delay-threshold", "200")
    url = m.next_json()["handler_url"]
    now = int(time.time())
    httpx.post(url, content=make_delivery(ts=now - 120), headers=FORM)  # late, but under 200 s
    httpx.post(url, content=make_delivery(ts=now - 600), headers=FORM)
    under, over = m.next_of_type("event"), m.next_of_type("event")
    assert under["findings"] == []
    assert [f["code"] for f in over["findings"]] == ["queue_delay"]


def test_delay_threshold_must_be_positive(tmp_path: Path) -> None:
    out = cli(tmp_path, "listen", "--delay-threshold", "0")
    assert out.returncode == 2 and "not a positive number of seconds" in out.stderr
