"""Soak benchmark: 200 deliveries/s for 10 minutes through one engine; memory, stalls, bytes.

--engine window (the default) is the default configuration of the desktop app: the window
(`b24monitor` offscreen, its own process) starts the data dir's capture engine as it does for a
user (`b24monitor listen --engine`, detached) and stays attached to it. --engine in-process is
the window capturing in its own process (before issue 14); --engine listen is `b24monitor
listen --json` alone, printing every event. The load generator is another process: bench/sender.c
(compiled with gcc at the start, as bench/gui.py does; deliveries spread evenly, a new connection
each as Bitrix24's queue server sends, 2,000 realistic bodies of bench/gui.py, `ts` set as each
is sent), or with --sender python the aiohttp sender, which takes CPU the engine then lacks.
At the end the CPU of the window, the engine and the sender during the load.
Every interval (a minute) it prints the RSS of the window and of the engine
separately, the ack latency the sender saw (p50/p99/max), in the window the longest gap of a
10 ms timer on its GUI thread (a stall), the GUI thread's own CPU in that gap, in its busiest
gap and per second in all (CPU time: a machine busy elsewhere does not raise them, so they
show a trend of the window's own work), the engine's CPU per second, and the store's bytes per
event. Then each process's
RSS growth after the first interval (target < 10 %) and the trend of the stalls (least-squares
slope per interval). Figures, not pass/fail.

    python3 bench/soak.py [--engine window|in-process|listen] [--minutes 10] [--rate 200]
                          [--interval 60] [--sender c|python]
"""

from __future__ import annotations

import argparse
import contextlib
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
    import resource

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
        usage = resource.getrusage(resource.RUSAGE_SELF)
        totals = {k: state[k] for k in ("sent", "ok", "failed")}
        print(json.dumps({**totals, "cpu_s": usage.ru_utime + usage.ru_stime,
                          "sender": "python"}), flush=True)  # fmt: skip

    asyncio.run(run())


# -- the window as the engine (its own process) --------------------------------------------------


def window(data_dir: Path, seconds: float, interval: float, own_engine: bool) -> None:
    """The app offscreen on `data_dir`: prints its handler URL and engine pid, then per interval
    the gaps of a 10 ms timer on the GUI thread; quits on its own after `seconds` (stopping the
    engine it started, as the user's "Stop capturing")."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import asyncio

    import qasync
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from b24monitor.gui.app import running_app

    sys.path.insert(0, str(HERE))
    from gui import gap_figures  # the same stall figures as the window benchmark

    app = QApplication([sys.argv[0]])
    app.setQuitOnLastWindowClosed(False)

    async def main() -> None:
        async with running_app(data_dir, own_engine=own_engine) as win:
            ticks: list[tuple[float, float]] = []  # (wall clock, the GUI thread's CPU time)
            timer = QTimer()
            timer.setInterval(10)
            timer.timeout.connect(lambda: ticks.append((time.perf_counter(), time.thread_time())))
            engine = getattr(win.session, "engine_pid", None)  # None: capture in-process
            hello = {"handler_url": win.session.handler_url, "engine_pid": engine}
            print(json.dumps(hello), flush=True)
            timer.start()
            started = time.perf_counter()
            number = 0
            while time.perf_counter() - started < seconds:
                number += 1
                await asyncio.sleep(max(0.0, started + number * interval - time.perf_counter()))
                seen, ticks[:] = list(ticks), ticks[-1:]
                figures = {"rows": win.model.rowCount(), **gap_figures(seen)}
                print(json.dumps(figures), flush=True)
            timer.stop()

    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
        runner.run(main())


def floor(seconds: float, interval: float) -> None:
    """The machine's floor: the same 10 ms timer in a bare Qt process that does nothing else;
    per interval its gap figures (a stall the window shares with it is the machine's)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QCoreApplication, QTimer

    sys.path.insert(0, str(HERE))
    from gui import gap_figures

    app = QCoreApplication(sys.argv[:1])
    ticks: list[tuple[float, float]] = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append((time.perf_counter(), time.thread_time())))

    def report() -> None:
        seen, ticks[:] = list(ticks), ticks[-1:]
        print(json.dumps(gap_figures(seen)), flush=True)

    reporter = QTimer()
    reporter.setInterval(int(interval * 1000))
    reporter.timeout.connect(report)
    timer.start()
    reporter.start()
    QTimer.singleShot(int(seconds * 1000), app.quit)
    app.exec()


# -- orchestration -------------------------------------------------------------------------------


class Processes:
    """The processes under test: the window's (if any) and the engine's, by pid."""

    def __init__(self, proc: subprocess.Popen[str], url: str, window: int | None,
                 engine: int) -> None:  # fmt: skip
        self.proc, self.url, self.window, self.engine = proc, url, window, engine


def start(args: argparse.Namespace, data_dir: Path) -> Processes:
    """The window (which starts or holds its engine) or `listen --json`; once it answers."""
    seconds = args.minutes * 60
    if args.engine in ("window", "in-process"):
        where = "own" if args.engine == "window" else "in-process"
        command = [sys.executable, __file__, "--window", str(data_dir), str(seconds + 5),
                   str(args.interval), where]  # fmt: skip
    else:
        command = [sys.executable, "-m", "b24monitor", "--data-dir", str(data_dir), "listen",
                   "--json"]  # fmt: skip
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    hello = json.loads(proc.stdout.readline())
    if args.engine == "listen":
        return Processes(proc, str(hello["handler_url"]), None, proc.pid)
    engine = hello.get("engine_pid") or proc.pid  # in-process: the window is the engine
    return Processes(proc, str(hello["handler_url"]), proc.pid, int(engine))


def drain(proc: subprocess.Popen[str], engine: str, out: queue.Queue[dict[str, object]]) -> None:
    """The engine's lines: the window's interval figures; listen's printed events, counted."""
    assert proc.stdout is not None
    printed = 0
    for line in proc.stdout:
        if engine != "listen":
            out.put(json.loads(line))
        else:
            printed += 1
            if printed % 1000 == 0:
                out.put({"printed": printed})


def rss_mb(pid: int | None) -> float:
    """Resident memory of process `pid`; NaN without one (or once it ended)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text() if pid is not None else ""
    except OSError:
        return float("nan")
    for line in status.splitlines():
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
    ap.add_argument("--engine", choices=("window", "in-process", "listen"), default="window")
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--rate", type=float, default=200.0, help="deliveries per second")
    ap.add_argument("--interval", type=float, default=60.0, help="seconds per printed row")
    ap.add_argument(
        "--sender",
        choices=("c", "python"),
        default="c",
        help="the load generator: bench/sender.c compiled with gcc (default), or the Python "
        "(aiohttp) sender, whose CPU the engine and the window then lack",
    )
    ap.add_argument("--window", nargs=4, help=argparse.SUPPRESS)
    ap.add_argument("--load", nargs=4, help=argparse.SUPPRESS)
    ap.add_argument("--floor", nargs=2, type=float, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.floor:
        floor(*args.floor)
        return
    if args.load:
        load(args.load[0], *(float(a) for a in args.load[1:]))
        return
    if args.window:
        window(
            Path(args.window[0]),
            float(args.window[1]),
            float(args.window[2]),
            own_engine=args.window[3] == "own",
        )
        return
    with tempfile.TemporaryDirectory(prefix="b24bench-soak-") as tmp:
        soak(args, Path(tmp))


WHAT = {
    "window": "the window attached to the engine it started (listen --engine), each its own "
    "process",
    "in-process": "the window capturing in its own process",
    "listen": "listen --json alone, printing every event",
}


def soak(args: argparse.Namespace, data_dir: Path) -> None:
    under = start(args, data_dir)
    try:
        run(args, data_dir, under)
    finally:
        end_left(under)


def end_left(under: Processes) -> None:
    """What outlived the run (a window that failed leaves its engine behind): ended."""
    for pid in (under.window, under.engine):
        if pid is not None and rss_mb(pid) == rss_mb(pid):  # not NaN: still running
            os.kill(pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        under.proc.wait(timeout=60)
    for _ in range(600):
        if rss_mb(under.engine) != rss_mb(under.engine):
            return
        time.sleep(0.05)


def run(args: argparse.Namespace, data_dir: Path, under: Processes) -> None:
    sys.path.insert(0, str(HERE))
    from gui import build_sender, cpu_s, sender_command

    lines: queue.Queue[dict[str, object]] = queue.Queue()
    threading.Thread(target=drain, args=(under.proc, args.engine, lines), daemon=True).start()
    seconds = args.minutes * 60
    exe = build_sender(data_dir) if args.sender == "c" else None
    if exe is None:
        command = [sys.executable, __file__, "--load", under.url, str(args.rate), str(seconds),
                   str(args.interval)]  # fmt: skip
    else:  # 2,000 different bodies: a soak's entities repeat less
        command = sender_command(exe, under.url, args.rate, seconds, "new", args.interval, 2000)
    cpu = {"window": cpu_s(under.window), "engine": cpu_s(under.engine)}
    generator = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert generator.stdout is not None
    floor_proc = subprocess.Popen([sys.executable, __file__, "--floor", str(seconds + 30),
                             str(args.interval)], stdout=subprocess.PIPE, text=True)  # fmt: skip
    floors: queue.Queue[dict[str, object]] = queue.Queue()
    threading.Thread(target=drain, args=(floor_proc, "floor", floors), daemon=True).start()
    print(f"{WHAT[args.engine]}: window pid {under.window}, engine pid {under.engine}; "
          f"{args.rate:.0f} deliveries/s for {args.minutes:g} min, a new connection each; "
          f"cores: {os.cpu_count()}, load average {os.getloadavg()[0]:.2f}")  # fmt: skip
    print(f"{'t (s)':>6} {'acked Σ':>8} {'failed':>6} {'win MB':>7} {'eng MB':>7} {'ack p50':>8} "
          f"{'p99':>7} {'max ms':>7} {'GUI gap max':>11} {'its CPU':>7} {'p99 ms':>7} "
          f"{'busiest':>7} {'GUI ms/s':>8} {'floor':>6} {'eng ms/s':>8} {'stored':>8} "
          f"{'B/event':>8} {'load':>5}")  # fmt: skip
    rows: list[dict[str, float]] = []
    final: dict[str, Any] = {}
    engine_cpu = cpu["engine"]  # the engine's CPU per interval: does its work per event grow?
    for number, line in enumerate(generator.stdout, start=1):
        sent = json.loads(line)
        if "cpu_s" in sent:  # the sender's last line: its totals
            final = sent
            break
        gui: dict[str, object] = {}
        while not lines.empty():
            gui |= lines.get_nowait()
        bare_gaps: dict[str, object] = {}
        while not floors.empty():
            bare_gaps |= floors.get_nowait()
        count, size = store_figures(data_dir)
        engine_cpu, engine_was = cpu_s(under.engine), engine_cpu
        row = {"t": number * args.interval, "rss": rss_mb(under.window),
               "floor": bare_gaps.get("longest_gap_ms"), "engine_rss": rss_mb(under.engine),
               **sent, "count": count,
               "bytes": size / count if count else 0.0, "load": os.getloadavg()[0],
               "gap": gui.get("longest_gap_ms"), "gap_cpu": gui.get("longest_gap_cpu_ms"),
               "gap99": gui.get("p99_gap_ms"), "busiest": gui.get("busiest_gap_cpu_ms"),
               "gui_cpu": gui.get("cpu_ms_per_s"),
               "engine_cpu": (engine_cpu - engine_was) / args.interval * 1000}  # fmt: skip
        rows.append(row)  # type: ignore[arg-type]
        gap = (f"{row['gap']:11.1f} {row['gap_cpu']:7.1f} {row['gap99']:7.1f} "
               f"{row['busiest']:7.1f} {row['gui_cpu']:8.1f}"
               if row["gap"] is not None else " " * 44)  # fmt: skip
        bare = f"{row['floor']:6.1f}" if row["floor"] is not None else " " * 6
        print(f"{row['t']:6.0f} {row['ok']:8.0f} {row['failed']:6.0f} {row['rss']:7.1f} "
              f"{row['engine_rss']:7.1f} {row['p50_ms']:8.1f} {row['p99_ms']:7.1f} "
              f"{row['max_ms']:7.1f} {gap} {bare} {row['engine_cpu']:8.0f} {count:8d} "
              f"{row['bytes']:8.0f} "
              f"{row['load']:5.2f}", flush=True)  # fmt: skip
    generator.wait()
    last = {"rss": rss_mb(under.window), "engine_rss": rss_mb(under.engine)}
    print(f"CPU during the load (s): window {cpu_s(under.window) - cpu['window']:.1f}, engine "
          f"{cpu_s(under.engine) - cpu['engine']:.1f}, sender {final.get('cpu_s', 0):.1f} "
          f"({final.get('sender', '?')}); sender totals: {final.get('sent', 0)} sent, "
          f"{final.get('ok', 0)} acked, {final.get('failed', 0)} failed"
          + (f", ack latency p50 {final['p50_ms']:.1f} ms, p99 {final['p99_ms']:.1f} ms"
             if "p50_ms" in final else ""))  # fmt: skip
    if args.engine == "listen":
        under.proc.send_signal(signal.SIGINT)
    under.proc.wait(timeout=120)  # the window stops the engine it started before it exits
    floor_proc.kill()
    floor_proc.wait()
    summary(args, rows, last, data_dir)


def summary(
    args: argparse.Namespace, rows: list[dict[str, float]], last: dict[str, float], data_dir: Path
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
    for key, who in (("rss", "window"), ("engine_rss", "engine")):
        first = rows[0][key]
        if first != first:  # NaN: no such process (listen alone has no window)
            continue
        print(f"{who} RSS after the first interval {first:.1f} MB, at the end {last[key]:.1f} "
              f"MB: growth over the last {len(rows) - 1} intervals "
              f"{100 * (last[key] - first) / first:+.1f} % (target < 10 %)")  # fmt: skip
    later = rows[1:]  # the first interval includes start-up
    for key, label in (("p99_ms", "ack p99"), ("max_ms", "ack max"), ("gap", "GUI gap max"),
                       ("gap_cpu", "its GUI CPU"), ("gap99", "GUI gap p99"),
                       ("busiest", "busiest gap CPU"), ("gui_cpu", "GUI CPU ms/s"),
                       ("floor", "bare Qt gap"), ("engine_cpu", "engine CPU ms/s")):  # fmt: skip
        values = [float(r[key]) for r in later if r.get(key) is not None]
        if values:
            half = len(values) // 2
            print(f"trend of {label:15}: slope {slope(values):+6.2f} ms per interval; median "
                  f"{statistics.median(values[:half] or values):6.1f} ms in the first half of "
                  f"the run, {statistics.median(values[half:]):6.1f} ms in the second")  # fmt: skip


if __name__ == "__main__":
    main()
