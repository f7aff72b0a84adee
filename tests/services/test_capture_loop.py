"""The capture thread's loop: uvloop unless told otherwise (or on a system without it)."""

from __future__ import annotations

import asyncio

import pytest
import uvloop

from b24monitor.services.capture_loop import ENV, capture_loop_factory


def test_uvloop_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV, raising=False)
    factory = capture_loop_factory()
    assert factory is not None
    loop = factory()
    try:
        assert isinstance(loop, uvloop.Loop)
    finally:
        loop.close()


def test_asyncio_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV, "asyncio")
    assert capture_loop_factory() is None  # asyncio.Runner's default loop
    with asyncio.Runner(loop_factory=capture_loop_factory()) as runner:
        assert not isinstance(runner.get_loop(), uvloop.Loop)
