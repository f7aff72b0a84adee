"""Command-line entry point: parses arguments, runs a headless command or opens the GUI.

Exit codes: 0 ok, 2 usage error, 1 failure with one clear sentence on stderr (a traceback only
with --debug). Each command lives in its own module with a `register(subcommands)`; the GUI
and the heavy services are imported lazily, so headless commands never load Qt.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from b24monitor import __version__
from b24monitor.cli import (
    coverage,
    curl,
    diff,
    doctor,
    export,
    fixtures,
    listen,
    offline,
    portal,
    replay,
    sandbox,
    stats,
    tunnel,
    wait,
)
from b24monitor.cli.common import data_dir
from b24monitor.core.errors import B24MonitorError, UsageError

Command = Callable[[argparse.Namespace], int]
COMMANDS = (
    listen,
    export,
    stats,
    wait,
    doctor,
    portal,
    offline,
    coverage,
    tunnel,
    sandbox,
    replay,
    curl,
    fixtures,
    diff,
)


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
    for command in COMMANDS:
        command.register(commands)
    return parser


def _run_gui(args: argparse.Namespace) -> int:
    try:
        from b24monitor.gui.app import run
        from b24monitor.gui.settings_store import preferred_data_dir
    except ImportError as exc:
        raise B24MonitorError(
            f"the desktop app cannot start ({exc}); run `bash packaging/install-deps`, "
            "or use `b24monitor listen` for the headless monitor"
        ) from None
    from b24monitor.services.session import DATA_DIR_ENV

    chosen = None if args.data_dir or os.environ.get(DATA_DIR_ENV) else preferred_data_dir()
    exit_code: int = run(chosen or data_dir(args))
    return exit_code


def main(argv: Sequence[str] | None = None) -> int:
    from b24monitor.services.log_queue import queued_logging

    parser = build_parser()
    args = parser.parse_args(argv)
    func: Command = getattr(args, "func", _run_gui)
    with queued_logging(debug=args.debug):
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
        except BrokenPipeError:  # `b24monitor export | head`: the reader is done, so are we
            return _stdout_closed()
        except Exception as exc:
            if args.debug:
                raise
            print(f"b24monitor: unexpected error ({type(exc).__name__}: {exc}); run again "
                  "with --debug and report the traceback", file=sys.stderr)  # fmt: skip
            return 1


def _stdout_closed() -> int:
    """Exit quietly with the status a process killed by SIGPIPE has (128 + 13)."""
    # Python flushes stdout once more at exit; point it at /dev/null so that flush is silent.
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    return 128 + signal.SIGPIPE
