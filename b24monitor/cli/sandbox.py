"""`b24monitor sandbox`: run the simulated Bitrix24 portal."""

from __future__ import annotations

import argparse

from b24monitor.cli.common import Subcommands


def register(commands: Subcommands[argparse.ArgumentParser]) -> None:
    p = commands.add_parser(
        "sandbox", help="run a simulated Bitrix24 portal on this machine (try without a portal)"
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="portal port (default: any free port)")
    p.add_argument("--oauth-port", type=int, default=0, help="OAuth server port")
    p.add_argument(
        "--traffic", type=float, default=None, metavar="RATE",
        help="generate about RATE events/s for the events that are bound",
    )  # fmt: skip
    p.add_argument("--install", metavar="HANDLER_URL", help="install the app at once here")
    p.add_argument(
        "--save-app", metavar="HANDLER_URL",
        help="act as the administrator saving the local app with this URL as its handler and "
        "installation path: ONAPPINSTALL is sent at once, as Bitrix24 does (spec §1.1)",
    )  # fmt: skip
    p.add_argument("--client-id", help="fixed client_id (default: generated)")
    p.add_argument("--client-secret", help="fixed client_secret (default: generated)")
    p.add_argument("--seed", type=int, default=None, help="make the generated traffic repeatable")
    p.add_argument("--no-rate-limit", action="store_true", help="turn off the 2 req/s limit")
    p.add_argument(
        "--self-hosted", metavar="LANG", default="",
        help="act as a self-hosted portal: feature.get says LANG_selfhosted, no rate limit",
    )  # fmt: skip
    p.add_argument(
        "--check-handler-host", action="store_true",
        help="event.bind refuses handlers on another host than the app's saved URL",
    )  # fmt: skip
    p.set_defaults(func=_run_sandbox)


def _run_sandbox(args: argparse.Namespace) -> int:
    from b24monitor.headless import run_until_signal
    from b24monitor.sandbox import run_sandbox

    def out(line: str) -> None:
        print(line, flush=True)

    return run_until_signal(
        run_sandbox(
            args.host,
            args.port,
            traffic_rate=args.traffic,
            oauth_port=args.oauth_port,
            client_id=args.client_id,
            client_secret=args.client_secret,
            seed=args.seed,
            rate_limit=not args.no_rate_limit,
            install_url=args.install,
            save_app_url=args.save_app,
            out=out,
            self_hosted=args.self_hosted,
            check_handler_host=args.check_handler_host,
        )
    )
