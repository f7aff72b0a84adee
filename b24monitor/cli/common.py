"""What every command shares: the data dir, stored events by id, filter parsing with a pointer."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from b24monitor.core.errors import FilterSyntaxError, UsageError

if TYPE_CHECKING:
    from b24monitor.core.filters import Filter
    from b24monitor.core.model import CapturedEvent
    from b24monitor.services.attempts_store import AttemptStore

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
    from b24monitor.core import findings
    from b24monitor.core.filters import help_text

    return help_text() + "\n" + findings.help_text()


def event_id(text: str) -> int:
    """An event id as shown in lists: `12` or `#12`."""
    digits = text.strip().removeprefix("#")
    if not digits.isdigit() or int(digits) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not an event id (a positive number)")
    return int(digits)


def open_store(args: argparse.Namespace) -> AttemptStore:
    """The data dir's database; a usage error when nothing was ever stored there."""
    from b24monitor.services.attempts_store import AttemptStore
    from b24monitor.services.private_dir import make_private_dir
    from b24monitor.services.session import DB_NAME

    db_path = data_dir(args) / DB_NAME
    if not db_path.exists():
        raise UsageError(f"no events stored yet in {db_path.parent}; run `b24monitor listen` first")
    notice = make_private_dir(db_path.parent)  # the folder keeps every raw token (issue 15)
    if notice:
        print(f"b24monitor: {notice}", file=sys.stderr)
    return AttemptStore(db_path)


def load_events(store: AttemptStore, ids: Sequence[int]) -> list[CapturedEvent]:
    """The events in the order given; a usage error naming every id that is not stored."""
    events = store.fetch(list(ids))
    missing = sorted(set(ids) - {ev.id for ev in events})
    if missing:
        listed = ", ".join(f"#{i}" for i in missing)
        raise UsageError(f"no stored event {listed}; list ids with `b24monitor export`")
    by_id = {ev.id: ev for ev in events}
    return [by_id[i] for i in ids]
