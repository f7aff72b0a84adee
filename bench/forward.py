"""Forwarding benchmark: receiver ack latency during a burst while forwarding to a 2 s handler.

A 1,000-delivery burst (Bitrix24-shaped bodies, a new connection per request as Bitrix24's queue
server sends them) against an in-process Session, once with nothing attached and once with a
Forwarder whose target takes 2 s per request, alternating, in the same run. The receiver runs on
its own capture thread as in the app; the forwarder on the front-end loop (the main thread); the
burst client on a third thread with its own loop, so its timing is not the front end's; the slow
handler in a subprocess. Figures, not pass/fail: this machine is noisy.

    python3 bench/forward.py [--n 1000] [--concurrency 100] [--rounds 2] [--delay 2]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import httpx

from b24monitor.core.replay import parse_routes
from b24monitor.services.forwarder import Forwarder
from b24monitor.services.session import Session, SessionConfig

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
# The same PHP-shaped bodies the tests use.
from conftest import delivery

SLOW_HANDLER = """
import asyncio, sys
from aiohttp import web
async def slow(request):
    await request.read()
    await asyncio.sleep(float(sys.argv[2]))
    return web.Response(text="ok")
app = web.Application()
app.router.add_post("/{tail:.*}", slow)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None)
"""


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_slow_handler(delay: float) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", SLOW_HANDLER, str(port), str(delay)])
    url = f"http://127.0.0.1:{port}/hook"
    for _ in range(200):
        try:
            httpx.get(url, timeout=0.5)  # any answer (405) means it is up
            return proc, url
        except httpx.HTTPError:
            time.sleep(0.05)
    raise RuntimeError("the slow handler did not start")


async def burst(url: str, n: int, concurrency: int) -> list[float]:
    bodies = [delivery(data={"FIELDS": {"ID": str(i)}}) for i in range(n)]
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    latencies: list[float] = []
    connector = aiohttp.TCPConnector(limit=concurrency, force_close=True)
    async with aiohttp.ClientSession(connector=connector) as client:

        async def worker() -> None:
            while bodies:
                body = bodies.pop()
                t0 = time.perf_counter()
                async with client.post(url, data=body, headers=headers) as r:
                    await r.read()
                    assert r.status == 200, r.status
                latencies.append(time.perf_counter() - t0)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies


async def one_round(args: argparse.Namespace, target: str | None) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="b24bench-") as tmp:
        session = Session(SessionConfig(data_dir=Path(tmp)))
        await session.start()
        http = httpx.AsyncClient()
        forwarder = None
        if target is not None:
            routes = parse_routes([target])
            forwarder = Forwarder(session.db_path, routes, http=http, timeout=args.delay + 5)
            await forwarder.start()
            session.committed.connect(forwarder.enqueue)
        try:
            # The client gets its own thread and loop: what it measures is the receiver alone.
            lat = await asyncio.to_thread(
                asyncio.run, burst(session.handler_url, args.n, args.concurrency)
            )
            await asyncio.sleep(0.2)  # let the last batch reach the forwarder
            pending = forwarder.pending if forwarder else 0
        finally:
            await session.stop()
            if forwarder is not None:
                await forwarder.stop()  # the unsent rest is recorded as such
            await http.aclose()
    q = statistics.quantiles(lat, n=100)
    return {"p50": q[49] * 1e3, "p99": q[98] * 1e3, "max": max(lat) * 1e3, "pending": pending}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--concurrency", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=2, help="rounds per configuration (alternating)")
    ap.add_argument("--delay", type=float, default=2.0, help="seconds the handler takes")
    args = ap.parse_args()
    proc, target = start_slow_handler(args.delay)
    results: dict[str, list[dict[str, float]]] = {"no forwarding": [], "forwarding": []}
    try:
        for _ in range(args.rounds):
            results["no forwarding"].append(asyncio.run(one_round(args, None)))
            results["forwarding"].append(asyncio.run(one_round(args, target)))
    finally:
        proc.terminate()
        proc.wait()
    print(
        f"{args.n} deliveries, {args.concurrency} concurrent new connections, handler takes "
        f"{args.delay:g} s, {args.rounds} rounds each (median); cores: {os.cpu_count()}"
    )
    print(f"{'receiver':16} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'queued after':>13}")
    summary = {}
    for name, rounds in results.items():
        summary[name] = {k: statistics.median(r[k] for r in rounds) for k in rounds[0]}
        s = summary[name]
        print(f"{name:16} {s['p50']:8.1f} {s['p99']:8.1f} {s['max']:8.1f} {s['pending']:13.0f}")
    base, fwd = summary["no forwarding"], summary["forwarding"]
    print(f"ratio forwarding/none: p50 {fwd['p50'] / base['p50']:.2f}, "
          f"p99 {fwd['p99'] / base['p99']:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
