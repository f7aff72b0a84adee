"""`b24monitor diff`: what changed between two deliveries, or since the entity's previous one."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from b24monitor.cli.common import Subcommands, event_id, load_events, open_store
from b24monitor.core.errors import UsageError

if TYPE_CHECKING:
    from b24monitor.core.model import CapturedEvent
    from b24monitor.services.attempts_store import AttemptStore


def register(commands: Subcommands[argparse.ArgumentParser]) -> None:
    p = commands.add_parser(
        "diff",
        help="show what changed between two stored deliveries",
        description="Compare the decoded payloads of two events (ID ID), or of one event and "
        "the previous delivery for the same entity and event family (ID --previous). Lists "
        "are compared by index. Tokens and auth.expires are left out unless --all is given.",
    )
    p.add_argument("ids", nargs="+", type=event_id, metavar="ID", help="one or two event ids")
    p.add_argument("--previous", action="store_true", help="compare with the entity's previous")
    p.add_argument("--all", action="store_true", help="include tokens (shown masked)")
    p.add_argument("--json", action="store_true", help="print the changes as one JSON object")
    p.set_defaults(func=_run_diff)


def _run_diff(args: argparse.Namespace) -> int:
    from b24monitor.core.diff import diff_payloads, format_changes

    if len(args.ids) != (1 if args.previous else 2):
        raise UsageError("give two event ids, or one id with --previous")
    store = open_store(args)
    try:
        events = load_events(store, args.ids)
        if args.previous:
            events.insert(0, _previous(store, events[0]))
    finally:
        store.close()
    old, new = events
    for ev in events:
        if ev.data is None:
            raise UsageError(
                f"event #{ev.id} could not be decoded, so it has no payload to compare"
            )
    changes = diff_payloads(old.data, new.data, include_secrets=args.all)
    if args.json:
        record = {"old": old.id, "new": new.id, "changes": [c.record() for c in changes]}
        print(json.dumps(record, ensure_ascii=False))
    else:
        print(f"#{old.id} {old.event or '?'} → #{new.id} {new.event or '?'}")
        print(format_changes(changes))
    return 0


def _previous(store: AttemptStore, ev: CapturedEvent) -> CapturedEvent:
    """The newest earlier event of the same portal, entity and event family."""
    from b24monitor.core.decoding import family_of

    if not ev.entity_id or not ev.event:
        raise UsageError(
            f"event #{ev.id} names no entity, so it has no previous delivery; give two ids"
        )
    previous = store.previous_delivery(ev)
    if previous is None:
        raise UsageError(
            f"event #{ev.id} is the first stored delivery for {family_of(ev.event).name} "
            f"{ev.entity_id}; give two ids instead"
        )
    return previous
