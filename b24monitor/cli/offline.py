"""`b24monitor offline list|consume|clear` and `b24monitor ping`.

The offline queue is read without destroying it: `list` uses event.offline.list, `consume`
reserves rows with clear=0 and clears them after printing (spec §2.6–2.9); only `clear` and a
consume on a plan without rest_offline_extended delete rows outright, and both need --yes.
`consume --to URL` hands each row to the developer's handler (services/offline_sender.py): a 2xx
answer clears the row, anything else flags it (spec §2.9), and the handler's answer is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from b24monitor.cli.common import Subcommands, data_dir
from b24monitor.cli.portal import profile_store, run_with_client
from b24monitor.cli.tunnel import add_tunnel_flags, tunnel_settings
from b24monitor.core.errors import DestructiveReadRefused, UsageError

if TYPE_CHECKING:
    from b24monitor.services.offline_queue import OfflineRecord
    from b24monitor.services.offline_sender import SendOutcome
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
        if name == "consume":
            a.add_argument(
                "--to", metavar="URL",
                help="POST each row to your handler (form body like an event delivery); 2xx "
                "clears the row, any other answer flags it; exit code 1 if any row failed",
            )  # fmt: skip
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

    target = getattr(args, "to", None)
    if target is not None and not target.startswith(("http://", "https://")):
        raise UsageError(f"--to {target!r} must be your handler's http:// or https:// URL")

    async def work(client: PortalClient) -> int:
        queue = OfflineQueue(client)
        if args.offline_command == "list":
            rows = await queue.list_all()
            _print_rows(rows, args.json)
            if not args.json:
                print(f"{len(rows)} rows queued", file=sys.stderr)
            return 0
        if target is not None:
            return await _send_to_handler(queue, client, args, target)
        return await _drain(queue, args)

    return run_with_client(args, work)


async def _drain(queue: Any, args: argparse.Namespace) -> int:
    """Consume (print) or clear rows round after round until the queue is empty."""
    printing = args.offline_command == "consume"

    async def handle(rows: Sequence[OfflineRecord]) -> list[str]:
        if printing:
            _print_rows(rows, args.json)
        return []

    total = await _rounds(queue, args, handle)
    verb = "consumed" if printing else "cleared"
    print(f"{total} rows {verb}", file=sys.stderr)
    return 0


async def _rounds(queue: Any, args: argparse.Namespace, handle: Any) -> int:
    """Run consume rounds until the queue is drained; returns how many rows were handled.

    --errors also retries flagged rows that failed again and are still reserved (spec §2.9
    errata; services/offline_reprocess.py).
    """
    if args.errors:
        from b24monitor.services.offline_reprocess import HeldReservations, reprocess_flagged

        held = HeldReservations(data_dir(args), args.portal)
        results = await reprocess_flagged(
            queue, held, handle, limit=args.limit, confirm_destructive=args.yes
        )
        return sum(len(r.records) for r in results)
    total = 0
    while True:
        result = await queue.consume_safely(handle, confirm_destructive=args.yes, limit=args.limit)
        total += len(result.records)
        if len(result.records) < args.limit:
            return total


async def _send_to_handler(
    queue: Any, client: PortalClient, args: argparse.Namespace, target: str
) -> int:
    """consume --to: every row goes to the handler; 2xx → cleared, else flagged (spec §2.9)."""
    from b24monitor.services.offline_sender import OfflineSender

    outcomes: list[SendOutcome] = []

    def show(outcome: SendOutcome) -> None:
        outcomes.append(outcome)
        _print_outcome(outcome, args)

    profile = profile_store(args).get(args.portal)
    sender = OfflineSender(client.http, target, profile=profile, on_outcome=show)
    # A refused row must stay in the queue, so --to never reads destructively (--yes ignored).
    args.yes = False
    try:
        await _rounds(queue, args, sender.handler())
    except DestructiveReadRefused:
        raise DestructiveReadRefused(
            "this plan cannot reserve offline rows (no rest_offline_extended), so a row your "
            "handler refuses could not be kept: --to needs reservations; run `offline consume` "
            "without --to to read rows and delete them."
        ) from None
    failed = sum(1 for o in outcomes if not o.ok)
    print(f"{len(outcomes)} rows sent to {target}: {len(outcomes) - failed} cleared, "
          f"{failed} failed and flagged", file=sys.stderr)  # fmt: skip
    return 1 if failed else 0


def _print_outcome(outcome: SendOutcome, args: argparse.Namespace) -> None:
    r = outcome.record
    if args.json:
        line = {"type": "offline_sent", "message_id": r.message_id, "event": r.event,
                "status": outcome.status, "reason": outcome.reason or None, "ok": outcome.ok,
                "cleared": outcome.ok}  # fmt: skip
        print(json.dumps(line, ensure_ascii=False), flush=True)
        return
    if outcome.ok:
        verdict = "cleared"
    elif args.errors:  # flagged already: it stays reserved and flagged (spec §2.9 errata)
        verdict = "failed again, stays in the queue flagged (the next --errors retries it)"
    else:
        verdict = "failed, flagged (retry with --errors)"
    mark = "✔" if outcome.ok else "✖"
    print(f"{mark} {outcome.answer:10} {r.event:32} msg {r.message_id}  {verdict}", flush=True)


def _run_ping(args: argparse.Namespace) -> int:
    from b24monitor.services.session import Session, SessionConfig, normalize_public_url

    config = SessionConfig(
        data_dir=data_dir(args),
        public_url=normalize_public_url(args.public_url) if args.public_url else None,
        tunnel=tunnel_settings(args),
        portal=args.portal,
        keep_bindings=True,  # another b24monitor may be using these bindings right now
        follow_bindings=False,  # … so only ONAPPTEST is bound here, and only while pinging
        engine=None,  # a one-off beside the data dir's engine, not a second engine
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
