"""`b24monitor portal add|list|remove` and the calls made with a profile: events, bindings.

event.* methods accept only a local application's OAuth token (spec §2.0), so an app profile
carries client_id/client_secret and is filled in by ONAPPINSTALL; a webhook profile only
verifies deliveries with the application token the user pasted. The ONAPPINSTALL of a "uses only
API" app arrives when the app is saved, before its profile exists (spec §1.1): `portal add`
adopts it (services/adoption.py), so no reinstall is needed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any

from b24monitor.cli.common import Subcommands, data_dir
from b24monitor.core.errors import ProfileError, UsageError

if TYPE_CHECKING:
    from b24monitor.services.pending_installs import PendingInstall
    from b24monitor.services.portal_client import PortalClient
    from b24monitor.services.profiles import Profile, ProfileStore
    from b24monitor.services.subscriptions import Made


def register(commands: Subcommands[argparse.ArgumentParser]) -> None:
    p = commands.add_parser("portal", help="add, list or remove portal connections (profiles)")
    sub = p.add_subparsers(dest="portal_command", metavar="ACTION", required=True)
    add = sub.add_parser("add", help="add a local-app profile, or a webhook profile")
    add.add_argument("name")
    add.add_argument("--client-id", help="the local application's client_id (app profile)")
    add.add_argument("--client-secret", help="the local application's client_secret")
    add.add_argument(
        "--webhook-token", help="an outgoing webhook's application token (passive profile)"
    )
    add.add_argument(
        "--rate", choices=("standard", "enterprise", "none"), default="standard",
        help="REST pacing: standard cloud plan 2/s burst 50, enterprise 5/s burst 250, "
        "none for a self-hosted portal (paced only once it answers QUERY_LIMIT_EXCEEDED)",
    )  # fmt: skip
    add.set_defaults(func=_run_add)
    lst = sub.add_parser("list", help="list profiles")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(func=_run_list)
    rm = sub.add_parser("remove", help="forget a profile and its secrets")
    rm.add_argument("name")
    rm.set_defaults(func=_run_remove)

    events = commands.add_parser("events", help="events the portal offers, with descriptions")
    events.add_argument("--portal", required=True, metavar="NAME")
    events.add_argument("--json", action="store_true")
    events.set_defaults(func=_run_events)
    bindings = commands.add_parser("bindings", help="this app's bindings on the portal")
    bindings.add_argument("--portal", required=True, metavar="NAME")
    bindings.add_argument("--json", action="store_true")
    bindings.set_defaults(func=_run_bindings)


def profile_store(args: argparse.Namespace) -> ProfileStore:
    from b24monitor.services.profiles import ProfileStore
    from b24monitor.services.secrets import open_secret_store

    return ProfileStore(data_dir(args), open_secret_store())


def _run_add(args: argparse.Namespace) -> int:
    from b24monitor.services.profiles import Profile

    app = bool(args.client_id or args.client_secret)
    if app == bool(args.webhook_token):
        raise UsageError(
            "give either --client-id and --client-secret (local application: can bind events) "
            "or --webhook-token (outgoing webhook: receive and verify only)"
        )
    if app:
        profile = Profile(args.name, "app", client_id=args.client_id or "",
                          client_secret=args.client_secret or "", rate=args.rate)  # fmt: skip
    else:
        profile = Profile(args.name, "webhook", application_token=args.webhook_token)
    store = profile_store(args)
    store.add(profile)
    taken = asyncio.run(_adopt(args, store)) if app else None
    if taken is not None:
        print(f"Profile “{args.name}” added and it took over the install of "
              f"{taken.domain or 'its portal'} (member {taken.member_id}) that arrived before "
              f"it: run `b24monitor listen --portal {args.name}` — bindings follow at once, "
              "no reinstall.")  # fmt: skip
    elif app:
        print(f"Profile “{args.name}” added. Now run `b24monitor listen --portal {args.name}` "
              "and install the app in the portal with the handler URL it prints "
              "(README: “Connect a real portal”).")  # fmt: skip
    else:
        print(f"Profile “{args.name}” added. Deliveries carrying this token are verified; "
              "auto-binding needs a local application (event.bind refuses webhooks).")  # fmt: skip
    return 0


async def _adopt(args: argparse.Namespace, store: ProfileStore) -> PendingInstall | None:
    """The pending install (spec §1.1) whose refresh token refreshes with the new profile."""
    import httpx

    from b24monitor.services.adoption import adopt
    from b24monitor.services.pending_installs import PendingInstalls
    from b24monitor.services.secrets import open_secret_store

    pending = PendingInstalls(data_dir(args), open_secret_store())
    async with httpx.AsyncClient(timeout=30.0) as http:
        return await adopt(args.name, store, pending, http)


def _run_list(args: argparse.Namespace) -> int:
    profiles = profile_store(args).list()
    rows = [_public(p) for p in profiles]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False))
    elif not rows:
        print("No profiles yet: `b24monitor portal add NAME --client-id … --client-secret …`.")
    for row in [] if args.json else rows:
        state = "installed" if row["installed"] else "waiting for install"
        if row["uninstalled"]:
            state = "uninstalled (install the app again)"
        if row["kind"] == "webhook":
            state = "webhook (verify only)"
        rate = f"rate {row['rate']}" if row["kind"] == "app" else ""
        print(f"{row['name']:20} {row['kind']:8} {row['domain'] or '-':30} {state:20} {rate}")
    return 0


def _public(p: Profile) -> dict[str, Any]:
    return {"name": p.name, "kind": p.kind, "domain": p.domain or None,
            "member_id": p.member_id or None, "installed": p.installed,
            "client_endpoint": p.client_endpoint or None, "scope": p.scope or None,
            "expires": p.expires or None, "rate": p.rate, "app_url": p.app_url or None,
            "uninstalled": bool(p.uninstalled_at) and not p.installed}  # fmt: skip


def _run_remove(args: argparse.Namespace) -> int:
    profile_store(args).remove(args.name)
    print(f"Profile “{args.name}” removed (bindings on the portal were left as they are).")
    return 0


def run_with_client(
    args: argparse.Namespace, work: Callable[[PortalClient], Awaitable[int]]
) -> int:
    """Run `work` with a REST client for an installed app profile (--portal)."""
    import httpx

    from b24monitor.services.portal_client import PortalClient

    store = profile_store(args)
    profile = store.get(args.portal)
    if profile.kind != "app":
        raise ProfileError(
            f"profile “{profile.name}” is a webhook profile: event methods need a local "
            "application; incoming webhooks cannot call them (WRONG_AUTH_TYPE)."
        )
    if not profile.installed:
        raise ProfileError(
            f"profile “{profile.name}” is not installed yet: run `b24monitor listen --portal "
            f"{profile.name}` and install the app in the portal."
        )

    def moved(name: str, _old: str, new: str) -> None:
        from b24monitor.services.portal_link import moved_sentence

        print(f"b24monitor: {moved_sentence(name, new)}.", file=sys.stderr, flush=True)

    async def main() -> int:
        async with httpx.AsyncClient(timeout=30.0) as http:
            return await work(PortalClient(profile.name, store, http, on_moved=moved))

    return asyncio.run(main())


def _run_events(args: argparse.Namespace) -> int:
    from b24monitor.core.catalog import Catalog

    async def work(client: PortalClient) -> int:
        codes = await client.call("events")
        entries = Catalog.load().merge(codes if isinstance(codes, list) else [])
        if args.json:
            print(json.dumps([{"event": e.code, "scope": e.scope or None,
                               "description": e.description_en or None,
                               "description_ru": e.description_ru or None} for e in entries],
                             ensure_ascii=False))  # fmt: skip
            return 0
        for e in entries:
            print(f"{e.scope or '?':10} {e.code:40} {e.description_en}")
        return 0

    return run_with_client(args, work)


def _run_bindings(args: argparse.Namespace) -> int:
    from b24monitor.services.subscriptions import DesiredStore

    ledger = DesiredStore(data_dir(args), args.portal).load().made or frozenset()

    async def work(client: PortalClient) -> int:
        rows = await client.call("event.get")
        labelled = labelled_bindings(rows if isinstance(rows, list) else [], ledger)
        warning = next((r["warning"] for r in labelled if r.get("warning")), None)
        if args.json:
            print(json.dumps(labelled, ensure_ascii=False))
            return 0
        if not labelled:
            print("No bindings.", file=sys.stderr)
        for row in labelled:
            where = "offline" if str(row.get("offline", "0")) == "1" else row.get("handler", "")
            print(f"{row['event']:40} {where}  [{_OWNER_WORDS[row['owner']]}]")
        if warning:
            print(f"Warning: {warning}", file=sys.stderr)
        return 0

    return run_with_client(args, work)


_OWNER_WORDS = {
    "b24monitor": "made by b24monitor",
    "installation": "the application's installation handler; left alone",
    "other": "not made by b24monitor; left alone",
}


def labelled_bindings(rows: list[Any], ledger: Iterable[Made]) -> list[dict[str, Any]]:
    """event.get rows with who made them (`owner`) and, on the installation handler, a
    `warning` when it no longer points at the handler URL of our newest binding."""
    from b24monitor.core import subscriptions as subs
    from b24monitor.core.app_settings import app_settings_warning

    made = {m.key: m for m in ledger}
    online = sorted((m for m in made.values() if m.mode == "online"), key=lambda m: m.at)
    current = online[-1].handler if online else None
    labelled = []
    listed = [r for r in rows if isinstance(r, dict) and r.get("event")]
    for raw, row in zip(listed, subs.parse_bindings(listed), strict=True):
        entry = dict(raw)  # event.get's row as the portal sent it (spec §2.4), plus who made it
        if not row.connector and row.key in made:
            entry |= {"owner": "b24monitor", "made_at": made[row.key].at}
        elif subs.is_install_handler(row):
            entry |= {"owner": "installation", "current_handler_url": current,
                      "warning": app_settings_warning(row.handler, current)}  # fmt: skip
        else:
            entry["owner"] = "other"
        labelled.append(entry)
    return labelled
