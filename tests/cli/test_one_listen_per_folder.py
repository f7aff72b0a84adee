"""One engine per data dir, as a user meets it: real `listen` subprocesses on one folder."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from tests.cli.cli_run import cli

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def test_a_second_listen_is_refused_with_the_owner_named_and_the_first_keeps_working(
    monitor: Any, tmp_path: Path, make_delivery: Callable[..., bytes]
) -> None:
    first = monitor()
    listening = first.next_json()
    data_dir = tmp_path / "data"

    second = cli(data_dir, "listen", "--json")

    assert second.returncode == 2
    assert second.stdout == ""  # it never said it was listening
    sentence = second.stderr.strip()
    assert sentence.count("\n") == 0 and "Traceback" not in sentence
    owner = f"data folder {data_dir} is in use by b24monitor listen (pid {first.proc.pid}, "
    assert sentence.startswith(f"b24monitor: {owner}")
    at = re.escape(listening["local_url"])
    assert re.search(r"since \d\d:\d\d, receiving at " + at + r"\): ", sentence)
    assert sentence.endswith("stop it, or use another --data-dir")
    assert "/b24/" not in sentence  # the secret handler path stays out of the message
    r = httpx.post(listening["handler_url"], content=make_delivery(), headers=FORM)
    assert r.status_code == 200
    assert first.next_of_type("event")["event"] == "ONCRMDEALUPDATE"


def test_a_sigkilled_listen_does_not_block_the_next_one(monitor: Any, tmp_path: Path) -> None:
    first = monitor()
    first.next_json()
    first.proc.kill()  # SIGKILL: nothing of ours runs, the lock file keeps the dead owner
    first.proc.wait(timeout=10)
    lock_file = tmp_path / "data" / "engine.lock"
    assert json.loads(lock_file.read_text())["pid"] == first.proc.pid
    assert lock_file.stat().st_mode & 0o777 == 0o600

    second = monitor()

    assert second.next_json()["type"] == "listening"
    assert json.loads(lock_file.read_text())["pid"] == second.proc.pid


def test_export_and_stats_read_the_store_while_listen_runs(
    monitor: Any, tmp_path: Path, make_delivery: Callable[..., bytes]
) -> None:
    m = monitor()
    url = m.next_json()["handler_url"]
    for i in range(2):
        httpx.post(url, content=make_delivery(data={"FIELDS": {"ID": str(i)}}), headers=FORM)
    for _ in range(2):
        m.next_of_type("event")

    exported = cli(tmp_path / "data", "export")
    stats = cli(tmp_path / "data", "stats")

    assert exported.returncode == 0, exported.stderr
    assert [json.loads(line)["entity_id"] for line in exported.stdout.splitlines()] == ["0", "1"]
    assert stats.returncode == 0, stats.stderr
    assert m.proc.poll() is None  # the engine is untouched by its readers
