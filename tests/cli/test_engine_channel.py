"""The engine's control channel as a window meets it: real `listen` subprocesses, real sockets.

A client attaches to `listen` (or `listen --engine`) running in another process, hears each
committed batch, calls the portal through the engine, is refused without the token, is dropped
when it reads nothing, and stops the engine; a second engine on the folder names the owner.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
from pathlib import Path
from typing import Any

import httpx
import pytest
from cli_run import cli, free_port

from b24monitor.core.errors import EngineGone, EngineNotRunning, EngineRequestFailed
from b24monitor.sandbox import SandboxPortal
from b24monitor.services.control_client import EngineClient, connect
from b24monitor.services.control_socket import (
    TRANSPORT_ENV,
    address_path,
    bindable,
    read_address,
    served,
    socket_path,
    token_path,
)

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


async def news(client: EngineClient, kind: str, within: float = 30, **match: Any) -> dict[str, Any]:
    """The next message of type `kind` (whose fields equal `match`), skipping the others."""
    async with asyncio.timeout(within):
        async for message in client:
            if message["type"] == kind and all(message.get(k) == v for k, v in match.items()):
                return message
    raise AssertionError(f"the channel closed before a {kind!r} message (bye: {client.bye})")


async def until(client: EngineClient, kind: str, within: float = 30) -> list[dict[str, Any]]:
    """Every message up to and including the first of type `kind`."""
    heard: list[dict[str, Any]] = []
    async with asyncio.timeout(within):
        async for message in client:
            heard.append(message)
            if message["type"] == kind:
                return heard
    raise AssertionError(f"the channel closed before a {kind!r} message: {heard}")


@pytest.fixture(autouse=True, params=["unix", "tcp"])
def transport(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test on both transports: the unix socket, and the loopback TCP one Windows uses
    (the engines started here inherit the choice)."""
    monkeypatch.setenv(TRANSPORT_ENV, request.param)
    return str(request.param)


def endpoint(data: Path) -> Path:
    """The file through which the engine is found: engine.address (TCP) or engine.sock."""
    return address_path(data) if address_path(data).exists() else socket_path(data)


def raw_socket(data: Path) -> socket.socket:
    """A plain connection to the engine, for clients that do not follow the protocol."""
    tcp = read_address(data)
    if tcp is not None:
        sock = socket.create_connection(tcp, timeout=30)
    else:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        with bindable(socket_path(data)) as address:
            sock.connect(address)
    sock.settimeout(30)
    return sock


def read_all(sock: socket.socket) -> list[dict[str, Any]]:
    """Every line the engine sends until it closes the connection."""
    chunks = b""
    try:
        while chunk := sock.recv(1 << 16):
            chunks += chunk
    except ConnectionResetError:
        pass
    return [json.loads(line) for line in chunks.splitlines()]


@pytest.mark.asyncio
async def test_a_client_attached_to_listen_hears_hello_and_the_batch_of_a_delivery(
    monitor: Any, tmp_path: Path, make_delivery: Any
) -> None:
    m = monitor()
    listening = await asyncio.to_thread(m.next_json)
    client = await connect(tmp_path / "data")
    try:
        hello = client.hello
        assert (hello["pid"], hello["command"]) == (m.proc.pid, "listen")
        assert hello["handler_url"] == listening["handler_url"]
        assert hello["local_url"] == listening["local_url"]
        assert hello["db_path"] == str(tmp_path / "data" / "events.sqlite3")
        assert hello["tunnel"]["state"] == "stopped" and hello["portal"] is None

        async with httpx.AsyncClient() as http:
            r = await http.post(hello["handler_url"], content=make_delivery(), headers=FORM)
        assert r.status_code == 200

        printed = await asyncio.to_thread(m.next_of_type, "event")
        batch = await news(client, "committed")
        assert batch == {"type": "committed", "ids": [printed["id"]], "lifecycle": []}
        status = await client.request("status")
        assert status["pid"] == m.proc.pid and status["handler_url"] == hello["handler_url"]
    finally:
        await client.close()
    assert m.proc.poll() is None  # a window detaching leaves the engine running


@pytest.mark.asyncio
async def test_a_client_without_the_token_or_with_a_wrong_one_is_refused(
    monitor: Any, tmp_path: Path, transport: str
) -> None:
    data = tmp_path / "data"
    m = monitor()
    await asyncio.to_thread(m.next_json)
    assert (read_address(data) is not None) == (transport == "tcp")
    assert os.stat(endpoint(data)).st_mode & 0o777 == 0o600
    assert os.stat(token_path(data)).st_mode & 0o777 == 0o600
    token = token_path(data).read_text()
    first_lines = [
        {"op": "hello"},  # no token
        {"op": "hello", "token": "0" * len(token)},  # a wrong one
        {"op": "status", "id": 1},  # straight to business
    ]
    for first in first_lines:
        with raw_socket(data) as sock:
            sock.sendall(json.dumps(first).encode() + b"\n")
            answer = await asyncio.to_thread(read_all, sock)
        assert [a["type"] for a in answer] == ["refused"], first  # then the engine hung up
        assert answer[0]["message"]

    client = await connect(data)  # the engine is none the worse
    await client.close()


@pytest.mark.asyncio
async def test_the_engine_calls_the_sandbox_portal_for_a_client_and_tells_it_of_a_switch(
    monitor: Any, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    async with SandboxPortal(rate_limit=False, seed=14) as portal:
        added = await asyncio.to_thread(cli, data, "portal", "add", "acme", "--client-id",
                                        portal.client_id, "--client-secret",
                                        portal.client_secret)  # fmt: skip
        assert added.returncode == 0, added.stderr
        m = monitor("--portal", "acme", "--bind", "ONCRMDEALADD")
        url = (await asyncio.to_thread(m.next_json))["handler_url"]
        await portal.install(url)
        client = await connect(data)
        try:
            assert client.hello["portal"] == "acme"
            await asyncio.to_thread(m.next_of_type, "bound")
            rows = await client.request("rest", method="event.get")
            assert {"event": "ONCRMDEALADD", "handler": url} in [
                {"event": r["event"], "handler": r["handler"]} for r in rows
            ]
            with pytest.raises(EngineRequestFailed) as failed:
                await client.request("rest", method="no.such.method")
            assert failed.value.code == "ERROR_METHOD_NOT_FOUND"
            # The window's tick and ping go through the engine too (its tokens, its URL).
            await client.request("set_wanted", subscriptions=[["ONTASKADD", "online"]],
                                 wanted=True)  # fmt: skip
            assert ("ONTASKADD", url) in {(b.event, b.handler) for b in portal.bindings()}
            gone = portal.state.registry.unbind(
                "ONTASKADD", offline=False, handler=url, owner=portal.client_id
            )  # removed behind the engine's back
            assert gone == 1
            report = (await client.request("reconcile"))["subscriptions"]
            assert {"event": "ONTASKADD", "mode": "online", "state": "bound"}.items() <= next(
                r for r in report["rows"] if r["event"] == "ONTASKADD"
            ).items()
            assert ("ONTASKADD", url) in {(b.event, b.handler) for b in portal.bindings()}
            assert (await client.request("ping", within=30))["seconds"] > 0

            assert await client.request("switch_portal", name=None) == {"portal": None}
            heard = await until(client, "portal")
            assert heard[-1] == {"type": "portal", "portal": None}
            notices = [m["notice"] for m in heard if m["type"] == "notice"]
            assert {"type": "unbound", "event": "ONCRMDEALADD", "event_type": "online",
                    "handler": url} in notices  # fmt: skip
            with pytest.raises(EngineRequestFailed) as no_portal:
                await client.request("rest", method="event.get")
            assert no_portal.value.code == "no_portal"
        finally:
            await client.close()
        assert ("ONCRMDEALADD", url) not in {(b.event, b.handler) for b in portal.bindings()}


@pytest.mark.asyncio
async def test_a_client_that_reads_nothing_is_dropped_and_the_receiver_keeps_acknowledging(
    monitor: Any, tmp_path: Path, make_delivery: Any
) -> None:
    data = tmp_path / "data"
    m = monitor()
    url = (await asyncio.to_thread(m.next_json))["handler_url"]
    watcher = await connect(data)  # a well-behaved window beside the slow one
    slow = raw_socket(data)
    slow.sendall(
        json.dumps({"op": "hello", "token": token_path(data).read_text()}).encode() + b"\n"
    )

    def flood() -> None:
        """Ask and never read: the answers pile up past the client's queue (10,000 lines)."""
        asking = b"".join(b'{"op":"ping?","id":%d}\n' % i for i in range(40_000))
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            slow.sendall(asking)  # may be cut off while still asking

    async with httpx.AsyncClient() as http:
        flooding = asyncio.to_thread(flood)
        answers = await asyncio.gather(
            flooding,
            *(http.post(url, content=make_delivery(data={"FIELDS": {"ID": str(i)}}), headers=FORM)
              for i in range(20)),
        )  # fmt: skip
        assert [r.status_code for r in answers[1:]] == [200] * 20
        heard = await asyncio.to_thread(read_all, slow)
        assert heard[0]["type"] == "hello" and heard[-1] == {"type": "bye", "reason": "too_slow"}
        assert len(heard) < 40_000  # cut off, not served to the end
        slow.close()

        after = await http.post(url, content=make_delivery(), headers=FORM)
        assert after.status_code == 200
    seen: set[int] = set()
    while len(seen) < 21:
        seen |= set((await news(watcher, "committed"))["ids"])
    assert not watcher.closed  # the slow one's fate was its own
    await watcher.close()


@pytest.mark.asyncio
async def test_listen_engine_prints_only_where_it_listens_owns_the_folder_and_stops_on_request(
    monitor: Any, tmp_path: Path, make_delivery: Any
) -> None:
    data = tmp_path / "data"
    m = monitor("--engine")
    listening = await asyncio.to_thread(m.next_json)
    assert listening["type"] == "listening"
    assert json.loads((data / "engine.lock").read_text())["command"] == "engine"
    second = await asyncio.to_thread(cli, data, "listen")
    assert second.returncode == 2
    assert f"in use by the b24monitor engine (pid {m.proc.pid}, " in second.stderr

    client = await connect(data)
    async with httpx.AsyncClient() as http:
        r = await http.post(listening["handler_url"], content=make_delivery(), headers=FORM)
    assert r.status_code == 200
    assert (await news(client, "committed"))["ids"] == [1]
    assert await client.request("stop") == {"stopping": True}
    assert await news(client, "bye") == {"type": "bye", "reason": "stopping"}
    assert await asyncio.to_thread(m.proc.wait, 30) == 0
    with pytest.raises(EngineGone, match=r"went away: it stopped; attach again"):
        await client.request("status")
    await client.close()
    assert m.proc.stdout is not None
    assert await asyncio.to_thread(m.proc.stdout.read) == ""  # no event line, nothing else
    assert not served(data) and not token_path(data).exists()
    with pytest.raises(EngineNotRunning, match=r"listen --engine` or open the window$"):
        await connect(data)


@pytest.mark.asyncio
async def test_a_killed_engine_ends_the_channel_and_the_next_one_serves_again(
    monitor: Any, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    m = monitor()
    await asyncio.to_thread(m.next_json)
    client = await connect(data)
    m.proc.send_signal(signal.SIGKILL)
    await asyncio.to_thread(m.proc.wait, 30)
    async with asyncio.timeout(30):
        assert [message async for message in client] == []  # no bye: it was killed
    with pytest.raises(EngineGone, match=rf"\(pid {m.proc.pid}\) went away"):
        await client.request("status")
    await client.close()
    assert served(data)  # engine.sock or engine.address left behind, answered by nobody
    with pytest.raises(EngineNotRunning):
        await connect(data)

    again = monitor()
    await asyncio.to_thread(again.next_json)
    client = await connect(data)
    assert client.hello["pid"] == again.proc.pid
    await client.close()


@pytest.mark.asyncio
async def test_start_tunnel_brings_the_public_route_up_again_and_clients_hear_each_step(
    monitor: Any, tmp_path: Path
) -> None:
    port = free_port()
    public = f"http://localhost:{port}"  # our own route to this very receiver
    m = monitor("--port", str(port), "--public-url", public)
    await asyncio.to_thread(m.next_of_type, "tunnel")
    client = await connect(tmp_path / "data")
    try:
        result = await client.request("start_tunnel")
        assert (result["type"], result["state"], result["public_url"]) == (
            "tunnel", "reachable", public
        )  # fmt: skip
        assert result["handler_url"] == public + client.hello["handler_path"]
        # The route really was restarted: its news went down and came back. (The first route's
        # own "reachable" may still be queued from before the request, so it is skipped.)
        states: list[str] = []
        while not ({"stopped", "starting"} & set(states) and states[-1] == "reachable"):
            states.append((await news(client, "tunnel"))["state"])
        assert (await client.request("status"))["tunnel"]["state"] == "reachable"
    finally:
        await client.close()


@pytest.mark.asyncio
async def test_windows_announce_themselves_a_second_start_shows_one_and_stop_spares_others(
    monitor: Any, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    m = monitor("--engine")
    await asyncio.to_thread(m.next_json)
    one, two, starter = await connect(data), await connect(data), await connect(data)
    try:
        assert await one.request("window", pid=111, background=False) == {"windows": 1}
        assert await two.request("window", pid=222, background=True) == {"windows": 2}
        status = await starter.request("status")
        assert status["windows"] == [{"pid": 111, "background": False},
                                     {"pid": 222, "background": True}]  # fmt: skip
        # A second start: the window waiting in the background is told to show itself.
        assert await starter.request("show_window") == {"shown": True, "pid": 222}
        assert await news(two, "show_window") == {"type": "show_window"}
        assert await starter.request("show_window") == {"shown": False, "windows": 2}
        # One window asks to stop while the other is attached: the engine goes on.
        assert await one.request("stop", unless_windows=True) == {"stopping": False, "windows": 1}
        await two.close()
        async with asyncio.timeout(30):  # the engine notices the closed channel
            while len((await starter.request("status"))["windows"]) != 1:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
        assert await one.request("stop", unless_windows=True) == {"stopping": True}
        assert await news(one, "bye") == {"type": "bye", "reason": "stopping"}
        assert await asyncio.to_thread(m.proc.wait, 30) == 0
    finally:
        for client in (one, two, starter):
            await client.close()


@pytest.mark.asyncio
async def test_a_window_never_stops_a_listen_started_in_a_terminal(
    monitor: Any, tmp_path: Path
) -> None:
    m = monitor()
    await asyncio.to_thread(m.next_json)
    window = await connect(tmp_path / "data")
    try:
        await window.request("window", pid=os.getpid(), background=False)
        with pytest.raises(EngineRequestFailed, match="started in a terminal: stop it there"):
            await window.request("stop")
        assert m.proc.poll() is None and (await window.request("status"))["command"] == "listen"
    finally:
        await window.close()


@pytest.mark.asyncio
async def test_a_restart_asked_by_one_window_tells_the_others_to_wait_for_the_next_engine(
    monitor: Any, tmp_path: Path
) -> None:
    m = monitor("--engine")
    await asyncio.to_thread(m.next_json)
    restarter, other = await connect(tmp_path / "data"), await connect(tmp_path / "data")
    try:
        await restarter.request("window", pid=111, background=False)
        await other.request("window", pid=222, background=False)
        assert await restarter.request("stop", restart=True) == {"stopping": True}
        for client in (restarter, other):  # not "stopping": the other window follows
            assert await news(client, "bye") == {"type": "bye", "reason": "restarting"}
        assert await asyncio.to_thread(m.proc.wait, 30) == 0
    finally:
        for client in (restarter, other):
            await client.close()
