"""Real-portal behaviours as a CLI user meets them, against the sandbox over loopback HTTP.

`portal add --rate`, `offline consume --to URL [--errors]` (2xx clears, anything else flags, a
row that fails twice stays queued), a renamed portal followed by a one-off command and told once,
and `listen --json` saying that the app's saved URL in the portal is stale (spec §1.1, §2.9,
§5.1, §5.4).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from cli_run import free_port
from test_portal_loop import cli, cli_async

from b24monitor.core.phpform import parse_form
from b24monitor.sandbox import SandboxPortal


@pytest.fixture(autouse=True)
def private_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


async def add_and_install(data: Path, portal: SandboxPortal, monitor: Any, *args: str) -> Any:
    """`portal add acme`, then a listener the portal installs the app into; returns it running."""
    added = await cli_async(data, "portal", "add", "acme", "--client-id", portal.client_id,
                            "--client-secret", portal.client_secret)  # fmt: skip
    assert added.returncode == 0, added.stderr
    m = monitor("--portal", "acme", *args)
    hello = await asyncio.to_thread(m.next_json)
    await portal.install(hello["handler_url"])
    await asyncio.to_thread(m.next_of_type, "installed")
    return m


async def stop(m: Any) -> None:
    m.proc.send_signal(signal.SIGTERM)
    assert await asyncio.to_thread(m.proc.wait, 30) == 0


def test_portal_add_takes_a_rate_plan(tmp_path: Path) -> None:
    data = tmp_path / "data"
    added = cli(data, "portal", "add", "onprem", "--client-id", "local.1", "--client-secret",
                "s3cret", "--rate", "none")  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert json.loads(cli(data, "portal", "list", "--json").stdout)[0]["rate"] == "none"
    assert "rate none" in cli(data, "portal", "list").stdout
    wrong = cli(data, "portal", "add", "x", "--client-id", "a", "--client-secret", "b",
                "--rate", "fast")  # fmt: skip
    assert wrong.returncode == 2 and "invalid choice: 'fast'" in wrong.stderr


@contextlib.asynccontextmanager
async def developer_handler(statuses: dict[str, int]) -> AsyncIterator[tuple[str, list[Any]]]:
    """The developer's handler: answers by deal ID; records (row header, form) per POST."""
    seen: list[Any] = []

    async def handle(request: web.Request) -> web.Response:
        form = parse_form(await request.read())
        seen.append((request.headers.get("X-B24Monitor-Offline-Row"), form))
        return web.Response(status=statuses.get(form["data"]["FIELDS"]["ID"], 200))

    app = web.Application()
    app.router.add_post("/mine", handle)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/mine", seen
    finally:
        await runner.cleanup()


async def queued(data: Path) -> list[dict[str, Any]]:
    listed = await cli_async(data, "offline", "list", "--portal", "acme", "--json")
    assert listed.returncode == 0, listed.stderr
    return [json.loads(line) for line in listed.stdout.splitlines()]


@pytest.mark.asyncio
async def test_offline_consume_to_a_handler_clears_2xx_and_keeps_what_fails_twice(
    tmp_path: Path, monitor: Any
) -> None:
    data = tmp_path / "data"
    statuses = {"101": 500}
    async with (
        SandboxPortal(rate_limit=False, seed=5) as portal,
        developer_handler(statuses) as (url, seen),
    ):
        m = await add_and_install(data, portal, monitor, "--bind-offline", "ONCRMDEALADD",
                                  "--keep-bindings")  # fmt: skip
        while (await asyncio.to_thread(m.next_of_type, "bound"))["event_type"] != "offline":
            pass
        for deal in ("100", "101", "102"):
            await portal.fire("ONCRMDEALADD", {"FIELDS": {"ID": deal}})
        await stop(m)

        sent = await cli_async(data, "offline", "consume", "--portal", "acme", "--to", url)
        assert sent.returncode == 1  # one row failed
        lines = sent.stdout.splitlines()
        assert [line.split()[:3] for line in lines] == [
            ["✔", "HTTP", "200"], ["✖", "HTTP", "500"], ["✔", "HTTP", "200"]
        ]  # fmt: skip
        assert "flagged (retry with --errors)" in lines[1]
        assert f"3 rows sent to {url}: 2 cleared, 1 failed and flagged" in sent.stderr
        assert [form["data"]["FIELDS"]["ID"] for _, form in seen] == ["100", "101", "102"]
        assert all(header and len(header) == 32 for header, _ in seen)
        assert [(r["data"]["FIELDS"]["ID"], r["error"]) for r in await queued(data)] == [
            ("101", True)
        ]

        again = await cli_async(data, "offline", "consume", "--portal", "acme", "--to", url,
                                "--errors", "--json")  # fmt: skip
        assert again.returncode == 1
        [line] = [json.loads(x) for x in again.stdout.splitlines()]
        assert (line["type"], line["status"], line["ok"]) == ("offline_sent", 500, False)
        # Failed twice: still in the queue, still flagged.
        assert [(r["data"]["FIELDS"]["ID"], r["error"]) for r in await queued(data)] == [
            ("101", True)
        ]

        statuses.clear()  # the developer fixed the handler
        fixed = await cli_async(data, "offline", "consume", "--portal", "acme", "--to", url,
                                "--errors")  # fmt: skip
        assert fixed.returncode == 0, fixed.stderr
        assert "1 rows sent" in fixed.stderr and await queued(data) == []
        wrong = await cli_async(data, "offline", "consume", "--portal", "acme", "--to", "x")
        assert wrong.returncode == 2 and "must be your handler's http" in wrong.stderr

        # Without reservations a refused row could not be kept: --to refuses, even with --yes.
        portal.state.app.features["rest_offline_extended"] = False
        await portal.fire("ONCRMDEALADD", {"FIELDS": {"ID": "103"}})
        refused = await cli_async(data, "offline", "consume", "--portal", "acme", "--to", url,
                                  "--yes")  # fmt: skip
        assert refused.returncode == 1 and "--to needs reservations" in refused.stderr
        assert [r["data"]["FIELDS"]["ID"] for r in await queued(data)] == ["103"]


@pytest.mark.asyncio
async def test_a_renamed_portal_is_followed_and_told_once(tmp_path: Path, monitor: Any) -> None:
    data = tmp_path / "data"
    async with SandboxPortal(rate_limit=False, seed=8) as portal:
        m = await add_and_install(data, portal, monitor, "--bind", "ONCRMDEALADD",
                                  "--keep-bindings")  # fmt: skip
        while (await asyncio.to_thread(m.next_of_type, "bound"))["event"] != "ONCRMDEALADD":
            pass
        await stop(m)
        new_host = portal.rename().split("/")[2]
        first = await cli_async(data, "bindings", "--portal", "acme", "--json")
        assert first.returncode == 0, first.stderr
        assert first.stderr.count(f"portal acme moved to {new_host}") == 1
        assert {row["event"] for row in json.loads(first.stdout)} >= {"ONCRMDEALADD"}
        second = await cli_async(data, "bindings", "--portal", "acme", "--json")
        assert second.returncode == 0 and "moved" not in second.stderr
        [profile] = json.loads((await cli_async(data, "portal", "list", "--json")).stdout)
        assert profile["domain"] == new_host
        assert profile["client_endpoint"] == f"http://{new_host}/rest/"

        portal.expire_licence()
        expired = await cli_async(data, "bindings", "--portal", "acme")
        assert expired.returncode == 1 and "licence-expired page" in expired.stderr
        assert len(expired.stderr.strip().splitlines()) == 1


@pytest.mark.asyncio
async def test_listen_says_when_the_apps_saved_url_is_stale(tmp_path: Path, monitor: Any) -> None:
    data = tmp_path / "data"
    port = str(free_port())
    async with SandboxPortal(rate_limit=False, seed=6, check_handler_host=True) as portal:
        first = await add_and_install(data, portal, monitor, "--port", port, "--public-url",
                                      f"http://127.0.0.1:{port}")  # fmt: skip
        await stop(first)
        # Next session, another public URL (a free ngrok tunnel changes it on every start).
        m = monitor("--portal", "acme", "--port", port, "--public-url", f"http://localhost:{port}",
                    "--bind", "ONCRMDEALADD")  # fmt: skip
        seen: dict[str, dict[str, Any]] = {}  # the portal and the tunnel report in any order
        while not {"reachable", "app_settings_stale", "error"} <= seen.keys():
            line = await asyncio.to_thread(m.next_json)
            seen[line.get("state") if line["type"] == "tunnel" else line["type"]] = line
        tunnel, stale, error = seen["reachable"], seen["app_settings_stale"], seen["error"]
        assert tunnel["app_settings_stale"] is True
        assert stale["handler_url"] == tunnel["handler_url"]
        assert stale["app_url"].startswith(f"http://127.0.0.1:{port}/")
        assert "reserved ngrok domain" in stale["message"]
        assert "“Initial installation path” to " + tunnel["handler_url"] in stale["message"]
        # This portal checks handler hosts: the bind is refused, with its own advice.
        assert "ERROR_HANDLER_URL_MATCH" in error["message"]
        assert "set both to the current handler URL" in error["message"]
        await stop(m)
