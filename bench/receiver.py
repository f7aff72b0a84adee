"""Receiver benchmark: a burst of 1,000 Bitrix24 deliveries over 100 concurrent connections.

Measures b24monitor's receiver (`b24monitor listen --json`, a real subprocess printing every
event: decode, verify, group commit to SQLite before each 200) against a bare aiohttp handler
that only answers 200, both measured in the same run, with a new connection per request (as
Bitrix24's queue server sends) and with keep-alive. The load comes from ApacheBench (`ab`, a C
client from apache2-utils; packaging/install-deps installs it): a Python client on these 2 cores
saturates before either server does and so flatters the slower one (../shared/guide/testing.md).
The Python client's figures follow as a second, labelled table. Figures, not pass/fail.

    python3 bench/receiver.py [--n 1000] [--concurrency 100] [--rounds 5] [--no-python-client]
                              [--compare-with /path/to/other/checkout ...]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
# The same PHP-shaped bodies the tests use.
from conftest import delivery

ROOT = Path(__file__).resolve().parents[1]

BARE_SERVER = """
import sys
from aiohttp import web
async def ok(request):
    await request.read()
    return web.Response(text="ok")
app = web.Application()
app.router.add_post("/{tail:.*}", ok)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None)
"""


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_bare() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", BARE_SERVER, str(port)])
    url = f"http://127.0.0.1:{port}/b24/x/events"
    wait_until_up(url)
    return proc, url


def start_monitor(
    data_dir: Path, checkout: str | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    """`listen --json` of this checkout, or of another one (--compare-with) for a second row.

    It runs in the checkout measured: `python -m` puts the working directory ahead of
    PYTHONPATH, so run from this checkout every row would measure this checkout's code."""
    env = dict(os.environ, PYTHONPATH=checkout) if checkout else None
    proc = subprocess.Popen(
        [sys.executable, "-m", "b24monitor", "--data-dir", str(data_dir), "listen", "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, cwd=checkout or ROOT,
    )  # fmt: skip
    assert proc.stdout is not None
    hello = json.loads(proc.stdout.readline())
    # Drain its event lines in the background so a full pipe never stalls it.
    import threading

    threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()  # type: ignore[union-attr]
    return proc, str(hello["handler_url"])


def wait_until_up(url: str) -> None:
    import urllib.request

    for _ in range(100):
        try:
            urllib.request.urlopen(urllib.request.Request(url, data=b"x"), timeout=1)
            return
        except OSError:
            time.sleep(0.05)


async def burst(url: str, n: int, concurrency: int, keepalive: bool) -> tuple[float, list[float]]:
    bodies = [delivery(data={"FIELDS": {"ID": str(i)}}) for i in range(n)]
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    connector = aiohttp.TCPConnector(limit=concurrency, force_close=not keepalive)
    latencies: list[float] = []
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for b in bodies:
        queue.put_nowait(b)

    async with aiohttp.ClientSession(connector=connector) as client:

        async def worker() -> None:
            while not queue.empty():
                body = queue.get_nowait()
                t0 = time.perf_counter()
                async with client.post(url, data=body, headers=headers) as r:
                    await r.read()
                    assert r.status == 200, r.status
                latencies.append(time.perf_counter() - t0)

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        total = time.perf_counter() - start
    return total, latencies


def ab_burst(url: str, n: int, concurrency: int, keepalive: bool) -> tuple[float, list[float]]:
    """Drive `url` with ApacheBench; returns (total seconds, per-request latencies from -e)."""
    body = delivery(data={"FIELDS": {"ID": "3187"}})
    with tempfile.TemporaryDirectory(prefix="b24bench-ab-") as tmp_name:
        body_file = Path(tmp_name) / "body"
        body_file.write_bytes(body)
        csv_file = Path(tmp_name) / "percentiles.csv"
        args = ["ab", "-q", "-n", str(n), "-c", str(concurrency), "-p", str(body_file),
                "-T", "application/x-www-form-urlencoded", "-e", str(csv_file)]  # fmt: skip
        if keepalive:
            args.append("-k")
        out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
        total = next(float(line.split()[-2]) for line in out.splitlines()
                     if line.startswith("Time taken for tests:"))  # fmt: skip
        failed = next(int(line.split()[-1]) for line in out.splitlines()
                      if line.startswith("Failed requests:"))  # fmt: skip
        non2xx = [line for line in out.splitlines() if line.startswith("Non-2xx responses:")]
        assert failed == 0 and not non2xx, out
        # -e writes "percentage,ms" for 0..100: expand to a latency list for the same row().
        points = [line.split(",") for line in csv_file.read_text().splitlines()[1:]]
        lat = [float(ms) / 1e3 for _, ms in points]
    return total, lat


def stored(data_dir: Path) -> int:
    conn = sqlite3.connect(data_dir / "events.sqlite3")
    count = int(conn.execute("SELECT count(*) FROM events").fetchone()[0])
    conn.close()
    return count


def row(name: str, total: float, lat: list[float], n: int) -> dict[str, float | str]:
    q = statistics.quantiles(lat, n=100)
    return {"name": name, "total_s": total, "ev_s": n / total, "p50_ms": q[49] * 1e3,
            "p99_ms": q[98] * 1e3}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--concurrency", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=5, help="alternating rounds (medians)")
    ap.add_argument("--no-python-client", action="store_true", help="only the ab table")
    ap.add_argument("--compare-with", metavar="CHECKOUT", action="append", default=[],
                    help="also measure the b24monitor of another checkout (e.g. main) in the same "
                    "run, rounds interleaved (repeatable)")  # fmt: skip
    args = ap.parse_args()
    if shutil.which("ab") is None:
        sys.exit("ab (ApacheBench) not found: run bash packaging/install-deps")
    clients = [("ApacheBench (C)", ab_burst)]
    if not args.no_python_client:
        clients.append(("Python aiohttp client", python_burst))
    for label, client in clients:
        print(f"\n== load from {label} ==")
        measure(args, client)


def python_burst(url: str, n: int, concurrency: int, keepalive: bool) -> tuple[float, list[float]]:
    return asyncio.run(burst(url, n, concurrency, keepalive))


def measure(args: argparse.Namespace, client: Callable[..., tuple[float, list[float]]]) -> None:
    """Rounds alternate between the receivers (a noisy minute hits each of them); each round's
    ratio compares neighbours in time. Medians are printed, and the spread across rounds."""
    names = ["bare aiohttp", "b24monitor"]
    checkouts = {f"b24monitor@{Path(c).name}": c for c in args.compare_with}
    names += checkouts
    args.checkouts = checkouts
    modes = {"new conn": False, "keep-alive": True}
    rounds: dict[str, dict[str, list[dict[str, float | str]]]] = {}
    for mode, keepalive in modes.items():
        rounds[mode] = {name: [] for name in names}
        for _ in range(args.rounds):
            for name in names:
                rounds[mode][name].append(one_round(args, client, name, keepalive, mode))
    print(f"{args.n} deliveries, {args.concurrency} concurrent connections, median of "
          f"{args.rounds} alternating rounds; cores: {os.cpu_count()}, load average "
          f"{os.getloadavg()[0]:.1f}")  # fmt: skip
    print(f"{'receiver':40} {'all acked (s)':>13} {'events/s':>9} {'(min–max)':>13} "
          f"{'p50 ms':>7} {'p99 ms':>7} {'CPU µs/ev':>10}")  # fmt: skip
    for mode in modes:
        for name in names:
            rs = rounds[mode][name]
            rates = [float(r["ev_s"]) for r in rs]
            print(f"{name + f' ({mode})':40} {_median(rs, 'total_s'):13.3f} "
                  f"{statistics.median(rates):9.0f} {f'{min(rates):.0f}–{max(rates):.0f}':>13} "
                  f"{_median(rs, 'p50_ms'):7.1f} {_median(rs, 'p99_ms'):7.1f} "
                  f"{_median(rs, 'cpu_us'):10.0f}")  # fmt: skip
    for mode in modes:
        bare = rounds[mode]["bare aiohttp"]
        for name in names[1:]:
            ratios = [float(b["total_s"]) / float(o["total_s"])
                      for b, o in zip(bare, rounds[mode][name], strict=True)]  # fmt: skip
            print(f"throughput ratio {name}/bare ({mode}): {statistics.median(ratios):.2f} "
                  f"(rounds {min(ratios):.2f}–{max(ratios):.2f})")  # fmt: skip


def _median(rs: list[dict[str, float | str]], key: str) -> float:
    return statistics.median(float(r[key]) for r in rs)


def one_round(
    args: argparse.Namespace,
    client: Callable[..., tuple[float, list[float]]],
    name: str,
    keepalive: bool,
    mode: str,
) -> dict[str, float | str]:
    with tempfile.TemporaryDirectory(prefix="b24bench-") as tmp_name:
        tmp = Path(tmp_name)
        if name == "bare aiohttp":
            proc, url = start_bare()
        else:
            proc, url = start_monitor(tmp, args.checkouts.get(name))
        try:
            cpu_before = cpu_seconds(proc.pid)
            total, lat = client(url, args.n, args.concurrency, keepalive)
            wait_stored(tmp, args.n) if name != "bare aiohttp" else None
            cpu = cpu_seconds(proc.pid) - cpu_before
        finally:
            proc.terminate()
            proc.wait()
        if name != "bare aiohttp":
            assert stored(tmp) == args.n, "not every acknowledged delivery was stored"
    return {**row(f"{name} ({mode})", total, lat, args.n), "cpu_us": cpu / args.n * 1e6}


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc): steadier than wall time on a
    shared machine, so it shows what each delivery costs the receiver's process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_stored(data_dir: Path, n: int) -> None:
    """Until the last delivery's line was printed too: its CPU belongs to the round."""
    deadline = time.monotonic() + 30
    while stored(data_dir) < n and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)  # the batch's findings and printing follow its commit


if __name__ == "__main__":
    main()
