"""Hostile-traffic benchmark: valid deliveries with and without 90 % hostile traffic around them.

One real receiver (`b24monitor listen --json`, a subprocess whose descriptor limit is lowered to
1,024 and whose stderr is a pipe nobody reads) gets quiet, control and attack phases in turns,
in the same run (--rounds of each, interleaved, so the machine's own noise falls on all alike):

- quiet:  valid Bitrix24 deliveries only, at --rate per second, one new connection each;
- attack: the same valid stream, plus nine hostile requests for each valid one, in equal shares
          (mid-body hang-ups, garbage request lines, forged 100 KB bodies, malformed bodies,
          50 MB oversize announcements), and --idle connections that send nothing (twice the
          descriptor limit), a twentieth of them renewed every 0.2 s; on Linux the receiver's
          deferred accept keeps silent ones in the kernel, so --slowloris has each send the
          first byte of a request line: they reach the receiver and its connection guard;
- control: the valid stream to the receiver while the same attack hits a bare aiohttp server
          next door: what the attack costs the valid deliveries through this machine alone.

The offered load is fixed: every request is started on its own schedule (an open loop), never
"as fast as the attacker can", and the load actually achieved is printed next to the target.
The attacker is bench/hostile_attacker.c, compiled with gcc at the start into a temporary
folder (one thread, epoll, the request bytes built once here), run at nice 10: on a real
deployment it is somebody else's machine, so its own CPU must cost the receiver's share of these
2 cores as little as possible (../shared/guide/testing.md: measure servers with a C load
generator). The valid client runs at normal priority and times each delivery from connect to
the status line.

It prints, per phase over all rounds, the valid deliveries' ack rate, p50/p99 latency (pooled,
by round and the median of the rounds), loss (acknowledged but not stored), the CPU time of the
receiver, the attacker and the control's decoy, and the database growth; then the control/quiet
and attack/quiet p99 ratios (median of the rounds' ratios, and pooled). Loopback only, bounded
in count and time. Figures, not pass/fail.

    python3 bench/hostile.py [--rate 20] [--seconds 8] [--rounds 3] [--idle 2000] [--no-control]
                             [--slowloris]
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


async def exchange(
    host: str, port: int, data: bytes, limit_s: float = 10.0, connects: list[float] | None = None
) -> int:
    """Send one request on a new connection; the status code, or 0 on no answer. `connects`
    gets how long the TCP connect took (a full accept queue drops SYNs: 1 s retries)."""
    writer = None
    try:
        t0 = time.perf_counter()
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), limit_s)
        if connects is not None:
            connects.append(time.perf_counter() - t0)
        writer.write(data)
        line = await asyncio.wait_for(reader.readline(), limit_s)
        return int(line.split()[1]) if line.startswith(b"HTTP/") else 0
    except (OSError, TimeoutError, ValueError, IndexError):
        return 0
    finally:
        if writer is not None:
            writer.close()


def hostile_requests(path: str) -> list[bytes]:
    """The bytes of each hostile kind, in KINDS order (the hang-up's is sent, then reset)."""
    return [
        request(path, b"data%5BFIELDS%5D=" + b"1" * 1000, length=100_000),  # 1 KB of 100 KB
        b"\x16\x03\x01 GARBAGE \xff\xfe\r\n\r\n",
        request(path, FORGED),
        request(path, b'{"event": broken', "application/json"),
        request(path, b"", length=50 * 1024 * 1024),  # refused before a byte of the body is read
    ]


def build_attacker(work: Path, path: str) -> list[str]:
    """Compile the C attacker and write its request files; the command line before its
    HOST PORT RATE SECONDS IDLE arguments come the files (see bench/hostile_attacker.c)."""
    exe = work / "hostile_attacker"
    source = Path(__file__).with_name("hostile_attacker.c")
    subprocess.run(["gcc", "-O2", "-o", str(exe), str(source)], check=True)
    files = []
    for n, data in enumerate(hostile_requests(path)):
        (work / f"kind{n}").write_bytes(data)
        files.append(str(work / f"kind{n}"))
    return [str(exe), *files]


@dataclass
class Phase:
    """What one kind of phase gave, summed over its rounds."""

    sent: int = 0
    acked: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    connects: list[float] = field(default_factory=list)  # of the valid deliveries' latencies
    round_p99: list[float] = field(default_factory=list)
    seconds: float = 0.0
    cpu_s: float = 0.0  # the receiver's
    attacker_cpu_s: float = 0.0
    decoy_cpu_s: float = 0.0
    growth: int = 0
    attack: Counter[str] = field(default_factory=Counter)
    refusals: Counter[int] = field(default_factory=Counter)  # status → count (0: no answer)


@dataclass(frozen=True)
class Target:
    """Where a phase's attack goes (None: a quiet phase) and whose CPU serves it besides."""

    port: int | None = None
    decoy_pid: int | None = None


async def phase(url: str, args: argparse.Namespace, *, target: Target, tag: str, into: Phase,
                receiver_pid: int, attacker: list[str]) -> None:  # fmt: skip
    """Valid deliveries to `url` for --seconds; meanwhile the attack on `target`, if any."""
    parts = urlsplit(url)
    host, port, path = parts.hostname or "127.0.0.1", parts.port or 80, parts.path
    running = None
    if target.port is not None:  # its own process: the valid client's loop times the receiver
        exe, *files = attacker
        command = [exe, host, str(target.port), str(args.rate * HOSTILE_PER_VALID),
                   str(args.seconds + 1.0), str(args.idle), *files]  # fmt: skip
        env = dict(os.environ, IDLE_SENDS_A_BYTE="1" if args.slowloris else "0")
        running = subprocess.Popen(  # noqa: ASYNC220 - started once, waited for in a thread
            command, stdout=subprocess.PIPE, env=env, preexec_fn=lambda: os.nice(ATTACKER_NICE)
        )
        await asyncio.sleep(1.0)  # the idle connections are in place before the valid stream
    latencies: list[float] = []

    async def valid(entity: str) -> None:
        t0 = time.perf_counter()
        body = delivery(data={"FIELDS": {"ID": entity}})
        status = await exchange(host, port, request(path, body), 20, into.connects)
        if status == 200:
            latencies.append(time.perf_counter() - t0)
            into.acked.append(entity)
        else:
            into.refusals[status] += 1

    tasks: list[asyncio.Task[None]] = []
    cpu0 = cpu_seconds(receiver_pid)
    decoy0 = cpu_seconds(target.decoy_pid) if target.decoy_pid else 0.0
    start = time.perf_counter()
    while time.perf_counter() - start < args.seconds:
        tasks.append(spawn(valid(f"{tag}-{into.sent}"), name="valid"))
        into.sent += 1
        await asyncio.sleep(max(0.0, start + len(tasks) / args.rate - time.perf_counter()))
    await asyncio.gather(*tasks)
    into.seconds += time.perf_counter() - start
    into.cpu_s += cpu_seconds(receiver_pid) - cpu0
    if target.decoy_pid:
        into.decoy_cpu_s += cpu_seconds(target.decoy_pid) - decoy0
    into.latencies += latencies
    into.round_p99.append(pct(latencies, 99))
    if running is not None:
        out, _ = await asyncio.to_thread(running.communicate, None, 120)
        offered = json.loads(out.decode().strip().splitlines()[-1])
        into.attacker_cpu_s += offered.pop("cpu_s")
        into.attack.update(offered)


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


def start_decoy() -> tuple[subprocess.Popen[bytes], int]:
    proc = subprocess.Popen([sys.executable, __file__, "--decoy"], stdout=subprocess.PIPE)
    assert proc.stdout is not None
    return proc, int(proc.stdout.readline())


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
    sends = "one byte of a request line each (slowloris)" if args.slowloris else "silent"
    print(
        f"  idle connections   {args.idle:6d}    attack and control, held (2x the descriptor "
        f"limit), {args.idle // 20} renewed every {IDLE_RENEW_EVERY_S:g} s "
        f"({args.idle // 20 / IDLE_RENEW_EVERY_S:g} connects/s), {sends}"
    )
    print(f"  the attacker is a C program (epoll, request bytes built once) at nice "
          f"{ATTACKER_NICE}: a remote machine's CPU is not the receiver's")  # fmt: skip
    print(
        "  control: the same attack aimed at a bare aiohttp server next door (reads, answers "
        "403), valid deliveries to the receiver: what the attack costs through the machine alone"
    )


def attacker_rate(ph: Phase) -> float:
    """The attacker's CPU in ms per second of its own run (it starts 1 s before the valid
    stream and waits for its last answers after it)."""
    return ph.attacker_cpu_s / ph.attack["offered_s"] * 1000 if ph.attack else 0.0


def report(rows: list[tuple[str, Phase]], stored: set[str], args: argparse.Namespace) -> None:
    attack = rows[-1][1].attack
    if attack:
        achieved = attack["hostile"] / attack["offered_s"]
        print(f"  achieved: {achieved:.1f} hostile/s, {attack['idle_opened']} idle connections "
              f"opened, schedule lag at most {attack['late_ms_max'] / args.rounds:.1f} ms "
              "(mean of the rounds' worst)")  # fmt: skip
    print(
        f"{'phase':<8} {'sent':>5} {'acked':>6} {'ack rate':>8} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'p99 by round':>16} {'median':>7} {'lost':>5} {'receiver':>9} {'attacker':>9} "
        f"{'decoy':>6} {'DB growth':>10}"
    )
    print(f"{'':>69} {'CPU ms/s':>9} {'CPU ms/s':>9} {'CPU':>6}")
    for tag, ph in rows:
        lost = len([e for e in ph.acked if e not in stored])
        by_round = "/".join(f"{v:.0f}" for v in ph.round_p99)
        decoy = f"{ph.decoy_cpu_s / ph.seconds * 1000:>6.0f}" if ph.decoy_cpu_s else f"{'-':>6}"
        print(
            f"{tag:<8} {ph.sent:>5} {len(ph.acked):>6} {len(ph.acked) / ph.sent:>8.1%} "
            f"{pct(ph.latencies, 50):>7.1f} {pct(ph.latencies, 99):>7.1f} {by_round:>16} "
            f"{statistics.median(ph.round_p99):>7.1f} {lost:>5} "
            f"{ph.cpu_s / ph.seconds * 1000:>9.0f} {attacker_rate(ph):>9.0f} "
            f"{decoy} {ph.growth / 1e6:>7.2f} MB"
        )
    for tag, ph in rows:
        if ph.refusals:
            seen = ", ".join(f"{n} x {s or 'no answer in 20 s'}" for s, n in ph.refusals.items())
            print(f"{tag}: valid deliveries not acknowledged: {seen}")
    quiet = rows[0][1]
    for tag, ph in rows[1:]:
        ratios = [p / q for p, q in zip(ph.round_p99, quiet.round_p99, strict=True)]
        print(
            f"p99 {tag} / quiet: {statistics.median(ratios):.2f}x median of the rounds' ratios "
            f"({'/'.join(f'{r:.1f}' for r in ratios)}); pooled "
            f"{pct(ph.latencies, 99) / pct(quiet.latencies, 99):.2f}x "
            f"(p50: {pct(ph.latencies, 50) / pct(quiet.latencies, 50):.2f}x)"
        )
    for tag, ph in rows:
        slow = [c for c in ph.connects if c > 0.5]
        print(f"{tag}: TCP connect of the valid deliveries p50 {pct(ph.connects, 50):.1f} ms, "
              f"p99 {pct(ph.connects, 99):.1f} ms; {len(slow)} took over 0.5 s "
              "(a SYN dropped at a full accept queue is retried after 1 s)")  # fmt: skip
    if attack:
        print(f"attacker's answers (all rounds): {attack['answered']} answered "
              f"({attack['2xx']} 2xx, {attack['4xx']} 4xx, {attack['5xx']} 5xx), "
              f"{attack['no_answer']} without an answer in 10 s, "
              f"{attack['connect_failed']} connects failed; its CPU in the kernel "
              f"(loopback TCP, charged to the sender here) "
              f"{attack['sys_s'] / attack['offered_s'] * 1000:.0f} ms/s")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--rate", type=float, default=20.0, help="valid deliveries per second")
    ap.add_argument("--seconds", type=float, default=8.0, help="length of each phase")
    ap.add_argument("--rounds", type=int, default=3, help="rounds of phases, in turns")
    ap.add_argument("--idle", type=int, default=2000, help="idle connections during the attack")
    ap.add_argument("--no-control", action="store_true", help="skip the control phase")
    ap.add_argument(
        "--slowloris",
        action="store_true",
        help="idle connections send one byte (past Linux's deferred accept)",
    )
    ap.add_argument("--decoy", action="store_true", help=argparse.SUPPRESS)  # control's target
    args = ap.parse_args()
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # our side of the idle connections
    if args.decoy:
        decoy()
        return

    if shutil.which("gcc") is None:  # checked before anything is started
        sys.exit("bench/hostile.py builds its attacker with gcc, which is not installed; "
                 "install it (Debian: apt-get install gcc) and run it again")  # fmt: skip
    work = Path(tempfile.mkdtemp(prefix="b24bench-hostile-"))
    data_dir = work / "data"
    proc, url = start_monitor(data_dir)
    install = delivery("ONAPPINSTALL", {"VERSION": "1"}, handler_id=None)
    parts = urlsplit(url)
    assert asyncio.run(exchange(parts.hostname or "", parts.port or 0,
                                request(parts.path, install))) == 200  # fmt: skip
    attacker = build_attacker(work, parts.path)
    decoy_proc, decoy_port = start_decoy()
    describe_load(args)
    targets = {"quiet": Target(), "control": Target(decoy_port, decoy_proc.pid),
               "attack": Target(parts.port)}  # fmt: skip
    if args.no_control:
        del targets["control"]
    rows = [(tag, Phase()) for tag in targets]
    try:
        for n in range(args.rounds):
            for tag, ph in rows:
                before = db_bytes(data_dir)
                asyncio.run(phase(url, args, target=targets[tag], tag=f"{tag}{n}", into=ph,
                                  receiver_pid=proc.pid, attacker=attacker))  # fmt: skip
                ph.growth += db_bytes(data_dir) - before
    finally:  # a failed run leaves neither the decoy nor the receiver behind
        decoy_proc.kill()
        decoy_proc.wait()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=120)
    conn = sqlite3.connect(data_dir / "events.sqlite3")
    stored = {e for (e,) in conn.execute("SELECT entity_id FROM events")}
    conn.close()
    report(rows, stored, args)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
