"""What the findings cost the writer's thread per delivery, against the commit measured alongside.

bench/receiver.py answers "does the receiver keep up", but on a shared 2-core machine its
throughput ratios scatter by ±0.1 between two identical builds in the same run, more than the
findings could cost. This measures the writer's own thread in CPU time (time.thread_time, not
wall time), batch by batch, on a real SQLite store: the commit of a batch (the baseline), the
checks of the batch, and storing their findings either in a transaction per batch (as before) or
in one transaction for several batches (as the writer does now: at the idle step, or
FINDINGS_LAG_S into a burst). A quarter of the deliveries are robots' late changes, so rows are
stored. Figures, not pass/fail.

    python3 bench/findings.py [--rounds 60] [--together 10]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from conftest import delivery  # the same PHP-shaped bodies the tests use

from b24monitor.core.model import Delivery
from b24monitor.services.findings import event_from_insert
from b24monitor.services.store import insert_findings
from b24monitor.services.writer import StoreWriter

FORM = "application/x-www-form-urlencoded"


def deliveries(first: int, n: int) -> list[tuple[Delivery, None]]:
    now = int(time.time())
    items: list[tuple[Delivery, None]] = []
    for i in range(n):
        robot = i % 4 == 0  # no access_token, 45 s late: two findings
        body = delivery(data={"FIELDS": {"ID": str(first + i)}}, user_id=None if robot else "1",
                        ts=now - (45 if robot else 0))  # fmt: skip
        items.append((Delivery(time.time(), "POST", "/b24/x/events", (), body, FORM, "127.0.0.1"),
                      None))  # fmt: skip
    return items


def measure(batch: int, rounds: int, together: int) -> dict[str, float]:
    """Median thread-CPU µs per delivery of each step, for batches of `batch` deliveries."""
    spent: dict[str, list[float]] = {"commit": [], "checks": [], "per batch": [], "deferred": []}
    with tempfile.TemporaryDirectory(prefix="b24bench-findings-") as tmp:
        writer = StoreWriter(Path(tmp) / "events.sqlite3", on_committed=lambda _: None)
        writer._open_sync()  # the writer's thread is this one: each step is timed alone
        conn = writer._conn
        assert conn is not None
        waiting: list[tuple[int, str, str]] = []
        for r in range(rounds):
            t0 = time.thread_time()
            writer._commit_batch(deliveries(r * batch, batch))
            t1 = time.thread_time()
            fresh, writer._fresh = writer._fresh, []
            rows = writer._findings.check([event_from_insert(*each) for each in fresh])
            t2 = time.thread_time()
            if r % 2:  # as before: the batch's own transaction
                insert_findings(conn, rows, checked_upto=fresh[-1][0])
                spent["per batch"].append((time.thread_time() - t2) / batch * 1e6)
            else:  # as now: one transaction for `together` batches
                waiting += rows
                if len(waiting) >= together * len(rows):
                    t3 = time.thread_time()
                    insert_findings(conn, waiting, checked_upto=fresh[-1][0])
                    spent["deferred"].append((time.thread_time() - t3) / (together * batch) * 1e6)
                    waiting = []
            spent["commit"].append((t1 - t0) / batch * 1e6)
            spent["checks"].append((t2 - t1) / batch * 1e6)
        writer._close_sync()
    return {step: statistics.median(values) for step, values in spent.items() if values}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=60, help="batches per batch size")
    ap.add_argument("--together", type=int, default=10, help="batches per deferred transaction")
    args = ap.parse_args()
    print("writer thread, CPU µs per delivery (median); ratios against the commit, same run")
    print(f"{'batch':>5} {'commit':>8} {'checks':>8} {'stored per batch':>17} "
          f"{'stored deferred':>16}")  # fmt: skip
    for batch in (1, 5, 20, 100):
        m = measure(batch, args.rounds * 2, args.together)
        c = m["commit"]
        print(f"{batch:5} {c:8.1f} {m['checks']:8.1f} ({m['checks'] / c:4.0%}) "
              f"{m['per batch']:7.1f} ({m['per batch'] / c:4.0%}) "
              f"{m['deferred']:6.1f} ({m['deferred'] / c:4.0%})")  # fmt: skip


if __name__ == "__main__":
    main()
