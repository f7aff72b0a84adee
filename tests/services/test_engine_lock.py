"""The data dir's engine lock: one Session receives per folder; one-offs and crashes never block."""

from __future__ import annotations

import json
import socket
import stat
from pathlib import Path

import pytest

from b24monitor.core.errors import UsageError
from b24monitor.services.engine_lock import LOCK_NAME, EngineLock
from b24monitor.services.receiver import ReceiverSettings
from b24monitor.services.session import Session, SessionConfig


@pytest.mark.asyncio
async def test_a_second_session_on_one_folder_is_refused_before_it_opens_anything(
    tmp_path: Path,
) -> None:
    first = Session(SessionConfig(data_dir=tmp_path, engine="window"))
    await first.start()
    second = Session(SessionConfig(data_dir=tmp_path))
    try:
        with pytest.raises(UsageError) as refused:
            await second.start()
        assert str(refused.value).startswith(
            f"data folder {tmp_path} is in use by the b24monitor window (pid "
        )
        assert f"receiving at {first.local_url}): stop it, or use another --data-dir" in str(
            refused.value
        )
        assert second.store is None and second.capture is None
    finally:
        await first.stop()
    await second.start()  # the first one stopped: the folder is free
    await second.stop()


@pytest.mark.asyncio
async def test_one_offs_without_an_engine_role_run_beside_the_engine(tmp_path: Path) -> None:
    engine = Session(SessionConfig(data_dir=tmp_path))
    await engine.start()
    probe = Session(SessionConfig(data_dir=tmp_path, engine=None))  # tunnel check, offline ping
    try:
        await probe.start()
        await probe.stop()
        owner = json.loads((tmp_path / LOCK_NAME).read_text())
        assert owner["command"] == "listen" and owner["local_url"] == engine.local_url
    finally:
        await engine.stop()


@pytest.mark.asyncio
async def test_a_start_that_fails_frees_the_folder(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        blocked = Session(SessionConfig(data_dir=tmp_path, receiver=ReceiverSettings(port=port)))
        with pytest.raises(UsageError, match="choose another port"):
            await blocked.start()
    again = Session(SessionConfig(data_dir=tmp_path))
    await again.start()  # not "in use by" the failed start
    await again.stop()
    assert (tmp_path / LOCK_NAME).read_text() == ""  # a clean stop leaves no owner behind


def test_the_lock_file_is_private_and_names_the_public_url_once_known(tmp_path: Path) -> None:
    lock = EngineLock.acquire(tmp_path, "listen")
    try:
        lock.announce(local_url="http://127.0.0.1:8000")
        lock.announce(public_url="https://abc.ngrok.app")
        assert stat.S_IMODE((tmp_path / LOCK_NAME).stat().st_mode) == 0o600
        with pytest.raises(UsageError, match=r"receiving at https://abc\.ngrok\.app\)"):
            EngineLock.acquire(tmp_path, "window")
    finally:
        lock.release()
    EngineLock.acquire(tmp_path, "window").release()


def test_an_owner_still_writing_its_details_is_another_process(tmp_path: Path) -> None:
    lock = EngineLock.acquire(tmp_path, "listen")
    try:
        (tmp_path / LOCK_NAME).write_text('{"pid": 12')  # torn: the owner is mid-write
        with pytest.raises(UsageError, match=r"in use by another b24monitor process: stop it"):
            EngineLock.acquire(tmp_path, "listen")
    finally:
        lock.release()
