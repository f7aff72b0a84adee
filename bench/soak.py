"""Soak benchmark: 200 deliveries/s for 10 minutes through one engine; memory, stalls, bytes.

The engine is either the window (`b24monitor` offscreen, which today holds the capture thread
in its own process: the figures are those of a window attached to its engine) or `b24monitor
listen --json` alone, printing every event. Each in its own process; the load generator is a
third (aiohttp, a new connection per delivery as Bitrix24's queue server sends, realistic bodies
of bench/gui.py with a fresh `ts`). Every interval (a minute) it prints the engine's RSS, the ack
latency the sender saw (p50/p99/max), in the window the longest gap of a 10 ms GUI timer (a
stall), and the store's bytes per event. Then RSS growth after the first interval (target
< 10 %) and the trend of the stalls (least-squares slope per interval). Figures, not pass/fail.

    python3 bench/soak.py [--engine window|listen] [--minutes 10] [--rate 200] [--interval 60]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import queue
import random
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


# -- load generator (its own process) ------------------------------------------------------------


def load(url: str, rate: float, seconds: float, interval: float) -> None:
    """POST at `rate`/s for `seconds`; one JSON line per interval: counts and ack latencies."""
    import asyncio

    import aiohttp

    sys.path.insert(0, str(HERE))
    from gui import KINDS, payload  # the same realistic bodies as the window benchmark

    from b24monitor.core.phpform import build_form

    rng = random.Random(14)
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    state: dict[str, Any] = {"sent": 0, "ok": 0, "failed": 0, "latencies": []}

    def body() -> bytes:
        kind = KINDS[state["sent"] % len(KINDS)]
        entity, user = str(rng.randint(1, 200_000)), str(rng.randint(1, 50))
        return build_form(payload(kind, entity, 0, user, int(time.time()))).encode()

    async def worker(client: aiohttp.ClientSession, started: float) -> None:
        while (elapsed := time.perf_counter() - started) < seconds:
            if state["sent"] >= elapsed * rate:  # ahead of schedule
                await asyncio.sleep(0.001)
                continue
            state["sent"] += 1
            t0 = time.perf_counter()
            try:
                async with client.post(url, data=body(), headers=headers) as r:
                    await r.read()
                    state["ok" if r.status == 200 else "failed"] += 1
                state["latencies"].append(time.perf_counter() - t0)
            except aiohttp.ClientError:
                state["failed"] += 1

    async def report(started: float) -> None:
        for number in range(1, round(seconds / interval) + 1):
            await asyncio.sleep(max(0.0, started + number * interval - time.perf_counter()))
            lat, state["latencies"] = sorted(state["latencies"]), []
            q = statistics.quantiles(lat, n=100) if len(lat) > 1 else [0.0] * 99
            row = {k: state[k] for k in ("sent", "ok", "failed")}
            row |= {"p50_ms": q[49] * 1e3, "p99_ms": q[98] * 1e3,
                    "max_ms": (lat[-1] if lat else 0.0) * 1e3}  # fmt: skip
            print(json.dumps(row), flush=True)

    async def run() -> None:
        connector = aiohttp.TCPConnector(limit=16, force_close=True)
        async with aiohttp.ClientSession(connector=connector) as client:
            started = time.perf_counter()
            await asyncio.gather(report(started), *(worker(client, started) for _ in range(16)))

    asyncio.run(run())


# -- the window as the engine (its own process) --------------------------------------------------


def window(data_dir: Path, seconds: float, interval: float) -> None:
    """The app offscreen on `data_dir`: prints its handler URL, then per interval the gaps of a
    10 ms timer on the GUI thread; quits on its own after `seconds`."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import asyncio

    import qasync
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from b24monitor.gui.app import running_app

    app = QApplication([sys.argv[0]])
    app.setQuitOnLastWindowClosed(False)

    async def main() -> None:
        async with running_app(data_dir) as win:
            ticks: list[float] = []
            timer = QTimer()
            timer.setInterval(10)
            timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
            print(json.dumps({"handler_url": win.session.handler_url}), flush=True)
            timer.start()
            started = time.perf_counter()
            number = 0
            while time.perf_counter() - started < seconds:
                number += 1
                await asyncio.sleep(max(0.0, started + number * interval - time.perf_counter()))
                seen, ticks[:] = list(ticks), ticks[-1:]
                gaps = sorted(b - a for a, b in itertools.pairwise(seen))
                print(json.dumps({"rows": win.model.rowCount(),
                                  "longest_gap_ms": gaps[-1] * 1e3 if gaps else None,
                                  "p99_gap_ms": gaps[int(len(gaps) * 0.99)] * 1e3 if gaps
                                  else None}), flush=True)  # fmt: skip
            timer.stop()

    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
        runner.run(main())


# -- orchestration -------------------------------------------------------------------------------


def start_engine(args: argparse.Namespace, data_dir: Path) -> tuple[subprocess.Popen[str], str]:
    seconds = args.minutes * 60
    if args.engine == "window":
        command = [sys.executable, __file__, "--window", str(data_dir), str(seconds + 5),
                   str(args.interval)]  # fmt: skip
    else:
        command = [sys.executable, "-m", "b24monitor", "--data-dir", str(data_dir), "listen",
                   "--json"]  # fmt: skip
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    hello = json.loads(proc.stdout.readline())
    return proc, str(hello["handler_url"])


def drain(proc: subprocess.Popen[str], engine: str, out: queue.Queue[dict[str, object]]) -> None:
    """The engine's lines: the window's interval figures; listen's printed events, counted."""
    assert proc.stdout is not None
    printed = 0
    for line in proc.stdout:
        if engine == "window":
            out.put(json.loads(line))
        else:
            printed += 1
            if printed % 1000 == 0:
                out.put({"printed": printed})


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def store_figures(data_dir: Path) -> tuple[int, int]:
    """(events stored, bytes of the database files on disk: main file + WAL)."""
    db = data_dir / "events.sqlite3"
    size = sum(p.stat().st_size for p in (db, Path(f"{db}-wal")) if p.exists())
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        count = int(conn.execute("SELECT count(*) FROM events").fetchone()[0])
    finally:
        conn.close()
    return count, size


def slope(values: list[float]) -> float:
    """Least-squares slope per interval (0 for fewer than two points)."""
    if len(values) < 2:
        return 0.0
    xs = range(len(values))
    mx, my = statistics.fmean(xs), statistics.fmean(values)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, values, strict=True)) / den


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--engine", choices=("window", "listen"), default="window")
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--rate", type=float, default=200.0, help="deliveries per second")
    ap.add_argument("--interval", type=float, default=60.0, help="seconds per printed row")
    ap.add_argument("--window", nargs=3, help=argparse.SUPPRESS)
    ap.add_argument("--load", nargs=4, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.load:
        load(args.load[0], *(float(a) for a in args.load[1:]))
        return
    if args.window:
        window(Path(args.window[0]), float(args.window[1]), float(args.window[2]))
        return
    with tempfile.TemporaryDirectory(prefix="b24bench-soak-") as tmp:
        soak(args, Path(tmp))


def soak(args: argparse.Namespace, data_dir: Path) -> None:
    engine, url = start_engine(args, data_dir)
    lines: queue.Queue[dict[str, object]] = queue.Queue()
    threading.Thread(target=drain, args=(engine, args.engine, lines), daemon=True).start()
    seconds = args.minutes * 60
    generator = subprocess.Popen(
        [sys.executable, __file__, "--load", url, str(args.rate), str(seconds),
         str(args.interval)], stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert generator.stdout is not None
    what = (
        "the window (offscreen, capture in its process)"
        if args.engine == "window"
        else ("listen --json alone, printing every event")
    )
    print(f"engine: {what}, pid {engine.pid}; {args.rate:.0f} deliveries/s for {args.minutes:g} "
          f"min, a new connection each; cores: {os.cpu_count()}, load average "
          f"{os.getloadavg()[0]:.1f}")  # fmt: skip
    print(f"{'t (s)':>6} {'acked Σ':>8} {'failed':>6} {'RSS MB':>7} {'ack p50':>8} {'p99':>7} "
          f"{'max ms':>7} {'GUI gap max':>11} {'p99 ms':>7} {'stored':>8} "
          f"{'B/event':>8}")  # fmt: skip
    rows: list[dict[str, float]] = []
    for number, line in enumerate(generator.stdout, start=1):
        sent = json.loads(line)
        gui: dict[str, object] = {}
        while not lines.empty():
            gui |= lines.get_nowait()
        count, size = store_figures(data_dir)
        row = {"t": number * args.interval, "rss": rss_mb(engine.pid), **sent, "count": count,
               "bytes": size / count if count else 0.0,
               "gap": gui.get("longest_gap_ms"), "gap99": gui.get("p99_gap_ms")}  # fmt: skip
        rows.append(row)  # type: ignore[arg-type]
        gap = f"{row['gap']:11.1f} {row['gap99']:7.1f}" if row["gap"] is not None else " " * 19
        print(f"{row['t']:6.0f} {row['ok']:8.0f} {row['failed']:6.0f} {row['rss']:7.1f} "
              f"{row['p50_ms']:8.1f} {row['p99_ms']:7.1f} {row['max_ms']:7.1f} {gap} "
              f"{count:8d} {row['bytes']:8.0f}", flush=True)  # fmt: skip
    generator.wait()
    rss_last = rss_mb(engine.pid)
    if args.engine == "listen":
        engine.send_signal(signal.SIGINT)
    engine.wait(timeout=120)
    summary(args, rows, rss_last, data_dir)


def summary(
    args: argparse.Namespace, rows: list[dict[str, float]], rss_last: float, data_dir: Path
) -> None:
    count, size = store_figures(data_dir)
    body = (
        sqlite3.connect(f"file:{data_dir / 'events.sqlite3'}?mode=ro", uri=True)
        .execute("SELECT avg(length(body)) FROM events")
        .fetchone()[0]
    )
    print(
        f"stored after the engine stopped: {count:,} events, {size / 2**20:,.1f} MB, "
        f"{size / max(count, 1):,.0f} bytes/event (raw body {body or 0:,.0f} bytes/event)"
    )
    if len(rows) < 2:
        return
    first = rows[0]["rss"]
    print(f"RSS after the first interval {first:.1f} MB, at the end {rss_last:.1f} MB: growth "
          f"over the last {len(rows) - 1} intervals {100 * (rss_last - first) / first:+.1f} % "
          f"(target < 10 %)")  # fmt: skip
    later = rows[1:]  # the first interval includes start-up
    for key, label in (("p99_ms", "ack p99"), ("max_ms", "ack max"), ("gap", "GUI gap max"),
                       ("gap99", "GUI gap p99")):  # fmt: skip
        values = [float(r[key]) for r in later if r.get(key) is not None]
        if values:
            half = len(values) // 2
            print(f"trend of {label:12}: slope {slope(values):+6.2f} ms per interval; median "
                  f"{statistics.median(values[:half] or values):6.1f} ms in the first half of "
                  f"the run, {statistics.median(values[half:]):6.1f} ms in the second")  # fmt: skip


if __name__ == "__main__":
    main()
