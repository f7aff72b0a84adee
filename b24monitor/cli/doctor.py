"""`b24monitor doctor --portal NAME`: check a setup — ok / warn / fail; exit 1 if anything fails."""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import TYPE_CHECKING

from b24monitor.cli.common import Subcommands, data_dir
from b24monitor.cli.tunnel import add_tunnel_flags

if TYPE_CHECKING:
    from b24monitor.core.setup_checks import Verdict

_MARKS = {"ok": "✔ ok  ", "warn": "! warn", "fail": "✖ fail"}


def register(commands: Subcommands[argparse.ArgumentParser]) -> None:
    p = commands.add_parser(
        "doctor",
        help="check a portal setup: tokens, install, events, scopes, bindings, URL, clock",
    )
    p.add_argument("--portal", required=True, metavar="NAME")
    p.add_argument("--json", action="store_true", help="one JSON object per check")
    add_tunnel_flags(p)
    p.set_defaults(func=_run_doctor)


def _run_doctor(args: argparse.Namespace) -> int:
    import httpx

    from b24monitor.cli.portal import profile_store
    from b24monitor.cli.tunnel import tunnel_settings
    from b24monitor.services.doctor import DoctorSettings, run_doctor
    from b24monitor.services.session import normalize_public_url

    tunnel = tunnel_settings(args)
    public_url = normalize_public_url(args.public_url) if args.public_url else None
    settings = DoctorSettings(
        data_dir=data_dir(args),
        portal=args.portal,
        handler_path=_handler_path(args),
        public_url=public_url,
        tunnel_mode="url" if public_url else tunnel.mode,
        ngrok_authtoken_set=bool(tunnel.authtoken),
    )

    async def main() -> list[Verdict]:
        async with httpx.AsyncClient(timeout=30.0) as http:
            return list(await run_doctor(settings, profile_store(args), http))

    verdicts = asyncio.run(main())
    for v in verdicts:
        record = v.record()
        if args.json:
            print(json.dumps(record, ensure_ascii=False))
        else:
            print(f"{_MARKS[record['level']]}  {record['check']:<12} {record['text']}")
    return 1 if any(v.level == "fail" for v in verdicts) else 0


def _handler_path(args: argparse.Namespace) -> str:
    """This data dir's secret handler path, as `listen` generated it ("" before any listen)."""
    from b24monitor.services.session import DB_NAME
    from b24monitor.services.store import connect

    db_path = data_dir(args) / DB_NAME
    if not db_path.exists():
        return ""
    conn = connect(db_path, readonly=True)
    try:
        row = conn.execute("SELECT value FROM settings WHERE key = 'handler_path'").fetchone()
    finally:
        conn.close()
    return str(row[0]) if row else ""
