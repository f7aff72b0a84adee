"""`b24monitor wait`: block until a running `listen` stores N matching events; for scripts and CI.

Prints each match as the same JSON line `listen --json` prints, exits 0 once `--count` matched,
or 1 with one sentence when `--timeout` passes first. With `--listen` it runs its own receiver
(listen's flags and setup, headless.listen) instead of watching another process's data dir; its
own news (handler URL, tunnel, alerts) goes to stderr so stdout holds only the matches.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from typing import TYPE_CHECKING

from b24monitor.cli.common import Subcommands, data_dir, filter_epilog, parse_filter
from b24monitor.cli.listen import add_listen_flags, listen_setup
from b24monitor.core.errors import UsageError

if TYPE_CHECKING:
    from b24monitor.core.filters import Filter
    from b24monitor.core.model import CapturedEvent


def register(commands: Subcommands[argparse.ArgumentParser]) -> None:
    p = commands.add_parser(
        "wait",
        help="wait until a running listen stores events matching a filter (scripts, CI)",
        epilog=filter_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--filter", default="", help="events to wait for (default: any)")
    p.add_argument("--count", type=int, default=1, metavar="N", help="how many (default 1)")
    p.add_argument(
        "--timeout",
        type=float,
        default=60.0,
        metavar="S",
        help="give up after S seconds, exit 1 (default 60)",
    )
    p.add_argument(
        "--since",
        default="now",
        metavar="now|ID",
        help="count events stored from now on (default) or from event ID on",
    )
    p.add_argument(
        "--listen",
        action="store_true",
        help="run a receiver here instead of watching a running `b24monitor listen`; "
        "the flags after this one are listen's and need it",
    )
    add_listen_flags(p)
    probe = argparse.ArgumentParser(add_help=False)
    add_listen_flags(probe)
    p.set_defaults(func=_run_wait, listen_defaults=vars(probe.parse_args([])))


def _run_wait(args: argparse.Namespace) -> int:
    from b24monitor.services.session import DB_NAME
    from b24monitor.services.watch import POLL_S, StoreWatcher, wait_for_database

    if args.count < 1:
        raise UsageError("--count must be 1 or more")
    since = _since(args.since)
    flt = parse_filter(args.filter)
    deadline = time.monotonic() + args.timeout
    if args.listen:
        if since is not None:
            raise UsageError("--since ID reads a store; with --listen only events received from "
                             "now on count")  # fmt: skip
        return asyncio.run(_wait_listening(args, flt, deadline))
    changed = [k for k, v in args.listen_defaults.items() if getattr(args, k) != v]
    if changed:
        flag = "--" + changed[0].replace("_", "-")
        raise UsageError(f"{flag} is a receiver flag: add --listen to run a receiver here")
    db_path = data_dir(args) / DB_NAME
    if not wait_for_database(db_path, deadline):
        return _timed_out(args, 0, f"nothing was ever stored in {db_path.parent}")
    where, params = flt.to_sql(now=time.time())
    watcher = StoreWatcher(db_path, where, params)
    try:
        watcher.after_id = watcher.newest_id() if since is None else since - 1
        matched = 0
        while matched < args.count:
            for ev in watcher.poll()[: args.count - matched]:
                print(json.dumps(_line(ev), ensure_ascii=False), flush=True)
                matched += 1
            if matched >= args.count:
                break
            if time.monotonic() >= deadline:
                return _timed_out(args, matched)
            time.sleep(POLL_S)
    finally:
        watcher.close()
    return 0


async def _wait_listening(args: argparse.Namespace, flt: Filter, deadline: float) -> int:
    """Run a receiver (as `listen` does) until --count events matched or the deadline."""
    from b24monitor import headless

    config, demo = listen_setup(args)
    stop = asyncio.Event()
    matched = 0

    def take(events: list[CapturedEvent]) -> None:
        nonlocal matched
        for ev in events[: max(0, args.count - matched)]:
            print(json.dumps(headless.event_line(ev), ensure_ascii=False), flush=True)
            matched += 1
        if matched >= args.count:
            stop.set()

    timer = asyncio.get_running_loop().call_later(max(0.0, deadline - time.monotonic()), stop.set)
    try:
        news = headless.LinePrinter(sys.stderr, as_json=False)  # stdout: the matches only
        await headless.listen(config, flt, news, demo=demo, authorize=args.authorize,
                              sink=take, stop=stop)  # fmt: skip
    finally:
        timer.cancel()
    if matched < args.count:
        return _timed_out(args, matched, listening=True)
    return 0


def _since(text: str) -> int | None:
    if text == "now":
        return None
    digits = text.removeprefix("#")
    if not digits.isdigit() or int(digits) < 1:
        raise UsageError(f"--since {text!r} must be now or an event id")
    return int(digits)


def _line(ev: CapturedEvent) -> dict[str, object]:
    """The same line `listen --json` prints for an event."""
    from b24monitor.headless import event_line

    return event_line(ev)


def _timed_out(
    args: argparse.Namespace, matched: int, why: str = "", *, listening: bool = False
) -> int:
    what = f"'{args.filter}'" if args.filter else "any filter"
    hint = ("is the portal sending to the handler URL above?" if listening
            else "is `b24monitor listen` running on this data dir?")  # fmt: skip
    print(f"b24monitor: {matched} of {args.count} events matching {what} arrived within "
          f"{args.timeout:g} s{'; ' + why if why else ''}; {hint}", file=sys.stderr)  # fmt: skip
    return 1
