"""`b24monitor tunnel`: the public route's flags, `tunnel check` and `tunnel authtoken`."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from b24monitor.cli.common import Subcommands, data_dir
from b24monitor.core.errors import UsageError

if TYPE_CHECKING:
    from b24monitor.services.tunnel import TunnelSettings


def add_tunnel_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--public-url", help="your own public base URL that reaches this receiver")
    p.add_argument(
        "--tunnel",
        choices=("ngrok", "none"),
        default=None,
        help="public route (default: ngrok when an ngrok authtoken is configured, else none)",
    )
    p.add_argument(
        "--ngrok-domain",
        help="an ngrok domain of yours (paid plans); the free plan's dev domain is used by "
        "default and already stays the same across restarts",
    )
    p.add_argument(
        "--ngrok-region",
        help="deprecated, rarely useful: the ngrok agent picks the nearest region by itself",
    )
    p.add_argument(
        "--ngrok-path",
        type=Path,
        default=None,
        help="the ngrok agent executable to use (env B24MONITOR_NGROK_PATH); "
        "default: downloaded on first use",
    )


def register(commands: Subcommands[argparse.ArgumentParser]) -> None:
    p = commands.add_parser("tunnel", help="set up and check the public route to the receiver")
    sub = p.add_subparsers(dest="tunnel_command", metavar="ACTION", required=True)
    check = sub.add_parser("check", help="start the tunnel, probe it, print the result, stop")
    add_tunnel_flags(check)
    check.add_argument("--json", action="store_true", help="JSON lines instead of text")
    check.set_defaults(func=_run_tunnel_check)
    token = sub.add_parser("authtoken", help="store your ngrok authtoken (keyring or 0600 file)")
    token.add_argument("token", help="from https://dashboard.ngrok.com/get-started/your-authtoken")
    token.set_defaults(func=_run_tunnel_authtoken)


NGROK_SECRET_KEY = "@ngrok"  # the secret store's entry for the ngrok authtoken
REGION_WARNING = (
    "warning: --ngrok-region is deprecated in b24monitor and rarely useful: the ngrok agent "
    "picks the nearest region by itself and the endpoint is reachable worldwide either way "
    "(it is still passed on to the agent for now)"
)


def tunnel_settings(args: argparse.Namespace) -> TunnelSettings:
    import os

    from b24monitor.services.secrets import open_secret_store
    from b24monitor.services.tunnel import AUTHTOKEN_ENV, Mode, TunnelSettings

    if args.public_url and args.tunnel == "ngrok":
        raise UsageError("--public-url and --tunnel ngrok exclude each other; choose one")
    authtoken = os.environ.get(AUTHTOKEN_ENV) or open_secret_store().load(NGROK_SECRET_KEY).get(
        "authtoken"
    )
    mode: Mode = args.tunnel or ("ngrok" if authtoken and not args.public_url else "none")
    if args.ngrok_region:
        print(REGION_WARNING, file=sys.stderr, flush=True)
    return TunnelSettings(
        mode=mode,
        authtoken=authtoken,
        domain=args.ngrok_domain,
        region=args.ngrok_region,
        ngrok_path=args.ngrok_path,
    )


def _run_tunnel_check(args: argparse.Namespace) -> int:
    from b24monitor import headless
    from b24monitor.services.session import SessionConfig, normalize_public_url

    settings = tunnel_settings(args)
    if settings.mode == "none" and not args.public_url:
        raise UsageError(
            "nothing to check: pass --tunnel ngrok (with an authtoken stored by "
            "`b24monitor tunnel authtoken TOKEN` or in NGROK_AUTHTOKEN) or --public-url URL"
        )
    config = SessionConfig(
        data_dir=data_dir(args),
        public_url=normalize_public_url(args.public_url) if args.public_url else None,
        tunnel=settings,
        engine=None,  # a few seconds' probe that moves no bindings: a running engine is fine
    )
    printer = headless.LinePrinter(sys.stdout, as_json=args.json)
    return asyncio.run(headless.tunnel_check(config, printer))


def _run_tunnel_authtoken(args: argparse.Namespace) -> int:
    from b24monitor.services.secrets import open_secret_store

    token = args.token.strip()
    if not token:
        raise UsageError("the ngrok authtoken is empty")
    open_secret_store().save(NGROK_SECRET_KEY, {"authtoken": token})
    print("ngrok authtoken stored; `b24monitor listen` now opens an ngrok tunnel by default")
    return 0
