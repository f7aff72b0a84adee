"""`listen --portal` moves and unbinds only the rows it made, through restarts and a URL change.

The sandbox portal registers ONAPPINSTALL at the installation path (our handler URL, as the
README tells users to set it), a colleague's handler sits on our host and a binding made by hand
points at our own URL: all three must still be in event.get at the end (issue 16).
"""

from __future__ import annotations

import asyncio
import json
import signal
from pathlib import Path
from typing import Any

import pytest
from cli_run import cli, free_port

from b24monitor.sandbox import SandboxPortal


async def wait_bound(
    m: Any, events: set[str], *, stale: bool = False
) -> tuple[dict[str, str], list[dict[str, Any]]]:
    """Read lines until every event in `events` was reported bound (and, with `stale`, the
    app-settings warning came): (event → handler it was bound at, the warnings seen)."""
    bound: dict[str, str] = {}
    warnings: list[dict[str, Any]] = []
    while not (events <= set(bound) and (warnings or not stale)):
        line = await asyncio.to_thread(m.next_json)
        if line["type"] == "bound":
            bound[line["event"]] = line["handler"]
        elif line["type"] == "app_settings_stale":
            warnings.append(line)
    return bound, warnings


async def install_row_warning(data: Path) -> Any:
    """`bindings --json`'s warning on the portal's installation handler row."""
    listed = await asyncio.to_thread(cli, data, "bindings", "--portal", "acme", "--json")
    [row] = [r for r in json.loads(listed.stdout) if r["owner"] == "installation"]
    return row["warning"]


async def stop(m: Any) -> None:
    m.proc.send_signal(signal.SIGTERM)
    assert await asyncio.to_thread(m.proc.wait, 30) == 0


def rows(portal: SandboxPortal) -> set[tuple[str, str]]:
    return {(b.event, b.handler) for b in portal.bindings()}


@pytest.mark.asyncio
async def test_listen_leaves_rows_it_did_not_make_through_restarts_and_a_new_url(
    tmp_path: Path, monitor: Any
) -> None:
    data, port = tmp_path / "data", free_port()
    first_url, second_url = f"http://127.0.0.1:{port}", f"http://localhost:{port}"
    async with SandboxPortal(rate_limit=False, seed=16) as portal:
        added = await asyncio.to_thread(cli, data, "portal", "add", "acme", "--client-id",
                                        portal.client_id, "--client-secret",
                                        portal.client_secret)  # fmt: skip
        assert added.returncode == 0, added.stderr

        # Run 1: the administrator saves the app with our handler URL as installation path.
        m = monitor("--portal", "acme", "--port", str(port), "--public-url", first_url,
                    "--bind", "ONCRMDEALADD,ONTASKADD", "--keep-bindings")  # fmt: skip
        ours_1 = (await asyncio.to_thread(m.next_json))["handler_url"]
        await portal.install(ours_1)
        install = ("ONAPPINSTALL", ours_1)
        bound, notices = await wait_bound(
            m, {"ONCRMDEALADD", "ONTASKADD", "ONAPPTEST", "ONAPPUNINSTALL"}
        )
        assert set(bound.values()) == {ours_1} and notices == []
        assert await install_row_warning(data) is None  # installs come to this very URL
        # A colleague's handler on our host, and a binding made by hand at our very URL.
        colleague = ("ONCRMDEALADD", f"{first_url}/colleague/bitrix24")
        by_hand = ("ONCRMLEADADD", ours_1)
        for event, handler in (colleague, by_hand):
            portal.state.registry.bind(event, handler=handler, owner=portal.client_id)
        await stop(m)  # --keep-bindings: our rows stay for the next run to move
        assert {install, colleague, by_hand, ("ONTASKADD", ours_1)} <= rows(portal)

        # Run 2: the tunnel URL changed. Our rows move; the three others stay where they are.
        m = monitor("--portal", "acme", "--port", str(port), "--public-url", second_url)
        ours_2 = (await asyncio.to_thread(m.next_json))["handler_url"]
        assert ours_2 == ours_1.replace(first_url, second_url)
        bound, notices = await wait_bound(
            m, {"ONCRMDEALADD", "ONTASKADD", "ONAPPTEST", "ONAPPUNINSTALL"}, stale=True
        )
        assert set(bound.values()) == {ours_2}
        [notice] = notices  # one warning, though both the profile and the portal's row say so
        assert notice["app_url"] == ours_1 and notice["handler_url"] == ours_2
        assert "“Initial installation path” to " + ours_2 in notice["message"]
        assert rows(portal) == {
            install,
            colleague,
            by_hand,
            ("ONCRMDEALADD", ours_2),
            ("ONTASKADD", ours_2),
            ("ONAPPTEST", ours_2),
            ("ONAPPUNINSTALL", ours_2),  # always bound for a linked profile (issue 10)
        }
        listed = await asyncio.to_thread(cli, data, "bindings", "--portal", "acme", "--json")
        owners = {(r["event"], r["handler"]): r["owner"] for r in json.loads(listed.stdout)}
        assert owners[install] == "installation" and owners[colleague] == "other"
        assert owners[by_hand] == "other" and owners[("ONTASKADD", ours_2)] == "b24monitor"
        text = await asyncio.to_thread(cli, data, "bindings", "--portal", "acme")
        assert "installation handler" in text.stdout
        assert "“Initial installation path”" in text.stderr
        await stop(m)  # unbinds this session's rows, and only those
        assert rows(portal) == {install, colleague, by_hand}

        # Run 3: back at the first URL, bound again and unbound again on exit.
        m = monitor("--portal", "acme", "--port", str(port), "--public-url", first_url)
        await asyncio.to_thread(m.next_json)
        bound, notices = await wait_bound(
            m, {"ONCRMDEALADD", "ONTASKADD", "ONAPPTEST", "ONAPPUNINSTALL"}
        )
        assert set(bound.values()) == {ours_1} and notices == []
        assert await install_row_warning(data) is None
        await stop(m)
        assert rows(portal) == {install, colleague, by_hand}
        saved = json.loads((data / "subscriptions.json").read_text())
        assert saved["profiles"]["acme"]["made"] == []  # nothing of ours is left behind
