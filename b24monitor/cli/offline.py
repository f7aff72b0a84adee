"""`b24monitor offline list|consume|clear` and `b24monitor ping`.

The offline queue is read without destroying it: `list` uses event.offline.list, `consume`
reserves rows with clear=0 and clears them after printing (spec §2.6–2.9); only `clear` and a
consume on a plan without rest_offline_extended delete rows outright, and both need --yes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from b24monitor.cli.common import Subcommands, data_dir
from b24monitor.cli.portal import run_with_client
from b24monitor.cli.tunnel import add_tunnel_flags, tunnel_settings

if TYPE_CHECKING:
    from b24monitor.services.offline_queue import OfflineRecord
    from b24monitor.services.portal_client import PortalClient


def register(commands: Subcommands[argparse.ArgumentParser]) -> None:
    p = commands.add_parser("offline", help="the portal's offline event queue")
    sub = p.add_subparsers(dest="offline_command", metavar="ACTION", required=True)
    for name, helptext in (
        ("list", "show queued rows without changing the queue"),
        ("consume", "fetch rows, print them, then clear them (safe: reserve, then clear)"),
        ("clear", "delete queued rows without printing them"),
    ):
        a = sub.add_parser(name, help=helptext)
        a.add_argument("--portal", required=True, metavar="NAME")
        a.add_argument("--json", action="store_true")
        if name != "list":
            a.add_argument("--limit", type=int, default=50, help="rows per round (≤ 1000)")
            a.add_argument("--errors", action="store_true", help="rows flagged as failed")
            a.add_argument("--yes", action="store_true", help="confirm deleting rows outright")
        a.set_defaults(func=_run_offline)

    ping = commands.add_parser("ping", help="event.test round trip: time until ONAPPTEST arrives")
    ping.add_argument("--portal", required=True, metavar="NAME")
    ping.add_argument("--timeout", type=float, default=30.0)
    add_tunnel_flags(ping)
    ping.set_defaults(func=_run_ping)


def _row(r: OfflineRecord) -> dict[str, Any]:
    return {"id": r.id, "event": r.event, "timestamp": r.timestamp, "message_id": r.message_id,
            "user_id": r.user_id, "process_id": r.process_id or None, "error": r.error,
            "data": r.data}  # fmt: skip


def _print_rows(rows: Sequence[OfflineRecord], as_json: bool) -> None:
    for r in rows:
        if as_json:
            print(json.dumps({"type": "offline_row", **_row(r)}, ensure_ascii=False), flush=True)
        else:
            flags = " ERROR" if r.error else ""
            reserved = f" reserved by {r.process_id}" if r.process_id else ""
            print(f"{r.id:>6}  {r.timestamp}  {r.event:32} msg {r.message_id}{flags}{reserved}")


def _run_offline(args: argparse.Namespace) -> int:
    from b24monitor.services.offline_queue import OfflineQueue

    async def work(client: PortalClient) -> int:
        queue = OfflineQueue(client)
        if args.offline_command == "list":
            rows = await queue.list_all()
            _print_rows(rows, args.json)
            if not args.json:
                print(f"{len(rows)} rows queued", file=sys.stderr)
            return 0
        return await _drain(queue, args)

    return run_with_client(args, work)


async def _drain(queue: Any, args: argparse.Namespace) -> int:
    """Consume (print) or clear rows round after round until the queue is empty."""
    printing = args.offline_command == "consume"
    total = 0

    async def handle(rows: Sequence[OfflineRecord]) -> list[str]:
        if printing:
            _print_rows(rows, args.json)
        return []

    while True:
        result = await queue.consume_safely(
            handle, confirm_destructive=args.yes, limit=args.limit, errors=args.errors
        )
        total += len(result.records)
        if len(result.records) < args.limit:
            break
    verb = "consumed" if printing else "cleared"
    print(f"{total} rows {verb}", file=sys.stderr)
    return 0


def _run_ping(args: argparse.Namespace) -> int:
    from b24monitor.services.session import Session, SessionConfig, normalize_public_url

    config = SessionConfig(
        data_dir=data_dir(args),
        public_url=normalize_public_url(args.public_url) if args.public_url else None,
        tunnel=tunnel_settings(args),
        portal=args.portal,
        keep_bindings=True,  # another b24monitor may be using these bindings right now
        follow_bindings=False,  # … so only ONAPPTEST is bound here, and only while pinging
    )

    async def main() -> int:
        session = Session(config)
        await session.start()
        try:
            if config.tunnel_settings().mode != "none":
                state = await session.start_tunnel()
                if state.state != "reachable":
                    print(f"b24monitor: tunnel not reachable: {state.reason}", file=sys.stderr)
                    return 1
            assert session.portal is not None
            seconds = await session.portal.ping_once(session.handler_url, within=args.timeout)
        finally:
            await session.stop()
        print(f"ONAPPTEST arrived {seconds * 1000:.0f} ms after event.test")
        return 0

    return asyncio.run(main())
