"""The safety net's switch: remembered per profile, and the twins it adds to the wanted set."""

from __future__ import annotations

from pathlib import Path

from b24monitor.core.subscriptions import Subscription
from b24monitor.services.subscriptions import Desired, Made
from b24monitor.services.twin_switch import TwinSwitch


def test_switch_adds_twins_keeps_the_ledger_and_is_remembered(tmp_path: Path) -> None:
    made = frozenset({Made("ONCRMDEALADD", "online", "https://x.example/h", 1.0)})
    desired = Desired(frozenset({Subscription("ONCRMDEALADD")}), made=made)
    switch = TwinSwitch(tmp_path, "acme")
    assert switch.adjust(desired) == desired  # off until turned on (the CLI's default)

    switch.set_enabled(True)
    adjusted = TwinSwitch(tmp_path, "acme").adjust(desired)
    assert Subscription("ONCRMDEALADD", "offline") in adjusted.wanted
    assert adjusted.made == made  # the ledger travels along: reconcile unbinds only ours
    assert TwinSwitch(tmp_path, "other", default=True).enabled()  # the GUI's default
    switch.set_enabled(False)
    assert TwinSwitch(tmp_path, "acme", default=True).enabled() is False  # a choice wins
