"""Safety-net benchmark: match 10,000 queue rows against 100,000 stored online deliveries.

The store is filled with 100,000 online deliveries (20 event codes × 5,000 objects, ts spread
over a day); 10,000 queue rows ask "did a delivery of this event and object with ts ≥ row
time − 2 s arrive?" — half are covered, half not. Measured: `RecoveryStore.covered`, the
safety net's one query over the (event, entity_id, ts) index. Baseline in the same run: the
same answer computed in Python after reading every stored delivery's (event, entity_id, ts)
once (what a match without the index would at least cost). Target: < 2 s for the match.

    python3 bench/safety_net.py [--rows 10000] [--stored 100000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from b24monitor.core.offline_match import QueueRow
from b24monitor.services.recovery_store import RecoveryStore
from b24monitor.services.store import EventStore, connect

CODES = [f"ONCRMDEAL{n:02d}UPDATE" for n in range(20)]
DAY = 86_400
START = 1_764_000_000


def fill(db: Path, stored: int, rng: random.Random) -> list[tuple[str, str, int]]:
    """Store `stored` online deliveries; returns (event, entity, ts) of each."""
    EventStore(db).close()
    rows = []
    per_code = max(1, stored // len(CODES))
    for code in CODES:
        for entity in range(per_code):
            rows.append((code, str(entity), START + rng.randrange(DAY)))
    conn = connect(db)
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO events(received_at, event, entity_id, ts, status, http_status, method, path, "
        "size, content_type, headers, body, data) VALUES (?,?,?,?,'ok',200,'POST','/h',0,"
        "'application/x-www-form-urlencoded','[]',x'',?)",
        [
            (ts, e, n, ts, json.dumps({"event": e, "data": {"FIELDS": {"ID": n}}}))
            for e, n, ts in rows
        ],
    )
    conn.execute("COMMIT")
    conn.close()
    return rows


def queue(stored: list[tuple[str, str, int]], count: int, rng: random.Random) -> list[QueueRow]:
    """Queue rows for random stored objects: even ones covered, odd ones changed later."""
    picks = rng.sample(stored, count)
    rows = []
    for i, (event, entity, ts) in enumerate(picks):
        at = ts if i % 2 == 0 else ts + 60
        when = datetime.fromtimestamp(at, UTC).isoformat()
        rows.append(QueueRow(event, {"FIELDS": {"ID": entity}}, when, f"{i:032x}"))
    return rows


def baseline(db: Path, rows: list[QueueRow]) -> set[int]:
    """Read every delivery once, keep the newest ts per object, then answer in Python."""
    conn = connect(db)
    newest: dict[tuple[str, str], int] = {}
    for event, entity, ts in conn.execute(
        "SELECT event, entity_id, ts FROM events WHERE origin = 'online' AND status = 'ok'"
    ):
        key = (event, entity)
        if ts > newest.get(key, -1):
            newest[key] = ts
    conn.close()
    found = set()
    for i, row in enumerate(rows):
        least = row.earliest_covering_ts()
        if least is not None and newest.get((row.event, row.object_id or ""), -1) >= least:
            found.add(i)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--stored", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    rng = random.Random(11)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "events.sqlite3"
        stored = fill(db, args.stored, rng)
        rows = queue(stored, args.rows, rng)
        store = RecoveryStore(db)
        ours, base = [], []
        for _ in range(args.rounds):
            t0 = time.perf_counter()
            covered = store.covered(rows)
            ours.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            expected = baseline(db, rows)
            base.append(time.perf_counter() - t0)
        store.close()
    assert covered == expected, "the indexed match and the baseline disagree"
    match, scan = statistics.median(ours), statistics.median(base)
    print(f"{args.rows:,} queue rows vs {len(stored):,} stored deliveries, {args.rounds} rounds")
    print(f"  indexed match (RecoveryStore.covered): {match:.3f} s   (target < 2 s)")
    print(f"  baseline, read all + match in Python:  {scan:.3f} s")
    print(f"  ratio match / baseline: {match / scan:.2f}   covered: {len(covered):,}")


if __name__ == "__main__":
    main()
