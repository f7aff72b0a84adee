"""The control channel's pieces: who may connect, a long data dir path, the in-process window.

Another user cannot be played here, so the peer-uid rule is checked as the function that
decides it, and what the kernel reports for a real socket pair.
"""

from __future__ import annotations

import asyncio
import os
import socket
import stat
from pathlib import Path

import pytest

from b24monitor.core.errors import EngineNotRunning, EngineRequestFailed
from b24monitor.services.control_client import connect
from b24monitor.services.control_socket import (
    TRANSPORT_ENV,
    address_path,
    peer_allowed,
    peer_uid,
    read_address,
    read_token,
    served,
    socket_path,
    token_path,
    write_token,
)
from b24monitor.services.session import Session, SessionConfig


@pytest.fixture(params=["unix", "tcp"])
def transport(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The unix socket, and the loopback TCP transport Windows uses (B24MONITOR_CONTROL=tcp)."""
    monkeypatch.setenv(TRANSPORT_ENV, request.param)
    return str(request.param)


def test_only_the_engines_own_user_is_served() -> None:
    assert peer_allowed(1000, own_uid=1000)
    assert not peer_allowed(1001, own_uid=1000)
    assert not peer_allowed(0, own_uid=1000)  # not even root: the engine holds tokens
    # Where the kernel cannot say, the 0600 socket in the 0700 folder and the token decide.
    assert peer_allowed(None, own_uid=1000)


def test_the_kernel_names_the_peer_of_a_unix_socket() -> None:
    left, right = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    with left, right:
        assert peer_uid(left) == os.getuid()
    with socket.socket() as tcp:  # loopback TCP cannot name the peer: the token guards
        assert peer_uid(tcp) is None


def test_each_token_is_new_and_private(tmp_path: Path) -> None:
    umask = os.umask(0o022)  # a usual umask would leave new files readable by all
    try:
        first = write_token(tmp_path)
        second = write_token(tmp_path)
    finally:
        os.umask(umask)
    assert first != second and len(second) == 64 and int(second, 16) >= 0
    assert read_token(tmp_path) == second
    assert stat.S_IMODE(token_path(tmp_path).stat().st_mode) == 0o600
    token_path(tmp_path).unlink()
    assert read_token(tmp_path) is None


@pytest.mark.asyncio
async def test_a_window_session_serves_the_channel_from_a_deep_folder(
    tmp_path: Path, transport: str
) -> None:
    deep = tmp_path / ("a-rather-long-folder-name-" * 4) / "b24monitor-data"
    assert len(str(socket_path(deep))) > 108  # past what a unix socket address can hold
    session = Session(SessionConfig(data_dir=deep, engine="window"))
    await session.start()
    try:
        if transport == "tcp":
            assert read_address(deep) is not None and not socket_path(deep).exists()
            assert stat.S_IMODE(address_path(deep).stat().st_mode) == 0o600
        else:
            assert read_address(deep) is None and socket_path(deep).exists()
        client = await connect(deep)
        assert client.hello["command"] == "window"
        assert client.hello["local_url"] == session.local_url
        with pytest.raises(EngineRequestFailed) as refused:
            await client.request("stop")  # nobody runs this engine but its window
        assert refused.value.code == "cannot_stop"
        assert "close the window" in str(refused.value)
        session.notify({"type": "offline"})  # news reaches the attached client in order
        assert await asyncio.wait_for(anext(client), 30) == {
            "type": "notice",
            "notice": {"type": "offline"},
        }
        await session.stop()
        assert await asyncio.wait_for(anext(client), 30) == {"type": "bye", "reason": "stopping"}
        await client.close()
    finally:
        await session.stop()
    assert not served(deep)
    with pytest.raises(EngineNotRunning):
        await connect(deep)


@pytest.mark.asyncio
async def test_one_offs_serve_no_channel(tmp_path: Path, transport: str) -> None:
    probe = Session(SessionConfig(data_dir=tmp_path, engine=None))  # tunnel check, offline ping
    await probe.start()
    try:
        assert not served(tmp_path) and not token_path(tmp_path).exists()
    finally:
        await probe.stop()


@pytest.mark.asyncio
async def test_requests_the_engine_cannot_do_are_answered_with_a_code_and_a_sentence(
    tmp_path: Path, transport: str
) -> None:
    session = Session(SessionConfig(data_dir=tmp_path))
    await session.start()
    try:
        client = await connect(tmp_path)
        asks = {
            ("rest", "no_portal"): {"method": "event.get"},
            ("rest", "bad_request"): {"method": 42},
            ("set_wanted", "bad_request"): {"subscriptions": [["ONCRMDEALADD", "sideways"]]},
            ("ping", "bad_request"): {"within": -1},
            ("set_safety_net", "no_guard"): {"enabled": True},
            ("switch_portal", "bad_request"): {"name": 7},
            ("reconcile", "no_portal"): {},
            ("fly", "unknown_op"): {},
        }
        for (op, code), args in asks.items():
            with pytest.raises(EngineRequestFailed) as failed:
                await client.request(op, **args)
            assert failed.value.code == code, op
            assert str(failed.value).count(".") <= 1 and "Traceback" not in str(failed.value)
        assert (await client.request("status"))["command"] == "listen"  # still serving
        await client.close()
    finally:
        await session.stop()
