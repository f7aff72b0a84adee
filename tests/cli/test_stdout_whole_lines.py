"""`listen --json` keeps every line whole when a signal cuts a write to a full pipe short.

With PYTHONUNBUFFERED=1 (the test harness, many Docker images) Python's stdout writes straight
to the descriptor and drops whatever a write interrupted by a signal did not get out: the next
line then continues a truncated one, and a script parsing the stream meets malformed JSON.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import termios
import time
from collections.abc import Callable
from pathlib import Path

import httpx

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def pending_bytes(fd: int) -> int:
    return int.from_bytes(fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"), sys.byteorder)


def test_a_signal_during_a_blocked_write_leaves_no_broken_line(
    make_delivery: Callable[..., bytes], tmp_path: Path
) -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "b24monitor", "--data-dir", str(tmp_path / "data"), "listen",
         "--json"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        fd = proc.stdout.fileno()
        url = json.loads(proc.stdout.readline())["handler_url"]
        capacity = fcntl.fcntl(fd, 1032)  # F_GETPIPE_SZ
        sent = 0
        with httpx.Client(timeout=20) as client:
            # Lines of ~3 KB, three pipes' worth, none read: the monitor blocks in a write.
            while sent < 3 * capacity // 3000:
                body = make_delivery(data={"FIELDS": {"ID": str(sent), "TITLE": "t" * 3000}})
                assert client.post(url, content=body, headers=FORM).status_code == 200
                sent += 1
        deadline = time.monotonic() + 60
        while pending_bytes(fd) < capacity // 2:
            assert time.monotonic() < deadline, "the monitor's stdout never filled up"
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)  # interrupts the blocked write
        out = proc.stdout.read()
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
    lines = out.decode().splitlines()
    broken = [line[:80] for line in lines if not _parses(line)]
    assert broken == []
    ids = {obj["entity_id"] for obj in map(json.loads, lines) if obj.get("type") == "event"}
    assert ids == {str(i) for i in range(sent)}  # none lost either


def _parses(line: str) -> bool:
    try:
        json.loads(line)
    except ValueError:
        return False
    return True
