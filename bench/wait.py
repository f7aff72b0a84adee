"""`b24monitor wait` latency: from a delivery's acknowledgement (it is committed by then) to the
line `wait` prints, next to the same event's `listen --json` line as the baseline, same run.

Deliveries are spaced out (one at a time), as a CI script would meet them; figures, not pass/fail.

    python3 bench/wait.py [--n 40] [--gap 0.3]
"""

from __future__ import annotations

import argparse
import json
import queue
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from conftest import delivery  # the same PHP-shaped bodies the tests use

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def reader(proc: subprocess.Popen[str]) -> queue.Queue[tuple[float, dict[str, object]]]:
    """Timestamps each JSON line of `proc` as it arrives."""
    lines: queue.Queue[tuple[float, dict[str, object]]] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put((time.perf_counter(), json.loads(line)))

    threading.Thread(target=pump, daemon=True).start()
    return lines


def percentiles(values: list[float]) -> str:
    values = sorted(values)
    p95 = values[min(len(values) - 1, int(len(values) * 0.95))]
    return f"p50 {statistics.median(values) * 1000:6.1f} ms  p95 {p95 * 1000:6.1f} ms  " \
           f"max {values[-1] * 1000:6.1f} ms"  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=40)
    parser.add_argument("--gap", type=float, default=0.3)
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="b24monitor-bench-wait-"))
    base = [sys.executable, "-m", "b24monitor", "--data-dir", str(data)]
    listen = subprocess.Popen([*base, "listen", "--json"], stdout=subprocess.PIPE, text=True,
                              stderr=subprocess.DEVNULL)  # fmt: skip
    listened = reader(listen)
    url = str(listened.get(timeout=30)[1]["handler_url"])
    waiter = subprocess.Popen([*base, "wait", "--count", str(args.n + 1), "--since", "1",
                               "--timeout", "600"], stdout=subprocess.PIPE, text=True)  # fmt: skip
    waited = reader(waiter)
    by_listen, by_wait = [], []
    rng = random.Random(1)
    with httpx.Client() as client:
        # A first delivery only warms up: `wait` needs a second to start.
        client.post(url, content=delivery(), headers=FORM)
        listened.get(timeout=30), waited.get(timeout=30)
        for i in range(args.n):
            client.post(url, content=delivery(data={"FIELDS": {"ID": str(i)}}), headers=FORM)
            acked = time.perf_counter()
            by_listen.append(listened.get(timeout=30)[0] - acked)
            by_wait.append(waited.get(timeout=30)[0] - acked)
            time.sleep(args.gap * rng.uniform(0.5, 1.5))  # no phase lock with the 50 ms poll
    listen.terminate()
    waiter.wait(timeout=30)
    listen.wait(timeout=30)
    print(f"{args.n} deliveries, one every {args.gap} s; time from the 200 to the printed line")
    print(f"listen --json (baseline, in-process)  {percentiles(by_listen)}")
    print(f"wait (other process, polls 50 ms)     {percentiles(by_wait)}")
    ratio = statistics.median(by_wait) / max(statistics.median(by_listen), 1e-6)
    print(f"median ratio wait/listen: {ratio:.1f}")


if __name__ == "__main__":
    main()
