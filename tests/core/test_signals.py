"""core.signals: connect, disconnect, emit order, and one failing slot not silencing the rest."""

from __future__ import annotations

import logging

import pytest

from b24monitor.core.signals import Signal


def test_emit_reaches_slots_in_connection_order() -> None:
    heard: list[tuple[str, int]] = []
    sig: Signal[int] = Signal("numbers")
    sig.connect(lambda v: heard.append(("a", v)))
    sig.connect(lambda v: heard.append(("b", v)))
    sig.emit(7)
    assert heard == [("a", 7), ("b", 7)]


def test_disconnect_stops_delivery_and_the_returned_handle_does_the_same() -> None:
    heard: list[int] = []
    sig: Signal[int] = Signal()
    first = heard.append
    sig.connect(first)
    undo = sig.connect(lambda v: heard.append(v * 10))
    sig.disconnect(first)
    undo()
    sig.emit(1)
    assert heard == []
    sig.disconnect(first)  # not connected any more: ignored, not an error
    assert len(sig) == 0


def test_a_slot_may_disconnect_itself_while_emitting() -> None:
    heard: list[str] = []
    sig: Signal[str] = Signal()

    def once(v: str) -> None:
        heard.append(v)
        sig.disconnect(once)

    sig.connect(once)
    sig.connect(lambda v: heard.append(v.upper()))
    sig.emit("x")
    sig.emit("y")
    assert heard == ["x", "X", "Y"]


def test_a_failing_slot_is_logged_and_the_others_still_hear(
    caplog: pytest.LogCaptureFixture,
) -> None:
    heard: list[int] = []
    sig: Signal[int] = Signal("batches")

    def broken(v: int) -> None:
        raise RuntimeError("boom")

    sig.connect(broken)
    sig.connect(heard.append)
    with caplog.at_level(logging.ERROR):
        sig.emit(3)
    assert heard == [3]
    assert "batches" in caplog.text and "boom" in caplog.text
