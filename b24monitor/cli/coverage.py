"""`b24monitor coverage`: when the capture path was covered, the gaps, and what each recovered."""

from __future__ import annotations

import argparse
import json
import time
from datetime import datetime

from b24monitor.cli.common import Subcommands, data_dir
from b24monitor.core.coverage import Interval, timeline
from b24monitor.core.errors import FilterSyntaxError, UsageError
from b24monitor.core.export import iso_utc
from b24monitor.core.filter_fields import moment


def register(commands: Subcommands[argparse.ArgumentParser]) -> None:
    p = commands.add_parser(
        "coverage",
        help="when the capture path was covered, the gaps, and what was recovered per gap",
        description="Covered = receiver up, public URL proven, bindings in place and the canary "
        "not broken (recorded by `listen --portal NAME`). Events recovered by the safety net "
        "are counted under the gap they happened in.",
    )
    p.add_argument("--since", default="-1d", metavar="WHEN",
                   help="a date, time or age such as -2h (default -1d)")  # fmt: skip
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from b24monitor.services.guard_store import GuardStore
    from b24monitor.services.session import DB_NAME

    now = time.time()
    try:
        since = moment(args.since, now)
    except FilterSyntaxError as exc:
        raise UsageError(f"--since: {exc.message}") from None
    path = data_dir(args) / DB_NAME
    if not path.exists():
        raise UsageError(f"no event database at {path}: run `b24monitor listen` first")
    store = GuardStore(path)
    try:
        lines = timeline(store.stretches(since), store.recovered_between, now=now, since=since)
    finally:
        store.close()
    for line in lines:
        print(json.dumps(_record(line), ensure_ascii=False) if args.json else _text(line, now))
    if not lines:
        print("nothing recorded yet: coverage is recorded while `listen --portal NAME` runs")
    return 0


def _record(i: Interval) -> dict[str, object]:
    return {"type": "covered" if i.covered else "gap", "from": iso_utc(i.start),
            "to": None if i.end is None else iso_utc(i.end), "reason": i.reason,
            "recovered": i.recovered}  # fmt: skip


def _text(i: Interval, now: float) -> str:
    end = now if i.end is None else i.end
    span = f"{_clock(i.start)} → {'now' if i.end is None else _clock(end)}"
    line = f"{'covered' if i.covered else 'GAP    '}  {span}  ({_duration(end - i.start)})"
    if not i.covered:
        line += f"  {i.reason} — {i.recovered} recovered"
    return line


def _clock(unix: float) -> str:
    return datetime.fromtimestamp(unix).strftime("%Y-%m-%d %H:%M:%S")


def _duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"
