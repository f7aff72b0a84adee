"""Real portals have many senders (spec §4) and install before a profile exists (spec §1.1).

Run as a user would — `portal add`, `listen --json` subprocesses — against the sandbox portal
in its multi-app, webhook and install-on-save modes, over real loopback HTTP.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import signal
import socket
from pathlib import Path
from typing import Any

import httpx
import pytest

from b24monitor.core.phpform import build_form
from b24monitor.sandbox import SandboxPortal
from b24monitor.services.pending_installs import PendingInstalls
from b24monitor.services.profiles import ProfileStore
from b24monitor.services.secrets import open_secret_store
from tests.cli.test_portal_loop import cli_async

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


async def handler_url_of(monitor: Any, port: str) -> str:
    """The handler URL on `port` (its path is fixed per data dir): start a listener, stop it."""
    first = monitor("--port", port)
    url = str((await asyncio.to_thread(first.next_json))["handler_url"])
    first.close()
    return url


def free_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return str(s.getsockname()[1])


async def add_app(data: Path, name: str, client_id: str, secret: str) -> str:
    added = await cli_async(data, "portal", "add", name, "--client-id", client_id,
                            "--client-secret", secret)  # fmt: skip
    assert added.returncode == 0, added.stderr
    return added.stdout


async def next_of(m: Any, kind: str, **match: Any) -> dict[str, Any]:
    while True:
        line = await asyncio.to_thread(m.next_of_type, kind)
        if all(line.get(k) == v for k, v in match.items()):
            return line


async def wait_bound(m: Any, event: str) -> None:
    await next_of(m, "bound", event=event)


def profiles(data: Path) -> ProfileStore:
    return ProfileStore(data, open_secret_store())


@pytest.mark.asyncio
async def test_two_apps_and_a_webhook_on_one_portal_are_all_verified_and_named(
    tmp_path: Path, monitor: Any
) -> None:
    data = tmp_path / "data"
    async with SandboxPortal(rate_limit=False, seed=21, install_on_save=False) as portal:
        port = free_port()
        url = await handler_url_of(monitor, port)
        staging, _ = await portal.save_app(url)  # a second local app of the same portal
        hook = portal.add_outgoing_webhook(url, ["ONCRMDEALADD"])
        await add_app(data, "dev", portal.client_id, portal.client_secret)
        await add_app(data, "staging", staging.client_id, staging.client_secret)
        added = await cli_async(data, "portal", "add", "crm-sync", "--webhook-token",
                                hook.application_token)  # fmt: skip
        assert added.returncode == 0, added.stderr
        m = monitor("--portal", "dev", "--bind", "ONCRMDEALADD", "--port", port)
        assert (await asyncio.to_thread(m.next_json))["handler_url"] == url

        await portal.install(url)
        await next_of(m, "installed", profile="dev")
        await wait_bound(m, "ONCRMDEALADD")
        # The second app's install carries a token new for this portal: proved with the
        # staging profile's credentials, accepted and named after it.
        record = await portal.install(url, app=staging)
        assert record.status == 200
        install = await next_of(m, "event", event="ONAPPINSTALL", sender="staging")
        assert install["verified"] is True
        await next_of(m, "installed", profile="staging")
        staging_token = profiles(data).get("staging").access_token
        async with httpx.AsyncClient() as http:
            bound = await http.post(portal.client_endpoint + "event.bind", json={
                "auth": staging_token, "event": "ONCRMDEALADD", "handler": url})  # fmt: skip
        assert bound.status_code == 200, bound.text

        await portal.fire("ONCRMDEALADD", {"FIELDS": {"ID": "7"}})
        lines = [await next_of(m, "event", event="ONCRMDEALADD") for _ in range(3)]
        assert {(e["verified"], e["sender"]) for e in lines} == {
            (True, "dev"), (True, "staging"), (True, "webhook crm-sync")
        }  # fmt: skip
        m.proc.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(m.proc.wait, 30) == 0


def forged_install(portal: SandboxPortal) -> bytes:
    """An ONAPPINSTALL for the portal's real member_id with tokens nobody issued."""
    auth = {
        "access_token": secrets.token_hex(36), "refresh_token": secrets.token_hex(36),
        "expires": "1764342192", "expires_in": "3600", "scope": "crm", "domain": portal.domain,
        "server_endpoint": portal.server_endpoint, "client_endpoint": portal.client_endpoint,
        "member_id": portal.member_id, "application_token": secrets.token_hex(16),
        "status": "L", "user_id": "1",
    }  # fmt: skip
    body = {"event": "ONAPPINSTALL", "data": {"VERSION": "1"}, "ts": "1764338592", "auth": auth}
    return build_form(body).encode()


@pytest.mark.asyncio
async def test_forged_install_is_403_and_a_genuine_reinstall_updates_the_profile(
    tmp_path: Path, monitor: Any
) -> None:
    data = tmp_path / "data"
    async with SandboxPortal(rate_limit=False, seed=22) as portal:
        await add_app(data, "dev", portal.client_id, portal.client_secret)
        m = monitor("--portal", "dev", "--bind", "ONCRMDEALADD")
        url = (await asyncio.to_thread(m.next_json))["handler_url"]
        await portal.install(url)
        await wait_bound(m, "ONCRMDEALADD")
        old_token = portal.application_token

        async with httpx.AsyncClient(timeout=30) as http:
            forged = await http.post(url, content=forged_install(portal), headers=FORM)
        assert forged.status_code == 403
        assert "could not be proved" in forged.text
        line = await next_of(m, "event", event="ONAPPINSTALL", status="rejected")
        assert line["verified"] is False and "could not be proved" in line["error"]
        assert profiles(data).get("dev").application_token == old_token  # nothing replaced

        # A genuine reinstall: ONAPPUNINSTALL, then an install with a new token.
        record = await portal.reinstall(url)
        assert record.status == 200 and portal.application_token != old_token
        gone = await next_of(m, "uninstalled", profile="dev")
        assert "uninstalled" in gone["message"]
        await next_of(m, "installed", profile="dev")
        await wait_bound(m, "ONCRMDEALADD")  # bindings made again after the reinstall
        assert profiles(data).get("dev").application_token == portal.application_token
        await portal.fire("ONCRMDEALADD", {"FIELDS": {"ID": "8"}})
        deal = await next_of(m, "event", event="ONCRMDEALADD")
        assert (deal["verified"], deal["sender"]) == (True, "dev")
        m.proc.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(m.proc.wait, 30) == 0


@pytest.mark.asyncio
async def test_install_before_profile_is_adopted_by_portal_add_without_reinstall(
    tmp_path: Path, monitor: Any
) -> None:
    data = tmp_path / "data"
    async with SandboxPortal(rate_limit=False, seed=23) as portal:
        first = monitor()
        url = (await asyncio.to_thread(first.next_json))["handler_url"]
        # The administrator saves the app: ONAPPINSTALL comes before any profile exists.
        _, record = await portal.save_app(url, app=portal.state.app)
        assert record is not None and record.status == 200
        notice = await next_of(first, "pending_install")
        assert "portal add" in notice["message"]
        [kept] = PendingInstalls(data, open_secret_store()).list()
        access = kept.text("access_token")
        assert access and kept.member_id == portal.member_id
        first.close()  # its events are committed: the file holds no clear token
        stored = b"".join(p.read_bytes() for p in data.glob("events.sqlite3*"))
        assert access.encode() not in stored and kept.text("refresh_token").encode() not in stored

        out = await add_app(data, "acme", portal.client_id, portal.client_secret)
        assert "took over the install of" in out and portal.member_id in out
        assert profiles(data).get("acme").installed
        assert PendingInstalls(data, open_secret_store()).list() == []

        installs = sum(1 for r in portal.delivery_log if r.event == "ONAPPINSTALL")
        m = monitor("--portal", "acme", "--bind", "ONCRMDEALADD")
        await asyncio.to_thread(m.next_json)
        await wait_bound(m, "ONCRMDEALADD")
        await portal.fire("ONCRMDEALADD", {"FIELDS": {"ID": "9"}})
        deal = await next_of(m, "event", event="ONCRMDEALADD")
        assert (deal["verified"], deal["sender"]) == (True, "acme")
        assert sum(1 for r in portal.delivery_log if r.event == "ONAPPINSTALL") == installs
        m.proc.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(m.proc.wait, 30) == 0


@pytest.mark.asyncio
async def test_onappuninstall_marks_the_profile_and_its_bindings_gone(
    tmp_path: Path, monitor: Any
) -> None:
    data = tmp_path / "data"
    async with SandboxPortal(rate_limit=False, seed=24) as portal:
        await add_app(data, "dev", portal.client_id, portal.client_secret)
        m = monitor("--portal", "dev", "--bind", "ONCRMDEALADD")
        url = (await asyncio.to_thread(m.next_json))["handler_url"]
        await portal.install(url)
        await wait_bound(m, "ONAPPUNINSTALL")  # bound whenever a profile is linked
        await wait_bound(m, "ONCRMDEALADD")
        await portal.uninstall()
        await next_of(m, "unbound", event="ONCRMDEALADD")
        gone = await next_of(m, "uninstalled")
        assert gone["profile"] == "dev" and "its bindings are gone" in gone["message"]
        listed = json.loads((await cli_async(data, "portal", "list", "--json")).stdout)
        assert (listed[0]["installed"], listed[0]["uninstalled"]) == (False, True)
        m.proc.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(m.proc.wait, 30) == 0


def test_plain_listen_lines_name_the_sender() -> None:
    from b24monitor.core.model import CapturedEvent
    from b24monitor.headless import format_event_line

    ev = CapturedEvent(id=1, received_at=0.0, event="ONCRMDEALADD", member_id="m",
                       domain="acme.bitrix24.com", entity_id="3187", entity_type_id=None,
                       user_id="1", handler_id="4", ts=0, verified=True, status="ok",
                       error=None, size=1, content_type="", headers=(), body=b"",
                       sender="webhook crm-sync")  # fmt: skip
    assert format_event_line(ev).endswith("acme.bitrix24.com  ✔ webhook crm-sync")
