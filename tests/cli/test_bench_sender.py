"""bench/sender.c, the benches' C load generator, against a real `b24monitor listen` (issue 14).

The benches' figures rest on it: every delivery it counts as acknowledged must be one the monitor
received and printed, in both connection modes, with the event's `ts` of the second it was sent.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.cli.conftest import Monitor

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import gui  # (bench/gui.py: the sender's build and its request file)


@pytest.mark.parametrize("connection", ["new", "keep-alive"])
def test_every_acknowledged_delivery_is_one_the_monitor_printed(
    monitor: type[Monitor], tmp_path: Path, connection: str
) -> None:
    m = monitor()
    url = m.next_of_type("listening")["handler_url"]
    exe = gui.build_sender(tmp_path)
    assert exe is not None
    before = int(time.time())
    command = gui.sender_command(exe, url, 100, 1, connection, count=10)
    run = subprocess.run(command, capture_output=True, text=True, timeout=60, check=True)
    totals = json.loads(run.stdout.splitlines()[-1])
    assert (totals["sent"], totals["ok"], totals["failed"]) == (100, 100, 0)
    # new: one connection per delivery, as Bitrix24 sends; keep-alive: a few, reused
    assert (totals["connections"] == 100) == (connection == "new")
    events = [m.next_of_type("event") for _ in range(100)]
    assert all(before <= int(e["ts"]) <= int(time.time()) for e in events), events[0]
