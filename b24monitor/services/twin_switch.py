"""The safety net's switch per profile, and the offline twins it adds to what reconcile wants.

Kept in `<data dir>/safety_net.json` (shared by the GUI and CLI processes like the desired
subscriptions). Turning it off drops the twins from the wanted set; reconcile then unbinds
them, because they are in the ledger of bindings b24monitor made (services/subscriptions.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from b24monitor.core.offline_twins import twins_of
from b24monitor.services.filelock import locked, read_json, write_json
from b24monitor.services.subscriptions import Desired

_FORMAT = 1


class TwinSwitch:
    """Is the safety net on for this profile; `adjust` plugs into SubscriptionManager."""

    def __init__(self, data_dir: Path, profile_name: str, *, default: bool = False) -> None:
        self._path = data_dir / "safety_net.json"
        self._profile = profile_name
        self.default = default  # until the user chose: the GUI turns it on for app profiles

    def enabled(self) -> bool:
        return bool(self._entry().get("enabled", self.default))

    def set_enabled(self, enabled: bool) -> None:
        self._update(lambda entry: {**entry, "enabled": enabled})

    def adjust(self, desired: Desired) -> Desired:
        """The desired set as reconcile must see it: with the twins while the net is on."""
        if not self.enabled():
            return desired
        return replace(desired, wanted=desired.wanted | twins_of(desired.wanted))

    def _entry(self) -> dict[str, Any]:
        with locked(self._path, exclusive=False):
            entry = self._all().get(self._profile)
        return entry if isinstance(entry, dict) else {}

    def _update(self, change: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
        with locked(self._path):
            everything = self._all()
            entry = everything.get(self._profile)
            everything[self._profile] = change(entry if isinstance(entry, dict) else {})
            write_json(self._path, {"format": _FORMAT, "profiles": everything})

    def _all(self) -> dict[str, Any]:
        document = read_json(self._path)
        profiles = document.get("profiles") if isinstance(document, dict) else None
        return profiles if isinstance(profiles, dict) else {}
