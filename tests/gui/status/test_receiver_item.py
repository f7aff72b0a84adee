"""The status bar's receiver item tells what the receiver turned away (issue 15)."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication

from b24monitor.core.receiver_stats import ReceiverStats
from b24monitor.gui.status import StatusBar


def test_a_quiet_receiver_shows_its_address_and_a_plain_tip(qapp: QApplication) -> None:
    bar = StatusBar()
    bar.set_receiver("127.0.0.1:8765", True, ReceiverStats())
    assert bar.receiver.text() == "receiver 127.0.0.1:8765 ✔"
    assert "hung up" not in bar.receiver.toolTip()


def test_hang_ups_refusals_and_timeouts_are_counted_in_the_tip(qapp: QApplication) -> None:
    bar = StatusBar()
    bar.set_receiver("127.0.0.1:8765", True, ReceiverStats(aborted=3, refused=2, timeouts=40))
    tip = bar.receiver.toolTip()
    assert "3 clients hung up" in tip and "2 connections refused" in tip
    assert "40 connections timed out" in tip
    assert bar.receiver.text().endswith("✔")  # nothing the user must act on


def test_a_low_disk_turns_the_item_into_a_warning(qapp: QApplication) -> None:
    bar = StatusBar()
    bar.set_receiver("127.0.0.1:8765", True, ReceiverStats(disk="floor", free_bytes=50 << 20))
    assert "disk low" in bar.receiver.text()
    assert "color" in bar.receiver.styleSheet()
