"""Fixtures for the tunnel tests: the fake ngrok agent's state dir and a running session."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from fake_ngrok_support import agent_pids, alive

from b24monitor.services.session import Session, SessionConfig


@pytest.fixture
def fake_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The fake agent's state dir; fails the test if any agent it started is still alive."""
    state = tmp_path / "fake-ngrok"
    state.mkdir()
    monkeypatch.setenv("FAKE_NGROK_STATE_DIR", str(state))
    monkeypatch.delenv("FAKE_NGROK_MODE", raising=False)
    monkeypatch.delenv("B24MONITOR_NGROK_PATH", raising=False)
    monkeypatch.delenv("NGROK_AUTHTOKEN", raising=False)
    yield state
    survivors = [pid for pid in agent_pids(state) if alive(pid)]
    for pid in survivors:
        os.kill(pid, 9)
    assert survivors == [], "ngrok agent processes were left running"


@pytest_asyncio.fixture
async def session(tmp_path: Path) -> AsyncIterator[Session]:
    s = Session(SessionConfig(data_dir=tmp_path / "data"))
    await s.start()
    try:
        yield s
    finally:
        await s.stop()
