"""`b24monitor export`: stream stored events to a file or stdout in one of the formats."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from b24monitor.cli.common import Subcommands, filter_epilog, open_store, parse_filter

if TYPE_CHECKING:
    from b24monitor.services.store import EventStore


def register(commands: Subcommands[argparse.ArgumentParser]) -> None:
    from b24monitor.core.export import format_names

    p = commands.add_parser(
        "export",
        help="write stored events as jsonl, json, csv or har",
        epilog=filter_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--format", choices=format_names(), default="jsonl")
    p.add_argument("--filter", default="", help="export only events matching this filter")
    p.add_argument("--output", "-o", default="-", help="file to write, or - for stdout")
    p.add_argument("--reveal-secrets", action="store_true", help="do not mask tokens")
    p.set_defaults(func=_run_export)


def _run_export(args: argparse.Namespace) -> int:
    import time

    from b24monitor.core.export import export_events

    flt = parse_filter(args.filter)
    store = open_store(args)
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


def _export_to_file(
    store: EventStore, where: str, params: list[object], args: argparse.Namespace
) -> int:
    import os

    from b24monitor.core.errors import ExportError
    from b24monitor.core.export import export_events

    target = Path(args.output)
    tmp = target.with_name(target.name + ".part")
    try:
        newline = "" if args.format == "csv" else None  # the csv module writes its own \r\n
        with _open_for_export(tmp, private=args.reveal_secrets, newline=newline) as out:
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


def _open_for_export(path: Path, *, private: bool, newline: str | None) -> TextIO:
    """A new text file; 0600 when it will hold unmasked tokens, whatever the umask."""
    import os

    if not private:
        return open(path, "w", encoding="utf-8", newline=newline)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # an older .part file may have had a wider mode
    return os.fdopen(fd, "w", encoding="utf-8", newline=newline)
