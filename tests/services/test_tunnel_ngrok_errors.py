"""ngrok's refusals as the agent and its edge write them → one sentence each, no authtoken shown.

The fake agent prints ngrok's real texts (from ngrok's docs and public transcripts) with their
"authentication failed:" prefix, codes and help links, on its log and on stderr; the edge answers
blocked requests itself with an `ngrok-error-code` header.
"""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from fake_ngrok_support import (
    FAKE_NGROK,
    FORM,
    TOKEN,
    Recorder,
    agent_pids,
    make_tunnel,
    ngrok_settings,
)
from pyngrok import installer

from b24monitor.services.ngrok_errors import edge_text, explain
from b24monitor.services.ngrok_process import end_of_life_warning
from b24monitor.services.session import Session
from b24monitor.services.tunnel import TunnelSettings, TunnelState

START_ERRORS = [
    ("105", "ngrok says the authtoken is not an ngrok authtoken (ERR_NGROK_105) — copy it again "
            "from https://dashboard.ngrok.com/get-started/your-authtoken"),
    ("107", "ngrok rejected the authtoken: it is well formed but no longer valid, e.g. reset "
            "(ERR_NGROK_107) — copy the current one"),
    ("108", "your ngrok account allows 1 agent session at a time and another ngrok agent is "
            "using it (ERR_NGROK_108) — stop that agent (see https://dashboard.ngrok.com/agents"),
    ("4018", "ngrok needs an authtoken (ERR_NGROK_4018) — get one"),
    ("9999", "ngrok refused the tunnel (ERR_NGROK_9999: The fake ngrok service refused this "
             "session) — see https://ngrok.com/docs/errors/err_ngrok_9999"),
]  # fmt: skip


@pytest.mark.asyncio
@pytest.mark.parametrize(("code", "sentence"), START_ERRORS)
async def test_each_refusal_becomes_its_sentence_without_the_authtoken(
    code: str,
    sentence: str,
    tmp_path: Path,
    fake_state: Path,
    session: Session,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("FAKE_NGROK_MODE", f"start_error={code}")
    tunnel = make_tunnel(session, ngrok_settings(tmp_path), Recorder())
    state = await tunnel.start()
    await tunnel.stop()
    assert state.state == "failed"
    assert state.reason is not None and state.reason.startswith(sentence), state.reason
    assert "\n" not in state.reason
    out, err = capfd.readouterr()  # the agent's own stderr included
    assert TOKEN not in state.reason + caplog.text + out + err


@pytest.mark.asyncio
async def test_too_many_agents_is_not_blamed_on_the_authtoken(
    tmp_path: Path, fake_state: Path, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    # ERR_NGROK_108 starts with "authentication failed:" like a bad token does.
    monkeypatch.setenv("FAKE_NGROK_MODE", "start_error=108")
    state = await _start_and_stop(session, ngrok_settings(tmp_path))
    assert state.reason is not None and "authtoken" not in state.reason


@pytest.mark.asyncio
async def test_endpoint_already_online_names_the_url(
    tmp_path: Path, fake_state: Path, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_NGROK_MODE", "endpoint_error=334")
    settings = ngrok_settings(tmp_path, domain="b24.example.ngrok-free.app")
    state = await _start_and_stop(session, settings)
    assert state.reason == (
        "the ngrok endpoint https://b24.example.ngrok-free.app is already online in another agent "
        "(ERR_NGROK_334) — stop the agent that serves it, or pass another --ngrok-domain"
    )


@pytest.mark.asyncio
async def test_offline_endpoint_is_ngroks_side_and_the_agent_is_not_restarted(
    tmp_path: Path, fake_state: Path, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_NGROK_MODE", "edge_error=3200")
    recorder = Recorder()
    tunnel = make_tunnel(session, ngrok_settings(tmp_path, restart_after=1), recorder)
    try:
        first = await tunnel.start()
        # Several failed probes later (retries come after min(30 s, 1 s)) the agent still runs.
        blocked = fake_state / "edge.jsonl"
        await _wait(lambda: len(blocked.read_text().splitlines()) >= 3)
    finally:
        await tunnel.stop()
    assert first.state == "unreachable" and first.reason is not None
    assert first.reason.startswith(f"ngrok says the endpoint {first.public_url} is offline ")
    assert "forward" not in first.reason  # not blamed on the local forwarding
    assert len(agent_pids(fake_state)) == 1


@pytest.mark.asyncio
async def test_quota_exhausted_tells_the_user_deliveries_are_blocked(
    tmp_path: Path,
    fake_state: Path,
    session: Session,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FAKE_NGROK_MODE", "quota=2")  # the start probe and one delivery
    recorder = Recorder()
    tunnel = make_tunnel(session, ngrok_settings(tmp_path), recorder)
    try:
        up = await tunnel.start()
        assert up.state == "reachable" and up.public_url is not None
        handler = up.public_url + session.handler_path
        async with httpx.AsyncClient() as client:
            ok = await client.post(handler, content=b"event=ONTASKADD", headers=FORM)
            blocked = await client.post(handler, content=b"event=ONTASKADD", headers=FORM)
        assert (ok.status_code, blocked.headers.get("ngrok-error-code")) == (200, "ERR_NGROK_727")
        down = await recorder.wait_for(lambda s: s.state == "unreachable", within=5)
    finally:
        await tunnel.stop()
    assert down.reason == (
        "your ngrok account has used up this month's HTTP requests (ERR_NGROK_727): ngrok now "
        f"blocks every request to {up.public_url}, Bitrix24's deliveries included, and Bitrix24 "
        "never resends them — upgrade at https://dashboard.ngrok.com/billing or use --public-url "
        "with a route of your own until the quota resets"
    )
    assert len(agent_pids(fake_state)) == 1


@pytest.mark.asyncio
async def test_rate_limit_says_deliveries_are_blocked_for_a_minute(
    tmp_path: Path, fake_state: Path, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_NGROK_MODE", "edge_error=734")
    state = await _start_and_stop(session, ngrok_settings(tmp_path))
    assert state.reason == (
        "ngrok is rate-limiting your account (ERR_NGROK_734: requests over the limit are blocked, "
        "Bitrix24's deliveries included, and Bitrix24 never resends them) — the limit resets "
        "within a minute; lower the request rate or upgrade at https://dashboard.ngrok.com/billing"
    )


@pytest.mark.parametrize(
    ("version", "today", "warning"),
    [
        ((3, 39, 8), "2026-12-03", None),  # newer than ngrok's support chart
        ((3, 34, 1), "2026-12-03", None),
        ((3, 28, 0), "2027-10-01", "the ngrok agent is version 3.28.0: ngrok stops accepting it "
                                   "on 2027-11-11 for free accounts — update it with `ngrok "
                                   "update`"),
        ((3, 22, 1), "2026-12-03", "the ngrok agent is version 3.22.1: ngrok stopped accepting "
                                   "it on 2026-05-20 for free accounts — update it with `ngrok "
                                   "update`"),
    ],
)  # fmt: skip
def test_agent_nearing_its_end_of_life_is_named(
    version: tuple[int, ...], today: str, warning: str | None
) -> None:
    assert end_of_life_warning(version, today) == warning


@pytest.mark.asyncio
async def test_unknown_edge_code_quotes_ngrok_and_gives_the_help_link(
    tmp_path: Path, fake_state: Path, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The fake answers 6022 with an HTML page as ngrok's edge does: its words are quoted.
    monkeypatch.setenv("FAKE_NGROK_MODE", "edge_error=6022")
    state = await _start_and_stop(session, ngrok_settings(tmp_path))
    assert state.reason == (
        f'ngrok answered {state.public_url} itself with ERR_NGROK_6022 ("Before you can serve '
        'HTML content, you must sign up for an ngrok account & install your authtoken") '
        "instead of forwarding to this b24monitor — see "
        "https://ngrok.com/docs/errors/err_ngrok_6022"
    )


def test_edge_text_of_a_long_page_is_one_bounded_line() -> None:
    text = edge_text("<html><script>var x = 1;</script><p>" + "word " * 100 + "</p></html>")
    assert len(text) == 200 and text.endswith("…") and "var" not in text
    assert edge_text("") == ""


@pytest.mark.asyncio
async def test_explicit_agent_before_3_30_gets_one_sentence(
    tmp_path: Path, fake_state: Path, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_NGROK_MODE", "version=3.22.1,no_endpoints_api")
    state = await _start_and_stop(session, ngrok_settings(tmp_path))
    assert state.reason == (
        f"the ngrok agent at {FAKE_NGROK} is version 3.22.1, older than 3.30.0, and lacks the "
        "/api/endpoints API b24monitor needs — update it with `ngrok update` or drop "
        "--ngrok-path so b24monitor downloads a current agent"
    )
    assert agent_pids(fake_state) == []  # refused before it was started
    assert not (fake_state / "updated").exists()  # the user's own agent is not touched


@pytest.mark.asyncio
async def test_agent_refused_as_too_old_is_updated_and_says_so(
    tmp_path: Path, fake_state: Path, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_NGROK_MODE", "too_old,version=3.30.0")
    recorder = Recorder()
    tunnel = make_tunnel(session, ngrok_settings(tmp_path), recorder)
    state = await tunnel.start()
    await tunnel.stop()
    assert state.state == "reachable"
    said = [s.reason for s in recorder.states if s.state == "starting" and s.reason]
    assert f"updated the ngrok agent at {FAKE_NGROK} from 3.30.0 to 3.39.8" in said
    assert any(
        r.startswith("updating the ngrok agent at ") and "(ERR_NGROK_121)" in r for r in said
    )
    assert state.usage is not None and state.usage.agent_version == "3.39.8"


@pytest.mark.asyncio
async def test_too_old_agent_whose_update_fails_says_what_to_do(
    tmp_path: Path, fake_state: Path, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_NGROK_MODE", "too_old,version=3.30.0,update_fails")
    state = await _start_and_stop(session, ngrok_settings(tmp_path))
    assert state.reason is not None
    assert state.reason.startswith(
        "ngrok refused the agent as too old: version 3.30.0, your account needs 3.34.0 "
        "(ERR_NGROK_121) — update it with `ngrok update` or from https://ngrok.com/download; "
        "`ngrok update` failed there ("
    )


@pytest.mark.asyncio
async def test_downloaded_agent_without_endpoints_api_is_updated_before_start(
    tmp_path: Path, fake_state: Path, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = ngrok_settings(tmp_path, ngrok_path=None)
    assert settings.config_path is not None
    downloaded = settings.config_path.parent / installer.get_ngrok_bin()
    downloaded.parent.mkdir(parents=True)
    shutil.copy2(FAKE_NGROK, downloaded)  # as if b24monitor had downloaded it long ago
    monkeypatch.setenv("FAKE_NGROK_MODE", "version=3.22.1,no_endpoints_api")
    recorder = Recorder()
    tunnel = make_tunnel(session, settings, recorder)
    state = await tunnel.start()
    await tunnel.stop()
    assert state.state == "reachable"
    assert f"updated the ngrok agent at {downloaded} from 3.22.1 to 3.39.8" in [
        s.reason for s in recorder.states
    ]


@pytest.mark.asyncio
async def test_agent_keeps_no_requests_for_its_inspector(
    tmp_path: Path, fake_state: Path, session: Session
) -> None:
    tunnel = make_tunnel(session, ngrok_settings(tmp_path), Recorder())
    try:
        state = await tunnel.start()
        assert state.public_url is not None
        install = b"event=ONAPPINSTALL&auth%5Brefresh_token%5D=SECRET-REFRESH"
        async with httpx.AsyncClient() as client:
            posted = await client.post(
                state.public_url + session.handler_path, content=install, headers=FORM
            )
            api = (fake_state / "api").read_text()
            inspected = (await client.get(f"http://{api}/api/requests/http")).json()
    finally:
        await tunnel.stop()
    assert posted.status_code == 200
    assert inspected["requests"] == []
    [config] = [json.loads(x) for x in (fake_state / "configs.jsonl").read_text().splitlines()]
    assert config["agent"]["inspect_db_size"] == -1


@pytest.mark.parametrize(
    ("text", "start"),
    [
        # Agents that print no code: the phrase decides, most specific first.
        ("authentication failed: Your account is limited to 1 simultaneous ngrok agent sessions.",
         "your ngrok account allows 1 agent session at a time"),
        ('authentication failed: Your ngrok-agent version "3.18.4" is too old. The minimum '
         'supported agent version for your account is "3.20.0". Please update',
         "ngrok refused the agent as too old: version 3.18.4, your account needs 3.20.0"),
        ('failed to dial ngrok server with address "connect.ngrok-agent.com:443": dial tcp: '
         "lookup connect.ngrok-agent.com: no such host",
         "the ngrok agent cannot reach the ngrok service (no internet or a firewall?)"),
    ],
)  # fmt: skip
def test_texts_without_a_code_are_read_by_their_phrase(text: str, start: str) -> None:
    sentence = explain(text)
    assert sentence is not None and sentence.startswith(start)


async def _start_and_stop(session: Session, settings: TunnelSettings) -> TunnelState:
    tunnel = make_tunnel(session, settings, Recorder())
    state = await tunnel.start()
    await tunnel.stop()
    return state


async def _wait(predicate: Callable[[], bool], within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except FileNotFoundError:
            pass
        await asyncio.sleep(0.05)
    raise AssertionError("condition not met in time")
