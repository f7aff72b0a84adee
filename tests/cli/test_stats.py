"""`b24monitor stats` against a fixture database whose figures are worked out by hand."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from b24monitor.services.store import connect

T = float(int(time.time()) - 3600)  # an hour ago: inside --since 2h, outside --since 30m


def add_event(conn, received_at: float, event: str, ts: float | None, verified: int) -> int:
    cursor = conn.execute(
        "INSERT INTO events(received_at, event, ts, verified, status, http_status, method, path, "
        "size, content_type, headers, body) VALUES (?, ?, ?, ?, 'ok', 200, 'POST', '/', 0, "
        "'application/x-www-form-urlencoded', '[]', x'')",
        (received_at, event, ts, verified),
    )
    return int(cursor.lastrowid)


def add_forward(conn, event_id: int, status: int | None, latency_ms: float | None) -> None:
    conn.execute(
        "INSERT INTO attempts(event_id, kind, variant, target, started_at, status, latency_ms, "
        "response_headers, response_body) VALUES (?, 'forward', 'as-recorded', 'http://h', ?, "
        "?, ?, '[]', x'')",
        (event_id, T, status, latency_ms),
    )


def fixture(data_dir: Path) -> None:
    conn = connect(data_dir / "events.sqlite3")
    deals = [add_event(conn, T + i * 6, "ONCRMDEALUPDATE", T + i * 6 - (i + 1), int(i >= 2))
             for i in range(10)]  # delays 1..10 s; two ✖  # fmt: skip
    for at in (100, 110, 120):
        add_event(conn, T + at, "ONTASKADD", None, 1)
    for event_id, status, latency in zip(deals, (200, 200, 200, 500, None),
                                         (100, 200, 300, 400, None), strict=False):  # fmt: skip
        add_forward(conn, event_id, status, latency)
    conn.close()


def stats(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "b24monitor", "--data-dir", str(data_dir), "stats", *args],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_stats_figures_match_the_fixture(tmp_path: Path) -> None:
    fixture(tmp_path)
    out = stats(tmp_path, "--json")
    assert out.returncode == 0, out.stderr
    deal, task = [json.loads(line) for line in out.stdout.splitlines()]
    assert deal == {
        "event": "ONCRMDEALUPDATE", "count": 10, "per_minute": 5.0,  # 10 in the 2 min shown
        "delay_p50": 5.0, "delay_p95": 10.0, "delay_max": 10.0, "rejected_share": 0.2,
        "forwarded": 5, "answer_p50_ms": 200.0, "answer_p95_ms": 400.0, "failure_share": 0.4,
    }  # fmt: skip
    assert task == {
        "event": "ONTASKADD", "count": 3, "per_minute": 1.5, "delay_p50": None,
        "delay_p95": None, "delay_max": None, "rejected_share": 0.0, "forwarded": 0,
        "answer_p50_ms": None, "answer_p95_ms": None, "failure_share": None,
    }  # fmt: skip


def test_stats_filter_since_and_the_table(tmp_path: Path) -> None:
    fixture(tmp_path)
    only_tasks = stats(tmp_path, "--json", "--filter", "event:ONTASK*")
    assert [json.loads(line)["event"] for line in only_tasks.stdout.splitlines()] == ["ONTASKADD"]
    recent = stats(tmp_path, "--json", "--since", "2h")
    deal = json.loads(recent.stdout.splitlines()[0])
    assert deal["count"] == 10 and 0.08 <= deal["per_minute"] <= 0.09  # 10 in 120 minutes
    assert stats(tmp_path, "--since", "30m").stderr.strip() == "no events match"
    table = stats(tmp_path).stdout.splitlines()
    assert table[0].split()[:3] == ["event", "count", "/min"]
    assert table[1].split() == ["ONCRMDEALUPDATE", "10", "5", "5.0", "s", "10", "s", "10", "s",
                                "20%", "200", "ms", "400", "ms", "40%"]  # fmt: skip


def test_stats_without_a_database_says_what_to_do(tmp_path: Path) -> None:
    out = stats(tmp_path / "empty")
    assert out.returncode == 2 and "run `b24monitor listen` first" in out.stderr
