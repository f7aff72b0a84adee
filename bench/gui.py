"""Desktop app benchmark: a million stored events, then 1,000 events/s over real HTTP.

Prints figures, not pass/fail. Targets (issue "Desktop app"): usable < 2 s, event/entity filter
< 300 ms, full text < 1 s, RSS < 500 MB, longest GUI stall < 50 ms, <= 10 table updates/s.

    python bench/gui.py [--events 1000000] [--rate 1000] [--seconds 10] [--data-dir DIR]

The database is generated once per data dir (executemany straight through sqlite3 on the schema
of services/schema.py) and reused. The window runs in a fresh process so that start-up and RSS
are the app's own; the load generator is a third process (plain asyncio + httpx).
"""

from __future__ import annotations

import time

STARTED = time.perf_counter()  # before Qt is imported: "usable" includes the imports

import argparse  # noqa: E402
import itertools  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
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
    conn.execute(
        "INSERT INTO app_tokens VALUES (?, ?, ?, 'user', ?)", (MEMBERS[0], TOKEN, DOMAINS[0], 0)
    )
    conn.close()
    return time.perf_counter() - started


# -- load generator (its own process) ------------------------------------------------------------


def load(url: str, rate: float, seconds: float) -> None:
    """POST deliveries at `rate` per second for `seconds`; print how many got a 200.

    aiohttp's client (as bench/receiver.py): httpx costs several times more CPU a request, and
    on two cores the generator would then measure itself.
    """
    import asyncio

    import aiohttp

    from b24monitor.core.phpform import build_form

    bodies = [
        build_form(payload(KINDS[i % len(KINDS)], str(500_000 + i), 0, str(i % 50 + 1),
                           int(time.time()))).encode()
        for i in range(200)
    ]  # fmt: skip
    counts = {"sent": 0, "ok": 0, "failed": 0}
    headers = {"Content-Type": "application/x-www-form-urlencoded"}

    async def worker(client: aiohttp.ClientSession, started: float) -> None:
        while (elapsed := time.perf_counter() - started) < seconds:
            if counts["sent"] >= elapsed * rate:  # ahead of schedule
                await asyncio.sleep(0.002)
                continue
            number = counts["sent"]
            counts["sent"] += 1
            try:
                async with client.post(url, data=bodies[number % 200], headers=headers) as r:
                    await r.read()
                    counts["ok" if r.status == 200 else "failed"] += 1
            except aiohttp.ClientError:
                counts["failed"] += 1

    async def run() -> None:
        connector = aiohttp.TCPConnector(limit=32)
        async with aiohttp.ClientSession(connector=connector) as client:
            started = time.perf_counter()
            await asyncio.gather(*(worker(client, started) for _ in range(32)))
            took = time.perf_counter() - started
        print(json.dumps({**counts, "seconds": took}), flush=True)

    asyncio.run(run())


# -- the window (its own process) ----------------------------------------------------------------


def measure(data_dir: Path, rate: float, seconds: float) -> dict[str, object]:
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
        async with running_app(data_dir) as window:
            while window.model.rowCount() == 0:  # noqa: ASYNC110
                await asyncio.sleep(0.002)
            window.grab()  # the first screen of rows is painted (pages read, cells formatted)
            results["usable_s"] = time.perf_counter() - STARTED
            while window.events.filtering:  # noqa: ASYNC110
                await asyncio.sleep(0.002)
            results["full_list_s"] = time.perf_counter() - STARTED
            results["rows"] = window.model.rowCount()
            results["rss_after_start_mb"] = rss_mb()
            await time_filters(window, results)
            results["rss_after_filters_mb"] = rss_mb()
            await live_load(window, rate, seconds, results)
            results["rss_peak_mb"] = peak_rss_mb()
            # The same load with the list paused: what the capture thread alone costs the GUI
            # thread (one GIL, two cores shared with the load generator).
            window.events.set_paused(True)
            baseline: dict[str, object] = {}
            await live_load(window, rate, seconds, baseline)
            results["paused"] = baseline

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
        started = time.perf_counter()
        await window.events.apply_filter(parse(expression))
        window.grab()
        results[name + "_s"] = time.perf_counter() - started
        results[name + "_rows"] = window.model.rowCount()


async def live_load(window, rate: float, seconds: float, results: dict[str, object]) -> None:  # type: ignore[no-untyped-def]
    import asyncio

    from PySide6.QtCore import QTimer

    ticks: list[float] = []
    updates: list[float] = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    window.model.rowsInserted.connect(lambda *_: updates.append(time.perf_counter()))
    rows_before = window.model.rowCount()
    command = [sys.executable, __file__, "--load", window.session.handler_url, str(rate),
               str(seconds)]  # fmt: skip
    # Started before the timer: forking this process blocks its GUI thread for ~0.1 s, a cost
    # of the benchmark, not of the app.
    generator = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)  # noqa: ASYNC220
    timer.start()
    started = time.perf_counter()
    while generator.poll() is None:  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.5)  # the last batch reaches the view
    timer.stop()
    elapsed = time.perf_counter() - started
    out = generator.stdout.read() if generator.stdout else ""
    results["load"] = json.loads(out.strip().splitlines()[-1]) if out.strip() else {}
    gaps = sorted(b - a for a, b in itertools.pairwise(ticks))
    results["timer_ticks"] = len(ticks)
    results["longest_gap_ms"] = gaps[-1] * 1000 if gaps else None
    results["p99_gap_ms"] = gaps[int(len(gaps) * 0.99)] * 1000 if gaps else None
    per_second: dict[int, int] = {}
    for moment in updates:
        per_second[int(moment - started)] = per_second.get(int(moment - started), 0) + 1
    results["table_updates"] = len(updates)
    results["table_updates_per_s_avg"] = len(updates) / elapsed
    results["table_updates_per_s_max"] = max(per_second.values(), default=0)
    results["rows_added_live"] = window.model.rowCount() - rows_before


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- orchestration -------------------------------------------------------------------------------


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--rate", type=float, default=1000)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--load", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.load:
        load(args.load[0], float(args.load[1]), float(args.load[2]))
        return 0
    if args.measure:
        print(json.dumps(measure(args.measure, args.rate, args.seconds)), flush=True)
        return 0
    data_dir = args.data_dir or Path(f"/tmp/b24monitor-bench-{args.events}")
    db = data_dir / "events.sqlite3"
    if not db.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        seconds = generate(db, args.events)
        print(f"generated {args.events:,} events in {seconds:.1f} s "
              f"({db.stat().st_size / 2**20:,.0f} MB)")  # fmt: skip
    for name in ("gui.ini",):  # start like a first run: default layout, no saved sort order
        (data_dir / name).unlink(missing_ok=True)
    run = subprocess.run(
        [sys.executable, __file__, "--measure", str(data_dir), "--rate", str(args.rate),
         "--seconds", str(args.seconds)],
        capture_output=True, text=True, check=False, timeout=900,
    )  # fmt: skip
    if run.returncode != 0:
        print(run.stderr, file=sys.stderr)
        return 1
    report(json.loads(run.stdout.strip().splitlines()[-1]))
    return 0


def report(r: dict[str, object]) -> None:
    def line(label: str, value: object, target: str = "") -> None:
        text = f"{value:,.3f}" if isinstance(value, float) else str(value)
        print(f"  {label:<38} {text:>14}   {target}")

    print(f"rows in the view at start: {r['rows']:,}")
    line("usable after (s, from process start)", r["usable_s"], "target < 2 s")
    line("  all ids in the list after (s)", r["full_list_s"])
    for key in ("event", "entity", "event_prefix", "full_text", "full_text_rare", "none"):
        target = "target < 1 s" if "full_text" in key else "target < 0.3 s"
        line(f"filter {key} (s, {r[f'filter_{key}_rows']:,} rows)", r[f"filter_{key}_s"],
             "" if key in ("none", "event_prefix") else target)  # fmt: skip
    line("RSS after start (MB)", r["rss_after_start_mb"])
    line("RSS after filters (MB)", r["rss_after_filters_mb"])
    line("RSS peak (MB)", r["rss_peak_mb"], "target < 500 MB")
    load_figures = r["load"] if isinstance(r["load"], dict) else {}
    sent, ok = load_figures.get("sent", 0), load_figures.get("ok", 0)
    took = load_figures.get("seconds", 0) or 1
    print(f"live load: {sent:,} POSTs, {ok:,} answered 200, {ok / took:,.0f}/s achieved")
    line("rows added to the view", r["rows_added_live"])
    line("longest 10 ms timer gap (ms)", r["longest_gap_ms"], "target: stall < 50 ms")
    line("p99 timer gap (ms)", r["p99_gap_ms"])
    line("table updates per second (avg)", r["table_updates_per_s_avg"], "target <= 10")
    line("table updates in the busiest second", r["table_updates_per_s_max"])
    paused = r.get("paused")
    if isinstance(paused, dict):
        load_paused = paused.get("load") or {}
        print(f"same load, list paused (baseline): {load_paused.get('ok', 0):,} answered 200")
        line("longest 10 ms timer gap (ms)", paused["longest_gap_ms"])
        line("p99 timer gap (ms)", paused["p99_gap_ms"])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
