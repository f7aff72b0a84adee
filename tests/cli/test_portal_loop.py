"""The whole portal loop as a user runs it, against the sandbox portal over real loopback HTTP.

portal add → listen --portal → the portal installs the app → tokens stored → one batch of binds →
500 deliveries of mixed shapes captured and verified → the access token expires → refresh →
calls continue → SIGTERM unbinds, and event.get comes back empty.
"""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cli_run import cli

from b24monitor.sandbox import SandboxPortal, TrafficGenerator


async def cli_async(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # In a thread: the sandbox portal runs on this test's loop and must keep serving.
    return await asyncio.to_thread(cli, data_dir, *args)


@pytest.fixture(autouse=True)
def private_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


@pytest.mark.asyncio
async def test_portal_add_listen_install_bind_capture_refresh_unbind(
    tmp_path: Path, monitor: Any
) -> None:
    data = tmp_path / "data"
    async with SandboxPortal(rate_limit=True, seed=7) as portal:
        added = await cli_async(data, "portal", "add", "acme", "--client-id", portal.client_id,
                                "--client-secret", portal.client_secret)  # fmt: skip
        assert added.returncode == 0, added.stderr
        m = monitor("--portal", "acme", "--bind", "ONCRMDEALADD,ONCRMDEALUPDATE,ONTASKADD,"
                    "ONCRMLEADADD,ONCALENDARENTRYADD,ONCRMCONTACTUPDATE")  # fmt: skip
        hello = await asyncio.to_thread(m.next_json)
        await portal.install(hello["handler_url"])
        installed = await asyncio.to_thread(m.next_of_type, "installed")
        assert installed["member_id"] == portal.member_id
        bound = {(await asyncio.to_thread(m.next_of_type, "bound"))["event"] for _ in range(8)}
        assert {"ONCRMDEALADD", "ONTASKADD", "ONAPPTEST", "ONAPPUNINSTALL"} <= bound
        assert all(b.handler == hello["handler_url"] for b in portal.bindings())
        assert len(portal.bindings()) == 9  # 8 + the portal's installation handler

        # 500 deliveries of mixed shapes (users and robots, tasks, calendar, Cyrillic).
        fired = await TrafficGenerator(portal, seed=3).burst(500, concurrency=50)
        assert fired == 500
        events = [await asyncio.to_thread(m.next_of_type, "event") for _ in range(500)]
        assert {e["verified"] for e in events} == {True}
        assert {e["sender"] for e in events} == {"acme"}  # named after the profile (spec §4)
        assert {e["status"] for e in events} == {"ok"}
        assert len({e["event"] for e in events}) >= 5

        # The access token expires; the next call refreshes it and goes through.
        portal.expire_access_tokens()
        listed = await cli_async(data, "bindings", "--portal", "acme", "--json")
        assert listed.returncode == 0, listed.stderr
        owners = {(r["event"], r["owner"]) for r in json.loads(listed.stdout)}
        assert ("ONAPPINSTALL", "installation") in owners and len(owners) == 9
        assert ("ONTASKADD", "b24monitor") in owners
        profiles = json.loads((await cli_async(data, "portal", "list", "--json")).stdout)
        assert profiles[0]["installed"] is True

        m.proc.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(m.proc.wait, 30) == 0
        # The session's bindings went with it; the portal's installation handler stayed.
        assert [(b.event, b.handler) for b in portal.bindings()] == [
            ("ONAPPINSTALL", hello["handler_url"])
        ]


@pytest.mark.asyncio
async def test_webhook_profile_refuses_to_bind_with_the_sentence(tmp_path: Path) -> None:
    data = tmp_path / "data"
    added = await cli_async(data, "portal", "add", "hook", "--webhook-token", "abc123")
    assert added.returncode == 0
    result = await cli_async(data, "bindings", "--portal", "hook")
    assert result.returncode == 1
    assert "incoming webhooks cannot" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.asyncio
async def test_listen_with_a_missing_profile_is_one_sentence(tmp_path: Path) -> None:
    result = await cli_async(tmp_path / "d", "listen", "--portal", "nope")
    assert result.returncode == 1
    assert "no profile “nope”" in result.stderr


@pytest.mark.asyncio
async def test_offline_list_consume_round_trip_and_ping(tmp_path: Path, monitor: Any) -> None:
    data = tmp_path / "data"
    async with SandboxPortal(rate_limit=False, seed=5) as portal:
        await cli_async(data, "portal", "add", "acme", "--client-id", portal.client_id,
                        "--client-secret", portal.client_secret)  # fmt: skip
        m = monitor("--portal", "acme", "--bind-offline", "ONCRMDEALADD", "--keep-bindings")
        hello = await asyncio.to_thread(m.next_json)
        await portal.install(hello["handler_url"])
        bound = set()
        while ("ONCRMDEALADD", "offline") not in bound:
            notice = await asyncio.to_thread(m.next_of_type, "bound")
            bound.add((notice["event"], notice["event_type"]))
        for i in range(3):
            await portal.fire("ONCRMDEALADD", {"FIELDS": {"ID": str(100 + i)}})
        assert (await asyncio.to_thread(m.next_of_type, "offline"))["type"] == "offline"

        listed = await cli_async(data, "offline", "list", "--portal", "acme", "--json")
        rows = [json.loads(line) for line in listed.stdout.splitlines()]
        assert [r["event"] for r in rows] == ["ONCRMDEALADD"] * 3
        consumed = await cli_async(data, "offline", "consume", "--portal", "acme", "--json")
        assert consumed.returncode == 0, consumed.stderr
        assert len(consumed.stdout.splitlines()) == 3
        after = await cli_async(data, "offline", "list", "--portal", "acme", "--json")
        assert after.stdout.strip() == ""

        m.proc.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(m.proc.wait, 30) == 0
        # --keep-bindings: they stay, and a ping from another process must not move them.
        kept = sorted((b.event, b.handler) for b in portal.bindings())
        assert kept
        pinged = await cli_async(data, "ping", "--portal", "acme")
        assert pinged.returncode == 0, pinged.stderr
        assert "ms after event.test" in pinged.stdout
        assert sorted((b.event, b.handler) for b in portal.bindings()) == kept


@pytest.mark.asyncio
async def test_oauth_code_flow_fallback_installs_without_onappinstall(
    tmp_path: Path, monitor: Any
) -> None:
    import httpx

    data = tmp_path / "data"
    async with SandboxPortal(rate_limit=False, seed=9) as portal:
        await cli_async(data, "portal", "add", "acme", "--client-id", portal.client_id,
                        "--client-secret", portal.client_secret)  # fmt: skip
        m = monitor("--portal", "acme", "--bind", "ONCRMDEALADD",
                    "--authorize", portal.base_url)  # fmt: skip
        await asyncio.to_thread(m.next_json)
        url = (await asyncio.to_thread(m.next_of_type, "authorize"))["url"]
        assert url.startswith(portal.base_url + "/oauth/authorize/?client_id=")
        # The user's browser: the portal redirects it back to our handler with a code.
        async with httpx.AsyncClient(follow_redirects=True) as browser:
            page = await browser.get(url)
        assert page.status_code == 200 and "received the authorization" in page.text
        installed = await asyncio.to_thread(m.next_of_type, "installed")
        assert installed["via"] == "oauth" and installed["member_id"] == portal.member_id
        bound = await asyncio.to_thread(m.next_of_type, "bound")
        assert bound["event"] in {"ONCRMDEALADD", "ONAPPTEST"}
        m.proc.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(m.proc.wait, 30) == 0


@pytest.mark.asyncio
async def test_forged_code_redirect_with_wrong_state_is_ignored(
    tmp_path: Path, monitor: Any
) -> None:
    import httpx

    data = tmp_path / "data"
    async with SandboxPortal(rate_limit=False) as portal:
        await cli_async(data, "portal", "add", "acme", "--client-id", portal.client_id,
                        "--client-secret", portal.client_secret)  # fmt: skip
        m = monitor("--portal", "acme")
        hello = await asyncio.to_thread(m.next_json)
        async with httpx.AsyncClient() as client:
            await client.get(hello["handler_url"], params={"code": "x", "state": "forged"})
        error = await asyncio.to_thread(m.next_of_type, "error")
        assert error["code"] == "BAD_STATE"
        m.proc.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(m.proc.wait, 30) == 0


@pytest.mark.asyncio
async def test_webhook_profile_verifies_deliveries_with_the_pasted_token(
    tmp_path: Path, monitor: Any, make_delivery: Any
) -> None:
    import httpx

    delivery = make_delivery
    data = tmp_path / "data"
    await cli_async(data, "portal", "add", "hook", "--webhook-token", "pasted-token-123")
    m = monitor("--portal", "hook")
    url = (await asyncio.to_thread(m.next_json))["handler_url"]
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    async with httpx.AsyncClient() as client:
        good = await client.post(url, content=delivery(token="pasted-token-123", user_id=None),
                                 headers=form)  # fmt: skip
        bad = await client.post(url, content=delivery(token="forged", user_id=None), headers=form)
    assert (good.status_code, bad.status_code) == (200, 403)
    first = await asyncio.to_thread(m.next_of_type, "event")
    second = await asyncio.to_thread(m.next_of_type, "event")
    assert (first["verified"], second["verified"]) == (True, False)
    m.proc.send_signal(signal.SIGTERM)
    assert await asyncio.to_thread(m.proc.wait, 30) == 0
