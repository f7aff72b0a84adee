"""`b24monitor listen`: receive deliveries and print them as lines or JSON."""

from __future__ import annotations

import argparse
import asyncio
import sys

from b24monitor.cli.common import Subcommands, data_dir, filter_epilog, parse_filter
from b24monitor.cli.tunnel import add_tunnel_flags, tunnel_settings
from b24monitor.core.errors import UsageError


def register(commands: Subcommands[argparse.ArgumentParser]) -> None:
    p = commands.add_parser(
        "listen",
        help="receive deliveries and print one line per event",
        epilog=filter_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=0, help="port to bind (default 0: any free port)")
    add_tunnel_flags(p)
    p.add_argument("--filter", default="", help="print only events matching this filter")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument("--body-limit", type=int, default=1024 * 1024, help="max body bytes (413)")
    p.add_argument("--keep-rows", type=int, default=None, help="retention: keep at most N events")
    p.add_argument("--keep-days", type=float, default=None, help="retention: keep N days")
    p.set_defaults(func=_run_listen)


def _run_listen(args: argparse.Namespace) -> int:
    from b24monitor import headless
    from b24monitor.services.receiver import ReceiverSettings
    from b24monitor.services.session import SessionConfig, normalize_public_url
    from b24monitor.services.writer import Retention

    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port {args.port} is not a port number (0–65535)")
    if args.body_limit < 1024:
        raise UsageError("--body-limit must be at least 1024 bytes")
    flt = parse_filter(args.filter)
    config = SessionConfig(
        data_dir=data_dir(args),
        receiver=ReceiverSettings(host=args.host, port=args.port, body_limit=args.body_limit),
        public_url=normalize_public_url(args.public_url) if args.public_url else None,
        retention=Retention(
            max_rows=args.keep_rows,
            max_age_s=args.keep_days * 86400 if args.keep_days is not None else None,
        ),
        tunnel=tunnel_settings(args),
    )
    printer = headless.LinePrinter(sys.stdout, as_json=args.json)
    return asyncio.run(headless.listen(config, flt, printer))
