"""`b24monitor fixtures`: write stored events as anonymised test fixtures (.form + .json)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from b24monitor.cli.common import Subcommands, event_id, load_events, open_store
from b24monitor.core.errors import ExportError


def register(commands: Subcommands[argparse.ArgumentParser]) -> None:
    p = commands.add_parser(
        "fixtures",
        help="write stored events as anonymised test fixtures",
        description="For each event write <id>-<event>.form (the raw body) and "
        "<id>-<event>.json (what it decodes to). Tokens, member_id and the portal domain are "
        "replaced by fake values, the same fake for the same real value in every file.",
    )
    p.add_argument("ids", nargs="+", type=event_id, metavar="ID", help="stored event id(s)")
    p.add_argument("--out", type=Path, required=True, metavar="DIR", help="folder to write to")
    p.set_defaults(func=_run_fixtures)


def _run_fixtures(args: argparse.Namespace) -> int:
    from b24monitor.core.fixtures import make_fixtures

    store = open_store(args)
    try:
        fixtures = make_fixtures(load_events(store, args.ids))
    finally:
        store.close()
    out: Path = args.out
    try:
        out.mkdir(parents=True, exist_ok=True)
        for fixture in fixtures:
            for name, content in fixture.files().items():
                (out / name).write_bytes(content)
                print(out / name)
    except OSError as exc:
        raise ExportError(f"cannot write fixtures to {out}: {exc.strerror or exc}") from None
    print(f"wrote {len(fixtures)} fixtures", file=sys.stderr)
    return 0
