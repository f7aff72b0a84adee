"""`b24monitor listen` and `export` as a user runs them: real subprocesses, HTTP and files."""

from __future__ import annotations

import csv
import json
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from tests.cli.cli_run import cli

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def test_listen_json_prints_listening_then_one_line_per_event_and_exits_0_on_sigterm(
    monitor: Any, make_delivery: Callable[..., bytes]
) -> None:
    m = monitor()
    hello = m.next_json()
    assert hello["type"] == "listening"
    assert hello["public_url"] is None
    assert hello["handler_url"].startswith(hello["local_url"] + "/b24/")
    body = make_delivery("ONCRMDEALADD", {"FIELDS": {"ID": "3187", "TITLE": "Сделка №1"}})
    assert httpx.post(hello["handler_url"], content=body, headers=FORM).status_code == 200
    event = m.next_of_type("event")
    assert event["event"] == "ONCRMDEALADD"
    assert event["entity_id"] == "3187"
    assert event["data"] == {"FIELDS": {"ID": "3187", "TITLE": "Сделка №1"}}
    assert event["verified"] is None
    assert event["domain"] == "acme.bitrix24.com"
    m.proc.send_signal(signal.SIGTERM)
    assert m.proc.wait(timeout=15) == 0


def test_listen_filter_and_public_url(monitor: Any, make_delivery: Callable[..., bytes]) -> None:
    m = monitor("--filter", "event:ONTASK*", "--public-url", "https://example.ngrok.app/")
    hello = m.next_json()
    assert hello["public_url"] == "https://example.ngrok.app"
    assert hello["handler_url"].startswith("https://example.ngrok.app/b24/")
    local_handler = hello["local_url"] + hello["handler_url"].removeprefix(hello["public_url"])
    for event in ("ONCRMDEALADD", "ONTASKADD"):
        httpx.post(local_handler, content=make_delivery(event), headers=FORM)
    assert m.next_of_type("event")["event"] == "ONTASKADD"
    m.proc.send_signal(signal.SIGINT)
    assert m.proc.wait(timeout=15) == 0


def test_export_every_format_after_listen(
    monitor: Any, tmp_path: Path, make_delivery: Callable[..., bytes]
) -> None:
    m = monitor()
    url = m.next_json()["handler_url"]
    for i in range(3):
        httpx.post(url, content=make_delivery(data={"FIELDS": {"ID": str(i)}}), headers=FORM)
    for _ in range(3):
        m.next_of_type("event")
    m.proc.send_signal(signal.SIGTERM)
    assert m.proc.wait(timeout=15) == 0
    data_dir = tmp_path / "data"

    jsonl = cli(data_dir, "export")
    assert jsonl.returncode == 0, jsonl.stderr
    records = [json.loads(line) for line in jsonl.stdout.splitlines()]
    assert [r["entity_id"] for r in records] == ["0", "1", "2"]
    assert "9e7d1c2b3a4f5e6d7c8b9a0f1e2d3c4b" not in jsonl.stdout  # masked by default
    revealed = cli(data_dir, "export", "--reveal-secrets")
    assert "9e7d1c2b3a4f5e6d7c8b9a0f1e2d3c4b" in revealed.stdout

    out = tmp_path / "events.csv"
    exported = cli(data_dir, "export", "--format", "csv", "-o", str(out), "--filter", "id:1")
    assert exported.returncode == 0
    with out.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [r["entity_id"] for r in rows] == ["1"]

    har = cli(data_dir, "export", "--format", "har")
    assert len(json.loads(har.stdout)["log"]["entries"]) == 3
    assert len(json.loads(cli(data_dir, "export", "--format", "json").stdout)) == 3


def test_usage_errors_exit_2_with_one_sentence(tmp_path: Path) -> None:
    bad_filter = cli(tmp_path, "listen", "--filter", "evnt:X")
    assert bad_filter.returncode == 2
    assert "column 1" in bad_filter.stderr and "Traceback" not in bad_filter.stderr
    bad_url = cli(tmp_path, "listen", "--public-url", "ftp://x")
    assert bad_url.returncode == 2 and "http" in bad_url.stderr
    assert cli(tmp_path, "export", "--format", "xml").returncode == 2
    nothing = cli(tmp_path / "empty", "export")
    assert nothing.returncode == 2 and "no events" in nothing.stderr


def test_corrupt_database_fails_with_the_file_named(tmp_path: Path) -> None:
    (tmp_path / "events.sqlite3").write_bytes(b"garbage" * 1000)
    result = cli(tmp_path, "listen")
    assert result.returncode == 1
    assert "events.sqlite3" in result.stderr and "Traceback" not in result.stderr
    assert (tmp_path / "events.sqlite3").read_bytes() == b"garbage" * 1000


def test_port_in_use_is_a_clear_error(tmp_path: Path) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = cli(tmp_path, "listen", "--port", str(port))
    assert result.returncode == 2
    assert "choose another port" in result.stderr
