"""The tunnel as a user sees it, against the fake ngrok agent and the real receiver over loopback.

Every agent the fake starts writes its pid to the state dir; after each test none may be alive.
"""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
import socket
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
    alive,
    make_tunnel,
    ngrok_settings,
)
from pyngrok import process

from b24monitor.core.tasks import spawn
from b24monitor.services.ngrok_agent import DOWNLOAD_FAILED
from b24monitor.services.session import Session
from b24monitor.services.tunnel import TunnelSettings, TunnelState
from b24monitor.services.tunnel_probe import WakeDetector


@pytest.mark.asyncio
async def test_ngrok_tunnel_is_reachable_and_forwards_deliveries(
    tmp_path: Path,
    fake_state: Path,
    session: Session,
    make_delivery: Callable[..., bytes],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    recorder = Recorder()
    tunnel = make_tunnel(session, ngrok_settings(tmp_path, region="eu"), recorder)
    try:
        state = await tunnel.start()
        assert state.state == "reachable", state
        assert state.public_url is not None and state.public_url.startswith("http://127.0.0.1:")
        assert state.public_url != session.local_url  # the probe went through the relay hop
        batches: list[list[int]] = []
        arrived = asyncio.Event()
        session.committed.connect(lambda ids: (batches.append(ids), arrived.set()))
        async with httpx.AsyncClient() as client:
            response = await client.post(
                state.public_url + session.handler_path, content=make_delivery(), headers=FORM
            )
        assert response.status_code == 200
        await asyncio.wait_for(arrived.wait(), 30)  # the batch hops here via call_soon_threadsafe
        assert sum(len(b) for b in batches) == 1
    finally:
        await tunnel.stop()
    assert [s.state for s in recorder.states][-2:] == ["reachable", "stopped"]
    # Started with our own config and region; the user's ngrok.yml is never touched, and the
    # token is in our 0600 config file, not on the command line anyone can list.
    argv = json.loads((fake_state / "starts.jsonl").read_text().splitlines()[0])
    config = tmp_path / "data" / "ngrok" / "ngrok.yml"
    assert argv[argv.index("--config") + 1] == str(config)
    assert argv[argv.index("--region") + 1] == "eu"
    assert TOKEN not in " ".join(argv)
    assert config.stat().st_mode & 0o777 == 0o600
    [read] = [json.loads(x) for x in (fake_state / "configs.jsonl").read_text().splitlines()]
    assert read["agent"] == {"authtoken": TOKEN, "inspect_db_size": -1}
    assert TOKEN not in caplog.text
    assert all(not alive(pid) for pid in agent_pids(fake_state))
    assert not process.is_process_running(str(FAKE_NGROK))


@pytest.mark.asyncio
async def test_bad_authtoken_fails_with_one_sentence_and_the_receiver_keeps_serving(
    tmp_path: Path,
    fake_state: Path,
    session: Session,
    monkeypatch: pytest.MonkeyPatch,
    make_delivery: Callable[..., bytes],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("FAKE_NGROK_MODE", "auth_error")
    recorder = Recorder()
    tunnel = make_tunnel(session, ngrok_settings(tmp_path), recorder)
    state = await tunnel.start()
    await tunnel.stop()
    assert state.state == "failed"
    assert state.public_url is None
    assert state.reason is not None
    assert state.reason.startswith("ngrok says the authtoken is not an ngrok authtoken (ERR_NGROK_")
    assert "(ERR_NGROK_105)" in state.reason
    assert TOKEN not in state.reason and TOKEN not in caplog.text  # ngrok echoes the token
    async with httpx.AsyncClient() as client:
        response = await client.post(session.handler_url, content=make_delivery(), headers=FORM)
    assert response.status_code == 200


@pytest.mark.asyncio
async def test_silent_agent_fails_within_start_timeout_and_is_killed(
    tmp_path: Path, fake_state: Path, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_NGROK_MODE", "silent")
    tunnel = make_tunnel(session, ngrok_settings(tmp_path, start_timeout=1.5), Recorder())
    began = time.monotonic()
    state = await asyncio.wait_for(tunnel.start(), 60)  # a hang would fail here, generously
    assert state.state == "failed"
    assert state.reason is not None
    assert state.reason.startswith("the ngrok agent did not start in 1.5 s — ")
    assert time.monotonic() - began >= 1.5  # it did wait out the start timeout
    [pid] = agent_pids(fake_state)
    assert not alive(pid)  # killed and reaped already, before stop()
    await tunnel.stop()


@pytest.mark.asyncio
async def test_agent_without_internet_fails_with_the_reason_it_logged(
    tmp_path: Path, fake_state: Path, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_NGROK_MODE", "offline")
    tunnel = make_tunnel(session, ngrok_settings(tmp_path, start_timeout=1.0), Recorder())
    state = await tunnel.start()
    await tunnel.stop()
    assert (state.state, state.public_url) == ("failed", None)
    assert state.reason is not None
    assert state.reason.startswith("the ngrok agent cannot reach the ngrok service (no internet")


@pytest.mark.asyncio
async def test_dead_agent_is_restarted_and_the_new_public_url_published(
    tmp_path: Path, fake_state: Path, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_NGROK_MODE", "die_after=1")
    recorder = Recorder()
    tunnel = make_tunnel(session, ngrok_settings(tmp_path), recorder)
    try:
        first = await tunnel.start()
        assert first.state == "reachable"
        monkeypatch.delenv("FAKE_NGROK_MODE")  # the restarted agent stays up
        lost = await recorder.wait_for(lambda s: s.state == "unreachable", within=5)
        assert lost.reason is not None and lost.reason.startswith("the ngrok agent exited (code 3)")
        back = await recorder.wait_for(
            lambda s: s.state == "reachable" and s.public_url != first.public_url, within=10
        )
    finally:
        await tunnel.stop()
    assert back.public_url is not None and back.public_url.startswith("http://127.0.0.1:")
    assert len(agent_pids(fake_state)) == 2


@pytest.mark.asyncio
async def test_blackhole_relay_is_reported_unreachable_within_one_probe_interval(
    tmp_path: Path, fake_state: Path, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_NGROK_MODE", "blackhole")
    recorder = Recorder()
    tunnel = make_tunnel(session, ngrok_settings(tmp_path, probe_interval=1.0), recorder)
    try:
        start = spawn(tunnel.start(), name="test-tunnel-start")
        up = await recorder.wait_for(lambda s: s.public_url is not None, within=10)
        down = await recorder.wait_for(lambda s: s.state == "unreachable", within=30)
        # The very first probe after the URL came up reported it: no state in between.
        assert recorder.states.index(down) == recorder.states.index(up) + 1, recorder.states
        await start
    finally:
        await tunnel.stop()
    assert down.public_url == up.public_url
    assert down.reason is not None and "did not answer within 1 s" in down.reason
    assert all(s.state != "reachable" for s in recorder.states)


@pytest.mark.asyncio
async def test_agent_that_keeps_failing_probes_is_replaced(
    tmp_path: Path, fake_state: Path, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_NGROK_MODE", "blackhole")
    recorder = Recorder()
    tunnel = make_tunnel(session, ngrok_settings(tmp_path, restart_after=2), recorder)
    try:
        first = await tunnel.start()
        assert first.state == "unreachable"
        monkeypatch.delenv("FAKE_NGROK_MODE")  # the replacement agent forwards
        restarting = await recorder.wait_for(
            lambda s: (s.reason or "").startswith("the tunnel failed 2 probes in a row"), within=6
        )
        back = await recorder.wait_for(lambda s: s.state == "reachable", within=10)
    finally:
        await tunnel.stop()
    assert restarting.state == "unreachable"
    assert back.public_url != first.public_url
    assert len(agent_pids(fake_state)) == 2


@pytest.mark.asyncio
async def test_own_url_mode_starts_no_agent_and_probes_the_url(
    tmp_path: Path, fake_state: Path, session: Session
) -> None:
    settings = TunnelSettings(mode="url", public_url=session.local_url + "/", probe_interval=1)
    recorder = Recorder()
    tunnel = make_tunnel(session, settings, recorder)
    state = await tunnel.start()
    await tunnel.stop()
    assert state == TunnelState("reachable", session.local_url)
    assert agent_pids(fake_state) == []


@pytest.mark.asyncio
async def test_own_url_that_does_not_lead_here_is_unreachable(
    tmp_path: Path, fake_state: Path, session: Session
) -> None:
    with socket.socket() as unused:  # a port nobody listens on
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    settings = TunnelSettings(mode="url", public_url=f"http://127.0.0.1:{port}", probe_timeout=2)
    tunnel = make_tunnel(session, settings, Recorder())
    state = await tunnel.start()
    await tunnel.stop()
    assert state.state == "unreachable"
    assert state.reason is not None
    assert state.reason.startswith(f"http://127.0.0.1:{port} cannot be reached (")


@pytest.mark.asyncio
async def test_mode_none_stays_local_only(tmp_path: Path, session: Session) -> None:
    recorder = Recorder()
    tunnel = make_tunnel(session, TunnelSettings(mode="none"), recorder)
    assert await tunnel.start() == TunnelState("stopped")
    await tunnel.stop()
    assert recorder.states == [TunnelState("stopped")]


@pytest.mark.asyncio
async def test_agent_that_is_not_executable_fails_clearly(
    tmp_path: Path, fake_state: Path, session: Session
) -> None:
    copy = tmp_path / "ngrok-not-executable"
    shutil.copyfile(FAKE_NGROK, copy)
    copy.chmod(0o644)
    tunnel = make_tunnel(session, ngrok_settings(tmp_path, ngrok_path=copy), Recorder())
    state = await tunnel.start()
    await tunnel.stop()
    assert state == TunnelState(
        "failed",
        None,
        f"the ngrok agent at {copy} is not executable — run `chmod +x` on it or pass another "
        "--ngrok-path",
    )


@pytest.mark.asyncio
async def test_failed_download_of_the_agent_says_what_to_do(
    tmp_path: Path, fake_state: Path, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A proxy on a closed port makes the download fail the same way offline or online.
    for name in ("https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    for name in ("no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    recorder = Recorder()
    tunnel = make_tunnel(session, ngrok_settings(tmp_path, ngrok_path=None), recorder)
    state = await tunnel.start()
    await tunnel.stop()
    assert state == TunnelState("failed", None, DOWNLOAD_FAILED)
    downloading = [s.reason or "" for s in recorder.states if s.state == "starting"]
    assert any(r.startswith("downloading the ngrok agent to ") for r in downloading)


@pytest.mark.asyncio
async def test_reserved_domain_is_requested_from_the_agent(
    tmp_path: Path, fake_state: Path, session: Session
) -> None:
    settings = ngrok_settings(tmp_path, domain="b24.example.ngrok.app")
    tunnel = make_tunnel(session, settings, Recorder())
    state = await tunnel.start()
    await tunnel.stop()
    assert state.state == "reachable"
    [request] = [
        json.loads(line) for line in (fake_state / "requests.jsonl").read_text().split("\n") if line
    ]
    assert request["url"] == "https://b24.example.ngrok.app"
    assert request["upstream"] == {
        "url": f"http://127.0.0.1:{session.capture.port if session.capture else 0}"
    }


def test_wake_detector_sees_a_sleep_on_either_clock() -> None:
    wall, mono = [1000.0], [50.0]
    wake = WakeDetector(5.0, wall=lambda: wall[0], mono=lambda: mono[0])
    wall[0] += 5.2
    mono[0] += 5.2
    assert not wake.woke()  # an ordinary tick
    wall[0] += 3600  # suspended: the monotonic clock stood still, the wall clock did not
    mono[0] += 5.0
    assert wake.woke()
    assert not wake.woke()  # once per gap
    mono[0] += 60  # a stalled loop, seen by the monotonic clock
    wall[0] += 60
    assert wake.woke()
    mono[0] += 30  # our own slow work, forgotten by reset()
    wall[0] += 30
    wake.reset()
    assert not wake.woke()
