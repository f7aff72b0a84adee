"""What every command shares: the data dir, filter parsing with a pointer at the fault."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from b24monitor.core.errors import FilterSyntaxError, UsageError

if TYPE_CHECKING:
    from b24monitor.core.filters import Filter

Subcommands = argparse._SubParsersAction  # argparse has no public name for it


def data_dir(args: argparse.Namespace) -> Path:
    """--data-dir, else $B24MONITOR_DATA_DIR, else the platform's user data folder."""
    from b24monitor.services.session import default_data_dir

    return Path(args.data_dir).expanduser() if args.data_dir else default_data_dir()


def parse_filter(expression: str) -> Filter:
    """Parse a filter; a syntax error becomes a usage error that points at the column."""
    from b24monitor.core.filters import parse

    try:
        return parse(expression)
    except FilterSyntaxError as exc:
        pointer = " " * (exc.column - 1) + "^"
        raise UsageError(f"{exc}\n  {expression}\n  {pointer}") from None


def filter_epilog() -> str:
    from b24monitor.core.filters import help_text

    return help_text()
