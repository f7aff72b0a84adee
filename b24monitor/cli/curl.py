"""`b24monitor curl`: print one stored event as a curl command that re-sends its exact body."""

from __future__ import annotations

import argparse

from b24monitor.cli.common import Subcommands, event_id, load_events, open_store
from b24monitor.cli.replay import FORWARD_TO_ENV, target_url


def register(commands: Subcommands[argparse.ArgumentParser]) -> None:
    from b24monitor.core.curl import DEFAULT_TARGET

    p = commands.add_parser(
        "curl",
        help="print a stored event as a curl command (copy as curl)",
        description="Print a POSIX shell command that POSTs the event's body, byte for byte, "
        "with its content type. Tokens are masked unless --reveal-secrets is given, so a "
        "masked command fails your handler's token check.",
    )
    p.add_argument("id", type=event_id, metavar="ID", help="stored event id")
    p.add_argument(
        "--to", metavar="URL",
        help=f"target URL (default: ${FORWARD_TO_ENV}, else {DEFAULT_TARGET})",
    )  # fmt: skip
    p.add_argument("--reveal-secrets", action="store_true", help="keep the tokens in clear")
    p.set_defaults(func=_run_curl)


def _run_curl(args: argparse.Namespace) -> int:
    from b24monitor.core.curl import DEFAULT_TARGET, curl_command

    target = target_url(args.to, fallback=DEFAULT_TARGET)
    store = open_store(args)
    try:
        (ev,) = load_events(store, [args.id])
    finally:
        store.close()
    print(curl_command(ev, target, reveal_secrets=args.reveal_secrets))
    return 0
