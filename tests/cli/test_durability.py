"""An acknowledged delivery is a stored delivery, even when the process is SIGKILLed right after."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def test_every_acknowledged_delivery_survives_sigkill(
    monitor: Any, tmp_path: Path, make_delivery: Callable[..., bytes]
) -> None:
    m = monitor()
    url = m.next_json()["handler_url"]
    acknowledged: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def sender(worker: int) -> None:
        with httpx.Client(timeout=5) as client:
            for i in range(10_000):
                if stop.is_set():
                    return
                entity = f"{worker}-{i}"
                body = make_delivery(data={"FIELDS": {"ID": entity}})
                try:
                    r = client.post(url, content=body, headers=FORM)
                except httpx.HTTPError:
                    return
                if r.status_code == 200:
                    with lock:
                        acknowledged.append(entity)
                        if len(acknowledged) >= 300:
                            m.proc.kill()  # SIGKILL mid-stream, right after a 200
                            stop.set()

    threads = [threading.Thread(target=sender, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    m.proc.wait(timeout=10)
    assert len(acknowledged) >= 300
    conn = sqlite3.connect(tmp_path / "data" / "events.sqlite3")
    stored = {row[0] for row in conn.execute("SELECT entity_id FROM events")}
    conn.close()
    missing = [e for e in acknowledged if e not in stored]
    assert missing == []
