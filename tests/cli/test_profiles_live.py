"""A profile added by another process is known to a running listener without a restart.

`listen --json` runs; `portal add` runs as a second process against the same data dir, exactly
as a user would do in a second terminal. Verification must pick up the new sender at once.
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Any

import httpx
import pytest

from b24monitor.core.phpform import build_form
from b24monitor.sandbox import SandboxPortal
from tests.cli.test_portal_loop import cli_async
from tests.cli.test_senders import FORM, add_app, next_of


def deal_from(portal: SandboxPortal, token: str, deal_id: str) -> bytes:
    """An ONCRMDEALADD as the portal's sender with `token` posts it (spec §4, §6.1)."""
    auth = {"domain": portal.domain, "client_endpoint": portal.client_endpoint,
            "server_endpoint": portal.server_endpoint, "member_id": portal.member_id,
            "application_token": token}  # fmt: skip
    body = {"event": "ONCRMDEALADD", "data": {"FIELDS": {"ID": deal_id}}, "ts": "1764338592",
            "auth": auth}  # fmt: skip
    return build_form(body).encode()


@pytest.mark.asyncio
async def test_profiles_added_while_listening_are_verified_and_named_at_once(
    tmp_path: Path, monitor: Any
) -> None:
    data = tmp_path / "data"
    async with SandboxPortal(rate_limit=False, seed=31) as portal:
        m = monitor()
        url = (await asyncio.to_thread(m.next_json))["handler_url"]
        # The app is saved in the portal: its install is learned before any profile exists.
        await portal.save_app(url, app=portal.state.app)
        await next_of(m, "pending_install")
        hook = portal.add_outgoing_webhook(url, ["ONCRMDEALADD"])
        async with httpx.AsyncClient(timeout=30) as http:
            before = await http.post(url, content=deal_from(portal, hook.application_token, "1"),
                                     headers=FORM)  # fmt: skip
            assert before.status_code == 403  # a token this portal's senders do not have

            added = await cli_async(data, "portal", "add", "crm-sync", "--webhook-token",
                                    hook.application_token)  # fmt: skip
            assert added.returncode == 0, added.stderr
            known = await next_of(m, "profile_known", profile="crm-sync")
            assert known["sender"] == "webhook crm-sync" and "crm-sync" in known["message"]
            after = await http.post(url, content=deal_from(portal, hook.application_token, "2"),
                                    headers=FORM)  # fmt: skip
            assert after.status_code == 200, after.text
            deal = await next_of(m, "event", event="ONCRMDEALADD", entity_id="2")
            assert (deal["verified"], deal["sender"]) == (True, "webhook crm-sync")

            # The app's profile adopts the learned install: its deliveries get its name.
            await add_app(data, "dev-app", portal.client_id, portal.client_secret)
            await next_of(m, "profile_known", profile="dev-app")
            app = await http.post(url, content=deal_from(portal, portal.application_token, "3"),
                                  headers=FORM)  # fmt: skip
            assert app.status_code == 200, app.text
            deal = await next_of(m, "event", event="ONCRMDEALADD", entity_id="3")
            assert (deal["verified"], deal["sender"]) == (True, "dev-app")
        m.proc.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(m.proc.wait, 30) == 0
