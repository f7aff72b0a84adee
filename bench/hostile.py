"""Hostile-traffic benchmark: valid deliveries with and without 90 % hostile traffic around them.

One real receiver (`b24monitor listen --json`, a subprocess whose descriptor limit is lowered to
1,024 and whose stderr is a pipe nobody reads) gets two phases in the same run:

- quiet:  valid Bitrix24 deliveries only, at --rate per second, one new connection each;
- attack: the same valid stream, plus nine hostile requests for each valid one (mid-body
          hang-ups, garbage request lines, forged 100 KB bodies, malformed bodies, oversize
          announcements) and 2,000 idle connections (twice the descriptor limit) renewed
          every few seconds.

For each phase it prints the valid deliveries' ack rate, p50/p99 latency, loss (acknowledged
but not stored) and the database growth, and the attack/quiet p99 ratio. Loopback only, bounded
in count and time. Figures, not pass/fail: this machine is shared and noisy.

    python3 bench/hostile.py [--rate 20] [--seconds 15] [--idle 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from conftest import delivery  # the same PHP-shaped bodies the tests use

from b24monitor.core.tasks import spawn

FORM = "application/x-www-form-urlencoded"
FORGED = delivery(data={"FIELDS": {"ID": "x", "TITLE": "F" * 100_000}}, token="forged")


def _child_limits() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024))


def start_monitor(data_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "b24monitor", "--data-dir", str(data_dir), "listen", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=_child_limits,
    )  # fmt: skip  (stderr: piped and never read, on purpose)
    assert proc.stdout is not None
    hello = json.loads(proc.stdout.readline())
    threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()  # type: ignore[union-attr]
    return proc, str(hello["handler_url"])


def request(path: str, body: bytes, content_type: str = FORM, length: int | None = None) -> bytes:
    n = len(body) if length is None else length
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {n}\r\nConnection: close\r\n\r\n"
    ).encode() + body


async def exchange(host: str, port: int, data: bytes, limit_s: float = 10.0) -> int:
    """Send one request on a new connection; the status code, or 0 on no answer."""
    writer = None
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), limit_s)
        writer.write(data)
        line = await asyncio.wait_for(reader.readline(), limit_s)
        return int(line.split()[1]) if line.startswith(b"HTTP/") else 0
    except (OSError, TimeoutError, ValueError, IndexError):
        return 0
    finally:
        if writer is not None:
            writer.close()


async def hangup(host: str, port: int, path: str) -> None:
    try:
        _, writer = await asyncio.open_connection(host, port)
    except OSError:
        return
    writer.write(request(path, b"data%5BFIELDS%5D=" + b"1" * 1000, length=100_000))
    await asyncio.sleep(0.01)
    writer.transport.abort()


async def hostile_one(kind: int, host: str, port: int, path: str) -> None:
    if kind == 0:
        await hangup(host, port, path)
    elif kind == 1:
        await exchange(host, port, b"\x16\x03\x01 GARBAGE \xff\xfe\r\n\r\n")
    elif kind == 2:
        await exchange(host, port, request(path, FORGED))
    elif kind == 3:
        await exchange(host, port, request(path, b'{"event": broken', "application/json"))
    else:  # an oversize announcement: refused before a byte of the body is read
        await exchange(host, port, request(path, b"", length=50 * 1024 * 1024))


async def idle_flood(host: str, port: int, count: int, stop: asyncio.Event) -> None:
    """Open `count` connections that never send a byte, then renew them steadily (a twentieth
    every 0.2 s, i.e. all of them every 4 s), as clients whose connections were cut come back."""
    idle: list[asyncio.StreamWriter] = []
    while not stop.is_set():
        while len(idle) < count:
            try:
                _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 5)
            except (OSError, TimeoutError):
                break
            idle.append(writer)
        for writer in idle[: count // 20]:
            writer.transport.abort()
        idle = idle[count // 20 :]
        await asyncio.sleep(0.2)
    for writer in idle:
        writer.transport.abort()


async def phase(url: str, rate: float, seconds: float, *, hostile: bool, idle: int, tag: str):
    parts = urlsplit(url)
    host, port, path = parts.hostname or "127.0.0.1", parts.port or 80, parts.path
    latencies: list[float] = []
    acked: list[str] = []
    sent = 0
    attacker = None
    if hostile:  # its own process: the valid client's loop must time the receiver, not itself
        command = [sys.executable, __file__, "--attack", url, "--rate", str(rate),
                   "--seconds", str(seconds), "--idle", str(idle)]  # fmt: skip
        attacker = subprocess.Popen(command)  # noqa: ASYNC220 - started once, never waited on here
        await asyncio.sleep(1.0)  # the idle connections are in place before the valid stream

    async def valid(entity: str) -> None:
        t0 = time.perf_counter()
        body = delivery(data={"FIELDS": {"ID": entity}})
        if await exchange(host, port, request(path, body), limit_s=20) == 200:
            latencies.append(time.perf_counter() - t0)
            acked.append(entity)

    tasks: list[asyncio.Task[None]] = []
    start = time.perf_counter()
    tick = 0
    while time.perf_counter() - start < seconds:
        tasks.append(spawn(valid(f"{tag}-{sent}"), name="valid"))
        sent += 1
        tick += 1
        await asyncio.sleep(max(0.0, start + tick / rate - time.perf_counter()))
    await asyncio.gather(*tasks)
    if attacker is not None:
        await asyncio.to_thread(attacker.wait, 120)
    return sent, acked, latencies


async def attack(url: str, rate: float, seconds: float, idle: int) -> None:
    """Nine hostile requests per valid one, plus the idle connections, for `seconds` + 1."""
    parts = urlsplit(url)
    host, port, path = parts.hostname or "127.0.0.1", parts.port or 80, parts.path
    stop = asyncio.Event()
    flood = spawn(idle_flood(host, port, idle, stop), name="idle") if idle else None
    tasks: list[asyncio.Task[None]] = []
    start, tick = time.perf_counter(), 0
    while time.perf_counter() - start < seconds + 1.0:
        tasks.append(spawn(hostile_one(tick % 5, host, port, path), name="hostile"))
        tick += 1
        await asyncio.sleep(max(0.0, start + tick / (9 * rate) - time.perf_counter()))
    await asyncio.gather(*tasks)
    stop.set()
    if flood is not None:
        await flood


def db_bytes(data_dir: Path) -> int:
    """The database's used size as a reader sees it (the WAL file's own size says little)."""
    conn = sqlite3.connect(f"file:{data_dir / 'events.sqlite3'}?mode=ro", uri=True)
    try:
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        free = conn.execute("PRAGMA freelist_count").fetchone()[0]
        return int((pages - free) * conn.execute("PRAGMA page_size").fetchone()[0])
    finally:
        conn.close()


def p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[q - 1] * 1000 if len(values) > 1 else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--rate", type=float, default=20.0, help="valid deliveries per second")
    ap.add_argument("--seconds", type=float, default=15.0, help="length of each phase")
    ap.add_argument("--idle", type=int, default=2000, help="idle connections during the attack")
    ap.add_argument("--attack", metavar="URL", help=argparse.SUPPRESS)  # the attacker process
    args = ap.parse_args()
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # our side of the idle connections
    if args.attack:
        asyncio.run(attack(args.attack, args.rate, args.seconds, args.idle))
        return

    data_dir = Path(tempfile.mkdtemp(prefix="b24bench-hostile-")) / "data"
    proc, url = start_monitor(data_dir)
    install = delivery("ONAPPINSTALL", {"VERSION": "1"}, handler_id=None)
    parts = urlsplit(url)
    assert asyncio.run(exchange(parts.hostname or "", parts.port or 0,
                                request(parts.path, install))) == 200  # fmt: skip
    rows = []
    for tag, hostile in (("quiet", False), ("attack", True)):
        before = db_bytes(data_dir)
        sent, acked, lat = asyncio.run(
            phase(url, args.rate, args.seconds, hostile=hostile, idle=args.idle, tag=tag)
        )
        rows.append((tag, sent, acked, lat, db_bytes(data_dir) - before))
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=120)
    conn = sqlite3.connect(data_dir / "events.sqlite3")
    stored = {e for (e,) in conn.execute("SELECT entity_id FROM events")}
    conn.close()

    print(f"receiver: b24monitor listen, RLIMIT_NOFILE 1024, stderr piped and unread; "
          f"valid rate {args.rate:g}/s for {args.seconds:g} s per phase")  # fmt: skip
    print(f"{'phase':<8} {'valid sent':>10} {'acked':>7} {'ack rate':>9} {'p50 ms':>8} "
          f"{'p99 ms':>8} {'lost':>5} {'DB growth':>12}")  # fmt: skip
    for tag, sent, acked, lat, growth in rows:
        lost = len([e for e in acked if e not in stored])
        print(f"{tag:<8} {sent:>10} {len(acked):>7} {len(acked) / sent:>9.1%} {p(lat, 50):>8.1f} "
              f"{p(lat, 99):>8.1f} {lost:>5} {growth / 1e6:>10.2f} MB")  # fmt: skip
    quiet_lat, attack_lat = rows[0][3], rows[1][3]
    print(f"p99 attack / quiet: {p(attack_lat, 99) / p(quiet_lat, 99):.2f}x")
    shutil.rmtree(data_dir.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
