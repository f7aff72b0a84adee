"""`b24monitor doctor` against the sandbox: a clean setup exits 0, seeded faults are each named."""

from __future__ import annotations

import asyncio
import json
import signal
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
from cli_run import cli, free_port

from b24monitor.sandbox import SandboxPortal


@pytest.fixture(autouse=True)
def private_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("B24MONITOR_NGROK_AUTHTOKEN", raising=False)


async def doctor(data: Path, *args: str) -> tuple[int, dict[str, list[dict[str, str]]]]:
    out = await asyncio.to_thread(  # the doctor probes and refreshes: its own, longer timeout
        partial(cli, timeout=90), data, "doctor", "--portal", "acme", "--json", *args
    )
    by_check: dict[str, list[dict[str, str]]] = {}
    for line in out.stdout.splitlines():
        verdict = json.loads(line)
        by_check.setdefault(verdict["check"], []).append(verdict)
    assert out.stdout, out.stderr
    return out.returncode, by_check


async def listening(portal: SandboxPortal, data: Path, monitor: Any, bind: str) -> tuple[Any, str]:
    added = await asyncio.to_thread(
        cli,
        data,
        "portal",
        "add",
        "acme",
        "--client-id",
        portal.client_id,
        "--client-secret",
        portal.client_secret,
    )
    assert added.returncode == 0, added.stderr  # fmt: skip
    port = free_port()
    public = f"http://127.0.0.1:{port}"
    m = monitor("--portal", "acme", "--bind", bind, "--port", str(port), "--public-url", public)
    hello = await asyncio.to_thread(m.next_json)
    await portal.install(hello["handler_url"])
    await asyncio.to_thread(m.next_of_type, "installed")
    return m, public


def levels(report: dict[str, list[dict[str, str]]]) -> dict[str, set[str]]:
    return {check: {v["level"] for v in verdicts} for check, verdicts in report.items()}


@pytest.mark.asyncio
async def test_doctor_on_a_clean_setup_exits_0(tmp_path: Path, monitor: Any) -> None:
    data = tmp_path / "data"
    async with SandboxPortal(rate_limit=False, seed=21) as portal:
        portal.state.app.features["rest_offline_extended"] = True
        portal.state.app.features["rest_auth_connector"] = True
        m, public = await listening(portal, data, monitor, "ONCRMDEALADD,ONTASKADD")
        bound: set[str] = set()
        while not {"ONCRMDEALADD", "ONTASKADD"} <= bound:
            bound.add((await asyncio.to_thread(m.next_of_type, "bound"))["event"])
        code, report = await doctor(data, "--public-url", public)
    assert code == 0, report
    assert levels(report) == {check: {"ok"} for check in (
        "ngrok", "profile", "tokens", "app", "events", "bindings", "bound twice", "offline",
        "clock", "public URL")}  # fmt: skip


@pytest.mark.asyncio
async def test_doctor_names_each_seeded_fault_and_exits_1(tmp_path: Path, monitor: Any) -> None:
    data = tmp_path / "data"
    async with SandboxPortal(rate_limit=False, seed=22, scopes=("crm",)) as portal:
        portal.state.app.features["rest_offline_extended"] = False  # a plan without them
        portal.state.app.features["rest_auth_connector"] = False
        # Fault 1: a ticked event whose scope the app was not granted (its bind fails).
        m, public = await listening(portal, data, monitor, "ONCRMDEALADD,ONTASKADD")
        await asyncio.to_thread(m.next_of_type, "error")
        # Fault 2: a stale binding of ours at an old tunnel URL, so ONCRMDEALADD is bound twice.
        handler_path = next(b.handler for b in portal.bindings() if b.event == "ONCRMDEALADD")
        old = "https://old-tunnel.example" + handler_path.removeprefix(public)
        token = portal.issue_tokens()["access_token"]
        async with httpx.AsyncClient() as http:
            await http.post(
                portal.client_endpoint + "event.bind",
                json={"auth": token, "event": "ONCRMDEALADD", "handler": old},
            )
        m.proc.send_signal(signal.SIGKILL)  # fmt: skip
        await asyncio.to_thread(m.proc.wait, 30)  # Fault 3: nothing answers at the public URL
        code, report = await doctor(data, "--public-url", public)
        # Fault 4: refresh tokens revoked — doctor stops there, naming it.
        portal.revoke_refresh_tokens()
        code_after, after = await doctor(data, "--public-url", public)
    assert code == 1
    found = levels(report)
    assert found["events"] == {"fail"}
    assert "ONTASKADD needs the “task” scope" in report["events"][0]["text"]
    assert found["bindings"] == {"fail"} and "old-tunnel.example" in report["bindings"][0]["text"]
    assert found["bound twice"] == {"fail"} and "ONCRMDEALADD" in report["bound twice"][0]["text"]
    assert found["public URL"] == {"fail"}
    assert found["offline"] == {"warn"}  # the plan lacks the features: a warning, not a failure
    assert found["ngrok"] == {"ok"} and found["tokens"] == {"ok"}
    assert code_after == 1 and levels(after)["tokens"] == {"fail"}
    assert "invalid_grant" in after["tokens"][0]["text"] or "refresh" in after["tokens"][0]["text"]


@pytest.mark.asyncio
async def test_doctor_names_the_other_seeded_faults_and_exits_1(
    tmp_path: Path, monitor: Any
) -> None:
    data = tmp_path / "data"
    async with SandboxPortal(rate_limit=False, seed=23) as portal:
        m, public = await listening(portal, data, monitor, "ONCRMDEALADD")
        await asyncio.to_thread(m.next_of_type, "bound")
        portal.state.app.installed = False  # the install was never finished (app.info)
        portal.state.edition.clock_offset_s = -600.0  # a self-hosted server without time sync
        code, report = await doctor(data, "--public-url", public)
        ngrok_code, ngrok = await doctor(data, "--tunnel", "ngrok")  # and no authtoken anywhere
        missing = await asyncio.to_thread(cli, data, "doctor", "--portal", "nosuch", "--json")
    assert code == 1
    found = levels(report)
    assert found["app"] == {"fail"} and "reinstall" in report["app"][0]["text"]
    assert found["clock"] == {"fail"} and "-600 s" in report["clock"][0]["text"]
    assert found["events"] == found["bindings"] == found["public URL"] == {"ok"}
    assert ngrok_code == 1 and levels(ngrok)["ngrok"] == {"fail"}
    assert "no authtoken is set" in ngrok["ngrok"][0]["text"]
    assert missing.returncode == 1
    assert json.loads(missing.stdout.splitlines()[0])["check"] == "profile"
