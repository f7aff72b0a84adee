"""Never miss an event, end to end: `listen --safety-net` against the sandbox over loopback.

Live deliveries are matched against their offline twins and cleared; what changed while the
listener was down comes back as recovered events (latest data, once per object), is forwarded
with the recovered header, and leaves the portal's queue empty.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import queue
import signal
import time
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web

from b24monitor.sandbox import SandboxPortal
from tests.cli.test_portal_loop import cli_async


@pytest.fixture(autouse=True)
def private_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


class Target:
    """The developer's own handler: records each forwarded request's body and headers."""

    def __init__(self) -> None:
        self.got: list[tuple[bytes, dict[str, str]]] = []
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.got.append((await request.read(), dict(request.headers)))
        return web.Response(text="ok")


@pytest_asyncio.fixture
async def target() -> AsyncIterator[Target]:
    t = Target()
    app = web.Application()
    app.router.add_post("/hook", t.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    t.url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    yield t
    await runner.cleanup()


def recovered_forwards(target: Target) -> list[dict[str, str]]:
    return [h for _, h in target.got if h.get("X-B24Monitor-Recovered") == "1"]


async def wait_until(predicate: Any, within: float = 60.0) -> None:
    deadline = time.monotonic() + within
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


async def until_bound(m: Any, wanted: set[tuple[str, str]]) -> None:
    bound: set[tuple[str, str]] = set()
    while not wanted <= bound:
        notice = await asyncio.to_thread(m.next_of_type, "bound", 30)
        bound.add((notice["event"], notice["event_type"]))


@pytest.mark.asyncio
async def test_changes_made_while_down_come_back_as_recovered_events_once(
    tmp_path: Path, monitor: Any, target: Target
) -> None:
    data = tmp_path / "data"
    flags = ("--portal", "acme", "--bind", "ONCRMDEALUPDATE", "--safety-net",
             "--safety-net-interval", "1", "--safety-net-grace", "2", "--canary-interval", "0",
             "--forward-to", target.url)  # fmt: skip
    async with SandboxPortal(rate_limit=False, seed=11) as portal:
        await cli_async(data, "portal", "add", "acme", "--client-id", portal.client_id,
                        "--client-secret", portal.client_secret)  # fmt: skip
        m = monitor(*flags)
        hello = await asyncio.to_thread(m.next_json)
        await portal.install(hello["handler_url"])
        await until_bound(m, {("ONCRMDEALUPDATE", "online"), ("ONCRMDEALUPDATE", "offline")})

        for deal in ("1", "2", "3"):  # delivered live: their twins' rows must not come back
            await portal.fire("ONCRMDEALUPDATE", {"FIELDS": {"ID": deal}})
        live: list[dict[str, Any]] = []
        while len(live) < 3:
            line = await asyncio.to_thread(m.next_of_type, "event")
            live += [line] if line["event"] == "ONCRMDEALUPDATE" else []
        assert sorted(e["entity_id"] for e in live) == ["1", "2", "3"]
        m.proc.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(m.proc.wait, 30) == 0

        # Down: 5 deals change 4 times each. The online POSTs have nowhere to go (unbound);
        # the offline twins stay bound and keep the latest state per deal (spec §3.1a).
        assert {(b.event, b.offline) for b in portal.bindings()} >= {("ONCRMDEALUPDATE", True)}
        for _ in range(4):
            for deal in ("11", "12", "13", "14", "15"):
                await portal.fire("ONCRMDEALUPDATE", {"FIELDS": {"ID": deal}})
        last_change = time.time()

        again = monitor(*flags)
        missed = [await asyncio.to_thread(again.next_of_type, "missed", 60) for _ in range(5)]
        # Every row is gone: the 3 live ones were matched and cleared (in either run).
        await wait_until(lambda: len(portal.state.queue) == 0)
        await wait_until(lambda: len(recovered_forwards(target)) == 5)
        again.proc.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(again.proc.wait, 30) == 0

    assert sorted(e["entity_id"] for e in missed) == ["11", "12", "13", "14", "15"]
    assert {e["event"] for e in missed} == {"ONCRMDEALUPDATE"}
    for e in missed:  # the latest change of each deal, with its data
        assert datetime.fromisoformat(e["queued_at"]).timestamp() >= int(last_change) - 1
        assert e["data"] == {"FIELDS": {"ID": e["entity_id"]}}
    recovered = recovered_forwards(target)
    assert len(target.got) > 5  # the live ones were forwarded too, without the header
    assert sorted(int(h["X-B24Monitor-Event-Id"]) for h in recovered) == sorted(
        e["id"] for e in missed
    )
    stored = await cli_async(data, "export", "--filter", "origin:recovered", "--format", "jsonl")
    assert stored.returncode == 0, stored.stderr
    assert len(stored.stdout.splitlines()) == 5

    # The coverage timeline shows the time the listener was down, and what came back for it.
    # The gap since its stop shows once it is longer than a restart (core/coverage.py SLACK_S).
    for _ in range(100):
        coverage = await cli_async(data, "coverage", "--json")
        assert coverage.returncode == 0, coverage.stderr
        lines = [json.loads(line) for line in coverage.stdout.splitlines()]
        down = [g for g in lines if g["reason"] == "b24monitor was not running"]
        if down and down[-1]["to"] is None:
            break
        await asyncio.sleep(0.1)
    assert down and down[-1]["to"] is None  # stopped now
    assert any(line["type"] == "covered" for line in lines)


@pytest.mark.asyncio
async def test_rows_of_the_users_own_offline_events_are_left_in_the_queue(
    tmp_path: Path, monitor: Any
) -> None:
    data = tmp_path / "data"
    async with SandboxPortal(rate_limit=False, seed=12) as portal:
        await cli_async(data, "portal", "add", "acme", "--client-id", portal.client_id,
                        "--client-secret", portal.client_secret)  # fmt: skip
        m = monitor("--portal", "acme", "--bind", "ONCRMDEALUPDATE", "--bind-offline",
                    "ONTASKADD", "--safety-net", "--safety-net-interval", "1",
                    "--safety-net-grace", "0", "--canary-interval", "0")  # fmt: skip
        hello = await asyncio.to_thread(m.next_json)
        await portal.install(hello["handler_url"])
        await until_bound(m, {("ONCRMDEALUPDATE", "offline"), ("ONTASKADD", "offline")})
        portal.set_dead_handler(True)  # the deal update is missed online
        await portal.fire("ONCRMDEALUPDATE", {"FIELDS": {"ID": "1"}})
        await portal.fire("ONTASKADD", {"FIELDS_AFTER": {"ID": "2"}})
        missed = await asyncio.to_thread(m.next_of_type, "missed", 60)
        await wait_until(lambda: len(portal.state.queue) == 1)
        [left] = portal.state.queue.all_rows()
        m.proc.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(m.proc.wait, 30) == 0
    assert (missed["event"], missed["entity_id"]) == ("ONCRMDEALUPDATE", "1")
    assert (left.event_name, left.process_id) == ("ONTASKADD", "")  # the user's, untouched


@pytest.mark.asyncio
async def test_a_webhook_profile_says_the_safety_net_needs_an_app(
    tmp_path: Path, monitor: Any
) -> None:
    await cli_async(tmp_path / "data", "portal", "add", "hook", "--webhook-token", "t0k3n")
    m = monitor("--portal", "hook", "--safety-net")
    error = await asyncio.to_thread(m.next_of_type, "error")
    assert error["where"] == "safety-net" and "outgoing webhook" in error["message"]
    assert "live capture goes on" in error["message"]
    await asyncio.to_thread(m.next_of_type, "listening")  # and it listens all the same
    m.proc.send_signal(signal.SIGTERM)
    assert await asyncio.to_thread(m.proc.wait, 30) == 0


@pytest.mark.asyncio
async def test_an_app_installed_by_a_non_administrator_says_the_safety_net_needs_one(
    tmp_path: Path, monitor: Any
) -> None:
    # Spec §2.0: offline bindings and the offline queue are admin-only. A portal that lets an
    # employee install apps gives that employee's tokens: the user is told once, in one
    # sentence, and live capture goes on.
    data = tmp_path / "data"
    async with SandboxPortal(rate_limit=False, seed=12) as portal:
        await cli_async(data, "portal", "add", "acme", "--client-id", portal.client_id,
                        "--client-secret", portal.client_secret)  # fmt: skip
        m = monitor("--portal", "acme", "--bind", "ONCRMDEALUPDATE", "--safety-net",
                    "--safety-net-interval", "1", "--canary-interval", "0")  # fmt: skip
        hello = await asyncio.to_thread(m.next_json)
        assert not portal.state.users.is_admin(7)
        await portal.install(hello["handler_url"], by=7)
        lines: list[dict[str, Any]] = []

        def admin_sentences() -> list[str]:
            return [
                line["message"]
                for line in lines
                if line["type"] == "error" and line.get("where") == "safety-net"
                and "administrator" in line["message"]
            ]  # fmt: skip

        def bound() -> bool:
            return any((line["type"], line.get("event"), line.get("event_type")) == (
                "bound", "ONCRMDEALUPDATE", "online") for line in lines)  # fmt: skip

        while not (bound() and admin_sentences()):
            lines.append(await asyncio.to_thread(m.next_json, 60))
        assert "needs a portal administrator's token" in admin_sentences()[0]
        assert "live capture goes on" in admin_sentences()[0]
        await portal.fire("ONCRMDEALUPDATE", {"FIELDS": {"ID": "5"}})
        while not any(line["type"] == "event" and line["entity_id"] == "5" for line in lines):
            lines.append(await asyncio.to_thread(m.next_json, 60))
        await asyncio.sleep(3)  # a few 1 s sweeps pass: none may repeat the sentence
        with contextlib.suppress(queue.Empty):
            while True:
                lines.append(await asyncio.to_thread(m.next_json, 0.5))
        assert len(admin_sentences()) == 1  # said once, not once per sweep
        m.proc.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(m.proc.wait, 30) == 0
