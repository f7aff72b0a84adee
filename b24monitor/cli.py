"""Command-line entry point: parses arguments, runs a headless command or opens the GUI.

Exit codes: 0 ok, 2 usage error, 1 failure with one clear sentence on stderr (a traceback only
with --debug). The GUI is imported lazily, so headless commands never load Qt.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from b24monitor import __version__
from b24monitor.core.errors import B24MonitorError, FilterSyntaxError, UsageError

Command = Callable[[argparse.Namespace], int]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="b24monitor",
        description="Receive, decode, verify and store Bitrix24 REST event deliveries. "
        "With no command, opens the desktop app.",
    )
    parser.add_argument("--version", action="version", version=f"b24monitor {__version__}")
    parser.add_argument(
        "--data-dir", type=Path, default=None,
        help="where the database and settings live (env B24MONITOR_DATA_DIR)",
    )  # fmt: skip
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_listen(commands)
    _add_export(commands)
    _add_tunnel(commands)
    _add_sandbox(commands)
    return parser


def _add_sandbox(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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
    p.add_argument("--client-id", help="fixed client_id (default: generated)")
    p.add_argument("--client-secret", help="fixed client_secret (default: generated)")
    p.add_argument("--seed", type=int, default=None, help="make the generated traffic repeatable")
    p.add_argument("--no-rate-limit", action="store_true", help="turn off the 2 req/s limit")
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
            out=out,
        )
    )


def _filter_epilog() -> str:
    from b24monitor.core.filters import help_text

    return help_text()


def _add_listen(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = commands.add_parser(
        "listen",
        help="receive deliveries and print one line per event",
        epilog=_filter_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=0, help="port to bind (default 0: any free port)")
    _add_tunnel_flags(p)
    p.add_argument("--filter", default="", help="print only events matching this filter")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument("--body-limit", type=int, default=1024 * 1024, help="max body bytes (413)")
    p.add_argument("--keep-rows", type=int, default=None, help="retention: keep at most N events")
    p.add_argument("--keep-days", type=float, default=None, help="retention: keep N days")
    p.set_defaults(func=_run_listen)


def _add_tunnel_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--public-url", help="your own public base URL that reaches this receiver")
    p.add_argument(
        "--tunnel",
        choices=("ngrok", "none"),
        default=None,
        help="public route (default: ngrok when an ngrok authtoken is configured, else none)",
    )
    p.add_argument("--ngrok-domain", help="your reserved/static ngrok domain (stable URL)")
    p.add_argument("--ngrok-region", help="ngrok region, e.g. eu, us, ap")
    p.add_argument(
        "--ngrok-path",
        type=Path,
        default=None,
        help="the ngrok agent executable to use (env B24MONITOR_NGROK_PATH); "
        "default: downloaded on first use",
    )


def _add_tunnel(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = commands.add_parser("tunnel", help="set up and check the public route to the receiver")
    sub = p.add_subparsers(dest="tunnel_command", metavar="ACTION", required=True)
    check = sub.add_parser("check", help="start the tunnel, probe it, print the result, stop")
    _add_tunnel_flags(check)
    check.add_argument("--json", action="store_true", help="JSON lines instead of text")
    check.set_defaults(func=_run_tunnel_check)
    token = sub.add_parser("authtoken", help="store your ngrok authtoken (keyring or 0600 file)")
    token.add_argument("token", help="from https://dashboard.ngrok.com/get-started/your-authtoken")
    token.set_defaults(func=_run_tunnel_authtoken)


def _add_export(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from b24monitor.core.export import format_names

    p = commands.add_parser(
        "export",
        help="write stored events as jsonl, json, csv or har",
        epilog=_filter_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--format", choices=format_names(), default="jsonl")
    p.add_argument("--filter", default="", help="export only events matching this filter")
    p.add_argument("--output", "-o", default="-", help="file to write, or - for stdout")
    p.add_argument("--reveal-secrets", action="store_true", help="do not mask tokens")
    p.set_defaults(func=_run_export)


def _data_dir(args: argparse.Namespace) -> Path:
    from b24monitor.services.session import default_data_dir

    return Path(args.data_dir).expanduser() if args.data_dir else default_data_dir()


def _parse_filter(expression: str):  # type: ignore[no-untyped-def]
    from b24monitor.core.filters import parse

    try:
        return parse(expression)
    except FilterSyntaxError as exc:
        pointer = " " * (exc.column - 1) + "^"
        raise UsageError(f"{exc}\n  {expression}\n  {pointer}") from None


def _run_listen(args: argparse.Namespace) -> int:
    from b24monitor import headless
    from b24monitor.services.receiver import ReceiverSettings
    from b24monitor.services.session import SessionConfig, normalize_public_url
    from b24monitor.services.writer import Retention

    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port {args.port} is not a port number (0–65535)")
    if args.body_limit < 1024:
        raise UsageError("--body-limit must be at least 1024 bytes")
    flt = _parse_filter(args.filter)
    config = SessionConfig(
        data_dir=_data_dir(args),
        receiver=ReceiverSettings(host=args.host, port=args.port, body_limit=args.body_limit),
        public_url=normalize_public_url(args.public_url) if args.public_url else None,
        retention=Retention(
            max_rows=args.keep_rows,
            max_age_s=args.keep_days * 86400 if args.keep_days is not None else None,
        ),
        tunnel=_tunnel_settings(args),
    )
    printer = headless.LinePrinter(sys.stdout, as_json=args.json)
    return asyncio.run(headless.listen(config, flt, printer))


NGROK_SECRET_KEY = "@ngrok"  # the secret store's entry for the ngrok authtoken


def _tunnel_settings(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    import os

    from b24monitor.services.secrets import open_secret_store
    from b24monitor.services.tunnel import AUTHTOKEN_ENV, Mode, TunnelSettings

    if args.public_url and args.tunnel == "ngrok":
        raise UsageError("--public-url and --tunnel ngrok exclude each other; choose one")
    authtoken = os.environ.get(AUTHTOKEN_ENV) or open_secret_store().load(NGROK_SECRET_KEY).get(
        "authtoken"
    )
    mode: Mode = args.tunnel or ("ngrok" if authtoken and not args.public_url else "none")
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

    settings = _tunnel_settings(args)
    if settings.mode == "none" and not args.public_url:
        raise UsageError(
            "nothing to check: pass --tunnel ngrok (with an authtoken stored by "
            "`b24monitor tunnel authtoken TOKEN` or in NGROK_AUTHTOKEN) or --public-url URL"
        )
    config = SessionConfig(
        data_dir=_data_dir(args),
        public_url=normalize_public_url(args.public_url) if args.public_url else None,
        tunnel=settings,
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


def _run_export(args: argparse.Namespace) -> int:
    import time

    from b24monitor.core.export import export_events
    from b24monitor.services.session import DB_NAME
    from b24monitor.services.store import EventStore

    flt = _parse_filter(args.filter)
    db_path = _data_dir(args) / DB_NAME
    if not db_path.exists():
        raise UsageError(f"no events stored yet in {db_path.parent}; run `b24monitor listen` first")
    store = EventStore(db_path)
    where, params = flt.to_sql(now=time.time())
    try:
        if args.output == "-":
            count = export_events(
                store.iter_events(where, params),
                sys.stdout,
                args.format,
                reveal_secrets=args.reveal_secrets,
            )
        else:
            count = _export_to_file(store, where, params, args)
    finally:
        store.close()
    print(f"exported {count} events", file=sys.stderr)
    return 0


def _export_to_file(store, where, params, args) -> int:  # type: ignore[no-untyped-def]
    import os

    from b24monitor.core.errors import ExportError
    from b24monitor.core.export import export_events

    target = Path(args.output)
    tmp = target.with_name(target.name + ".part")
    try:
        newline = "" if args.format == "csv" else None  # the csv module writes its own \r\n
        with open(tmp, "w", encoding="utf-8", newline=newline) as out:
            count = export_events(
                store.iter_events(where, params),
                out,
                args.format,
                reveal_secrets=args.reveal_secrets,
            )
        os.replace(tmp, target)  # a cancelled export never leaves half a file under the name
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ExportError(f"cannot write {target}: {exc.strerror or exc}") from None
    return count


def _run_gui(args: argparse.Namespace) -> int:
    try:
        from b24monitor.gui.app import run
    except ImportError as exc:
        raise B24MonitorError(
            f"the desktop app cannot start ({exc}); run `bash packaging/install-deps`, "
            "or use `b24monitor listen` for the headless monitor"
        ) from None
    exit_code: int = run(_data_dir(args))
    return exit_code


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING)
    func: Command = getattr(args, "func", _run_gui)
    try:
        return func(args)
    except UsageError as exc:
        print(f"b24monitor: {exc}", file=sys.stderr)
        return 2
    except B24MonitorError as exc:
        if args.debug:
            raise
        print(f"b24monitor: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
