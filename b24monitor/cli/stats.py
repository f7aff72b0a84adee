"""`b24monitor stats`: per event code — count, rate, queue delay, share of ✖, handler figures."""

from __future__ import annotations

import argparse
import json
import sys
import time

from b24monitor.cli.common import Subcommands, data_dir, filter_epilog, parse_filter
from b24monitor.core.errors import UsageError


def register(commands: Subcommands[argparse.ArgumentParser]) -> None:
    p = commands.add_parser(
        "stats",
        help="per event code: count, rate, queue delay p50/p95/max, share of ✖, handler times",
        epilog=filter_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--since",
        metavar="WHEN",
        help="only events received since then: an age (15m, 2h, 3d) or a date/time",
    )
    p.add_argument("--filter", default="", help="only events matching this filter")
    p.add_argument("--json", action="store_true", help="one JSON object per event code")
    p.set_defaults(func=_run_stats)  # fmt: skip


def _run_stats(args: argparse.Namespace) -> int:
    from b24monitor.services.session import DB_NAME
    from b24monitor.services.stats import format_row, traffic_stats
    from b24monitor.services.store import connect

    now = time.time()
    expression = args.filter
    if args.since:
        expression = f"since:{args.since} ({expression})" if expression else f"since:{args.since}"
    where, params = parse_filter(expression).to_sql(now=now)
    db_path = data_dir(args) / DB_NAME
    if not db_path.exists():
        raise UsageError(f"no events stored yet in {db_path.parent}; run `b24monitor listen` first")
    period = now - _since(args.since, now) if args.since else None
    conn = connect(db_path, readonly=True)
    try:
        stats = traffic_stats(conn, where, params, period_s=period)
    finally:
        conn.close()
    if args.json:
        for s in stats:
            print(json.dumps(s.record(), ensure_ascii=False))
    else:
        _print_table([format_row(s) for s in stats])
    return 0


def _since(when: str, now: float) -> float:
    """The moment --since names (the filter language's since: reads it): rates run from it."""
    _, params = parse_filter(f"since:{when}").to_sql(now=now)
    start = params[0]
    assert isinstance(start, float | int)
    return float(start)


def _print_table(rows: list[tuple[str, ...]]) -> None:
    from b24monitor.services.stats import HEADER as _HEADER

    if not rows:
        print("no events match", file=sys.stderr)
        return
    widths = [max(len(r[i]) for r in [_HEADER, *rows]) for i in range(len(_HEADER))]
    for row in [_HEADER, *rows]:
        rest = zip(row[1:], widths[1:], strict=True)
        cells = [row[0].ljust(widths[0])] + [cell.rjust(width) for cell, width in rest]
        print("  ".join(cells))
