"""The canary and the bindings watchdog, end to end against the sandbox over loopback.

A dead handler (every online delivery fails silently) turns health `broken` with its cause
named; an app update that deletes the app's handlers is noticed and the bindings come back.
"""

from __future__ import annotations

import asyncio
import json
import signal
from pathlib import Path
from typing import Any

import pytest

from b24monitor.sandbox import SandboxPortal
from tests.cli.test_portal_loop import cli_async
from tests.cli.test_safety_net import until_bound


@pytest.fixture(autouse=True)
def private_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


async def started(tmp_path: Path, monitor: Any, portal: SandboxPortal, *flags: str) -> Any:
    data = tmp_path / "data"
    await cli_async(data, "portal", "add", "acme", "--client-id", portal.client_id,
                    "--client-secret", portal.client_secret)  # fmt: skip
    m = monitor("--portal", "acme", "--bind", "ONCRMDEALUPDATE", *flags)
    hello = await asyncio.to_thread(m.next_json)
    await portal.install(hello["handler_url"])
    await until_bound(m, {("ONCRMDEALUPDATE", "online"), ("ONAPPTEST", "online")})
    return m


async def next_health(m: Any, state: str) -> dict[str, Any]:
    while True:
        health = await asyncio.to_thread(m.next_of_type, "health", 60)
        if health["state"] == state:
            return health


@pytest.mark.asyncio
async def test_a_dead_handler_turns_health_broken_with_its_cause_and_back(
    tmp_path: Path, monitor: Any
) -> None:
    async with SandboxPortal(rate_limit=False, seed=21) as portal:
        m = await started(tmp_path, monitor, portal, "--canary-interval", "2")
        ok = await next_health(m, "ok")
        assert ok["canary_ms"] is not None  # a real round trip through the portal

        portal.set_dead_handler(True)  # Bitrix24 can no longer deliver; nobody says so
        degraded = await next_health(m, "degraded")
        broken = await next_health(m, "broken")
        assert degraded["canary_ms"] is None
        assert "does not deliver to" in broken["reason"] and "spec §1.1" in broken["reason"]
        lost = [r for r in portal.delivery_log if r.event == "ONAPPTEST" and r.status is None]
        assert len(lost) >= 2  # the two canaries the portal failed to deliver

        portal.set_dead_handler(False)
        back = await next_health(m, "ok")
        assert back["reason"] is None and back["canary_ms"] is not None
        m.proc.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(m.proc.wait, 30) == 0

    # The broken stretch is a gap of the coverage timeline, with its cause.
    coverage = await cli_async(tmp_path / "data", "coverage", "--json")
    lines = [json.loads(line) for line in coverage.stdout.splitlines()]
    kinds = [(line["type"], line["reason"] == broken["reason"]) for line in lines]
    assert ("gap", True) in kinds
    assert kinds.index(("gap", True)) > kinds.index(("covered", False))


@pytest.mark.asyncio
async def test_handlers_deleted_by_an_app_update_are_bound_again(
    tmp_path: Path, monitor: Any
) -> None:
    async with SandboxPortal(rate_limit=False, seed=22) as portal:
        m = await started(tmp_path, monitor, portal, "--canary-interval", "2")
        portal.simulate_app_update()
        assert portal.bindings() == []
        rebound = await asyncio.to_thread(m.next_of_type, "rebound", 30)
        assert {"ONCRMDEALUPDATE", "ONAPPTEST"} <= set(rebound["events"])
        assert "app update" in rebound["reason"]
        assert {b.event for b in portal.bindings()} >= {"ONCRMDEALUPDATE", "ONAPPTEST"}
        # Deliveries reach the listener again.
        await portal.fire("ONCRMDEALUPDATE", {"FIELDS": {"ID": "5"}})
        while (await asyncio.to_thread(m.next_of_type, "event"))["event"] != "ONCRMDEALUPDATE":
            pass
        m.proc.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(m.proc.wait, 30) == 0
