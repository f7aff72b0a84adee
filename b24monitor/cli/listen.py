"""`b24monitor listen`: receive deliveries and print them as lines or JSON."""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import replace
from typing import TYPE_CHECKING

from b24monitor.cli.common import Subcommands, data_dir, filter_epilog, parse_filter
from b24monitor.cli.limits import add_limit_flags, store_limits
from b24monitor.cli.tunnel import add_tunnel_flags, tunnel_settings
from b24monitor.core.errors import UsageError
from b24monitor.core.findings import DEFAULT_DELAY_THRESHOLD_S
from b24monitor.core.replay import ROUTES_HELP, parse_routes

if TYPE_CHECKING:
    from collections.abc import Sequence

    from b24monitor.demo import DemoPortal
    from b24monitor.services.session import SessionConfig

    Demo = tuple[DemoPortal, Sequence[str], Sequence[str]]


def register(commands: Subcommands[argparse.ArgumentParser]) -> None:
    p = commands.add_parser(
        "listen",
        help="receive deliveries and print one line per event",
        epilog=filter_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--filter", default="", help="print only events matching this filter")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument("--engine", action="store_true",
                   help="run as the data folder's capture engine for windows to attach to: "
                   "print only where it listens, no events (the window starts this)")  # fmt: skip
    add_listen_flags(p)
    p.set_defaults(func=_run_listen)


def add_listen_flags(p: argparse.ArgumentParser) -> None:
    """The receiver, tunnel, portal and sandbox flags (listen's; `wait --listen` shares them)."""
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=0, help="port to bind (default 0: any free port)")
    add_tunnel_flags(p)
    p.add_argument("--body-limit", type=int, default=1024 * 1024, help="max body bytes (413)")
    p.add_argument("--keep-rows", type=int, default=None, help="retention: keep at most N events")
    p.add_argument("--keep-days", type=float, default=None, help="retention: keep N days")
    p.add_argument("--forward-to", action="append", default=[], metavar="[PATTERN=]URL",
                   help="after acknowledging, POST each event on to your handler (repeatable); "
                   + ROUTES_HELP)  # fmt: skip
    p.add_argument("--delay-threshold", type=_seconds, default=DEFAULT_DELAY_THRESHOLD_S,
                   metavar="S", help="flag deliveries whose queue delay (received − ts) is above "
                   f"S seconds (default {DEFAULT_DELAY_THRESHOLD_S:g})")  # fmt: skip
    p.add_argument("--portal", metavar="NAME", help="profile whose bindings follow this listener")
    p.add_argument("--bind", type=_codes, default=[], metavar="CODE,CODE",
                   help="bind these events online (remembered for the profile)")  # fmt: skip
    p.add_argument("--bind-offline", type=_codes, default=[], metavar="CODE,CODE",
                   help="bind these events to the offline queue")  # fmt: skip
    p.add_argument("--keep-bindings", action="store_true",
                   help="leave this session's online bindings in place on exit")  # fmt: skip
    p.add_argument("--safety-net", action=argparse.BooleanOptionalAction, default=None,
                   help="bind every online event offline too and recover what the handler "
                   "missed (needs an administrator; remembered per profile)")  # fmt: skip
    p.add_argument("--safety-net-interval", type=float, default=30.0, metavar="S",
                   help="seconds between offline-queue sweeps (default 30)")  # fmt: skip
    p.add_argument("--safety-net-grace", type=float, default=10.0, metavar="S",
                   help="queue rows younger than this wait for their live delivery before they "
                   "count as missed (default 10)")  # fmt: skip
    p.add_argument("--canary-interval", type=float, default=60.0, metavar="S",
                   help="seconds between event.test round trips when nothing else arrived "
                   "(default 60; 0 turns the canary off)")  # fmt: skip
    p.add_argument("--authorize", metavar="PORTAL_URL",
                   help="fallback when ONAPPINSTALL does not arrive: print the portal's OAuth "
                   "authorize URL; approving it sends a code back to this listener")  # fmt: skip
    p.add_argument("--sandbox", action="store_true",
                   help="try without a portal: start a simulated one, install, bind, generate "
                   "traffic (events: --bind, default a CRM/tasks mix)")  # fmt: skip
    p.add_argument("--sandbox-rate", type=float, default=1.0, metavar="EV_PER_S",
                   help="sandbox traffic rate (default 1 event/s)")  # fmt: skip
    add_limit_flags(p)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number of seconds")
    return value


def _codes(text: str) -> list[str]:
    codes = [c.strip().upper() for c in text.split(",") if c.strip()]
    if not codes or not all(c.replace("_", "").isalnum() for c in codes):
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of event codes")
    return codes


def _run_listen(args: argparse.Namespace) -> int:
    from b24monitor import headless

    flt = parse_filter(args.filter)
    config, demo = listen_setup(args, engine="engine" if args.engine else "listen")
    printer = headless.LinePrinter(sys.stdout, as_json=args.json)
    return asyncio.run(headless.listen(config, flt, printer, demo=demo, authorize=args.authorize,
                                       news=not args.engine))  # fmt: skip


def listen_setup(
    args: argparse.Namespace, engine: str = "listen"
) -> tuple[SessionConfig, Demo | None]:
    """The session config (and sandbox portal) that the flags of `add_listen_flags` ask for;
    `engine` names this front end in the data dir's engine lock."""
    from b24monitor.services.capture_guard import GuardSettings
    from b24monitor.services.config import build_config

    if args.safety_net_interval < 1 or args.canary_interval < 0:
        raise UsageError("--safety-net-interval must be ≥ 1 s and --canary-interval ≥ 0")
    if args.safety_net is not None and not (args.portal or args.sandbox):
        raise UsageError("--safety-net needs --portal NAME: the offline twins belong to an app")
    config = build_config(
        data_dir(args),
        host=args.host,
        port=args.port,
        body_limit=args.body_limit,
        max_connections=args.max_connections,
        public_url=args.public_url,
        keep_rows=args.keep_rows,
        keep_days=args.keep_days,
        tunnel=tunnel_settings(args),
        portal=args.portal,
        keep_bindings=args.keep_bindings,
        forward=parse_routes(args.forward_to) if args.forward_to else None,
        limits=store_limits(args),
        engine=engine,
        delay_threshold_s=args.delay_threshold,
    )
    config = replace(config, guard=GuardSettings(
        safety_net=args.safety_net,
        safety_net_default=engine == "engine",  # a window's engine: on for app profiles
        safety_net_interval=args.safety_net_interval,
        canary_interval=args.canary_interval,
        grace=max(0.0, args.safety_net_grace),
    ))  # fmt: skip
    if args.authorize and not args.portal:
        raise UsageError("--authorize needs --portal NAME: the code is stored in that profile")
    if args.sandbox and args.portal:
        raise UsageError("--sandbox makes its own portal profile; leave out --portal")
    if (args.bind or args.bind_offline) and not (args.portal or args.sandbox):
        raise UsageError("--bind needs --portal NAME (or --sandbox): bindings belong to an app")
    if args.portal and (args.bind or args.bind_offline):
        _remember(config, args.bind, args.bind_offline)
    demo = None
    if args.sandbox:
        from b24monitor.demo import DEFAULT_EVENTS, DemoPortal

        demo = (DemoPortal(config.data_dir, rate=args.sandbox_rate),
                args.bind or DEFAULT_EVENTS, args.bind_offline)  # fmt: skip
    return config, demo


def _remember(config: SessionConfig, online: list[str], offline: list[str]) -> None:
    """Persist the wanted bindings before anything runs: they are never lost (issue §5)."""
    from b24monitor.core.subscriptions import Subscription
    from b24monitor.services.profiles import ProfileStore
    from b24monitor.services.secrets import open_secret_store
    from b24monitor.services.subscriptions import DesiredStore

    assert config.portal is not None
    ProfileStore(config.data_dir, open_secret_store()).get(config.portal)  # exists?
    desired = DesiredStore(config.data_dir, config.portal)
    for code in online:
        desired.set(Subscription(code, "online"), True)
    for code in offline:
        desired.set(Subscription(code, "offline"), True)
