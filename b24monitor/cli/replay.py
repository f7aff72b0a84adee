"""`b24monitor replay`: send stored events to a handler again (as recorded, token-stripped, edited).

Also home of what the stored-event commands (replay, curl, fixtures, diff) share: event ids on the
command line, opening the database, and the target from --to or $B24MONITOR_FORWARD_TO.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from b24monitor.cli.common import Subcommands, event_id, load_events, open_store
from b24monitor.core.errors import B24MonitorError, UsageError

if TYPE_CHECKING:
    from b24monitor.core.replay import OutgoingRequest
    from b24monitor.services.attempts_store import AttemptStore

FORWARD_TO_ENV = "B24MONITOR_FORWARD_TO"


def target_url(given: str | None, *, fallback: str | None = None) -> str:
    """--to, else $B24MONITOR_FORWARD_TO, else `fallback`; a usage error when there is none."""
    from b24monitor.core.replay import check_url

    url = given or os.environ.get(FORWARD_TO_ENV) or fallback
    if not url:
        raise UsageError(f"no target URL: pass --to URL or set {FORWARD_TO_ENV}")
    return check_url(url, "--to")


def register(commands: Subcommands[argparse.ArgumentParser]) -> None:
    p = commands.add_parser(
        "replay",
        help="send stored events to your handler again (as recorded, token-stripped or edited)",
        description="POST stored events to a handler again and record each attempt. The "
        "handler gets the original body and content type plus X-B24Monitor-Event-Id and "
        "X-B24Monitor-Replay (the variant). Exit code 1 when the target cannot be reached.",
    )
    p.add_argument("ids", nargs="+", type=event_id, metavar="ID", help="stored event id(s)")
    p.add_argument(
        "--to", metavar="URL",
        help=f"the handler URL (required unless ${FORWARD_TO_ENV} is set)",
    )  # fmt: skip
    p.add_argument(
        "--strip-token", action="store_true",
        help="leave out auth[application_token] (tests your handler's rejection path)",
    )  # fmt: skip
    p.add_argument(
        "--set", action="append", default=[], metavar="PATH=VALUE", dest="edits",
        help="edit a decoded field first (data.FIELDS.ID=5, data.UF[0]=2); re-encoded PHP-style",
    )  # fmt: skip
    p.add_argument("--body-file", type=Path, help="send this file's bytes as the body instead")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for an answer")
    p.set_defaults(func=_run_replay)


def _run_replay(args: argparse.Namespace) -> int:
    from b24monitor.core.replay import replay_request

    target = target_url(args.to)
    if args.edits and args.body_file:
        raise UsageError("--set and --body-file both replace the body; give one of them")
    body = _read_body_file(args.body_file) if args.body_file else None
    store = open_store(args)
    try:
        events = load_events(store, args.ids)
        requests = [
            replay_request(ev, strip_token=args.strip_token, edits=args.edits, body=body)
            for ev in events
        ]
        return asyncio.run(_send_all(store, requests, target, args.timeout))
    finally:
        store.close()


def _read_body_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read --body-file {path}: {exc.strerror or exc}") from None


async def _send_all(
    store: AttemptStore, requests: Sequence[OutgoingRequest], target: str, timeout_s: float
) -> int:
    import httpx

    from b24monitor.core.replay import format_attempt_line
    from b24monitor.services.forwarder import post_event

    async with httpx.AsyncClient() as http:
        for request in requests:
            replay_of = await asyncio.to_thread(store.last_attempt_id, request.event_id)
            attempt = await post_event(
                http, request, target, kind="replay", timeout_s=timeout_s, replay_of=replay_of
            )
            await asyncio.to_thread(store.add_attempts, [attempt])
            print(format_attempt_line(attempt), flush=True)
            if not attempt.answered:
                # The next events would fail the same way; say it once and stop.
                raise B24MonitorError(attempt.error or f"{target} did not answer")
    return 0
