"""Hostile-traffic benchmark: valid deliveries with and without 90 % hostile traffic around them.

One real receiver (`b24monitor listen --json`, a subprocess whose descriptor limit is lowered to
1,024 and whose stderr is a pipe nobody reads) gets quiet, control and attack phases in turns,
in the same run (--rounds of each, interleaved, so the machine's own noise falls on all alike):

- quiet:  valid Bitrix24 deliveries only, at --rate per second, one new connection each;
- attack: the same valid stream, plus nine hostile requests for each valid one, in equal shares
          (mid-body hang-ups, garbage request lines, forged 100 KB bodies, malformed bodies,
          50 MB oversize announcements), and --idle connections that send nothing (twice the
          descriptor limit), a twentieth of them renewed every 0.2 s;
- control: the valid stream to the receiver while the same attack hits a bare aiohttp server
          next door: what the attack costs the valid deliveries through this machine alone.

The offered load is fixed: every request is started on its own schedule (an open loop), never
"as fast as the attacker can", and the load actually achieved is printed next to the target.
The attacker is a separate process at nice 10: on a real deployment it is somebody else's
machine, so its own CPU must not come out of the receiver's share of these 2 cores. The valid
client runs at normal priority and times each delivery from connect to the status line.

It prints, per phase over all rounds, the valid deliveries' ack rate, p50/p99 latency, loss
(acknowledged but not stored), the receiver's CPU time and the database growth, and the
control/quiet and attack/quiet p99 ratios. Loopback only, bounded in count and time. Figures,
not pass/fail.

    python3 bench/hostile.py [--rate 20] [--seconds 8] [--rounds 3] [--idle 2000] [--no-control]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
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
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from conftest import delivery  # the same PHP-shaped bodies the tests use

from b24monitor.core.tasks import spawn

FORM = "application/x-www-form-urlencoded"
FORGED = delivery(data={"FIELDS": {"ID": "x", "TITLE": "F" * 100_000}}, token="forged")
KINDS = ("mid-body hang-up", "garbage request line", "forged 100 KB body", "malformed JSON body",
         "50 MB oversize announcement")  # fmt: skip
HOSTILE_PER_VALID = 9
IDLE_RENEW_EVERY_S = 0.2
ATTACKER_NICE = 10


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


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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


async def idle_flood(host: str, port: int, count: int, stop: asyncio.Event) -> int:
    """Open `count` connections that never send a byte, then renew a twentieth of them every
    0.2 s (all of them every 4 s), as clients whose connections were cut come back; returns
    how many connections were opened."""
    idle: list[asyncio.StreamWriter] = []
    opened = 0
    while not stop.is_set():
        while len(idle) < count:
            try:
                _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 5)
            except (OSError, TimeoutError):
                break
            idle.append(writer)
            opened += 1
        for writer in idle[: count // 20]:
            writer.transport.abort()
        idle = idle[count // 20 :]
        await asyncio.sleep(IDLE_RENEW_EVERY_S)
    for writer in idle:
        writer.transport.abort()
    return opened


@dataclass
class Phase:
    """What one kind of phase gave, summed over its rounds."""

    sent: int = 0
    acked: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    round_p99: list[float] = field(default_factory=list)
    seconds: float = 0.0
    cpu_s: float = 0.0
    growth: int = 0
    attack: Counter[str] = field(default_factory=Counter)
    refusals: Counter[int] = field(default_factory=Counter)  # status → count (0: no answer)


async def phase(url: str, args: argparse.Namespace, *, target: str | None, tag: str,
                into: Phase, receiver_pid: int) -> None:  # fmt: skip
    """Valid deliveries to `url` for --seconds; meanwhile the attack on `target` (None: none)."""
    parts = urlsplit(url)
    host, port, path = parts.hostname or "127.0.0.1", parts.port or 80, parts.path
    attacker = None
    if target:  # its own process: the valid client's loop must time the receiver, not itself
        command = [sys.executable, __file__, "--attack", target, "--rate", str(args.rate),
                   "--seconds", str(args.seconds), "--idle", str(args.idle)]  # fmt: skip
        attacker = subprocess.Popen(  # noqa: ASYNC220 - started once, waited for in a thread
            command, stdout=subprocess.PIPE, preexec_fn=lambda: os.nice(ATTACKER_NICE)
        )
        await asyncio.sleep(1.0)  # the idle connections are in place before the valid stream
    latencies: list[float] = []

    async def valid(entity: str) -> None:
        t0 = time.perf_counter()
        body = delivery(data={"FIELDS": {"ID": entity}})
        status = await exchange(host, port, request(path, body), limit_s=20)
        if status == 200:
            latencies.append(time.perf_counter() - t0)
            into.acked.append(entity)
        else:
            into.refusals[status] += 1

    tasks: list[asyncio.Task[None]] = []
    cpu0 = cpu_seconds(receiver_pid)
    start = time.perf_counter()
    while time.perf_counter() - start < args.seconds:
        tasks.append(spawn(valid(f"{tag}-{into.sent}"), name="valid"))
        into.sent += 1
        await asyncio.sleep(max(0.0, start + len(tasks) / args.rate - time.perf_counter()))
    await asyncio.gather(*tasks)
    into.seconds += time.perf_counter() - start
    into.cpu_s += cpu_seconds(receiver_pid) - cpu0
    into.latencies += latencies
    into.round_p99.append(pct(latencies, 99))
    if attacker is not None:
        out, _ = await asyncio.to_thread(attacker.communicate, None, 120)
        into.attack.update(json.loads(out.decode().strip().splitlines()[-1]))


async def attack(url: str, rate: float, seconds: float, idle: int) -> None:
    """Nine hostile requests per valid one, plus the idle connections, for `seconds` + 1; prints
    what was actually offered as one JSON line."""
    parts = urlsplit(url)
    host, port, path = parts.hostname or "127.0.0.1", parts.port or 80, parts.path
    stop = asyncio.Event()
    flood = spawn(idle_flood(host, port, idle, stop), name="idle") if idle else None
    tasks: list[asyncio.Task[None]] = []
    late: list[float] = []
    start = time.perf_counter()
    while (now := time.perf_counter()) - start < seconds + 1.0:
        due = start + len(tasks) / (HOSTILE_PER_VALID * rate)
        late.append(max(0.0, now - due))
        tasks.append(spawn(hostile_one(len(tasks) % len(KINDS), host, port, path), name="hostile"))
        await asyncio.sleep(max(0.0, start + len(tasks) / (HOSTILE_PER_VALID * rate) - now))
    offered_s = time.perf_counter() - start
    await asyncio.gather(*tasks)
    stop.set()
    opened = await flood if flood is not None else 0
    report = {"hostile": len(tasks), "idle_opened": opened, "offered_s": offered_s,
              "late_ms_max": max(late, default=0.0) * 1000}  # fmt: skip
    print(json.dumps(report), flush=True)


def decoy() -> None:
    """A bare aiohttp server that reads each body and answers 403: the control phase's target.

    The same attack on it shows what the attack costs the valid deliveries through this
    machine alone (CPU, scheduler, loopback), whoever the attacked server is.
    """
    from aiohttp import web

    async def handle(request: web.Request) -> web.Response:
        try:
            await request.read()
        except Exception:  # a hang-up or an oversize body: a refusal either way
            return web.Response(status=400)
        return web.Response(status=403, text="no\n")

    async def serve() -> None:
        app = web.Application(client_max_size=1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        print(runner.addresses[0][1], flush=True)
        await asyncio.Event().wait()

    asyncio.run(serve())


def start_decoy(path: str) -> tuple[subprocess.Popen[bytes], str]:
    proc = subprocess.Popen([sys.executable, __file__, "--decoy"], stdout=subprocess.PIPE)
    assert proc.stdout is not None
    return proc, f"http://127.0.0.1:{int(proc.stdout.readline())}{path}"


def db_bytes(data_dir: Path) -> int:
    """The database's used size as a reader sees it (the WAL file's own size says little)."""
    conn = sqlite3.connect(f"file:{data_dir / 'events.sqlite3'}?mode=ro", uri=True)
    try:
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        free = conn.execute("PRAGMA freelist_count").fetchone()[0]
        return int((pages - free) * conn.execute("PRAGMA page_size").fetchone()[0])
    finally:
        conn.close()


def pct(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] * 1000 if len(values) > 1 else float("nan")


def describe_load(args: argparse.Namespace) -> None:
    share = args.rate * HOSTILE_PER_VALID / len(KINDS)
    print(
        f"receiver: b24monitor listen --json, RLIMIT_NOFILE 1024, stderr piped and never read; "
        f"{args.rounds} rounds of {args.seconds:g} s per phase, quiet, control and attack in turns"
    )
    print("offered load (fixed schedule, open loop):")
    print(f"  valid deliveries   {args.rate:6g}/s  one new connection each, in every phase")
    print(
        f"  hostile requests   {args.rate * HOSTILE_PER_VALID:6g}/s  attack and control, "
        f"{share:g}/s each: {', '.join(KINDS)}"
    )
    print(
        f"  idle connections   {args.idle:6d}    attack and control, held (2x the descriptor "
        f"limit), {args.idle // 20} renewed every {IDLE_RENEW_EVERY_S:g} s "
        f"({args.idle // 20 / IDLE_RENEW_EVERY_S:g} connects/s)"
    )
    print(f"  the attacker is its own process at nice {ATTACKER_NICE} (a remote machine's CPU is "
          "not the receiver's)")  # fmt: skip
    print(
        "  control: the same attack aimed at a bare aiohttp server next door (reads, answers "
        "403), valid deliveries to the receiver: what the attack costs through the machine alone"
    )


def report(rows: list[tuple[str, Phase]], stored: set[str], args: argparse.Namespace) -> None:
    attack = rows[-1][1].attack
    if attack:
        achieved = attack["hostile"] / attack["offered_s"]
        print(f"  achieved: {achieved:.1f} hostile/s, {attack['idle_opened']} idle connections "
              f"opened, schedule lag at most {attack['late_ms_max'] / args.rounds:.0f} ms "
              "(mean of the rounds' worst)")  # fmt: skip
    print(
        f"{'phase':<8} {'valid sent':>10} {'acked':>7} {'ack rate':>9} {'p50 ms':>8} "
        f"{'p99 ms':>8} {'p99 by round':>18} {'lost':>5} {'CPU ms/s':>9} {'DB growth':>12}"
    )
    for tag, ph in rows:
        lost = len([e for e in ph.acked if e not in stored])
        by_round = "/".join(f"{v:.0f}" for v in ph.round_p99)
        print(
            f"{tag:<8} {ph.sent:>10} {len(ph.acked):>7} {len(ph.acked) / ph.sent:>9.1%} "
            f"{pct(ph.latencies, 50):>8.1f} {pct(ph.latencies, 99):>8.1f} {by_round:>18} "
            f"{lost:>5} {ph.cpu_s / ph.seconds * 1000:>9.0f} {ph.growth / 1e6:>10.2f} MB"
        )
    for tag, ph in rows:
        if ph.refusals:
            seen = ", ".join(f"{n} x {s or 'no answer in 20 s'}" for s, n in ph.refusals.items())
            print(f"{tag}: valid deliveries not acknowledged: {seen}")
    quiet = rows[0][1]
    for tag, ph in rows[1:]:
        print(
            f"p99 {tag} / quiet: {pct(ph.latencies, 99) / pct(quiet.latencies, 99):.2f}x "
            f"(p50: {pct(ph.latencies, 50) / pct(quiet.latencies, 50):.2f}x)"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--rate", type=float, default=20.0, help="valid deliveries per second")
    ap.add_argument("--seconds", type=float, default=8.0, help="length of each phase")
    ap.add_argument("--rounds", type=int, default=3, help="rounds of phases, in turns")
    ap.add_argument("--idle", type=int, default=2000, help="idle connections during the attack")
    ap.add_argument("--no-control", action="store_true", help="skip the control phase")
    ap.add_argument("--attack", metavar="URL", help=argparse.SUPPRESS)  # the attacker process
    ap.add_argument("--decoy", action="store_true", help=argparse.SUPPRESS)  # control's target
    args = ap.parse_args()
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # our side of the idle connections
    if args.attack:
        asyncio.run(attack(args.attack, args.rate, args.seconds, args.idle))
        return
    if args.decoy:
        decoy()
        return

    data_dir = Path(tempfile.mkdtemp(prefix="b24bench-hostile-")) / "data"
    proc, url = start_monitor(data_dir)
    install = delivery("ONAPPINSTALL", {"VERSION": "1"}, handler_id=None)
    parts = urlsplit(url)
    assert asyncio.run(exchange(parts.hostname or "", parts.port or 0,
                                request(parts.path, install))) == 200  # fmt: skip
    decoy_proc, decoy_url = start_decoy(parts.path)
    describe_load(args)
    targets = {"quiet": None, "control": decoy_url, "attack": url}
    if args.no_control:
        del targets["control"]
    rows = [(tag, Phase()) for tag in targets]
    for n in range(args.rounds):
        for tag, ph in rows:
            before = db_bytes(data_dir)
            asyncio.run(phase(url, args, target=targets[tag], tag=f"{tag}{n}", into=ph,
                              receiver_pid=proc.pid))  # fmt: skip
            ph.growth += db_bytes(data_dir) - before
    decoy_proc.kill()
    decoy_proc.wait()
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=120)
    conn = sqlite3.connect(data_dir / "events.sqlite3")
    stored = {e for (e,) in conn.execute("SELECT entity_id FROM events")}
    conn.close()
    report(rows, stored, args)
    shutil.rmtree(data_dir.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
