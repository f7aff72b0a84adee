"""Receiver benchmark: a burst of 1,000 Bitrix24 deliveries over 100 concurrent connections.

Measures b24monitor's receiver (`b24monitor listen --json`, a real subprocess printing every
event: decode, verify, group commit to SQLite before each 200) against a bare aiohttp handler
that only answers 200, both measured in the same run, with a new connection per request (as
Bitrix24's queue server sends) and with keep-alive. The load comes from ApacheBench (`ab`, a C
client from apache2-utils; packaging/install-deps installs it): a Python client on these 2 cores
saturates before either server does and so flatters the slower one (../shared/guide/testing.md).
The Python client's figures follow as a second, labelled table. Figures, not pass/fail.

    python3 bench/receiver.py [--n 1000] [--concurrency 100] [--rounds 3] [--no-python-client]
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
    """`listen --json` of this checkout, or of another one (--compare-with) for a second row."""
    env = dict(os.environ, PYTHONPATH=checkout) if checkout else None
    proc = subprocess.Popen(
        [sys.executable, "-m", "b24monitor", "--data-dir", str(data_dir), "listen", "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
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
    ap.add_argument("--rounds", type=int, default=3, help="best of N per configuration")
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
    names = ["bare aiohttp", "b24monitor"]
    checkouts = {f"b24monitor@{Path(c).name}": c for c in args.compare_with}
    names += checkouts
    args.checkouts = checkouts
    results = []
    for keepalive in (False, True):
        mode = "keep-alive" if keepalive else "new conn"
        best: dict[str, dict[str, float | str]] = {}
        for _ in range(args.rounds):  # rounds interleaved: a noisy minute hits every receiver
            for name in names:
                r = one_round(args, client, name, keepalive, mode)
                if name not in best or r["total_s"] < best[name]["total_s"]:  # type: ignore[operator]
                    best[name] = r
        results.append([best[name] for name in names])
    print(f"{args.n} deliveries, {args.concurrency} concurrent connections, best of "
          f"{args.rounds}; cores: {os.cpu_count()}")  # fmt: skip
    print(f"{'receiver':40} {'all acked (s)':>13} {'events/s':>9} {'p50 ms':>8} {'p99 ms':>8} "
          f"{'CPU µs/ev':>10}")  # fmt: skip
    for r in (r for per_mode in results for r in per_mode):
        print(f"{r['name']:40} {r['total_s']:13.3f} {r['ev_s']:9.0f} {r['p50_ms']:8.1f} "
              f"{r['p99_ms']:8.1f} {r['cpu_us']:10.0f}")  # fmt: skip
    for mode, per_mode in zip(("new conn", "keep-alive"), results, strict=True):
        bare = per_mode[0]
        for ours, name in zip(per_mode[1:], names[1:], strict=True):
            print(f"throughput ratio {name}/bare ({mode}): "
                  f"{ours['ev_s'] / bare['ev_s']:.2f}")  # type: ignore[operator]  # fmt: skip


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
