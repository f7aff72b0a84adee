"""`replay`, `curl`, `fixtures` and `diff` as a user runs them: real subprocesses, HTTP, files."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from aiohttp import web

from b24monitor.core.phpform import parse_form
from b24monitor.core.replay import Attempt
from b24monitor.services.attempts_store import AttemptStore
from b24monitor.services.session import DB_NAME, Session, SessionConfig

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
APP_TOKEN = "9e7d1c2b3a4f5e6d7c8b9a0f1e2d3c4b"  # make_delivery's defaults (tests/conftest.py)
MEMBER_ID = "0c4f5e9a8b7d6c5e4f3a2b1c0d9e8f7a"
DOMAIN = "acme.bitrix24.com"
Make = Callable[..., bytes]


class Handler:
    """The developer's handler: checks the application token like the PHP SDK does (spec §4)."""

    def __init__(self) -> None:
        self.got: list[tuple[bytes, dict[str, str]]] = []
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.got.append((body, dict(request.headers)))
        token = parse_form(body).get("auth", {}).get("application_token")
        if token != APP_TOKEN:
            return web.Response(status=401, text="Wrong security signature")
        return web.Response(text="ok")


@pytest_asyncio.fixture
async def handler() -> AsyncIterator[Handler]:
    h = Handler()
    app = web.Application()
    app.router.add_post("/hook", h.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    h.url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    try:
        yield h
    finally:
        await runner.cleanup()


@pytest_asyncio.fixture
async def data_dir(tmp_path: Path, make_delivery: Make) -> Path:
    """A data dir holding 4 events received the real way: deal 3187 twice, a task, a deal 9."""
    session = Session(SessionConfig(data_dir=tmp_path / "data"))
    await session.start()
    bodies = [
        make_delivery("ONCRMDEALADD", {"FIELDS": {"ID": "3187", "TITLE": "Old"}, "UF": ["1"]}),
        make_delivery("ONTASKADD", {"FIELDS_AFTER": {"ID": "3187"}}),
        make_delivery("ONCRMDEALUPDATE", {"FIELDS": {"ID": "9"}}),
        make_delivery("ONCRMDEALUPDATE", {"FIELDS": {"ID": "3187", "TITLE": "New"}, "UF": []}),
    ]
    try:
        async with httpx.AsyncClient() as client:
            for body in bodies:
                response = await client.post(session.handler_url, content=body, headers=FORM)
                assert response.status_code == 200
    finally:
        await session.stop()
    return tmp_path / "data"


async def cli(
    data_dir: Path, *args: str, env: dict[str, str] | None = None
) -> tuple[int, str, str]:
    environ = {k: v for k, v in os.environ.items() if k != "B24MONITOR_FORWARD_TO"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "b24monitor", "--data-dir", str(data_dir), *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**environ, **(env or {})},
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


def attempts(data_dir: Path, event_id: int) -> list[Attempt]:
    store = AttemptStore(data_dir / DB_NAME)
    try:
        return store.attempts_for(event_id)
    finally:
        store.close()


def stored_body(data_dir: Path, event_id: int) -> bytes:
    store = AttemptStore(data_dir / DB_NAME)
    try:
        ev = store.get(event_id)
        assert ev is not None
        return ev.body
    finally:
        store.close()


@pytest.mark.asyncio
async def test_replay_variants_reach_the_handler(
    data_dir: Path, handler: Handler, tmp_path: Path
) -> None:
    code, out, err = await cli(data_dir, "replay", "1", "#4", "--to", handler.url)
    assert code == 0, err
    lines = out.splitlines()
    assert (
        len(lines) == 2 and lines[0].startswith("  <-- 200 ") and f"POST {handler.url}" in lines[0]
    )
    assert lines[0].endswith("(replay of #1, as-recorded)")
    assert [b for b, _ in handler.got] == [stored_body(data_dir, 1), stored_body(data_dir, 4)]
    assert handler.got[0][1]["X-B24Monitor-Event-Id"] == "1"
    assert handler.got[0][1]["X-B24Monitor-Replay"] == "as-recorded"

    # Token stripped: the handler's rejection path answers 401, which is a result, not a failure.
    code, out, err = await cli(data_dir, "replay", "1", "--to", handler.url, "--strip-token")
    assert code == 0, err
    assert out.startswith("  <-- 401 ") and "token-stripped" in out
    assert b"application_token" not in handler.got[-1][0]

    code, out, err = await cli(
        data_dir, "replay", "1", "--to", handler.url,
        "--set", "data.FIELDS.ID=5", "--set", "data.FIELDS.TITLE=Сделка & co",
        "--set", "data.UF[1]=2",
    )  # fmt: skip
    assert code == 0, err
    edited = parse_form(handler.got[-1][0])
    assert edited["data"] == {"FIELDS": {"ID": "5", "TITLE": "Сделка & co"}, "UF": ["1", "2"]}
    assert edited["auth"]["application_token"] == APP_TOKEN

    raw = tmp_path / "body.form"
    raw.write_bytes(b"event=ONCRMDEALADD&auth%5Bapplication_token%5D=" + APP_TOKEN.encode())
    code, out, err = await cli(
        data_dir, "replay", "1", "--to", handler.url, "--body-file", str(raw)
    )
    assert code == 0, err
    assert handler.got[-1][0] == raw.read_bytes()

    history = attempts(data_dir, 1)
    assert [(a.kind, a.variant, a.status) for a in history] == [
        ("replay", "as-recorded", 200), ("replay", "token-stripped", 401),
        ("replay", "edited", 200), ("replay", "edited", 200),
    ]  # fmt: skip
    assert [a.replay_of for a in history] == [None, history[0].id, history[1].id, history[2].id]
    assert history[0].request_body is None and history[3].request_body == raw.read_bytes()


@pytest.mark.asyncio
async def test_replay_to_a_dead_target_exits_1_with_one_sentence(data_dir: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}/hook"
    code, out, err = await cli(data_dir, "replay", "1", "2", "--to", dead)
    assert code == 1
    assert out.startswith("  <-- ERR ")
    assert (
        err.startswith("b24monitor: could not connect to 127.0.0.1:")
        and "connection refused" in err
    )
    assert err.strip().count("\n") == 0
    assert [a.error is not None for a in attempts(data_dir, 1)] == [True]
    assert attempts(data_dir, 2) == []  # it stopped at the first refusal


@pytest.mark.asyncio
async def test_replay_target_comes_from_to_or_the_environment(
    data_dir: Path, handler: Handler
) -> None:
    code, _, err = await cli(data_dir, "replay", "1")
    assert code == 2 and "--to" in err and "B24MONITOR_FORWARD_TO" in err
    code, _, err = await cli(data_dir, "replay", "1", env={"B24MONITOR_FORWARD_TO": handler.url})
    assert code == 0, err
    assert len(handler.got) == 1
    code, _, err = await cli(data_dir, "replay", "99", "--to", handler.url)
    assert code == 2 and "no stored event #99" in err
    _, help_text, _ = await cli(data_dir, "replay", "--help")
    assert "B24MONITOR_FORWARD_TO" in help_text


@pytest.mark.asyncio
async def test_curl_command_reproduces_the_body(data_dir: Path, handler: Handler) -> None:
    code, command, err = await cli(data_dir, "curl", "4", "--to", handler.url, "--reveal-secrets")
    assert code == 0, err
    proc = await asyncio.create_subprocess_exec("sh", "-c", command, stdout=asyncio.subprocess.PIPE)
    out, _ = await proc.communicate()
    assert proc.returncode == 0 and out == b"ok"
    assert handler.got[0][0] == stored_body(data_dir, 4)
    code, masked, _ = await cli(data_dir, "curl", "4")
    assert code == 0 and APP_TOKEN not in masked and "http://localhost:8000/" in masked


@pytest.mark.asyncio
async def test_fixtures_are_written_without_secrets(data_dir: Path, tmp_path: Path) -> None:
    out_dir = tmp_path / "fixtures"
    code, _, err = await cli(data_dir, "fixtures", "1", "2", "--out", str(out_dir))
    assert code == 0, err
    names = sorted(p.name for p in out_dir.iterdir())
    assert names == [
        "1-ONCRMDEALADD.form",
        "1-ONCRMDEALADD.json",
        "2-ONTASKADD.form",
        "2-ONTASKADD.json",
    ]
    for path in out_dir.iterdir():
        data = path.read_bytes()
        for secret in (APP_TOKEN, MEMBER_ID, DOMAIN):
            assert secret.encode() not in data, path.name
    one = json.loads((out_dir / "1-ONCRMDEALADD.json").read_text())
    two = json.loads((out_dir / "2-ONTASKADD.json").read_text())
    assert one["auth"]["application_token"] == two["auth"]["application_token"]
    assert parse_form((out_dir / "1-ONCRMDEALADD.form").read_bytes()) == one


@pytest.mark.asyncio
async def test_diff_two_ids_previous_and_json(data_dir: Path) -> None:
    code, out, err = await cli(data_dir, "diff", "1", "4")
    assert code == 0, err
    assert out.splitlines() == [
        "#1 ONCRMDEALADD → #4 ONCRMDEALUPDATE",
        '~ event: "ONCRMDEALADD" → "ONCRMDEALUPDATE"',
        '~ data.FIELDS.TITLE: "Old" → "New"',
        '- data.UF: ["1"]',
    ]
    # --previous skips the task about the same id and the other deal: same entity and family.
    code, out, err = await cli(data_dir, "diff", "4", "--previous", "--json")
    assert code == 0, err
    record = json.loads(out)
    assert (record["old"], record["new"]) == (1, 4)
    assert {"path": "data.FIELDS.TITLE", "kind": "changed", "old": "Old", "new": "New"} in record[
        "changes"
    ]
    code, _, err = await cli(data_dir, "diff", "1", "--previous")
    assert code == 2 and "first stored delivery" in err
