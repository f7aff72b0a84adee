"""Desktop app benchmark: a million stored events, then 1,000 events/s over real HTTP.

Prints figures, not pass/fail. Targets (issue 14): usable <= 1.5 s, longest GUI stall <= 16 ms
(one frame), RSS of the window's process <= 300 MB, the engine's RSS printed separately; from the
issue "Desktop app": event/entity filter < 300 ms, full text < 1 s, <= 10 table updates/s.

    python bench/gui.py [--events 1000000] [--rate 1000] [--seconds 10] [--data-dir DIR]
                        [--sender c|python] [--connection new|keep-alive]
                        [--in-process] [--compare-with CHECKOUT] [--rounds N]

What is measured is the default configuration: the window (offscreen, its own process) starts
the data dir's capture engine as it does for a user (`b24monitor listen --engine`, detached) and
attaches to it; the deliveries go to the engine's receiver, the window hears the committed ids
over the control channel and reads its rows from SQLite. The load generator is a third process:
bench/sender.c, compiled with gcc at the start (one thread, epoll; deliveries spread evenly, each
answer checked for 200), or with --sender python the aiohttp sender, which on these 2 cores takes
CPU the window and its engine then lack. By default each delivery opens a new connection, as
Bitrix24's queue server sends; --connection keep-alive reuses a pool. The sender's own CPU is
printed beside the window's and the engine's. Stalls are the gaps of a 10 ms timer on the
window's GUI thread.
--in-process measures the old configuration instead: capture inside the window's process.

The database is generated once per schema version (executemany straight through sqlite3 on the
schema of services/schema.py) and each run opens a fresh copy of it.

--compare-with CHECKOUT measures another checkout (e.g. `git worktree add /tmp/before REV`) in
the same run: the two builds alternate (before, current, current, before, …) for --rounds each,
and the medians, their spread and the current/before ratios are printed. This file drives both;
each build's own code is imported through PYTHONPATH.
"""

from __future__ import annotations

import time

STARTED = time.perf_counter()  # before Qt is imported: "usable" includes the imports
STARTED_WALL = time.time()

import argparse  # noqa: E402
import hashlib  # noqa: E402
import itertools  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import shutil  # noqa: E402
import sqlite3  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

HERE = Path(__file__).resolve().parent
MEMBERS = (
    "0c4f5e9a8b7d6c5e4f3a2b1c0d9e8f7a",
    "5b2e9c1d3f4a6b7c8d9e0f1a2b3c4d5e",
    "a1b2c3d4e5f60718293a4b5c6d7e8f90",
)
DOMAINS = ("acme.bitrix24.com", "shop.bitrix24.ru", "dev-portal.bitrix24.de")
TOKEN = "9e7d1c2b3a4f5e6d7c8b9a0f1e2d3c4b"
SENTINEL_TS = 1111111111
# event code, share, entity path in data, extra data
KINDS = (
    ("ONCRMDEALUPDATE", 30, "FIELDS", {}),
    ("ONCRMDEALADD", 10, "FIELDS", {}),
    ("ONCRMCONTACTUPDATE", 15, "FIELDS", {}),
    ("ONCRMLEADADD", 10, "FIELDS", {}),
    ("ONTASKUPDATE", 15, "FIELDS_AFTER", {"IS_ACCESSIBLE": "Y"}),
    ("ONTASKADD", 5, "FIELDS_AFTER", {}),
    ("ONCRMACTIVITYADD", 10, "FIELDS", {}),
    ("ONIMBOTMESSAGEADD", 5, "PARAMS", {"MESSAGE": "Привет, проверьте сделку по счёту",
                                        "DIALOG_ID": "chat42"}),
)  # fmt: skip


def payload(kind: tuple[str, int, str, dict[str, str]], entity: str, member: int, user: str | None,
            ts: int) -> dict[str, object]:  # fmt: skip
    code, _, path, extra = kind
    auth: dict[str, str] = {
        "domain": DOMAINS[member], "client_endpoint": f"https://{DOMAINS[member]}/rest/",
        "server_endpoint": "https://oauth.bitrix.info/rest/", "member_id": MEMBERS[member],
        "application_token": TOKEN,
    }  # fmt: skip
    if user is not None:
        auth = {"access_token": "7d1b3a6a006d8c5f0071e2a4" + "0" * 40, "expires": str(ts + 3600),
                "expires_in": "3600", "scope": "crm,task,user,imbot", **auth, "status": "L",
                "user_id": user}  # fmt: skip
    data = {path: {"ID": entity, **extra}}
    return {"event": code, "event_handler_id": "412", "data": data, "ts": str(ts), "auth": auth}


def generate(db_path: Path, count: int) -> float:
    """Fill a new database with `count` realistic events; returns the seconds it took."""
    from b24monitor.core.phpform import build_form
    from b24monitor.services.store import connect, index_fulltext

    started = time.perf_counter()
    conn = connect(db_path)
    weights = [k[1] for k in KINDS]
    rng = random.Random(7)
    base = time.time() - count * 0.05
    headers = json.dumps([["Host", "127.0.0.1:8765"], ["User-Agent", "Bitrix24 Webhook Engine"],
                          ["Content-Type", "application/x-www-form-urlencoded"]])  # fmt: skip
    insert = (
        "INSERT INTO events(received_at, event, member_id, domain, entity_id, user_id, handler_id,"
        " ts, verified, status, http_status, method, path, peer, size, content_type, headers,"
        " body, data) VALUES (?,?,?,?,?,?,?,?,?,'ok',200,'POST','/b24/bench/events','127.0.0.1',"
        "?,'application/x-www-form-urlencoded',?,?,?)"
    )

    templates: dict[tuple[int, int, bool], tuple[str, str]] = {}

    def template(kind: int, member: int, robot: bool) -> tuple[str, str]:
        # Built once with sentinels, then filled by replace(): build_form costs ~70 µs a body.
        key = (kind, member, robot)
        if key not in templates:
            data = payload(KINDS[kind], "QQE", member, None if robot else "QQU", SENTINEL_TS)
            templates[key] = (build_form(data), json.dumps(data, ensure_ascii=False))
        return templates[key]

    def fill(text: str, entity: str, user: str, ts: int) -> str:
        text = text.replace("QQE", entity).replace("QQU", user)
        return text.replace(str(SENTINEL_TS + 3600), str(ts + 3600)).replace(
            str(SENTINEL_TS), str(ts)
        )

    def rows(start: int, stop: int):  # type: ignore[no-untyped-def]
        kinds = rng.choices(range(len(KINDS)), weights, k=stop - start)
        for number, kind in zip(range(start, stop), kinds, strict=True):
            member = number % 3
            robot = rng.random() < 0.1
            user = "" if robot else str(rng.randint(1, 50))
            received = base + number * 0.05
            ts = int(received - rng.random() * 3)
            entity = str(rng.randint(1, 200_000))
            form, data = template(kind, member, robot)
            body = fill(form, entity, user, ts).encode()
            verified = 1 if member == 0 else None
            yield (received, KINDS[kind][0], MEMBERS[member], DOMAINS[member], entity,
                   user or None, "412", ts, verified, len(body), headers, body,
                   fill(data, entity, user, ts))  # fmt: skip

    for start in range(0, count, 50_000):
        conn.execute("BEGIN")
        conn.executemany(insert, rows(start, min(count, start + 50_000)))
        conn.execute("COMMIT")
    index_fulltext(conn)  # as the writer does after its commits, here once for all rows
    store_token(conn)
    check_all(conn)
    conn.close()
    return time.perf_counter() - started


def check_all(conn: sqlite3.Connection) -> None:
    """Record every event's findings, as the writer does after each commit (from issue 12 on).

    Otherwise the writer would catch up on the whole database at each start of the window,
    which a user meets once (the first start after the upgrade), not every time.
    """
    try:
        from b24monitor.services.findings import FindingsRecorder
    except ImportError:  # a build from before findings
        return
    FindingsRecorder().catch_up(conn)


def store_token(conn: sqlite3.Connection) -> None:
    """Member 0's token, as the schema of the build being measured keeps it."""
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    if "sender_tokens" in tables:  # one token per sender (issue 10), events name their sender
        conn.execute(
            "INSERT INTO sender_tokens(member_id, application_token, label, domain, source,"
            " learned_at) VALUES (?, ?, 'entered by you', ?, 'user', 0)",
            (MEMBERS[0], TOKEN, DOMAINS[0]),
        )
        conn.execute("UPDATE events SET sender = 'entered by you' WHERE verified = 1")
    else:  # before issue 10: one token per portal
        conn.execute(
            "INSERT INTO app_tokens VALUES (?, ?, ?, 'user', ?)", (MEMBERS[0], TOKEN, DOMAINS[0], 0)
        )


# -- load generator (its own process) ------------------------------------------------------------

SENDERS = ("c", "python")
CONNECTIONS = ("new", "keep-alive")


def delivery_bodies(count: int = 200, ts: int | None = None) -> list[bytes]:
    """The live load's form bodies: PHP-shaped as Bitrix24 sends them, new entities, `ts` now
    (bench/sender.c sets a `ts` of SENTINEL_TS to the second each request starts)."""
    from b24monitor.core.phpform import build_form

    ts = int(time.time()) if ts is None else ts
    return [
        build_form(payload(KINDS[i % len(KINDS)], str(500_000 + i), 0, str(i % 50 + 1),
                           ts)).encode()
        for i in range(count)
    ]  # fmt: skip


def build_sender(work: Path) -> Path | None:
    """Compile bench/sender.c into `work`; None (and one sentence why) without gcc."""
    if shutil.which("gcc") is None:
        print("gcc is not installed, so the load generator is the Python sender, which takes "
              "CPU the app lacks on a small machine (Debian: apt-get install gcc).",
              file=sys.stderr)  # fmt: skip
        return None
    exe = work / "sender"
    subprocess.run(["gcc", "-O2", "-o", str(exe), str(HERE / "sender.c")], check=True)
    return exe


def write_requests(path: Path, url: str, bodies: list[bytes], connection: str) -> None:
    """The whole HTTP requests for bench/sender.c: records "<length>\n<bytes>"."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    header = "close" if connection == "new" else "keep-alive"
    with path.open("wb") as out:
        for body in bodies:
            request = (
                f"POST {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
                f"User-Agent: Bitrix24 Webhook Engine\r\n"
                f"Content-Type: application/x-www-form-urlencoded\r\n"
                f"Content-Length: {len(body)}\r\nConnection: {header}\r\n\r\n"
            ).encode() + body
            out.write(b"%d\n" % len(request) + request)


def sender_command(exe: Path | None, url: str, rate: float, seconds: float, connection: str,
                   interval: float = 0, count: int = 200) -> list[str]:  # fmt: skip
    """The load generator's command line: the C sender if built, else this file's Python one."""
    if exe is None:
        return [sys.executable, __file__, "--load", url, str(rate), str(seconds), connection]
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    requests = exe.with_name("requests")
    write_requests(requests, url, delivery_bodies(count, SENTINEL_TS), connection)
    return [str(exe), parts.hostname or "127.0.0.1", str(parts.port or 80), str(rate),
            str(seconds), connection, str(interval), str(requests)]  # fmt: skip


def load(url: str, rate: float, seconds: float, connection: str) -> None:
    """The Python sender (aiohttp): POST deliveries at `rate` per second for `seconds`; print
    how many got a 200, the latencies and its own CPU. Kept to compare with bench/sender.c.

    aiohttp's client (as bench/receiver.py): httpx costs several times more CPU a request.
    """
    import asyncio
    import resource

    import aiohttp

    bodies = delivery_bodies()
    counts = {"sent": 0, "ok": 0, "failed": 0}
    latencies: list[float] = []
    headers = {"Content-Type": "application/x-www-form-urlencoded"}

    async def worker(client: aiohttp.ClientSession, started: float) -> None:
        while (elapsed := time.perf_counter() - started) < seconds:
            if counts["sent"] >= elapsed * rate:  # ahead of schedule
                await asyncio.sleep(0.002)
                continue
            number = counts["sent"]
            counts["sent"] += 1
            t0 = time.perf_counter()
            try:
                async with client.post(url, data=bodies[number % 200], headers=headers) as r:
                    await r.read()
                    counts["ok" if r.status == 200 else "failed"] += 1
                latencies.append(time.perf_counter() - t0)
            except aiohttp.ClientError:
                counts["failed"] += 1

    async def run() -> None:
        connector = aiohttp.TCPConnector(limit=32, force_close=connection == "new")
        async with aiohttp.ClientSession(connector=connector) as client:
            started = time.perf_counter()
            await asyncio.gather(*(worker(client, started) for _ in range(32)))
            took = time.perf_counter() - started
        usage = resource.getrusage(resource.RUSAGE_SELF)
        lat = sorted(latencies) or [0.0]
        print(json.dumps({**counts, "seconds": took, "p50_ms": lat[len(lat) // 2] * 1e3,
                          "p99_ms": lat[int(len(lat) * 0.99)] * 1e3, "max_ms": lat[-1] * 1e3,
                          "cpu_s": usage.ru_utime + usage.ru_stime, "sender": "python",
                          "connection": connection}), flush=True)  # fmt: skip

    asyncio.run(run())


# -- the window (its own process) ----------------------------------------------------------------


def measure(data_dir: Path, args: argparse.Namespace) -> dict[str, object]:
    """Open the app on `data_dir`, time start-up and filters, then put it under live load."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import asyncio

    import qasync
    from PySide6.QtWidgets import QApplication

    from b24monitor.gui.app import running_app

    app = QApplication([sys.argv[0]])
    app.setQuitOnLastWindowClosed(False)
    results: dict[str, object] = {}

    async def main() -> None:
        async with running_app(data_dir, own_engine=not args.in_process) as window:
            while window.model.rowCount() == 0:  # noqa: ASYNC110
                await asyncio.sleep(0.002)
            window.grab()  # the first screen of rows is painted (pages read, cells formatted)
            results["usable_s"] = time.perf_counter() - STARTED
            # CPU seconds of all the app's threads: what a loaded machine distorts least
            results["usable_cpu_s"] = time.process_time()
            engine = getattr(window.session, "engine_pid", None)  # None: capture in-process
            results["engine_pid"] = engine
            if engine is not None:  # where the engine's start sits in "usable"
                results["engine_spawned_s"] = process_started(engine) - STARTED_WALL
                locked = window.session.engine.get("started")  # it took the data dir's lock
                results["engine_locked_s"] = float(locked) - STARTED_WALL if locked else None
            while window.events.filtering:  # noqa: ASYNC110
                await asyncio.sleep(0.002)
            results["full_list_s"] = time.perf_counter() - STARTED
            results["rows"] = window.model.rowCount()
            results["rss_after_start_mb"] = rss_mb()
            results["engine_rss_after_start_mb"] = rss_mb(engine)
            await time_filters(window, results)
            results["rss_after_filters_mb"] = rss_mb()
            engine_cpu = cpu_s(engine)
            await live_load(window, args, results)
            results["rss_peak_mb"] = peak_rss_mb()
            results["engine_cpu_s"] = cpu_s(engine) - engine_cpu
            results["engine_rss_after_load_mb"] = rss_mb(engine)
            # The same load with the list paused: what the rest of the window (the news, the
            # status bar) and, in-process, the capture thread cost the GUI thread.
            window.events.set_paused(True)
            baseline: dict[str, object] = {}
            await live_load(window, args, baseline)
            results["paused"] = baseline
            results["engine_rss_peak_mb"] = rss_mb(engine, "VmHWM:")

    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
        runner.run(main())
    return results


async def time_filters(window, results: dict[str, object]) -> None:  # type: ignore[no-untyped-def]
    from b24monitor.core.filters import parse

    filters = (
        ("filter_event", "event:ONCRMDEALUPDATE"),
        ("filter_entity", "id:3187"),
        ("filter_event_prefix", "event:ONCRMDEAL*"),
        ("filter_full_text", "text:привет"),
        ("filter_full_text_rare", "text:chat42 user:7"),
        ("filter_none", ""),
    )
    for name, expression in filters:
        started, cpu = time.perf_counter(), time.process_time()
        await window.events.apply_filter(parse(expression))
        window.grab()
        results[name + "_s"] = time.perf_counter() - started
        results[name + "_cpu_s"] = time.process_time() - cpu
        results[name + "_rows"] = window.model.rowCount()


async def live_load(window, args: argparse.Namespace, results: dict[str, object]) -> None:  # type: ignore[no-untyped-def]
    import asyncio

    from PySide6.QtCore import QTimer

    ticks: list[tuple[float, float]] = []  # (wall clock, the GUI thread's own CPU time)
    updates: list[float] = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append((time.perf_counter(), time.thread_time())))
    window.model.rowsInserted.connect(lambda *_: updates.append(time.perf_counter()))
    rows_before = window.model.rowCount()
    seconds = args.seconds
    exe = None if args.sender_exe in (None, "python") else Path(args.sender_exe)
    command = sender_command(exe, window.session.handler_url, args.rate, seconds, args.connection)
    # Started before the timer: forking this process blocks its GUI thread for ~0.1 s, a cost
    # of the benchmark, not of the app.
    generator = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)  # noqa: ASYNC220
    floor = subprocess.Popen(  # noqa: ASYNC220
        [sys.executable, __file__, "--bare-timer", str(seconds)], stdout=subprocess.PIPE, text=True
    )
    timer.start()
    started, cpu = time.perf_counter(), time.process_time()
    while generator.poll() is None:  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.5)  # the last batch reaches the view
    timer.stop()
    elapsed = time.perf_counter() - started
    results["cpu_s"] = time.process_time() - cpu
    out = generator.stdout.read() if generator.stdout else ""
    results["load"] = json.loads(out.strip().splitlines()[-1]) if out.strip() else {}
    out = floor.communicate()[0]
    results["floor"] = json.loads(out.strip().splitlines()[-1]) if out.strip() else {}
    results["timer_ticks"] = len(ticks)
    results |= gap_figures(ticks)
    per_second: dict[int, int] = {}
    for moment in updates:
        per_second[int(moment - started)] = per_second.get(int(moment - started), 0) + 1
    results["table_updates"] = len(updates)
    results["table_updates_per_s_avg"] = len(updates) / elapsed
    results["table_updates_per_s_max"] = max(per_second.values(), default=0)
    results["rows_added_live"] = window.model.rowCount() - rows_before


def bare_timer(seconds: float) -> None:
    """The machine's floor: the same 10 ms timer in a bare Qt process that does nothing else,
    during the same load; prints its gap figures. A stall longer than the window's own work
    (its GUI thread's CPU in the gap) that this process sees too is the machine's, not the app's.
    """
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QCoreApplication, QTimer

    app = QCoreApplication([sys.argv[0]])
    ticks: list[tuple[float, float]] = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append((time.perf_counter(), time.thread_time())))
    timer.start()
    QTimer.singleShot(int(seconds * 1000), app.quit)
    app.exec()
    print(json.dumps(gap_figures(ticks)), flush=True)


def gap_figures(ticks: list[tuple[float, float]]) -> dict[str, float | None]:
    """The longest and p99 gap between timer ticks (a stall), and the GUI thread's own CPU in
    them: a gap far longer than its CPU was spent waiting (for a core, or the GIL)."""
    gaps = sorted((b[0] - a[0], b[1] - a[1]) for a, b in itertools.pairwise(ticks))
    if not gaps:
        return {"longest_gap_ms": None, "p99_gap_ms": None}
    return {
        "longest_gap_ms": gaps[-1][0] * 1000,
        "longest_gap_cpu_ms": gaps[-1][1] * 1000,
        "p99_gap_ms": gaps[int(len(gaps) * 0.99)][0] * 1000,
        "busiest_gap_cpu_ms": max(cpu for _, cpu in gaps) * 1000,
        # All the GUI thread's own work, per second: a stall trend that is the window's own
        # shows here, a busy machine's does not (CPU time, not wall time).
        "cpu_ms_per_s": (ticks[-1][1] - ticks[0][1]) / (ticks[-1][0] - ticks[0][0]) * 1000,
    }


def rss_mb(pid: int | str | None = "self", key: str = "VmRSS:") -> float | None:
    """A process's resident memory (or its peak with key "VmHWM:"); None without a process."""
    if pid is None:
        return None
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(key):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def process_started(pid: int) -> float:
    """The wall-clock time process `pid` started (to the kernel's 10 ms tick)."""
    start_ticks = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
    uptime = float(Path("/proc/uptime").read_text().split()[0])
    return time.time() - uptime + start_ticks / os.sysconf("SC_CLK_TCK")


def cpu_s(pid: int | None) -> float:
    """User + system CPU seconds of process `pid` so far (0 without one)."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- orchestration -------------------------------------------------------------------------------

CURRENT = HERE.parent  # the checkout this file belongs to


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--rate", type=float, default=1000)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="capture inside the window's process (the configuration before issue 14)",
    )
    parser.add_argument(
        "--compare-with",
        type=Path,
        metavar="CHECKOUT",
        help="another checkout of b24monitor (e.g. a git worktree of an older "
        "commit): both are measured alternately, medians and ratios printed",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=None,
        help="runs per build (default 1, or 5 with --compare-with)",
    )
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    parser.add_argument(
        "--sender",
        choices=SENDERS,
        default="c",
        help="the load generator: bench/sender.c compiled with gcc (default), or the Python "
        "(aiohttp) sender, which takes a good part of a core at 1,000/s",
    )
    parser.add_argument(
        "--connection",
        choices=CONNECTIONS,
        default="new",
        help="a new connection per delivery (default: as Bitrix24's queue server sends, so the "
        "engine's accept cost is in the figures) or keep-alive connections",
    )
    parser.add_argument("--sender-exe", help=argparse.SUPPRESS)
    parser.add_argument("--load", nargs=4, help=argparse.SUPPRESS)
    parser.add_argument("--generate", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--bare-timer", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.load:
        load(args.load[0], float(args.load[1]), float(args.load[2]), args.load[3])
        return 0
    if args.bare_timer:
        bare_timer(args.bare_timer)
        return 0
    if args.measure:
        results = measure(args.measure, args)
        print(json.dumps(results), flush=True)
        return 0
    if args.generate:
        seconds = generate(Path(args.generate[0]), int(args.generate[1]))
        print(f"generated {int(args.generate[1]):,} events in {seconds:.1f} s", flush=True)
        return 0
    builds = [("current", CURRENT)]
    if args.compare_with:
        builds.insert(0, ("before", args.compare_with.resolve()))
    rounds = args.rounds or (5 if args.compare_with else 1)
    data_dir = args.data_dir or Path(f"/tmp/b24monitor-bench-{args.events}")
    pristine = {label: prepare(root, data_dir, args.events) for label, root in builds}
    work = Path(tempfile.mkdtemp(prefix="b24monitor-bench-sender-"))
    try:
        exe = build_sender(work) if args.sender == "c" else None
        args.sender_exe = str(exe) if exe else "python"
        return run_builds(builds, pristine, data_dir, rounds, args)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run_builds(builds: list[tuple[str, Path]], pristine: dict[str, Path], data_dir: Path,
               rounds: int, args: argparse.Namespace) -> int:  # fmt: skip
    runs: dict[str, list[dict[str, object]]] = {label: [] for label, _ in builds}
    for number in range(rounds):
        # before, current, current, before, …: a drift of the machine's load hits both alike
        order = builds if number % 2 == 0 else builds[::-1]
        for label, root in order:
            result = measure_in_process(root, pristine[label], data_dir / f"run-{label}", args)
            if result is None:
                return 1
            runs[label].append(result)
            print(f"round {number + 1} {label:<8} " + brief(result), flush=True)
    if len(builds) == 1 and rounds == 1:
        report(runs["current"][0])
    else:
        compare(runs)
    return 0


def build_env(root: Path) -> dict[str, str]:
    """The environment that makes `import b24monitor` load the checkout at `root`, compiled.

    Bytecode is allowed (prepare() compiles each checkout once), as in an installed app: with
    PYTHONDONTWRITEBYTECODE every start-up would compile the whole package again.
    """
    env = {**os.environ, "PYTHONPATH": str(root)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def prepare(root: Path, data_dir: Path, count: int) -> Path:
    """The pristine database for a build: generated once per schema version, then reused."""
    compile_all = [sys.executable, "-m", "compileall", "-q", str(root / "b24monitor"), __file__]
    subprocess.run(compile_all, env=build_env(root), check=True, timeout=600)
    schema = (root / "b24monitor/services/schema.py").read_bytes()
    pristine = data_dir / f"events-{count}-{hashlib.sha256(schema).hexdigest()[:12]}.sqlite3"
    if not pristine.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        partial = pristine.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        command = [sys.executable, __file__, "--generate", str(partial), str(count)]
        subprocess.run(command, env=build_env(root), check=True, timeout=3600)
        partial.rename(pristine)
    return pristine


def measure_in_process(root: Path, pristine: Path, run_dir: Path, args: argparse.Namespace
                       ) -> dict[str, object] | None:  # fmt: skip
    """One run of the window on a fresh copy of `pristine` (a run's live rows never carry over)."""
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir(mode=0o700, parents=True)
    shutil.copyfile(pristine, run_dir / "events.sqlite3")
    # Written out before the clock starts, as a data dir at rest is: else the engine's start
    # (services/store_flush.py) spends ~0.5 s writing 2 GB of the fresh copy's dirty pages.
    with open(run_dir / "events.sqlite3", "rb+") as copy:
        os.fsync(copy.fileno())
    try:
        run = subprocess.run(
            [sys.executable, __file__, "--measure", str(run_dir), "--rate", str(args.rate),
             "--seconds", str(args.seconds), "--connection", args.connection,
             "--sender-exe", args.sender_exe, *(["--in-process"] if args.in_process else [])],
            capture_output=True, text=True, check=False, timeout=900, env=build_env(root),
        )  # fmt: skip
    finally:
        stop_engine_left(run_dir)
        shutil.rmtree(run_dir, ignore_errors=True)
    if run.returncode != 0:
        print(run.stderr, file=sys.stderr)
        return None
    return json.loads(run.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def stop_engine_left(run_dir: Path) -> None:
    """The engine of a window that failed stays behind (it outlives windows): end it."""
    import signal

    try:
        pid = int(json.loads((run_dir / "engine.lock").read_text())["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return
    if pid == os.getpid() or rss_mb(pid) is None:
        return
    os.kill(pid, signal.SIGTERM)
    for _ in range(600):
        if rss_mb(pid) is None:
            return
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)


# figure key in flat(), label; all are "lower is better" but rows added and 200s per second
FIGURES = (
    ("usable_s", "usable after (s, from process start)"),
    ("usable_cpu_s", "  CPU until usable (s, all threads)"),
    ("full_list_s", "all ids in the list after (s)"),
    ("filter_event_s", "filter event (s)"),
    ("filter_event_cpu_s", "  its CPU (s)"),
    ("filter_entity_s", "filter entity (s)"),
    ("filter_entity_cpu_s", "  its CPU (s)"),
    ("filter_event_prefix_s", "filter event prefix (s)"),
    ("filter_event_prefix_cpu_s", "  its CPU (s)"),
    ("filter_full_text_s", "filter full text (s)"),
    ("filter_full_text_cpu_s", "  its CPU (s)"),
    ("filter_full_text_rare_s", "filter full text, rare (s)"),
    ("filter_full_text_rare_cpu_s", "  its CPU (s)"),
    ("filter_none_s", "filter none (s)"),
    ("filter_none_cpu_s", "  its CPU (s)"),
    ("rss_after_start_mb", "RSS after start (MB)"),
    ("rss_after_filters_mb", "RSS after filters (MB)"),
    ("rss_peak_mb", "RSS peak (MB)"),
    ("engine_rss_after_start_mb", "engine RSS after start (MB)"),
    ("engine_rss_peak_mb", "engine RSS peak (MB)"),
    ("ok_per_s", "live: answered 200 per second"),
    ("rows_added_live", "live: rows added to the view"),
    ("longest_gap_ms", "live: longest 10 ms timer gap (ms)"),
    ("longest_gap_cpu_ms", "  GUI thread CPU in it (ms)"),
    ("busiest_gap_cpu_ms", "live: most GUI thread CPU in a gap (ms)"),
    ("p99_gap_ms", "live: p99 timer gap (ms)"),
    ("floor_longest_gap_ms", "live: a bare Qt timer's longest gap (ms)"),
    ("floor_p99_gap_ms", "live: a bare Qt timer's p99 gap (ms)"),
    ("table_updates_per_s_avg", "live: table updates per second"),
    ("cpu_s", "live: window CPU (s)"),
    ("engine_cpu_s", "live: engine CPU (s)"),
    ("sender_cpu_s", "live: sender CPU (s)"),
    ("sender_p50_ms", "live: ack latency p50 (ms)"),
    ("sender_p99_ms", "live: ack latency p99 (ms)"),
    ("cpu_ms_per_row", "live: app CPU per row added (ms)"),
    ("engine_cpu_ms_per_row", "live: engine CPU per row added (ms)"),
    ("paused_longest_gap_ms", "paused: longest timer gap (ms)"),
    ("paused_p99_gap_ms", "paused: p99 timer gap (ms)"),
)


def flat(r: dict[str, object]) -> dict[str, float]:
    """A run's figures as numbers by FIGURES key (the load's and the paused run's flattened)."""
    figures = {key: float(v) for key, v in r.items() if isinstance(v, int | float)}
    load_figures = r.get("load") if isinstance(r.get("load"), dict) else {}
    assert isinstance(load_figures, dict)
    figures["ok_per_s"] = load_figures.get("ok", 0) / (load_figures.get("seconds") or 1)
    for key in ("cpu_s", "p50_ms", "p99_ms"):
        if isinstance(load_figures.get(key), int | float):
            figures["sender_" + key] = float(load_figures[key])
    if figures.get("rows_added_live") and "cpu_s" in figures:
        figures["cpu_ms_per_row"] = figures["cpu_s"] * 1000 / figures["rows_added_live"]
        if figures.get("engine_pid"):
            figures["engine_cpu_ms_per_row"] = (
                figures["engine_cpu_s"] * 1000 / figures["rows_added_live"]
            )
    floor = r.get("floor") if isinstance(r.get("floor"), dict) else {}
    assert isinstance(floor, dict)
    for key in ("longest_gap_ms", "p99_gap_ms"):
        if isinstance(floor.get(key), int | float):
            figures["floor_" + key] = float(floor[key])
    paused = r.get("paused") if isinstance(r.get("paused"), dict) else {}
    assert isinstance(paused, dict)
    for key in ("longest_gap_ms", "p99_gap_ms"):
        if isinstance(paused.get(key), int | float):
            figures["paused_" + key] = float(paused[key])
    return figures


def brief(r: dict[str, object]) -> str:
    f = flat(r)
    return (f"usable {f['usable_s']:.2f} s  full text {f['filter_full_text_s']:.3f} s  "
            f"event {f['filter_event_s']:.3f} s  longest gap {f.get('longest_gap_ms', 0):.0f} ms  "
            f"(GUI CPU {f.get('longest_gap_cpu_ms', 0):.1f}, p99 {f.get('p99_gap_ms', 0):.0f}, "
            f"floor {f.get('floor_longest_gap_ms', 0):.0f})  CPU window {f.get('cpu_s', 0):.2f} "
            f"engine {f.get('engine_cpu_s', 0):.2f} sender {f.get('sender_cpu_s', 0):.2f} s  "
            f"window RSS peak {f['rss_peak_mb']:.0f} MB  "
            f"engine {f.get('engine_rss_peak_mb', 0):.0f} MB")  # fmt: skip


def compare(runs: dict[str, list[dict[str, object]]]) -> None:
    """Medians per build, their spread, and current/before ratios per round and overall."""
    labels = list(runs)
    flats = {label: [flat(r) for r in results] for label, results in runs.items()}
    print(f"\nmedians of {len(flats['current'])} runs each; spread = (max - min) / median")
    header = "".join(f"{label + ' (spread)':>22}" for label in labels)
    ratio_header = "   current/before: median [pairs min-max]" if len(labels) == 2 else ""
    print(f"  {'figure':<38}{header}{ratio_header}")
    for key, label in FIGURES:
        cells, medians = "", {}
        for build in labels:
            values = [f[key] for f in flats[build] if key in f]
            if not values:
                break
            medians[build] = statistics.median(values)
            spread = (max(values) - min(values)) / medians[build] if medians[build] else 0.0
            cells += f"{medians[build]:>13,.3f} ({spread:>4.0%})"
        else:
            print(f"  {label:<38}{cells}{ratio_cell(key, flats)}")


def ratio_cell(key: str, flats: dict[str, list[dict[str, float]]]) -> str:
    if set(flats) != {"before", "current"}:
        return ""
    pairs = [
        now[key] / then[key]
        for now, then in zip(flats["current"], flats["before"], strict=False)
        if then.get(key) and key in now
    ]
    if not pairs:
        return ""
    return f"   {statistics.median(pairs):>6.2f} [{min(pairs):.2f}-{max(pairs):.2f}]"


def report(r: dict[str, object]) -> None:
    def line(label: str, value: object, target: str = "") -> None:
        text = f"{value:,.3f}" if isinstance(value, float) else str(value)
        print(f"  {label:<38} {text:>14}   {target}")

    where = f"engine process pid {r['engine_pid']}" if r.get("engine_pid") else "in-process"
    print(f"capture: {where}; rows in the view at start: {r['rows']:,}; load average "
          f"{os.getloadavg()[0]:.2f}")  # fmt: skip
    line("usable after (s, from process start)", r["usable_s"], "target <= 1.5 s")
    if r.get("engine_pid"):
        line("  the engine's process started at (s)", r.get("engine_spawned_s"))
        line("  it took the data dir's lock at (s)", r.get("engine_locked_s"))
    line("  all ids in the list after (s)", r["full_list_s"])
    line("  CPU until usable (s, all threads)", r["usable_cpu_s"])
    for key in ("event", "entity", "event_prefix", "full_text", "full_text_rare", "none"):
        target = "target < 1 s" if "full_text" in key else "target < 0.3 s"
        line(f"filter {key} (s, {r[f'filter_{key}_rows']:,} rows)", r[f"filter_{key}_s"],
             "" if key in ("none", "event_prefix") else target)  # fmt: skip
    line("window RSS after start (MB)", r["rss_after_start_mb"])
    line("window RSS after filters (MB)", r["rss_after_filters_mb"])
    line("window RSS peak (MB)", r["rss_peak_mb"], "target <= 300 MB")
    if r.get("engine_pid"):
        line("engine RSS after start (MB)", r["engine_rss_after_start_mb"])
        line("engine RSS after the live load (MB)", r["engine_rss_after_load_mb"])
        line("engine RSS peak (MB)", r["engine_rss_peak_mb"])
    load_figures = r["load"] if isinstance(r["load"], dict) else {}
    sent, ok = load_figures.get("sent", 0), load_figures.get("ok", 0)
    took = load_figures.get("seconds", 0) or 1
    print(f"live load ({load_figures.get('sender', '?')} sender, "
          f"{load_figures.get('connection', '?')} connection each): {sent:,} POSTs, "
          f"{ok:,} answered 200, {load_figures.get('failed', 0):,} failed, {ok / took:,.0f}/s "
          f"achieved; ack latency p50 {load_figures.get('p50_ms', 0):.1f} ms, p99 "
          f"{load_figures.get('p99_ms', 0):.1f} ms, max {load_figures.get('max_ms', 0):.1f} ms; "
          f"schedule late by up to {load_figures.get('late_max_ms', 0):.1f} ms")  # fmt: skip
    line("rows added to the view", r["rows_added_live"])
    line("longest 10 ms timer gap (ms)", r["longest_gap_ms"], "target: stall <= 16 ms")
    line("  GUI thread's own CPU in it (ms)", r.get("longest_gap_cpu_ms"))
    line("most GUI thread CPU in one gap (ms)", r.get("busiest_gap_cpu_ms"))
    line("p99 timer gap (ms)", r["p99_gap_ms"])
    floor = r.get("floor") if isinstance(r.get("floor"), dict) else {}
    assert isinstance(floor, dict)
    line("bare Qt timer: longest gap (ms)", floor.get("longest_gap_ms"),
         "the machine's floor: a process doing nothing else")  # fmt: skip
    line("bare Qt timer: p99 gap (ms)", floor.get("p99_gap_ms"))
    line("table updates per second (avg)", r["table_updates_per_s_avg"], "target <= 10")
    line("table updates in the busiest second", r["table_updates_per_s_max"])
    line("window CPU during the load (s)", r["cpu_s"])
    if r.get("engine_pid"):
        line("engine CPU during the load (s)", r["engine_cpu_s"])
    line("sender CPU during the load (s)", load_figures.get("cpu_s"),
         "the load generator's own: the app's share of the cores lacks it")  # fmt: skip
    paused = r.get("paused")
    if isinstance(paused, dict):
        load_paused = paused.get("load") or {}
        print(f"same load, list paused (baseline): {load_paused.get('ok', 0):,} answered 200")
        line("longest 10 ms timer gap (ms)", paused["longest_gap_ms"])
        line("  GUI thread's own CPU in it (ms)", paused.get("longest_gap_cpu_ms"))
        line("most GUI thread CPU in one gap (ms)", paused.get("busiest_gap_cpu_ms"))
        line("p99 timer gap (ms)", paused["p99_gap_ms"])
        floor = paused.get("floor") or {}
        line("bare Qt timer: longest gap (ms)", floor.get("longest_gap_ms"))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
